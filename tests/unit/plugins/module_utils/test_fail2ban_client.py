# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fail2ban-client wrapper against outputs captured from real fail2ban 0.11.2, 1.0.2 and 1.1.0 servers.

tests/unit/fixtures/fail2ban_client/capture.sh made them (see its header); a fake runner replays them.
The whitelist's own names through the host's resolver: tests/integration/plugins/module_utils/test_fail2ban_client_resolver.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import sys

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils import fail2ban_client as f2b
from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import ValidationError

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..')))

from fail2ban_captures import VERSIONS, Replay, all_answers, captured  # noqa: E402  (tests/unit is put on the path just above)


@pytest.fixture(params=VERSIONS)
def version(request):
    return request.param


# ---------------------------------------------------------------- parsers


def test_server_status(version):
    rc, stdout, stderr = captured(version, 'status')
    assert rc == 0 and stderr == ''
    assert f2b.parse_server_status(stdout) == dict(jail_count=2, jails=['pbx-other', 'pbx-test'])


def test_jail_status_with_bans(version):
    status = f2b.parse_jail_status(captured(version, 'status-pbx-test')[1])
    assert status == dict(currently_failed=0, total_failed=0, currently_banned=4, total_banned=4,
                          file_list=['/tmp/f2b-capture-%s/pbx.log' % version],
                          banned=['203.0.113.1', '203.0.113.2', '2001:db8::5', '203.0.113.3'])


def test_jail_status_without_bans_and_two_files(version):
    empty = f2b.parse_jail_status(captured(version, 'status-pbx-test-empty')[1])
    assert empty['banned'] == [] and empty['currently_banned'] == 0
    other = f2b.parse_jail_status(captured(version, 'status-pbx-other')[1])
    assert other['file_list'] == ['/tmp/f2b-capture-%s/pbx.log' % version, '/tmp/f2b-capture-%s/other.log' % version]
    # ::ffff:203.0.113.51 was banned: fail2ban keeps the IPv4 form
    assert other['banned'] == ['203.0.113.50', '203.0.113.51']


def test_jail_status_of_a_systemd_jail():
    # The beautifier's layout (identical in 0.11.2-1.1.0) with the systemd backend's "Journal matches".
    text = ('Status for the jail: sshd\n|- Filter\n|  |- Currently failed:\t1\n|  |- Total failed:\t9\n'
            '|  `- Journal matches:\t_SYSTEMD_UNIT=sshd.service + _COMM=sshd\n`- Actions\n'
            '   |- Currently banned:\t1\n   |- Total banned:\t2\n   `- Banned IP list:\t198.51.100.4\n')
    assert f2b.parse_jail_status(text) == dict(
        currently_failed=1, total_failed=9, currently_banned=1, total_banned=2, banned=['198.51.100.4'],
        journal_matches=['_SYSTEMD_UNIT=sshd.service', '_COMM=sshd'])


def test_lists_and_scalars(version):
    assert f2b.parse_ignoreip(captured(version, 'ignoreip-pbx-test')[1]) == ['127.0.0.0/8', '192.0.2.0/28', 'localhost', '::1']
    assert sorted(f2b.parse_ignoreip(captured(version, 'ignoreip-pbx-other')[1])) == [
        '198.51.100.0/24', '2001:db8:1::/48', '203.0.113.77']
    assert f2b.parse_ignoreip(captured(version, 'ignoreip-empty')[1]) == []
    assert f2b.parse_logpath(captured(version, 'logpath-pbx-other')[1]) == [
        '/tmp/f2b-capture-%s/pbx.log' % version, '/tmp/f2b-capture-%s/other.log' % version]
    assert f2b.parse_actions(captured(version, 'actions-pbx-test')[1], 'pbx-test') == ['dummy']
    assert f2b.parse_actions(captured(version, 'actions-pbx-other')[1], 'pbx-other') == ['dummy', 'dummy2']
    assert f2b.parse_failregex_count(captured(version, 'failregex-pbx-test')[1]) == 22
    assert f2b.parse_bool(captured(version, 'ignoreself-pbx-test')[1]) is True
    assert f2b.parse_bool(captured(version, 'ignoreself-pbx-other')[1]) is False
    assert f2b.parse_int(captured(version, 'maxretry-pbx-test')[1]) == 3
    assert f2b.parse_int(captured(version, 'findtime-pbx-test')[1]) == 600
    assert f2b.parse_int(captured(version, 'bantime-pbx-test')[1]) == 3600
    assert f2b.parse_int(captured(version, 'bantime-pbx-other')[1]) == -1


