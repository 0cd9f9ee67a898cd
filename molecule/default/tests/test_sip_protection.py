# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End to end: real failed SIP registrations against the FreeSWITCH stand-in, real fail2ban, real nftables.

Every test runs on both PBX containers: vg-pbx logs like FreeSWITCH 1.10.7+ (idle-CPU field),
vg-pbx-legacy like 1.10.6 and earlier.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import sip_testbed as tb  # noqa: E402

testinfra_hosts = ["docker://vg-pbx", "docker://vg-pbx-legacy"]

BRUTEFORCE_JAIL = "voipguard-freeswitch"
BARE_IP_JAIL = "voipguard-freeswitch-ip"


@pytest.fixture(scope="module")
def clients():
    return {name: tb.container("vg-" + name) for name in ("attacker", "whitelisted", "phone")}


@pytest.fixture
def pbx(host):
    """The PBX under test, its SIP jails fresh (no ban, no failure remembered), the stand-in's counters at zero."""
    for jail in (BRUTEFORCE_JAIL, BARE_IP_JAIL):
        tb.restart_jail(host, jail)
    host.check_output("fs_cli -x 'standin reset-counts'")
    return host


def maxretry(pbx, jail):
    return int(pbx.check_output("fail2ban-client get %s maxretry" % jail))


def wait_failures_counted(pbx, jail, before, expected_new):
    """Wait until fail2ban has read `expected_new` more failures from the log."""
    return tb.wait_for(lambda: tb.jail_status(pbx, jail)["total_failed"] >= before + expected_new,
                       what="%d new failures in %s" % (expected_new, jail))


def test_fail2ban_runs_our_jails(pbx):
    assert pbx.service("fail2ban").is_running
    jails = pbx.check_output("fail2ban-client status")
    assert BRUTEFORCE_JAIL in jails and BARE_IP_JAIL in jails and "sshd" in jails


def test_log_auth_failures_enabled_by_the_role(pbx):
    for profile in ("internal", "external"):
        xml = pbx.file("/etc/freeswitch/sip_profiles/%s.xml" % profile).content_string
        assert '<param name="log-auth-failures" value="true"/>' in xml


def test_phone_registers(pbx, clients):
    tb.register(clients["phone"], tb.address_of(pbx), tb.PHONE_USER, tb.PHONE_PASSWORD, count=3, expect="200")
    assert tb.address_of(clients["phone"]) not in tb.jail_status(pbx, BRUTEFORCE_JAIL)["banned"]


def test_attacker_banned_at_maxretry_and_dropped(pbx, clients):
    attacker, phone = clients["attacker"], clients["phone"]
    target, attacker_ip = tb.address_of(pbx), tb.address_of(attacker)
    limit = maxretry(pbx, BRUTEFORCE_JAIL)
    before = tb.jail_status(pbx, BRUTEFORCE_JAIL)["total_failed"]

    # One short of the limit: counted, not banned, still answered.
    tb.register(attacker, target, tb.PHONE_USER, "wrong-password", count=limit - 1, expect="403")
    wait_failures_counted(pbx, BRUTEFORCE_JAIL, before, limit - 1)
    assert attacker_ip not in tb.jail_status(pbx, BRUTEFORCE_JAIL)["banned"]
    assert not tb.firewall_blocks(pbx, attacker_ip)

    # The phone keeps working during the attack.
    tb.register(phone, target, tb.PHONE_USER, tb.PHONE_PASSWORD, expect="200")

    # The failure that crosses maxretry bans the source, in the jail and in the firewall.
    tb.register(attacker, target, tb.PHONE_USER, "wrong-password", expect="403")
    tb.wait_for(lambda: attacker_ip in tb.jail_status(pbx, BRUTEFORCE_JAIL)["banned"], what="attacker banned")
    assert tb.firewall_blocks(pbx, attacker_ip)

    # Its packets no longer reach the PBX: no answer, and the stand-in counts nothing more from it.
    seen = tb.standin_count(pbx, attacker_ip)
    tb.register(attacker, target, tb.PHONE_USER, "wrong-password", expect="timeout")
    tb.register(attacker, target, tb.PHONE_USER, "wrong-password", transport="tcp", expect="timeout")
    assert tb.standin_count(pbx, attacker_ip) == seen

    # Other clients are unaffected.
    tb.register(phone, target, tb.PHONE_USER, tb.PHONE_PASSWORD, expect="200")

    # Unbanning restores the source's access (a correct login, so no new failure is counted).
    tb.unban(pbx, BRUTEFORCE_JAIL, attacker_ip)
    tb.wait_for(lambda: not tb.firewall_blocks(pbx, attacker_ip), what="attacker gone from the firewall")
    tb.register(attacker, target, tb.PHONE_USER, tb.PHONE_PASSWORD, expect="200")
    assert tb.standin_count(pbx, attacker_ip) > seen


