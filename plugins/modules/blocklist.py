#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: blocklist
short_description: Block addresses and networks in the fail2ban role's nftables blocklist, or lift them
version_added: 0.3.0
description:
  - Changes a named list of voipguard-blocklist, the program the C(voipguard.pbx.fail2ban) role installs
    (O(ignore:fail2ban_blocklist_enabled), on by default on Linux with systemd). Its lists are nftables sets
    beside fail2ban's bans, so 100,000 entries load in well under a second, networks included, and each entry
    expires by itself when given a timeout.
  - The whitelist always wins. It is the C(ignoreip) of every jail in jail.local and jail.d (addresses, networks
    and DNS names) plus the host's own addresses. An entry it covers is refused (the message names every such
    entry and nothing changes), or skipped with O(on_whitelisted=skip). So is a network broader than the role's
    limit (IPv4 /8, IPv6 /32 by default). A whitelisted name that has never resolved whitelists nothing, as
    in fail2ban, and is reported as a warning.
  - O(state=lifted) unblocks addresses everywhere, removing them from the managed lists and keeping them out
    of the imported ones (a listed network is split around them) for the role's C(fail2ban_blocklist_lift_seconds).
  - Imported lists (the role's C(fail2ban_blocklist_sources)) cannot be changed here, only lifted from.
  - The C(voipguard.pbx.fail2ban) role installs the program, its units and the refresh timer of imported lists.
author:
  - voipguard.pbx contributors (@voipguard)
attributes:
  check_mode:
    support: full
    description: Predicts exactly what would be added, removed or lifted, and changes nothing.
  diff_mode:
    support: full
    description: The entries removed (before) and added (after).
options:
  name:
    description:
      - The list, 1-24 characters of a-z, 0-9 and _. V(fleet) is the list the ban_sync playbook keeps.
      - Required unless O(state=lifted).
    type: str
  entries:
    description:
      - Addresses and networks (V(203.0.113.7), V(198.51.100.0/24), V(2001:db8::/48)), each a string or a dict
        with C(entry) and C(timeout) (seconds).
      - A network with host bits set (V(198.51.100.7/24)) is refused, as it is probably a mistake.
    type: list
    elements: raw
    default: []
  timeout:
    description:
      - Seconds each entry given as a string stays blocked; V(0) blocks until removed. The kernel removes an expired
        entry by itself.
    type: int
    default: 0
  state:
    description:
      - V(present) adds the entries missing from the list; those present keep their expiry until less than half of
        their timeout is left, so a second run changes nothing. V(exact) makes the list hold exactly the entries.
        V(absent) removes them. V(lifted) unblocks the addresses in O(entries) in every list (a network holding one
        is split around it).
      - When nothing changes but the table in the kernel differs from the lists (someone flushed the firewall),
        the table is loaded again and the task reports a change.
    type: str
    choices: [present, exact, absent, lifted]
    default: present
  on_whitelisted:
    description:
      - V(fail) refuses the whole change when an entry is whitelisted; V(skip) leaves those entries out and lists
        them in RV(skipped).
    type: str
    choices: [fail, skip]
    default: fail
  program:
    description: The blocklist program.
    type: path
    default: /usr/local/sbin/voipguard-blocklist
  config:
    description: Its configuration file (the role's C(fail2ban_blocklist_config)).
    type: path
    default: /etc/voipguard/blocklist.json
notes:
  - Needs root, so use O(ignore:become=true).
seealso:
  - module: voipguard.pbx.fail2ban_info
'''

EXAMPLES = r'''
- name: Block a scanner's network for a day on every PBX
  voipguard.pbx.blocklist:
    name: manual
    entries: [203.0.113.0/24]
    timeout: 86400
  become: true

- name: Lift an address from every list
  voipguard.pbx.blocklist:
    entries: [198.51.100.20]
    state: lifted
  become: true
'''

RETURN = r'''
added:
  description: Entries added (or that would be, in check mode), in canonical form.
  returned: unless O(state=lifted)
  type: list
  elements: str
  sample: [203.0.113.0/24]
removed:
  description: Entries removed.
  returned: unless O(state=lifted)
  type: list
  elements: str
  sample: []
renewed:
  description:
    - Entries present whose expiry was pushed back, because less than half of their O(timeout) was left (a ban the
      fleet still shares stays blocked without changing on every run).
  returned: unless O(state=lifted)
  type: list
  elements: str
  sample: []
skipped:
  description: Whitelisted entries left out (O(on_whitelisted=skip)).
  returned: unless O(state=lifted)
  type: list
  elements: str
  sample: [192.0.2.10]
entries:
  description: Entries the list holds afterwards.
  returned: unless O(state=lifted)
  type: int
  sample: 1
lifted:
  description: For each address that was blocked, where (list, entry, expiry as a Unix time or null).
  returned: when O(state=lifted)
  type: dict
  sample: {198.51.100.20: [{list: fleet, entry: 198.51.100.20, expires: 1796038600}]}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.voipguard.pbx.plugins.module_utils.blocklist import (
    DEFAULT_CONFIG,
    DEFAULT_PROGRAM,
    BlocklistError,
    change_list,
    diff_of,
    installed,
    lift,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str'),
            entries=dict(type='list', elements='raw', default=[]),
            timeout=dict(type='int', default=0),
            state=dict(type='str', default='present', choices=['present', 'exact', 'absent', 'lifted']),
            on_whitelisted=dict(type='str', default='fail', choices=['fail', 'skip']),
            program=dict(type='path', default=DEFAULT_PROGRAM),
            config=dict(type='path', default=DEFAULT_CONFIG),
        ),
        required_if=[('state', 'present', ['name']), ('state', 'exact', ['name']), ('state', 'absent', ['name'])],
        supports_check_mode=True,
    )
    params = module.params
    if params['timeout'] < 0:
        module.fail_json(msg='timeout must be 0 or more seconds, got %d' % params['timeout'])
    if not installed(params['program'], params['config']):
        module.fail_json(msg='voipguard-blocklist is not installed (%s, %s): run the voipguard.pbx.fail2ban role with '
                         'fail2ban_blocklist_enabled' % (params['program'], params['config']))
    try:
        if params['state'] == 'lifted':
            result = lift(module.run_command, params['program'], params['config'],
                          [str(entry) for entry in params['entries']], check_mode=module.check_mode)
        else:
            result = change_list(module.run_command, params['program'], params['config'], params['name'],
                                 params['entries'], params['state'], timeout=params['timeout'],
                                 on_whitelisted=params['on_whitelisted'], check_mode=module.check_mode)
    except BlocklistError as exc:
        for warning in exc.warnings:
            module.warn(warning)
        module.fail_json(msg=str(exc))
    for warning in result.get('warnings', []):
        module.warn(warning)
    if params['state'] == 'lifted':
        module.exit_json(changed=result['changed'], lifted=result['lifted'])
    extra = {'diff': diff_of(result, params['name'])} if module._diff else {}
    module.exit_json(changed=result['changed'], added=result['added'], removed=result['removed'],
                     renewed=result['renewed'], skipped=result['skipped'], entries=result['entries'], **extra)


if __name__ == '__main__':
    main()
