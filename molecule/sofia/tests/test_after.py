# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AFTER proof: the role with its defaults turned log-auth-failures on in the profile files through
sofia_param and had FreeSWITCH apply it with reloadxml and a profile rescan, without a restart. The
attacker that went unnoticed in side_effect is now banned, and the phone registered before the
change is still registered.
"""

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import sip_testbed as tb  # noqa: E402

testinfra_hosts = ["docker://vg-sofia-xml", "docker://vg-sofia-fhs"]

JAIL = "voipguard-freeswitch"
PROFILES = ("internal", "external", "internal-ipv6", "external-ipv6")
PARAM_ON = '<param name="log-auth-failures" value="true"/>'
PARAM_OFF = '<param name="log-auth-failures" value="false"/>'
PID_BEFORE = "/root/voipguard-freeswitch.pid.before"   # written by before/test_before.py


@pytest.fixture(scope="module")
def attacker():
    return tb.container("vg-sofia-attacker")


def test_profile_files_have_log_auth_failures_on(host):
    conf = tb.freeswitch_paths(host)["conf"]
    for profile in PROFILES:
        content = host.file("%s/sip_profiles/%s.xml" % (conf, profile)).content_string
        assert PARAM_ON in content and PARAM_OFF not in content, profile


def test_freeswitch_reloaded_not_restarted(host):
    """Same FreeSWITCH process, and each profile started once (at boot): rescanned, not restarted, as
    a `sofia profile <name> restart` logs another "Started Profile <name>"."""
    saved = host.file(PID_BEFORE)
    assert saved.exists, "%s is missing: the side_effect step (before/test_before.py) saves it" % PID_BEFORE
    assert host.check_output("systemctl show --property MainPID --value freeswitch") == saved.content_string.strip()
    for profile in PROFILES:
        assert tb.sofia_profile_running(host, profile), profile
        assert len(tb.log_lines_containing(host, " Started Profile %s [" % profile)) == 1, profile


def test_warning_lines_reach_the_log_again(host):
    """side_effect.yml wrote the core loglevel as '3' and a map "all" without warning, in forms FreeSWITCH accepts,
    and made the running FreeSWITCH log that way: converge changed both files and applied them without a restart."""
    conf = tb.freeswitch_paths(host)["conf"]
    assert "<param value='warning' name='loglevel'/>" in host.file(conf + "/autoload_configs/switch.conf.xml").content_string
    assert "value='console,debug,info,notice,err,crit,alert,warning' name='all'" in \
        host.file(conf + "/autoload_configs/logfile.conf.xml").content_string
    marker = "voipguard-warning-marker-%d" % time.time_ns()
    tb.fs_cli(host, "log WARNING %s" % marker)
    tb.wait_for(lambda: tb.log_lines_containing(host, marker), what="a WARNING line in FreeSWITCH's log")


def test_phone_registered_before_the_change_still_registered(host):
    """Registered once in prepare (Expires 3600), never again: the rescan kept its registration."""
    phone_ip = tb.address_of(tb.container("vg-sofia-phone"))
    assert tb.registered_from(host, tb.PHONE_USER, phone_ip), tb.registrations(host)


def test_attacker_banned_after_maxretry(host, attacker):
    target, attacker_ip = tb.address_of(host), tb.address_of(attacker)
    limit = int(host.check_output("fail2ban-client get %s maxretry" % JAIL))
    # Forget side_effect's unknown-user failure, so that the count starts at zero.
    tb.restart_jail(host, JAIL)
    try:
        # One short of maxretry: each failure counted (FreeSWITCH now logs it), not banned, answered.
        before = tb.jail_status(host, JAIL)["total_failed"]
        tb.register(attacker, target, tb.PHONE_USER, "wrong-password", count=limit - 1, expect="403")
        tb.wait_for(lambda: tb.jail_status(host, JAIL)["total_failed"] >= before + limit - 1,
                    what="fail2ban to count %d failures" % (limit - 1))
        assert attacker_ip not in tb.jail_status(host, JAIL)["banned"]
        assert not tb.firewall_blocks(host, attacker_ip)
        # The failure that reaches maxretry bans it.
        tb.register(attacker, target, tb.PHONE_USER, "wrong-password", count=1, expect="403")
        assert tb.log_lines_containing(
            host, "SIP auth failure (REGISTER) on sofia profile 'internal' for [%s@%s] from ip %s"
            % (tb.PHONE_USER, tb.SIP_DOMAIN, attacker_ip))
        tb.wait_for(lambda: attacker_ip in tb.jail_status(host, JAIL)["banned"], timeout=30,
                    what="%s banned in %s" % (attacker_ip, JAIL))
        tb.wait_for(lambda: tb.firewall_blocks(host, attacker_ip), timeout=30, what="%s in the firewall" % attacker_ip)

        # Dropped by the firewall: no answer, and nothing from it gets past the firewall to FreeSWITCH.
        seen = tb.delivered_packets(host, attacker_ip)
        tb.register(attacker, target, tb.PHONE_USER, tb.PHONE_PASSWORD, count=1, expect="timeout")
        assert tb.delivered_packets(host, attacker_ip) == seen
    finally:
        tb.unban(host, JAIL, attacker_ip)
    # Unbanned, its packets reach FreeSWITCH again (the counter counts).
    tb.wait_for(lambda: not tb.firewall_blocks(host, attacker_ip), what="%s out of the firewall" % attacker_ip)
    tb.register(attacker, target, tb.OTHER_USER, tb.OTHER_PASSWORD, count=1, expect="200", expires=0)
    assert tb.delivered_packets(host, attacker_ip) > seen
