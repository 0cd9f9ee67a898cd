# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The unban playbook's logic: where each host bans the addresses and why, and the fleet's report of it.

Runs on the controller (the unban_findings and unban_report filters), on what fail2ban_info and
fail2ban_log_info returned. Plain Python, no Ansible import.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_client import canonical_ban_address
from ansible_collections.voipguard.pbx.plugins.plugin_utils.fail2ban_facts import bans_by_jail


def ban_origin(history, filter_name):
    """How a ban came about, in words, from its history in fail2ban's log."""
    if history is None:
        return 'not in fail2ban\'s current log (banned before the log was rotated, or restored from the database)'
    if history['found']:
        return 'filter %s matched %d failure(s) (%s to %s)' % (
            filter_name or 'unknown', history['found'], history['first_found'], history['last_found'])
    if history['bans']:
        return 'banned without failures in the log (fail2ban-client banip, e.g. by ban_sync)'
    return 'no ban in fail2ban\'s current log'


def unban_findings(info, history, addresses):
    """Where one host bans the addresses: [{address, jail, filter, origin, history}], in address order.

    info: fail2ban_info of the host (with bans); history: fail2ban_log_info of the host for the addresses.
    """
    findings = []
    bans = bans_by_jail(info)
    log = (history or {}).get('addresses', {})
    filters = (history or {}).get('filters', {})
    for address in [canonical_ban_address(address) for address in addresses]:
        for jail in sorted(bans):
            if address not in [canonical_ban_address(banned) for banned in bans[jail]]:
                continue
            events = log.get(address, {}).get(jail)
            findings.append(dict(address=address, jail=jail, filter=filters.get(jail), history=events,
                                 origin=ban_origin(events, filters.get(jail))))
        # voipguard-blocklist (fail2ban_info's blocklist, looked up for these addresses): a list, not a jail.
        blocked = (((info or {}).get('blocklist') or {}).get('addresses') or {}).get(address, {})
        for found in blocked.get('blocked_by') or []:
            findings.append(dict(address=address, jail=None, blocklist=found['list'], filter=None, history=None,
                                 origin='blocklist %s (entry %s)' % (found['list'], found['entry'])))
    return findings


def unban_report(findings_by_host, addresses):
    """{address: {'banned_on': [{host, jail, filter, origin}], 'hosts': [host names, sorted]}} over the fleet."""
    report = {}
    for address in [canonical_ban_address(address) for address in addresses]:
        where = []
        for host in sorted(findings_by_host):
            for finding in findings_by_host[host] or []:
                if finding['address'] == address:
                    where.append(dict(host=host, jail=finding['jail'], blocklist=finding.get('blocklist'),
                                      filter=finding['filter'], origin=finding['origin'], history=finding['history']))
        report[address] = dict(banned_on=where, hosts=sorted(set(item['host'] for item in where)))
    return report
