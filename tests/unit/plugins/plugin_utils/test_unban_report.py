# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugin_utils/unban_report.py: where each host bans the addresses and why, and the fleet's report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_log import ban_history
from ansible_collections.voipguard.pbx.plugins.plugin_utils import unban_report


@pytest.fixture
def log_lines(fixture_text):
    """fail2ban.log events of two jails (Found, Ban, Unban, Restore Ban, a manual ban, an address that prefixes another)."""
    return fixture_text('fail2ban-events.log').splitlines()


def info(**jails):
    return dict(running=True, jails=dict((name, dict(banned=banned)) for name, banned in jails.items()))


def test_ban_origin_words(log_lines):
    history = ban_history(log_lines, ['203.0.113.7', '192.0.2.99'])
    assert unban_report.ban_origin(history['203.0.113.7']['voipguard-freeswitch'], 'voipguard-freeswitch').startswith(
        'filter voipguard-freeswitch matched 2 failure(s)')
    assert 'banip' in unban_report.ban_origin(history['192.0.2.99']['voipguard-freeswitch'], 'voipguard-freeswitch')
    assert 'not in fail2ban' in unban_report.ban_origin(None, 'x')


def test_unban_findings_and_report(log_lines):
    history = dict(addresses=ban_history(log_lines, ['203.0.113.7', '192.0.2.99']),
                   filters={'voipguard-freeswitch': 'voipguard-freeswitch'})
    host_a = unban_report.unban_findings(info(**{'voipguard-freeswitch': ['203.0.113.7', '192.0.2.99'], 'sshd': []}),
                                         history, ['203.0.113.7'])
    assert [(item['address'], item['jail'], item['filter']) for item in host_a] == [
        ('203.0.113.7', 'voipguard-freeswitch', 'voipguard-freeswitch')]
    assert host_a[0]['history']['found'] == 2
    report = unban_report.unban_report(dict(a=host_a, b=[]), ['203.0.113.7', '198.51.100.1'])
    assert report['203.0.113.7']['hosts'] == ['a']
    assert report['198.51.100.1'] == dict(banned_on=[], hosts=[])


def test_unban_findings_include_the_blocklists_that_block_an_address():
    host = info(**{'voipguard-freeswitch': ['203.0.113.7']})
    host['blocklist'] = dict(addresses={'203.0.113.7': dict(blocked_by=[
        dict(list='fleet', entry='203.0.113.7', expires=1796038600),
        dict(list='voipbl', entry='203.0.113.0/24', expires=None)])})
    findings = unban_report.unban_findings(host, {}, ['203.0.113.7'])
    assert [(item['jail'], item.get('blocklist'), item['origin']) for item in findings][1:] == [
        (None, 'fleet', 'blocklist fleet (entry 203.0.113.7)'), (None, 'voipbl', 'blocklist voipbl (entry 203.0.113.0/24)')]
    assert findings[0]['jail'] == 'voipguard-freeswitch'
    report = unban_report.unban_report(dict(a=findings), ['203.0.113.7'])
    assert [item['blocklist'] for item in report['203.0.113.7']['banned_on']] == [None, 'fleet', 'voipbl']
