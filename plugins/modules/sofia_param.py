#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: sofia_param
short_description: Set or remove params of FreeSWITCH Sofia SIP profiles, in XML files or in FusionPBX's database
version_added: 0.1.0
description:
  - Sets or removes C(<param name=... value=.../>) entries in the C(<settings>) of one, several or all Sofia
    SIP profiles, for example C(log-auth-failures=true) so that failed registrations reach the log that fail2ban reads.
  - "XML backend (a plain FreeSWITCH): edits the profile files C(<config_dir>/sip_profiles/*.xml). A profile is known
    by the C(name) attribute of its C(<profile>) element, not by the file name. Only the value of the param changes,
    or one line is added after the last param of the profile (with the same indentation) or removed; comments,
    C(X-PRE-PROCESS) lines, attribute order and all other bytes stay as they were. A param inside a comment is not a param."
  - "FusionPBX backend: FusionPBX builds sofia.conf from its PostgreSQL database, so editing the XML files there has no
    effect. The module updates (or inserts) rows of C(v_sip_profile_settings) for the named C(v_sip_profiles) rows, in
    one transaction, through the host's C(psql), then deletes FusionPBX's cached sofia.conf so the next rescan
    reads the new values. Other rows are never touched. Only the profiles FusionPBX serves to this host are read and
    changed: those whose C(sip_profile_hostname) is empty or the host's name, as FusionPBX's C(sofia.conf.lua) selects them.
    A profile named in O(profiles) that is disabled in FusionPBX fails the task (FreeSWITCH does not load it); V(all)
    includes disabled profiles, so the setting holds when one is enabled later."
  - Nothing is written when a file is malformed, a profile is unknown or a value is invalid.
  - The module does not reload FreeSWITCH. Run C(fs_cli -x 'sofia profile <name> rescan') for each profile in
    RV(changed_profiles), for example from a handler.
author:
  - voipguard.pbx contributors (@voipguard)
extends_documentation_fragment:
  - voipguard.pbx.fusionpbx_database
