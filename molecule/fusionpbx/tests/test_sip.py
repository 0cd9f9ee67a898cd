# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sofia_param's FusionPBX backend on real FusionPBX: log-auth-failures before and after the converge.

On vg-fusionpbx (event_guard disabled by the converge, so fail2ban alone decides). prepare.yml had the
attacker guess six times as the installer left the host: FreeSWITCH logged nothing fail2ban could
count and fail2ban banned nobody. After the converge the setting is true in FusionPBX's database,
FusionPBX's cached sofia.conf was regenerated with it, and the same guesser is banned at maxretry.
"""

import json
import re

import pytest

from fleet_playbooks import run_module
from fusionpbx_testbed import ATTACKER, PHONE, SOLO, fail2ban_banned_anywhere, q, sql
import sip_testbed as tb

testinfra_hosts = ["docker://" + SOLO]

JAIL = "freeswitch"   # the fusionpbx preset's name for the brute-force jail
CACHE = "/var/cache/fusionpbx/fusionpbx.configuration.sofia.conf"


@pytest.fixture(scope="module")
def attacker():
    return tb.container(ATTACKER)


@pytest.fixture(scope="module")
def phone():
    return tb.container(PHONE)


def test_before_the_converge_the_guesser_was_not_banned_and_nothing_was_logged(host, attacker):
    before = json.loads(host.file("/root/voipguard-before.json").content_string)
    attempts = re.findall(r"^attempt=\d+ .* result=(\S+)", before["guesses"], re.M)
    assert len(attempts) == 6 and attempts[0] == "403", before["guesses"]
    fail2ban_part = before["state"].split("=== freeswitch log")[0]
    assert tb.address_of(attacker) not in fail2ban_part, before["state"]
    freeswitch_part = before["state"].split("=== freeswitch log")[1].split("=== event_guard")[0]
    assert "SIP auth failure" not in freeswitch_part, before["state"]


def test_log_auth_failures_is_true_in_fusionpbx_database_and_its_cache(host):
    rows = sql(host, "SELECT p.sip_profile_name, s.sip_profile_setting_value, s.sip_profile_setting_enabled::text"
                     " FROM v_sip_profile_settings s JOIN v_sip_profiles p USING (sip_profile_uuid)"
                     " WHERE s.sip_profile_setting_name = 'log-auth-failures' ORDER BY 1")
    assert {row[0] for row in rows} >= {"internal", "external"}
    assert all(row[1:] == ["true", "true"] for row in rows), rows
    # The rescan after the change regenerated FusionPBX's cache from the database.
    cached = host.file(CACHE).content_string
    internal = cached.split('<profile name="internal">', 1)[1].split("</profile>", 1)[0]
    assert '<param name="log-auth-failures" value="true"/>' in internal


def test_the_guesser_is_banned_at_maxretry_and_dropped(host, attacker, phone):
    target, attacker_ip = tb.address_of(host), tb.address_of(attacker)
    limit = int(host.check_output("fail2ban-client get %s maxretry" % JAIL))
    assert limit == 5
    assert fail2ban_banned_anywhere(host, attacker_ip) == []
    before = tb.jail_status(host, JAIL)["total_failed"]

    tb.register(attacker, target, "1001", "wrong-after", count=limit - 1, expect="403")
    tb.wait_for(lambda: tb.jail_status(host, JAIL)["total_failed"] >= before + limit - 1, what="failures counted")
    assert attacker_ip not in tb.jail_status(host, JAIL)["banned"]

    tb.register(attacker, target, "1001", "wrong-after", expect="403")
    tb.wait_for(lambda: attacker_ip in tb.jail_status(host, JAIL)["banned"], what="the guesser banned")
    assert tb.firewall_blocks(host, attacker_ip)
    seen = tb.delivered_packets(host, attacker_ip)
    tb.register(attacker, target, "1001", "wrong-after", expect="timeout")
    tb.register(attacker, target, "1001", "wrong-after", transport="tcp", expect="timeout")
    assert tb.delivered_packets(host, attacker_ip) == seen

    # FreeSWITCH's own lines, written because log-auth-failures is now on.
    failures = tb.log_lines_containing(host, "SIP auth failure (REGISTER) on sofia profile 'internal' for [1001@pbx.example.com] from ip %s"
                                       % attacker_ip)
    assert len(failures) >= limit, failures
    # The phone on the same host is untouched.
    tb.wait_registered(host, tb.PHONE_USER, tb.address_of(phone))

    tb.unban(host, JAIL, attacker_ip)
    tb.wait_for(lambda: not tb.firewall_blocks(host, attacker_ip), what="the guesser unbanned")


def test_the_phone_registered_before_the_change_stayed_registered(host, phone):
    """The converge rescanned the profile; the phone's registration from before it is still listed."""
    rows = [row for row in tb.registrations(host) if row["reg_user"] == tb.PHONE_USER and row["network_ip"] == tb.address_of(phone)]
    assert rows, tb.registrations(host)


def test_sofia_param_second_run_changes_nothing(host):
    """The module itself, run again on the host: nothing to change, the cache left as it is."""
    cache_before = host.file(CACHE).md5sum
    result = run_module(SOLO, "voipguard.pbx.sofia_param", {"params": {"log-auth-failures": "true"}})
    assert result["changed"] is False and result["backend"] == "fusionpbx", result
    assert result["cache_cleared"] == []
    assert host.file(CACHE).md5sum == cache_before
    # FreeSWITCH runs the internal profile throughout.
    assert tb.sofia_profile_running(host, "internal")


def test_fail2ban_runs_with_the_installer_jails_taken_over(host):
    jails = re.search(r"Jail list:\s*(.*)$", host.check_output("fail2ban-client status"), re.M).group(1)
    running = sorted(name.strip() for name in jails.split(","))
    # The fusionpbx preset took over the installer's jails under their names; [ssh] is gone, sshd runs.
    assert {"freeswitch", "fusionpbx", "fusionpbx-mac", "nginx-404", "nginx-dos", "sshd"} <= set(running), running
    assert "ssh" not in running
    sections = re.findall(r"^\[([^\]]+)\]", host.file("/etc/fail2ban/jail.local").content_string, re.M)
    assert "ssh" not in sections
    # Taken over: our filter, not the installer's, and the installer's fixed iptables action gone.
    assert host.check_output("fail2ban-client get freeswitch logpath").strip().endswith("/var/log/freeswitch/freeswitch.log")
    for jail in ("freeswitch", "fusionpbx"):
        section = host.check_output("sed -n %s /etc/fail2ban/jail.local" % q("/^\\[%s\\]/,/^\\[/p" % jail))
        assert re.search(r"^filter\s*=\s*voipguard-", section, re.M) and not re.search(r"^action\s*=", section, re.M), section
        # So the running jail bans with the fail2ban role's ban action, not the installer's iptables-allports.
        actions = host.check_output("fail2ban-client get %s actions" % jail)
        assert "iptables" not in actions and "voipguard-nftables" in actions, actions
