# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet playbooks run for real with ansible-playbook against the scenario's inventory.

One story, in order (the tests share the fleet's state and run in the order written):
the attacker is banned by one PBX, ban_sync blocks it on every PBX through the blocklist path (and
changes nothing the second time); compliance passes without writing anything; a whitelist edited by hand on one PBX is reported
by compliance (non-zero exit, JSON and JUnit reports) and fixed by whitelist, which also lifts the ban
of a whitelisted address without restarting fail2ban; unban lifts the attacker's bans everywhere and
reports where they were and why.
"""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import sip_testbed as tb  # noqa: E402
from fleet_playbooks import run_compliance, run_playbook  # noqa: E402

PBXS = ["vg-fleet-pbx1", "vg-fleet-pbx2", "vg-fleet-pbx3"]
FIRST, EDITED = "vg-fleet-pbx1", "vg-fleet-pbx2"
JAIL = "voipguard-freeswitch"
CUSTOMER = "198.51.100.20"           # inside the policy whitelist 198.51.100.0/24
STALE_ENTRY = "203.0.113.99"          # added by hand, not in the policy

# Not parametrized over hosts: each test covers the whole fleet.
testinfra_hosts = ["docker://vg-fleet-pbx1"]


@pytest.fixture(scope="module")
def attacker_ip(attacker):
    return tb.address_of(attacker)


def banned(pbx, jail=JAIL):
    return tb.jail_status(pbx, jail)["banned"]


def running_ignoreip(pbx, jail=JAIL):
    out = pbx.check_output("fail2ban-client get %s ignoreip" % jail)
    return [line.split("- ", 1)[1].strip() for line in out.splitlines() if "- " in line]


def config_fingerprint(pbx):
    """Every path under /etc/fail2ban with its mode, size, mtime and content hash."""
    return pbx.check_output(
        "find /etc/fail2ban -printf '%p %m %s %T@\\n' | sort; "
        "find /etc/fail2ban -type f -print0 | sort -z | xargs -0 sha256sum")


def fail2ban_pid(pbx):
    return pbx.check_output("systemctl show -p MainPID --value fail2ban").strip()


def failed_cases(junit):
    return sorted((case.get("classname"), case.get("name")) for case in junit.iter("testcase")
                  if case.find("failure") is not None)


def test_site_protects_every_pbx(fleet):
    for name, pbx in fleet.items():
        jails = pbx.check_output("fail2ban-client status")
        assert JAIL in jails and "voipguard-freeswitch-ip" in jails and "sshd" in jails, name
        assert int(pbx.check_output("fail2ban-client get %s maxretry" % JAIL)) == 4, name


def test_attacker_banned_on_one_pbx(fleet, attacker, attacker_ip):
    first = fleet[FIRST]
    tb.register(attacker, tb.address_of(first), tb.PHONE_USER, "wrong-password", count=4, expect="403")
    tb.wait_for(lambda: attacker_ip in banned(first), timeout=30, what="attacker banned on %s" % FIRST)
    for name in PBXS[1:]:
        assert attacker_ip not in banned(fleet[name]), name
        assert not tb.firewall_blocks(fleet[name], attacker_ip), name


def blocked_by(pbx, address):
    """Where voipguard-blocklist blocks `address` on `pbx`, with the seconds left: [(list, entry, seconds)]."""
    state = json.loads(pbx.check_output("/usr/local/sbin/voipguard-blocklist status --address %s" % address))
    now = int(pbx.check_output("date +%s"))
    return [(item["list"], item["entry"], None if item["expires"] is None else item["expires"] - now)
            for item in state["addresses"][address]["blocked_by"]]


def test_ban_sync_blocks_the_attacker_everywhere(fleet, attacker, attacker_ip):
    rc, output, recap = run_playbook("ban_sync")
    assert rc == 0, output
    assert set(recap) >= set(PBXS), output
    # Through the blocklist path: the list "fleet" on every PBX (the first one too) gains the attacker, for an hour.
    assert all(recap[name]["changed"] > 0 for name in PBXS), recap
    for name, pbx in fleet.items():
        [(list_name, entry, seconds)] = blocked_by(pbx, attacker_ip)
        # seconds left against `date +%s`, which drops the fraction of the second the expiry has
        assert (list_name, entry) == ("fleet", attacker_ip) and 3500 < seconds < 3601, (name, seconds)
        assert tb.firewall_blocks(pbx, attacker_ip), name
    for name in PBXS[1:]:
        assert attacker_ip not in banned(fleet[name]), name  # not one fail2ban ticket per address
    # packets from the attacker no longer reach a PBX that never saw it fail
    assert tb.register(attacker, tb.address_of(fleet["vg-fleet-pbx3"]), tb.PHONE_USER, "x", timeout=2) == ["timeout"]


def test_ban_sync_second_run_changes_nothing():
    rc, output, recap = run_playbook("ban_sync")
    assert rc == 0, output
    assert set(recap) >= set(PBXS) and all(recap[name]["changed"] == 0 for name in PBXS), recap


def test_compliance_passes_and_writes_nothing(fleet, tmp_path):
    before = dict((name, config_fingerprint(pbx)) for name, pbx in fleet.items())
    rc, output, recap, report, junit = run_compliance(tmp_path)
    assert rc == 0, output
    assert all(recap[name]["changed"] == 0 for name in PBXS), recap
    assert report["summary"]["drifted"] == [] and report["summary"]["compliant"] == 3, report["summary"]
    for name in PBXS:
        checks = dict((check["name"], check["status"]) for check in report["hosts"][name]["checks"])
        assert checks["fail2ban running"] == "passed" and checks["whitelist"] == "passed", checks
        assert checks["jail voipguard-freeswitch"] == "passed" and checks["jail voipguard-freeswitch-ip"] == "passed"
        assert checks["log-auth-failures"] == "passed" and checks["WARNING reaches the log"] == "passed", checks
        # the probe in each host's own format (FreeSWITCH 1.10.6 on pbx1, 1.10.12 and 1.11.2 with the idle-CPU field elsewhere) is matched
        assert checks["filter matches the log format"] == "passed", report["hosts"][name]
        # The policy is the roles' (their entry point policy), from this scenario's group_vars and their defaults.
        policy = report["hosts"][name]["policy"]
        assert [(jail["name"], jail["maxretry"], jail["bantime"]) for jail in policy["jails"]] == [
            ("voipguard-freeswitch", 4, "2h"), ("voipguard-freeswitch-ip", 1, "1d"), ("sshd", 5, "1h")], policy
        assert "198.51.100.0/24" in policy["whitelist"] and policy["blocklist"]["sources"] == ["remote", "local"], policy
    assert failed_cases(junit) == [] and junit.get("failures") == "0"
    assert "3 host(s): 3 compliant, 0 drifting" in output
    after = dict((name, config_fingerprint(pbx)) for name, pbx in fleet.items())
    assert after == before


def test_compliance_holds_the_hosts_to_the_roles_policy(fleet, tmp_path):
    # A policy the hosts do not run (freeswitch_maxretry 6; the role wrote 4): every host drifts in that jail alone.
    rc, output, recap, report, junit = run_compliance(tmp_path, "freeswitch_maxretry=6")
    assert rc != 0, output
    assert all(recap[name]["changed"] == 0 for name in PBXS), recap
    assert report["summary"]["drifted"] == PBXS, report["summary"]
    for name in PBXS:
        failed = [check for check in report["hosts"][name]["checks"] if check["status"] == "failed"]
        assert [check["name"] for check in failed] == ["jail voipguard-freeswitch"], failed
        assert "maxretry is 4, policy 6" in failed[0]["message"], failed
    assert failed_cases(junit) == [(name, "jail voipguard-freeswitch") for name in PBXS]


def test_whitelist_edited_by_hand_is_reported(fleet, tmp_path):
    edited = fleet[EDITED]
    # By hand: the customer's network dropped, an unknown address added, fail2ban reloaded; then the
    # customer's office is banned (as it would be after a few wrong passwords).
    edited.check_output(
        r"sed -i -e '/^\[DEFAULT\]/,/^\[/ s|198\.51\.100\.0/24|%s|' /etc/fail2ban/jail.local" % STALE_ENTRY)
    edited.check_output("fail2ban-client reload")
    tb.wait_for(lambda: STALE_ENTRY in running_ignoreip(edited), what="hand-edited whitelist applied")
    edited.check_output("fail2ban-client set %s banip %s" % (JAIL, CUSTOMER))
    before = dict((name, config_fingerprint(pbx)) for name, pbx in fleet.items())

    rc, output, recap, report, junit = run_compliance(tmp_path)
    assert rc != 0, output
    assert report["summary"]["drifted"] == [EDITED], report["summary"]
    whitelist = [check for check in report["hosts"][EDITED]["checks"] if check["name"] == "whitelist"][0]
    assert whitelist["status"] == "failed"
    assert "not in policy: %s" % STALE_ENTRY in whitelist["message"] and "missing: 198.51.100.0/24" in whitelist["message"]
    assert "jail.local" in whitelist["message"]
    # The blocklist's whitelist sets still hold the policy, not the hand-edited jail.local: that is drift too.
    blocklist = [check for check in report["hosts"][EDITED]["checks"] if check["name"] == "blocklist"][0]
    assert blocklist["status"] == "failed" and "set allow4 holds" in blocklist["message"], blocklist
    assert failed_cases(junit) == [(EDITED, "blocklist"), (EDITED, "whitelist")]
    suite = [suite for suite in junit.iter("testsuite") if suite.get("name") == EDITED][0]
    assert suite.get("failures") == "2"
    assert "DRIFT whitelist" in output
    assert dict((name, config_fingerprint(pbx)) for name, pbx in fleet.items()) == before


def unloaded_files(pbx):
    """Files under /etc/fail2ban newer than the fail2ban role's loaded stamp (hand edits, interrupted runs)."""
    return pbx.check_output("find /etc/fail2ban -newer /etc/fail2ban/.voipguard-pbx-loaded -type f -print").split()


def test_whitelist_playbook_fixes_it_without_restart(fleet, attacker_ip, tmp_path):
    edited = fleet[EDITED]
    pid = fail2ban_pid(edited)
    # Hand edits (this file's and test_blocklist.py's) are configuration fail2ban may not run: the playbook
    # reloads those hosts with their jails restarted, as the role would, and leaves the others alone.
    touched = sorted(name for name, pbx in fleet.items() if unloaded_files(pbx))
    assert EDITED in touched
    rc, output, recap = run_playbook("whitelist")
    assert rc == 0, output
    assert sorted(name for name in PBXS if recap[name]["changed"] > 0) == touched, recap
    assert output.count("Reload fail2ban, restarting its jails") == 1, output
    ignoreip = running_ignoreip(edited)
    assert "198.51.100.0/24" in ignoreip and STALE_ENTRY not in ignoreip
    assert STALE_ENTRY not in edited.file("/etc/fail2ban/jail.local").content_string
    assert CUSTOMER not in banned(edited)
    # reloaded, not restarted: same process; the attacker still blocked; the blocklist's whitelist the policy's again
    assert fail2ban_pid(edited) == pid
    assert [item[0] for item in blocked_by(edited, attacker_ip)] == ["fleet"]
    assert json.loads(edited.check_output("/usr/local/sbin/voipguard-blocklist status --kernel"))["drift"] == []
    # Through the fail2ban role's handlers: its loaded stamp is newer than jail.local, so the next site.yml run
    # finds nothing fail2ban has not loaded (it used to restart every jail after this playbook).
    for pbx in fleet.values():
        assert unloaded_files(pbx) == []

    rc, output, _recap, report, _junit = run_compliance(tmp_path)
    assert rc == 0 and report["summary"]["drifted"] == [], output


def test_unban_lifts_the_ban_everywhere_and_reports_where(fleet, attacker, attacker_ip, tmp_path):
    report_file = tmp_path / "unban.json"
    rc, output, recap = run_playbook("unban", "unban_addresses=%s" % attacker_ip, "unban_report_file=%s" % report_file)
    assert rc == 0, output
    report = json.loads(report_file.read_text())[attacker_ip]
    assert report["hosts"] == PBXS
    jails = dict((item["host"], item) for item in report["banned_on"] if item["jail"])
    lists = dict((item["host"], item) for item in report["banned_on"] if item["blocklist"])
    # banned by the jail where it failed, blocked through the fleet's list everywhere (ban_sync)
    assert list(jails) == [FIRST] and jails[FIRST]["jail"] == JAIL and jails[FIRST]["filter"] == "voipguard-freeswitch"
    assert jails[FIRST]["history"]["found"] >= 4 and "filter voipguard-freeswitch matched" in jails[FIRST]["origin"]
    assert sorted(lists) == PBXS, report["banned_on"]
    assert all(item["origin"] == "blocklist fleet (entry %s)" % attacker_ip for item in lists.values()), lists
    for name, pbx in fleet.items():
        assert attacker_ip not in banned(pbx), name
        assert blocked_by(pbx, attacker_ip) == [], name
        assert not tb.firewall_blocks(pbx, attacker_ip), name
    assert tb.register(attacker, tb.address_of(fleet["vg-fleet-pbx3"]), tb.PHONE_USER, "x", timeout=3) == ["403"]
