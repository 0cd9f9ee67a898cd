# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fleet operations: the logic behind the whitelist, ban_sync and unban playbooks.

Plain Python (standard library only, Python 3.9+), no Ansible import. Used on the managed hosts
(modules fail2ban_whitelist_info, fail2ban_log_info) and on the controller (filter plugins).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os
import re
import socket

from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_client import (
    UnknownJail,
    canonical_ban_address,
)
from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import (
    ValidationError,
    duration_value_seconds,
    normalize_address,
)
from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_config import ConfigDocument
from ansible_collections.voipguard.pbx.plugins.module_utils.sip_trust import configured_ignoreip

# ---------------------------------------------------------------- durations


def duration_seconds(value):
    """Whole seconds of a fail2ban duration (600, '10m', '1h30m', '1d 12h', '-1'), in the grammar the modules
    validate with (f2b_validation.duration_value_seconds); raises ValueError."""
    return duration_value_seconds(value)


# ---------------------------------------------------------------- whitelists

def canonical_whitelist_entry(entry):
    """An ignoreip entry in the form fail2ban prints it (f2b_validation.normalize_address); an entry that is no
    address, network or DNS name is compared as it is, in lower case."""
    text = str(entry).strip()
    try:
        return normalize_address(text)
    except ValidationError:
        return text.lower()


def whitelist_difference(actual, expected):
    """{'missing': entries of `expected` not in `actual`, 'unexpected': the reverse}, canonical and sorted."""
    actual_set = set(canonical_whitelist_entry(entry) for entry in actual)
    expected_set = set(canonical_whitelist_entry(entry) for entry in expected)
    return dict(missing=sorted(expected_set - actual_set), unexpected=sorted(actual_set - expected_set))


def whitelist_drift(info, expected):
    """{jail: {'missing', 'unexpected'}} for the jails of a fail2ban_info result whose ignoreip is not `expected`
    (entries the SIP trust service added at run time are not the whitelist's)."""
    drift = {}
    for jail, facts in sorted((info or {}).get('jails', {}).items()):
        if 'ignoreip' not in facts:
            continue
        difference = whitelist_difference(configured_ignoreip(facts['ignoreip'], info.get('sip_trust'), jail), expected)
        if difference['missing'] or difference['unexpected']:
            drift[jail] = difference
    return drift


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


# ---------------------------------------------------------------- ban sync

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


# ---------------------------------------------------------------- fail2ban's log

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


# Order in which fail2ban reads jail definitions: later files win.
def jail_config_files(config_dir):
    files = [os.path.join(config_dir, 'jail.conf')]
    jail_d = os.path.join(config_dir, 'jail.d')
    names = sorted(os.listdir(jail_d)) if os.path.isdir(jail_d) else []
    files += [os.path.join(jail_d, name) for name in names if name.endswith('.conf')]
    files.append(os.path.join(config_dir, 'jail.local'))
    files += [os.path.join(jail_d, name) for name in names if name.endswith('.local')]
    return [path for path in files if os.path.isfile(path)]


def jail_filters(texts, jails):
    """{jail: filter name} from the jail configuration texts in load order.

    A jail without a filter key uses the DEFAULT one; fail2ban's default is the jail's own name.
    Interpolation of %(__name__)s is resolved, filter options ("[mode=aggressive]") dropped.
    """
    documents = [ConfigDocument(text) for text in texts]
    filters = {}
    for jail in jails:
        value = None
        for section in ('DEFAULT', jail):
            for document in documents:
                settings = document.settings(section)
                if settings and settings.get('filter'):
                    value = settings['filter']
        if value is None:
            value = jail
        value = value.replace('%(__name__)s', jail).strip()
        filters[jail] = re.sub(r'\[.*\]$', '', value.split()[0] if value.split() else jail)
    return filters


def bans_by_jail(info):
    """{jail: banned addresses} of a fail2ban_info result (empty when fail2ban did not answer)."""
    if not isinstance(info, dict) or not info.get('running'):
        return {}
    return dict((jail, facts.get('banned', [])) for jail, facts in info.get('jails', {}).items())


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
