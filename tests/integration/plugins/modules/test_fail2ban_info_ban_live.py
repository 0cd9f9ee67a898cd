# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fail2ban_info and fail2ban_ban against a real, private fail2ban server.

The server runs from a copy of /etc/fail2ban with its own socket, pidfile, log and database, and jails
whose only action is fail2ban's `dummy` (it appends to a file): the host's firewall is never touched.
Skipped when fail2ban is not installed, unless VOIPGUARD_REQUIRE_FAIL2BAN is set (then it fails).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import socket
import subprocess
import time

import pytest

from ansible_collections.voipguard.pbx.plugins.modules import fail2ban_ban, fail2ban_info

from module_harness import run_module

FAIL2BAN_ETC = '/etc/fail2ban'
START_DEADLINE = 60  # seconds for the server to answer ping on a loaded machine


def _require_fail2ban():
    missing = [name for name in ('fail2ban-server', 'fail2ban-client') if not shutil.which(name)]
    if not os.path.isdir(FAIL2BAN_ETC):
        missing.append(FAIL2BAN_ETC)
    if missing:
        if os.environ.get('VOIPGUARD_REQUIRE_FAIL2BAN'):
            pytest.fail('%s required (VOIPGUARD_REQUIRE_FAIL2BAN is set) but missing' % ', '.join(missing))
        pytest.skip('%s not installed' % ', '.join(missing))


def _client(sock, *command):
    return subprocess.run(['fail2ban-client', '-s', sock] + list(command), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=120, check=False)


