# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""BEFORE proof (molecule side_effect, between prepare and converge): with the Sofia profiles as
FreeSWITCH ships them (log-auth-failures false), a SIP password brute force against real FreeSWITCH
leaves no line fail2ban can use, so the attacker is never banned although fail2ban and the jail run.

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

testinfra_hosts = ["docker://vg-sofia-xml", "docker://vg-sofia-fhs"]

JAIL = "voipguard-freeswitch"
BARRIER_USER = "no-such-user-4711"
PROFILES = ("internal", "external", "internal-ipv6", "external-ipv6")
# Saved for verify: FreeSWITCH's process, which the role must reload, not restart.
PID_BEFORE = "/root/voipguard-freeswitch.pid.before"


@pytest.fixture(scope="module")
def attacker():
    return tb.container("vg-sofia-attacker")


def maxretry(pbx):
    return int(pbx.check_output("fail2ban-client get %s maxretry" % JAIL))


def attacker_auth_lines(pbx, attacker_ip):
    return [line for line in tb.log_lines_containing(pbx, "from ip %s" % attacker_ip) if "SIP auth" in line]


def test_fail2ban_guards_the_freeswitch_log(host):
    assert host.service("fail2ban").is_running
    assert JAIL in host.check_output("fail2ban-client status")
    assert tb.freeswitch_paths(host)["log"] in host.check_output("fail2ban-client get %s logpath" % JAIL)


def test_profiles_as_shipped(host):
    """Vanilla sets log-auth-failures false on the internal profile and leaves it out of the others
    (FreeSWITCH's default: false)."""
    conf = tb.freeswitch_paths(host)["conf"]
    for profile in PROFILES:
        content = host.file("%s/sip_profiles/%s.xml" % (conf, profile)).content_string
        assert '<param name="log-auth-failures" value="true"/>' not in content, profile
        assert ('<param name="log-auth-failures" value="false"/>' in content) == (profile == "internal"), profile


def test_phone_registered_and_freeswitch_pid_saved(host):
    phone_ip = tb.address_of(tb.container("vg-sofia-phone"))
    assert tb.registered_from(host, tb.PHONE_USER, phone_ip), tb.registrations(host)
    pid = host.check_output("systemctl show --property MainPID --value freeswitch")
    assert int(pid) > 0
    host.check_output("echo %s > %s" % (pid, PID_BEFORE))


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
