# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One FusionPBX access control list (v_access_controls and its v_access_control_nodes) as a set of allow nodes.

FusionPBX's blocker event_guard never blocks an address that any 'allow' node of any list covers
(app/event_guard/resources/classes/event_guard_service.php, allow_access_control()), so a list holding
the operator's whitelist makes event_guard honour the same whitelist as fail2ban. event_guard compares
with check_cidr() (resources/functions.php), which only understands IPv4 CIDRs with a prefix length:
IPv6 nodes would compare as equal to every IPv6 address, so they are never written.

The write runs in one psql transaction that locks both tables, checks the rows still are what was
read (by their md5), replaces the nodes and reads the result back, like fusionpbx_db.change_params.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import os
import re
import socket
import uuid

from ansible_collections.voipguard.pbx.plugins.module_utils import f2b_validation
from ansible_collections.voipguard.pbx.plugins.module_utils import fusionpbx_db

# What a list name may be: FusionPBX serves every list to FreeSWITCH as acl.conf, <list name="...">.
_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
# Lists FusionPBX and FreeSWITCH use themselves: rfc1918 and providers come with FusionPBX (every Sofia
# profile has apply-inbound-acl=providers), domains, lan, localnet.auto... are FreeSWITCH's. Taking one
# over would delete its nodes or let whitelisted addresses skip SIP authentication.
RESERVED_NAMES = ('rfc1918', 'providers', 'domains', 'lan', 'localnet.auto', 'nat.auto', 'loopback.auto',
                  'wan.auto', 'wan_v4.auto', 'wan_v6.auto', 'rfc6598.auto')
_TEXT_MAX = 255
# event_guard caches every address it allowed as switch:allowed:<ip> forever (a file in the cache
# directory); FusionPBX caches the generated acl.conf too.
_ALLOWED_CACHE_RE = re.compile(r'^switch[.:]allowed[.:].+$')
_ACL_CACHE_RE = re.compile(r'^(?:.+[.:])?configuration[.:]acl\.conf(?:[.:].+)?$')


class AccessControlError(fusionpbx_db.FusionPBXError):
    """The requested list or nodes are invalid; the message names the problem."""


def validate_name(name):
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise AccessControlError(
            'invalid access control list name %r: 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit'
            % (name,))
    if name.lower() in RESERVED_NAMES:
        raise AccessControlError('access control list name %s belongs to FusionPBX or FreeSWITCH (%s); choose a list of your own'
                                 % (name, ', '.join(RESERVED_NAMES)))
    return name


def validate_text(what, text):
    text = '' if text is None else str(text)
    if len(text) > _TEXT_MAX or any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise AccessControlError('invalid %s %r: at most %d characters, no control characters' % (what, text, _TEXT_MAX))
    return text


def resolve_ipv4(name):
    """The IPv4 addresses name resolves to on this host (as fail2ban resolves ignoreip names), [] when none."""
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted(set(info[4][0] for info in infos), key=ipaddress.ip_address)


def _matches_every_ipv6(network):
    """FusionPBX's check_cidr() turns an IPv6 address into 0 (ip2long), so an IPv4 node whose network
    address is in 0.0.0.0/8 (0.0.0.0/0, a 0.0.0.0 a filtering resolver answered) would allow every IPv6
    source through event_guard."""
    return network.network_address in ipaddress.ip_network('0.0.0.0/8')


class Nodes(object):
    """The whitelist as event_guard can use it: IPv4 CIDRs, and what could not become one."""

    def __init__(self):
        self.cidrs = []
        self.skipped_ipv6 = []
        self.resolved = {}
        self.unresolved = []


def normalize_nodes(entries, resolve=resolve_ipv4):
    """Nodes from whitelist entries written as for fail2ban's ignoreip; raise on an invalid entry.

    An address becomes a /32, a network is masked as fail2ban masks it, a DNS name becomes its IPv4
    addresses now (FusionPBX has no names in its lists). IPv6 entries are left out: event_guard's
    check_cidr() cannot compare them.
    """
    result = Nodes()
    networks = []
    for entry in entries:
        try:
            text = f2b_validation.normalize_address(str(entry).strip())
        except f2b_validation.ValidationError as exc:
            raise AccessControlError('invalid whitelist entry: %s' % exc)
        try:
            found = [ipaddress.ip_network(text, strict=False)]
        except ValueError:
            # A resolver that blocks a name answers 0.0.0.0: that is no address of the host.
            addresses = [address for address in resolve(text) if not _matches_every_ipv6(ipaddress.ip_network(address))]
            result.resolved[text] = addresses
            if not addresses:
                result.unresolved.append(text)
            found = [ipaddress.ip_network(address) for address in addresses]
        else:
            if found[0].version == 4 and (_matches_every_ipv6(found[0]) or found[0].is_multicast):
                raise AccessControlError(
                    'whitelist entry %s cannot be given to event_guard: FusionPBX compares every IPv6 address as 0.0.0.0,'
                    ' so a network starting at 0.0.0.0 would let all of them through (and multicast never sends SIP)'
                    % entry)
        for network in found:
            if network.version == 6:
                # ::1 never reaches event_guard from the network: not worth a warning.
                if not network.is_loopback:
                    result.skipped_ipv6.append(str(network))
            elif network not in networks:
                networks.append(network)
    result.cidrs = [str(network) for network in ipaddress.collapse_addresses(networks)]
    return result


