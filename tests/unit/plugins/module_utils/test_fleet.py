# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/fleet.py: durations, whitelist comparison, ban union and sync plan, fail2ban's log."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils import fleet
from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import ValidationError


@pytest.mark.parametrize('value, seconds', [
    (600, 600), ('600', 600), ('10m', 600), ('1h', 3600), ('2h', 7200), ('1d', 86400), ('1d 12h', 129600),
    ('1.5h', 5400), ('-1', -1), ('30 minutes', 1800), ('1w', 604800), ('1mo', 2629800), ('1y', 31557600),
    ('45s', 45), ('1h30m', 5400),
])
def test_duration_seconds(value, seconds):
    assert fleet.duration_seconds(value) == seconds


@pytest.mark.parametrize('value', ['', 'h', '10 parsecs', 'ten', True, '1h; rm'])
def test_duration_seconds_refuses_garbage(value):
    with pytest.raises(ValueError):
        fleet.duration_seconds(value)


@pytest.mark.parametrize('entry, canonical', [
    ('127.0.0.1/8', '127.0.0.0/8'), ('192.0.2.7/32', '192.0.2.7'), ('2001:DB8::1', '2001:db8::1'),
    ('2001:db8::/32', '2001:db8::/32'), ('Sip.Carrier.Example.NET', 'sip.carrier.example.net'), ('::1', '::1'),
])
def test_canonical_whitelist_entry_is_what_fail2ban_prints(entry, canonical):
    assert fleet.canonical_whitelist_entry(entry) == canonical


def test_whitelist_difference_ignores_spelling_and_order():
    policy = ['127.0.0.1/8', '::1', '198.51.100.0/24', 'vg-whitelisted']
    running = ['127.0.0.0/8', '198.51.100.0/24', 'vg-whitelisted', '::1']
    assert fleet.whitelist_difference(running, policy) == dict(missing=[], unexpected=[])


def test_whitelist_difference_names_stale_and_missing_entries():
    difference = fleet.whitelist_difference(['127.0.0.0/8', '203.0.113.99'], ['127.0.0.1/8', '198.51.100.0/24'])
    assert difference == dict(missing=['198.51.100.0/24'], unexpected=['203.0.113.99'])


def test_whitelist_drift_lists_only_the_jails_that_differ():
    info = dict(running=True, jails=dict(
        a=dict(ignoreip=['127.0.0.0/8', '192.0.2.0/24']),
        b=dict(ignoreip=['127.0.0.0/8']),
        c=dict(currently_banned=0),  # read without settings: not compared
    ))
    assert fleet.whitelist_drift(info, ['127.0.0.1/8', '192.0.2.0/24']) == dict(b=dict(missing=['192.0.2.0/24'], unexpected=[]))


class FakeClient:
    """The part of Fail2banClient that whitelist_report uses."""

    def __init__(self, jails):
        self.jails = jails  # {name: (ignoreip, ignoreself, banned)}

    def status(self):
        return dict(jails=list(self.jails))

    def whitelist(self, jail, getaddrinfo, own_names):
        from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_client import Whitelist
        ignoreip, ignoreself, _banned = self.jails[jail]
        return Whitelist(ignoreip, ignoreself, getaddrinfo=getaddrinfo, own_names=own_names)

    def banned(self, jail):
        return self.jails[jail][2]


def fake_getaddrinfo(name, port, family, *args):
    table = {'office.example.com': {socket.AF_INET: ['198.51.100.177']}}
    addresses = table.get(name, {}).get(family)
    if not addresses:
        raise socket.gaierror('not found')
    return [(family, socket.SOCK_STREAM, 6, '', (address, 0)) for address in addresses]


def test_whitelist_report_of_current_bans_names_the_entry():
    client = FakeClient(dict(
        pbx=(['127.0.0.0/8', '198.51.100.0/25', 'office.example.com', 'nowhere.example.net'], False,
             ['203.0.113.7', '198.51.100.20', '198.51.100.177', '198.51.100.200']),
        sshd=(['127.0.0.0/8'], False, []),
    ))
    report, missing = fleet.whitelist_report(client, getaddrinfo=fake_getaddrinfo, own_names=[])
    assert missing == []
    assert report['pbx']['whitelisted'] == [dict(address='198.51.100.20', entry='198.51.100.0/25'),
                                            dict(address='198.51.100.177', entry='office.example.com')]
    assert report['pbx']['not_whitelisted'] == ['203.0.113.7', '198.51.100.200']
    assert report['pbx']['unresolved'] == ['nowhere.example.net']
    assert report['sshd']['whitelisted'] == [] and report['sshd']['not_whitelisted'] == []


