# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sofia_param module end to end on XML profile files (FusionPBX on a real PostgreSQL:
tests/integration/plugins/modules/test_sofia_param_postgres.py)."""

from __future__ import absolute_import, division, print_function

import glob
import os
import shutil

import pytest

from ansible_collections.voipguard.pbx.plugins.modules import sofia_param

import module_harness

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'sofia')
VANILLA = ('internal.xml', 'external.xml', 'internal-ipv6.xml', 'external-ipv6.xml')


def run_module(args, check_mode=False, diff=False):
    """sofia_param's outcome: .failed and .result."""
    return module_harness.run_module(sofia_param, args, check_mode=check_mode, diff=diff)


@pytest.fixture
def config_dir(tmp_path):
    profiles_dir = tmp_path / 'freeswitch' / 'sip_profiles'
    profiles_dir.mkdir(parents=True)
    for name in VANILLA:
        shutil.copy(os.path.join(FIXTURES, name), str(profiles_dir / name))
    return str(tmp_path / 'freeswitch')


def snapshot(directory):
    result = {}
    for path in sorted(glob.glob(os.path.join(directory, '*'))):
        with open(path, 'rb') as handle:
            result[os.path.basename(path)] = handle.read()
    return result


def profiles_dir(config_dir):
    return os.path.join(config_dir, 'sip_profiles')


def test_xml_sets_the_param_on_all_profiles_and_reports_them(config_dir):
    outcome = run_module({'params': {'log-auth-failures': True}, 'config_dir': config_dir}, diff=True)
    result = outcome.result
    assert not outcome.failed, result
    assert result['changed'] is True
    assert result['backend'] == 'xml'
    assert result['changed_profiles'] == ['external', 'external-ipv6', 'internal', 'internal-ipv6']
    assert result['profiles']['internal'] == {'log-auth-failures': {'before': 'false', 'after': 'true'}}
    assert result['profiles']['external'] == {'log-auth-failures': {'before': None, 'after': 'true'}}
    assert result['diff']['before'] == ('external-ipv6: log-auth-failures=false\ninternal: log-auth-failures=false\n'
                                        'internal-ipv6: log-auth-failures=false\n')
    assert result['diff']['after'] == ''.join('%s: log-auth-failures=true\n' % name for name in result['changed_profiles'])
    files = snapshot(profiles_dir(config_dir))
    assert sorted(files) == sorted(VANILLA)  # no temporary file left behind
    for name in VANILLA:
        assert b'<param name="log-auth-failures" value="true"/>' in files[name]
    again = run_module({'params': {'log-auth-failures': 'true'}, 'config_dir': config_dir})
    assert again.result['changed'] is False
    assert again.result['changed_profiles'] == []
    assert snapshot(profiles_dir(config_dir)) == files


def test_xml_check_mode_predicts_and_writes_nothing(config_dir):
    before = snapshot(profiles_dir(config_dir))
    outcome = run_module({'params': {'log-auth-failures': 'true'}, 'profiles': ['internal'], 'config_dir': config_dir},
                         check_mode=True, diff=True)
    assert outcome.result['changed'] is True
    assert outcome.result['changed_profiles'] == ['internal']
    assert outcome.result['diff']['after'] == 'internal: log-auth-failures=true\n'
    assert snapshot(profiles_dir(config_dir)) == before


def test_xml_backup_and_file_mode_are_kept(config_dir):
    path = os.path.join(profiles_dir(config_dir), 'internal.xml')
    os.chmod(path, 0o640)
    outcome = run_module({'params': {'log-auth-failures': 'true'}, 'profiles': ['internal'], 'config_dir': config_dir,
                          'backup': True})
    backup = outcome.result['backup_files'][path]
    with open(backup, 'rb') as handle:
        assert handle.read() == open(os.path.join(FIXTURES, 'internal.xml'), 'rb').read()
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert outcome.result['files'] == [path]


