# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The voipguard-nftables.py ban action: its rule builder, and its immediate bans with a recording nftables.

The action in a real fail2ban server, in a private network namespace: tests/integration/roles/test_voipguard_nftables_action_netns.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import sys
import time

import pytest

import fake_fail2ban
from role_files import load_role_program

action = load_role_program('fail2ban', 'voipguard-nftables.py', 'voipguard_nftables_action', fake_fail2ban.modules('1.0.2'))


def test_the_action_imports_fail2ban_itself_and_has_no_stand_in():
    """Without fail2ban the file does not load: no stand-in for a fail2ban that moved ActionBase."""
    missing = dict((name, None) for name in ('fail2ban', 'fail2ban.server', 'fail2ban.server.action', 'fail2ban.version'))
    with pytest.raises(ImportError):
        load_role_program('fail2ban', 'voipguard-nftables.py', 'voipguard_nftables_without_fail2ban', missing)


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


class Filter:  # pylint: disable=too-few-public-methods
    sleeptime = 2
    active = True


class FakeJail:
    name = 'pbx'

    def __init__(self, log_filter=None):
        self.queued = []
        self.filter = log_filter or Filter()

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
    assert 'putFailTicket' in vars(jail)
    jail.putFailTicket(FakeTicket('192.0.2.2'))
    # A restored ban, or failures read from an old log backlog, go through the actions thread: it
    # skips a ban whose bantime already ended, which then must not be in the set either.
    jail.putFailTicket(FakeTicket('192.0.2.3', restored=True))
    jail.putFailTicket(FakeTicket('192.0.2.4', age=action.FRESH_TICKET_SECONDS + 1))
    assert element_adds(recorded) == ['add element inet f2b-table addr-set-pbx { 192.0.2.2 }']
    assert jail.queued == ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'], 'every ticket still reaches the jail'
    assert vars(jail.filter) == {}, 'a filter of another kind than pyinotify and polling is left as it is'


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
    assert 'putFailTicket' not in vars(jail), 'immediate = false removes the hook'
    jail.putFailTicket(FakeTicket('192.0.2.5'))
    assert len(element_adds(recorded)) == 1, 'immediate = false leaves bans to the actions thread'
    first.reload(immediate='true')
    assert 'putFailTicket' in vars(jail)
    first.stop()
    assert 'putFailTicket' not in vars(jail), 'stop gives the jail its own putFailTicket back'
    jail.putFailTicket(FakeTicket('192.0.2.6'))
    assert len(element_adds(recorded)) == 1
    assert jail.queued == ['192.0.2.4', '192.0.2.5', '192.0.2.6']


def test_two_actions_in_a_jail_share_one_hook_and_the_last_one_out_removes_it(recorded):
    jail = FakeJail()
    multiport = action.Action(jail, 'voipguard-nftables', port='5060')
    allports = action.Action(jail, 'voipguard-nftables-all', type='allports')
    multiport.start()
    allports.start()
    hook = jail.putFailTicket
    jail.putFailTicket(FakeTicket('192.0.2.10'))
    assert element_adds(recorded) == ['add element inet f2b-table addr-set-pbx { 192.0.2.10 }'] * 2
    multiport.stop()
    assert jail.putFailTicket is hook
    allports.stop()
    assert 'putFailTicket' not in vars(jail)
    assert jail.queued == ['192.0.2.10']


def test_a_failing_immediate_ban_still_queues_the_ticket(recorded, monkeypatch):
    jail = FakeJail()
    ban_action = action.Action(jail, 'voipguard-nftables')
    ban_action.start()
    monkeypatch.setattr(recorded, 'cmd', lambda command: (1, '', 'Error: Could not process rule'))
    monkeypatch.setattr(ban_action, '_logSys', type('Log', (), {'error': lambda *args: None})(), raising=False)
    jail.putFailTicket(FakeTicket('192.0.2.7'))
    assert jail.queued == ['192.0.2.7']


# The filter kinds whose waits the adapter shortens, with fail2ban's class names and what fail2ban's
# filter threads call: FilterPoll.getModified(modlst), and the pyinotify notifier's check_events(timeout)
# and read_events() (which fails on an empty queue, as pyinotify's does).

class FilterPoll(Filter):
    def __init__(self):
        self.changes = []

    def getModified(self, modlst):  # pylint: disable=invalid-name
        if self.changes:
            modlst.append(self.changes.pop(0))
        return modlst


class Notifier:
    def __init__(self):
        self.events = []

    def check_events(self, timeout=None):
        time.sleep(min(timeout or 500, 50) / 1000.0)
        return bool(self.events)

    def read_events(self):
        if not self.events:
            raise OSError(22, 'Invalid argument')
        self.events = []


class FilterPyinotify(Filter):
    def __init__(self):
        self._FilterPyinotify__notifier = Notifier()  # pylint: disable=invalid-name


