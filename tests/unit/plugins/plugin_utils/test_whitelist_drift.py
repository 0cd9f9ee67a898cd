# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugin_utils/whitelist_drift.py: whitelists compared with the policy, per jail."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.voipguard.pbx.plugins.plugin_utils import whitelist_drift


@pytest.mark.parametrize('entry, canonical', [
    ('127.0.0.1/8', '127.0.0.0/8'), ('192.0.2.7/32', '192.0.2.7'), ('2001:DB8::1', '2001:db8::1'),
    ('2001:db8::/32', '2001:db8::/32'), ('Sip.Carrier.Example.NET', 'sip.carrier.example.net'), ('::1', '::1'),
])
def test_canonical_whitelist_entry_is_what_fail2ban_prints(entry, canonical):
    assert whitelist_drift.canonical_whitelist_entry(entry) == canonical


def test_whitelist_difference_ignores_spelling_and_order():
    policy = ['127.0.0.1/8', '::1', '198.51.100.0/24', 'vg-whitelisted']
    running = ['127.0.0.0/8', '198.51.100.0/24', 'vg-whitelisted', '::1']
    assert whitelist_drift.whitelist_difference(running, policy) == dict(missing=[], unexpected=[])


def test_whitelist_difference_names_stale_and_missing_entries():
    difference = whitelist_drift.whitelist_difference(['127.0.0.0/8', '203.0.113.99'], ['127.0.0.1/8', '198.51.100.0/24'])
    assert difference == dict(missing=['198.51.100.0/24'], unexpected=['203.0.113.99'])


def test_whitelist_drift_lists_only_the_jails_that_differ():
    info = dict(running=True, jails=dict(
        a=dict(ignoreip=['127.0.0.0/8', '192.0.2.0/24']),
        b=dict(ignoreip=['127.0.0.0/8']),
        c=dict(currently_banned=0),  # read without settings: not compared
    ))
    assert whitelist_drift.whitelist_drift(info, ['127.0.0.1/8', '192.0.2.0/24']) == dict(b=dict(missing=['192.0.2.0/24'], unexpected=[]))
