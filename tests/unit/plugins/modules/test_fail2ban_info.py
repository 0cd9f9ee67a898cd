# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fail2ban_info module through AnsibleModule, with fail2ban-client replaced by captured replies.

The same module against a real private fail2ban server: test_fail2ban_info_ban_live.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

from ansible_collections.voipguard.pbx.plugins.modules import fail2ban_info

from module_harness import fake_commands, run_module

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..')))

from fail2ban_captures import Replay, all_answers  # noqa: E402  (tests/unit is put on the path just above)

VERSION = '1.0.2'
REPLIES = all_answers()


@pytest.fixture
def run(monkeypatch, tmp_path):
    """Run the module; fail2ban-client answers from `replies` (command tuple -> capture name or (rc, out, err)).

    run.calls: the fail2ban-client command lines of the last run.
    """
    def _run(args, replies, binary='/usr/bin/fail2ban-client', check_mode=False):
        replay = Replay(VERSION, replies)
        _run.calls = replay.argvs
        fake_commands(monkeypatch, replay, bin_path=lambda name: binary)
        return run_module(fail2ban_info, args, check_mode=check_mode, tmpdir=tmp_path).result
    _run.calls = []
    return _run


def test_reports_one_jail_with_settings_and_bans(run):
    result = run(dict(jails=['pbx-test'], socket='/run/f2b-test.sock'), REPLIES, check_mode=True)
    assert result['changed'] is False and result['running'] is True and result['version'] == '1.0.2'
    assert result['jail_names'] == ['pbx-other', 'pbx-test']
    assert list(result['jails']) == ['pbx-test']
    jail = result['jails']['pbx-test']
    assert jail['banned'] == ['203.0.113.1', '203.0.113.2', '2001:db8::5', '203.0.113.3']
    assert (jail['maxretry'], jail['findtime'], jail['bantime'], jail['ignoreself']) == (3, 600, 3600, True)
    assert jail['logpath'] == ['/var/log/pbx.log'] and jail['actions'] == ['dummy']
    assert result['totals']['currently_banned'] == 4
    assert all(argv[:3] == ['/usr/bin/fail2ban-client', '-s', '/run/f2b-test.sock'] for argv in run.calls)


def test_counters_only(run):
    result = run(dict(jails=['pbx-other'], include_bans=False, include_settings=False), REPLIES)
    assert result['jails'] == {'pbx-other': dict(currently_failed=0, total_failed=0, currently_banned=2,
                                                 total_banned=2, file_list=['/tmp/f2b-capture-1.0.2/pbx.log',
                                                                            '/tmp/f2b-capture-1.0.2/other.log'])}
    assert all(argv[1:3] != ['get', 'pbx-other'] for argv in run.calls)


def test_down_server_is_not_a_failure(run):
    result = run({}, {('ping',): 'down-ping'})
    assert 'failed' not in result
    assert result['running'] is False
    assert 'Is fail2ban running?' in result['reason']
    assert result['jails'] == {}
    assert result['totals'] == dict(currently_failed=0, total_failed=0, currently_banned=0, total_banned=0)


def test_missing_client_is_not_a_failure(run):
    result = run({}, {}, binary=None)
    assert 'failed' not in result and result['running'] is False
    assert 'not installed' in result['reason']


def test_unreadable_output_of_a_running_server_fails_with_the_output(run):
    replies = dict(REPLIES)
    replies[('status',)] = (0, 'something new\n', '')
    result = run({}, replies)
    assert result['failed'] is True
    assert 'cannot read the output' in result['msg'] and result['stdout'] == 'something new'


def test_returns_the_trust_services_state(run, tmp_path):
    state = tmp_path / 'sip-trust.json'
    state.write_text('{"version": 1, "updated": 1.0, "refresh_interval": 10, "trusted": [{"entry": "203.0.113.20", '
                     '"reasons": ["registered now: 1000@pbx.example.com"]}], "owned": {"pbx-test": ["203.0.113.20"]}}')
    result = run(dict(jails=['pbx-test'], sip_trust_state=str(state)), REPLIES)
    assert result['sip_trust']['trusted'] == [{'entry': '203.0.113.20', 'reasons': ['registered now: 1000@pbx.example.com']}]
    assert result['sip_trust']['owned'] == {'pbx-test': ['203.0.113.20']} and result['sip_trust']['age'] > 0
    assert run(dict(jails=['pbx-test'], sip_trust_state=str(tmp_path / 'none.json')), REPLIES)['sip_trust'] is None


def test_a_broken_trust_state_is_reported_not_a_failure(run, tmp_path):
    state = tmp_path / 'sip-trust.json'
    state.write_text('{"version": 1, "trusted": [')
    result = run(dict(jails=['pbx-test'], sip_trust_state=str(state)), REPLIES)
    assert not result.get('failed') and result['running'] is True
    assert str(state) in result['sip_trust']['error'] and result['sip_trust']['trusted'] == []
