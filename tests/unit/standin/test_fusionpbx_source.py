# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stand-in's FusionPBX settings source against a real PostgreSQL seeded with the molecule fixture.

FreeSWITCH on a FusionPBX host gets sofia.conf from FusionPBX's Lua xml_handler: from the file cache
when it holds the document, otherwise built from v_sip_profiles/v_sip_profile_settings and cached.
These tests pin that behaviour (it is what makes the sofia_param module clear the cache) and check
that the module's FusionPBX code and the stand-in agree on tables and cache file names.
Needs PostgreSQL (apt-get install postgresql) and root, like tests/unit/plugins/module_utils.
"""

from __future__ import absolute_import, division, print_function

import os
import socket
import sys

import pytest

from standin_helpers import REPO, sip_register, wait_for

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

import fusionpbx_pg  # noqa: E402  (tests/unit is put on the path just above)

__metaclass__ = type

SEED_SQL = os.path.join(REPO, "molecule", "resources", "fusionpbx", "fusionpbx.sql")
DATABASE = "standin_fusionpbx"
DOMAIN = "pbx.example.com"


@pytest.fixture(scope="module")
def cluster():
    yield from fusionpbx_pg.postgres_cluster_lifetime()


@pytest.fixture
def fusionpbx(cluster, tmp_path):
    """A freshly seeded database, FusionPBX's config.conf pointing at it and an empty file cache."""
    cluster.psql("DROP DATABASE IF EXISTS %s;\n" % DATABASE)
    cluster.psql("CREATE DATABASE %s OWNER %s;\n" % (DATABASE, fusionpbx_pg.DB_USER))
    with open(SEED_SQL) as handle:
        cluster.psql("SET ROLE %s;\n%s" % (fusionpbx_pg.DB_USER, handle.read()), DATABASE)
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    config = tmp_path / "config.conf"
    config.write_text(
        "#database system settings\n"
        "database.0.type = pgsql\n"
        "database.0.host = %s\n"
        "database.0.port = %d\n"
        "database.0.name = %s\n"
        "database.0.username = %s\n"
        "database.0.password = %s\n\n"
        "#cache settings\n"
        "cache.method = file\n"
        "cache.location = %s\n" % (cluster.socket_dir, cluster.port, DATABASE, fusionpbx_pg.DB_USER,
                                   fusionpbx_pg.DB_PASSWORD, cache_dir))
    return {"cluster": cluster, "config": str(config), "cache_dir": str(cache_dir),
            "cache_file": os.path.join(str(cache_dir), "%s.configuration.sofia.conf" % socket.gethostname())}


def sql(fusionpbx, text):
    return fusionpbx["cluster"].psql(text, DATABASE)


def set_db_param(fusionpbx, profile, name, value):
    sql(fusionpbx, "UPDATE v_sip_profile_settings SET sip_profile_setting_value = '%s' WHERE sip_profile_setting_name = '%s'"
                   " AND sip_profile_uuid = (SELECT sip_profile_uuid FROM v_sip_profiles WHERE sip_profile_name = '%s');\n"
                   % (value, name, profile))


def start(start_standin, fusionpbx):
    # log_auth_failures=True writes "true" into sip_profiles/internal.xml and external.xml: the
    # stand-in must not read them in this mode.
    return start_standin(log_auth_failures=True,
                         extra_args=["--settings-source", "fusionpbx", "--fusionpbx-config", fusionpbx["config"]])


def rescan(standin, profile="internal"):
    assert standin.fs_cli("reloadxml").startswith("+OK")
    reply = standin.fs_cli("sofia profile %s rescan" % profile)
    assert reply.startswith("+OK"), reply


def test_settings_come_from_the_database_and_get_cached(start_standin, fusionpbx):
    standin = start(start_standin, fusionpbx)
    profiles = standin.fs_cli_json("standin profiles")
    # FusionPBX ships the IPv6 profiles disabled: sofia.conf leaves them out.
    assert sorted(profiles) == ["external", "internal"]
    internal = profiles["internal"]
    assert internal["log-auth-failures"] is False, "read the XML file instead of the database"
    assert internal["sip-port"] == standin.internal_port        # $${internal_sip_port} expanded
    assert internal["challenge-realm"] == "auto_from"
    assert internal["apply-register-acl"] == []                  # the row is disabled
    assert internal["source"].startswith("fusionpbx database")
    with open(fusionpbx["cache_file"]) as handle:
        cached = handle.read()
    assert '<configuration name="sofia.conf"' in cached
    assert '<param name="log-auth-failures" value="false"/>' in cached


def test_database_change_is_invisible_until_the_cache_entry_is_deleted(start_standin, fusionpbx):
    standin = start(start_standin, fusionpbx)
    set_db_param(fusionpbx, "internal", "log-auth-failures", "true")
    rescan(standin)
    internal = standin.fs_cli_json("standin profiles")["internal"]
    assert internal["log-auth-failures"] is False
    assert internal["source"].startswith("fusionpbx cache")

    os.unlink(fusionpbx["cache_file"])
    # As with FreeSWITCH, the rescan alone fetches sofia.conf again through the xml_handler.
    assert standin.fs_cli("sofia profile internal rescan").startswith("+OK")
    assert standin.fs_cli_json("standin profiles")["internal"]["log-auth-failures"] is True
    with open(fusionpbx["cache_file"]) as handle:
        assert '<param name="log-auth-failures" value="true"/>' in handle.read()


