# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A throwaway PostgreSQL cluster holding FusionPBX's sip profile tables (test helper).

Imported by tests/unit/plugins/module_utils/conftest.py and the sofia_param module tests.

The cluster lives in a temporary directory, listens on a unix socket only, and runs as the postgres
OS user (as on a FusionPBX host) so both connection paths of the backend are exercised: peer
authentication through `runuser -u postgres` and password authentication through PGPASSWORD.
Needs the Debian packages postgresql (server binaries) and postgresql-client (psql).
"""

from __future__ import absolute_import, division, print_function

import glob
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

PORT = 55432
DB_USER = 'fusionpbx'
DB_PASSWORD = "s3cret-'quoted\" pass"
DATABASES = {'fusionpbx': 'text', 'fusionpbx_bool': 'boolean'}

# Rows as a stock FusionPBX install has them: four profiles, log-auth-failures off.
PROFILES = [
    ('0b6d3c40-8a0e-4b1c-9d1e-000000000001', 'internal', None, 'true'),
    ('0b6d3c40-8a0e-4b1c-9d1e-000000000002', 'external', None, 'true'),
    ('0b6d3c40-8a0e-4b1c-9d1e-000000000003', 'internal-ipv6', None, 'false'),
    ('0b6d3c40-8a0e-4b1c-9d1e-000000000004', 'external-ipv6', None, 'false'),
]
SETTINGS = {
    'internal': [('sip-port', '5060', 'true'), ('log-auth-failures', 'false', 'true'), ('auth-calls', 'true', 'true'),
                 ('apply-inbound-acl', 'domains', 'true'), ('user-agent-string', 'FusionPBX', 'false')],
    'external': [('sip-port', '5080', 'true'), ('log-auth-failures', 'false', 'true'), ('auth-calls', 'false', 'true')],
    'internal-ipv6': [('sip-port', '5060', 'true'), ('log-auth-failures', 'false', 'true')],
    'external-ipv6': [('sip-port', '5080', 'true'), ('log-auth-failures', 'false', 'false')],
}


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
    def __init__(self, bindir, root):
        self.bindir = bindir
        self.root = root
        self.data = os.path.join(root, 'data')
        self.socket_dir = os.path.join(root, 'sock')
        self.port = PORT

    def psql(self, sql, database='postgres'):
        return _as_postgres(['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', self.socket_dir,
                             '-p', str(self.port), '-d', database], input=sql).stdout

    def reset(self, database):
        """Recreate the FusionPBX tables of one database with the stock rows."""
        enabled_type = DATABASES[database]
        sql = ['DROP TABLE IF EXISTS v_sip_profile_settings, v_sip_profiles;',
               'SET ROLE %s;' % DB_USER,
               'CREATE TABLE v_sip_profiles (sip_profile_uuid uuid PRIMARY KEY, sip_profile_name text,'
               ' sip_profile_hostname text, sip_profile_enabled %s, sip_profile_description text,'
               ' insert_date timestamp with time zone, insert_user uuid, update_date timestamp with time zone,'
               ' update_user uuid);' % enabled_type,
               'CREATE TABLE v_sip_profile_settings (sip_profile_setting_uuid uuid PRIMARY KEY, sip_profile_uuid uuid,'
               ' sip_profile_setting_name text, sip_profile_setting_value text, sip_profile_setting_enabled %s,'
               ' sip_profile_setting_description text, insert_date timestamp with time zone, insert_user uuid,'
               ' update_date timestamp with time zone, update_user uuid);' % enabled_type]
        for profile_uuid, name, hostname, enabled in PROFILES:
            sql.append("INSERT INTO v_sip_profiles (sip_profile_uuid, sip_profile_name, sip_profile_hostname,"
                       " sip_profile_enabled, sip_profile_description) VALUES ('%s', '%s', %s, '%s', 'stock %s');"
                       % (profile_uuid, name, 'NULL' if hostname is None else "'%s'" % hostname, enabled, name))
            for index, (setting, value, setting_enabled) in enumerate(SETTINGS[name]):
                setting_uuid = profile_uuid[:-4] + '%02d%02d' % (int(profile_uuid[-2:]), index + 1)
                sql.append("INSERT INTO v_sip_profile_settings (sip_profile_setting_uuid, sip_profile_uuid,"
                           " sip_profile_setting_name, sip_profile_setting_value, sip_profile_setting_enabled,"
                           " sip_profile_setting_description) VALUES ('%s', '%s', '%s', '%s', '%s', 'stock');"
                           % (setting_uuid, profile_uuid, setting, value, setting_enabled))
        self.psql('\n'.join(sql) + '\n', database)

    def rows(self, database='fusionpbx'):
        """Every settings row as (profile name, setting uuid, name, value, enabled, description), sorted."""
        out = self.psql("SELECT p.sip_profile_name, s.sip_profile_setting_uuid, s.sip_profile_setting_name,"
                        " s.sip_profile_setting_value, s.sip_profile_setting_enabled::text,"
                        " coalesce(s.sip_profile_setting_description, '<null>')"
                        " FROM v_sip_profile_settings s JOIN v_sip_profiles p USING (sip_profile_uuid)"
                        " ORDER BY 1, 3, 2;\n", database)
        return [tuple(line.split('|')) for line in out.splitlines() if line]


def postgres_cluster_lifetime():
    """Generator for a session fixture: yields a running Cluster, stops and removes it afterwards."""
    bindir = _pg_bindir()
    if bindir is None or os.geteuid() != 0:
        if os.environ.get('VOIPGUARD_REQUIRE_POSTGRES'):
            pytest.fail('VOIPGUARD_REQUIRE_POSTGRES is set but PostgreSQL server binaries, psql, runuser or root are missing '
                        '(apt-get install -y postgresql postgresql-client util-linux)')
        pytest.skip('PostgreSQL server binaries (apt-get install -y postgresql) and root are needed')
    postgres = pwd.getpwnam('postgres')
    root = tempfile.mkdtemp(prefix='voipguard-pg-')
    os.chown(root, postgres.pw_uid, postgres.pw_gid)
    cluster = Cluster(bindir, root)
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
        for database in DATABASES:
            cluster.psql('CREATE DATABASE %s OWNER %s;\n' % (database, DB_USER))
        # The application role reaches the socket directory the way FusionPBX's PHP does.
        os.chmod(root, 0o755)
        _as_postgres(['chmod', '0755', cluster.socket_dir])
        yield cluster
    finally:
        if started:
            subprocess.run(['runuser', '-u', 'postgres', '--', os.path.join(bindir, 'pg_ctl'), '-D', cluster.data,
                            '-m', 'fast', '-w', 'stop'], cwd='/', check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        shutil.rmtree(root, ignore_errors=True)


def reset_databases(cluster):
    """Seed every test database afresh; return the cluster."""
    for database in DATABASES:
        cluster.reset(database)
    return cluster