def test_xml_excluded_profiles_are_left_alone(config_dir):
    before = snapshot(profiles_dir(config_dir))
    outcome = run_module({'params': {'log-auth-failures': 'true'}, 'config_dir': config_dir,
                          'exclude_profiles': ['external', 'external-ipv6', 'not-on-this-host']})
    assert not outcome.failed, outcome.result
    assert outcome.result['changed_profiles'] == ['internal', 'internal-ipv6']
    after = snapshot(profiles_dir(config_dir))
    assert after['external.xml'] == before['external.xml']
    assert after['external-ipv6.xml'] == before['external-ipv6.xml']
    assert after['internal.xml'] != before['internal.xml']


def test_xml_unknown_profile_fails_and_writes_nothing(config_dir):
    before = snapshot(profiles_dir(config_dir))
    outcome = run_module({'params': {'log-auth-failures': 'true'}, 'profiles': ['internal', 'nope'], 'config_dir': config_dir})
    assert outcome.failed
    assert 'unknown Sofia profile(s): nope' in outcome.result['msg']
    assert 'external, external-ipv6, internal, internal-ipv6' in outcome.result['msg']
    assert snapshot(profiles_dir(config_dir)) == before


def test_xml_malformed_file_fails_naming_file_and_line(config_dir):
    shutil.copy(os.path.join(FIXTURES, 'broken', 'malformed.xml'), profiles_dir(config_dir))
    before = snapshot(profiles_dir(config_dir))
    outcome = run_module({'params': {'log-auth-failures': 'true'}, 'config_dir': config_dir})
    assert outcome.failed
    assert 'malformed.xml: malformed XML at line 6' in outcome.result['msg']
    assert snapshot(profiles_dir(config_dir)) == before


def test_xml_injection_attempt_fails_and_writes_nothing(config_dir):
    before = snapshot(profiles_dir(config_dir))
    outcome = run_module({'params': {'log-auth-failures': 'true"/><param name="apply-inbound-acl" value="any_v4'},
                          'config_dir': config_dir})
    assert outcome.failed
    assert 'invalid value for param log-auth-failures' in outcome.result['msg']
    assert snapshot(profiles_dir(config_dir)) == before


def test_xml_state_absent(config_dir):
    outcome = run_module({'params': {'log-auth-failures': ''}, 'state': 'absent', 'config_dir': config_dir})
    assert outcome.result['changed_profiles'] == ['external-ipv6', 'internal', 'internal-ipv6']
    assert outcome.result['profiles']['internal'] == {'log-auth-failures': {'before': 'false', 'after': None}}
    files = snapshot(profiles_dir(config_dir))
    assert b'<param name="log-auth-failures" value="false"/>' not in files['internal.xml']
    assert b'<!-- <param name="log-auth-failures" value="true"/> -->' in files['internal.xml']


def test_missing_config_dir_fails(tmp_path):
    outcome = run_module({'params': {'log-auth-failures': 'true'}, 'config_dir': str(tmp_path / 'nowhere'), 'backend': 'xml'})
    assert outcome.failed
    assert 'does not exist' in outcome.result['msg']


# --- links, special files, encodings, names, half-finished runs -------------------------------------------

def xml_args(config_dir, **extra):
    return dict({'params': {'log-auth-failures': True}, 'config_dir': config_dir}, **extra)


def test_a_symlinked_profile_is_edited_through_the_link(config_dir, tmp_path):
    checkout = tmp_path / 'git-checkout'
    checkout.mkdir()
    link = os.path.join(profiles_dir(config_dir), 'internal.xml')
    shutil.move(link, str(checkout / 'internal.xml'))
    os.symlink(str(checkout / 'internal.xml'), link)
    outcome = run_module(xml_args(config_dir, profiles=['internal']))
    assert not outcome.failed and outcome.result['changed_profiles'] == ['internal'], outcome.result
    assert os.path.islink(link)
    assert b'<param name="log-auth-failures" value="true"/>' in (checkout / 'internal.xml').read_bytes()
    assert sorted(os.listdir(str(checkout))) == ['internal.xml']


def test_a_fifo_among_the_profiles_is_refused_without_blocking(config_dir):
    fifo = os.path.join(profiles_dir(config_dir), 'zz-pipe.xml')
    before = snapshot(profiles_dir(config_dir))
    os.mkfifo(fifo)  # (snapshot() would block on it too)
    outcome = run_module(xml_args(config_dir))
    assert outcome.failed and '%s is a FIFO (named pipe), not a regular file' % fifo in outcome.result['msg']
    os.unlink(fifo)
    assert snapshot(profiles_dir(config_dir)) == before