def test_unreachable_database_without_cache_fails_the_reload_and_keeps_profiles(start_standin, fusionpbx, tmp_path):
    standin = start(start_standin, fusionpbx)
    os.unlink(fusionpbx["cache_file"])
    with open(fusionpbx["config"]) as handle:
        text = handle.read()
    with open(fusionpbx["config"], "w") as handle:
        handle.write(text.replace("database.0.password = ", "database.0.password = wrong-"))
    assert standin.fs_cli("reloadxml").startswith("-ERR")
    assert standin.fs_cli("sofia profile internal rescan").startswith("-ERR")
    assert sorted(standin.fs_cli_json("standin profiles")) == ["external", "internal"]
    assert not os.path.exists(fusionpbx["cache_file"])


def test_auth_failures_logged_only_after_db_change_and_cache_clear(sipp, start_standin, fusionpbx):
    standin = start(start_standin, fusionpbx)

    def attack(source):
        status, results, output = sip_register(sipp, "--target", "127.0.0.1:%d" % standin.internal_port, "--source-ip", source,
                                               "--user", "1000", "--password", "wrong", "--domain", DOMAIN, "--count", 3,
                                               "--timeout", 5, "--expect", 403)
        assert (status, results) == (0, ["403"] * 3), output

    attack("127.0.0.61")
    set_db_param(fusionpbx, "internal", "log-auth-failures", "true")
    rescan(standin)
    attack("127.0.0.62")
    os.unlink(fusionpbx["cache_file"])
    rescan(standin)
    attack("127.0.0.63")

    wait_for(lambda: "from ip 127.0.0.63" in standin.log_text(), message="the failures of 127.0.0.63 in the log")
    log = standin.log_text()
    assert log.count("SIP auth failure (REGISTER) on sofia profile 'internal' for [1000@%s] from ip 127.0.0.63" % DOMAIN) == 3
    assert "from ip 127.0.0.61" not in log and "from ip 127.0.0.62" not in log


def test_sofia_param_backend_and_stand_in_agree(start_standin, fusionpbx):
    """The module's FusionPBX code (module_utils) on the same seed: DB update + cache clear + rescan."""
    fusionpbx_db = pytest.importorskip("ansible_collections.voipguard.pbx.plugins.module_utils.fusionpbx_db")
    standin = start(start_standin, fusionpbx)
    with open(fusionpbx["config"]) as handle:
        settings = fusionpbx_db.parse_config_conf(handle.read())
    connection = fusionpbx_db.resolve_connection(settings)
    psql = fusionpbx_db.Psql(fusionpbx_pg.run_command, connection)
    state = fusionpbx_db.read_state(psql, ["log-auth-failures"])
    assert state.names() == ["external", "external-ipv6", "internal", "internal-ipv6"]
    plan = fusionpbx_db.plan_db_change(state, state.names(), {"log-auth-failures": "true"})
    assert plan.changed_profiles == state.names()
    fusionpbx_db.apply_db_change(psql, plan, ["log-auth-failures"])
    cleared = fusionpbx_db.clear_sofia_cache(settings["cache_location"])
    assert cleared == [fusionpbx["cache_file"]]
    for profile in ("internal", "external"):
        rescan(standin, profile)
    profiles = standin.fs_cli_json("standin profiles")
    assert {name: profile["log-auth-failures"] for name, profile in profiles.items()} == {"internal": True, "external": True}


def test_seed_loads_with_the_stock_values(fusionpbx):
    rows = sql(fusionpbx, "SELECT p.sip_profile_name, p.sip_profile_enabled, s.sip_profile_setting_value, s.sip_profile_setting_enabled"
                          " FROM v_sip_profiles p JOIN v_sip_profile_settings s USING (sip_profile_uuid)"
                          " WHERE s.sip_profile_setting_name = 'log-auth-failures' ORDER BY 1;\n").split()
    assert rows == ["external|true|false|true", "external-ipv6|false|false|true",
                    "internal|true|false|true", "internal-ipv6|false|false|true"]


def test_psql_missing_is_a_clear_error(tmp_path):
    sys.path.insert(0, os.path.join(REPO, "molecule", "resources", "freeswitch-standin"))
    import freeswitch_standin  # noqa: E402  pylint: disable=import-outside-toplevel
    config = tmp_path / "config.conf"
    config.write_text("database.0.host = 127.0.0.1\ncache.location = %s\n" % tmp_path)
    source = freeswitch_standin.FusionPbxProfileSource(str(config), hostname="pbx1", psql=str(tmp_path / "no-psql"))
    with pytest.raises(freeswitch_standin.FusionPbxError, match="psql failed"):
        source.load(freeswitch_standin.Preprocessor(str(tmp_path)))
    assert source.cache_path() == str(tmp_path / "pbx1.configuration.sofia.conf")