def test_whitelist_report_of_given_addresses_and_missing_jails():
    client = FakeClient(dict(pbx=(['192.0.2.0/24'], False, [])))
    report, missing = fleet.whitelist_report(client, jails=['pbx', 'gone'], addresses=['192.0.2.9', '::ffff:203.0.113.5'],
                                             getaddrinfo=fake_getaddrinfo, own_names=[])
    assert missing == ['gone']
    assert report['pbx']['whitelisted'] == [dict(address='192.0.2.9', entry='192.0.2.0/24')]
    assert report['pbx']['not_whitelisted'] == ['203.0.113.5']


def test_whitelist_report_refuses_a_network():
    with pytest.raises(ValidationError):
        fleet.whitelist_report(FakeClient(dict(pbx=([], False, []))), addresses=['203.0.113.0/24'], own_names=[])


def info(**jails):
    return dict(running=True, jails=dict((name, dict(banned=banned)) for name, banned in jails.items()))


def test_ban_union_per_jail_sorted_and_deduplicated():
    union = fleet.ban_union(dict(
        a=info(pbx=['203.0.113.9', '2001:DB8::5'], sshd=['192.0.2.66']),
        b=info(pbx=['203.0.113.10', '203.0.113.9']),
        c=dict(running=False, jails={}),
        d=None,  # failed to answer
    ))
    assert union == dict(pbx=['203.0.113.9', '203.0.113.10', '2001:db8::5'], sshd=['192.0.2.66'])


def test_ban_union_restricted_to_jails():
    assert fleet.ban_union(dict(a=info(pbx=['203.0.113.9'], sshd=['192.0.2.66'])), ['pbx']) == dict(pbx=['203.0.113.9'])


def test_ban_sync_plan_skips_whitelisted_addresses_and_missing_jails():
    union = dict(pbx=['198.51.100.20', '203.0.113.9'], web=['203.0.113.44'])
    whitelist = dict(pbx=dict(whitelisted=[dict(address='198.51.100.20', entry='198.51.100.0/24')],
                              not_whitelisted=['203.0.113.9']))
    plan = fleet.ban_sync_plan(union, ['pbx', 'sshd'], whitelist)
    assert plan == [
        dict(jail='pbx', addresses=['203.0.113.9'], whitelisted=[dict(address='198.51.100.20', entry='198.51.100.0/24')],
             missing=False),
        dict(jail='web', addresses=[], whitelisted=[], missing=True),
    ]


LOG = """\
2026-01-05 10:11:12,001 fail2ban.filter         [321]: INFO    [voipguard-freeswitch] Found 203.0.113.7 - 2026-01-05 10:11:12
2026-01-05 10:11:13,001 fail2ban.filter         [321]: INFO    [voipguard-freeswitch] Found 203.0.113.7 - 2026-01-05 10:11:13
2026-01-05 10:11:14,001 fail2ban.filter         [321]: INFO    [voipguard-freeswitch] Found 198.51.100.9 - 2026-01-05 10:11:14
2026-01-05 10:11:15,010 fail2ban.actions        [321]: NOTICE  [voipguard-freeswitch] Ban 203.0.113.7
2026-01-05 10:12:00,010 fail2ban.actions        [321]: NOTICE  [sshd] Ban 2001:db8::5
2026-01-05 10:13:00,010 fail2ban.actions        [321]: NOTICE  [sshd] Unban 2001:db8::5
2026-01-05 10:14:00,010 fail2ban.actions        [321]: NOTICE  [sshd] Restore Ban 2001:db8::5
2026-01-05 10:15:00,010 fail2ban.actions        [321]: NOTICE  [voipguard-freeswitch] Ban 192.0.2.99
2026-01-05 10:16:00,010 fail2ban.filter         [321]: INFO    [voipguard-freeswitch] Found 203.0.113.70 - 2026-01-05 10:16:00
garbage line with [voipguard-freeswitch] Ban 203.0.113.7
"""


