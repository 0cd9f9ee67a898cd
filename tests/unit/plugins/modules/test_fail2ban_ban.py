# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fail2ban_ban module through AnsibleModule, with fail2ban-client replaced by a fake server.

The same module against a real private fail2ban server: test_fail2ban_info_ban_live.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.voipguard.pbx.plugins.modules import fail2ban_ban

from module_harness import fake_commands, run_module


class FakeServer:
    """Prints what fail2ban-client 1.0.2 prints for the commands fail2ban_ban sends (see the captures)."""

    def __init__(self, banned=(), ignoreip=('127.0.0.0/8', '::1'), jails=('pbx',)):
        self.banned = list(banned)
        self.ignoreip = list(ignoreip)
        self.jails = jails
        self.sent = []

    def run_command(self, argv):
        """Stands in for AnsibleModule.run_command."""
        command = argv[3:] if argv[1:2] == ['-s'] else argv[1:]
        if command[1] not in self.jails:
            return 255, "Sorry but the jail '%s' does not exist\n" % command[1], 'ERROR   NOK: (%r,)\n' % command[1]
        if command[0] == 'get' and command[2] == 'banip':
            return 0, ' '.join(self.banned) + '\n', ''
        if command[0] == 'get' and command[2] == 'ignoreip':
            lines = ['|- %s' % entry for entry in self.ignoreip[:-1]] + ['`- %s' % self.ignoreip[-1]]
            return 0, 'These IP addresses/networks are ignored:\n%s\n' % '\n'.join(lines), ''
        if command[0] == 'get' and command[2] == 'ignoreself':
            return 0, 'False\n', ''
        if command[0] == 'set':
            self.sent.append(command)
            changed = [a for a in command[3:] if (a not in self.banned) == (command[2] == 'banip')]
            for address in changed:
                if command[2] == 'banip':
                    self.banned.append(address)
                else:
                    self.banned.remove(address)
            return 0, '%d\n' % len(changed), ''
        raise AssertionError('unexpected command %r' % (argv,))


@pytest.fixture
def run(monkeypatch, tmp_path):
    def _run(args, server, check_mode=False):
        fake_commands(monkeypatch, server.run_command)
        return run_module(fail2ban_ban, args, check_mode=check_mode, tmpdir=tmp_path).result
    return _run


def test_ban_then_nothing_to_do(run):
    server = FakeServer(banned=['203.0.113.1'])
    args = dict(jail='pbx', addresses=['203.0.113.1', '2001:DB8::5', '203.0.113.2'])
    result = run(args, server)
    assert result['changed'] is True and result['jail'] == 'pbx'
    assert result['banned'] == ['2001:db8::5', '203.0.113.2'] and result['already'] == ['203.0.113.1']
    assert result['unbanned'] == [] and result['batches'] == 1
    again = run(args, server)
    assert again['changed'] is False and again['banned'] == [] and again['batches'] == 0


def test_check_mode_predicts_exactly(run):
    server = FakeServer(banned=['203.0.113.1'])
    predicted = run(dict(jail='pbx', addresses=['203.0.113.1', '203.0.113.2']), server, check_mode=True)
    assert predicted['changed'] is True and predicted['banned'] == ['203.0.113.2']
    assert server.sent == []
    real = run(dict(jail='pbx', addresses=['203.0.113.1', '203.0.113.2']), server)
    assert real['banned'] == predicted['banned']


def test_unban(run):
    server = FakeServer(banned=['203.0.113.1', '203.0.113.2'])
    result = run(dict(jail='pbx', addresses=['203.0.113.2', '203.0.113.3'], state='unbanned'), server)
    assert result['unbanned'] == ['203.0.113.2'] and result['already'] == ['203.0.113.3']
    assert server.banned == ['203.0.113.1']


def test_batches(run):
    server = FakeServer()
    wanted = ['198.51.100.%d' % n for n in range(1, 251)]
    result = run(dict(jail='pbx', addresses=wanted, batch_size=100), server)
    assert result['batches'] == 3 and [len(c) - 3 for c in server.sent] == [100, 100, 50]


def test_whitelisted_refused_then_forced(run):
    server = FakeServer(ignoreip=['127.0.0.0/8', '192.0.2.0/24'])
    refused = run(dict(jail='pbx', addresses=['203.0.113.5', '192.0.2.10']), server)
    assert refused['failed'] is True
    assert '192.0.2.10 (by 192.0.2.0/24)' in refused['msg']
    assert refused['whitelisted'] == [dict(address='192.0.2.10', entry='192.0.2.0/24')]
    assert server.sent == []
    forced = run(dict(jail='pbx', addresses=['203.0.113.5', '192.0.2.10'], force=True), server)
    assert forced['banned'] == ['203.0.113.5', '192.0.2.10']


@pytest.mark.parametrize('address', ['198.51.100.0/24', 'sip.example.com', '203.0.113.1; rm'])
def test_invalid_address(run, address):
    server = FakeServer()
    result = run(dict(jail='pbx', addresses=['203.0.113.1', address]), server)
    assert result['failed'] is True and repr(address) in result['msg']
    assert server.sent == []


def test_unknown_jail(run):
    result = run(dict(jail='asterisk', addresses=['203.0.113.1']), FakeServer())
    assert result['failed'] is True
    assert "no jail named 'asterisk'" in result['msg']


def test_batch_size_must_be_positive(run):
    result = run(dict(jail='pbx', addresses=['203.0.113.1'], batch_size=0), FakeServer())
    assert result['failed'] is True and 'batch_size' in result['msg']
