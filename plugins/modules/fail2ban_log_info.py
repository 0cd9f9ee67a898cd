#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: fail2ban_log_info
short_description: Tell what fail2ban's own log says about addresses, and which filter banned them
version_added: 0.1.0
description:
  - Reads fail2ban's log file and returns, for each address and jail, the failures the jail's filter found
    (C(Found) lines), its bans (C(Ban), C(Restore Ban), C(Increase Ban)) and unbans, with their times.
  - Names the filter of each jail, read from the jail configuration files in fail2ban's load order
    (C(jail.conf), C(jail.d/*.conf), C(jail.local), C(jail.d/*.local)).
  - A ban without C(Found) lines was made by hand (C(fail2ban-client set <jail> banip)), for example by the
    ban_sync playbook.
  - Reads the current log file only, not rotated ones. Read-only.
author:
  - voipguard.pbx contributors (@voipguard)
extends_documentation_fragment:
  - voipguard.pbx.attributes.info_module
options:
  addresses:
    description:
      - IPv4 or IPv6 addresses to look for.
    type: list
    elements: str
    required: true
  log_path:
    description:
      - fail2ban's log file. Default is C(/var/log/fail2ban.log).
    type: path
    default: /var/log/fail2ban.log
  config_dir:
    description:
      - fail2ban's configuration directory, to name each jail's filter.
    type: path
    default: /etc/fail2ban
notes:
  - Needs root to read the log, so use O(ignore:become=true).
seealso:
  - module: voipguard.pbx.fail2ban_info
'''

EXAMPLES = r'''
- name: Where and why is 203.0.113.7 banned?
  voipguard.pbx.fail2ban_log_info:
    addresses: [203.0.113.7]
  become: true
  register: history

- name: Show it
  ansible.builtin.debug:
    msg: "{{ item.key }}: {{ item.value.found }} failure(s) found by filter {{ history.filters[item.key] }}"
  loop: "{{ history.addresses['203.0.113.7'] | dict2items }}"
'''

RETURN = r'''
addresses:
  description: For each address (canonical form), the jails that logged something about it.
  returned: always
  type: dict
  sample:
    203.0.113.7:
      voipguard-freeswitch:
        found: 5
        first_found: "2026-01-05 10:11:12"
        last_found: "2026-01-05 10:11:19"
        bans: 1
        last_ban: "2026-01-05 10:11:19"
        last_unban: null
        last_event: Ban
filters:
  description: The filter of every jail named in RV(addresses).
  returned: always
  type: dict
  sample: {voipguard-freeswitch: voipguard-freeswitch}
log_path:
  description: The log file read.
  returned: always
  type: str
  sample: /var/log/fail2ban.log
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.voipguard.pbx.plugins.module_utils import config_file
from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import ValidationError
from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_log import ban_history
from ansible_collections.voipguard.pbx.plugins.module_utils.jail_filters import jail_config_files, jail_filters


def read_text(path):
    """A log or configuration file as text (odd bytes replaced); a FIFO or device is refused, never opened."""
    target, exists = config_file.resolve(path)
    if not exists:
        raise config_file.ConfigFileError('%s does not exist' % path)
    return config_file.read_bytes(target).decode('utf-8', 'replace')


def main():
    module = AnsibleModule(
        argument_spec=dict(
            addresses=dict(type='list', elements='str', required=True),
            log_path=dict(type='path', default='/var/log/fail2ban.log'),
            config_dir=dict(type='path', default='/etc/fail2ban'),
        ),
        supports_check_mode=True,
    )
    log_path = module.params['log_path']
    try:
        lines = read_text(log_path).splitlines()
    except config_file.ConfigFileError as exc:
        module.fail_json(msg='cannot read the fail2ban log: %s' % to_native(exc))
    try:
        history = ban_history(lines, module.params['addresses'])
    except ValidationError as exc:
        module.fail_json(msg=str(exc))
    jails = sorted(set(jail for by_jail in history.values() for jail in by_jail))
    try:
        texts = [read_text(path) for path in jail_config_files(module.params['config_dir'])]
    except (config_file.ConfigFileError, IOError, OSError) as exc:
        module.fail_json(msg='cannot read the jail configuration: %s' % to_native(exc))
    module.exit_json(changed=False, addresses=history, filters=jail_filters(texts, jails), log_path=log_path)


if __name__ == '__main__':
    main()