def test_ban_replies_count_new_bans(version):
    # banip 203.0.113.1 203.0.113.2 2001:DB8::5, then 203.0.113.1 (already) 203.0.113.3
    assert f2b.parse_int(captured(version, 'ban-3')[1]) == 3
    assert f2b.parse_int(captured(version, 'ban-again')[1]) == 1
    # unbanip 203.0.113.1 203.0.113.99 (not banned, skipped), then only an absent one
    assert f2b.parse_int(captured(version, 'unban-2')[1]) == 1
    assert f2b.parse_int(captured(version, 'unban-absent')[1]) == 0


def test_banned_lists(version):
    assert f2b.parse_banip(captured(version, 'banip-pbx-test')[1]) == ['203.0.113.2', '2001:db8::5', '203.0.113.1', '203.0.113.3']
    assert f2b.parse_banip(captured(version, 'banip-empty')[1]) == []
    assert f2b.parse_literal(captured(version, 'banned')[1]) == [
        {'pbx-test': ['203.0.113.1', '203.0.113.2', '2001:db8::5', '203.0.113.3']},
        {'pbx-other': ['203.0.113.50', '203.0.113.51']}]
    assert f2b.parse_literal(captured(version, 'banned-pbx-test-ips')[1]) == [1, 0, 1]


@pytest.mark.parametrize('parser, text', [
    (f2b.parse_server_status, 'Sorry but the jail \'x\' does not exist'),
    (f2b.parse_jail_status, 'Status\n|- Number of jail:\t0\n`- Jail list:\t'),
    (f2b.parse_ignoreip, 'These IP addresses/networks are ignored:\nsomething else'),
    (f2b.parse_int, 'True'),
    (f2b.parse_int, 'Server replied: pong'),
    (f2b.parse_bool, '1'),
    (f2b.parse_failregex_count, 'garbage'),
])
def test_unexpected_output_is_an_error(parser, text):
    with pytest.raises(ValueError):
        parser(text)


# ---------------------------------------------------------------- errors of the client


def test_server_down_is_reported_as_not_running(version):
    client = f2b.Fail2banClient(Replay(version, {('ping',): 'down-ping'}), socket_path='/run/x.sock')
    with pytest.raises(f2b.Fail2banNotRunning) as error:
        client.ping()
    assert error.value.message == ('fail2ban is not reachable: Failed to access socket path: '
                                   '/tmp/f2b-capture-%s/f2b.sock. Is fail2ban running?' % version)
    assert error.value.argv == ['fail2ban-client', '-s', '/run/x.sock', 'ping']
    info = f2b.gather_info(client)
    assert info['running'] is False
    assert 'Is fail2ban running?' in info['reason']
    assert info['jails'] == {} and info['totals']['currently_banned'] == 0


def test_stale_socket_is_not_running(version):
    # ping on a socket nobody listens on prints only "[Errno 111] Connection refused"
    info = f2b.gather_info(f2b.Fail2banClient(Replay(version, {('ping',): 'stale-ping'})))
    assert info['running'] is False
    assert info['reason'] == 'fail2ban is not reachable: [Errno 111] Connection refused'
    with pytest.raises(f2b.Fail2banNotRunning) as error:
        f2b.Fail2banClient(Replay(version, {('status',): 'stale-status'})).status()
    assert error.value.message == ('fail2ban is not reachable: [[Errno 111] Connection refused] '
                                   'Unable to contact server. Is it running?')


def test_unknown_jail(version):
    client = f2b.Fail2banClient(Replay(version, {('get', 'nosuch', 'ignoreip'): 'nosuch-get',
                                                 ('set', 'nosuch', 'banip', '203.0.113.1'): 'nosuch-banip'}))
    with pytest.raises(f2b.UnknownJail) as error:
        client.ignoreip('nosuch')
    assert error.value.jail == 'nosuch'
    with pytest.raises(f2b.UnknownJail):
        client.ban_batch('nosuch', ['203.0.113.1'])


