# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""voipguard-sip-trust (roles/freeswitch/files/voipguard-sip-trust.py): what it reads from FreeSWITCH, what it
trusts, and how it keeps fail2ban's ignore lists in step.

FreeSWITCH's answers are fixtures captured from real FreeSWITCH 1.10.12 (fixtures/sip_trust/*.1.10.12.*:
vanilla configuration of the test-bed image, phone 1000 registered) plus hand-written variants; fail2ban is a
fake that behaves as its server does (a reload resets a jail's list to the configured entries).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from role_files import load_role_program  # noqa: E402  (this folder is put on the path just above)

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, 'fixtures', 'sip_trust')
NOW = 1796024188.0

trust = load_role_program('freeswitch', 'voipguard-sip-trust.py', 'voipguard_sip_trust')


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8') as handle:
        return handle.read()


# --- reading FreeSWITCH ------------------------------------------------------------------------------

def test_registrations_of_real_freeswitch():
    rows = trust.parse_registrations(fixture('registrations.1.10.12.json'), NOW)
    assert rows == [{'address': '172.28.40.20', 'user': '1000@pbx.example.com', 'live': True}]


def test_expired_registration_is_not_live_and_bad_rows_are_skipped():
    text = json.dumps({'row_count': 3, 'rows': [
        {'reg_user': '1001', 'realm': 'a', 'network_ip': '192.0.2.9', 'expires': str(int(NOW) - 1)},
        {'reg_user': '1002', 'realm': 'a', 'network_ip': 'not-an-address', 'expires': str(int(NOW) + 60)},
        {'reg_user': '1003', 'realm': 'a', 'network_ip': '2001:DB8::0:7', 'expires': str(int(NOW) + 60)},
    ]})
    assert trust.parse_registrations(text, NOW) == [
        {'address': '192.0.2.9', 'user': '1001@a', 'live': False},
        {'address': '2001:db8::7', 'user': '1003@a', 'live': True},
    ]
    assert trust.parse_registrations('{"row_count": 0}', NOW) == []
    with pytest.raises(trust.TrustError, match='no JSON'):
        trust.parse_registrations('-ERR no reply', NOW)


def test_gateways_of_real_freeswitch():
    assert trust.parse_gateways(fixture('gateways.1.10.12.xml')) == [('example.com', 'example.com')]


@pytest.mark.parametrize('uri,host', [
    ('sip:carrier.example.com', 'carrier.example.com'),
    ('sip:203.0.113.5:5080;transport=udp', '203.0.113.5'),
    ('sips:user@[2001:db8::5]:5061', '2001:db8::5'),
    ('203.0.113.6', '203.0.113.6'),
    ('<sip:gw.example.net>', 'gw.example.net'),
    ('', None),
])
def test_proxy_host(uri, host):
    assert trust.proxy_host(uri) == host


def test_real_vanilla_configuration_trusts_no_network():
    wanted = trust.profile_acl_names(fixture('sofia.conf.1.10.12.xml'))
    assert wanted == {'domains': ['internal-ipv6', 'internal']}
    trusted, skipped = trust.acl_networks(trust.parse_acl_lists(fixture('acl.conf.1.10.12.xml')), wanted,
                                          {'ipv4': 16, 'ipv6': 32})
    assert trusted == []
    assert skipped == [('acl domains domain pbx.example.com', "users' cidr params are not read")]


ACL = '''<configuration name="acl.conf"><network-lists>
  <list name="carriers" default="deny">
    <node type="allow" cidr="203.0.113.0/28"/>
    <node type="deny" cidr="203.0.113.8/30"/>
    <node type="allow" cidr="2001:db8:5::/48"/>
    <node type="deny" cidr="198.51.0.0/16"/>
    <node type="allow" cidr="198.51.100.7/32"/>
  </list>
  <list name="wide" default="deny"><node type="allow" cidr="10.0.0.0/8"/></list>
  <list name="lan" default="allow"><node type="deny" cidr="192.168.0.0/16"/></list>
  <list name="same" default="deny"><node type="allow" cidr="192.0.2.0/24"/><node type="deny" cidr="192.0.2.0/24"/></list>
  <list name="junk" default="deny"><node type="allow" cidr="nonsense"/></list>
</network-lists></configuration>'''


