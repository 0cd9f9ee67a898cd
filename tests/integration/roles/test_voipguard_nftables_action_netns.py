# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The voipguard-nftables.py ban action in a real fail2ban server: the host's fail2ban-server runs with the action in a
private network namespace (`unshare -n`, root only), and the tests read the namespace's nftables ruleset: real
fail2ban, real nftables. The rule builder and the immediate bans: tests/unit/roles/test_voipguard_nftables_action.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import subprocess
import time

import pytest

from role_files import load_role_program, role_file

SYSTEM_PYTHON = '/usr/bin/python3'
DEADLINE = 30
ACTION_FILE = role_file('fail2ban', 'voipguard-nftables.py')
action = load_role_program('fail2ban', 'voipguard-nftables.py', 'voipguard_nftables_action')


# -- the action in a real fail2ban server, in a private network namespace ----------------------

FILTER = '[Definition]\nfailregex = ^FAIL <HOST>$\ndatepattern = {NONE}\n'
JAIL_LOCAL = """[DEFAULT]
banaction = voipguard-nftables.py[blocktype=drop]
banaction_allports = voipguard-nftables.py[type=allports, blocktype=drop]
ignoreip = 127.0.0.1/8 192.0.2.99
backend = polling
[sshd]
enabled = false
[pbx]
enabled = true
filter = unit-fail
logpath = {log}
maxretry = 3
port = 5060,5061
protocol = udp,tcp
[pbx-all]
enabled = true
filter = unit-fail
logpath = {log}
maxretry = 3
banaction = %(banaction_allports)s
protocol = tcp,udp
"""


