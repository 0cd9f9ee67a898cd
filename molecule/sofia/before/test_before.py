# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""BEFORE proof (molecule side_effect, between prepare and converge): with the Sofia profiles as
FreeSWITCH and FusionPBX ship them (log-auth-failures false), a SIP password brute force leaves no
line fail2ban can use, so the attacker is never banned although fail2ban and the jail are running.

fail2ban reads the log in order, so "nothing was counted" is proven without waiting an arbitrary
time: after the attack the attacker also tries an unknown user, which FreeSWITCH always logs. Once
fail2ban has counted that one failure, it has read every line the attack produced, and the jail's
total must have grown by exactly one.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import sip_testbed as tb  # noqa: E402

testinfra_hosts = ["docker://vg-sofia-xml", "docker://vg-sofia-fusionpbx"]

JAIL = "voipguard-freeswitch"
BARRIER_USER = "no-such-user-4711"
# Saved for verify: every FusionPBX row except the log-auth-failures values must stay as it is now.
OTHER_ROWS_BEFORE = "/root/voipguard-sofia-other-rows.before"
FUSIONPBX_CACHE_GLOB = "/var/cache/fusionpbx/*.configuration.sofia.conf"


@pytest.fixture(scope="module")
def attacker():
    return tb.container("vg-sofia-attacker")


@pytest.fixture(scope="module")
def fusionpbx():
    """The FusionPBX host alone (tests that take `host` run on every PBX)."""
    return tb.container("vg-sofia-fusionpbx")


def maxretry(pbx):
    return int(pbx.check_output("fail2ban-client get %s maxretry" % JAIL))


def attacker_auth_lines(pbx, attacker_ip):
    return [line for line in tb.log_lines_containing(pbx, "from ip %s" % attacker_ip) if "SIP auth" in line]


def test_fail2ban_guards_the_freeswitch_log(host):
    assert host.service("fail2ban").is_running
    assert JAIL in host.check_output("fail2ban-client status")
    assert tb.FREESWITCH_LOG in host.check_output("fail2ban-client get %s logpath" % JAIL)


def test_profiles_run_with_log_auth_failures_off(host):
    profiles = tb.standin_profiles(host)
    assert {"internal", "external"} <= set(profiles)
    assert {name: profile["log-auth-failures"] for name, profile in profiles.items()} == {name: False for name in profiles}


def test_fusionpbx_settings_come_from_the_database_cache(fusionpbx):
    """FusionPBX serves sofia.conf from its database through its file cache, which now holds it."""
    for profile in tb.standin_profiles(fusionpbx).values():
        assert profile["source"].startswith("fusionpbx")
    cached = fusionpbx.run("cat %s" % FUSIONPBX_CACHE_GLOB)
    assert cached.rc == 0, "no cached sofia.conf in /var/cache/fusionpbx"
    assert '<param name="log-auth-failures" value="false"/>' in cached.stdout


def test_fusionpbx_ignores_edits_of_the_profile_xml(fusionpbx, attacker):
    """What an operator may try first on a FusionPBX host: edit sip_profiles/internal.xml. No effect."""
    path = "/etc/freeswitch/sip_profiles/internal.xml"
    fusionpbx.check_output("cp -p %s /root/internal.xml.orig" % path)
    try:
        fusionpbx.check_output("sed -i 's|<param name=\"log-auth-failures\" value=\"false\"/>|"
                               "<param name=\"log-auth-failures\" value=\"true\"/>|' %s" % path)
        assert '<param name="log-auth-failures" value="true"/>' in fusionpbx.file(path).content_string
        assert fusionpbx.check_output("fs_cli -x reloadxml").startswith("+OK")
        assert fusionpbx.check_output("fs_cli -x 'sofia profile internal rescan'").startswith("+OK")
        assert tb.standin_profiles(fusionpbx)["internal"]["log-auth-failures"] is False
        lines_before = attacker_auth_lines(fusionpbx, tb.address_of(attacker))
        tb.register(attacker, tb.address_of(fusionpbx), tb.PHONE_USER, "wrong-password", count=2, expect="403")
        # The SIP answers above came after the stand-in handled each request and wrote its lines.
        assert attacker_auth_lines(fusionpbx, tb.address_of(attacker)) == lines_before
    finally:
        fusionpbx.check_output("cp -p /root/internal.xml.orig %s" % path)
        fusionpbx.check_output("fs_cli -x reloadxml")


def test_brute_force_goes_unnoticed(host, attacker):
    target, attacker_ip = tb.address_of(host), tb.address_of(attacker)
    limit = maxretry(host)
    total_before = tb.jail_status(host, JAIL)["total_failed"]
    auth_lines_before = attacker_auth_lines(host, attacker_ip)

    # Twice maxretry wrong passwords, every one answered: nothing stops the attacker.
    tb.register(attacker, target, tb.PHONE_USER, "wrong-password", count=2 * limit, expect="403")
    assert attacker_auth_lines(host, attacker_ip) == auth_lines_before, "a SIP auth line was logged with log-auth-failures off"

    # The barrier (see the module docstring): an unknown user, logged whatever the profile says.
    tb.register(attacker, target, BARRIER_USER, "x", count=1, expect="403")
    assert tb.log_lines_containing(host, "Can't find user [%s@" % BARRIER_USER)

    def counted():
        current = tb.jail_status(host, JAIL)
        return current if current["total_failed"] >= total_before + 1 else None

    status = tb.wait_for(counted, what="fail2ban to count the unknown-user line")
    assert status["total_failed"] == total_before + 1, "fail2ban counted failures of the brute force: %r" % status
    assert attacker_ip not in status["banned"]
    assert not tb.firewall_blocks(host, attacker_ip)

    # Still not banned, still answered.
    tb.register(attacker, target, tb.PHONE_USER, "wrong-password", count=1, expect="403")


def test_database_still_stock_and_snapshot_saved(fusionpbx):
    rows = tb.fusionpbx_setting_rows(fusionpbx, "log-auth-failures")
    assert rows == {name: ("false", "true") for name in ("internal", "external", "internal-ipv6", "external-ipv6")}
    others = tb.fusionpbx_rows_except(fusionpbx, "log-auth-failures")
    assert len(others) > 100
    fusionpbx.check_output("cat > %s <<'VOIPGUARD_EOF'\n%s\nVOIPGUARD_EOF" % (OTHER_ROWS_BEFORE, "\n".join(others)))
    assert fusionpbx.file(OTHER_ROWS_BEFORE).content_string.splitlines() == others