def test_ban_history_per_address_and_jail():
    history = fleet.ban_history(LOG.splitlines(), ['203.0.113.7', '2001:DB8::5', '192.0.2.99', '198.51.100.1'])
    freeswitch = history['203.0.113.7']['voipguard-freeswitch']
    assert freeswitch['found'] == 2 and freeswitch['bans'] == 1
    assert freeswitch['first_found'] == '2026-01-05 10:11:12' and freeswitch['last_ban'] == '2026-01-05 10:11:15'
    assert list(history['203.0.113.7']) == ['voipguard-freeswitch']  # 203.0.113.70 is another address
    sshd = history['2001:db8::5']['sshd']
    assert sshd['bans'] == 2 and sshd['last_unban'] == '2026-01-05 10:13:00' and sshd['last_event'] == 'Restore Ban'
    manual = history['192.0.2.99']['voipguard-freeswitch']
    assert manual['found'] == 0 and manual['bans'] == 1
    assert history['198.51.100.1'] == {}


def test_ban_origin_words():
    history = fleet.ban_history(LOG.splitlines(), ['203.0.113.7', '192.0.2.99'])
    assert fleet.ban_origin(history['203.0.113.7']['voipguard-freeswitch'], 'voipguard-freeswitch').startswith(
        'filter voipguard-freeswitch matched 2 failure(s)')
    assert 'banip' in fleet.ban_origin(history['192.0.2.99']['voipguard-freeswitch'], 'voipguard-freeswitch')
    assert 'not in fail2ban' in fleet.ban_origin(None, 'x')


JAIL_CONF = """\
[DEFAULT]
filter = %(__name__)s[mode=%(mode)s]
mode = normal

[sshd]
port = ssh

[freeswitch]
filter = freeswitch[mode=extra]
"""
JAIL_LOCAL = """\
[voipguard-freeswitch]
enabled = true
filter = voipguard-freeswitch

[freeswitch]
filter = voipguard-freeswitch
"""


def test_jail_filters_follow_fail2ban_load_order():
    filters = fleet.jail_filters([JAIL_CONF, JAIL_LOCAL], ['sshd', 'freeswitch', 'voipguard-freeswitch', 'custom'])
    assert filters == {'sshd': 'sshd', 'freeswitch': 'voipguard-freeswitch', 'voipguard-freeswitch': 'voipguard-freeswitch',
                       'custom': 'custom'}


def test_jail_config_files_order(tmp_path):
    (tmp_path / 'jail.d').mkdir()
    for name in ('jail.conf', 'jail.local', 'jail.d/b.local', 'jail.d/a.conf', 'jail.d/a.local', 'jail.d/z.txt'):
        (tmp_path / name).write_text('')
    assert [path[len(str(tmp_path)) + 1:] for path in fleet.jail_config_files(str(tmp_path))] == [
        'jail.conf', 'jail.d/a.conf', 'jail.local', 'jail.d/a.local', 'jail.d/b.local']


def test_unban_findings_and_report():
    history = dict(addresses=fleet.ban_history(LOG.splitlines(), ['203.0.113.7', '192.0.2.99']),
                   filters={'voipguard-freeswitch': 'voipguard-freeswitch'})
    host_a = fleet.unban_findings(info(**{'voipguard-freeswitch': ['203.0.113.7', '192.0.2.99'], 'sshd': []}), history,
                                  ['203.0.113.7'])
    assert [(item['address'], item['jail'], item['filter']) for item in host_a] == [
        ('203.0.113.7', 'voipguard-freeswitch', 'voipguard-freeswitch')]
    assert host_a[0]['history']['found'] == 2
    report = fleet.unban_report(dict(a=host_a, b=[]), ['203.0.113.7', '198.51.100.1'])
    assert report['203.0.113.7']['hosts'] == ['a']
    assert report['198.51.100.1'] == dict(banned_on=[], hosts=[])


def test_unban_findings_include_the_blocklists_that_block_an_address():
    host = info(**{'voipguard-freeswitch': ['203.0.113.7']})
    host['blocklist'] = dict(addresses={'203.0.113.7': dict(blocked_by=[
        dict(list='fleet', entry='203.0.113.7', expires=1796038600),
        dict(list='voipbl', entry='203.0.113.0/24', expires=None)])})
    findings = fleet.unban_findings(host, {}, ['203.0.113.7'])
    assert [(item['jail'], item.get('blocklist'), item['origin']) for item in findings][1:] == [
        (None, 'fleet', 'blocklist fleet (entry 203.0.113.7)'), (None, 'voipbl', 'blocklist voipbl (entry 203.0.113.0/24)')]
    assert findings[0]['jail'] == 'voipguard-freeswitch'
    report = fleet.unban_report(dict(a=findings), ['203.0.113.7'])
    assert [item['blocklist'] for item in report['203.0.113.7']['banned_on']] == [None, 'fleet', 'voipbl']