def test_other_failure_keeps_the_output():
    client = f2b.Fail2banClient(lambda argv: (255, 'Invalid command', '2026-01-01 00:00:00,000 fail2ban [1]: ERROR   NOK: boom\n'))
    with pytest.raises(f2b.Fail2banError) as error:
        client.call('get', 'x', 'y')
    assert not isinstance(error.value, f2b.Fail2banNotRunning)
    assert 'NOK: boom' in error.value.message
    assert error.value.details()['stdout'] == 'Invalid command'


# ---------------------------------------------------------------- gather_info


def test_gather_info_everything(version):
    runner = Replay(version, all_answers())
    info = f2b.gather_info(f2b.Fail2banClient(runner))
    assert info['running'] is True and info['reason'] is None
    assert info['version'] == version
    assert info['jail_names'] == ['pbx-other', 'pbx-test']
    test = info['jails']['pbx-test']
    assert test['banned'] == ['203.0.113.1', '203.0.113.2', '2001:db8::5', '203.0.113.3']
    assert (test['maxretry'], test['findtime'], test['bantime']) == (3, 600, 3600)
    assert test['ignoreself'] is True and 'localhost' in test['ignoreip']
    assert test['actions'] == ['dummy'] and test['failregex_count'] == 22
    other = info['jails']['pbx-other']
    assert other['bantime'] == -1 and other['ignoreself'] is False and other['actions'] == ['dummy', 'dummy2']
    assert info['totals'] == dict(currently_failed=0, total_failed=0, currently_banned=6, total_banned=6)


def test_gather_info_selected_jails_without_bans_or_settings(version):
    runner = Replay(version, all_answers())
    info = f2b.gather_info(f2b.Fail2banClient(runner), jails=['pbx-other', 'asterisk'],
                           include_bans=False, include_settings=False)
    assert list(info['jails']) == ['pbx-other']
    assert 'banned' not in info['jails']['pbx-other'] and 'maxretry' not in info['jails']['pbx-other']
    assert info['jails']['pbx-other']['currently_banned'] == 2
    assert info['missing_jails'] == ['asterisk']
    assert info['totals']['currently_banned'] == 2
    # ping, version, status, status pbx-other: nothing per setting
    assert len(runner.argvs) == 4


def test_gather_info_jail_removed_while_reading(version):
    answers = all_answers()
    answers[('status', 'pbx-test')] = 'nosuch-status'  # the "does not exist" reply of a removed jail
    info = f2b.gather_info(f2b.Fail2banClient(Replay(version, answers)), include_settings=False)
    assert list(info['jails']) == ['pbx-other']
    assert info['missing_jails'] == ['pbx-test']


# ---------------------------------------------------------------- addresses and whitelist


@pytest.mark.parametrize('text, expected', [
    ('203.0.113.7', '203.0.113.7'),
    ('2001:DB8::5', '2001:db8::5'),
    ('2001:db8:0:0:0:0:0:5', '2001:db8::5'),
    ('::ffff:203.0.113.51', '203.0.113.51'),
])
def test_canonical_ban_address(text, expected):
    assert f2b.canonical_ban_address(text) == expected


@pytest.mark.parametrize('text', [
    '198.51.100.0/24', 'pbx.example.com', 'not an ip', '203.0.113.052', '999.1.1.1', '',
    '203.0.113.7\n[sshd]', 'fe80::1%eth0', '203.0.113.7 203.0.113.8',
])
def test_ban_addresses_must_be_single_ips(text):
    with pytest.raises(ValidationError) as error:
        f2b.canonical_ban_address(text)
    assert (repr(text) if text else 'empty') in str(error.value)


def test_canonical_addresses_drop_duplicates_in_order():
    assert f2b.canonical_addresses(['2001:DB8::5', '203.0.113.1', '2001:db8::5', '::ffff:203.0.113.1']) == [
        '2001:db8::5', '203.0.113.1']


def fake_getaddrinfo(table):
    def getaddrinfo(host, port, family=0, type_=0, proto=0):
        found = [address for address in table.get(host, []) if (':' in address) == (family == socket.AF_INET6)]
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
        return [(family, socket.SOCK_STREAM, proto, '', (address, 0)) for address in found]
    return getaddrinfo


