# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sofia_param module end to end on FusionPBX's real tables in PostgreSQL (XML profile files:
tests/unit/plugins/modules/test_sofia_param.py)."""

from __future__ import absolute_import, division, print_function

import os
import uuid

import pytest

from ansible_collections.voipguard.pbx.plugins.modules import sofia_param

import fusionpbx_pg
import module_harness


def run_module(args, check_mode=False, diff=False):
    """sofia_param's outcome: .failed and .result."""
    return module_harness.run_module(sofia_param, args, check_mode=check_mode, diff=diff)


# ---------------------------------------------------------------- FusionPBX on a real PostgreSQL


@pytest.fixture
def fusionpbx(fusionpbx_host):
    """fusionpbx_host with cached files: two sofia.conf names FusionPBX has used, and two others to keep."""
    cluster, config, cache_dir = fusionpbx_host
    for name in ('pbx1.example.com.configuration.sofia.conf', 'configuration.sofia.conf.pbx1.example.com',
                 'pbx1.example.com.configuration.acl.conf', 'dialplan.example.com'):
        with open(os.path.join(cache_dir, name), 'w') as handle:
            handle.write('<document type="freeswitch/xml"/>')
    return fusionpbx_host


def test_fusionpbx_auto_detected_sets_rows_and_clears_the_cache(fusionpbx):
    cluster, config, cache_dir = fusionpbx
    before = cluster.rows()
    internal_uuid = cluster.setting_uuid('internal', 'log-auth-failures')
    outcome = run_module({'params': {'log-auth-failures': True}, 'profiles': ['internal', 'external'],
                          'fusionpbx_config': config}, diff=True)
    result = outcome.result
    assert not outcome.failed, result
    assert result['backend'] == 'fusionpbx'
    assert result['changed'] is True
    assert result['changed_profiles'] == ['external', 'internal']
    # A fresh FusionPBX has log-auth-failures (false) in internal only: external gets a new row.
    assert result['profiles'] == {'external': {'log-auth-failures': {'before': None, 'after': 'true'}},
                                  'internal': {'log-auth-failures': {'before': 'false', 'after': 'true'}}}
    assert result['diff']['before'] == 'internal: log-auth-failures=false\n'
    assert result['diff']['after'] == 'external: log-auth-failures=true\ninternal: log-auth-failures=true\n'
    assert sorted(os.path.basename(path) for path in result['cache_cleared']) == [
        'configuration.sofia.conf.pbx1.example.com', 'pbx1.example.com.configuration.sofia.conf']
    assert sorted(os.listdir(cache_dir)) == ['dialplan.example.com', 'pbx1.example.com.configuration.acl.conf']
    after = cluster.rows()
    assert sorted(set(before) - set(after)) == [('internal', internal_uuid, 'log-auth-failures', 'false', True, None)]
    added = sorted(set(after) - set(before))
    assert [row[:1] + row[2:] for row in added] == [('external', 'log-auth-failures', 'true', True, None),
                                                    ('internal', 'log-auth-failures', 'true', True, None)]
    assert added[1][1] == internal_uuid
    assert str(uuid.UUID(added[0][1])) == added[0][1] and added[0][1] not in set(row[1] for row in before)
    assert fusionpbx_pg.DB_PASSWORD not in repr(result)
    again = run_module({'params': {'log-auth-failures': 'true'}, 'profiles': ['internal', 'external'],
                        'fusionpbx_config': config})
    assert again.result['changed'] is False
    assert again.result['cache_cleared'] == []


def test_fusionpbx_check_mode_changes_nothing(fusionpbx):
    cluster, config, cache_dir = fusionpbx
    before_rows, before_cache = cluster.rows(), sorted(os.listdir(cache_dir))
    outcome = run_module({'params': {'log-auth-failures': 'true'}, 'fusionpbx_config': config}, check_mode=True)
    assert outcome.result['changed'] is True
    assert outcome.result['changed_profiles'] == ['external', 'external-ipv6', 'internal', 'internal-ipv6']
    assert outcome.result['profiles'] == dict(
        (name, {'log-auth-failures': {'before': 'false' if name == 'internal' else None, 'after': 'true'}})
        for name in outcome.result['changed_profiles'])
    assert len(outcome.result['cache_cleared']) == 2
    assert cluster.rows() == before_rows
    assert sorted(os.listdir(cache_dir)) == before_cache