options:
  params:
    description:
      - Params to set, as a dictionary of param name to value.
      - Booleans become C(true)/C(false) and numbers their decimal text.
      - Names are letters, digits, C(-), C(_), C(.) and C(:). Values must not contain control characters (newlines
        included), double quotes or angle brackets; C(&) and C(') are escaped in the XML file.
      - With O(state=absent) only the names matter.
    type: dict
    required: true
  state:
    description:
      - V(present) sets each param to its value, adding it when missing.
      - V(absent) removes the param line from the XML profile, or with the FusionPBX backend sets its row's
        C(sip_profile_setting_enabled) to C(false) (FusionPBX's own way to turn a setting off; the row is kept).
    type: str
    choices: [present, absent]
    default: present
  profiles:
    description:
      - Names of the profiles to change. V(all) (the default) means every profile found.
      - An unknown name fails the task, listing the known profiles; nothing is changed then. An empty list fails
        too (a list that came out empty must not select every profile).
    type: list
    elements: str
    default: [all]
  exclude_profiles:
    description:
      - Names of profiles to leave alone, even when O(profiles) selects them (for example with V(all)).
      - Names that do not exist on the host are ignored, so one list can serve a whole fleet.
    type: list
    elements: str
    default: []
  backend:
    description:
      - Where the profiles live.
      - V(auto) uses V(fusionpbx) when FusionPBX's database is configured on the host (O(fusionpbx_config) exists)
        or a O(db_host), O(db_name), O(db_user), O(db_password) or O(db_port) option is given, and V(xml) otherwise.
    type: str
    choices: [auto, xml, fusionpbx]
    default: auto
  config_dir:
    description:
      - FreeSWITCH configuration directory, the one holding C(sip_profiles/). XML backend only.
      - Default is the first of C(/etc/freeswitch) (Debian packages, FusionPBX), C(/usr/local/freeswitch/conf)
        (source builds) and C(/usr/local/etc/freeswitch) (FreeBSD) that has a C(sip_profiles/) directory.
    type: path
  backup:
    description:
      - Keep a timestamped copy of each profile file before changing it. XML backend only.
    type: bool
    default: false
  owed_rescans_file:
    description:
      - A file where the module records the profiles it changes, before it changes them, so that a run stopped
        before its rescan handler ran is finished by the next one. The profiles recorded there are added to
        RV(changed_profiles) (and make C(changed) true) until the file is removed, which the rescan handler does
        after the rescans. The freeswitch role uses C(/var/lib/voipguard/sofia-rescans-owed.json).
      - Default is no record.
    type: path
  cache_dir:
    description:
      - FusionPBX's file cache directory. The files there that hold the generated sofia.conf
        (C(<hostname>.configuration.sofia.conf), C(configuration.sofia.conf.<hostname>) and the same names with C(:))
        are deleted after a change; no other file is touched.
      - Default is C(cache.location) from C(config.conf), else C(/var/cache/fusionpbx).
      - The directory must exist and be writable, or the module fails before it changes the database. A cached
        sofia.conf that disagrees with the requested values is deleted even when the database already holds them,
        so a run that could not clear the cache is completed by the next one.
      - When FusionPBX uses memcache (C(cache.method = memcache)), the module deletes the keys through
        C(fs_cli -x 'memcache delete <key>') instead, when C(fs_cli) is installed, and warns otherwise.
    type: path
attributes:
  check_mode:
    description: Reads the files or the database and predicts the changes without writing anything.
    support: full
  diff_mode:
    description: "Shows the requested params of each selected profile before and after, one C(profile: name=value) line each."
    support: full
notes:
  - Values are compared as text, so V(false) and C("false") are the same value but C(0) and V(false) are not.
  - When a param appears several times in one XML profile, FreeSWITCH applies the last one; the module changes
    that one, and with O(state=absent) removes them all.
  - Files in subdirectories of C(sip_profiles/) (gateways) are not read.
  - A profile file that is a symbolic link is read and edited through it (the link stays); a FIFO, device or
    directory named C(*.xml) there is refused without being opened. Param names are matched ignoring case, as
    FreeSWITCH does, so an existing C(Log-Auth-Failures) is changed, never doubled.
  - Files are UTF-8 or, as FreeSWITCH also reads them, 8-bit (Latin-1); an 8-bit file is kept as it is and only
    ASCII values are written into it (otherwise the module fails naming the encoding).
  - Several changed files are written in two phases, every temporary file first, then the renames, so a full
    disk or a read-only filesystem changes none of them; the message names the file and the cause.
seealso:
  - name: FreeSWITCH Sofia SIP stack
    description: The Sofia profile params and what they do.
    link: https://developer.signalwire.com/freeswitch/FreeSWITCH-Explained/Configuration/Sofia-SIP-Stack/
'''

EXAMPLES = r'''
- name: Log failed SIP authentications on every Sofia profile (XML files or FusionPBX, detected)
  voipguard.pbx.sofia_param:
    params:
      log-auth-failures: true
  register: sofia_auth_logging

- name: Rescan only the profiles that changed
  ansible.builtin.command:
    cmd: fs_cli -x 'sofia profile {{ item }} rescan'
  loop: "{{ sofia_auth_logging.changed_profiles }}"
  changed_when: true

- name: Two params on the internal profiles of a source-built FreeSWITCH, keeping a backup
  voipguard.pbx.sofia_param:
    profiles: [internal, internal-ipv6]
    config_dir: /usr/local/freeswitch/conf
    backup: true
    params:
      log-auth-failures: "true"
      auth-calls: "true"

- name: Remove a param from the external profile
  voipguard.pbx.sofia_param:
    profiles: [external]
    state: absent
    params:
      user-agent-string: ""

- name: FusionPBX with explicit connection settings
  voipguard.pbx.sofia_param:
    backend: fusionpbx
    db_host: 127.0.0.1
    db_port: 5432
    db_name: fusionpbx
    db_user: fusionpbx
    db_password: "{{ vault_fusionpbx_db_password }}"
    params:
      log-auth-failures: true
'''

RETURN = r'''
backend:
  description: The backend used.
  returned: always
  type: str
  sample: xml
changed_profiles:
  description:
    - Names of the profiles whose params changed (or would change in check mode), sorted; rescan these.
    - Also the profiles of RV(owed_rescans).
  returned: always
  type: list
  elements: str
  sample: [external, internal]
owed_rescans:
  description: Profiles an earlier run changed and recorded in O(owed_rescans_file) that were not rescanned since.
  returned: always
  type: list
  elements: str
  sample: []
profiles:
  description:
    - For each changed profile, each changed param with its value before and after.
    - C(null) means the param was not set (or is removed).
  returned: always
  type: dict
  sample:
    internal:
      log-auth-failures:
        before: "false"
        after: "true"
    external:
      log-auth-failures:
        before: null
        after: "true"
known_profiles:
  description: Every profile name found in the files or the database.
  returned: always
  type: list
  elements: str
  sample: [external, external-ipv6, internal, internal-ipv6]
config_dir:
  description: The FreeSWITCH configuration directory used.
  returned: always with the xml backend; with fusionpbx when a configuration directory is found
  type: str
  sample: /etc/freeswitch
files:
  description: Profile files changed (or that would change).
  returned: when the backend is xml
  type: list
  elements: str
  sample: [/etc/freeswitch/sip_profiles/internal.xml]
backup_files:
  description: Backup copy of each changed file, by file.
  returned: when the backend is xml and O(backup=true)
  type: dict
  sample:
    /etc/freeswitch/sip_profiles/internal.xml: /etc/freeswitch/sip_profiles/internal.xml.12345.2026-01-01@10:00:00~
database:
  description: The database used (without credentials).
  returned: when the backend is fusionpbx
  type: str
  sample: database fusionpbx on 127.0.0.1 port 5432
cache_cleared:
  description: Cached sofia.conf files deleted (or that would be) and memcache keys deleted.
  returned: when the backend is fusionpbx
  type: list
  elements: str
  sample: [/var/cache/fusionpbx/pbx1.configuration.sofia.conf]
'''

import os
import socket

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.voipguard.pbx.plugins.module_utils import config_file
from ansible_collections.voipguard.pbx.plugins.module_utils import freeswitch_layout
from ansible_collections.voipguard.pbx.plugins.module_utils import fusionpbx_db
from ansible_collections.voipguard.pbx.plugins.module_utils import sofia_profiles


def choose_backend(module):
    backend = module.params['backend']
    if backend != 'auto':
        return backend
    if (fusionpbx_db.find_config(module.params['fusionpbx_config'])
            or any(module.params[option] not in (None, '') for option in fusionpbx_db.DATABASE_OPTIONS)):
        return 'fusionpbx'
    return 'xml'


def diff_result(current, changes, where):
    diff = sofia_profiles.diff_for(current, changes)
    diff['before_header'] = '%s (before)' % where
    diff['after_header'] = '%s (after)' % where
    return diff


def write_files(module, contents):
    """Replace the files of {path: bytes} through their symbolic links, all temporary files first."""
    try:
        targets = dict((config_file.resolve(path)[0], data) for path, data in contents.items())
        config_file.replace_files(targets, module.atomic_move)
    except config_file.ConfigFileError as exc:
        raise sofia_profiles.SofiaProfileError(str(exc))


def owe_rescans(module, profiles):
    """Record the profiles a rescan is owed for, before changing them (see owed_rescans_file)."""
    path = module.params['owed_rescans_file']
    if path and profiles and not module.check_mode:
        try:
            sofia_profiles.record_owed_rescans(path, profiles)
        except config_file.ConfigFileError as exc:
            raise sofia_profiles.SofiaProfileError(str(exc))


def run_xml(module, params, result):
    config_dir = module.params['config_dir'] or freeswitch_layout.find_config_dir(sofia_profiles.PROFILES_SUBDIR)
    if not config_dir:
        module.fail_json(msg='no FreeSWITCH configuration directory with sip_profiles/ found in %s; set config_dir'
                         % ', '.join(freeswitch_layout.CONFIG_DIRS))
    plan = sofia_profiles.plan_xml_change(config_dir, module.params['profiles'], params, module.params['state'],
                                          exclude=module.params['exclude_profiles'])
    owed = result['owed_rescans']
    result.update(config_dir=config_dir, known_profiles=plan.known_profiles,
                  changed_profiles=sorted(set(plan.changed_profiles) | set(owed)),
                  profiles=plan.changes, files=sorted(plan.files), changed=bool(plan.changes) or bool(owed))
    if module._diff:
        result['diff'] = diff_result(plan.current, plan.changes, os.path.join(config_dir, sofia_profiles.PROFILES_SUBDIR))
    owe_rescans(module, result['changed_profiles'])
    if plan.files and not module.check_mode:
        if module.params['backup']:
            result['backup_files'] = dict((path, module.backup_local(path)) for path in sorted(plan.files))
        write_files(module, dict((path, new) for path, (_old, new) in plan.files.items()))


def clear_memcache(module, result):
    fs_cli = module.get_bin_path('fs_cli')
    keys = fusionpbx_db.memcache_keys(socket.gethostname())
    if fs_cli is None:
        module.warn('FusionPBX uses memcache but fs_cli is not installed: the cached sofia.conf (%s) was not cleared'
                    % keys[0])
        return
    for key in keys:
        if not module.check_mode:
            module.run_command([fs_cli, '-x', 'memcache delete %s' % key])
        result['cache_cleared'].append('memcache:%s' % key)


def run_fusionpbx(module, params, result):
    psql, file_settings = fusionpbx_db.open_module_database(module, 'voipguard.pbx.sofia_param')
    memcache = file_settings.get('cache_method') == 'memcache'
    cache_dir = fusionpbx_db.cache_dir_of(file_settings, module.params['cache_dir'])
    if not memcache:
        # Before the database: a change FusionPBX's cache would hide must not be made.
        fusionpbx_db.check_cache_dir(cache_dir, probe=not module.check_mode)
    # FusionPBX keeps logfile.conf.xml and the rest on disk: report the directory for the role.
    result.update(config_dir=module.params['config_dir'] or freeswitch_layout.find_config_dir(sofia_profiles.PROFILES_SUBDIR),
                  database=psql.connection.describe(), cache_cleared=[])

    def change(check_mode):
        return fusionpbx_db.retry_on_conflict(lambda: fusionpbx_db.change_params(
            psql, params, module.params['profiles'], module.params['exclude_profiles'], module.params['state'],
            check_mode=check_mode, hostname=socket.gethostname()))
    if module.params['owed_rescans_file'] and not module.check_mode:
        # The rescans are recorded before the database changes (a prediction, then the change itself).
        owe_rescans(module, sorted(set(change(True).changed_profiles) | set(result['owed_rescans'])))
    plan = change(module.check_mode)
    if memcache:
        if plan.changes:
            clear_memcache(module, result)
        stale = []
    else:
        # After a change every cached sofia.conf goes; otherwise only one that still holds other values
        # (a run that changed the database but could not clear the cache).
        stale = None if plan.changes else fusionpbx_db.stale_sofia_cache_files(
            cache_dir, plan.selected, params, module.params['state'])
        result['cache_cleared'].extend(fusionpbx_db.clear_sofia_cache(cache_dir, module.check_mode, stale))
    changed_profiles = plan.changed_profiles or (sorted(plan.selected) if stale else [])
    owed = result['owed_rescans']
    result.update(known_profiles=plan.state.names(), changed_profiles=sorted(set(changed_profiles) | set(owed)),
                  profiles=plan.changes, changed=bool(plan.changes) or bool(result['cache_cleared']) or bool(owed))
    owe_rescans(module, result['changed_profiles'])
    if module._diff:
        result['diff'] = diff_result(plan.current, plan.changes, 'FusionPBX %s' % psql.connection.describe())


def main():
    module = AnsibleModule(
        argument_spec=dict(
            params=dict(type='dict', required=True),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            profiles=dict(type='list', elements='str', default=['all']),
            exclude_profiles=dict(type='list', elements='str', default=[]),
            backend=dict(type='str', default='auto', choices=['auto', 'xml', 'fusionpbx']),
            config_dir=dict(type='path'),
            backup=dict(type='bool', default=False),
            cache_dir=dict(type='path'),
            owed_rescans_file=dict(type='path'),
            **fusionpbx_db.DATABASE_ARGUMENT_SPEC
        ),
        supports_check_mode=True,
    )
    result = dict(changed=False, changed_profiles=[], profiles={}, known_profiles=[], owed_rescans=[])
    try:
        result['owed_rescans'] = sofia_profiles.read_owed_rescans(module.params['owed_rescans_file'])
        params = sofia_profiles.validate_params(module.params['params'], module.params['state'])
        backend = choose_backend(module)
        result['backend'] = backend
        if backend == 'xml':
            run_xml(module, params, result)
        else:
            run_fusionpbx(module, params, result)
    except (sofia_profiles.SofiaProfileError, fusionpbx_db.FusionPBXError) as exc:
        module.fail_json(msg=to_native(exc), **result)
    except (IOError, OSError) as exc:
        module.fail_json(msg='%s: %s' % (getattr(exc, 'filename', None) or 'I/O error', to_native(exc)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