def test_whitelist_names_the_entry():
    resolver = fake_getaddrinfo({'monitor.example.com': ['198.51.100.20', '2001:db8:2::20'],
                                 'localhost': ['127.0.0.1', '::1'], 'pbx1': ['203.0.113.10']})
    whitelist = f2b.Whitelist(['127.0.0.0/8', '::1', '192.0.2.0/28', 'monitor.example.com', 'gone.example.net',
                               '2001:db8:1::/48', '203.0.113.77'],
                              ignoreself=True, getaddrinfo=resolver, own_names=['localhost', 'pbx1'])
    assert whitelist.match('192.0.2.15') == '192.0.2.0/28'
    assert whitelist.match('192.0.2.16') is None
    assert whitelist.match('2001:db8:2::20') == 'monitor.example.com'
    assert whitelist.match('198.51.100.20') == 'monitor.example.com'
    assert whitelist.match('2001:db8:1:ffff::1') == '2001:db8:1::/48'
    assert whitelist.match('203.0.113.77') == '203.0.113.77'
    assert whitelist.match('203.0.113.10') == 'ignoreself (pbx1)'
    assert whitelist.match('::1') == '::1'
    assert whitelist.unresolved == ['gone.example.net']
    without_self = f2b.Whitelist([], ignoreself=False, getaddrinfo=resolver, own_names=['pbx1'])
    assert without_self.match('203.0.113.10') is None


# ---------------------------------------------------------------- apply_bans with a fake server


class FakeServer:
    """Answers the commands apply_bans sends like a fail2ban 1.0 server would print them."""

    def __init__(self, banned=(), ignoreip=(), ignoreself=False, fail_on_batch=None):
        self.banned = list(banned)
        self.ignoreip = list(ignoreip)
        self.ignoreself = ignoreself
        self.fail_on_batch = fail_on_batch
        self.batches = []

    def __call__(self, argv):
        command = argv[1:]
        if command[0] == 'get' and command[2] == 'banip':
            return 0, ' '.join(self.banned) + '\n', ''
        if command[0] == 'get' and command[2] == 'ignoreip':
            if not self.ignoreip:
                return 0, 'No IP address/network is ignored\n', ''
            lines = ['|- %s' % entry for entry in self.ignoreip[:-1]] + ['`- %s' % self.ignoreip[-1]]
            return 0, 'These IP addresses/networks are ignored:\n%s\n' % '\n'.join(lines), ''
        if command[0] == 'get' and command[2] == 'ignoreself':
            return 0, '%s\n' % self.ignoreself, ''
        if command[0] == 'set' and command[2] in ('banip', 'unbanip'):
            self.batches.append(command[2:])
            if self.fail_on_batch == len(self.batches):
                return 255, '', '2026-01-01 00:00:00,000 fail2ban [1]: ERROR   NOK: (\'disk full\',)\n'
            count = 0
            for address in command[3:]:
                if command[2] == 'banip' and address not in self.banned:
                    self.banned.append(address)
                    count += 1
                elif command[2] == 'unbanip' and address in self.banned:
                    self.banned.remove(address)
                    count += 1
            return 0, '%d\n' % count, ''
        raise AssertionError('unexpected command %r' % (argv,))