def test_acl_networks_follow_freeswitch_most_specific_match():
    lists = trust.parse_acl_lists(ACL)
    wanted = {'carriers': ['external'], 'wide': ['external'], 'lan': ['internal'], 'same': ['external'],
              'junk': ['external'], 'rfc1918.auto': ['internal']}
    trusted, skipped = trust.acl_networks(lists, wanted, {'ipv4': 16, 'ipv6': 32})
    assert [entry for entry, _reason in trusted] == [
        '203.0.113.0/29', '203.0.113.12/30',     # the /28 without its denied /30
        '2001:db8:5::/48',
        '198.51.100.7',                          # a broader deny loses against the more specific allow
    ]
    assert trusted[0][1] == 'acl carriers (profiles external) allows 203.0.113.0/28'
    assert dict(skipped) == {
        'acl junk nonsense': 'no prefix length (FreeSWITCH refuses it)',
        'acl lan': 'allows by default: everything but its deny nodes is too broad to trust',
        'acl rfc1918.auto': 'not in acl.conf (built-in lists such as rfc1918.auto are not read)',
        'acl wide 10.0.0.0/8': 'broader than /16',
    }


def test_xml_that_is_not_xml_is_an_error():
    with pytest.raises(trust.TrustError, match="acl.conf is not XML.*can't find anything"):
        trust.parse_acl_lists("can't find anything\n")


# --- what is trusted ---------------------------------------------------------------------------------

def test_history_keeps_addresses_for_the_window_only():
    history = {'192.0.2.1': {'last_seen': NOW - 100, 'user': 'a@x'}, '192.0.2.2': {'last_seen': NOW - 4000, 'user': 'b@x'}}
    live = [{'address': '192.0.2.3', 'user': 'c@x', 'live': True}, {'address': '192.0.2.4', 'user': 'd@x', 'live': False}]
    updated = trust.update_history(history, live, NOW, 3600)
    assert updated == {'192.0.2.1': {'last_seen': NOW - 100, 'user': 'a@x'}, '192.0.2.3': {'last_seen': NOW, 'user': 'c@x'}}
    assert trust.update_history(updated, [], NOW + 3600, 0) == {}


BROADEST = {'ipv4': 16, 'ipv6': 32}


def test_trusted_entries_carry_their_reasons():
    history = {'192.0.2.1': {'last_seen': NOW - 7200, 'user': 'a@x'}, '192.0.2.3': {'last_seen': NOW, 'user': 'c@x'}}
    live = [{'address': '192.0.2.3', 'user': 'c@x', 'live': True}]
    entries, refused = trust.trusted_entries(history, live, [('192.0.2.3', 'gateway gw (proxy 192.0.2.3)')],
                                             [('203.0.113.0/29', 'acl carriers ...')], NOW, BROADEST)
    assert entries == {
        '192.0.2.1': ['registered 2h ago: a@x'],
        '192.0.2.3': ['registered now: c@x', 'gateway gw (proxy 192.0.2.3)'],
        '203.0.113.0/29': ['acl carriers ...'],
    }
    assert refused == []


def test_no_source_can_make_it_trust_a_huge_network():
    entries, refused = trust.trusted_entries({}, [], [('10.0.0.0/8', 'gateway typo')], [('2001:db8::/16', 'acl x')],
                                             NOW, BROADEST)
    assert entries == {} and [entry for entry, _why in refused] == ['10.0.0.0/8', '2001:db8::/16']


