# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to voipguard-blocklist, the fail2ban role's blocklist program on the managed host.

The program (roles/fail2ban/files/voipguard-blocklist.py) owns the lists and the nftables table: it runs from
systemd at boot and from its refresh timer, where module_utils are not installed, so the modules ask it
instead of repeating its rules. Each command prints one JSON object.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

DEFAULT_PROGRAM = '/usr/local/sbin/voipguard-blocklist'
DEFAULT_CONFIG = '/etc/voipguard/blocklist.json'
STATES = {'present': 'add', 'exact': 'exact', 'absent': 'remove'}


class BlocklistError(Exception):
    def __init__(self, msg, warnings=None):
        super(BlocklistError, self).__init__(msg)
        self.warnings = warnings or []


def installed(program, config):
    return os.path.isfile(program) and os.path.isfile(config)


def run_blocklist(run_command, program, config, args, request=None):
    """run_command: AnsibleModule.run_command. The program's JSON answer; BlocklistError with its message."""
    rc, out, err = run_command([program, '--config', config] + list(args),
                               data=None if request is None else json.dumps(request), binary_data=True)
    try:
        answer = json.loads(out)
    except ValueError:
        raise BlocklistError('%s %s gave no JSON (rc %d): %s' % (program, args[0], rc, (err or out).strip()[:2000]))
    if answer.get('failed'):
        raise BlocklistError(answer.get('msg', 'failed'), answer.get('warnings'))
    if rc != 0 and not answer.get('errors'):
        raise BlocklistError('%s %s failed (rc %d): %s' % (program, args[0], rc, (err or out).strip()[:2000]))
    return answer


def requested_entries(entries, timeout):
    """Module entries (a string, or a dict with entry and timeout) as the program's request."""
    request = []
    for item in entries:
        if isinstance(item, dict):
            request.append({'entry': item.get('entry'), 'timeout': item.get('timeout', timeout or None)})
        else:
            request.append({'entry': item, 'timeout': timeout or None})
    return request


def change_list(run_command, program, config, name, entries, state, timeout=0, on_whitelisted='fail', check_mode=False):
    args = ['update', name, '--mode', STATES[state], '--on-whitelisted', on_whitelisted]
    if check_mode:
        args.append('--check')
    return run_blocklist(run_command, program, config, args, {'entries': requested_entries(entries, timeout)})


def lift(run_command, program, config, addresses, check_mode=False):
    return run_blocklist(run_command, program, config, ['lift'] + list(addresses) + (['--check'] if check_mode else []))


def status(run_command, program, config, addresses=(), kernel=True):
    args = ['status'] + (['--kernel'] if kernel else [])
    for address in addresses:
        args += ['--address', address]
    return run_blocklist(run_command, program, config, args)


def diff_of(result, name):
    """Before/after text of the entries a change removes and adds (a whole list can hold 100,000)."""
    return {'before_header': '%s (entries removed)' % name, 'after_header': '%s (entries added)' % name,
            'before': ''.join('%s\n' % entry for entry in result.get('removed', [])),
            'after': ''.join('%s\n' % entry for entry in result.get('added', []))}