def test_whitelisted_host_never_banned(pbx, clients):
    whitelisted = clients["whitelisted"]
    target, whitelisted_ip = tb.address_of(pbx), tb.address_of(whitelisted)
    attempts = maxretry(pbx, BRUTEFORCE_JAIL) + 2
    ignored_before = tb.ignored_in_log(pbx, BRUTEFORCE_JAIL, whitelisted_ip)

    tb.register(whitelisted, target, tb.PHONE_USER, "wrong-password", count=attempts, expect="403")

    # fail2ban read every failure and ignored it because of the whitelist.
    tb.wait_for(lambda: tb.ignored_in_log(pbx, BRUTEFORCE_JAIL, whitelisted_ip) >= ignored_before + attempts,
                what="fail2ban to ignore the whitelisted failures")
    assert whitelisted_ip not in tb.jail_status(pbx, BRUTEFORCE_JAIL)["banned"]
    assert not tb.firewall_blocks(pbx, whitelisted_ip)
    tb.register(whitelisted, target, tb.PHONE_USER, tb.PHONE_PASSWORD, expect="200")


def test_unknown_user_scan_banned(pbx, clients):
    attacker = clients["attacker"]
    target, attacker_ip = tb.address_of(pbx), tb.address_of(attacker)
    limit = maxretry(pbx, BRUTEFORCE_JAIL)
    before = tb.jail_status(pbx, BRUTEFORCE_JAIL)["total_failed"]
    # Probes for users that do not exist. FreeSWITCH logs "Can't find user" (always) and, with
    # log-auth-failures on, an auth failure too: each probe counts at least once, so the scanner is
    # cut off after at most maxretry probes, and only once the jail counted maxretry failures.
    for number in range(limit):
        status = tb.register(attacker, target, "99%02d" % number, "guess")
        if status == ["timeout"]:
            break
        assert status == ["403"], status
        wait_failures_counted(pbx, BRUTEFORCE_JAIL, before, number + 1)
    assert tb.jail_status(pbx, BRUTEFORCE_JAIL)["total_failed"] - before >= limit
    tb.wait_for(lambda: attacker_ip in tb.jail_status(pbx, BRUTEFORCE_JAIL)["banned"], what="scanner banned")
    assert tb.firewall_blocks(pbx, attacker_ip)
    tb.register(attacker, target, "9999", "guess", expect="timeout")


def test_bare_ip_registration_banned(pbx, clients):
    attacker = clients["attacker"]
    target, attacker_ip = tb.address_of(pbx), tb.address_of(attacker)
    # A scanner registers to the raw address, not the PBX's domain; even its first challenge is suspicious.
    # With maxretry 1 the challenge alone may ban it before its second leg is answered.
    status = tb.register(attacker, target, tb.PHONE_USER, "guess", domain=target)
    assert status[0] in ("403", "timeout")
    tb.wait_for(lambda: attacker_ip in tb.jail_status(pbx, BARE_IP_JAIL)["banned"], what="bare-IP scanner banned")
    assert tb.firewall_blocks(pbx, attacker_ip)
    # The phone, registering to the domain, is not touched by that jail.
    tb.register(clients["phone"], target, tb.PHONE_USER, tb.PHONE_PASSWORD, expect="200")
    assert tb.address_of(clients["phone"]) not in tb.jail_status(pbx, BARE_IP_JAIL)["banned"]