@pytest.mark.parametrize('text,stored', [
    ('192.0.2.7/32', '192.0.2.7'), ('::ffff:192.0.2.7', '192.0.2.7'), ('::ffff:192.0.2.0/120', '192.0.2.0/24'),
    ('2001:DB8::7', '2001:db8::7'), ('0.0.0.0/0', None), ('::/0', None), ('example.com', None),
])
def test_canonical_is_how_fail2ban_stores_it(text, stored):
    assert trust.canonical(text) == stored


ACL_AS_FREESWITCH_READS_IT = '''<configuration name="acl.conf"><network-lists>
  <list name="notype" default="deny"><node cidr="198.51.100.0/24"/></list>
  <list name="noword" default="deny"><node type="allow" cidr="198.51.100.0/24"/><node type="reject" cidr="198.51.100.64/26"/></list>
  <list name="comma" default="deny"><node type="allow" cidr="198.51.100.0/24"/><node type="deny" cidr="198.51.100.0/26, 198.51.100.64/26"/></list>
  <list name="hostmask" default="deny"><node type="allow" cidr="198.51.100.0/24"/><node type="deny" host="198.51.100.128" mask="255.255.255.128"/></list>
  <list name="nodefault"><node type="deny" cidr="198.51.100.0/24"/></list>
  <list name="noslash" default="deny"><node type="allow" cidr="198.51.100.9"/></list>
  <list name="both" default="deny"><node type="allow" domain="pbx.example.com" cidr="198.51.100.0/24"/></list>
  <list name="baddeny" default="deny"><node type="allow" cidr="198.51.100.0/24"/><node type="deny" cidr="198.51.100.x/26"/></list>
  <list name="ports" default="deny"><node type="allow" cidr="198.51.100.0/24" port="5060"/></list>
  <list name="spaces" default="deny"><node type="allow" cidr=" 203.0.113.0/24 "/></list>
</network-lists></configuration>'''


def test_acl_lists_are_read_with_freeswitchs_own_rules():
    lists = trust.parse_acl_lists(ACL_AS_FREESWITCH_READS_IT)
    trusted, skipped = trust.acl_networks(lists, dict((name, ['p']) for name in lists), BROADEST)
    by_list = {}
    for entry, reason in trusted:
        by_list.setdefault(reason.split(' ')[1], []).append(entry)
    assert by_list == {
        'noword': ['198.51.100.0/26', '198.51.100.128/25'],          # "reject" is not a true word: deny
        'comma': ['198.51.100.128/25'],                              # both networks of the comma list denied
        'hostmask': ['198.51.100.0/25'],
        'spaces': ['203.0.113.0/24'],
    }
    skipped = dict(skipped)
    assert 'notype' not in by_list, 'a node without type takes the default: deny'
    assert skipped['acl nodefault'].startswith('allows by default'), 'a list without default allows'
    assert skipped['acl noslash 198.51.100.9'] == 'no prefix length (FreeSWITCH refuses it)'
    assert skipped['acl both domain pbx.example.com'] == "users' cidr params are not read"
    assert skipped['acl baddeny'].startswith('a deny node cannot be read: 198.51.100.x/26')
    assert skipped['acl ports 198.51.100.0/24'] == 'allowed on some ports only'


SENTINEL = trust.SENTINEL


def test_plan_adds_what_is_missing_and_removes_only_its_own_entries():
    current, owned = ['127.0.0.0/8', '192.0.2.9', '192.0.2.1', SENTINEL], {'192.0.2.1', '192.0.2.9', SENTINEL}
    to_add, to_remove, owned = trust.plan_sync(current, owned, {'192.0.2.1': [], '203.0.113.0/29': []})
    assert (to_add, to_remove, owned) == (['203.0.113.0/29'], ['192.0.2.9'], {'192.0.2.1', '192.0.2.9', SENTINEL})


def test_plan_after_a_reload_owns_nothing_it_finds():
    # Reloaded (no sentinel): 192.0.2.1 is in the configuration now, so it is never removed, even when the
    # service stops trusting it.
    to_add, to_remove, owned = trust.plan_sync(['127.0.0.0/8', '192.0.2.1/32'], {'192.0.2.1', SENTINEL}, {})
    assert (to_add, to_remove, owned) == ([SENTINEL], [], set())


