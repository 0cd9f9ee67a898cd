# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Repeat offenders, slow guessers and jails of the operator's own, against real FreeSWITCH 1.10.12, real
fail2ban and real nftables (times scaled down in molecule.yml).

- recidive: an attacker banned by the brute-force jail, unbanned when its bantime ends, banned again, and
  then banned by recidive for a day on every port: it stays dropped after the brute-force jail's ban ends;
- the slow jail: a guesser who stays under the brute-force jail's rate is banned by it, while a phone whose
  registration fails now and again (twice within the slow jail's findtime) is banned by neither;
- fail2ban_jails, fail2ban_filters, fail2ban_actions: a portal jail with its own filter and action bans and
  runs the action; a jail and filter listed as absent are gone.
"""

import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import sip_testbed as tb  # noqa: E402

testinfra_hosts = ["docker://vg-repeat-pbx"]

BRUTEFORCE_JAIL = "voipguard-freeswitch"
SLOW_JAIL = "voipguard-freeswitch-slow"
RECIDIVE_JAIL = "recidive"
PORTAL_JAIL = "testbed-portal"
MAXRETRY = 5                 # freeswitch_maxretry
BRUTEFORCE_BANTIME = 40      # freeswitch_bantime, seconds
SLOW_MAXRETRY = 12           # freeswitch_slow_maxretry (in 120 s)
SLOW_PACE = 6                # seconds between the slow guesser's attempts: at most 4 in any 20 s, under MAXRETRY
RECIDIVE_BANTIME = 86400     # fail2ban_recidive_bantime (1d)
GUESSED_USER = "1001"


@pytest.fixture(scope="module")
def target(host):
    return tb.address_of(host)


def banned_in(host, jail, address):
    return address in tb.jail_status(host, jail)["banned"]


def ban_seconds(host, jail, address):
    """How long the running ban of `address` in `jail` lasts, in seconds ("<ip> \\t<start> + <seconds> = <end>")."""
    out = host.check_output("fail2ban-client get %s banip --with-time" % jail)
    match = re.search(r"^%s\s+.*\+\s*(-?\d+)\s*=" % re.escape(address), out, re.M)
    assert match, "no ban of %s in %s:\n%s" % (address, jail, out)
    return int(match.group(1))


def found_logged(host, jail, address):
    return int(host.run("grep -cF %s /var/log/fail2ban.log" % tb.quote("[%s] Found %s" % (jail, address))).stdout.strip() or 0)


def bans_logged(host, jail, address):
    return int(host.run("grep -cF %s /var/log/fail2ban.log" % tb.quote("[%s] Ban %s" % (jail, address))).stdout.strip() or 0)


def fail_maxretry_times(host, client, target, jail):
    """MAXRETRY wrong passwords, each answered 403: then `jail` bans the client."""
    address = tb.address_of(client)
    assert tb.register(client, target, GUESSED_USER, "not-the-password", count=MAXRETRY, timeout=2) == ["403"] * MAXRETRY
    tb.wait_for(lambda: banned_in(host, jail, address), timeout=10, what="%s banned in %s" % (address, jail))


def assert_dropped(host, client, target):
    address = tb.address_of(client)
    assert tb.firewall_blocks(host, address)
    seen = tb.delivered_packets(host, address)
    assert tb.register(client, target, GUESSED_USER, "not-the-password", timeout=2) == ["timeout"]
    assert tb.delivered_packets(host, address) == seen


# --- fail2ban_jails, fail2ban_filters, fail2ban_actions ---------------------------------------------------

def test_the_old_jail_and_filter_listed_absent_are_gone(host):
    # prepare.yml wrote both before the role ran.
    jail_local = host.file("/etc/fail2ban/jail.local").content_string
    assert "[testbed-old-asterisk]" not in jail_local
    assert not host.file("/etc/fail2ban/filter.d/testbed-old-asterisk.local").exists
    assert "testbed-old-asterisk" not in host.check_output("fail2ban-client status")


def test_the_portal_jail_bans_with_its_own_filter_and_action(host):
    address = "203.0.113.9"
    for _attempt in range(3):
        host.check_output("echo %s >> /var/log/testbed-portal.log"
                          % tb.quote("portal: login failed for admin from %s" % address))
    tb.wait_for(lambda: banned_in(host, PORTAL_JAIL, address), timeout=20, what="%s banned in %s" % (address, PORTAL_JAIL))
    # The default ban action drops it, and the operator's own action ran.
    tb.wait_for(lambda: tb.firewall_blocks(host, address), timeout=10, what="%s in the firewall" % address)
    tb.wait_for(lambda: address in host.run("cat /var/log/testbed-portal-banned.log").stdout, timeout=10,
                what="the portal action's record of %s" % address)
    assert host.file("/etc/fail2ban/filter.d/testbed-portal.local").contains("^failregex")
    tb.unban(host, PORTAL_JAIL, address)


# --- the slow jail -------------------------------------------------------------------------------------

def test_a_slow_guesser_is_banned_by_the_slow_jail_and_a_phone_failing_now_and_again_is_not(host, target):
    guesser = tb.container("vg-repeat-guesser")
    phone = tb.container("vg-repeat-phone")
    guesser_ip, phone_ip = tb.address_of(guesser), tb.address_of(phone)

    # The phone fails now and again (a stale password after a reboot), then registers: once before the guesser
    # starts and once after it is banned, both within the slow jail's findtime (the scenario's "day").
    assert tb.register(phone, target, tb.PHONE_USER, "stale-password") == ["403"]
    assert tb.register(phone, target, tb.PHONE_USER, tb.PHONE_PASSWORD, expires=0) == ["200"]

    # The guesser: one wrong password every SLOW_PACE seconds, SLOW_MAXRETRY of them.
    statuses = tb.register(guesser, target, GUESSED_USER, "not-the-password", count=SLOW_MAXRETRY,
                           interval=SLOW_PACE, timeout=2)
    assert statuses == ["403"] * SLOW_MAXRETRY, statuses
    tb.wait_for(lambda: banned_in(host, SLOW_JAIL, guesser_ip), timeout=10, what="the slow guesser banned")
    assert bans_logged(host, BRUTEFORCE_JAIL, guesser_ip) == 0, "the brute-force jail banned the slow guesser"
    assert_dropped(host, guesser, target)

    assert tb.register(phone, target, tb.PHONE_USER, "stale-password") == ["403"]
    # Both jails counted the phone's two failures, and neither banned it.
    for jail in (BRUTEFORCE_JAIL, SLOW_JAIL):
        tb.wait_for(lambda: found_logged(host, jail, phone_ip) >= 2, timeout=10,
                    what="%s to count the phone's two failures" % jail)
    tb.assert_never_banned(host, phone_ip)
    assert tb.register(phone, target, tb.PHONE_USER, tb.PHONE_PASSWORD, expires=0) == ["200"]


# --- recidive --------------------------------------------------------------------------------------------

def test_a_repeat_offender_is_banned_again_by_recidive_for_longer(host, target):
    attacker = tb.container("vg-repeat-attacker")
    address = tb.address_of(attacker)

    # First offence: banned by the brute-force jail at maxretry, and dropped.
    fail_maxretry_times(host, attacker, target, BRUTEFORCE_JAIL)
    assert ban_seconds(host, BRUTEFORCE_JAIL, address) == BRUTEFORCE_BANTIME
    assert_dropped(host, attacker, target)
    assert not banned_in(host, RECIDIVE_JAIL, address)

    # Unbanned when the bantime ends: answered again (fail_maxretry_times checks every answer).
    tb.wait_for(lambda: not banned_in(host, BRUTEFORCE_JAIL, address) and not tb.firewall_blocks(host, address),
                timeout=BRUTEFORCE_BANTIME + 30, what="the first ban of %s to end" % address)

    # Second offence: banned again, and recidive, counting the two bans, bans it for a day on every port.
    fail_maxretry_times(host, attacker, target, BRUTEFORCE_JAIL)
    tb.wait_for(lambda: banned_in(host, RECIDIVE_JAIL, address), timeout=20, what="recidive to ban %s" % address)
    assert bans_logged(host, BRUTEFORCE_JAIL, address) == 2
    assert ban_seconds(host, RECIDIVE_JAIL, address) == RECIDIVE_BANTIME

    # Longer: the brute-force jail's second ban ends, the attacker stays dropped.
    tb.wait_for(lambda: not banned_in(host, BRUTEFORCE_JAIL, address), timeout=BRUTEFORCE_BANTIME + 30,
                what="the second brute-force ban of %s to end" % address)
    assert banned_in(host, RECIDIVE_JAIL, address)
    assert_dropped(host, attacker, target)