class PrivateServer:
    def __init__(self, root):
        self.root = root
        self.socket = str(root / 'f2b.sock')
        self.dummy = {'pbx-live': str(root / 'dummy-pbx-live.txt'), 'pbx-forever': str(root / 'dummy-forever.txt')}

    def banned(self, jail):
        result = _client(self.socket, 'get', jail, 'banip')
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    def action_lines(self, jail):
        if not os.path.exists(self.dummy[jail]):
            return []
        with open(self.dummy[jail]) as handle:
            return [line.strip() for line in handle if line.startswith(('+', '-'))]


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    _require_fail2ban()
    root = tmp_path_factory.mktemp('fail2ban-live')
    conf = root / 'conf'
    shutil.copytree(FAIL2BAN_ETC, str(conf), symlinks=True)
    if (conf / 'jail.local').exists():
        (conf / 'jail.local').unlink()
    # a private database: the default is the host's /var/lib/fail2ban/fail2ban.sqlite3
    (conf / 'fail2ban.local').write_text('[Definition]\ndbfile = %s\n' % (root / 'f2b.sqlite3'))
    (root / 'pbx.log').write_text('')
    private = PrivateServer(root)
    (conf / 'jail.d' / 'zz-live-tests.local').write_text(
        '[sshd]\nenabled = false\n\n'
        '[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 192.0.2.0/28 localhost\n\n'
        '[pbx-live]\nenabled = true\nfilter = sshd\nbackend = polling\nlogpath = {log}\n'
        'maxretry = 3\nfindtime = 10m\nbantime = 1h\naction = dummy[target={live}]\n\n'
        '[pbx-forever]\nenabled = true\nfilter = sshd\nbackend = polling\nlogpath = {log}\n'
        'ignoreself = false\nignoreip = 198.51.100.0/24\nbantime = -1\naction = dummy[target={forever}]\n'
        .format(log=root / 'pbx.log', live=private.dummy['pbx-live'], forever=private.dummy['pbx-forever']))
    log = open(str(root / 'server.out'), 'w')
    process = subprocess.Popen(
        ['fail2ban-server', '-xf', '-c', str(conf), '-s', private.socket, '-p', str(root / 'f2b.pid'),
         '--logtarget', str(root / 'f2b.log'), 'start'], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_DEADLINE
        while _client(private.socket, 'ping').returncode != 0:
            if process.poll() is not None or time.monotonic() > deadline:
                with open(str(root / 'f2b.log')) as handle:
                    pytest.fail('private fail2ban server did not start: %s' % handle.read()[-2000:])
            time.sleep(0.1)
        yield private
    finally:
        _client(private.socket, 'stop')
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def run(tmp_path):
    def _run(module, args, check_mode=False):
        return run_module(module, args, check_mode=check_mode, tmpdir=tmp_path).result
    return _run


def addresses(count, first_octets):
    return ['%s.%d.%d' % (first_octets, n // 250, n % 250 + 1) for n in range(count)]


def test_two_thousand_bans_in_one_call_then_no_change(server, run):
    wanted = addresses(2000, '10.20')
    result = run(fail2ban_ban, dict(jail='pbx-live', addresses=wanted, socket=server.socket))
    assert result.get('failed') is None, result.get('msg')
    assert result['changed'] is True and result['banned'] == wanted and result['batches'] == 4
    banned_now = set(server.banned('pbx-live'))
    assert set(wanted) <= banned_now
    assert set('+' + address for address in wanted) <= set(server.action_lines('pbx-live'))
    again = run(fail2ban_ban, dict(jail='pbx-live', addresses=wanted, socket=server.socket))
    assert again['changed'] is False and again['banned'] == [] and again['already'] == wanted
    assert again['batches'] == 0


def test_check_mode_changes_nothing(server, run):
    wanted = ['203.0.113.201', '2001:DB8::201']
    predicted = run(fail2ban_ban, dict(jail='pbx-live', addresses=wanted, socket=server.socket), check_mode=True)
    assert predicted['changed'] is True and predicted['banned'] == ['203.0.113.201', '2001:db8::201']
    assert not set(predicted['banned']) & set(server.banned('pbx-live'))
    real = run(fail2ban_ban, dict(jail='pbx-live', addresses=wanted, socket=server.socket))
    assert real['banned'] == predicted['banned']
    assert set(real['banned']) <= set(server.banned('pbx-live'))


def test_unban(server, run):
    wanted = addresses(20, '10.30')
    run(fail2ban_ban, dict(jail='pbx-forever', addresses=wanted, socket=server.socket))
    args = dict(jail='pbx-forever', addresses=wanted[:5] + ['10.31.0.1'], state='unbanned', socket=server.socket)
    predicted = run(fail2ban_ban, args, check_mode=True)
    assert predicted['unbanned'] == wanted[:5] and predicted['already'] == ['10.31.0.1']
    result = run(fail2ban_ban, args)
    assert result['changed'] is True and result['unbanned'] == wanted[:5]
    banned_now = server.banned('pbx-forever')
    assert not set(wanted[:5]) & set(banned_now) and set(wanted[5:]) <= set(banned_now)
    assert '-' + wanted[0] in server.action_lines('pbx-forever')
    assert run(fail2ban_ban, args)['changed'] is False


def test_whitelisted_address_refused_unless_forced(server, run):
    args = dict(jail='pbx-live', addresses=['203.0.113.210', '192.0.2.5', '127.0.0.2'], socket=server.socket)
    refused = run(fail2ban_ban, args)
    assert refused['failed'] is True
    assert '192.0.2.5 (by 192.0.2.0/28)' in refused['msg'] and '127.0.0.2 (by 127.0.0.0/8)' in refused['msg']
    assert '203.0.113.210' not in server.banned('pbx-live')
    forced = run(fail2ban_ban, dict(args, force=True))
    assert forced['changed'] is True and forced['banned'] == args['addresses']
    assert {'192.0.2.5', '127.0.0.2'} <= set(server.banned('pbx-live'))


def test_own_jail_whitelist_and_dns_name(server, run):
    # pbx-forever whitelists 198.51.100.0/24 only; the DEFAULT's localhost applies to pbx-live
    refused = run(fail2ban_ban, dict(jail='pbx-forever', addresses=['198.51.100.9'], socket=server.socket))
    assert '198.51.100.9 (by 198.51.100.0/24)' in refused['msg']
    loopback = set(info[4][0] for info in socket.getaddrinfo('localhost', None))
    assert '127.0.0.1' in loopback
    by_name = run(fail2ban_ban, dict(jail='pbx-live', addresses=['::1'], socket=server.socket))
    assert by_name['failed'] is True and '::1 (by ' in by_name['msg']


def test_unknown_jail_fails(server, run):
    result = run(fail2ban_ban, dict(jail='asterisk', addresses=['203.0.113.1'], socket=server.socket))
    assert result['failed'] is True and "no jail named 'asterisk'" in result['msg']


def test_info_of_the_running_server(server, run):
    run(fail2ban_ban, dict(jail='pbx-forever', addresses=['203.0.113.220'], socket=server.socket))
    info = run(fail2ban_info, dict(socket=server.socket), check_mode=True)
    assert info['running'] is True and info['changed'] is False
    assert sorted(info['jail_names']) == ['pbx-forever', 'pbx-live']
    forever = info['jails']['pbx-forever']
    assert '203.0.113.220' in forever['banned']
    assert forever['currently_banned'] == len(forever['banned']) == len(server.banned('pbx-forever'))
    assert forever['bantime'] == -1 and forever['ignoreself'] is False and forever['ignoreip'] == ['198.51.100.0/24']
    live = info['jails']['pbx-live']
    assert (live['maxretry'], live['findtime'], live['bantime']) == (3, 600, 3600)
    assert live['actions'] == ['dummy'] and live['failregex_count'] > 0
    assert live['logpath'] == [str(server.root / 'pbx.log')]
    assert info['totals']['currently_banned'] == forever['currently_banned'] + live['currently_banned']
    only = run(fail2ban_info, dict(socket=server.socket, jails=['pbx-forever', 'nosuch'], include_bans=False))
    assert list(only['jails']) == ['pbx-forever'] and only['missing_jails'] == ['nosuch']
    assert 'banned' not in only['jails']['pbx-forever']


def test_info_when_the_server_is_down(run, tmp_path):
    _require_fail2ban()
    missing = run(fail2ban_info, dict(socket=str(tmp_path / 'none.sock')))
    assert 'failed' not in missing
    assert missing['running'] is False and 'Is fail2ban running?' in missing['reason']
    stale = str(tmp_path / 'stale.sock')  # a socket file nobody listens on, as after a crash
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(stale)
    listener.close()
    refused = run(fail2ban_info, dict(socket=stale))
    assert refused['running'] is False and 'Connection refused' in refused['reason']
    ban = run(fail2ban_ban, dict(jail='pbx-live', addresses=['203.0.113.1'], socket=stale))
    assert ban['failed'] is True and 'not reachable' in ban['msg']
