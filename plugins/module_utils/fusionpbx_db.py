# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sofia profile params stored in FusionPBX's PostgreSQL database, through the host's psql.

User text never becomes SQL text: every value is handed to psql as a variable (-v name=value) and
referenced as :'name', which psql turns into a correctly quoted literal. The write runs in one
transaction that locks v_sip_profile_settings, checks that the rows still are what was read (the
plan was computed from them), applies the updates and inserts, and reads the result back.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import tempfile
import uuid
from xml.etree import ElementTree

from ansible_collections.voipguard.pbx.plugins.module_utils import sofia_profiles

DEFAULT_CONFIG_FILES = ('/etc/fusionpbx/config.conf', '/etc/fusionpbx/config.php')
DEFAULT_CACHE_DIR = '/var/cache/fusionpbx'
DEFAULT_PORT = 5432

JSON_MARKER = 'VOIPGUARD-JSON:'
CONFLICT_MARKER = 'VOIPGUARD-CONFLICT'
# FusionPBX caches the generated sofia.conf under '<hostname>:configuration:sofia.conf' (older
# releases: 'configuration:sofia.conf:<hostname>' or no hostname); the file cache stores a key
# as a file named after it, ':' turned into '.'.
_SOFIA_CACHE_FILE_RE = re.compile(r'^(?:.+[.:])?configuration[.:]sofia\.conf(?:[.:].+)?$')
_PHP_ASSIGN_RE = re.compile(r'''\$db_(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(\d+))\s*;''')


class FusionPBXError(Exception):
    """The database cannot be reached or does not look like FusionPBX; the message says why."""


class ConflictError(FusionPBXError):
    """The settings rows changed between the read and the write."""


def parse_config_conf(text):
    """Settings from the key = value lines of /etc/fusionpbx/config.conf (FusionPBX 5.x)."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('#') or line.startswith(';') or '=' not in line:
            continue
        key, value = line.split('=', 1)
        values[key.strip()] = value.strip()
    settings = {}
    for field in ('type', 'host', 'port', 'name', 'username', 'password'):
        key = 'database.0.%s' % field
        if key in values:
            settings[field] = values[key]
    if 'cache.method' in values:
        settings['cache_method'] = values['cache.method']
    if 'cache.location' in values:
        settings['cache_location'] = values['cache.location']
    return settings


def _php_unescape(text, quote):
    if quote == "'":
        return re.sub(r"\\([\\'])", r'\1', text)
    return re.sub(r'\\(.)', r'\1', text)


def parse_config_php(text):
    """Settings from the $db_* assignments of /etc/fusionpbx/config.php (older FusionPBX)."""
    settings = {}
    for match in _PHP_ASSIGN_RE.finditer(text):
        key = match.group(1)
        if match.group(2) is not None:
            value = _php_unescape(match.group(2), "'")
        elif match.group(3) is not None:
            value = _php_unescape(match.group(3), '"')
        else:
            value = match.group(4)
        if key in ('type', 'host', 'port', 'name', 'username', 'password'):
            settings[key] = value
    return settings


# The options every module that edits FusionPBX's database takes (doc fragment voipguard.pbx.fusionpbx_database).
DATABASE_ARGUMENT_SPEC = dict(
    fusionpbx_config=dict(type='path'),
    db_host=dict(type='str'),
    db_port=dict(type='int'),
    db_name=dict(type='str'),
    db_user=dict(type='str'),
    db_password=dict(type='str', no_log=True),
)
DATABASE_OPTIONS = ('db_host', 'db_port', 'db_name', 'db_user', 'db_password')


def find_config(path=None):
    """The FusionPBX config file to read: path when given (it must exist), else the first default that exists, else None."""
    if path:
        if not os.path.isfile(path):
            raise FusionPBXError('FusionPBX configuration file %s does not exist' % path)
        return path
    for candidate in DEFAULT_CONFIG_FILES:
        if os.path.isfile(candidate):
            return candidate
    return None


def open_database(run, which, options):
    """(Psql, settings of the FusionPBX config file) for the module options of DATABASE_ARGUMENT_SPEC.

    run(argv, data, env) runs a command; which(name) is the path of a program on the managed host.
    """
    config_path = find_config(options.get('fusionpbx_config'))
    file_settings = read_fusionpbx_config((config_path,))[1] if config_path else {}
    connection = resolve_connection(file_settings, host=options.get('db_host'), port=options.get('db_port'),
                                    name=options.get('db_name'), user=options.get('db_user'),
                                    password=options.get('db_password'))
    runuser_path = which('runuser') if connection.password is None else 'runuser'
    return Psql(run, connection, psql_path=which('psql'), runuser_path=runuser_path), file_settings


def open_module_database(module, application):
    """open_database() for an AnsibleModule: its run_command, get_bin_path and params; psql's application_name."""
    psql, file_settings = open_database(
        lambda argv, data, env: module.run_command(argv, data=data, environ_update=env, cwd='/'),
        lambda name: module.get_bin_path(name, required=True), module.params)
    psql.application = application
    return psql, file_settings