def covered(address, nodes):
    """Whether the allow nodes cover address (text)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == 4 and ip in ipaddress.ip_network(node) for node in nodes)


def _state_query(variables):
    """SQL giving the list's rows as one JSON text; variables must hold list_name."""
    return (
        "SELECT coalesce(jsonb_agg(to_jsonb(state) ORDER BY state.list_uuid, state.node_cidr, state.node_uuid),"
        " '[]'::jsonb)::text FROM ("
        " SELECT a.access_control_uuid::text AS list_uuid, a.access_control_default::text AS list_default,"
        " a.access_control_description::text AS list_description, n.access_control_node_uuid::text AS node_uuid,"
        " n.node_type::text AS node_type, n.node_cidr::text AS node_cidr, n.node_description::text AS node_description"
        " FROM v_access_controls a LEFT JOIN v_access_control_nodes n ON n.access_control_uuid = a.access_control_uuid"
        " WHERE a.access_control_name = :'list_name'"
        ") AS state"
    )


class ListState(object):
    """The rows of the named list as read, with the server's md5 of their JSON text."""

    def __init__(self, payload):
        self.fingerprint, rows = fusionpbx_db.parse_state_payload(payload)
        self.list_uuids = sorted(set(row['list_uuid'] for row in rows))
        first = rows[0] if rows else {}
        self.default = first.get('list_default')
        self.description = first.get('list_description')
        self.nodes = [row for row in rows if row['node_uuid'] is not None]

    @property
    def exists(self):
        return bool(self.list_uuids)

    def allow_cidrs(self):
        return sorted(set(row['node_cidr'] for row in self.nodes if row['node_type'] == 'allow' and row['node_cidr']))


def read_state(psql, name):
    variables = {'list_name': name}
    return ListState(psql.script(fusionpbx_db.fingerprinted_select(_state_query(variables)) + '\n', variables))


class Plan(object):
    def __init__(self, state):
        self.state = state
        self.create_list = False
        self.delete_list = False
        self.update_list = False
        self.added = []        # CIDRs to insert as allow nodes
        self.removed = []      # node rows (dicts) to delete

    @property
    def changed(self):
        return self.create_list or self.delete_list or self.update_list or bool(self.added) or bool(self.removed)


def plan_change(state, nodes, description, state_name='present'):
    """What to change so the list holds exactly nodes as allow nodes (or is gone with state absent)."""
    if len(state.list_uuids) > 1:
        raise AccessControlError('%d FusionPBX access control lists share this name; merge or rename them in FusionPBX first'
                                 % len(state.list_uuids))
    plan = Plan(state)
    if state_name == 'absent':
        plan.delete_list = state.exists
        plan.removed = list(state.nodes)
        return plan
    plan.create_list = not state.exists
    plan.update_list = state.exists and (state.default != 'deny' or (state.description or '') != description)
    wanted = set(nodes)
    seen = set()
    for row in state.nodes:
        # Anything but one allow node per wanted CIDR goes: deny nodes, duplicates, other CIDRs.
        if row['node_type'] == 'allow' and row['node_cidr'] in wanted and row['node_cidr'] not in seen:
            seen.add(row['node_cidr'])
        else:
            plan.removed.append(row)
    plan.added = [node for node in nodes if node not in seen]
    return plan


def apply_change(psql, plan, name, description, node_description, new_uuid=None):
    """Apply the plan in one transaction; return the ListState read back inside it."""
    new_uuid = new_uuid or (lambda: str(uuid.uuid4()))
    variables = {'list_name': name, 'fingerprint': plan.state.fingerprint, 'list_description': description,
                 'node_description': node_description}
    lines = []
    for index, row in enumerate(plan.removed):
        variables['removed%d' % index] = row['node_uuid']
        lines.append("DELETE FROM v_access_control_nodes WHERE access_control_node_uuid = :'removed%d';" % index)
    if plan.delete_list:
        lines.append("DELETE FROM v_access_controls WHERE access_control_name = :'list_name';")
    if plan.create_list:
        variables['list_uuid'] = new_uuid()
        lines.append("INSERT INTO v_access_controls (access_control_uuid, access_control_name, access_control_default,"
                     " access_control_description, insert_date) VALUES (:'list_uuid', :'list_name', 'deny',"
                     " :'list_description', now());")
    elif plan.update_list:
        lines.append("UPDATE v_access_controls SET access_control_default = 'deny', access_control_description ="
                     " :'list_description', update_date = now() WHERE access_control_name = :'list_name';")
    for index, cidr in enumerate(plan.added):
        variables['node_uuid%d' % index] = new_uuid()
        variables['node_cidr%d' % index] = cidr
        lines.append("INSERT INTO v_access_control_nodes (access_control_node_uuid, access_control_uuid, node_type,"
                     " node_cidr, node_description, insert_date) SELECT :'node_uuid%d', access_control_uuid, 'allow',"
                     " :'node_cidr%d', :'node_description', now() FROM v_access_controls"
                     " WHERE access_control_name = :'list_name';" % (index, index))
    script = fusionpbx_db.guarded_transaction(['v_access_controls', 'v_access_control_nodes'], _state_query(variables), lines)
    return ListState(psql.script(script, variables))


