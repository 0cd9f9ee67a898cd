# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugin_utils/ban_sync.py: the union of the fleet's bans, and the sync plan of one host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.voipguard.pbx.plugins.plugin_utils import ban_sync


def info(**jails):
    return dict(running=True, jails=dict((name, dict(banned=banned)) for name, banned in jails.items()))


def test_ban_union_per_jail_sorted_and_deduplicated():
    union = ban_sync.ban_union(dict(
        a=info(pbx=['203.0.113.9', '2001:DB8::5'], sshd=['192.0.2.66']),
        b=info(pbx=['203.0.113.10', '203.0.113.9']),
        c=dict(running=False, jails={}),
        d=None,  # failed to answer
    ))
    assert union == dict(pbx=['203.0.113.9', '203.0.113.10', '2001:db8::5'], sshd=['192.0.2.66'])


def test_ban_union_restricted_to_jails():
    assert ban_sync.ban_union(dict(a=info(pbx=['203.0.113.9'], sshd=['192.0.2.66'])), ['pbx']) == dict(pbx=['203.0.113.9'])


def test_ban_sync_plan_skips_whitelisted_addresses_and_missing_jails():
    union = dict(pbx=['198.51.100.20', '203.0.113.9'], web=['203.0.113.44'])
    whitelist = dict(pbx=dict(whitelisted=[dict(address='198.51.100.20', entry='198.51.100.0/24')],
                              not_whitelisted=['203.0.113.9']))
    plan = ban_sync.ban_sync_plan(union, ['pbx', 'sshd'], whitelist)
    assert plan == [
        dict(jail='pbx', addresses=['203.0.113.9'], whitelisted=[dict(address='198.51.100.20', entry='198.51.100.0/24')],
             missing=False),
        dict(jail='web', addresses=[], whitelisted=[], missing=True),
    ]
