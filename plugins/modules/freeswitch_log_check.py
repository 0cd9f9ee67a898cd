#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: freeswitch_log_check
short_description: Check that FreeSWITCH's log reaches fail2ban in a format its filter matches
version_added: 0.1.0
description:
  - Read-only check of the two things between a SIP brute force and a fail2ban ban that no service status shows.
  - "WARNING reaches the log: mod_logfile's map C(all) (C(autoload_configs/logfile.conf.xml)) lists C(warning)
    and the core C(loglevel) (C(autoload_configs/switch.conf.xml)) does not drop it. Every auth failure is a
    WARNING line."
  - "The filter matches the host's log format: the newest auth-event lines of the log (up to O(sample)) are
    run through C(fail2ban-regex) with the installed filter, and so is a probe line: a made-up auth failure
    from O(probe_address) written with the prefix (time stamp, idle-CPU field, syslog header) of the newest
    line of the log. A FreeSWITCH upgrade or a syslog change that alters the prefix shows here before an
    attack goes unnoticed."
  - When the log has no line to judge the format by, RV(filter_matches) is V(null).
author:
  - voipguard.pbx contributors (@voipguard)
extends_documentation_fragment:
  - voipguard.pbx.attributes.info_module
options:
  log_path:
    description:
      - FreeSWITCH's log file. Default is the first file of C(/var/log/freeswitch/freeswitch.log) and
        C(/usr/local/freeswitch/log/freeswitch.log).
    type: path
  config_dir:
    description:
      - FreeSWITCH's configuration directory (the one with C(autoload_configs/)). Default is the first of
        C(/etc/freeswitch), C(/usr/local/freeswitch/conf) and C(/usr/local/etc/freeswitch) that has
        C(autoload_configs/).
    type: path
  filter:
    description:
      - The fail2ban filter, a name in O(fail2ban_config_dir)C(/filter.d) or a path.
    type: str
    default: voipguard-freeswitch
  fail2ban_config_dir:
    description:
      - fail2ban's configuration directory.
    type: path
    default: /etc/fail2ban
  lines:
    description:
      - How many lines at the end of the log to read.
    type: int
    default: 5000
  sample:
    description:
      - How many of the newest auth-event lines to run through C(fail2ban-regex) (one run each).
    type: int
    default: 5
  probe_address:
    description:
      - Source address of the probe line (it is never written anywhere).
    type: str
    default: 192.0.2.251
notes:
  - Needs C(fail2ban-regex) (part of fail2ban) and read access to the log, so use O(ignore:become=true).
seealso:
  - module: voipguard.pbx.sofia_param
'''

EXAMPLES = r'''
- name: Check that FreeSWITCH's auth failures can reach fail2ban
  voipguard.pbx.freeswitch_log_check:
  become: true
  register: log_check

- name: Fail when they cannot
  ansible.builtin.assert:
    that:
      - log_check.warning_logged
      - log_check.filter_matches is not false
    fail_msg: "{{ log_check.warning_reason }} / {{ log_check.filter_reason }}"
'''

RETURN = r'''
log_path:
  description: The log file read.
  returned: always
  type: str
  sample: /var/log/freeswitch/freeswitch.log
config_dir:
  description: The configuration directory read.
  returned: always
  type: str
  sample: /etc/freeswitch
filter_path:
  description: The filter file used.
  returned: always
  type: str
  sample: /etc/fail2ban/filter.d/voipguard-freeswitch.conf
warning_logged:
  description: Whether the configuration lets WARNING lines reach the log file.
  returned: always
  type: bool
  sample: true
warning_reason:
  description: Why RV(warning_logged) is what it is.
  returned: always
  type: str
  sample: map "all" lists warning and the core loglevel passes it
log_format:
  description:
    - Format of the newest log line with a level tag; V(freeswitch-1.10.7+) (idle-CPU field),
      V(freeswitch-1.10.6), V(freeswitch-syslog), V(freeswitch-short), V(unknown), or V(null) when there is none.
  returned: always
  type: str
  sample: freeswitch-1.10.7+
probe_line:
  description: The made-up auth failure tested, or V(null).
  returned: always
  type: str
  sample: "2026-01-05 10:11:12.123456 97.43% [WARNING] sofia_reg.c:1792 SIP auth failure (REGISTER) on sofia profile ..."
probe_matched:
  description: Whether the filter matched the probe line (V(null) without a probe).
  returned: always
  type: bool
auth_lines:
  description: Auth-event lines of the log that were tested.
  returned: always
  type: int
  sample: 5
auth_lines_matched:
  description: How many of them the filter matched.
  returned: always
  type: int
  sample: 5
