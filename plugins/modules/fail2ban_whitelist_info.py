#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: fail2ban_whitelist_info
short_description: Tell which addresses the whitelist of each running fail2ban jail covers
version_added: 0.1.0
description:
  - Asks the running fail2ban server, through C(fail2ban-client), for each jail's whitelist (C(ignoreip) and
    C(ignoreself)) and tells which of the given addresses it covers, and by which entry.
  - Without O(addresses), checks the addresses each jail bans now, which finds bans that a whitelist change
    made wrong (fail2ban does not lift them by itself).
  - DNS names in C(ignoreip) are resolved on the managed host, as fail2ban resolves them; C(ignoreself) covers
    the addresses of the host's own names.
  - Read-only. Fails when fail2ban is not running.
author:
  - voipguard.pbx contributors (@voipguard)
extends_documentation_fragment:
  - voipguard.pbx.attributes.info_module
  - voipguard.pbx.fail2ban_client
options:
  jails:
    description:
      - Jails to check. Default is every jail of the server. Jails the server does not run are listed in
        RV(missing_jails).
    type: list
    elements: str
    default: []
  addresses:
    description:
      - IPv4 or IPv6 addresses to check against every jail in O(jails).
      - Default is the addresses each jail bans now.
    type: list
    elements: str
notes:
  - Needs root (or access to fail2ban's socket), so use O(ignore:become=true).
seealso:
  - module: voipguard.pbx.fail2ban_ban
  - module: voipguard.pbx.fail2ban_info
'''

EXAMPLES = r'''
- name: Find bans the whitelist covers
  voipguard.pbx.fail2ban_whitelist_info:
  become: true
  register: whitelisted

- name: Lift them
  voipguard.pbx.fail2ban_ban:
    jail: "{{ item.key }}"
    addresses: "{{ item.value.whitelisted | map(attribute='address') }}"
    state: unbanned
  loop: "{{ whitelisted.jails | dict2items | selectattr('value.whitelisted') }}"
  become: true

- name: Which of these addresses may be banned in the FreeSWITCH jail?
  voipguard.pbx.fail2ban_whitelist_info:
    jails: [voipguard-freeswitch]
    addresses: [203.0.113.7, 198.51.100.20]
  become: true
'''

RETURN = r'''
jails:
  description: The jails checked, by name.
  returned: always
  type: dict
  contains:
    whitelisted:
      description: Addresses the jail's whitelist covers, with the entry that covers each.
      type: list
      elements: dict
      sample: [{address: 198.51.100.20, entry: 198.51.100.0/24}]
    not_whitelisted:
      description: Addresses the whitelist does not cover.
      type: list
      elements: str
      sample: [203.0.113.7]
    ignoreip:
      description: The jail's C(ignoreip) entries, as the server holds them.
      type: list
      elements: str
      sample: [127.0.0.0/8, "::1", 198.51.100.0/24]
    unresolved:
      description: DNS names of C(ignoreip) that do not resolve on the host (they cover nothing).
      type: list
      elements: str
      sample: []
missing_jails:
  description: Jails of O(jails) the server does not run.
  returned: always
  type: list
  elements: str
  sample: []
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import ValidationError
from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_client import (
    Fail2banError,
    client_for_module,
)
from ansible_collections.voipguard.pbx.plugins.module_utils.whitelist_report import whitelist_report


def main():
    module = AnsibleModule(
        argument_spec=dict(
            jails=dict(type='list', elements='str', default=[]),
            addresses=dict(type='list', elements='str'),
            socket=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    binary = module.get_bin_path('fail2ban-client', required=True)

    client = client_for_module(module, binary)
    try:
        jails, missing = whitelist_report(client, jails=module.params['jails'], addresses=module.params['addresses'])
    except ValidationError as exc:
        module.fail_json(msg=str(exc))
    except Fail2banError as exc:
        module.fail_json(msg=exc.message, **exc.details())
    module.exit_json(changed=False, jails=jails, missing_jails=missing)


if __name__ == '__main__':
    main()
