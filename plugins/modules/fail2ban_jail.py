#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: fail2ban_jail
short_description: Manage one section (a jail or DEFAULT) of a fail2ban configuration file
version_added: 0.1.0
description:
  - Adds, updates or removes one section of a fail2ban INI file such as C(jail.local), a C(jail.d/*.local)
    file or C(fail2ban.local), and the keys in it.
  - Everything the module does not own stays byte-for-byte identical, other sections, comments, blank lines,
    spacing, continuation lines, C(%) interpolation references and keys not named in O(settings).
  - Keys are matched ignoring case, as fail2ban does. An existing key keeps its spelling, spacing and inline
    comment; only its value changes.
  - A new key is written after a commented-out setting of the same key in the section (for example
    C(#bantime = 1h)) so the documented default stays next to the real value; otherwise it goes at the end of
    the section's content, before the blank lines and comments that separate it from the next section.
    A new section is appended at the end of the file after one blank line.
  - Names, keys and values are validated before anything is written. Newlines, C([) or C(]) in names, C(=) or
    C(:) in keys, values that fail2ban would read differently (leading or trailing spaces, C(;) comments, a bare
    C(%)) are refused. C(ignoreip) entries must be IPv4 or IPv6 addresses, CIDR networks or DNS names.
    Durations (C(bantime), C(findtime), C(bantime.maxtime), C(bantime.rndtime), C(dbpurgeage)) must use
    fail2ban's syntax (C(600), C(10m), C(1h30m), C(1d 2h), C(-1)); C(maxretry), C(maxmatches), C(maxlines),
    C(dbmaxmatches) must be integers, C(bantime.factor) a number, C(enabled) and other boolean keys a boolean.
  - A file where the section, or a key to change, appears twice is refused with the line numbers of each copy.
  - With O(validate=true) (the default) the resulting configuration is tested by C(fail2ban-client --test) on a
    copy of the configuration directory before it replaces the file.
  - A symbolic link is followed, as ansible's file modules do - the link stays and its target is edited. A path
    that is a directory, FIFO, device or socket is refused without being opened. The file must be UTF-8 (as
    fail2ban reads it); a byte-order mark and CRLF line ends are kept; other encodings are refused with the
    offending byte named.
  - Writes go to a temporary file in the target's directory, renamed over it. A failure (read-only filesystem,
    disk full, permission denied) ends the module with a message naming the file and the cause, and
    RV(changed=false), the file being as it was.
author:
  - voipguard.pbx contributors (@voipguard)
options:
  path:
    description:
      - The fail2ban configuration file to edit.
    type: path
    default: /etc/fail2ban/jail.local
    aliases: [dest]
  name:
    description:
      - Name of the section, a jail name or C(DEFAULT) (also C(Definition), C(INCLUDES), ...).
      - Case-sensitive, like fail2ban's section names.
    type: str
    required: true
    aliases: [jail, section]
  state:
    description:
      - V(present) makes sure the section exists with O(settings).
      - V(absent) removes the whole section with the comments attached to it; O(settings) is then ignored.
    type: str
    choices: [present, absent]
    default: present
  settings:
    description:
      - Keys of the section and their values. Values may be strings, numbers, booleans (written V(true) or
        V(false)) or lists.
      - A value of V(null) removes the key.
      - Keys not listed are left untouched.
      - A list for a key that is not in O(list_keys) is written in order, one item per line for C(action),
        C(logpath), C(failregex) and C(ignoreregex) (fail2ban reads them line by line), space-separated on one
        line for other keys unless the existing value already spans several lines.
    type: dict
    default: {}
  list_keys:
    description:
      - Keys whose value is a set of items handled by O(list_mode). C(ignoreip) is always included.
      - Items are compared ignoring order (and, for C(ignoreip), by address, so C(2001:DB8::1) equals
        C(2001:db8::1)), so a reordered file is not changed.
      - Items already in the file stay where they are; new items are added at the end, on the key's line, or one
        per continuation line with the existing indentation when the value already spans several lines.
    type: list
    elements: str
    default: [ignoreip]
  list_mode:
    description:
      - How the items given for O(list_keys) apply to the items in the file.
      - V(exact) makes the list exactly these items, V(add) adds the missing ones and keeps the others,
        V(remove) takes these items out.
    type: str
    choices: [exact, add, remove]
    default: exact
  create:
    description:
      - Create the file when it does not exist. When V(false) and the file is missing, the module fails
        (unless O(state=absent)).
    type: bool
    default: true
  backup:
    description:
      - Create a backup file including the timestamp information so you can get the original file back.
    type: bool
    default: false
  validate:
    description:
      - Test the resulting configuration with C(fail2ban-client --test) before the file is replaced.
      - The configuration directory O(config_dir) is copied to a temporary directory, the new file is written
        into the copy, and fail2ban reads the copy. When fail2ban rejects it the module fails with fail2ban's
        error messages and the file is not touched.
      - Not done in check mode.
      - On by default, so that a configuration fail2ban would reject, such as a jail whose filter does not
        exist, is never written. Needs C(fail2ban-client) on the host; set V(false) to edit a file for a
        fail2ban that is not installed yet.
    type: bool
    default: true
  config_dir:
    description:
      - fail2ban's configuration directory, used by O(validate). O(path) must be inside it.
      - Defaults to the directory of O(path), or its parent when O(path) is in C(jail.d/) or C(fail2ban.d/).
    type: path
  remove_empty_file:
    description:
      - With O(state=absent), delete the file when nothing but blank lines and comments is left in it once the
        section is removed, for a file that holds one definition, such as C(filter.d/<name>.local). A symbolic link
        is removed itself, not the file it points to.
      - O(validate) then tests the configuration without the file, so a filter or action that a jail still uses
        is not deleted.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    description: Predicts exactly whether the file changes, and the diff.
  diff_mode:
    support: full
    description: Shows the file before and after.
notes:
  - Does not reload fail2ban; notify a handler that runs C(fail2ban-client reload) when RV(changed) is true.
seealso:
  - module: community.general.ini_file
'''

EXAMPLES = r'''
- name: Whitelist the office and the monitoring host for every jail
  voipguard.pbx.fail2ban_jail:
    name: DEFAULT
    settings:
      ignoreip:
        - 127.0.0.1/8
        - ::1
        - 192.0.2.0/24
        - monitor.example.com
      bantime: 1h
      findtime: 10m
      maxretry: 5

- name: Add one address to the whitelist, keeping the others
  voipguard.pbx.fail2ban_jail:
    name: DEFAULT
    list_mode: add
    settings:
      ignoreip: [198.51.100.7]

- name: FreeSWITCH jail in its own file, tested by fail2ban before it is put in place
  voipguard.pbx.fail2ban_jail:
    path: /etc/fail2ban/jail.d/freeswitch.local
    name: freeswitch
    validate: true
    backup: true
    owner: root
    group: root
    mode: "0644"
    settings:
      enabled: true
      port: 5060,5061,5080,5081
      protocol: all
      filter: freeswitch
      logpath: /var/log/freeswitch/freeswitch.log
      maxretry: 10
      bantime: 1d
      bantime.increment: true
      findtime: 1h
      action:
        - "%(action_)s"
  notify: Reload fail2ban

- name: Remove a setting so the DEFAULT value applies again
  voipguard.pbx.fail2ban_jail:
    name: freeswitch
    settings:
      maxretry: null

- name: Drop an old jail
  voipguard.pbx.fail2ban_jail:
    name: asterisk
    state: absent
'''

RETURN = r'''
changed:
  description: Whether the file content or its attributes changed (or would change in check mode).
  returned: always
  type: bool
  sample: true
section:
  description: Name of the section managed.
  returned: always
  type: str
  sample: freeswitch
changed_keys:
  description:
    - Keys whose value was changed, added or removed, spelled as in O(settings).
    - When a section is added, every key written; when a section is removed, every key it had.
  returned: always
  type: list
  elements: str
  sample: [bantime, ignoreip]
actions_changed:
  description:
    - Whether the change touches what a jail's actions are or do, so that fail2ban must restart the jails instead
      of a plain reload (fail2ban builds a jail's actions when the jail starts; a plain reload that brings an action
      the jail did not have drops all of them).
    - True when the file changed and a changed key chooses actions or their parameters (C(action), C(action_*),
      C(banaction), C(banaction_allports), C(port), C(protocol), C(chain); command actions such as C(pf) write
      these in their start command, which a plain reload does not run again), or the file is in C(action.d/).
      A change of the file's attributes alone is not one.
    - The handlers of the voipguard.pbx.fail2ban role reload with C(--restart) for it.
  returned: always
  type: bool
  sample: false
  version_added: 0.1.0
backup_file:
  description: Name of the backup file created.
  returned: when O(backup=true) and the file changed
  type: str
  sample: /etc/fail2ban/jail.local.12345.2026-01-01@10:00:00~
diff:
  description: The file before and after, when the task runs with C(--diff).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Content before.
      type: str
    after:
      description: Content after.
      type: str
    before_header:
      description: Path of the file.
      type: str
      sample: /etc/fail2ban/jail.local
    after_header:
      description: Path of the file.
      type: str
      sample: /etc/fail2ban/jail.local
msg:
  description: What happened, in words.
  returned: always
  type: str
  sample: section [freeswitch] updated (bantime, ignoreip)
'''

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible_collections.voipguard.pbx.plugins.module_utils import config_file
from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import ValidationError
from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_config import (
    ConfigError,
    changes_actions,
    default_config_dir,
    edit_section,
    fail2ban_test_errors,
    only_comments,
)


def read_file(module, path):
    """(the file to edit, its text or None when it does not exist, whether it had a UTF-8 byte-order mark)."""
    try:
        target, exists = config_file.resolve(path)
        if not exists:
            return target, None, False
        text, bom = config_file.decode(config_file.read_bytes(target), path)
    except config_file.ConfigFileError as exc:
        module.fail_json(msg=to_native(exc), changed=False)
    return target, text, bom


def validate_with_fail2ban(module, path, text, config_dir):
    """Run fail2ban-client --test on a copy of config_dir holding the candidate file (without the file when
    text is None); fail on rejection."""
    config_dir = os.path.abspath(config_dir)
    relative = os.path.relpath(os.path.abspath(path), config_dir)
    if relative.startswith(os.pardir + os.sep) or relative == os.pardir or os.path.isabs(relative):
        module.fail_json(msg='cannot validate: %s is not inside config_dir %s' % (path, config_dir))
    if not os.path.isdir(config_dir):
        module.fail_json(msg='cannot validate: config_dir %s is not a directory' % config_dir)
    fail2ban_client = module.get_bin_path('fail2ban-client', required=True)
    # Not inside config_dir: the copy would contain itself.
    base = module.tmpdir if not os.path.abspath(module.tmpdir).startswith(config_dir + os.sep) else None
    workdir = tempfile.mkdtemp(prefix='fail2ban_jail-', dir=base)
    try:
        copy = os.path.join(workdir, 'config')
        shutil.copytree(config_dir, copy, symlinks=True)
        candidate = os.path.join(copy, relative)
        candidate_dir = os.path.dirname(candidate)
        if not os.path.isdir(candidate_dir):
            os.makedirs(candidate_dir)
        if os.path.islink(candidate) or (text is None and os.path.exists(candidate)):
            os.unlink(candidate)
        if text is not None:
            with open(candidate, 'wb') as handle:
                handle.write(to_bytes(text, errors='surrogate_or_strict'))
        rc, stdout, stderr = module.run_command([fail2ban_client, '--test', '-c', copy])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if rc != 0:
        module.fail_json(msg='fail2ban rejected the new configuration, %s was not changed: %s'
                         % (path, fail2ban_test_errors(stdout, stderr)),
                         rc=rc, stdout=stdout, stderr=stderr)


def write_file(module, target, text, bom):
    """Replace the file through a temporary file in its directory, renamed over it."""
    try:
        config_file.replace_files({target: config_file.encode(text, bom)}, module.atomic_move)
    except config_file.ConfigFileError as exc:
        module.fail_json(msg=to_native(exc), changed=False)


def remove_file(module, path):
    """Delete the file, or the symbolic link `path` is, as validate tested (one unlink: readers see it or nothing)."""
    try:
        os.unlink(path)
    except OSError as exc:
        module.fail_json(msg='cannot remove %s: %s' % (path, exc.strerror or to_native(exc)), changed=False)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/fail2ban/jail.local', aliases=['dest']),
            name=dict(type='str', required=True, aliases=['jail', 'section']),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            settings=dict(type='dict', default={}),
            list_keys=dict(type='list', elements='str', default=['ignoreip'], no_log=False),
            list_mode=dict(type='str', default='exact', choices=['exact', 'add', 'remove']),
            create=dict(type='bool', default=True),
            backup=dict(type='bool', default=False),
            validate=dict(type='bool', default=True),
            config_dir=dict(type='path'),
            remove_empty_file=dict(type='bool', default=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    path = params['path']
    name = params['name']
    result = dict(changed=False, section=name, changed_keys=[], actions_changed=False)

    target, original, bom = read_file(module, path)
    if original is None:
        if params['state'] == 'absent':
            module.exit_json(msg='%s does not exist, nothing to remove' % path, **result)
        if not params['create']:
            module.fail_json(msg='%s does not exist and create is false' % path, **result)
        if not os.path.isdir(os.path.dirname(target)):
            module.fail_json(msg='the directory of %s does not exist' % path, **result)

    try:
        edit = edit_section(original or '', name, state=params['state'], settings=params['settings'],
                            list_keys=params['list_keys'], list_mode=params['list_mode'])
    except (ValidationError, ConfigError) as exc:
        module.fail_json(msg='%s: %s' % (path, to_native(exc)), **result)

    changed = edit.changed or original is None
    removing_file = params['state'] == 'absent' and params['remove_empty_file'] and only_comments(edit.text)
    changed = changed or removing_file
    result['changed_keys'] = edit.changed_keys
    result['actions_changed'] = changed and changes_actions(path, edit.changed_keys)
    if module._diff:
        result['diff'] = dict(before=original or '', after='' if removing_file else edit.text,
                              before_header=path, after_header=path)
    if removing_file:
        result['msg'] = '%s removed: nothing else was left in it' % path
    elif params['state'] == 'absent':
        result['msg'] = 'section [%s] removed' % name if changed else 'section [%s] absent' % name
    elif edit.before is None:
        result['msg'] = 'section [%s] added' % name
    elif changed:
        result['msg'] = 'section [%s] updated (%s)' % (name, ', '.join(edit.changed_keys))
    else:
        result['msg'] = 'section [%s] already as requested' % name

    if changed and not module.check_mode:
        if params['validate']:
            validate_with_fail2ban(module, path, None if removing_file else edit.text,
                                   params['config_dir'] or default_config_dir(path))
        if params['backup'] and original is not None:
            result['backup_file'] = module.backup_local(target)
        if removing_file:
            remove_file(module, path)
            result['changed'] = True
            module.exit_json(**result)
        write_file(module, target, edit.text, bom)

    if os.path.exists(target) or not module.check_mode:
        file_args = module.load_file_common_arguments(params)
        file_args['path'] = target
        changed = module.set_fs_attributes_if_different(file_args, changed, diff=None)
    result['changed'] = changed
    module.exit_json(**result)


if __name__ == '__main__':
    main()
