# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The voipguard-nftables.py ban action: its rule builder, and the action in a real fail2ban server.

The second half starts the host's fail2ban-server with the action in a private network namespace
(`unshare -n`, root only) and reads the namespace's nftables ruleset: real fail2ban, real nftables.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fake_fail2ban  # noqa: E402
from role_files import load_role_program, role_file  # noqa: E402  (this folder is put on the path just above)

SYSTEM_PYTHON = '/usr/bin/python3'
DEADLINE = 30
ACTION_FILE = role_file('fail2ban', 'voipguard-nftables.py')
action = load_role_program('fail2ban', 'voipguard-nftables.py', 'voipguard_nftables_action', fake_fail2ban.modules())


# -- the rule builder ---------------------------------------------------------------------------

def spec(**options):
    return action.RuleSpec('voipguard-freeswitch', options)


def test_setup_commands_build_nftables_conf_ruleset_for_both_families():
    commands = spec(port='5060,5061,16384:32768', protocol='udp,tcp', blocktype='drop').setup_commands()
    assert commands == [
        'add table inet f2b-table',
        'add chain inet f2b-table f2b-chain { type filter hook input priority -1; }',
        'add set inet f2b-table addr-set-voipguard-freeswitch { type ipv4_addr; }',
        'add rule inet f2b-table f2b-chain meta mark & 0x00100000 == 0 meta l4proto { udp, tcp }'
        ' th dport { 5060, 5061, 16384-32768 } ip saddr @addr-set-voipguard-freeswitch drop',
        'add set inet f2b-table addr6-set-voipguard-freeswitch { type ipv6_addr; }',
        'add rule inet f2b-table f2b-chain meta mark & 0x00100000 == 0 meta l4proto { udp, tcp }'
        ' th dport { 5060, 5061, 16384-32768 } ip6 saddr @addr6-set-voipguard-freeswitch drop',
    ]


def test_whitelist_mark_can_be_switched_off_and_must_be_a_number():
    assert 'mark' not in spec(whitelist_mark='0').setup_commands()[3]
    assert 'meta mark & 0x00000040 == 0 ' in spec(whitelist_mark='64').setup_commands()[3]
    for value in ('lots', '0x100000000', '-1'):
        with pytest.raises(action.ActionConfigError, match='whitelist_mark must be a 32-bit number'):
            spec(whitelist_mark=value)


def test_allports_matches_protocols_only_and_ignores_ports():
    rule = spec(type='allports', port='5060', protocol='tcp,udp').setup_commands()[3]
    assert 'meta l4proto { tcp, udp } ip saddr @addr-set-voipguard-freeswitch reject' in rule
    assert 'dport' not in rule


def test_fail2ban_defaults_and_unknown_options_are_accepted():
    built = spec(chain='<known/chain>', actname='x', port='ssh')
    assert built.ports == ['ssh'] and built.protocols == ['tcp'] and built.blocktype == 'reject'
    assert built.immediate is True


@pytest.mark.parametrize('options, message', [
    ({'port': '5060 } ; flush ruleset'}, 'port'),
    ({'port': '5060;'}, 'port'),
    ({'port': '70000'}, 'outside'),
    ({'port': ''}, 'empty'),
    ({'protocol': 'icmp'}, 'protocol'),
    ({'protocol': 'tcp; flush ruleset'}, 'protocol'),
    ({'blocktype': 'accept'}, 'blocktype'),
    ({'blocktype': 'drop; flush ruleset'}, 'blocktype'),
    ({'type': 'oneport'}, 'type'),
    ({'table': 'f2b table'}, 'table'),
    ({'nft_chain': 'x;y'}, 'nft_chain'),
    ({'chain_priority': 'high'}, 'chain_priority'),
    ({'immediate': 'maybe'}, 'immediate'),
])
def test_values_that_would_build_a_wrong_command_are_refused(options, message):
    with pytest.raises(action.ActionConfigError, match=message):
        spec(**options)


def test_jail_name_must_make_a_set_name():
    with pytest.raises(action.ActionConfigError, match='jail name'):
        action.RuleSpec('bad jail', {})


def test_element_commands_pick_the_set_of_the_address_family():
    built = spec()
    assert built.element_command('add', action.address_family('2001:db8::1'), ['2001:db8::1']) == \
        'add element inet f2b-table addr6-set-voipguard-freeswitch { 2001:db8::1 }'
    assert built.element_command('delete', action.address_family('192.0.2.1'), ['192.0.2.1', '192.0.2.2']) == \
        'delete element inet f2b-table addr-set-voipguard-freeswitch { 192.0.2.1, 192.0.2.2 }'


