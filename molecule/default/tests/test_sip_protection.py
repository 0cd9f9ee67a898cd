# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End to end: real failed SIP registrations and calls against real FreeSWITCH, real fail2ban, real nftables.

Every test runs on the three PBX containers: vg-pbx (FreeSWITCH 1.10.12, classic source layout),
vg-pbx-legacy (1.10.6: log lines without the idle-CPU field, classic layout) and vg-pbx-fhs (1.11.2,
FHS layout). The role was given no path: it found each layout by itself.
"""

import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import freeswitch_images  # noqa: E402
import sip_testbed as tb  # noqa: E402

testinfra_hosts = ["docker://vg-pbx", "docker://vg-pbx-legacy", "docker://vg-pbx-fhs"]

BRUTEFORCE_JAIL = "voipguard-freeswitch"
BARE_IP_JAIL = "voipguard-freeswitch-ip"
# What each PBX container runs: FreeSWITCH version, install layout, the prefix of its log lines.
CPU_PREFIX = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} \d{1,3}\.\d\d% \[WARNING\] sofia_reg\.c:\d+ "
OLD_PREFIX = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} \[WARNING\] sofia_reg\.c:\d+ "
PBXS = {  # container: (image tag of molecule.yml, its log line prefix)
    "vg-pbx": ("1.10.12", CPU_PREFIX),
    "vg-pbx-legacy": ("1.10.6", OLD_PREFIX),
    "vg-pbx-fhs": ("1.11.2-fhs", CPU_PREFIX),
}


@pytest.fixture(scope="module")
def clients():
    return {name: tb.container("vg-" + name) for name in ("attacker", "whitelisted", "phone")}


@pytest.fixture
def pbx(host):
    """The PBX under test, its SIP jails fresh (no ban, no failure remembered)."""
    for jail in (BRUTEFORCE_JAIL, BARE_IP_JAIL):
        tb.restart_jail(host, jail)
    return host


def expected(pbx):
    """(FreeSWITCH version, install layout, log line prefix) of the PBX."""
    tag, prefix = PBXS[pbx.backend.get_hostname()]
    return freeswitch_images.IMAGES[tag] + (prefix,)


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


def test_freeswitch_version_and_layout(pbx):
    version, layout, _prefix = expected(pbx)
    assert "FreeSWITCH Version %s" % version in tb.fs_cli(pbx, "version")
    assert tb.freeswitch_paths(pbx) == tb.FREESWITCH_LAYOUTS[layout]


def test_role_found_the_layout(pbx):
    """No path was given to the role: the jails read this layout's log."""
    log = tb.freeswitch_paths(pbx)["log"]
    for jail in (BRUTEFORCE_JAIL, BARE_IP_JAIL):
        assert log in pbx.check_output("fail2ban-client get %s logpath" % jail)


def test_log_auth_failures_enabled_by_the_role(pbx):
    conf = tb.freeswitch_paths(pbx)["conf"]
    for profile in ("internal", "external", "internal-ipv6", "external-ipv6"):
        xml = pbx.file("%s/sip_profiles/%s.xml" % (conf, profile)).content_string
        assert '<param name="log-auth-failures" value="true"/>' in xml, profile
        assert '<param name="log-auth-failures" value="false"/>' not in xml, profile


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

    # Its packets no longer reach FreeSWITCH: no answer, and nothing from it gets past the firewall.
    seen = tb.delivered_packets(pbx, attacker_ip)
    tb.register(attacker, target, tb.PHONE_USER, "wrong-password", expect="timeout")
    tb.register(attacker, target, tb.PHONE_USER, "wrong-password", transport="tcp", expect="timeout")
    assert tb.delivered_packets(pbx, attacker_ip) == seen

    # The failures were FreeSWITCH's own lines, in this version's format.
    failures = tb.log_lines_containing(pbx, "SIP auth failure (REGISTER) on sofia profile 'internal' for [%s@%s] from ip %s"
                                       % (tb.PHONE_USER, tb.SIP_DOMAIN, attacker_ip))
    assert len(failures) >= limit and all(re.match(expected(pbx)[2], line) for line in failures), failures[-3:]

    # Other clients are unaffected.
    tb.register(phone, target, tb.PHONE_USER, tb.PHONE_PASSWORD, expect="200")

    # Unbanning restores the source's access (a correct login, so no new failure is counted; unregistered at
    # once, so that the trust service does not trust the attacker's address for the next tests).
    tb.unban(pbx, BRUTEFORCE_JAIL, attacker_ip)
    tb.wait_for(lambda: not tb.firewall_blocks(pbx, attacker_ip), what="attacker gone from the firewall")
    tb.register(attacker, target, tb.OTHER_USER, tb.OTHER_PASSWORD, expect="200", expires=0)
    assert tb.delivered_packets(pbx, attacker_ip) > seen
    assert not tb.registered_from(pbx, tb.OTHER_USER, attacker_ip)


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
    # Only the brute-force jail: the scan went to the PBX's domain, not its bare address.
    assert attacker_ip not in tb.jail_status(pbx, BARE_IP_JAIL)["banned"]


