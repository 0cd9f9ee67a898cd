# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FusionPBX backend: config parsing, psql command lines, cache clearing (its PostgreSQL part:
tests/integration/plugins/module_utils/test_fusionpbx_db_postgres.py)."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils import fusionpbx_db as fdb


CONFIG_CONF = """#database system settings
database.0.type = pgsql
database.0.host = 127.0.0.1
database.0.port = 5432
database.0.sslmode = prefer
database.0.name = fusionpbx
database.0.username = fusionpbx
database.0.password = Zm9vYmFy=with=equals

#database switch settings
database.1.type = sqlite
database.1.path = /var/lib/freeswitch/db
database.1.name = core.db

cache.method = file
cache.location = /var/cache/fusionpbx
"""

CONFIG_PHP = r"""<?php
/* FusionPBX 4.x style configuration */
    //pgsql: database connection information
        $db_type = 'pgsql'; //sqlite, mysql, pgsql, others with a manually created PDO connection
        $db_host = 'db.example.net';
        $db_port = '5433';
        $db_name = "fusionpbx";
        $db_username = 'fusionpbx';
        $db_password = 'it\'s a \\ secret';
?>
"""


def run_command(argv, data, env):
    """The runner fusionpbx_db.Psql wants; these tests only build its command lines, they never run psql."""
    raise AssertionError('psql would run: %r' % (argv,))


def test_config_conf_gives_database_and_cache_settings():
    settings = fdb.parse_config_conf(CONFIG_CONF)
    assert settings == {'type': 'pgsql', 'host': '127.0.0.1', 'port': '5432', 'name': 'fusionpbx',
                        'username': 'fusionpbx', 'password': 'Zm9vYmFy=with=equals',
                        'cache_method': 'file', 'cache_location': '/var/cache/fusionpbx'}


def test_config_php_gives_database_settings():
    assert fdb.parse_config_php(CONFIG_PHP) == {'type': 'pgsql', 'host': 'db.example.net', 'port': '5433',
                                                'name': 'fusionpbx', 'username': 'fusionpbx',
                                                'password': "it's a \\ secret"}


def test_config_files_are_tried_in_order(tmp_path):
    conf = tmp_path / 'config.conf'
    php = tmp_path / 'config.php'
    php.write_text(CONFIG_PHP)
    assert fdb.read_fusionpbx_config((str(conf), str(php)))[1]['host'] == 'db.example.net'
    conf.write_text(CONFIG_CONF)
    path, settings = fdb.read_fusionpbx_config((str(conf), str(php)))
    assert path == str(conf) and settings['host'] == '127.0.0.1'
    assert fdb.read_fusionpbx_config((str(tmp_path / 'none'),)) == (None, {})


def test_explicit_options_override_the_config_file():
    settings = fdb.parse_config_conf(CONFIG_CONF)
    connection = fdb.resolve_connection(settings, host='/run/postgresql', port=5433, password='other')
    assert (connection.host, connection.port, connection.name, connection.user, connection.password) == \
        ('/run/postgresql', 5433, 'fusionpbx', 'fusionpbx', 'other')
    connection = fdb.resolve_connection(settings)
    assert (connection.host, connection.port, connection.user, connection.password) == \
        ('127.0.0.1', 5432, 'fusionpbx', 'Zm9vYmFy=with=equals')


def test_without_a_password_the_config_user_is_not_used():
    connection = fdb.resolve_connection({'username': 'fusionpbx', 'name': 'fusionpbx'})
    assert connection.user is None and connection.password is None


def test_other_database_types_are_refused():
    with pytest.raises(fdb.FusionPBXError, match='sqlite'):
        fdb.resolve_connection({'type': 'sqlite'})


def test_password_goes_to_the_environment_and_values_stay_single_arguments():
    psql = fdb.Psql(run_command, fdb.Connection(host='127.0.0.1', port=5432, name='fusionpbx', user='fusionpbx',
                                                password='pw'), psql_path='/usr/bin/psql')
    argv, env = psql.command({'value0': "x' OR '1'='1", 'name0': 'log-auth-failures'})
    assert argv[0] == '/usr/bin/psql'
    assert env['PGPASSWORD'] == 'pw'
    assert 'pw' not in argv
    assert "value0=x' OR '1'='1" in argv
    assert argv[argv.index('-U') + 1] == 'fusionpbx'
    assert '-w' in argv and 'ON_ERROR_STOP=1' in argv


def test_without_a_password_psql_runs_as_the_postgres_user():
    psql = fdb.Psql(run_command, fdb.Connection(name='fusionpbx'), psql_path='/usr/bin/psql', runuser_path='/usr/sbin/runuser')
    argv, env = psql.command({})
    assert argv[:5] == ['/usr/sbin/runuser', '-u', 'postgres', '--', '/usr/bin/psql']
    assert 'PGPASSWORD' not in env
    assert '-h' not in argv and '-U' not in argv


def test_sofia_cache_files_are_the_only_ones_cleared(tmp_path):
    names = ['pbx1.example.com.configuration.sofia.conf', 'configuration.sofia.conf.pbx1',
             'pbx1:configuration:sofia.conf', 'configuration.sofia.conf']
    others = ['pbx1.configuration.acl.conf', 'dialplan.example.com', 'configuration.sofia.conf.d']
    for name in names + others[:2]:
        (tmp_path / name).write_text('<document/>')
    (tmp_path / others[2]).mkdir()
    expected = sorted(str(tmp_path / name) for name in names)
    assert fdb.clear_sofia_cache(str(tmp_path), check_mode=True) == expected
    assert all((tmp_path / name).exists() for name in names)
    assert fdb.clear_sofia_cache(str(tmp_path)) == expected
    assert sorted(os.listdir(str(tmp_path))) == sorted(others)
    assert fdb.clear_sofia_cache(str(tmp_path)) == []
    assert fdb.clear_sofia_cache(str(tmp_path / 'missing')) == []


def test_memcache_keys_cover_the_known_layouts():
    assert fdb.memcache_keys('pbx1') == ['pbx1:configuration:sofia.conf', 'configuration:sofia.conf:pbx1',
                                         'configuration:sofia.conf']