def cache_dir_of(file_settings, cache_dir=None):
    return cache_dir or file_settings.get('cache_location') or DEFAULT_CACHE_DIR


def check_cache_dir(cache_dir, probe=True):
    """Fail unless FusionPBX's file cache directory exists and files in it can be deleted.

    With probe, a temporary file is created and removed there (os.access cannot see a read-only file
    system or an immutable directory, and says yes to root); in check mode only the permissions are read.
    """
    problem = None
    if not os.path.isdir(cache_dir):
        problem = 'does not exist (set cache_dir, or cache.location in config.conf)'
    elif not os.access(cache_dir, os.W_OK | os.X_OK):
        problem = 'is not writable by this user'
    elif probe:
        try:
            handle, path = tempfile.mkstemp(prefix='.voipguard-probe-', dir=cache_dir)
            os.close(handle)
            os.unlink(path)
        except (IOError, OSError) as exc:
            problem = 'is not writable (%s)' % exc.strerror
    if problem:
        raise FusionPBXError('FusionPBX cache directory %s %s, so its cached configuration could not be cleared;'
                             ' nothing was changed' % (cache_dir, problem))


def read_fusionpbx_config(paths=DEFAULT_CONFIG_FILES):
    """(path, settings) of the first FusionPBX config file that exists, or (None, {})."""
    for path in paths:
        if os.path.isfile(path):
            with open(path, 'r') as handle:
                text = handle.read()
            if path.endswith('.php'):
                return path, parse_config_php(text)
            return path, parse_config_conf(text)
    return None, {}


class Connection(object):
    """How to reach the database. host may be a unix socket directory."""

    def __init__(self, host=None, port=None, name='fusionpbx', user=None, password=None):
        self.host = host
        self.port = int(port) if port not in (None, '') else None
        self.name = name
        self.user = user
        self.password = password

    def describe(self):
        where = self.host or 'local socket'
        if self.port:
            where = '%s port %d' % (where, self.port)
        return 'database %s on %s' % (self.name, where)


def resolve_connection(file_settings, host=None, port=None, name=None, user=None, password=None):
    """Explicit options override the FusionPBX config file.

    Without a password, psql runs as the postgres OS user (peer authentication) and connects as
    the explicitly given user or as postgres: the config file's user is only used with its password.
    """
    db_type = file_settings.get('type', 'pgsql')
    if db_type not in ('pgsql', 'postgres', 'postgresql'):
        raise FusionPBXError('FusionPBX is configured for a %s database; only PostgreSQL (pgsql) is supported' % db_type)
    password = password if password not in (None, '') else file_settings.get('password') or None
    if user is None and password is not None:
        user = file_settings.get('username')
    return Connection(
        host=host if host not in (None, '') else file_settings.get('host'),
        port=port if port not in (None, '') else file_settings.get('port'),
        name=name if name not in (None, '') else file_settings.get('name', 'fusionpbx'),
        user=user,
        password=password,
    )