def test_fusionpbx_explicit_options_override_an_old_config_php(fusionpbx, tmp_path):
    cluster, config, cache_dir = fusionpbx
    php = tmp_path / 'config.php'
    php.write_text("<?php\n$db_type = 'pgsql';\n$db_host = '192.0.2.10';\n$db_port = '5432';\n$db_name = 'fusionpbx';\n"
                   "$db_username = 'fusionpbx';\n$db_password = 'not-this-one';\n?>\n")
    outcome = run_module({'params': {'log-auth-failures': 'true'}, 'profiles': ['internal-ipv6'],
                          'fusionpbx_config': str(php), 'db_host': cluster.socket_dir, 'db_port': cluster.port,
                          'db_password': fusionpbx_pg.DB_PASSWORD, 'cache_dir': cache_dir})
    assert not outcome.failed, outcome.result
    assert outcome.result['changed_profiles'] == ['internal-ipv6']


def test_fusionpbx_without_password_uses_the_postgres_user(fusionpbx):
    cluster, config, cache_dir = fusionpbx
    acl_uuid = cluster.setting_uuid('internal', 'apply-register-acl')
    outcome = run_module({'params': {'apply-register-acl': 'domains'}, 'profiles': ['internal'], 'backend': 'fusionpbx',
                          'db_host': cluster.socket_dir, 'db_port': cluster.port, 'cache_dir': cache_dir})
    assert not outcome.failed, outcome.result
    assert outcome.result['profiles'] == {'internal': {'apply-register-acl': {'before': None, 'after': 'domains'}}}
    # The row FusionPBX installs disabled ('providers') is the one enabled, with the new value.
    assert [row[1:5] for row in cluster.rows() if row[0] == 'internal' and row[2] == 'apply-register-acl'] == [
        (acl_uuid, 'apply-register-acl', 'domains', True)]


def test_fusionpbx_unknown_profile_fails_without_writing(fusionpbx):
    cluster, config, cache_dir = fusionpbx
    before = cluster.rows()
    outcome = run_module({'params': {'log-auth-failures': 'true'}, 'profiles': ['internal', 'nope'], 'fusionpbx_config': config})
    assert outcome.failed
    assert 'known profiles: external, external-ipv6, internal, internal-ipv6' in outcome.result['msg']
    assert cluster.rows() == before
    assert len(os.listdir(cache_dir)) == 4


def test_fusionpbx_memcache_keys_are_deleted_through_fs_cli(fusionpbx, tmp_path, monkeypatch):
    cluster, config, cache_dir = fusionpbx
    with open(config, 'a') as handle:
        handle.write('cache.method = memcache\n')
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    calls = tmp_path / 'fs_cli.calls'
    fs_cli = bin_dir / 'fs_cli'
    fs_cli.write_text('#!/bin/sh\nprintf "%%s\\n" "$*" >> %s\necho "+OK"\n' % calls)
    fs_cli.chmod(0o755)
    monkeypatch.setenv('PATH', '%s:%s' % (bin_dir, os.environ.get('PATH', '')))
    monkeypatch.setattr(sofia_param.socket, 'gethostname', lambda: 'pbx1.example.com')
    outcome = run_module({'params': {'log-auth-failures': 'true'}, 'profiles': ['internal'], 'fusionpbx_config': config})
    assert not outcome.failed, outcome.result
    assert 'memcache:pbx1.example.com:configuration:sofia.conf' in outcome.result['cache_cleared']
    assert calls.read_text().splitlines() == [
        '-x memcache delete pbx1.example.com:configuration:sofia.conf',
        '-x memcache delete configuration:sofia.conf:pbx1.example.com',
        '-x memcache delete configuration:sofia.conf']
