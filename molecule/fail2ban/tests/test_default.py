# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an operator relies on after the fail2ban role ran: fail2ban runs the sshd jail with the
configured policy, and a ban reaches the firewall, survives a reload and goes away on unban.
Shared by the fail2ban and public_images scenarios."""

from __future__ import absolute_import, division, print_function

import json
import time

import pytest

# A documentation address (RFC 5737): banning it cuts off nobody.
TEST_IP = "203.0.113.77"
# fail2ban prints the loopback network the role adds as 127.0.0.0/8.
LOOPBACK = {"127.0.0.0/8", "::1"}


def wait_for(condition, timeout=30.0, interval=0.5):
    """Poll condition() until it returns a true value or the deadline passes; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def client(host, *args):
    return host.run("fail2ban-client " + " ".join(args))


def ignored_addresses(host):
    out = client(host, "get", "sshd", "ignoreip")
    assert out.rc == 0, out.stderr
    # "These IP addresses/networks are ignored:\n|- 127.0.0.0/8\n`- ::1"
    return {line.split("- ", 1)[1].strip() for line in out.stdout.splitlines() if line.startswith(("|-", "`-"))}


def banned_in_jail(host):
    out = client(host, "status", "sshd")
    assert out.rc == 0, out.stderr
    for line in out.stdout.splitlines():
        if "Banned IP list:" in line:
            return line.split(":", 1)[1].split()
    return []


def in_firewall(host):
    return TEST_IP in host.check_output("nft list ruleset")


@pytest.fixture
def unban_afterwards(host):
    yield
    client(host, "set", "sshd", "unbanip", TEST_IP)


def test_fail2ban_is_running_and_enabled(host):
    service = host.service("fail2ban")
    assert service.is_running
    assert service.is_enabled
    assert client(host, "ping").rc == 0


def test_sshd_jail_is_active(host):
    out = client(host, "status")
    assert out.rc == 0, out.stderr
    jail_list = [line for line in out.stdout.splitlines() if "Jail list:" in line]
    assert jail_list, out.stdout
    assert "sshd" in [name.strip() for name in jail_list[0].split(":", 1)[1].split(",")]


def test_sshd_jail_reads_the_journal_and_bans_with_nftables(host):
    journalmatch = client(host, "get", "sshd", "journalmatch").stdout
    assert "_SYSTEMD_UNIT=ssh.service" in journalmatch
    assert "_SYSTEMD_UNIT=sshd.service" in journalmatch
    # A jail without actions would accept bans and block nothing.
    actions = client(host, "get", "sshd", "actions").stdout
    assert "voipguard-nftables" in actions, actions


def test_ignoreip_is_the_configured_list_plus_loopback(host):
    configured = set(host.ansible.get_variables().get("fail2ban_ignoreip", []))
    assert ignored_addresses(host) == configured | LOOPBACK


def test_policy_values_reach_fail2ban(host):
    expected = host.ansible.get_variables()
    if expected.get("fail2ban_maxretry") is not None:
        assert client(host, "get", "sshd", "maxretry").stdout.strip() == str(expected["fail2ban_maxretry"])
    if expected.get("fail2ban_bantime") == "2h":
        assert client(host, "get", "sshd", "bantime").stdout.strip() == "7200"
    if expected.get("fail2ban_dbpurgeage") == "2d":
        assert "172800" in client(host, "get", "dbpurgeage").stdout


def test_manual_ban_reaches_the_firewall_and_unban_removes_it(host, unban_afterwards):
    assert client(host, "set", "sshd", "banip", TEST_IP).rc == 0
    assert TEST_IP in banned_in_jail(host)
    assert wait_for(lambda: in_firewall(host)), host.check_output("nft list ruleset")
    # Banned sources are dropped silently (fail2ban_nftables_blocktype), not rejected.
    rules = [line for line in host.check_output("nft list ruleset").splitlines() if "@addr-set-sshd" in line]
    assert rules and all(line.rstrip().endswith("drop") for line in rules), rules

    assert client(host, "set", "sshd", "unbanip", TEST_IP).rc == 0
    assert wait_for(lambda: not in_firewall(host)), host.check_output("nft list ruleset")
    assert TEST_IP not in banned_in_jail(host)


def test_reload_keeps_the_ban(host, unban_afterwards):
    assert client(host, "set", "sshd", "banip", TEST_IP).rc == 0
    assert wait_for(lambda: in_firewall(host))

    assert client(host, "reload").rc == 0
    assert wait_for(lambda: client(host, "ping").rc == 0)
    assert TEST_IP in banned_in_jail(host)
    assert in_firewall(host), host.check_output("nft list ruleset")


BLOCKLIST = "/usr/local/sbin/voipguard-blocklist"


def blocklist_state(host):
    return json.loads(host.check_output("%s status --kernel" % BLOCKLIST))


def test_blocklist_loads_addresses_networks_and_timeouts_on_this_release(host):
    """voipguard-blocklist on fail2ban's own nftables of Debian 11 (0.9.8), 12 (1.0.6) and 13 (1.1.x)."""
    assert host.service("voipguard-blocklist.service").is_enabled
    assert host.service("voipguard-blocklist-refresh.timer").is_running
    request = json.dumps({"entries": [{"entry": "198.18.7.7", "timeout": 600}, {"entry": "198.18.8.0/24"},
                                      {"entry": "2001:db8:77::/48"}, {"entry": "192.0.2.50"}]})
    refused = host.run("echo '%s' | %s update fleet --mode add" % (request, BLOCKLIST))
    assert refused.rc == 1 and "refused: 192.0.2.50" in refused.stdout  # 192.0.2.0/24 is whitelisted here
    added = host.run("echo '%s' | %s update fleet --mode add --on-whitelisted skip" % (request, BLOCKLIST))
    try:
        assert added.rc == 0, added.stdout
        assert json.loads(added.stdout)["skipped"] == ["192.0.2.50"]
        # pbx.example.com (whitelisted here) never resolves: a warning, and nothing it would cover is refused
        assert json.loads(added.stdout)["warnings"] == [
            "whitelisted host names that never resolved whitelist nothing: pbx.example.com"], added.stdout
        state = blocklist_state(host)
        assert state["drift"] == [], state
        sets = state["kernel"]["sets"]
        assert (sets["fleet-a4"], sets["fleet-n4"], sets["fleet-n6"], sets["fleet-a6"]) == (1, 1, 1, 0), sets
        listing = json.loads(host.check_output("nft -j list set inet voipguard-blocklist fleet-a4"))
        element = [item["set"]["elem"][0]["elem"] for item in listing["nftables"] if "set" in item][0]
        assert element["val"] == "198.18.7.7" and 500 < element["timeout"] <= 600, element
        assert "ip saddr @allow4 meta mark set meta mark | 0x00100000 accept" in \
            host.check_output("nft list chain inet voipguard-blocklist input")
    finally:
        host.run("echo '%s' | %s update fleet --mode remove" % (request, BLOCKLIST))
    assert "fleet-a4" not in blocklist_state(host)["kernel"]["sets"]