class Psql(object):
    """Runs SQL scripts through psql.

    run(argv, data, env) -> (rc, stdout, stderr) executes a command; the module passes a wrapper of
    AnsibleModule.run_command, tests pass subprocess.
    """

    def __init__(self, run, connection, psql_path='psql', runuser_path='runuser', os_user='postgres',
                 application='voipguard.pbx.sofia_param'):
        self.run = run
        self.connection = connection
        self.psql_path = psql_path
        self.runuser_path = runuser_path
        self.os_user = os_user
        self.application = application

    def command(self, variables):
        conn = self.connection
        argv = [self.psql_path, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1']
        if conn.host:
            argv.extend(['-h', conn.host])
        if conn.port:
            argv.extend(['-p', str(conn.port)])
        if conn.user:
            argv.extend(['-U', conn.user])
        argv.extend(['-d', conn.name])
        for name in sorted(variables):
            argv.extend(['-v', '%s=%s' % (name, variables[name])])
        env = {'PGCONNECT_TIMEOUT': '10', 'PGAPPNAME': self.application}
        if conn.password is not None:
            env['PGPASSWORD'] = conn.password
            argv.insert(argv.index('-X'), '-w')
        else:
            argv = [self.runuser_path, '-u', self.os_user, '--'] + argv
        return argv, env

    def script(self, sql, variables):
        """Run sql (psql script text) with variables; return the text of the last line starting with the marker.

        The markers count only at the start of a line: the rows' JSON is one line that starts with the
        marker, and text stored in the database (JSON-escaped) cannot start another.
        """
        argv, env = self.command(variables)
        rc, out, err = self.run(argv, sql, env)
        lines = (out or '').splitlines()
        if CONFLICT_MARKER in lines:
            raise ConflictError('the FusionPBX rows changed while they were being edited; run again')
        if rc != 0:
            raise FusionPBXError('psql failed on %s (rc=%s): %s' % (self.connection.describe(), rc, (err or out or '').strip()))
        results = [line[len(JSON_MARKER):].strip() for line in lines if line.startswith(JSON_MARKER)]
        if not results:
            raise FusionPBXError('psql returned no result: %s' % (out or err or '').strip())
        return results[-1]


def parse_state_payload(payload):
    """(fingerprint, rows) of a '<md5>:<JSON>' payload of the state queries."""
    try:
        fingerprint, text = payload.split(':', 1)
        return fingerprint, json.loads(text)
    except ValueError as exc:
        raise FusionPBXError('psql returned a result that is not the expected JSON (%s): %s' % (exc, payload[:200]))


class SettingRow(object):
    def __init__(self, uuid_, name, value, enabled):
        self.uuid = uuid_
        self.name = name
        self.value = value
        self.enabled = enabled

    @property
    def is_enabled(self):
        # FusionPBX stores booleans as the text 'true'/'false'; a boolean column reads 'true' too.
        return self.enabled is not None and str(self.enabled).lower() == 'true'


class ProfileRow(object):
    def __init__(self, uuid_, name, hostname, enabled):
        self.uuid = uuid_
        self.name = name
        self.hostname = hostname
        self.enabled = enabled
        self.settings = []

    def effective(self, name):
        """Value FusionPBX puts in sofia.conf for param name (enabled rows only), or None."""
        values = [row.value for row in self.settings if row.name.lower() == name.lower() and row.is_enabled]
        return values[-1] if values else None


def _numbered(prefix, values, variables):
    """Register values as psql variables prefix0, prefix1...; return the :'name' references."""
    refs = []
    for index, value in enumerate(values):
        name = '%s%d' % (prefix, index)
        variables[name] = value
        refs.append(":'%s'" % name)
    return refs


def _state_query(param_names, variables):
    """SQL giving the profiles and their settings named in param_names as one JSON text."""
    refs = _numbered('param', param_names, variables)
    return (
        "SELECT coalesce(jsonb_agg(to_jsonb(state) ORDER BY state.profile_name, state.profile_uuid,"
        " state.setting_name, state.setting_uuid), '[]'::jsonb)::text FROM ("
        " SELECT p.sip_profile_uuid::text AS profile_uuid, p.sip_profile_name::text AS profile_name,"
        " p.sip_profile_hostname::text AS hostname, p.sip_profile_enabled::text AS profile_enabled,"
        " s.sip_profile_setting_uuid::text AS setting_uuid, s.sip_profile_setting_name::text AS setting_name,"
        " s.sip_profile_setting_value::text AS setting_value, s.sip_profile_setting_enabled::text AS setting_enabled"
        " FROM v_sip_profiles p LEFT JOIN v_sip_profile_settings s"
        " ON s.sip_profile_uuid = p.sip_profile_uuid AND lower(s.sip_profile_setting_name) IN (%s)"
        ") AS state" % ', '.join('lower(%s)' % ref for ref in refs)
    )


def _rows_to_profiles(rows):
    profiles = {}
    order = []
    for row in rows:
        key = row['profile_uuid']
        if key not in profiles:
            profiles[key] = ProfileRow(key, row['profile_name'], row['hostname'], row['profile_enabled'])
            order.append(key)
        if row['setting_uuid'] is not None:
            profiles[key].settings.append(
                SettingRow(row['setting_uuid'], row['setting_name'], row['setting_value'], row['setting_enabled']))
    return [profiles[key] for key in order]


class DbState(object):
    """The rows read for the requested params, with the server's md5 of their JSON text."""

    def __init__(self, payload):
        self.fingerprint, rows = parse_state_payload(payload)
        self.profiles = _rows_to_profiles(rows)

    def for_host(self, hostname):
        """Keep the profiles FusionPBX builds sofia.conf from on hostname: its own and those of every host
        (sip_profile_hostname empty), as sofia.conf.lua selects them. None keeps every profile."""
        if hostname is not None:
            self.profiles = [profile for profile in self.profiles if profile.hostname in (None, '') or profile.hostname == hostname]
        return self

    def names(self):
        return sorted(set(profile.name for profile in self.profiles))

    def by_name(self, name):
        return [profile for profile in self.profiles if profile.name == name]


def fingerprinted_select(state_query):
    """Statement printing the marker, the md5 of the JSON text state_query gives, and that text
    (parse_state_payload reads it back)."""
    return "SELECT '%s' || md5(state_json) || ':' || state_json FROM (%s) AS state_text(state_json);" % (JSON_MARKER, state_query)


def guarded_transaction(tables, state_query, statements):
    """psql script applying statements in one transaction, only if the rows state_query reads still have the
    md5 in the psql variable fingerprint (what the plan was made from): it locks tables, checks, applies,
    prints the state read back and commits; otherwise it prints the conflict marker and rolls back."""
    return '\n'.join(
        ['BEGIN;',
         'LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE;' % ', '.join(tables),
         "SELECT md5((%s)) = :'fingerprint' AS voipguard_unchanged \\gset" % state_query,
         '\\if :voipguard_unchanged']
        + list(statements)
        + [fingerprinted_select(state_query), 'COMMIT;', '\\else', '\\echo %s' % CONFLICT_MARKER, 'ROLLBACK;', '\\endif']) + '\n'


def read_state(psql, param_names):
    variables = {}
    return DbState(psql.script(fingerprinted_select(_state_query(param_names, variables)) + '\n', variables))


class DbPlan(object):
    def __init__(self, state, selected):
        self.state = state
        self.selected = selected
        self.updates = []   # (setting uuid, value or None, enabled text)
        self.inserts = []   # (profile uuid, param name, value)
        self.changes = {}   # profile name -> {param: {'before', 'after'}}
        self.current = {}   # profile name -> {param: value or None}

    @property
    def changed_profiles(self):
        return sorted(self.changes)


def plan_db_change(state, selected, params, state_name='present'):
    """Decide which rows to update or insert; params maps names to normalised values."""
    plan = DbPlan(state, selected)
    for profile_name in selected:
        for profile in state.by_name(profile_name):
            current = dict((param, profile.effective(param)) for param in params)
            previous = plan.current.get(profile_name)
            plan.current[profile_name] = current if previous is None else previous
            for param, value in params.items():
                # FreeSWITCH reads param names in any case: a Log-Auth-Failures row is the one to change.
                rows = [row for row in profile.settings if row.name.lower() == param.lower()]
                enabled = [row for row in rows if row.is_enabled]
                before = current[param]
                if state_name == 'absent':
                    for row in enabled:
                        plan.updates.append((row.uuid, None, 'false'))
                    after = None
                elif enabled:
                    for row in enabled:
                        if row.value != value:
                            plan.updates.append((row.uuid, value, 'true'))
                    after = value
                elif rows:
                    # Only disabled rows: turn the first one on rather than adding a duplicate.
                    plan.updates.append((rows[0].uuid, value, 'true'))
                    after = value
                else:
                    plan.inserts.append((profile.uuid, param, value))
                    after = value
                if before != after:
                    plan.changes.setdefault(profile_name, {})[param] = {'before': before, 'after': after}
    return plan


def apply_db_change(psql, plan, param_names, new_uuid=None):
    """Apply the plan in one transaction; return the DbState read back inside it."""
    new_uuid = new_uuid or (lambda: str(uuid.uuid4()))
    variables = {'fingerprint': plan.state.fingerprint}
    lines = []
    for index, (setting_uuid, value, enabled) in enumerate(plan.updates):
        variables['update_uuid%d' % index] = setting_uuid
        variables['update_enabled%d' % index] = enabled
        assignments = "sip_profile_setting_enabled = :'update_enabled%d', update_date = now()" % index
        if value is not None:
            variables['update_value%d' % index] = value
            assignments = "sip_profile_setting_value = :'update_value%d', %s" % (index, assignments)
        lines.append("UPDATE v_sip_profile_settings SET %s WHERE sip_profile_setting_uuid = :'update_uuid%d';"
                     % (assignments, index))
    for index, (profile_uuid, name, value) in enumerate(plan.inserts):
        variables['insert_uuid%d' % index] = new_uuid()
        variables['insert_profile%d' % index] = profile_uuid
        variables['insert_name%d' % index] = name
        variables['insert_value%d' % index] = value
        lines.append(
            "INSERT INTO v_sip_profile_settings (sip_profile_setting_uuid, sip_profile_uuid, sip_profile_setting_name,"
            " sip_profile_setting_value, sip_profile_setting_enabled, sip_profile_setting_description, insert_date)"
            " VALUES (:'insert_uuid%d', :'insert_profile%d', :'insert_name%d', :'insert_value%d', 'true', NULL, now());"
            % (index, index, index, index))
    script = guarded_transaction(['v_sip_profile_settings'], _state_query(param_names, variables), lines)
    return DbState(psql.script(script, variables))


CONFLICT_ATTEMPTS = 3


def retry_on_conflict(change, attempts=CONFLICT_ATTEMPTS):
    """change() again, from a fresh read, when the rows changed between its read and its write (another
    host sharing the database, FusionPBX's interface); the last ConflictError is raised."""
    for attempt in range(attempts):
        try:
            return change()
        except ConflictError:
            if attempt == attempts - 1:
                raise
    return None  # not reached


def change_params(psql, params, profiles, exclude=(), state_name='present', check_mode=False, new_uuid=None, hostname=None):
    """Set (or disable) params in the selected profiles; return the DbPlan of what changes.

    params maps names to normalised values, profiles are names or 'all'. Only the profiles FusionPBX
    serves to hostname's FreeSWITCH are read and changed (None: every profile); another host's profile
    of the same name is left alone. Outside check mode the plan is applied in one transaction and
    verified against the rows read back inside it.
    """
    param_names = sorted(params)
    state = read_state(psql, param_names).for_host(hostname)
    requested = sofia_profiles.validate_profile_names(profiles)
    selected = sofia_profiles.select_profiles(requested, state.names(), exclude)
    disabled = [name for name in selected if name in requested
                and not any(str(profile.enabled).lower() == 'true' for profile in state.by_name(name))]
    if disabled:
        raise FusionPBXError('Sofia profile(s) disabled in FusionPBX (v_sip_profiles.sip_profile_enabled is false): %s;'
                             ' FreeSWITCH does not load them. Enable them in FusionPBX or leave them out' % ', '.join(disabled))
    plan = plan_db_change(state, selected, params, state_name)
    if plan.changes and not check_mode:
        after = apply_db_change(psql, plan, param_names, new_uuid=new_uuid).for_host(hostname)
        leftover = plan_db_change(after, selected, params, state_name).changes
        if leftover:
            raise FusionPBXError('the database does not hold the expected values after the change: %s'
                                 % json.dumps(leftover, sort_keys=True))
    return plan


def sofia_cache_files(cache_dir):
    """Files of FusionPBX's file cache that hold a generated sofia.conf."""
    if not cache_dir or not os.path.isdir(cache_dir):
        return []
    return sorted(os.path.join(cache_dir, name) for name in os.listdir(cache_dir)
                  if _SOFIA_CACHE_FILE_RE.match(name) and os.path.isfile(os.path.join(cache_dir, name)))


def _cached_params(path):
    """{profile name: {param: value}} of a cached sofia.conf, or None when it is not readable XML."""
    try:
        root = ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, IOError, OSError):
        return None
    profiles = {}
    for profile in root.iter('profile'):
        values = profiles.setdefault(profile.get('name'), {})
        for settings in profile.findall('settings'):
            for param in settings.findall('param'):
                values[(param.get('name') or '').lower()] = param.get('value')
    return profiles


