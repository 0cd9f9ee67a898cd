# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AFTER proof: the roles with their defaults turned log-auth-failures on through sofia_param (the
profile files of the plain FreeSWITCH, the database rows plus FusionPBX's sofia.conf cache on the
FusionPBX host, then a rescan), and the attacker that went unnoticed in side_effect is now banned.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import sip_testbed as tb  # noqa: E402

testinfra_hosts = ["docker://vg-sofia-xml", "docker://vg-sofia-fusionpbx"]

JAIL = "voipguard-freeswitch"
PROFILES = ("internal", "external", "internal-ipv6", "external-ipv6")
PARAM_ON = '<param name="log-auth-failures" value="true"/>'
PARAM_OFF = '<param name="log-auth-failures" value="false"/>'
OTHER_ROWS_BEFORE = "/root/voipguard-sofia-other-rows.before"   # written by before/test_before.py


@pytest.fixture(scope="module")
def attacker():
    return tb.container("vg-sofia-attacker")


@pytest.fixture(scope="module")
def fusionpbx():
    """The FusionPBX host alone (tests that take `host` run on every PBX)."""
    return tb.container("vg-sofia-fusionpbx")


@pytest.fixture(scope="module")
def xml_pbx():
    """The plain FreeSWITCH host alone."""
    return tb.container("vg-sofia-xml")


def test_running_profiles_log_auth_failures(host):
    profiles = tb.standin_profiles(host)
    assert {"internal", "external"} <= set(profiles)
    assert {name: profile["log-auth-failures"] for name, profile in profiles.items()} == {name: True for name in profiles}


def test_xml_profile_files_have_log_auth_failures_on(xml_pbx):
    for profile in PROFILES:
        content = xml_pbx.file("/etc/freeswitch/sip_profiles/%s.xml" % profile).content_string
        assert PARAM_ON in content and PARAM_OFF not in content, profile


def test_fusionpbx_rows_on_for_every_profile(fusionpbx):
    assert tb.fusionpbx_setting_rows(fusionpbx, "log-auth-failures") == {name: ("true", "true") for name in PROFILES}


def test_fusionpbx_other_rows_untouched(fusionpbx):
    saved = fusionpbx.file(OTHER_ROWS_BEFORE)
    assert saved.exists, "%s is missing: the side_effect step (before/test_before.py) saves it" % OTHER_ROWS_BEFORE
    assert tb.fusionpbx_rows_except(fusionpbx, "log-auth-failures") == saved.content_string.splitlines()


def test_fusionpbx_profiles_loaded_from_the_new_database_state(fusionpbx):
    """The module cleared FusionPBX's cached sofia.conf; the rescan rebuilt it from the database."""
    for profile in tb.standin_profiles(fusionpbx).values():
        assert profile["source"].startswith("fusionpbx")
    cached = fusionpbx.run("cat /var/cache/fusionpbx/*.configuration.sofia.conf")
    assert cached.rc == 0 and PARAM_ON in cached.stdout and PARAM_OFF not in cached.stdout


def test_fusionpbx_profile_files_not_edited(fusionpbx):
    """On FusionPBX the XML files are not the settings: the module left them as shipped."""
    for profile in ("internal", "external"):
        assert PARAM_OFF in fusionpbx.file("/etc/freeswitch/sip_profiles/%s.xml" % profile).content_string


def test_attacker_banned_after_maxretry(host, attacker):
    target, attacker_ip = tb.address_of(host), tb.address_of(attacker)
    limit = int(host.check_output("fail2ban-client get %s maxretry" % JAIL))
    assert attacker_ip not in tb.jail_status(host, JAIL)["banned"]
    try:
        # The unknown-user failure of side_effect may still count (findtime), so the ban can come
        # one attempt early: the last attempt may already go unanswered.
        statuses = tb.register(attacker, target, tb.PHONE_USER, "wrong-password", count=limit)
        assert statuses[:limit - 1] == ["403"] * (limit - 1) and statuses[-1] in ("403", "timeout"), statuses
        assert tb.log_lines_containing(
            host, "SIP auth failure (REGISTER) on sofia profile 'internal' for [%s@%s] from ip %s"
            % (tb.PHONE_USER, tb.SIP_DOMAIN, attacker_ip))
        tb.wait_for(lambda: attacker_ip in tb.jail_status(host, JAIL)["banned"], timeout=30,
                    what="%s banned in %s" % (attacker_ip, JAIL))
        tb.wait_for(lambda: tb.firewall_blocks(host, attacker_ip), timeout=30, what="%s in the firewall" % attacker_ip)

        # Dropped by the firewall: no answer, and the PBX never even sees the request.
        host.check_output("fs_cli -x 'standin reset-counts'")
        tb.register(attacker, target, tb.PHONE_USER, tb.PHONE_PASSWORD, count=1, expect="timeout")
        assert tb.standin_count(host, attacker_ip) == 0
    finally:
        tb.unban(host, JAIL, attacker_ip)
