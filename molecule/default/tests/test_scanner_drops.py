# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scanner drops (freeswitch_scanner_drops_enabled): REGISTERs with a well-known scanner's User-Agent
are dropped by the PBX's firewall, whatever their case; a phone's REGISTER still gets 200.

Every test runs on the three PBX containers (real FreeSWITCH) of the default scenario.
"""

import os
import re
import shlex
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import sip_testbed as tb  # noqa: E402

testinfra_hosts = ["docker://vg-pbx", "docker://vg-pbx-legacy", "docker://vg-pbx-fhs"]

SIP_JAILS = ("voipguard-freeswitch", "voipguard-freeswitch-ip")
CHAIN = "VOIPGUARD-SCANNERS"
UNIT = "voipguard-scanner-drops.service"
# User-Agents as scanners send them: the role's signatures in other cases and with versions around them.
SCANNER_AGENTS = ["friendly-scanner", "Friendly-Scanner", "sipcli/v1.8", "VaxSIPUserAgent/3.1", "PPLSIP"]


@pytest.fixture(scope="module")
def clients():
    return {name: tb.container("vg-" + name) for name in ("attacker", "phone")}


@pytest.fixture
def pbx(host):
    """The PBX, its SIP jails without bans (a ban would also silence the attacker)."""
    for jail in SIP_JAILS:
        tb.restart_jail(host, jail)
    return host


def register_as(client, target, user_agent, transport="udp", password=tb.PHONE_PASSWORD):
    """Final status of one REGISTER of the phone's account sent with this User-Agent (Expires 0: answered, but
    leaves no registration behind, which would make the PBX trust the client's address)."""
    result = client.run("sip-register --target %s --transport %s --user %s --password %s --domain %s --user-agent %s --timeout 2"
                        " --expires 0" % (target, transport, tb.PHONE_USER, password, tb.SIP_DOMAIN, shlex.quote(user_agent)))
    statuses = re.findall(r"^attempt=\d+ .* result=(\S+)", result.stdout, re.M)
    assert len(statuses) == 1, "sip-register printed %r (stderr %r)" % (result.stdout, result.stderr)
    return statuses[0]


def chain_rules(pbx, tool):
    return [line for line in pbx.check_output("%s -w -S %s" % (tool, CHAIN)).splitlines() if line.startswith("-A ")]


def test_scanner_user_agents_dropped(pbx, clients):
    attacker, target = clients["attacker"], tb.address_of(pbx)
    attacker_ip = tb.address_of(attacker)
    # The drops match the REGISTER's payload: UDP requests are dropped whole; over TCP the handshake
    # gets through, the REGISTER does not. So: no UDP packet gets past the firewall, and FreeSWITCH
    # (log-auth-failures on: every REGISTER it sees logs a challenge) sees no request at all.
    seen = tb.delivered_packets(pbx, attacker_ip, "udp")
    logged = len(tb.log_lines_containing(pbx, "from ip %s" % attacker_ip))
    for agent in SCANNER_AGENTS:
        # Right credentials: only the User-Agent can make these fail.
        assert register_as(attacker, target, agent) == "timeout", agent
    assert register_as(attacker, target, "friendly-scanner", transport="tcp") == "timeout"
    assert tb.delivered_packets(pbx, attacker_ip, "udp") == seen
    # The same client with an ordinary User-Agent is answered: the drops are about the signature, not the source.
    assert register_as(attacker, target, "Yealink SIP-T46S 66.86.0.15") == "200"
    assert tb.delivered_packets(pbx, attacker_ip, "udp") > seen
    # FreeSWITCH writes its log from a thread of its own: once the line of the accepted REGISTER's
    # challenge is there, every line of the dropped ones would be too. It is the only new one.
    tb.wait_for(lambda: len(tb.log_lines_containing(pbx, "from ip %s" % attacker_ip)) > logged,
                what="FreeSWITCH to log the accepted REGISTER's challenge")
    new_lines = tb.log_lines_containing(pbx, "from ip %s" % attacker_ip)[logged:]
    assert len(new_lines) == 1 and "SIP auth challenge (REGISTER)" in new_lines[0], new_lines


def test_phone_still_registers(pbx, clients):
    target = tb.address_of(pbx)
    tb.register(clients["phone"], target, tb.PHONE_USER, tb.PHONE_PASSWORD, count=2, expect="200")
    assert register_as(clients["phone"], target, "Grandstream GXP2170 1.0.11.3", transport="tcp") == "200"


def test_rules_loaded_at_boot_and_reloaded_without_duplicates(pbx):
    assert pbx.service("voipguard-scanner-drops").is_enabled
    expected = 4 * 2  # four default signatures, UDP and TCP
    for tool in ("iptables", "ip6tables"):
        assert len(chain_rules(pbx, tool)) == expected
        assert pbx.run("%s -w -C INPUT -j %s" % (tool, CHAIN)).rc == 0
    pbx.check_output("systemctl restart %s" % UNIT)
    for tool in ("iptables", "ip6tables"):
        assert len(chain_rules(pbx, tool)) == expected
        jumps = [line for line in pbx.check_output("%s -w -S INPUT" % tool).splitlines() if line.endswith("-j %s" % CHAIN)]
        assert len(jumps) == 1
    assert pbx.run("/usr/local/sbin/voipguard-scanner-drops check").rc == 0


def test_check_notices_missing_rules(pbx, clients):
    """What each run of the role relies on to reload rules a firewall reload flushed."""
    pbx.check_output("iptables -w -D INPUT -j %s" % CHAIN)
    try:
        assert pbx.run("/usr/local/sbin/voipguard-scanner-drops check").rc == 1
        assert register_as(clients["attacker"], tb.address_of(pbx), "friendly-scanner") == "200"
    finally:
        pbx.check_output("systemctl restart %s" % UNIT)
    assert pbx.run("/usr/local/sbin/voipguard-scanner-drops check").rc == 0
    assert register_as(clients["attacker"], tb.address_of(pbx), "friendly-scanner") == "timeout"