def have_netns_fail2ban():
    if os.geteuid() != 0 or not shutil.which('unshare') or not shutil.which('nsenter'):
        return 'root with unshare and nsenter'
    if not shutil.which('fail2ban-server') or not os.path.isdir('/etc/fail2ban'):
        return 'fail2ban-server'
    if subprocess.call([SYSTEM_PYTHON, '-c', 'import nftables, fail2ban'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0:
        return 'python3-nftables'
    if subprocess.call(['unshare', '-n', 'nft', 'list', 'ruleset'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        return 'a network namespace where nft works'
    return None


class NetnsFail2ban:
    """fail2ban-server in the foreground, alone in a new network namespace."""

    def __init__(self, root):
        self.root = root
        self.conf = os.path.join(root, 'conf')
        self.log = os.path.join(root, 'pbx.log')
        self.socket = os.path.join(root, 'fail2ban.sock')
        self.server = None
        shutil.copytree('/etc/fail2ban', self.conf, symlinks=True)
        for name in os.listdir(os.path.join(self.conf, 'jail.d')):
            os.unlink(os.path.join(self.conf, 'jail.d', name))
        shutil.copy(ACTION_FILE, os.path.join(self.conf, 'action.d'))
        self.write('filter.d/unit-fail.conf', FILTER)
        self.write('fail2ban.local', '[Definition]\ndbfile = %s/fail2ban.sqlite3\nlogtarget = %s/fail2ban.log\n' % (root, root))
        self.write('jail.local', JAIL_LOCAL.format(log=self.log))
        open(self.log, 'w').close()

    def write(self, name, text):
        with open(os.path.join(self.conf, name), 'w') as handle:
            handle.write(text)

    def start(self):
        self.server = subprocess.Popen(
            ['unshare', '-n', 'fail2ban-server', '-f', '-x', '-c', self.conf, '-s', self.socket,
             '-p', os.path.join(self.root, 'fail2ban.pid')],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self.client('ping', check=False).returncode == 0, 'fail2ban answers')

    def client(self, *args, check=True):
        return subprocess.run(['fail2ban-client', '-c', self.conf, '-s', self.socket] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              check=check, timeout=60)

    def nft(self, *args):
        return subprocess.run(['nsenter', '--net=/proc/%d/ns/net' % self.server.pid, 'nft'] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              check=False, timeout=30).stdout

    def in_set(self, set_name):
        listing = self.nft('-j', 'list', 'set', 'inet', 'f2b-table', set_name)
        return set(action.set_elements(listing if listing.startswith('{') else ''))

    def banned(self, jail):
        return set(self.client('get', jail, 'banned').stdout.replace(',', ' ').replace("'", ' ')
                   .replace('[', ' ').replace(']', ' ').split())

    def fail(self, address, times=3):
        with open(self.log, 'a') as handle:
            handle.write(('FAIL %s\n' % address) * times)

    def stop(self):
        if self.server and self.server.poll() is None:
            self.client('stop', check=False)
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()


def wait_until(condition, what, deadline=DEADLINE):
    end = time.time() + deadline
    while time.time() < end:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError('not within %ss: %s' % (deadline, what))


@pytest.fixture
def netns_fail2ban(tmp_path):
    missing = have_netns_fail2ban()
    if missing:
        if os.environ.get('VOIPGUARD_REQUIRE_FAIL2BAN'):
            pytest.fail('%s required (VOIPGUARD_REQUIRE_FAIL2BAN is set) but missing' % missing)
        pytest.skip('%s missing' % missing)
    server = NetnsFail2ban(str(tmp_path))
    server.start()
    yield server
    server.stop()


def test_found_attackers_are_in_the_sets_and_whitelisted_ones_never(netns_fail2ban):
    f2b = netns_fail2ban
    f2b.fail('198.51.100.7')
    f2b.fail('2001:db8::5')
    f2b.fail('192.0.2.99', times=10)
    wait_until(lambda: f2b.in_set('addr-set-pbx') == {'198.51.100.7'}, 'IPv4 attacker in the pbx set')
    wait_until(lambda: f2b.in_set('addr6-set-pbx') == {'2001:db8::5'}, 'IPv6 attacker in the pbx set')
    wait_until(lambda: {'198.51.100.7', '2001:db8::5'} <= f2b.banned('pbx'), 'fail2ban records both bans')
    wait_until(lambda: f2b.in_set('addr-set-pbx-all') == {'198.51.100.7'}, 'attacker in the all-ports set')
    assert '192.0.2.99' not in f2b.banned('pbx') | f2b.in_set('addr-set-pbx')
    ruleset = f2b.nft('list', 'chain', 'inet', 'f2b-table', 'f2b-chain')
    # nft prints adjacent ports as a range when the set also holds one.
    assert re.search(r'th dport \{ 5060(, |-)5061 \} ip saddr @addr-set-pbx drop', ruleset), ruleset
    assert 'meta l4proto { tcp, udp } ip saddr @addr-set-pbx-all drop' in ruleset, ruleset


def test_bulk_bans_survive_a_reload_and_a_restart_and_unban_removes(netns_fail2ban):
    f2b = netns_fail2ban
    addresses = ['10.%d.%d.%d' % (i >> 16 & 255, i >> 8 & 255, i & 255) for i in range(1, 1001)]
    for start in range(0, len(addresses), 500):
        f2b.client('set', 'pbx', 'banip', *addresses[start:start + 500])
    wait_until(lambda: f2b.in_set('addr-set-pbx') == set(addresses), '1,000 addresses in the set')

    # A plain reload must keep the action and its bans (fail2ban drops actions it cannot reload).
    f2b.client('reload')
    assert f2b.in_set('addr-set-pbx') == set(addresses)

    f2b.client('set', 'pbx', 'unbanip', addresses[0])
    wait_until(lambda: addresses[0] not in f2b.in_set('addr-set-pbx'), 'unbanned address leaves the set')

    f2b.client('reload', '--restart', 'pbx')
    wait_until(lambda: f2b.in_set('addr-set-pbx') == set(addresses[1:]), 'bans restored from the database')
    rules = [line for line in f2b.nft('list', 'chain', 'inet', 'f2b-table', 'f2b-chain').splitlines()
             if '@addr-set-pbx ' in line]
    assert len(rules) == 1, rules


def test_reload_with_new_ports_rebuilds_the_rule_and_keeps_the_bans(netns_fail2ban):
    f2b = netns_fail2ban
    f2b.client('set', 'pbx', 'banip', '198.51.100.20')
    wait_until(lambda: f2b.in_set('addr-set-pbx') == {'198.51.100.20'}, 'ban in the set')
    f2b.write('jail.local', JAIL_LOCAL.format(log=f2b.log).replace('port = 5060,5061', 'port = 5080'))
    f2b.client('reload')
    ruleset = f2b.nft('list', 'chain', 'inet', 'f2b-table', 'f2b-chain')
    assert 'th dport 5080 ip saddr @addr-set-pbx drop' in ruleset, ruleset
    assert '5060' not in ruleset, ruleset
    assert f2b.in_set('addr-set-pbx') == {'198.51.100.20'}


def test_stopping_the_jails_removes_their_rules_sets_and_the_table(netns_fail2ban):
    f2b = netns_fail2ban
    f2b.client('set', 'pbx', 'banip', '198.51.100.30')
    wait_until(lambda: f2b.in_set('addr-set-pbx') == {'198.51.100.30'}, 'ban in the set')
    f2b.client('stop', 'pbx')
    ruleset = f2b.nft('list', 'ruleset')
    assert 'addr-set-pbx ' not in ruleset and 'addr-set-pbx-all' in ruleset, ruleset
    f2b.client('stop', 'pbx-all')
    assert 'f2b-table' not in f2b.nft('list', 'ruleset')