class FakeFail2ban:
    """fail2ban's server as the service sees it: per-jail ignore lists, reload resets them."""

    def __init__(self, configured):
        self.configured = {jail: list(entries) for jail, entries in configured.items()}
        self.lists = {jail: list(entries) for jail, entries in configured.items()}
        self.calls = []
        self.fail_on = None
        self.bans = {}

    def _jail(self, jail):
        if jail not in self.lists:
            raise trust.TrustError("fail2ban refused get %s ignoreip: UnknownJailException('%s')" % (jail, jail))
        return self.lists[jail]

    def ignore_list(self, jail):
        return list(self._jail(jail))

    def add(self, jail, entry):
        if entry == self.fail_on:
            raise trust.TrustError('fail2ban does not answer')
        self.calls.append(('add', jail, entry))
        self._jail(jail).append(entry)

    def remove(self, jail, entry):
        self.calls.append(('remove', jail, entry))
        self._jail(jail).remove(entry)

    def banned(self, jail):
        self._jail(jail)
        return list(self.bans.get(jail, []))

    def unban(self, jail, address):
        self.calls.append(('unban', jail, address))
        self.bans[jail].remove(address)

    def reload(self):
        self.lists = {jail: list(entries) for jail, entries in self.configured.items()}


class FakeFreeSwitch:
    def __init__(self, registrations=None, fail=()):
        self.registrations = registrations if registrations is not None else fixture('registrations.1.10.12.json')
        self.fail = fail

    def api(self, command):
        if any(command.startswith(prefix) for prefix in self.fail):
            raise trust.TrustError("fs_cli -x '%s' failed: [ERROR] fs_cli.c:1699 main() Error Connecting []" % command)
        if command == 'show registrations as json':
            return self.registrations
        if command == 'sofia xmlstatus gateway':
            return '<gateways><gateway><name>carrier</name><proxy>sip:carrier.example.net</proxy></gateway></gateways>'
        if command.endswith('name sofia.conf'):
            return ('<configuration name="sofia.conf"><profiles><profile name="external"><settings>'
                    '<param name="apply-inbound-acl" value="carriers"/></settings></profile></profiles></configuration>')
        if command.endswith('name acl.conf'):
            return ACL
        raise AssertionError(command)


def resolver(host, port):
    assert host == 'carrier.example.net'
    return [(socket.AF_INET, socket.SOCK_DGRAM, 0, '', ('198.51.100.30', 0)),
            (socket.AF_INET6, socket.SOCK_DGRAM, 0, '', ('2001:db8::30', 0, 0, 0))]


def make_service(tmp_path, fail2ban=None, freeswitch=None, clock=lambda: NOW, **settings):
    config = dict(trust.DEFAULT_CONFIG, jails=['voipguard-freeswitch', 'voipguard-freeswitch-ip'],
                  state_file=str(tmp_path / 'state.json'))
    config.update(settings)
    fail2ban = fail2ban or FakeFail2ban({'voipguard-freeswitch': ['127.0.0.0/8'], 'voipguard-freeswitch-ip': ['127.0.0.0/8']})
    return trust.Service(config, freeswitch or FakeFreeSwitch(), fail2ban, resolve=resolver, clock=clock), fail2ban


TRUSTED = ['172.28.40.20', '198.51.100.30', '198.51.100.7', '2001:db8::30', '2001:db8:5::/48', '203.0.113.0/29',
           '203.0.113.12/30']
EXPECTED = sorted(['127.0.0.0/8', SENTINEL] + TRUSTED)