def cache_files(cache_dir):
    """FusionPBX's cached acl.conf and event_guard's remembered allowed addresses."""
    if not cache_dir or not os.path.isdir(cache_dir):
        return []
    return sorted(os.path.join(cache_dir, name) for name in os.listdir(cache_dir)
                  if (_ALLOWED_CACHE_RE.match(name) or _ACL_CACHE_RE.match(name)) and os.path.isfile(os.path.join(cache_dir, name)))


def event_guard_blocks(psql, hostname):
    """[(log uuid, address)] of event_guard's blocks on hostname not lifted yet: 'blocked', or 'pending' (asked to
    lift, not done: event_guard or FreeSWITCH was down). [] when FusionPBX has no event_guard table. event_guard
    only lifts the rows of its own host (event_guard_service.php), so other hosts' rows are left to them."""
    sql = (
        "SELECT to_regclass('v_event_guard_logs') IS NOT NULL AS voipguard_has_event_guard \\gset\n"
        "\\if :voipguard_has_event_guard\n"
        "SELECT '%s' || coalesce(jsonb_agg(jsonb_build_array(event_guard_log_uuid::text, ip_address::text)"
        " ORDER BY ip_address, event_guard_log_uuid), '[]'::jsonb)::text FROM v_event_guard_logs"
        " WHERE log_status IN ('blocked', 'pending') AND hostname = :'hostname';\n"
        "\\else\n"
        "\\echo %s[]\n"
        "\\endif\n" % (fusionpbx_db.JSON_MARKER, fusionpbx_db.JSON_MARKER))
    try:
        return [tuple(row) for row in json.loads(psql.script(sql, {'hostname': hostname}))]
    except ValueError as exc:
        raise fusionpbx_db.FusionPBXError('psql returned event_guard rows that are not the expected JSON: %s' % exc)


def request_unblock(psql, log_uuids):
    """Mark event_guard blocks 'pending', as FusionPBX's GUI does; event_guard lifts them on its unblock event."""
    variables = {}
    refs = fusionpbx_db._numbered('log', log_uuids, variables)
    psql.script("UPDATE v_event_guard_logs SET log_status = 'pending' WHERE log_status IN ('blocked', 'pending')"
                " AND event_guard_log_uuid::text IN (%s);\n\\echo %s[]\n" % (', '.join(refs), fusionpbx_db.JSON_MARKER),
                variables)


class Result(object):
    def __init__(self, plan, nodes, unblocked):
        self.plan = plan
        self.nodes = nodes          # a Nodes
        self.unblocked = unblocked

    @property
    def changed(self):
        return self.plan.changed or bool(self.unblocked)


def ensure(psql, name, entries, description='', node_description='', state_name='present', unblock=True,
           check_mode=False, new_uuid=None, resolve=resolve_ipv4, hostname=None):
    """Make the list hold exactly entries as allow nodes (or remove it), and ask event_guard to lift its blocks
    of addresses the nodes cover. Return a Result; nothing is written in check mode."""
    validate_name(name)
    description = validate_text('description', description)
    node_description = validate_text('node description', node_description)
    wanted = normalize_nodes(entries if state_name == 'present' else [], resolve)
    nodes = wanted.cidrs
    state = read_state(psql, name)
    plan = plan_change(state, nodes, description, state_name)
    blocks = [(log_uuid, address) for log_uuid, address in
              (event_guard_blocks(psql, hostname or socket.gethostname()) if unblock else []) if covered(address, nodes)]
    if not check_mode:
        if plan.changed:
            after = apply_change(psql, plan, name, description, node_description, new_uuid=new_uuid)
            if plan_change(after, nodes, description, state_name).changed:
                raise AccessControlError('access control list %s does not hold the expected nodes after the change: %s'
                                         % (name, ', '.join(after.allow_cidrs()) or 'none'))
        if blocks:
            request_unblock(psql, [log_uuid for log_uuid, _address in blocks])
    return Result(plan, wanted, sorted(set(address for _log_uuid, address in blocks)))
