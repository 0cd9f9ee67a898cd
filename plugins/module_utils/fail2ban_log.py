# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What fail2ban's own log (fail2ban.log) says about addresses: failures found, bans, unbans, per jail.

Runs on the managed host (module fail2ban_log_info). Plain Python (standard library only, Python 3.9+).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_client import canonical_ban_address

# 2026-11-21 14:55:45,010 fail2ban.actions        [27262]: NOTICE  [pbx] Ban 198.51.100.7
# 2026-11-21 14:55:45,010 fail2ban.filter         [27262]: INFO    [pbx] Found 198.51.100.7 - 2026-11-21 14:55:44
_LOG_EVENT_RE = re.compile(
    r'^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:,\d+)?\s+fail2ban\.\w+\s+\[\d+\]:\s+[A-Z]+\s+'
    r'\[(?P<jail>[^\]]+)\]\s+(?P<event>Found|Ban|Unban|Restore Ban|Increase Ban)\s+(?P<address>[0-9A-Fa-f:.]+)')


def _new_history():
    return dict(found=0, first_found=None, last_found=None, bans=0, last_ban=None, last_unban=None, last_event=None)


def ban_history(lines, addresses):
    """{address: {jail: history}} of what fail2ban logged about each address.

    history: found (failures the jail's filter matched), first_found/last_found, bans (Ban, Restore Ban
    and Increase Ban events), last_ban, last_unban, last_event.
    """
    wanted = {}
    for address in addresses:
        wanted[canonical_ban_address(address)] = {}
    for line in lines:
        match = _LOG_EVENT_RE.match(line)
        if not match:
            continue
        try:
            address = canonical_ban_address(match.group('address'))
        except ValueError:
            continue
        if address not in wanted:
            continue
        history = wanted[address].setdefault(match.group('jail'), _new_history())
        event, when = match.group('event'), match.group('time')
        if event == 'Found':
            history['found'] += 1
            history['first_found'] = history['first_found'] or when
            history['last_found'] = when
        elif event == 'Unban':
            history['last_unban'] = when
        else:
            history['bans'] += 1
            history['last_ban'] = when
        history['last_event'] = event
    return wanted
