#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: fusionpbx_access_control
short_description: Keep a FusionPBX access control list holding exactly a whitelist, so event_guard honours it
version_added: 0.1.0
description:
  - Makes one FusionPBX access control list (C(v_access_controls), default C(deny)) hold exactly the given
    addresses and networks as C(allow) nodes (C(v_access_control_nodes)), in one transaction through the host's C(psql).
    Other lists are never touched.
  - "FusionPBX's own blocker, event_guard, never blocks an address that an C(allow) node of any list covers, so this is
    how the operator's whitelist reaches it. event_guard remembers every address it allowed in FusionPBX's cache
    (C(switch.allowed.<address>)) for ever; after a change those files and the cached C(acl.conf) are deleted."
  - With O(unblock=true), event_guard's blocks on this host (C(v_event_guard_logs) rows of this host name, C(blocked)
    or still C(pending)) of addresses the list covers are marked C(pending), as FusionPBX's web interface does;
    event_guard lifts them when it receives its C(event_guard:unblock) event, which the module sends through
    C(fs_cli) (FreeSWITCH's Lua). The task fails when that event cannot be sent; the next run asks again.
  - The names of FusionPBX's and FreeSWITCH's own lists (C(rfc1918), C(providers), C(domains), ...) are refused, and so
    are entries that FusionPBX's C(check_cidr()) would turn into "allow everyone" (networks starting at C(0.0.0.0)).
  - Invalid entries, names or descriptions fail the task before anything is written.
author:
  - voipguard.pbx contributors (@voipguard)
extends_documentation_fragment:
  - voipguard.pbx.fusionpbx_database
options:
  name:
    description:
      - Name of the list. FusionPBX also serves every list to FreeSWITCH as C(acl.conf); a list no Sofia profile
        names has no effect on SIP there.
      - 1 to 64 letters, digits, C(.), C(_) and C(-).
    type: str
    required: true
  nodes:
    description:
      - Whitelist entries as fail2ban's C(ignoreip) takes them, so one list serves both blockers; addresses,
        CIDR networks (host bits are masked, as fail2ban does) and DNS names.
      - An address becomes a C(/32) node. A DNS name becomes a node for each IPv4 address it resolves to on the
        managed host now (FusionPBX's lists hold no names); a name that does not resolve is reported in
        RV(unresolved) with a warning, as fail2ban skips it.
      - IPv6 entries are reported in RV(skipped_ipv6) and not written, because event_guard compares with
        FusionPBX's C(check_cidr()), which only understands IPv4 (an IPv6 node would match every IPv6 address).
    type: list
    elements: str
    default: []
  description:
    description: Description of the list, shown in FusionPBX.
    type: str
    default: Managed by voipguard.pbx
  node_description:
    description: Description of each node the module adds.
    type: str
    default: whitelist
  state:
    description:
      - V(present) makes the list hold exactly O(nodes) as allow nodes; other nodes of the list are deleted.
      - V(absent) deletes the list and its nodes.
    type: str
    choices: [present, absent]
    default: present
  unblock:
    description: Ask event_guard to lift its current blocks of addresses the list covers.
    type: bool
    default: true
  cache_dir:
    description:
      - FusionPBX's file cache directory. It must exist and be writable, or the module fails before it writes.
      - Default is C(cache.location) from C(config.conf), else C(/var/cache/fusionpbx).
    type: path
attributes:
  check_mode:
    description: Reads the database and predicts the changes without writing anything.
    support: full
  diff_mode:
    description: Shows the list's allow nodes before and after, one per line.
    support: full
notes:
  - "FreeSWITCH learns the changed lists at its next C(reloadacl); event_guard reads them at every event."
  - "The list is shared by every host of a FusionPBX cluster that shares the database: give them one whitelist."
  - "event_guard reads its cache settings from FusionPBX's database; the module clears the file cache of C(config.conf)
    (C(cache_dir)), which is the same directory unless an administrator changed FusionPBX's cache settings."
seealso:
  - name: FusionPBX event_guard
    description: FusionPBX's blocker and its access control check.
    link: https://github.com/fusionpbx/fusionpbx/tree/master/app/event_guard
'''

EXAMPLES = r'''
- name: Let event_guard honour the operator's whitelist
  voipguard.pbx.fusionpbx_access_control:
    name: voipguard-whitelist
    nodes:
      - 192.0.2.10
      - 198.51.100.0/24
'''

RETURN = r'''
nodes:
  description: The allow nodes the list holds after the task (IPv4 CIDRs).
  returned: always
  type: list
  elements: str
  sample: [192.0.2.10/32, 198.51.100.0/24]
added:
  description: Nodes added (or that would be).
  returned: always
  type: list
  elements: str
removed:
  description: Nodes removed (or that would be), as C(type cidr).
  returned: always
  type: list
  elements: str
  sample: [allow 203.0.113.5/32]
skipped_ipv6:
  description: IPv6 entries of O(nodes) that were not written (event_guard cannot compare them).
  returned: always
  type: list
  elements: str
resolved:
  description: The IPv4 addresses each DNS name of O(nodes) resolved to.
  returned: always
  type: dict
  sample: {sip.carrier.example: [203.0.113.20]}
unresolved:
  description: DNS names of O(nodes) that resolved to no IPv4 address.
  returned: always
  type: list
  elements: str
unblocked:
  description: Addresses event_guard had blocked that the list covers, whose blocks were lifted (or would be).
  returned: always
  type: list
  elements: str
cache_cleared:
  description: Cache files deleted (or that would be).
  returned: always
  type: list
  elements: str
database:
  description: Which database was used.
  returned: always
  type: str
  sample: database fusionpbx on 127.0.0.1 port 5432
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.voipguard.pbx.plugins.module_utils import fusionpbx_access_control as acl
from ansible_collections.voipguard.pbx.plugins.module_utils import fusionpbx_db

UNBLOCK_EVENT = "lua ~local e = freeswitch.Event('CUSTOM', 'event_guard:unblock'); e:fire()"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            nodes=dict(type='list', elements='str', default=[]),
            description=dict(type='str', default='Managed by voipguard.pbx'),
            node_description=dict(type='str', default='whitelist'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            unblock=dict(type='bool', default=True),
            cache_dir=dict(type='path'),
            **fusionpbx_db.DATABASE_ARGUMENT_SPEC
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, nodes=[], added=[], removed=[], skipped_ipv6=[], resolved={}, unresolved=[], unblocked=[],
                  cache_cleared=[])
    try:
        psql, file_settings = fusionpbx_db.open_module_database(module, 'voipguard.pbx.fusionpbx_access_control')
        result['database'] = psql.connection.describe()
        cache_dir = fusionpbx_db.cache_dir_of(file_settings, params['cache_dir'])
        fusionpbx_db.check_cache_dir(cache_dir, probe=not module.check_mode)
        outcome = fusionpbx_db.retry_on_conflict(lambda: acl.ensure(
            psql, params['name'], params['nodes'], params['description'], params['node_description'], params['state'],
            unblock=params['unblock'], check_mode=module.check_mode))
        plan = outcome.plan
        result.update(nodes=outcome.nodes.cidrs, added=plan.added,
                      removed=['%s %s' % (row['node_type'], row['node_cidr']) for row in plan.removed],
                      skipped_ipv6=outcome.nodes.skipped_ipv6, resolved=outcome.nodes.resolved,
                      unresolved=outcome.nodes.unresolved, unblocked=outcome.unblocked, changed=outcome.changed)
        if plan.changed:
            result['cache_cleared'] = acl.cache_files(cache_dir)
            if not module.check_mode:
                fusionpbx_db.remove_cache_files(result['cache_cleared'])
        if outcome.unblocked and not module.check_mode:
            # The rows are 'pending' now; until event_guard gets its event the addresses stay dropped, and the
            # next run (which counts pending rows as blocks) asks again.
            fs_cli = module.get_bin_path('fs_cli')
            rc, out, err = module.run_command([fs_cli, '-x', UNBLOCK_EVENT]) if fs_cli else (None, '', 'fs_cli is not installed')
            if rc != 0:
                module.fail_json(msg='event_guard still drops %s: asking it to lift the blocks failed (%s); run again when'
                                     ' FreeSWITCH answers fs_cli' % (', '.join(outcome.unblocked), (err or out or 'rc=%s' % rc).strip()),
                                 **result)
        if outcome.nodes.skipped_ipv6:
            module.warn('event_guard compares IPv4 only: these whitelist entries were not written to %s: %s'
                        % (params['name'], ', '.join(outcome.nodes.skipped_ipv6)))
        if outcome.nodes.unresolved:
            module.warn('these whitelist names have no IPv4 address now and are not in %s: %s'
                        % (params['name'], ', '.join(outcome.nodes.unresolved)))
        if module._diff:
            before = plan.state.allow_cidrs() if plan.state.exists else []
            result['diff'] = dict(
                before=''.join('%s\n' % node for node in before),
                after=''.join('%s\n' % node for node in result['nodes']),
                before_header='FusionPBX access control list %s (before)' % params['name'],
                after_header='FusionPBX access control list %s (after)' % params['name'])
    except fusionpbx_db.FusionPBXError as exc:
        module.fail_json(msg=to_native(exc), **result)
    except (IOError, OSError) as exc:
        module.fail_json(msg='%s: %s' % (getattr(exc, 'filename', None) or 'I/O error', to_native(exc)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