def test_service_trusts_registrations_gateways_and_acl_networks(tmp_path):
    service, fail2ban = make_service(tmp_path)
    service.run(once=True)
    for jail in ('voipguard-freeswitch', 'voipguard-freeswitch-ip'):
        assert sorted(fail2ban.lists[jail]) == EXPECTED
    state = json.loads((tmp_path / 'state.json').read_text())
    reasons = dict((item['entry'], item['reasons']) for item in state['trusted'])
    assert reasons['172.28.40.20'] == ['registered now: 1000@pbx.example.com']
    assert reasons['198.51.100.30'] == ['gateway carrier (proxy carrier.example.net)']
    assert state['jails'] == {'voipguard-freeswitch': 'synced', 'voipguard-freeswitch-ip': 'synced'}
    assert state['owned']['voipguard-freeswitch'] == sorted(set(EXPECTED) - {'127.0.0.0/8'})
    assert oct(os.stat(str(tmp_path / 'state.json')).st_mode & 0o777) == '0o600'
    assert state['errors'] == {}


def test_second_pass_changes_nothing(tmp_path):
    service, fail2ban = make_service(tmp_path)
    service.run(once=True)
    calls = len(fail2ban.calls)
    assert service.sync() is False
    assert len(fail2ban.calls) == calls


def test_reload_drops_the_entries_and_the_next_pass_restores_them(tmp_path):
    service, fail2ban = make_service(tmp_path)
    service.run(once=True)
    fail2ban.reload()
    assert fail2ban.lists['voipguard-freeswitch'] == ['127.0.0.0/8']
    service.sync()
    assert sorted(fail2ban.lists['voipguard-freeswitch']) == EXPECTED


def test_an_address_no_longer_trusted_is_removed_but_a_configured_one_stays(tmp_path):
    configured = {'voipguard-freeswitch': ['127.0.0.0/8', '198.51.100.30'], 'voipguard-freeswitch-ip': ['127.0.0.0/8']}
    clock = [NOW]
    service, fail2ban = make_service(tmp_path, fail2ban=FakeFail2ban(configured), clock=lambda: clock[0],
                                     registration_window=600)
    service.run(once=True)
    # The phone unregistered; eleven minutes later its window is over; the gateway is gone too.
    service.freeswitch.registrations = '{"row_count": 0}'
    service.config['sources'] = dict(service.config['sources'], gateways=False)
    clock[0] = NOW + 660
    service.refresh()
    service.sync()
    assert '172.28.40.20' not in fail2ban.lists['voipguard-freeswitch']
    assert '198.51.100.30' in fail2ban.lists['voipguard-freeswitch'], 'the configuration lists it: kept'
    assert '198.51.100.30' not in fail2ban.lists['voipguard-freeswitch-ip']


def test_recently_registered_address_stays_trusted_across_a_restart_of_the_service(tmp_path):
    service, fail2ban = make_service(tmp_path)
    service.run(once=True)
    later = NOW + 3600
    restarted, _fail2ban = make_service(tmp_path, fail2ban=fail2ban, freeswitch=FakeFreeSwitch(registrations='{"row_count": 0}'),
                                        clock=lambda: later)
    restarted.refresh()
    assert restarted.entries['172.28.40.20'] == ['registered 1h ago: 1000@pbx.example.com']
    # It knows what its previous run added, so it can take it back later.
    assert restarted.owned['voipguard-freeswitch'] >= {'172.28.40.20', SENTINEL}


def test_freeswitch_down_keeps_the_last_answer_and_reports_it(tmp_path):
    service, fail2ban = make_service(tmp_path)
    service.run(once=True)
    service.freeswitch.fail = ('show', 'sofia', 'xml_locate')
    service.refresh()
    service.sync()
    assert sorted(fail2ban.lists['voipguard-freeswitch']) == EXPECTED
    assert set(service.errors) == {'registrations', 'gateways', 'acls'}
    assert 'Error Connecting' in service.errors['acls']


def test_a_missing_jail_is_reported_and_the_others_synced(tmp_path):
    service, fail2ban = make_service(tmp_path, jails=['voipguard-freeswitch', 'no-such-jail'])
    service.run(once=True)
    assert service.jail_status['voipguard-freeswitch'] == 'synced'
    assert 'UnknownJail' in service.jail_status['no-such-jail']