def test_a_mixed_case_param_is_changed_not_doubled(config_dir):
    path = os.path.join(profiles_dir(config_dir), 'internal.xml')
    with open(path, 'rb') as handle:
        data = handle.read().replace(b'name="log-auth-failures"', b'name="Log-Auth-Failures"')
    with open(path, 'wb') as handle:
        handle.write(data)
    outcome = run_module(xml_args(config_dir, profiles=['internal']))
    assert outcome.result['profiles']['internal'] == {'log-auth-failures': {'before': 'false', 'after': 'true'}}
    with open(path, 'rb') as handle:
        new = handle.read()
    # The mixed-case param changed (the fixture's commented-out one aside); no lower-case one was added.
    assert new.count(b'\n    <param name="Log-Auth-Failures" value="true"/>') == 1
    assert b'name="log-auth-failures"' not in new
    assert run_module(xml_args(config_dir, profiles=['internal'])).result['changed'] is False


def test_a_latin1_profile_is_kept_for_ascii_values_and_refused_for_others(config_dir):
    path = os.path.join(profiles_dir(config_dir), 'internal.xml')
    with open(path, 'rb') as handle:
        data = b'<!-- Zentrale f\xfcr M\xfcnchen -->\n' + handle.read()
    with open(path, 'wb') as handle:
        handle.write(data)
    refused = run_module(dict(xml_args(config_dir, profiles=['internal']), params={'user-agent-string': 'Zentrale M\u00fcnchen'}))
    assert refused.failed and 'is not UTF-8' in refused.result['msg'] and 'Latin-1' in refused.result['msg']
    with open(path, 'rb') as handle:
        assert handle.read() == data
    outcome = run_module(xml_args(config_dir, profiles=['internal']))
    assert not outcome.failed and outcome.result['changed'] is True, outcome.result
    with open(path, 'rb') as handle:
        new = handle.read()
    assert new.startswith(b'<!-- Zentrale f\xfcr M\xfcnchen -->\n') and b'value="true"' in new


def test_an_empty_list_of_profiles_is_an_error_not_every_profile(config_dir):
    before = snapshot(profiles_dir(config_dir))
    outcome = run_module(xml_args(config_dir, profiles=[]))
    assert outcome.failed and 'profiles is empty' in outcome.result['msg']
    assert snapshot(profiles_dir(config_dir)) == before


def test_disk_full_while_writing_several_profiles_changes_none(config_dir, monkeypatch):
    before = snapshot(profiles_dir(config_dir))
    real_fsync, calls = os.fsync, []

    def fsync_fails_on_the_third(fd):
        calls.append(fd)
        if len(calls) == 3:
            raise OSError(28, 'No space left on device')
        real_fsync(fd)
    monkeypatch.setattr(os, 'fsync', fsync_fails_on_the_third)
    outcome = run_module(xml_args(config_dir))
    assert outcome.failed and 'No space left on device (nothing was changed)' in outcome.result['msg']
    assert snapshot(profiles_dir(config_dir)) == before, 'some profiles were changed and others not'


def test_rescans_owed_by_an_interrupted_run_are_reported_until_the_record_goes(config_dir, tmp_path):
    record = str(tmp_path / 'state' / 'sofia-rescans-owed.json')
    first = run_module(xml_args(config_dir, owed_rescans_file=record, profiles=['internal', 'external']))
    assert first.result['changed_profiles'] == ['external', 'internal']
    # The run stopped before its rescan handler: the record stays, the next run owes the rescans.
    second = run_module(xml_args(config_dir, owed_rescans_file=record))
    assert second.result['changed'] is True and second.result['owed_rescans'] == ['external', 'internal']
    assert second.result['changed_profiles'] == ['external', 'external-ipv6', 'internal', 'internal-ipv6']
    # The handler rescanned them and removed the record: nothing is owed any more.
    os.unlink(record)
    third = run_module(xml_args(config_dir, owed_rescans_file=record))
    assert third.result['changed'] is False and third.result['changed_profiles'] == []
    check = run_module(xml_args(config_dir, owed_rescans_file=record), check_mode=True)
    assert check.result['changed'] is False and not os.path.exists(record)