missed_lines:
  description: Auth-event lines the filter did not match (the first three).
  returned: always
  type: list
  elements: str
  sample: []
filter_matches:
  description: V(true) when the probe and every tested auth line matched, V(false) when one did not, V(null) when
    the log gave nothing to test.
  returned: always
  type: bool
  sample: true
filter_reason:
  description: Why RV(filter_matches) is what it is.
  returned: always
  type: str
  sample: "the filter matches the probe and 5 of 5 recent auth lines (format freeswitch-1.10.7+)"
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.voipguard.pbx.plugins.module_utils import freeswitch_layout, freeswitch_log


def filter_path(module):
    name = module.params['filter']
    if '/' in name:
        return name
    return os.path.join(module.params['fail2ban_config_dir'], 'filter.d', name + '.conf')


def regex_matches(module, binary, line, path):
    rc, out, err = module.run_command([binary, line, path], environ_update=dict(LANG='C', LC_ALL='C'))
    if rc != 0:
        module.fail_json(msg='fail2ban-regex failed (rc=%s): %s' % (rc, (err or out)[-500:]), rc=rc, stdout=out, stderr=err)
    try:
        matched, _missed = freeswitch_log.parse_regex_summary(out)
    except ValueError as exc:
        module.fail_json(msg=str(exc), stdout=out, stderr=err)
    return matched == 1


def main():
    module = AnsibleModule(
        argument_spec=dict(
            log_path=dict(type='path'),
            config_dir=dict(type='path'),
            filter=dict(type='str', default='voipguard-freeswitch'),
            fail2ban_config_dir=dict(type='path', default='/etc/fail2ban'),
            lines=dict(type='int', default=5000),
            sample=dict(type='int', default=5),
            probe_address=dict(type='str', default='192.0.2.251'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    log_path = params['log_path'] or freeswitch_layout.find_log()
    config_dir = params['config_dir'] or freeswitch_layout.find_config_dir('autoload_configs')
    if not log_path or not os.path.isfile(log_path):
        module.fail_json(msg='no FreeSWITCH log file at %s; set log_path'
                         % (log_path or ', '.join(freeswitch_layout.LOG_PATHS)))
    if not config_dir:
        module.fail_json(msg='no FreeSWITCH configuration directory with autoload_configs/ at %s; set config_dir'
                         % ', '.join(freeswitch_layout.CONFIG_DIRS))
    path = filter_path(module)
    result = dict(changed=False, log_path=log_path, config_dir=config_dir, filter_path=path)

    result['warning_logged'], result['warning_reason'] = freeswitch_log.warning_logged(config_dir)

    try:
        lines = freeswitch_log.tail_lines(log_path, max(1, params['lines']))
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot read %s: %s' % (log_path, to_native(exc)), **result)
    log_format, prefix, level = freeswitch_log.last_format(lines)
    probe = freeswitch_log.probe_line(prefix, level, params['probe_address']) if log_format else None
    auth = freeswitch_log.auth_event_lines(lines, max(0, params['sample']))
    result.update(log_format=log_format, probe_line=probe, probe_matched=None, auth_lines=len(auth),
                  auth_lines_matched=0, missed_lines=[], filter_matches=None)

    if probe is None and not auth:
        result['filter_reason'] = 'the last %d lines of %s hold no FreeSWITCH log line to judge the format by' % (
            params['lines'], log_path)
        module.exit_json(**result)
    if not os.path.isfile(path):
        result.update(filter_matches=False, filter_reason='filter %s is not installed' % path)
        module.exit_json(**result)
    binary = module.get_bin_path('fail2ban-regex', required=True)
    if probe is not None:
        result['probe_matched'] = regex_matches(module, binary, probe, path)
    missed = [line for line in auth if not regex_matches(module, binary, line, path)]
    result['auth_lines_matched'] = len(auth) - len(missed)
    result['missed_lines'] = missed[:3]
    result['filter_matches'] = result['probe_matched'] is not False and not missed
    if result['filter_matches']:
        matched = ['a probe line in format %s' % log_format] if probe else []
        if auth:
            matched.append('all %d recent auth line(s) of the log' % len(auth))
        result['filter_reason'] = 'the filter matches %s' % ' and '.join(matched)
    else:
        reasons = []
        if result['probe_matched'] is False:
            reasons.append('the filter does not match a probe line in this host\'s format %s: %s' % (log_format, probe))
        if missed:
            reasons.append('it misses %d of %d recent auth line(s), e.g. %s' % (len(missed), len(auth), missed[0]))
        result['filter_reason'] = '; '.join(reasons)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
