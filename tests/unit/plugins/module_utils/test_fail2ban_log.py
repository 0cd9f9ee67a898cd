# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/fail2ban_log.py: what fail2ban's log says about addresses, per jail."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils import fail2ban_log


@pytest.fixture
def log_lines(fixture_text):
    """fail2ban.log events of two jails (Found, Ban, Unban, Restore Ban, a manual ban, an address that prefixes another)."""
    return fixture_text('fail2ban-events.log').splitlines()


def test_ban_history_per_address_and_jail(log_lines):
    history = fail2ban_log.ban_history(log_lines, ['203.0.113.7', '2001:DB8::5', '192.0.2.99', '198.51.100.1'])
    freeswitch = history['203.0.113.7']['voipguard-freeswitch']
    assert freeswitch['found'] == 2 and freeswitch['bans'] == 1
    assert freeswitch['first_found'] == '2026-01-05 10:11:12' and freeswitch['last_ban'] == '2026-01-05 10:11:15'
    assert list(history['203.0.113.7']) == ['voipguard-freeswitch']  # 203.0.113.70 is another address
    sshd = history['2001:db8::5']['sshd']
    assert sshd['bans'] == 2 and sshd['last_unban'] == '2026-01-05 10:13:00' and sshd['last_event'] == 'Restore Ban'
    manual = history['192.0.2.99']['voipguard-freeswitch']
    assert manual['found'] == 0 and manual['bans'] == 1
    assert history['198.51.100.1'] == {}