def test_rule_handles_finds_only_the_rules_of_the_given_sets():
    listing = json.dumps({'nftables': [
        {'metainfo': {'version': '1.0.6'}},
        {'chain': {'name': 'f2b-chain', 'handle': 1}},
        {'rule': {'handle': 4, 'expr': [
            {'match': {'left': {'meta': {'key': 'l4proto'}}, 'right': {'set': ['tcp', 'udp']}}},
            {'match': {'left': {'payload': {'protocol': 'ip', 'field': 'saddr'}}, 'right': '@addr-set-sshd'}},
            {'drop': None}]}},
        {'rule': {'handle': 7, 'expr': [
            {'match': {'left': {'payload': {'protocol': 'ip6', 'field': 'saddr'}}, 'right': '@addr6-set-pbx'}},
            {'drop': None}]}},
    ]})
    assert action.rule_handles(listing, ['addr-set-pbx', 'addr6-set-pbx']) == [7]
    assert action.rule_handles('', ['addr-set-pbx']) == []


# -- immediate bans, with a recording stand-in for libnftables ---------------------------------

class RecordingNftables:
    def __init__(self):
        self.commands = []

    def set_json_output(self, value):
        pass

    def cmd(self, command):
        self.commands.append(command)
        return 0, '', ''


class FakeTicket:
    def __init__(self, address, restored=False, age=0):
        self.address = address
        self.restored = restored
        self.time = time.time() - age

    def getID(self):  # pylint: disable=invalid-name
        return self.address

    def getTime(self):  # pylint: disable=invalid-name
        return self.time


class FakeJail:
    name = 'pbx'

    def __init__(self):
        self.queued = []
        self.filter = type('Filter', (), {'sleeptime': 2})()

    def putFailTicket(self, ticket):  # pylint: disable=invalid-name
        self.queued.append(ticket.getID())


@pytest.fixture
def recorded(monkeypatch):
    nft = RecordingNftables()
    fake_module = type(sys)('nftables')
    fake_module.Nftables = lambda: nft
    monkeypatch.setitem(sys.modules, 'nftables', fake_module)
    return nft


def element_adds(nft):
    return [command for command in nft.commands if command.startswith('add element')]


def test_a_ticket_reaches_the_set_before_the_jail_queue(recorded):
    jail = FakeJail()
    ban_action = action.Action(jail, 'voipguard-nftables', port='5060')
    jail.putFailTicket(FakeTicket('192.0.2.1'))
    assert element_adds(recorded) == [], 'nothing is banned before the action starts'
    ban_action.start()
    jail.putFailTicket(FakeTicket('192.0.2.2'))
    # A restored ban, or failures read from an old log backlog, go through the actions thread: it
    # skips a ban whose bantime already ended, which then must not be in the set either.
    jail.putFailTicket(FakeTicket('192.0.2.3', restored=True))
    jail.putFailTicket(FakeTicket('192.0.2.4', age=action.FRESH_TICKET_SECONDS + 1))
    assert element_adds(recorded) == ['add element inet f2b-table addr-set-pbx { 192.0.2.2 }']
    assert jail.queued == ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'], 'every ticket still reaches the jail'
    # The filter reads new lines without sleeping between its blocking waits for them.
    assert jail.filter.sleeptime == action.IMMEDIATE_FILTER_SLEEPTIME
    assert action.Utils.DEFAULT_SLEEP_INTERVAL == action.IMMEDIATE_SLEEP_INTERVAL


def test_a_ticket_older_than_the_bantime_is_left_to_the_actions_thread(recorded):
    jail = FakeJail()
    jail.actions = type('Actions', (), {'getBanTime': lambda self: 10})()
    ban_action = action.Action(jail, 'voipguard-nftables')
    ban_action.start()
    jail.putFailTicket(FakeTicket('192.0.2.8', age=20))
    jail.putFailTicket(FakeTicket('192.0.2.9', age=1))
    assert element_adds(recorded) == ['add element inet f2b-table addr-set-pbx { 192.0.2.9 }']


def test_reloads_keep_one_hook_and_stop_removes_it(recorded):
    jail = FakeJail()
    first = action.Action(jail, 'voipguard-nftables')
    first.start()
    hook = jail.putFailTicket
    first.reload(port='5060', immediate='true')
    first.start()
    assert jail.putFailTicket is hook, 'a second start must not wrap the hook again'
    jail.putFailTicket(FakeTicket('192.0.2.4'))
    assert len(element_adds(recorded)) == 1
    first.reload(immediate='false')
    jail.putFailTicket(FakeTicket('192.0.2.5'))
    assert len(element_adds(recorded)) == 1, 'immediate = false leaves bans to the actions thread'
    first.stop()
    jail.putFailTicket(FakeTicket('192.0.2.6'))
    assert len(element_adds(recorded)) == 1
    assert jail.queued == ['192.0.2.4', '192.0.2.5', '192.0.2.6']


def test_a_failing_immediate_ban_still_queues_the_ticket(recorded, monkeypatch):
    jail = FakeJail()
    ban_action = action.Action(jail, 'voipguard-nftables')
    ban_action.start()
    monkeypatch.setattr(recorded, 'cmd', lambda command: (1, '', 'Error: Could not process rule'))
    monkeypatch.setattr(ban_action, '_logSys', type('Log', (), {'error': lambda *args: None})(), raising=False)
    jail.putFailTicket(FakeTicket('192.0.2.7'))
    assert jail.queued == ['192.0.2.7']


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
