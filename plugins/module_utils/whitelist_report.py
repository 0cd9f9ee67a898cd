# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which addresses the whitelist of each running jail (ignoreip, ignoreself) covers, asked of fail2ban.

Runs on the managed host (module fail2ban_whitelist_info). Plain Python (standard library only, Python 3.9+).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_client import (
    UnknownJail,
    canonical_ban_address,
)


def whitelist_report(client, jails=None, addresses=None, getaddrinfo=socket.getaddrinfo, own_names=None):
    """Which addresses each jail's own whitelist (ignoreip, ignoreself) covers.

    `addresses` None checks what each jail bans now. Returns {jail: {'whitelisted': [{address, entry}],
    'not_whitelisted': [addresses], 'ignoreip': [...]}} plus the jails asked for that do not exist.
    """
    running = client.status()['jails']
    wanted = list(running) if not jails else list(jails)
    checked = [canonical_ban_address(address) for address in addresses] if addresses is not None else None
    result, missing = {}, []
    for jail in wanted:
        if jail not in running:
            missing.append(jail)
            continue
        try:
            whitelist = client.whitelist(jail, getaddrinfo=getaddrinfo, own_names=own_names)
            candidates = checked if checked is not None else client.banned(jail)
        except UnknownJail:
            missing.append(jail)
            continue
        covered, uncovered = [], []
        for address in candidates:
            entry = whitelist.match(address)
            if entry is None:
                uncovered.append(address)
            else:
                covered.append(dict(address=address, entry=entry))
        result[jail] = dict(whitelisted=covered, not_whitelisted=uncovered, ignoreip=whitelist.entries,
                            unresolved=whitelist.unresolved)
    return result, missing