def test_a_failure_halfway_still_knows_what_it_added(tmp_path):
    service, fail2ban = make_service(tmp_path, jails=['voipguard-freeswitch'])
    fail2ban.fail_on = '2001:db8::30'
    service.run(once=True)
    added = set(fail2ban.lists['voipguard-freeswitch']) - {'127.0.0.0/8'}
    assert SENTINEL in added and service.owned['voipguard-freeswitch'] == added
    assert service.jail_status['voipguard-freeswitch'] == 'fail2ban does not answer'
    fail2ban.fail_on = None
    service.sync()
    assert sorted(fail2ban.lists['voipguard-freeswitch']) == EXPECTED


def test_sources_switched_off_trust_nothing(tmp_path):
    service, fail2ban = make_service(tmp_path, sources={'registrations': False, 'gateways': False, 'acls': False})
    service.run(once=True)
    assert fail2ban.lists['voipguard-freeswitch'] == ['127.0.0.0/8', SENTINEL]


def test_unknown_settings_are_refused(tmp_path):
    path = tmp_path / 'config.json'
    path.write_text(json.dumps({'jails': ['x'], 'registration_windw': 5}))
    with pytest.raises(trust.TrustError, match='unknown settings registration_windw'):
        trust.load_config(str(path))
    assert trust.main(['--config', str(path), '--once']) == 2


def test_a_gateway_whose_name_does_not_resolve_is_skipped_not_an_error(tmp_path):
    def no_dns(host, port):
        raise socket.gaierror(-2, 'Name or service not known')
    config = dict(trust.DEFAULT_CONFIG, jails=['voipguard-freeswitch'], state_file=str(tmp_path / 'state.json'))
    service = trust.Service(config, FakeFreeSwitch(), FakeFail2ban({'voipguard-freeswitch': []}), resolve=no_dns,
                            clock=lambda: NOW)
    service.run(once=True)
    state = json.loads((tmp_path / 'state.json').read_text())
    assert state['errors'] == {}
    assert {'entry': 'gateway carrier (proxy carrier.example.net)',
            'reason': 'cannot resolve: [Errno -2] Name or service not known'} in state['skipped']


def test_a_gateway_keeps_its_last_addresses_while_its_name_does_not_resolve(tmp_path):
    service, fail2ban = make_service(tmp_path, dns_cache_seconds=-1)
    service.run(once=True)

    def no_dns(host, port):
        raise socket.gaierror(-3, 'Temporary failure in name resolution')
    service.resolve = no_dns
    service.refresh()
    assert service.entries['198.51.100.30'] == ['gateway carrier (proxy carrier.example.net)']
    assert ('gateway carrier (proxy carrier.example.net)',
            'cannot resolve: [Errno -3] Temporary failure in name resolution (its last addresses kept)') in service.skipped


def test_a_gateway_whose_proxy_is_a_network_is_not_trusted(tmp_path):
    class NetworkProxy(FakeFreeSwitch):
        def api(self, command):
            if command == 'sofia xmlstatus gateway':
                return '<gateways><gateway><name>typo</name><proxy>sip:0.0.0.0/0</proxy></gateway></gateways>'
            return super(NetworkProxy, self).api(command)
    service, fail2ban = make_service(tmp_path, freeswitch=NetworkProxy())
    service.run(once=True)
    assert not any(entry.startswith('0.0.0.0') for entry in fail2ban.lists['voipguard-freeswitch'])
    assert ('gateway typo (proxy 0.0.0.0/0)', 'the proxy is a network, not an address') in service.skipped


def test_the_sentinel_goes_first_after_a_reload(tmp_path):
    service, fail2ban = make_service(tmp_path)
    service.run(once=True)
    fail2ban.reload()
    service.sync()
    assert fail2ban.lists['voipguard-freeswitch'][:2] == ['127.0.0.0/8', SENTINEL]
    assert sorted(fail2ban.lists['voipguard-freeswitch']) == EXPECTED


