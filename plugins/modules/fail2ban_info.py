#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: fail2ban_info
short_description: Read jails, their settings, banned addresses and counters from a running fail2ban
version_added: 0.1.0
description:
  - Asks the running fail2ban server, through C(fail2ban-client), for its jails and returns them as structured data
    with their effective settings, the addresses they ban now and their failure and ban counters, plus totals over
    the jails reported.
  - Reads what the server runs, not the configuration files, so the result is what fail2ban really applies.
  - Never fails because fail2ban is not running. When C(fail2ban-client) is missing or cannot talk to the server
    (stopped, stale socket, no permission on the socket) it returns RV(running=false) and the reason.
  - Fails only when the server answers but a command fails or prints something the module cannot read (an
    unsupported fail2ban version); the message shows the command and its output.
  - Works with fail2ban 0.11, 1.0 and 1.1 (Debian 11, 12, 13).
  - Runs one C(fail2ban-client) command per value (about ten per jail, each a short Python process); use O(jails),
    O(include_settings=false) to ask for less on hosts with many jails.
author:
  - voipguard.pbx contributors (@voipguard)
extends_documentation_fragment:
  - voipguard.pbx.attributes.info_module
  - voipguard.pbx.fail2ban_client
options:
  jails:
    description:
      - Jails to report. Default is every jail of the server.
      - A jail the server does not have is listed in RV(missing_jails), not an error.
    type: list
    elements: str
    default: []
  include_bans:
    description:
      - Return the addresses each jail bans now in RV(jails.banned).
    type: bool
    default: true
  include_settings:
    description:
      - Return each jail's effective settings (C(maxretry), C(findtime), C(bantime), C(ignoreip), C(ignoreself),
        C(logpath), C(actions) and the number of C(failregex)). Without them only the counters and bans are read.
    type: bool
    default: true
  sip_trust_state:
    description:
      - State file of voipguard-sip-trust, the freeswitch role's service that keeps the addresses FreeSWITCH trusts
        (registrations, gateways, ACL networks) in the SIP jails' ignore list. Returned as RV(sip_trust).
    type: path
    default: /var/lib/voipguard/sip-trust.json
  blocklist_addresses:
    description:
      - Addresses to look up in the blocklists; RV(blocklist.addresses) says for each which lists block it.
    type: list
    elements: str
    default: []
  blocklist_program:
    description:
      - voipguard-blocklist, the fail2ban role's blocklist program. Its lists and the nftables table it loads are
        returned as RV(blocklist).
    type: path
    default: /usr/local/sbin/voipguard-blocklist
  blocklist_config:
    description: The blocklist program's configuration.
    type: path
    default: /etc/voipguard/blocklist.json