def test_bare_ip_registration_banned(pbx, clients):
    attacker = clients["attacker"]
    target, attacker_ip = tb.address_of(pbx), tb.address_of(attacker)
    # A scanner registers to the raw address, not the PBX's domain; even its first challenge is suspicious.
    # With maxretry 1 the challenge alone may ban it before its second leg is answered.
    status = tb.register(attacker, target, tb.PHONE_USER, "guess", domain=target)
    assert status[0] in ("403", "timeout")
    tb.wait_for(lambda: attacker_ip in tb.jail_status(pbx, BARE_IP_JAIL)["banned"], what="bare-IP scanner banned")
    assert tb.firewall_blocks(pbx, attacker_ip)
    assert tb.log_lines_containing(pbx, "SIP auth challenge (REGISTER) on sofia profile 'internal' for [%s@%s] from ip %s"
                                   % (tb.PHONE_USER, target, attacker_ip))
    # The phone, registering to the domain, is not touched by that jail.
    tb.register(clients["phone"], target, tb.PHONE_USER, tb.PHONE_PASSWORD, expect="200")
    assert tb.address_of(clients["phone"]) not in tb.jail_status(pbx, BARE_IP_JAIL)["banned"]


def test_invite_password_guessing_banned(pbx, clients):
    """Toll fraud's other door: calls through the internal profile (auth-calls) with guessed passwords."""
    attacker = clients["attacker"]
    target, attacker_ip = tb.address_of(pbx), tb.address_of(attacker)
    limit = maxretry(pbx, BRUTEFORCE_JAIL)
    before = tb.jail_status(pbx, BRUTEFORCE_JAIL)["total_failed"]
    guess = ["sip-register", "--target", target, "--method", "invite", "--user", tb.PHONE_USER, "--callee", "1001",
             "--password", "wrong-password", "--domain", tb.SIP_DOMAIN, "--timeout", "3"]
    for attempt in range(limit):
        out = attacker.run(" ".join(guess))
        statuses = re.findall(r"^attempt=\d+ .* result=(\S+)", out.stdout, re.M)
        # The ban may come as the last failure is counted: the last call may go unanswered.
        assert statuses == ["403"] or (attempt == limit - 1 and statuses == ["timeout"]), (attempt, out.stdout)
        wait_failures_counted(pbx, BRUTEFORCE_JAIL, before, attempt + 1)
    # FreeSWITCH names the callee of a failed INVITE, not the caller.
    assert tb.log_lines_containing(pbx, "SIP auth failure (INVITE) on sofia profile 'internal' for [1001@%s] from ip %s"
                                   % (tb.SIP_DOMAIN, attacker_ip))
    tb.wait_for(lambda: attacker_ip in tb.jail_status(pbx, BRUTEFORCE_JAIL)["banned"], what="INVITE guesser banned")
    assert tb.firewall_blocks(pbx, attacker_ip)
    seen = tb.delivered_packets(pbx, attacker_ip)
    assert re.search(r"result=timeout", attacker.run(" ".join(guess)).stdout)
    assert tb.delivered_packets(pbx, attacker_ip) == seen
    assert attacker_ip not in tb.jail_status(pbx, BARE_IP_JAIL)["banned"]
