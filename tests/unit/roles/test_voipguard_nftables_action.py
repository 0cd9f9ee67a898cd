# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The voipguard-nftables.py ban action: its rule builder, and its immediate bans with a recording nftables.

The action in a real fail2ban server, in a private network namespace: tests/integration/roles/test_voipguard_nftables_action_netns.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from role_files import load_role_program, role_file  # noqa: E402  (this folder is put on the path just above)

SYSTEM_PYTHON = '/usr/bin/python3'
DEADLINE = 30
ACTION_FILE = role_file('fail2ban', 'voipguard-nftables.py')
action = load_role_program('fail2ban', 'voipguard-nftables.py', 'voipguard_nftables_action')


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