notes:
  - Needs root (or access to fail2ban's socket), so use O(ignore:become=true).
seealso:
  - module: voipguard.pbx.fail2ban_ban
  - module: voipguard.pbx.blocklist
'''

EXAMPLES = r'''
- name: Read fail2ban's state
  voipguard.pbx.fail2ban_info:
  become: true
  register: fail2ban

- name: Fail when fail2ban is down or the FreeSWITCH jail is missing
  ansible.builtin.assert:
    that:
      - fail2ban.running
      - "'freeswitch' in fail2ban.jails"
    fail_msg: "{{ fail2ban.reason | default('the freeswitch jail is not running', true) }}"

- name: Counters only, for two jails
  voipguard.pbx.fail2ban_info:
    jails: [freeswitch, sshd]
    include_bans: false
    include_settings: false
  become: true
  register: counters

- name: Show how many addresses each jail bans
  ansible.builtin.debug:
    msg: "{{ item.key }}: {{ item.value.currently_banned }}"
  loop: "{{ counters.jails | dict2items }}"
'''

RETURN = r'''
running:
  description: Whether a fail2ban server answered.
  returned: always
  type: bool
  sample: true
reason:
  description: Why fail2ban is considered not running (the message of C(fail2ban-client)); V(null) when running.
  returned: always
  type: str
  sample: "fail2ban is not reachable: Failed to access socket path: /var/run/fail2ban/fail2ban.sock. Is fail2ban running?"
version:
  description: Version of the fail2ban server.
  returned: always (V(null) when not running)
  type: str
  sample: 1.0.2
jail_names:
  description: Every jail the server runs, in its order.
  returned: always
  type: list
  elements: str
  sample: [freeswitch, sshd]
missing_jails:
  description: Jails asked for in O(jails) that the server does not run.
  returned: always
  type: list
  elements: str
  sample: []
jails:
  description: The jails reported, by name.
  returned: always
  type: dict
  contains:
    currently_failed:
      description: Addresses with failures that are not banned (yet).
      type: int
      sample: 2
    total_failed:
      description: Failures counted since the jail started.
      type: int
      sample: 57
    currently_banned:
      description: Addresses banned now.
      type: int
      sample: 3
    total_banned:
      description: Bans since the jail started.
      type: int
      sample: 12
    banned:
      description: Addresses banned now.
      returned: when O(include_bans=true)
      type: list
      elements: str
      sample: [203.0.113.7, 2001:db8::5]
    file_list:
      description: Log files the jail reads.
      returned: for jails with a file backend
      type: list
      elements: str
      sample: [/var/log/freeswitch/freeswitch.log]
    journal_matches:
      description: journald matches of the jail.
      returned: for jails with the systemd backend
      type: list
      elements: str
      sample: [_SYSTEMD_UNIT=sshd.service]
    maxretry:
      description: Failures within RV(jails.findtime) that trigger a ban.
      returned: when O(include_settings=true)
      type: int
      sample: 5
    findtime:
      description: Seconds the jail looks back for failures.
      returned: when O(include_settings=true)
      type: int
      sample: 600
    bantime:
      description: Seconds a ban lasts; V(-1) is forever.
      returned: when O(include_settings=true)
      type: int
      sample: 3600
    ignoreip:
      description: Whitelisted addresses, networks and DNS names, as the server normalised them.
      returned: when O(include_settings=true)
      type: list
      elements: str
      sample: [127.0.0.0/8, "::1", 192.0.2.0/24]
    ignoreself:
      description: Whether the host's own addresses are never banned.
      returned: when O(include_settings=true)
      type: bool
      sample: true
    logpath:
      description: Log files monitored (empty for the systemd backend).
      returned: when O(include_settings=true)
      type: list
      elements: str
      sample: [/var/log/freeswitch/freeswitch.log]
    actions:
      description: Names of the jail's ban actions.
      returned: when O(include_settings=true)
      type: list
      elements: str
      sample: [iptables-allports]
    failregex_count:
      description: Number of failure regular expressions; V(0) means the jail can never ban on its own.
      returned: when O(include_settings=true)
      type: int
      sample: 4
  sample:
    freeswitch:
      currently_failed: 0
      total_failed: 4
      currently_banned: 1
      total_banned: 1
      banned: [203.0.113.7]
      file_list: [/var/log/freeswitch/freeswitch.log]
      maxretry: 5
      findtime: 600
      bantime: 3600
      ignoreip: [127.0.0.0/8, "::1"]
      ignoreself: true
      logpath: [/var/log/freeswitch/freeswitch.log]
      actions: [iptables-allports]
      failregex_count: 4
totals:
  description: Sums of the counters over the jails reported.
  returned: always
  type: dict
  contains:
    currently_failed:
      description: Sum of RV(jails.currently_failed).
      type: int
    total_failed:
      description: Sum of RV(jails.total_failed).
      type: int
    currently_banned:
      description: Sum of RV(jails.currently_banned).
      type: int
    total_banned:
      description: Sum of RV(jails.total_banned).
      type: int
  sample: {currently_failed: 0, total_failed: 4, currently_banned: 1, total_banned: 1}
sip_trust:
  description:
    - What voipguard-sip-trust trusts and why, from O(sip_trust_state); V(null) when the file does not exist (the
      service is not installed).
    - Its entries are also in the RV(jails) C(ignoreip) of the jails it manages, at run time only.
  returned: always
  type: dict
  contains:
    error:
      description: Why the state file could not be read (then nothing is reported as trusted); V(null) otherwise.
      type: str
    updated:
      description: When the service last wrote the state (seconds since the epoch).
      type: float
    age:
      description: Seconds since then; more than a few times RV(sip_trust.refresh_interval) means the service stopped.
      type: int
    refresh_interval:
      description: Seconds between two questions of the service to FreeSWITCH.
      type: int
    sources:
      description: Which sources are switched on (registrations, gateways, acls).
      type: dict
    registration_window:
      description: Seconds an address stays trusted after its last registration.
      type: int
    trusted:
      description: Each trusted address or network (C(entry)) with the reasons (C(reasons)).
      type: list
      elements: dict
    skipped:
      description: ACL entries not trusted (C(entry)) and why (C(reason)).
      type: list
      elements: dict
    errors:
      description: Questions to FreeSWITCH that failed at the last refresh, by source (the last answer is kept).
      type: dict
    jails:
      description: By jail, C(synced) or why its ignore list could not be kept in step.
      type: dict
    owned:
      description:
        - By jail, the ignore list entries the service added, its sentinel C(100::5e7f:7275:7374) included (an address of
          the discard-only prefix that tells the service when fail2ban reloaded the jail).
      type: dict
    unbanned:
      description: The last bans the service lifted because they held a trusted address (jail, address, entry, at).
      type: list
      elements: dict
  sample:
    error: null
    updated: 1796024188.65
    age: 3
    refresh_interval: 10
    sources: {registrations: true, gateways: true, acls: true}
    registration_window: 86400
    trusted:
      - entry: 198.51.100.20
        reasons: ["registered now: 1000@pbx.example.com"]
      - entry: 203.0.113.0/28
        reasons: ["acl providers (profiles external) allows 203.0.113.0/28"]
    skipped: [{entry: "acl domains domain pbx.example.com", reason: "domain nodes (users' cidr params) are not read"}]
    errors: {}
    jails: {voipguard-freeswitch: synced}
    owned: {voipguard-freeswitch: ["100::5e7f:7275:7374", 198.51.100.20, 203.0.113.0/28]}
    unbanned: []
blocklist:
  description:
    - The blocklists beside fail2ban's bans (voipguard-blocklist), V(null) when the program is not installed.
    - Never fails the module; a program that cannot answer gives RV(blocklist.error).
  returned: always
  type: dict
  contains:
    error:
      description: Why the program could not answer; absent otherwise.
      type: str
    entries:
      description: Entries of every list together.
      type: int
    lists:
      description:
        - By list, C(kind) (C(import) or C(managed)), C(entries), C(networks), C(updated), C(origin), and for imports
          C(last_attempt), C(last_success) and C(last_error) (a failed import keeps the last good list).
      type: dict
    kernel:
      description:
        - The table as loaded, C(loaded), C(sets) (elements by set) and C(packets) (dropped or accepted, by set).
      type: dict
    drift:
      description: How the table differs from the lists (empty when it holds them).
      type: list
      elements: str
    addresses:
      description:
        - For each of O(blocklist_addresses), C(blocked_by) (list, entry, expiry), C(whitelisted) and C(lifted_until).
      type: dict
  sample:
    entries: 2
    lists:
      fleet: {kind: managed, entries: 1, networks: 0, updated: 1796035000, origin: null}
      voipbl: {kind: import, entries: 1, networks: 1, updated: 1796035000, origin: "https://lists.example/voip.txt",
               last_attempt: 1796035000, last_success: 1796035000, last_error: null}
    kernel: {loaded: true, sets: {allow4: 3, fleet-a4: 1, voipbl-n4: 1}, packets: {fleet-a4: 12}}
    drift: []
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.voipguard.pbx.plugins.module_utils import blocklist
from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_client import (
    Fail2banError,
    client_for_module,
    gather_info,
)
from ansible_collections.voipguard.pbx.plugins.module_utils.sip_trust import DEFAULT_STATE_PATH, read_state


def blocklist_state(module):
    params = module.params
    if not blocklist.installed(params['blocklist_program'], params['blocklist_config']):
        return None
    try:
        return blocklist.status(module.run_command, params['blocklist_program'], params['blocklist_config'],
                                params['blocklist_addresses'])
    except blocklist.BlocklistError as exc:
        return {'error': str(exc)}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            jails=dict(type='list', elements='str', default=[]),
            include_bans=dict(type='bool', default=True),
            include_settings=dict(type='bool', default=True),
            socket=dict(type='path'),
            sip_trust_state=dict(type='path', default=DEFAULT_STATE_PATH),
            blocklist_addresses=dict(type='list', elements='str', default=[]),
            blocklist_program=dict(type='path', default=blocklist.DEFAULT_PROGRAM),
            blocklist_config=dict(type='path', default=blocklist.DEFAULT_CONFIG),
        ),
        supports_check_mode=True,
    )
    binary = module.get_bin_path('fail2ban-client')
    if binary is None:
        module.exit_json(changed=False, running=False, reason='fail2ban-client is not installed (not found on PATH)',
                         version=None, jails={}, jail_names=[], missing_jails=[], sip_trust=None,
                         blocklist=blocklist_state(module),
                         totals=dict(currently_failed=0, total_failed=0, currently_banned=0, total_banned=0))

    client = client_for_module(module, binary)
    try:
        info = gather_info(client, jails=module.params['jails'], include_bans=module.params['include_bans'],
                           include_settings=module.params['include_settings'])
        # Read after the jails: an entry the service adds meanwhile is already named in the state.
        info['sip_trust'] = read_state(module.params['sip_trust_state'], time.time())
        info['blocklist'] = blocklist_state(module)
    except Fail2banError as exc:
        module.fail_json(msg=exc.message, **exc.details())
    module.exit_json(changed=False, **info)


if __name__ == '__main__':
    main()