def test_an_address_whitelisted_while_trusted_is_never_removed_afterwards(tmp_path):
    clock = [NOW]
    service, fail2ban = make_service(tmp_path, clock=lambda: clock[0], registration_window=600)
    service.run(once=True)
    # The operator whitelists the phone's office and reloads; later the phone's window ends.
    fail2ban.configured['voipguard-freeswitch'].append('172.28.40.20')
    fail2ban.reload()
    service.sync()
    service.freeswitch.registrations = '{"row_count": 0}'
    clock[0] = NOW + 660
    service.refresh()
    service.sync()
    assert '172.28.40.20' in fail2ban.lists['voipguard-freeswitch'], 'the configuration lists it'
    assert '172.28.40.20' not in fail2ban.lists['voipguard-freeswitch-ip']


def test_trusted_addresses_a_jail_banned_are_unbanned(tmp_path):
    service, fail2ban = make_service(tmp_path)
    fail2ban.bans = {'voipguard-freeswitch-ip': ['172.28.40.20', '203.0.113.5', '203.0.113.66']}
    service.run(once=True)
    assert fail2ban.bans['voipguard-freeswitch-ip'] == ['203.0.113.66']
    unbanned = json.loads((tmp_path / 'state.json').read_text())['unbanned']
    assert [(item['address'], item['entry']) for item in unbanned] == [('172.28.40.20', '172.28.40.20'),
                                                                       ('203.0.113.5', '203.0.113.0/29')]


def test_a_jail_no_longer_managed_gets_its_entries_back(tmp_path):
    service, fail2ban = make_service(tmp_path)
    service.run(once=True)
    service.config['jails'] = ['voipguard-freeswitch']
    service.sync()
    assert fail2ban.lists['voipguard-freeswitch-ip'] == ['127.0.0.0/8'] and 'voipguard-freeswitch-ip' not in service.owned


@pytest.mark.parametrize('saved', [
    {'version': 1, 'registrations': []}, {'version': 1, 'owned': {'j': None}}, {'version': 1, 'gateways': [1]},
    {'version': 1, 'registrations': {'192.0.2.1': {'last_seen': 'yesterday'}}}, {'version': 2}, [], 'text',
])
def test_a_state_file_of_another_shape_is_dropped_not_a_crash(tmp_path, saved):
    (tmp_path / 'state.json').write_text(json.dumps(saved))
    service, fail2ban = make_service(tmp_path)
    service.run(once=True)
    assert sorted(fail2ban.lists['voipguard-freeswitch']) == EXPECTED


def test_a_fail2ban_that_stops_answering_mid_command_is_an_error_not_a_crash():
    class Broken(object):
        def __init__(self, path, timeout):
            pass

        def send(self, command):
            raise BrokenPipeError(32, 'Broken pipe')

        def close(self):
            pass
    client = trust.Fail2ban.__new__(trust.Fail2ban)
    client._csocket, client.socket_path = Broken, '/run/f2b.sock'
    with pytest.raises(trust.TrustError, match='fail2ban does not answer on /run/f2b.sock'):
        client.ignore_list('j')


def test_an_allow_node_cut_into_too_many_networks_is_not_trusted():
    denies = ''.join('<node type="deny" cidr="10.1.%d.%d/32"/>' % (i // 256, i % 256) for i in range(0, 2048, 8))
    acl = '<configuration><network-lists><list name="l" default="deny"><node type="allow" cidr="10.1.0.0/16"/>%s' \
          '</list></network-lists></configuration>' % denies
    trusted, skipped = trust.acl_networks(trust.parse_acl_lists(acl), {'l': ['p']}, BROADEST)
    assert trusted == [] and dict(skipped)['acl l 10.1.0.0/16'].startswith('its deny nodes cut it into')
