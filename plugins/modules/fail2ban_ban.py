#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: fail2ban_ban
short_description: Ban or unban a list of addresses in a fail2ban jail
version_added: 0.1.0
description:
  - Bans or unbans addresses in one jail of the running fail2ban server, through C(fail2ban-client).
  - Idempotent, an address already banned is not banned again, one not banned is not unbanned; both are
    returned in RV(already).
  - Sends the addresses to change in batches of O(batch_size) per C(fail2ban-client set <jail> banip|unbanip)
    command, so ten thousand addresses take a handful of commands. fail2ban still runs the jail's ban action
    once per address; set-based actions (ipset, nftables) keep that fast.
  - Every address is validated first. Only single IPv4 or IPv6 addresses are accepted (C(::ffff:a.b.c.d) is
    banned as C(a.b.c.d), as fail2ban does). Networks and DNS names are refused, fail2ban would store a network as
    an opaque string that set-based actions reject and that C(get <jail> banned) does not match addresses against.
  - Refuses to ban an address the jail whitelists, by an C(ignoreip) entry (address, network, or DNS name resolved
    now) or by C(ignoreself) (the host's own addresses), unless O(force=true). The error names every such address
    and the entry that whitelists it. fail2ban itself does not check its whitelist for manual bans.
  - Bans made this way last the jail's C(bantime) and are kept in fail2ban's database like any other ban.
author:
  - voipguard.pbx contributors (@voipguard)
extends_documentation_fragment:
  - voipguard.pbx.fail2ban_client
options:
  jail:
    description:
      - Name of a jail of the running server.
    type: str
    required: true
  addresses:
    description:
      - IPv4 or IPv6 addresses to ban or unban. Duplicates (also in other spellings such as upper-case IPv6) count once.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(banned) bans the addresses not banned yet, V(unbanned) lifts the bans of those banned now.
    type: str
    choices: [banned, unbanned]
    default: banned
  force:
    description:
      - Ban addresses even when the jail's C(ignoreip) or C(ignoreself) whitelists them.
    type: bool
    default: false
  batch_size:
    description:
      - Addresses per C(fail2ban-client) command.
    type: int
    default: 500
attributes:
  check_mode:
    support: full
    description: Reads the jail's bans and whitelist and predicts exactly which addresses would change.
  diff_mode:
    support: none
    description: Nothing to show as a diff.
notes:
  - Needs root (or access to fail2ban's socket), so use O(ignore:become=true).
  - Fails when fail2ban is not running or the jail does not exist.
seealso:
  - module: voipguard.pbx.fail2ban_info
'''

EXAMPLES = r'''
- name: Ban scanners seen on another PBX
  voipguard.pbx.fail2ban_ban:
    jail: freeswitch
    addresses:
      - 203.0.113.7
      - 2001:db8::5
  become: true

- name: Lift the ban of a customer's office
  voipguard.pbx.fail2ban_ban:
    jail: freeswitch
    addresses: [198.51.100.20]
    state: unbanned
  become: true

- name: Push every ban of the first PBX to the others
  voipguard.pbx.fail2ban_ban:
    jail: freeswitch
    addresses: "{{ hostvars[groups['pbx'][0]].fail2ban.jails.freeswitch.banned }}"
  become: true
'''

RETURN = r'''
jail:
  description: The jail.
  returned: always
  type: str
  sample: freeswitch
banned:
  description: Addresses banned by this task (or that would be, in check mode), in canonical form.
  returned: always
  type: list
  elements: str
  sample: [203.0.113.7, "2001:db8::5"]
unbanned:
  description: Addresses whose ban this task lifted (or would lift, in check mode).
  returned: always
  type: list
  elements: str
  sample: []
already:
  description: Addresses already in the requested state, left alone.
  returned: always
  type: list
  elements: str
  sample: [198.51.100.9]
batches:
  description: Number of C(fail2ban-client set <jail> banip|unbanip) commands sent (V(0) in check mode).
  returned: always
  type: int
  sample: 1
whitelisted:
  description: Addresses refused because the jail whitelists them, with the entry that does.
  returned: on failure because of whitelisted addresses
  type: list
  elements: dict
  contains:
    address:
      description: The address.
      type: str
    entry:
      description: The C(ignoreip) entry, or C(ignoreself (<name>)).
      type: str
  sample: [{address: 192.0.2.10, entry: 192.0.2.0/24}]
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import ValidationError
from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_client import (
    Fail2banError,
    client_for_module,
    WhitelistedAddresses,
    apply_bans,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            jail=dict(type='str', required=True),
            addresses=dict(type='list', elements='str', required=True),
            state=dict(type='str', default='banned', choices=['banned', 'unbanned']),
            force=dict(type='bool', default=False),
            batch_size=dict(type='int', default=500),
            socket=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, jail=params['jail'], banned=[], unbanned=[], already=[], batches=0)
    if params['batch_size'] < 1:
        module.fail_json(msg='batch_size must be at least 1', **result)
    binary = module.get_bin_path('fail2ban-client', required=True)

    client = client_for_module(module, binary)
    try:
        result.update(apply_bans(client, params['jail'], params['addresses'], state=params['state'],
                                 force=params['force'], check_mode=module.check_mode,
                                 batch_size=params['batch_size']))
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc), **result)
    except WhitelistedAddresses as exc:
        module.fail_json(msg=to_native(exc), whitelisted=[dict(address=address, entry=entry) for address, entry in exc.matches],
                         **result)
    except Fail2banError as exc:
        result.update(exc.partial or {})
        result.update(exc.details())
        module.fail_json(msg=exc.message, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