def addresses(count, prefix='198.51'):
    return ['%s.%d.%d' % (prefix, n // 250, n % 250 + 1) for n in range(count)]


def test_ten_thousand_addresses_take_twenty_commands():
    server = FakeServer()
    wanted = ['10.%d.%d.%d' % (n // 62500, n // 250 % 250, n % 250 + 1) for n in range(10000)]
    client = f2b.Fail2banClient(server)
    result = f2b.apply_bans(client, 'pbx', wanted, own_names=[])
    assert result['changed'] is True and result['banned'] == wanted and result['batches'] == 20
    assert all(len(batch) == 501 for batch in server.batches)  # 'banip' + 500 addresses
    # get banip, get ignoreip, get ignoreself, 20 x set banip
    assert client.calls == 23
    again = f2b.apply_bans(f2b.Fail2banClient(server), 'pbx', wanted, own_names=[])
    assert again['changed'] is False and again['already'] == wanted and again['batches'] == 0


def test_ban_only_what_is_missing_and_report_already():
    server = FakeServer(banned=['203.0.113.1'])
    result = f2b.apply_bans(f2b.Fail2banClient(server), 'pbx', ['203.0.113.1', '2001:DB8::5', '203.0.113.2'],
                            own_names=[])
    assert result['banned'] == ['2001:db8::5', '203.0.113.2']
    assert result['already'] == ['203.0.113.1']
    assert server.batches == [['banip', '2001:db8::5', '203.0.113.2']]


def test_check_mode_predicts_without_sending():
    server = FakeServer(banned=['203.0.113.1'])
    result = f2b.apply_bans(f2b.Fail2banClient(server), 'pbx', ['203.0.113.1', '203.0.113.2'], check_mode=True,
                            own_names=[])
    assert result['changed'] is True and result['banned'] == ['203.0.113.2'] and result['batches'] == 0
    assert server.batches == []
    unban = f2b.apply_bans(f2b.Fail2banClient(server), 'pbx', ['203.0.113.1', '203.0.113.9'], state='unbanned',
                           check_mode=True)
    assert unban['unbanned'] == ['203.0.113.1'] and unban['already'] == ['203.0.113.9']
    assert server.banned == ['203.0.113.1']


def test_unban_only_what_is_banned():
    server = FakeServer(banned=['203.0.113.1', '203.0.113.2'])
    result = f2b.apply_bans(f2b.Fail2banClient(server), 'pbx', ['203.0.113.2', '203.0.113.3'], state='unbanned')
    assert result['unbanned'] == ['203.0.113.2'] and result['already'] == ['203.0.113.3']
    assert server.banned == ['203.0.113.1']
    nothing = f2b.apply_bans(f2b.Fail2banClient(server), 'pbx', ['203.0.113.3'], state='unbanned')
    assert nothing['changed'] is False


def test_whitelisted_addresses_are_refused_unless_forced():
    server = FakeServer(ignoreip=['127.0.0.0/8', '192.0.2.0/24', '2001:db8:1::/48'])
    wanted = ['203.0.113.1', '192.0.2.10', '2001:db8:1::7']
    with pytest.raises(f2b.WhitelistedAddresses) as error:
        f2b.apply_bans(f2b.Fail2banClient(server), 'pbx', wanted, own_names=[])
    assert error.value.matches == [('192.0.2.10', '192.0.2.0/24'), ('2001:db8:1::7', '2001:db8:1::/48')]
    assert "192.0.2.10 (by 192.0.2.0/24)" in str(error.value) and 'force' in str(error.value)
    assert server.batches == []
    forced = f2b.apply_bans(f2b.Fail2banClient(server), 'pbx', wanted, force=True)
    assert forced['banned'] == wanted


def test_already_banned_whitelisted_address_needs_no_force():
    server = FakeServer(banned=['192.0.2.10'], ignoreip=['192.0.2.0/24'])
    result = f2b.apply_bans(f2b.Fail2banClient(server), 'pbx', ['192.0.2.10'], own_names=[])
    assert result['changed'] is False


def test_ignoreself_refuses_own_addresses():
    server = FakeServer(ignoreself=True)
    resolver = fake_getaddrinfo({'localhost': ['127.0.0.1', '::1'], 'pbx1.example.com': ['203.0.113.10']})
    with pytest.raises(f2b.WhitelistedAddresses) as error:
        f2b.apply_bans(f2b.Fail2banClient(server), 'pbx', ['203.0.113.10', '::1'], getaddrinfo=resolver,
                       own_names=['localhost', 'pbx1.example.com'])
    assert error.value.matches == [('203.0.113.10', 'ignoreself (pbx1.example.com)'), ('::1', 'ignoreself (localhost)')]


def test_invalid_address_fails_before_any_command():
    server = FakeServer()
    with pytest.raises(ValidationError):
        f2b.apply_bans(f2b.Fail2banClient(server), 'pbx', ['203.0.113.1', '198.51.100.0/24'])
    assert server.batches == []


def test_failed_batch_reports_what_was_done():
    server = FakeServer(fail_on_batch=2)
    wanted = addresses(5)
    with pytest.raises(f2b.Fail2banError) as error:
        f2b.apply_bans(f2b.Fail2banClient(server), 'pbx', wanted, batch_size=2, own_names=[])
    assert error.value.partial['banned'] == wanted[:2]
    assert error.value.partial['changed'] is True
    assert 'disk full' in error.value.message


def test_socket_option_goes_first():
    client = f2b.Fail2banClient(lambda argv: (0, '1\n', ''), binary='/usr/bin/fail2ban-client', socket_path='/tmp/s.sock')
    assert client.argv('set', 'pbx', 'banip', '203.0.113.1') == [
        '/usr/bin/fail2ban-client', '-s', '/tmp/s.sock', 'set', 'pbx', 'banip', '203.0.113.1']
