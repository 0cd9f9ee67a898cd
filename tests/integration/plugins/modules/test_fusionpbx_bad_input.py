# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sofia_param and fusionpbx_access_control against FusionPBX's real tables when something is wrong.

Each failure names the problem and leaves the database rows and the cache as they were (they agree),
and the next run after the problem is fixed completes the change. Also: FusionPBX's cache keeps the
old sofia.conf after a run that changed the database but could not clear it, and the next run clears
it; another host's profile of the same name is never touched.
"""

from __future__ import absolute_import, division, print_function

import os
import socket
import subprocess

import pytest

from ansible_collections.voipguard.pbx.plugins.modules import fusionpbx_access_control, sofia_param

import module_harness

CACHED_SOFIA = '''<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<document type="freeswitch/xml">
  <section name="configuration">
    <configuration name="sofia.conf" description="sofia Endpoint">
      <profiles>
        <profile name="internal">
          <settings>
            <param name="log-auth-failures" value="false"/>
          </settings>
        </profile>
      </profiles>
    </configuration>
  </section>
</document>
'''
CACHE_FILE = '%s.configuration.sofia.conf' % socket.gethostname()
SETTING = {'params': {'log-auth-failures': True}, 'profiles': ['internal']}


@pytest.fixture
def fusionpbx(fusionpbx_host):
    """fusionpbx_host whose cache holds the sofia.conf FusionPBX generated (log-auth-failures false)."""
    _cluster, _config, cache_dir = fusionpbx_host
    with open(os.path.join(cache_dir, CACHE_FILE), 'w') as handle:
        handle.write(CACHED_SOFIA)
    return fusionpbx_host


def run(module, args, check_mode=False):
    return module_harness.run_module(module, args, check_mode=check_mode)


def internal_value(cluster):
    return [(row[3], row[4]) for row in cluster.rows() if row[0] == 'internal' and row[2] == 'log-auth-failures']


def cache_listing(cache_dir):
    return dict((name, open(os.path.join(cache_dir, name)).read()) for name in sorted(os.listdir(cache_dir)))


@pytest.fixture
def immutable():
    """Make a directory immutable (chattr +i: even root cannot create or delete files in it) for one test."""
    made = []

    def make(path):
        if subprocess.run(['chattr', '+i', path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False).returncode != 0:
            pytest.skip('chattr +i does not work on this file system')
        made.append(path)
    yield make
    for path in made:
        subprocess.run(['chattr', '-i', path], check=True)


def test_a_missing_cache_directory_fails_before_the_database_changes(fusionpbx):
    cluster, config, cache_dir = fusionpbx
    rows = cluster.rows()
    outcome = run(sofia_param, dict(SETTING, fusionpbx_config=config, cache_dir=cache_dir + '-missing'))
    assert outcome.failed
    assert 'FusionPBX cache directory %s-missing does not exist' % cache_dir in outcome.result['msg']
    assert cluster.rows() == rows


def test_a_cache_directory_that_cannot_be_written_fails_before_the_database_changes(fusionpbx, immutable):
    cluster, config, cache_dir = fusionpbx
    rows, cached = cluster.rows(), cache_listing(cache_dir)
    immutable(cache_dir)
    outcome = run(sofia_param, dict(SETTING, fusionpbx_config=config))
    assert outcome.failed and 'FusionPBX cache directory %s is not writable' % cache_dir in outcome.result['msg']
    assert 'nothing was changed' in outcome.result['msg']
    # Row and cache still agree (both false), untouched.
    assert cluster.rows() == rows and internal_value(cluster) == [('false', True)]
    assert cache_listing(cache_dir) == cached
    subprocess.run(['chattr', '-i', cache_dir], check=True)
    # Fixed: the next run completes the change.
    outcome = run(sofia_param, dict(SETTING, fusionpbx_config=config))
    assert not outcome.failed and outcome.result['changed'], outcome.result
    assert internal_value(cluster) == [('true', True)] and cache_listing(cache_dir) == {}


def test_a_stale_cache_left_by_an_earlier_run_is_cleared_by_the_next(fusionpbx):
    """The database already holds the value (a run changed it, then could not clear the cache)."""
    cluster, config, cache_dir = fusionpbx
    cluster.psql("UPDATE v_sip_profile_settings SET sip_profile_setting_value = 'true' WHERE sip_profile_setting_name = 'log-auth-failures';\n")
    check = run(sofia_param, dict(SETTING, fusionpbx_config=config), check_mode=True)
    assert check.result['changed'] and check.result['profiles'] == {} and os.listdir(cache_dir) == [CACHE_FILE]
    outcome = run(sofia_param, dict(SETTING, fusionpbx_config=config))
    assert outcome.result['changed'] and outcome.result['cache_cleared'] == [os.path.join(cache_dir, CACHE_FILE)]
    assert outcome.result['changed_profiles'] == ['internal']   # so the handler rescans it
    assert cache_listing(cache_dir) == {}
    # A cache FusionPBX regenerated with the new value is left alone.
    with open(os.path.join(cache_dir, CACHE_FILE), 'w') as handle:
        handle.write(CACHED_SOFIA.replace('value="false"', 'value="true"'))
    again = run(sofia_param, dict(SETTING, fusionpbx_config=config))
    assert not again.result['changed'] and os.listdir(cache_dir) == [CACHE_FILE]


@pytest.mark.parametrize('module, args', [
    (sofia_param, SETTING),
    (fusionpbx_access_control, {'name': 'voipguard-whitelist', 'nodes': ['198.51.100.77']}),
])
def test_a_database_that_is_down_fails_naming_it(fusionpbx, module, args):
    cluster, config, cache_dir = fusionpbx
    rows, cached = cluster.rows(), cache_listing(cache_dir)
    # Nothing listens on this port of the socket directory: a PostgreSQL that is not running.
    outcome = run(module, dict(args, fusionpbx_config=config, db_port=cluster.port + 1))
    assert outcome.failed
    assert 'psql failed on database fusionpbx on %s port %d' % (cluster.socket_dir, cluster.port + 1) in outcome.result['msg']
    assert 'No such file or directory' in outcome.result['msg'] or 'could not connect' in outcome.result['msg']
    assert cluster.rows() == rows and cache_listing(cache_dir) == cached


@pytest.mark.parametrize('module, args', [
    (sofia_param, SETTING),
    (fusionpbx_access_control, {'name': 'voipguard-whitelist', 'nodes': ['198.51.100.77']}),
])
def test_wrong_credentials_fail_naming_the_user_and_leak_no_password(fusionpbx, module, args):
    cluster, config, cache_dir = fusionpbx
    rows, acls, cached = cluster.rows(), cluster.access_controls(), cache_listing(cache_dir)
    outcome = run(module, dict(args, fusionpbx_config=config, db_password='not-the-password'))
    assert outcome.failed
    assert 'password authentication failed for user "fusionpbx"' in outcome.result['msg']
    assert 'not-the-password' not in repr(outcome.result)
    assert cluster.rows() == rows and cluster.access_controls() == acls and cache_listing(cache_dir) == cached


def test_a_profile_disabled_in_fusionpbx_fails_without_writing(fusionpbx):
    cluster, config, cache_dir = fusionpbx
    cluster.psql("UPDATE v_sip_profiles SET sip_profile_enabled = false WHERE sip_profile_name = 'external';\n")
    rows = cluster.rows()
    outcome = run(sofia_param, dict(SETTING, profiles=['internal', 'external'], fusionpbx_config=config))
    assert outcome.failed and 'disabled in FusionPBX' in outcome.result['msg'] and 'external' in outcome.result['msg']
    assert cluster.rows() == rows and os.listdir(cache_dir) == [CACHE_FILE]


def test_another_hosts_profile_of_the_same_name_is_left_alone(fusionpbx):
    """FusionPBX serves a profile with sip_profile_hostname set only to that host (sofia.conf.lua)."""
    cluster, config, _cache_dir = fusionpbx
    cluster.psql(
        "INSERT INTO v_sip_profiles (sip_profile_uuid, sip_profile_name, sip_profile_hostname, sip_profile_enabled)"
        " VALUES ('11111111-2222-3333-4444-555555555555', 'internal', 'another-host', true);\n"
        "INSERT INTO v_sip_profile_settings (sip_profile_setting_uuid, sip_profile_uuid, sip_profile_setting_name,"
        " sip_profile_setting_value, sip_profile_setting_enabled)"
        " VALUES ('11111111-2222-3333-4444-666666666666', '11111111-2222-3333-4444-555555555555', 'log-auth-failures', 'false', true);\n")
    outcome = run(sofia_param, dict(SETTING, fusionpbx_config=config))
    assert not outcome.failed, outcome.result
    assert outcome.result['profiles'] == {'internal': {'log-auth-failures': {'before': 'false', 'after': 'true'}}}
    other = cluster.select("SELECT sip_profile_setting_value FROM v_sip_profile_settings"
                           " WHERE sip_profile_setting_uuid = '11111111-2222-3333-4444-666666666666'")
    assert other == [{'sip_profile_setting_value': 'false'}]


def test_text_in_the_database_that_looks_like_our_markers_changes_nothing(fusionpbx):
    """Setting values are anybody's text in FusionPBX's interface; they reach psql's output JSON-escaped."""
    cluster, config, _cache_dir = fusionpbx
    cluster.psql("UPDATE v_sip_profile_settings SET sip_profile_setting_value = E'x\\nVOIPGUARD-CONFLICT\\nVOIPGUARD-JSON:{'"
                 " WHERE sip_profile_setting_name = 'log-auth-failures';\n")
    outcome = run(sofia_param, dict(SETTING, fusionpbx_config=config))
    assert not outcome.failed, outcome.result
    assert outcome.result['profiles']['internal']['log-auth-failures'] == {
        'before': 'x\nVOIPGUARD-CONFLICT\nVOIPGUARD-JSON:{', 'after': 'true'}
    assert internal_value(cluster) == [('true', True)]