def stale_sofia_cache_files(cache_dir, selected, params, state_name='present'):
    """Cached sofia.conf files that disagree with params for a selected profile (or cannot be read)."""
    stale = []
    for path in sofia_cache_files(cache_dir):
        cached = _cached_params(path)
        if cached is None:
            stale.append(path)
            continue
        for name in selected:
            if name not in cached:
                continue
            if any(cached[name].get(param.lower()) != (None if state_name == 'absent' else value) for param, value in params.items()):
                stale.append(path)
                break
    return stale


def remove_cache_files(files, check_mode=False):
    """Delete FusionPBX cache files (only report them in check mode); return their paths."""
    if not check_mode:
        for path in files:
            try:
                os.unlink(path)
            except OSError as exc:
                if os.path.exists(path):
                    raise FusionPBXError('cannot remove FusionPBX cache file %s: %s' % (path, exc))
    return files


def clear_sofia_cache(cache_dir, check_mode=False, files=None):
    """Delete the cached sofia.conf files, or only files (only report them in check mode); return their paths."""
    return remove_cache_files(sofia_cache_files(cache_dir) if files is None else files, check_mode)


def memcache_keys(hostname):
    """Keys FusionPBX releases have used for the cached sofia.conf in memcache."""
    return ['%s:configuration:sofia.conf' % hostname, 'configuration:sofia.conf:%s' % hostname,
            'configuration:sofia.conf']
