# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo`: attack the protected container PBX of the default scenario and tell what happened.

Run after `molecule converge -s default`. The PBX runs real FreeSWITCH 1.10.12, built from its
pinned upstream sources (molecule/resources/images/freeswitch), protected by the voipguard.pbx roles.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests"))

import sip_testbed as tb  # noqa: E402

JAIL = "voipguard-freeswitch"


def say(text=""):
    print(text, flush=True)


def main():
    pbx, attacker, phone = tb.container("vg-pbx"), tb.container("vg-attacker"), tb.container("vg-phone")
    whitelisted = tb.container("vg-whitelisted")
    target = tb.address_of(pbx)
    attacker_ip, phone_ip, whitelisted_ip = tb.address_of(attacker), tb.address_of(phone), tb.address_of(whitelisted)
    for jail in (JAIL, "voipguard-freeswitch-ip"):
        tb.restart_jail(pbx, jail)
    limit = int(pbx.check_output("fail2ban-client get %s maxretry" % JAIL))
    version = pbx.check_output("fail2ban-client version")
    freeswitch = tb.fs_cli(pbx, "version").split("(")[0].replace("FreeSWITCH Version", "").strip()
    paths = tb.freeswitch_paths(pbx)

    say("voipguard.pbx demo")
    say("==================")
    say("PBX vg-pbx (%s): FreeSWITCH %s, fail2ban %s, jail %s (maxretry %d)." % (target, freeswitch, version, JAIL, limit))
    say("")
    status = tb.register(phone, target, tb.PHONE_USER, tb.PHONE_PASSWORD)[0]
    say("1. The phone vg-phone (%s) registers as %s@%s: %s." % (phone_ip, tb.PHONE_USER, tb.SIP_DOMAIN, status))

    say("2. The attacker vg-attacker (%s) guesses passwords for %s:" % (attacker_ip, tb.PHONE_USER))
    banned_after = None
    failed_before = tb.jail_status(pbx, JAIL)["total_failed"]
    for attempt in range(1, limit + 3):
        status = tb.register(attacker, target, tb.PHONE_USER, "guess-%d" % attempt)[0]
        if status == "timeout":
            say("   attempt %d: no answer: its packets are dropped" % attempt)
            continue
        say("   attempt %d: answered %s" % (attempt, status))
        tb.wait_for(lambda: tb.jail_status(pbx, JAIL)["total_failed"] >= failed_before + attempt,
                    what="fail2ban to count the failure")
        if banned_after is None and attempt >= limit:
            tb.wait_for(lambda: attacker_ip in tb.jail_status(pbx, JAIL)["banned"], what="the ban")
            banned_after = attempt
            say("   -> banned by fail2ban after %d failed attempts (in the jail, and in nftables: %s)."
                % (attempt, "yes" if tb.firewall_blocks(pbx, attacker_ip) else "NO"))
    failures = tb.log_lines_containing(pbx, "SIP auth failure (REGISTER) on sofia profile 'internal' for [%s@%s] from ip %s"
                                       % (tb.PHONE_USER, tb.SIP_DOMAIN, attacker_ip))
    if failures:
        say("   What FreeSWITCH logged for the last guess (%s):" % paths["log"])
        say("   " + failures[-1])
    status = tb.register(phone, target, tb.PHONE_USER, tb.PHONE_PASSWORD)[0]
    say("3. The phone registers again during the attack: %s." % status)

    ignored_before = tb.ignored_in_log(pbx, JAIL, whitelisted_ip)
    statuses = tb.register(whitelisted, target, tb.PHONE_USER, "typo", count=limit + 1)
    tb.wait_for(lambda: tb.ignored_in_log(pbx, JAIL, whitelisted_ip) >= ignored_before + len(statuses),
                what="fail2ban to read the whitelisted failures")
    banned = whitelisted_ip in tb.jail_status(pbx, JAIL)["banned"]
    say("4. vg-whitelisted (%s, in ignoreip by its DNS name) fails %d times: answered %s, banned: %s."
        % (whitelisted_ip, len(statuses), "/".join(sorted(set(statuses))), "yes" if banned else "no"))
    say("")
    if banned_after is None:
        say("The attacker was NOT banned: something is wrong.")
        return 1
    say("Try it yourself:")
    say("  docker exec vg-pbx fail2ban-client status %s" % JAIL)
    say("  docker exec vg-pbx nft list ruleset")
    say("  docker exec vg-pbx tail %s" % paths["log"])
    say("  docker exec vg-pbx %s -x 'show registrations'" % paths["fs_cli"])
    say("  docker exec vg-attacker sip-register --target %s --user 1000 --password guess --domain %s"
        % (target, tb.SIP_DOMAIN))
    say("  docker exec vg-pbx fail2ban-client set %s unbanip %s" % (JAIL, attacker_ip))
    say("Remove the containers with: make demo-clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
