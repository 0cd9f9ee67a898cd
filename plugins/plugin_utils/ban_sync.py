# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ban_sync playbook's logic: the union of the fleet's bans, and what one host must ban of it.

Runs on the controller (the ban_union and ban_sync_plan filters). Plain Python, no Ansible import.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_client import canonical_ban_address
from ansible_collections.voipguard.pbx.plugins.plugin_utils.fail2ban_facts import bans_by_jail


def address_sort_key(address):
    ip = ipaddress.ip_address(address)
    return (ip.version, int(ip))


def ban_union(info_by_host, jails=None):
    """{jail: sorted addresses} banned on any host. info_by_host: {host: fail2ban_info result}."""
    union = {}
    for info in info_by_host.values():
        for jail, addresses in bans_by_jail(info).items():
            if jails and jail not in jails:
                continue
            union.setdefault(jail, set()).update(canonical_ban_address(address) for address in addresses)
    return dict((jail, sorted(addresses, key=address_sort_key)) for jail, addresses in sorted(union.items()))


def ban_sync_plan(union, host_jails, whitelist_by_jail):
    """What one host must ban: [{'jail', 'addresses', 'whitelisted'}] for the union's jails the host runs.

    whitelist_by_jail: the host's whitelist_report for the union's addresses. A jail the host does not
    run is skipped (listed with addresses [] and missing=True).
    """
    plan = []
    for jail, addresses in sorted(union.items()):
        if jail not in host_jails:
            plan.append(dict(jail=jail, addresses=[], whitelisted=[], missing=True))
            continue
        report = whitelist_by_jail.get(jail, {})
        covered = dict((item['address'], item['entry']) for item in report.get('whitelisted', []))
        plan.append(dict(
            jail=jail,
            addresses=[address for address in addresses if address not in covered],
            whitelisted=[dict(address=address, entry=covered[address]) for address in addresses if address in covered],
            missing=False,
        ))
    return plan
