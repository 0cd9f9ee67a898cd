# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A throwaway PostgreSQL cluster holding FusionPBX 5.5's own tables and default rows (test helper).

Imported by tests/integration/conftest.py, tests/integration/plugins/modules/conftest.py and the FusionPBX database tests.

Nothing here is written by hand: the tables and rows come from the pinned FusionPBX source tarball
(molecule/resources/sources/sources.lock; `make integration` verifies it into .cache/sources, and
VOIPGUARD_FUSIONPBX_SOURCE names another copy), read with tarfile, never extracted:

- tables: the `$apps[$x]['db'][$y]...` lines of app/sip_profiles/app_config.php,
  app/access_controls/app_config.php and app/event_guard/app_config.php, turned into CREATE TABLE the way resources/classes/schema.php
  create_table() does for pgsql (`upgrade.php --schema`), plus the index database::update_indexes()
  adds on each foreign key column;
- rows: what app/sip_profiles/app_defaults.php and app/access_controls/app_defaults.php insert on a
  fresh install (`upgrade.php --defaults`): one v_sip_profiles row per sip profile file it globs
  (app/switch/resources/conf/sip_profiles/*.xml.noload) with the description its switch gives, one
  v_sip_profile_settings row per <param> of the profile's <settings>, and the access control lists of
  the acl.conf XML it falls back to (rfc1918 and providers), with database::save()'s rules: strings
  trimmed, '' and missing values stored as NULL, insert_date now(), new random uuids.

The cluster lives in a temporary directory, listens on a unix socket only, and runs as the postgres
OS user (as on a FusionPBX host) so both connection paths of the backend are exercised: peer
authentication through `runuser -u postgres` and password authentication through PGPASSWORD.
Needs the Debian packages postgresql (server binaries) and postgresql-client (psql).
"""

from __future__ import absolute_import, division, print_function

import fnmatch
import glob
import json
import os
import posixpath
import pwd
import re
import shutil
import subprocess
import tarfile
import tempfile
import uuid
from xml.etree import ElementTree

import pytest

PORT = 55432
DB_NAME = 'fusionpbx'
DB_USER = 'fusionpbx'
DB_PASSWORD = "s3cret-'quoted\" pass"
REQUIRE_ENV = 'VOIPGUARD_REQUIRE_POSTGRES'

# The FusionPBX release the tests take the schema and rows from: a file of sources.lock.
FUSIONPBX_SOURCE = 'fusionpbx-5.5-56cb26d35b.tar.gz'
FUSIONPBX_SOURCE_ENV = 'VOIPGUARD_FUSIONPBX_SOURCE'
REPO_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
# The tables the backends and their tests use, by the app_config.php that defines them.
TABLES = (
    ('app/sip_profiles/app_config.php', ('v_sip_profiles', 'v_sip_profile_settings')),
    ('app/access_controls/app_config.php', ('v_access_controls', 'v_access_control_nodes')),
    # event_guard's record of its blocks (empty on a fresh install).
    ('app/event_guard/app_config.php', ('v_event_guard_logs',)),
)
SIP_PROFILES_DEFAULTS = 'app/sip_profiles/app_defaults.php'
ACCESS_CONTROLS_DEFAULTS = 'app/access_controls/app_defaults.php'


def source_path():
    return os.environ.get(FUSIONPBX_SOURCE_ENV) or os.path.join(REPO_DIR, '.cache', 'sources', FUSIONPBX_SOURCE)


def _missing(what):
    """Skip without what the tests need, unless CI demands them (then fail: no silent skips)."""
    if os.environ.get(REQUIRE_ENV):
        pytest.fail('%s is set but %s' % (REQUIRE_ENV, what))
    pytest.skip(what)


# ---------------------------------------------------------------- FusionPBX's PHP, read as text

_DB_PREFIX = r"\$apps\[\$x\]\['db'\]\[\$y\]"
_DB_ASSIGN_RE = re.compile(r"^\s*%s((?:\[[^\]]*\])+)\s*=\s*(?:'([^'\\]*)'|\"([^\"\\]*)\")\s*;" % _DB_PREFIX)
_COUNTER_RE = re.compile(r'^\s*\$([yz])\s*(?:=\s*(\d+)|(\+\+))\s*;')
_SUBSCRIPT_RE = re.compile(r"\[(?:'([^']*)'|\"([^\"]*)\"|\$(z)|(\d+))\]")
_PHP_DQ_STRING = r'"((?:[^"\\]|\\.)*)"'
_PHP_TOKEN_RE = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|/\*.*?\*/|//[^\n]*""", re.S)


def _php_code(text):
    """PHP text without its comments, its quoted strings kept whole (they may hold // or /*)."""
    return _PHP_TOKEN_RE.sub(lambda match: match.group(0) if match.group(0)[0] in '\'"' else '', text)


def _php_dq(text):
    """Value of the inside of a double quoted PHP string."""
    escapes = {'n': '\n', 't': '\t', 'r': '\r', '\\': '\\', '"': '"', '$': '$'}
    return re.sub(r'\\(.)', lambda m: escapes.get(m.group(1), m.group(0)), text)


def _php_trim(value):
    return value.strip(' \t\n\r\0\x0b')


def parse_app_config_db(text):
    """The $apps[$x]['db'] part of an app_config.php: [{'table': {...}, 'fields': [{...}, ...]}, ...].

    Follows the $y / $z counters (`$y=0;`, `$y++;`) and the string assignments below
    $apps[$x]['db'][$y]; nested keys (['type']['pgsql'], ['name']['text']) become nested dicts.
    """
    tables = {}
    counters = {'y': 0, 'z': 0}
    for line in _php_code(text).splitlines():
        counter = _COUNTER_RE.match(line)
        if counter:
            name = counter.group(1)
            counters[name] = counters[name] + 1 if counter.group(3) else int(counter.group(2))
            continue
        match = _DB_ASSIGN_RE.match(line)
        if not match:
            continue
        subscripts = list(_SUBSCRIPT_RE.finditer(match.group(1)))
        if ''.join(sub.group(0) for sub in subscripts) != match.group(1):
            raise RuntimeError('cannot follow the subscripts of app_config.php line: %s' % line.strip())
        keys = []
        for sub in subscripts:
            quoted = sub.group(1) if sub.group(1) is not None else sub.group(2)
            keys.append(quoted if quoted is not None else counters['z'] if sub.group(3) else int(sub.group(4)))
        value = match.group(2) if match.group(2) is not None else match.group(3)
        node = tables.setdefault(counters['y'], {})
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    result = []
    for y in sorted(tables):
        table = tables[y]
        result.append({'table': table.get('table', {}),
                       'fields': [table['fields'][z] for z in sorted(table.get('fields', {}))]})
    return result


def _text(name):
    """A name that may be {'text': new, 'deprecated': old} (a renamed table or column)."""
    return name['text'] if isinstance(name, dict) else name


def create_table_sql(definition, db_type='pgsql'):
    """schema::create_table() and database::update_indexes() of one table definition, for db_type."""
    table = _text(definition['table']['name'])
    columns = []
    indexes = []
    for field in definition['fields']:
        if field.get('deprecated') == 'true':
            continue
        name = _text(field['name'])
        field_type = field['type'][db_type] if isinstance(field['type'], dict) else field['type']
        key = field.get('key', {}).get('type')
        columns.append('%s %s%s' % (name, field_type, ' PRIMARY KEY' if key == 'primary' else ''))
        if key == 'foreign' and 'deprecated' not in field:
            indexes.append('CREATE INDEX %s ON %s (%s);' % (('%s_%s_fkey' % (table, name))[:63], table, name))
    return ['CREATE TABLE %s (\n%s);' % (table, ',\n'.join(columns))] + indexes


def _saved(value):
    """A value as database::save() stores it: strings trimmed, unset and '' as NULL."""
    if value is None:
        return None
    value = _php_trim(value)
    return value if value != '' else None


def _sip_profile_descriptions(text):
    """{profile name: description} from the switch ($sip_profile_name) of sip_profiles/app_defaults.php."""
    descriptions = {}
    code = _php_code(text)
    for case in re.finditer(r'case\s+"([^"]+)"\s*:(.*?)break\s*;', code, flags=re.S):
        parts = re.findall(r'\$sip_profile_description\s*\.?=\s*%s\s*;' % _PHP_DQ_STRING, case.group(2))
        descriptions[case.group(1)] = ''.join(_php_dq(part) for part in parts)
    return descriptions


class FusionPBXSource(object):
    """The tables and the default rows of one FusionPBX source tarball."""

    def __init__(self, path):
        self.path = path
        self.tables = {}      # table name -> definition (parse_app_config_db)
        self.profiles = []    # (name, enabled, description, [(setting name, value, enabled), ...])
        self.acls = []        # (name, default, [(type, cidr, description), ...])
        with tarfile.open(path, 'r:*') as archive:
            members = {}
            for member in archive:
                if member.isfile() and '/' in member.name:
                    members[member.name.split('/', 1)[1]] = member

            def read(name):
                if name not in members:
                    raise RuntimeError('%s has no %s' % (path, name))
                return archive.extractfile(members[name]).read().decode('utf-8')

            for config, names in TABLES:
                found = dict((_text(d['table']['name']), d) for d in parse_app_config_db(read(config)))
                for name in names:
                    if name not in found:
                        raise RuntimeError('%s: %s defines no table %s' % (path, config, name))
                    self.tables[name] = found[name]
            self._read_sip_profiles(read, sorted(members))
            self._read_access_controls(read(ACCESS_CONTROLS_DEFAULTS), members)

    def _read_sip_profiles(self, read, names):
        text = read(SIP_PROFILES_DEFAULTS)
        # $sip_profile_dir = dirname(__DIR__, 2).'/app/switch/resources/conf/sip_profiles/*.xml.noload';
        match = re.search(r"\$sip_profile_dir\s*=\s*dirname\(__DIR__,\s*2\)\s*\.\s*'/([^']+)'\s*;", _php_code(text))
        if not match:
            raise RuntimeError('%s: %s: no $sip_profile_dir glob found' % (self.path, SIP_PROFILES_DEFAULTS))
        pattern = match.group(1)
        files = [name for name in names if posixpath.dirname(name) == posixpath.dirname(pattern)
                 and fnmatch.fnmatchcase(name, pattern)]
        if not files:
            raise RuntimeError('%s: no file matches %s (%s)' % (self.path, pattern, SIP_PROFILES_DEFAULTS))
        descriptions = _sip_profile_descriptions(text)
        for name in files:  # glob() order
            root = ElementTree.fromstring(read(name).encode('utf-8'))
            profile_name = root.get('name')
            enabled = root.get('enabled', 'true')
            if profile_name == '{v_sip_profile_name}' or enabled == 'false':
                continue
            settings = []
            for settings_element in root.findall('settings'):
                for param in settings_element.findall('param'):
                    settings.append((param.get('name'), param.get('value'), param.get('enabled', 'true')))
            self.profiles.append((profile_name, enabled, descriptions.get(profile_name, ''), settings))

    def _read_access_controls(self, text, members):
        # app_defaults.php reads <switch conf>/autoload_configs/acl.conf.xml, else the alternative file it
        # names, else its inline XML. A fresh install has neither file: the switch conf directory is a copy
        # of app/switch/resources/conf, which holds no acl.conf.xml, and the alternative is not shipped.
        code = _php_code(text)
        alternative = re.search(r"\$xml_file_alt\s*=.*?PROJECT_PATH\s*\.\s*'/([^']+)'\s*;", code)
        for shipped in ('app/switch/resources/conf/autoload_configs/acl.conf.xml', alternative and alternative.group(1)):
            if shipped in members:
                raise RuntimeError('%s has %s: app_defaults.php would read it, this helper does not' % (self.path, shipped))
        xml_text = ''
        for match in re.finditer(r'\$xml_string\s*(\.?)=\s*%s\s*;' % _PHP_DQ_STRING, code):
            xml_text = (xml_text if match.group(1) else '') + _php_dq(match.group(2))
        if not xml_text:
            raise RuntimeError('%s: %s: no inline acl.conf XML found' % (self.path, ACCESS_CONTROLS_DEFAULTS))
        for acl in ElementTree.fromstring(xml_text).iter('list'):
            nodes = [(node.get('type'), node.get('cidr'), node.get('description')) for node in acl.findall('node')]
            self.acls.append((acl.get('name'), acl.get('default'), nodes))

    def create_sql(self):
        statements = []
        for name in sorted(self.tables):
            statements.extend(create_table_sql(self.tables[name]))
        return statements

    def insert_sql(self):
        """INSERTs of the default rows, with fresh uuids (FusionPBX's uuid()) each time."""
        statements = []
        for name, enabled, description, settings in self.profiles:
            profile_uuid = str(uuid.uuid4())
            statements.append(_insert('v_sip_profiles', [
                ('sip_profile_uuid', profile_uuid), ('sip_profile_name', _saved(name)),
                ('sip_profile_enabled', _saved(enabled)), ('sip_profile_description', _saved(description))]))
            for setting_name, value, setting_enabled in settings:
                statements.append(_insert('v_sip_profile_settings', [
                    ('sip_profile_setting_uuid', str(uuid.uuid4())), ('sip_profile_uuid', profile_uuid),
                    ('sip_profile_setting_name', _saved(setting_name)), ('sip_profile_setting_value', _saved(value)),
                    ('sip_profile_setting_enabled', _saved(setting_enabled))]))
        # sip_profiles/app_defaults.php, last: "if empty, set enabled to true"
        statements.append('UPDATE v_sip_profiles SET sip_profile_enabled = true WHERE sip_profile_enabled IS NULL;')
        for name, default, nodes in self.acls:
            acl_uuid = str(uuid.uuid4())
            statements.append(_insert('v_access_controls', [
                ('access_control_uuid', acl_uuid), ('access_control_name', _saved(name)),
                ('access_control_default', _saved(default))]))
            for node_type, cidr, description in nodes:
                statements.append(_insert('v_access_control_nodes', [
                    ('access_control_node_uuid', str(uuid.uuid4())), ('access_control_uuid', acl_uuid),
                    ('node_type', _saved(node_type)), ('node_cidr', _saved(cidr)), ('node_description', _saved(description))]))
        return statements


def _literal(value):
    return 'NULL' if value is None else "'%s'" % value.replace("'", "''")


def _insert(table, pairs):
    """database::save()'s INSERT: the given columns, insert_date now() and insert_user (NULL: no user)."""
    names = [name for name, value in pairs] + ['insert_date', 'insert_user']
    values = [_literal(value) for name, value in pairs] + ['now()', 'NULL']
    return 'INSERT INTO %s (%s) VALUES (%s);' % (table, ', '.join(names), ', '.join(values))


_SOURCES = {}


def fusionpbx_source():
    """The parsed FusionPBX source (read once per path); skips (fails under CI) when the tarball is missing."""
    path = source_path()
    if path not in _SOURCES:
        if not os.path.isfile(path):
            _missing('the FusionPBX source %s is missing (make integration fetches it: molecule/resources/sources/fetch_sources.py '
                     '--dest .cache/sources %s; or set %s)' % (path, FUSIONPBX_SOURCE, FUSIONPBX_SOURCE_ENV))
        _SOURCES[path] = FusionPBXSource(path)
    return _SOURCES[path]


# ---------------------------------------------------------------- the cluster


def _pg_bindir():
    candidates = sorted(glob.glob('/usr/lib/postgresql/*/bin/initdb'),
                        key=lambda path: int(path.split('/')[4]) if path.split('/')[4].isdigit() else 0)
    if candidates and shutil.which('psql') and shutil.which('runuser'):
        return os.path.dirname(candidates[-1])
    return None


def _as_postgres(argv, **kwargs):
    return subprocess.run(['runuser', '-u', 'postgres', '--'] + argv, cwd='/', check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, **kwargs)


def run_command(argv, data, env):
    """Runner with the contract fusionpbx_db.Psql expects, over subprocess."""
    full_env = dict(os.environ)
    full_env.update(env)
    proc = subprocess.run(argv, input=data, env=full_env, cwd='/', check=False, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    return proc.returncode, proc.stdout, proc.stderr


class Cluster(object):
    def __init__(self, bindir, root, source):
        self.bindir = bindir
        self.root = root
        self.source = source
        self.data = os.path.join(root, 'data')
        self.socket_dir = os.path.join(root, 'sock')
        self.port = PORT

    def psql(self, sql, database=DB_NAME):
        """Run sql as the postgres superuser; the unaligned, tuples-only output."""
        proc = subprocess.run(['runuser', '-u', 'postgres', '--', 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
                               '-h', self.socket_dir, '-p', str(self.port), '-d', database], input=sql, cwd='/', check=False,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        if proc.returncode != 0:
            raise AssertionError('psql failed (rc=%d): %s\n%s' % (proc.returncode, proc.stderr.strip(), sql[:2000]))
        return proc.stdout

    def select(self, query):
        """The rows of a SELECT on the FusionPBX database, as dicts (SQL NULL: None, booleans: bool)."""
        out = self.psql("SELECT coalesce(json_agg(row_to_json(q)), '[]')::text FROM (%s) q;\n" % query)
        return json.loads(out)

    def reset(self):
        """Recreate FusionPBX's tables, as the fusionpbx role (their owner on a real host), with the default rows."""
        tables = sorted(self.source.tables)
        sql = (['BEGIN;', 'DROP TABLE IF EXISTS %s;' % ', '.join(tables), 'SET ROLE %s;' % DB_USER]
               + self.source.create_sql() + self.source.insert_sql() + ['COMMIT;'])
        self.psql('\n'.join(sql) + '\n')
        return self

    def rows(self):
        """Every settings row as (profile name, setting uuid, name, value, enabled, description), sorted."""
        return [(row['p'], row['u'], row['n'], row['v'], row['e'], row['d']) for row in self.select(
            'SELECT p.sip_profile_name AS p, s.sip_profile_setting_uuid AS u, s.sip_profile_setting_name AS n,'
            ' s.sip_profile_setting_value AS v, s.sip_profile_setting_enabled AS e, s.sip_profile_setting_description AS d'
            ' FROM v_sip_profile_settings s JOIN v_sip_profiles p USING (sip_profile_uuid) ORDER BY 1, 3, 2')]

    def settings(self, profile, name):
        """The rows() of one param of one profile."""
        return [row for row in self.rows() if row[0] == profile and row[2] == name]

    def setting_uuid(self, profile, name):
        """The uuid of the one row of param name in profile."""
        rows = self.settings(profile, name)
        assert len(rows) == 1, rows
        return rows[0][1]

    def profiles(self):
        """v_sip_profiles as {name: row dict}."""
        return dict((row['sip_profile_name'], row) for row in self.select('SELECT * FROM v_sip_profiles'))

    def access_controls(self):
        """{list name: (default, [(node type, cidr), ...] sorted)} of v_access_controls and their nodes."""
        result = {}
        for row in self.select('SELECT c.access_control_name AS name, c.access_control_default AS "default",'
                               ' n.node_type AS type, n.node_cidr AS cidr FROM v_access_controls c'
                               ' LEFT JOIN v_access_control_nodes n USING (access_control_uuid) ORDER BY 1, 4'):
            nodes = result.setdefault(row['name'], (row['default'], []))[1]
            if row['cidr'] is not None:
                nodes.append((row['type'], row['cidr']))
        return result

    def columns(self, table):
        """[(column, data type)] of a table, in order."""
        return [(row['column_name'], row['data_type']) for row in self.select(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'"
            " AND table_name = '%s' ORDER BY ordinal_position" % table)]


def postgres_cluster_lifetime():
    """Generator for a fixture: yields a running Cluster, stops and removes it afterwards."""
    bindir = _pg_bindir()
    if bindir is None or os.geteuid() != 0:
        _missing('PostgreSQL server binaries, psql, runuser and root are needed '
                 '(apt-get install -y postgresql postgresql-client util-linux)')
    source = fusionpbx_source()
    postgres = pwd.getpwnam('postgres')
    root = tempfile.mkdtemp(prefix='voipguard-pg-')
    os.chown(root, postgres.pw_uid, postgres.pw_gid)
    cluster = Cluster(bindir, root, source)
    started = False
    try:
        _as_postgres([os.path.join(bindir, 'initdb'), '-D', cluster.data, '-U', 'postgres', '-E', 'UTF8',
                      '--locale=C', '--auth-local=peer', '--auth-host=scram-sha-256'])
        with open(os.path.join(cluster.data, 'pg_hba.conf'), 'w') as handle:
            # FusionPBX's own shape: the postgres OS user by peer, the application by password.
            handle.write('local all postgres peer\nlocal all all scram-sha-256\n')
        _as_postgres(['mkdir', '-m', '0700', cluster.socket_dir])
        _as_postgres([os.path.join(bindir, 'pg_ctl'), '-D', cluster.data, '-l', os.path.join(root, 'server.log'), '-w',
                      '-t', '60', '-o', "-k %s -p %d -c listen_addresses=''" % (cluster.socket_dir, cluster.port), 'start'])
        started = True
        # The password reaches the server as a psql variable, so its quotes need no escaping here.
        _as_postgres(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', 'pw=%s' % DB_PASSWORD, '-h', cluster.socket_dir,
                      '-p', str(cluster.port), '-d', 'postgres'],
                     input="CREATE ROLE %s LOGIN PASSWORD :'pw';\n" % DB_USER)
        cluster.psql('CREATE DATABASE %s OWNER %s;\n' % (DB_NAME, DB_USER), 'postgres')
        # The application role reaches the socket directory the way FusionPBX's PHP does.
        os.chmod(root, 0o755)
        _as_postgres(['chmod', '0755', cluster.socket_dir])
        yield cluster
    finally:
        if started:
            subprocess.run(['runuser', '-u', 'postgres', '--', os.path.join(bindir, 'pg_ctl'), '-D', cluster.data,
                            '-m', 'fast', '-w', 'stop'], cwd='/', check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        shutil.rmtree(root, ignore_errors=True)
