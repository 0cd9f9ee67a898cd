# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fail2ban_info module through AnsibleModule, with fail2ban-client replaced by captured replies.

The same module against a real private fail2ban server: test_fail2ban_info_ban_live.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.voipguard.pbx.plugins.modules import fail2ban_info

CAPTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'fail2ban_client', '1.0.2')


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


def _exit_json(self, **kwargs):  # pylint: disable=unused-argument
    kwargs.setdefault('changed', False)
    raise ExitJson(kwargs)


def _fail_json(self, **kwargs):  # pylint: disable=unused-argument
    kwargs['failed'] = True
    raise FailJson(kwargs)


def captured(name):
    def read(ext):
        with open(os.path.join(CAPTURES, '%s.%s' % (name, ext))) as handle:
            return handle.read()
    return int(read('rc')), read('stdout'), read('stderr')


REPLIES = {
    ('ping',): (0, 'Server replied: pong\n', ''),
    ('version',): 'version',
    ('status',): 'status',
    ('status', 'pbx-test'): 'status-pbx-test',
    ('status', 'pbx-other'): 'status-pbx-other',
    ('get', 'pbx-test', 'maxretry'): 'maxretry-pbx-test',
    ('get', 'pbx-test', 'findtime'): 'findtime-pbx-test',
    ('get', 'pbx-test', 'bantime'): 'bantime-pbx-test',
    ('get', 'pbx-test', 'ignoreip'): 'ignoreip-pbx-test',
    ('get', 'pbx-test', 'ignoreself'): 'ignoreself-pbx-test',
    ('get', 'pbx-test', 'logpath'): (0, 'Current monitored log file(s):\n`- /var/log/pbx.log\n', ''),
    ('get', 'pbx-test', 'actions'): 'actions-pbx-test',
    ('get', 'pbx-test', 'failregex'): 'failregex-pbx-test',
}


@pytest.fixture
def run(monkeypatch, tmp_path):
    """Run the module; fail2ban-client answers from `replies` (command tuple -> capture name or (rc, out, err))."""
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', _fail_json)
    calls = []

    def _run(args, replies, binary='/usr/bin/fail2ban-client', check_mode=False):
        def run_command(self, argv, **kwargs):  # pylint: disable=unused-argument
            calls.append(list(argv))
            command = tuple(argv[3:]) if argv[1:2] == ['-s'] else tuple(argv[1:])
            reply = replies[command]
            return reply if isinstance(reply, tuple) else captured(reply)
        monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
        monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, required=False, opt_dirs=None: binary)
        with patch_module_args(dict(args, _ansible_check_mode=check_mode, _ansible_tmpdir=str(tmp_path))):
            with pytest.raises((ExitJson, FailJson)) as outcome:
                fail2ban_info.main()
        return outcome.value.args[0]
    _run.calls = calls
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