def test_a_polling_filter_checks_often_without_sleeps_while_hooked(recorded):
    log_filter = FilterPoll()
    jail = FakeJail(log_filter)
    log_filter.sleeptime = 0.3
    ban_action = action.Action(jail, 'voipguard-nftables')
    ban_action.start()
    assert set(vars(log_filter)) == {'changes', 'sleeptime', 'getModified'}
    started = time.time()
    modlst = []
    assert log_filter.getModified(modlst) is True and modlst == [], 'a wait without changes ends at sleeptime'
    assert 0.3 <= time.time() - started < 2
    log_filter.changes.append('/var/log/pbx.log')
    assert log_filter.getModified(modlst) is True and modlst == ['/var/log/pbx.log']
    ban_action.stop()
    assert set(vars(log_filter)) == {'changes', 'sleeptime'} and log_filter.sleeptime == 0.3
    assert log_filter.getModified([]) == []


def test_a_pyinotify_filter_never_reports_an_empty_wait_to_fail2ban_while_hooked(recorded):
    log_filter = FilterPyinotify()
    notifier = log_filter._FilterPyinotify__notifier  # pylint: disable=protected-access
    jail = FakeJail(log_filter)
    ban_action = action.Action(jail, 'voipguard-nftables')
    ban_action.start()
    assert set(vars(notifier)) == {'events', 'check_events', 'read_events'}
    assert notifier.check_events(timeout=10) is True, 'an empty wait counts as an event: no sleep follows'
    notifier.read_events()  # and reading nothing is skipped
    notifier.events.append('IN_MODIFY')
    assert notifier.check_events(timeout=10) is True
    notifier.read_events()
    assert notifier.events == []
    ban_action.stop()
    assert set(vars(notifier)) == {'events'} and set(vars(log_filter)) == {'_FilterPyinotify__notifier'}
    assert notifier.check_events(timeout=10) is False


def test_a_running_pyinotify_filter_puts_its_notifier_back_itself_and_a_new_hook_never_wraps_the_old(recorded):
    log_filter = FilterPyinotify()
    log_filter.is_alive = lambda: True  # the filter's thread runs
    notifier = log_filter._FilterPyinotify__notifier  # pylint: disable=protected-access
    jail = FakeJail(log_filter)
    ban_action = action.Action(jail, 'voipguard-nftables')
    ban_action.start()
    assert notifier.check_events(timeout=10) is True, 'a wait reported as an event...'
    ban_action.stop()
    assert 'putFailTicket' not in vars(jail)
    assert set(vars(notifier)) == {'events', 'check_events', 'read_events'}, 'the filter thread may be between the two'
    notifier.read_events()  # ...is followed by a read, which must still be skipped
    assert notifier.check_events(timeout=10) is False, 'the next wait is fail2ban\'s own again'
    assert set(vars(notifier)) == {'events'}

    ban_action.start()
    assert notifier.check_events(timeout=10) is True
    notifier.read_events()
    ban_action.reload(immediate='false')
    ban_action.reload(immediate='true')  # before the filter's next wait put the notifier back
    assert notifier.check_events(timeout=10) is True
    notifier.read_events()
    notifier.events.append('IN_MODIFY')
    assert notifier.check_events(timeout=10) is True
    notifier.read_events()
    assert notifier.events == [], 'a real event is read'
    ban_action.stop()
    assert notifier.check_events(timeout=10) is False and set(vars(notifier)) == {'events'}


def test_an_uncovered_fail2ban_gets_no_hook_and_one_warning(recorded, caplog):
    other = load_role_program('fail2ban', 'voipguard-nftables.py', 'voipguard_nftables_other',
                              fake_fail2ban.modules('1.0.3'))
    jails = [FakeJail(FilterPoll()), FakeJail(FilterPyinotify())]
    actions = [other.Action(jail, 'voipguard-nftables') for jail in jails]
    for ban_action in actions:
        ban_action.start()
        ban_action.reload(immediate='true')
    for jail in jails:
        assert 'putFailTicket' not in vars(jail)
        jail.putFailTicket(FakeTicket('192.0.2.11'))
    assert set(vars(jails[0].filter)) == {'changes'}
    assert set(vars(jails[1].filter._FilterPyinotify__notifier)) == {'events'}  # pylint: disable=protected-access
    assert element_adds(recorded) == [], 'bans wait for the actions thread'
    actions[0].ban({'ip': '192.0.2.11'})
    assert element_adds(recorded) == ['add element inet f2b-table addr-set-pbx { 192.0.2.11 }']
    warnings = [record.getMessage() for record in caplog.records if record.levelname == 'WARNING']
    assert warnings == ["voipguard-nftables.py: no immediate bans with fail2ban 1.0.3 (tested with 0.11.2, 1.0.2, "
                        "1.1.0): bans wait for fail2ban's actions thread"]
    for ban_action in actions:
        ban_action.stop()
