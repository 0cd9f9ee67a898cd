# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ban latency end to end through SIP, and what an attacker at 100 REGISTERs/s gets through.

The attacker container floods the PBX with SIPp (register.xml of the test bed, wrong password, 100
new REGISTER transactions per second: REGISTER, 401, REGISTER with credentials, 403). Every request
that reaches FreeSWITCH (real, built from pinned sources; log-auth-failures on) leaves one line in
freeswitch.log with a microsecond timestamp (the challenge, then the failure), all on the PBX's
clock, so:

- crossing: the line that makes the jail's filter reach maxretry (the maxretry-th line from the
  attacker that the filter counts: our filter counts failures, the stock one also challenges);
- latency: time of the attacker's last line minus time of the crossing line, i.e. how long its
  packets still reached FreeSWITCH (the flood goes on at 100/s until we stop it, so the next
  packet after the last line was dropped by the firewall);
- attempts after maxretry: failures (403 answers, i.e. password guesses evaluated) after the
  crossing line.

A run counts as banned only when fail2ban lists the attacker and an nftables counter of the packets
from the attacker that get past the firewall (testbed.delivered_packets) stops growing while SIPp
still sends.
"""

import datetime
import ipaddress
import itertools
import re
import subprocess
import time

import stats
import testbed

LOG = testbed.FREESWITCH_LOG
FAIL2BAN_LOG = "/var/log/fail2ban.log"
F2B_LINE_RE = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*\[(?P<jail>[^\]]+)\] (?P<event>Found|Ban) (?P<ip>\S+)")
RATE = 100
FLOOD_ADDRESS_BASE = 100  # floods come from 172.28.60.100 and up, one address per flood

LINE_RE = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) (?:\d{1,3}\.\d\d% )?\[(?P<level>[A-Z]+)\] \S+ (?P<msg>.*)$")
FAILURE_RE = re.compile(r"^SIP auth failure \((?:REGISTER|INVITE)\) on sofia profile ")
# What each setup's filter counts (at WARNING): ours = voipguard-freeswitch; stock = Debian's
# freeswitch filter in its default mode "extra", which also counts every challenge.
COUNTED_RES = {
    "ours": re.compile(r"^(?:SIP auth failure \((?:REGISTER|INVITE)\) on sofia profile |Can't find user |IP \S+ Rejected by register acl )"),
    "stock": re.compile(r"^(?:SIP auth (?:failure|challenge) \((?:REGISTER|INVITE)\) on sofia profile |Can't find user )"),
}


def line_source(message):
    match = re.search(r" from (?:ip )?(\S+)$", message) or re.match(r"^IP (\S+) Rejected", message)
    return match.group(1) if match else None


def analyse(log_text, attacker_ip, setup, maxretry):
    """Crossing, latency and attempts after maxretry from FreeSWITCH's log lines of one flood."""
    events = []
    for line in log_text.splitlines():
        match = LINE_RE.match(line)
        if not match or match.group("level") != "WARNING" or line_source(match.group("msg")) != attacker_ip:
            continue
        when = datetime.datetime.strptime(match.group("ts"), "%Y-%m-%d %H:%M:%S.%f")
        events.append((when, match.group("msg")))
    counted = [i for i, (_when, msg) in enumerate(events) if COUNTED_RES[setup].match(msg)]
    failures = [i for i, (_when, msg) in enumerate(events) if FAILURE_RE.match(msg)]
    result = dict(lines=len(events), failures=len(failures), counted=len(counted), crossing_index=None,
                  latency_s=None, attempts_after_maxretry=None)
    if len(counted) < maxretry:
        return result
    crossing = counted[maxretry - 1]
    result["crossing_index"] = crossing
    result["latency_s"] = (events[-1][0] - events[crossing][0]).total_seconds()
    result["attempts_after_maxretry"] = len([i for i in failures if i > crossing])
    return result


def breakdown(fail2ban_log_text, freeswitch_result, log_text, jail, attacker_ip, maxretry):
    """Where the latency goes, from fail2ban's own log (millisecond timestamps, same clock):
    detect = crossing line written -> fail2ban logs the maxretry-th "Found";
    queue  = that "Found" -> "Ban" (fail2ban's actions thread polls for new tickets);
    action = "Ban" -> the attacker's last line (the ban action runs, packets in flight drain)."""
    found, ban = [], None
    for line in fail2ban_log_text.splitlines():
        match = F2B_LINE_RE.match(line)
        if not match or match.group("jail") != jail or match.group("ip") != attacker_ip:
            continue
        when = datetime.datetime.strptime(match.group("ts"), "%Y-%m-%d %H:%M:%S,%f")
        if match.group("event") == "Found":
            found.append(when)
        elif ban is None:
            ban = when
    crossing_index = freeswitch_result["crossing_index"]
    if crossing_index is None or len(found) < maxretry or ban is None:
        return None
    times = [datetime.datetime.strptime(LINE_RE.match(line).group("ts"), "%Y-%m-%d %H:%M:%S.%f")
             for line in log_text.splitlines()
             if LINE_RE.match(line) and LINE_RE.match(line).group("level") == "WARNING"
             and line_source(LINE_RE.match(line).group("msg")) == attacker_ip]
    crossing, last = times[crossing_index], times[-1]
    return dict(detect_s=round((found[maxretry - 1] - crossing).total_seconds(), 3),
                queue_s=round((ban - found[maxretry - 1]).total_seconds(), 3),
                action_s=round((last - ban).total_seconds(), 3))


def flood_command(pbx_address, attacker_ip, max_calls, seconds):
    """SIPp in the attacker container, its pid in /tmp/flood.pid so it can be stopped by id."""
    sipp = ["sipp", "%s:5060" % pbx_address, "-sf", "/root/register.xml", "-r", str(RATE), "-rp", "1000",
            "-m", str(max_calls), "-l", "400", "-t", "u1", "-i", attacker_ip, "-bind_local",
            "-key", "user", "1000", "-key", "callee", "1001", "-key", "domain", "pbx.example.com",
            "-key", "expires", "3600", "-key", "user_agent", "voipguard-bench",
            "-s", "1000", "-au", "1000", "-ap", "wrong-password",
            "-max_retrans", "2", "-recv_timeout", "2000ms", "-timeout", "%ds" % seconds, "-nd", "-nostdin"]
    return "echo $$ > /tmp/flood.pid; exec " + " ".join(sipp)


def stop_flood(attacker, process):
    attacker.sh('kill -INT "$(cat /tmp/flood.pid)" 2>/dev/null || true', check=False)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        attacker.sh('kill -KILL "$(cat /tmp/flood.pid)" 2>/dev/null || true', check=False)
        process.wait(timeout=5)


def banned(pbx, jail, address):
    return address in pbx.sh("fail2ban-client get %s banip" % jail, check=False).stdout.split()


def add_source_address(attacker, number):
    """A fresh source address on the attacker for each flood: no earlier ban or failure applies to it."""
    address = "172.28.60.%d" % (FLOOD_ADDRESS_BASE + number)
    prefix = ipaddress.ip_network(testbed.SUBNET).prefixlen
    attacker.sh("ip addr show dev eth0 | grep -q ' %s/' || ip addr add %s/%d dev eth0" % (address, address, prefix))
    return address


def flood_once(pbx, attacker, setup, jail, number, ban_expected=True, flood_seconds=10):
    """One flood from a fresh source address; returns the analysis plus whether the firewall stopped the packets."""
    source = add_source_address(attacker, number)
    offset = int(pbx.out("stat -c %%s %s" % LOG).strip())
    f2b_offset = int(pbx.out("stat -c %%s %s" % FAIL2BAN_LOG).strip())
    maxretry = int(pbx.out("fail2ban-client get %s maxretry" % jail).strip())
    testbed.delivered_packets(pbx, source)
    max_calls = RATE * flood_seconds
    process = subprocess.Popen(["docker", "exec", attacker.name, "sh", "-c",
                                flood_command(pbx.address, source, max_calls, flood_seconds + 10)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    got_banned = stopped = False
    try:
        while time.monotonic() - started < flood_seconds and process.poll() is None:
            if banned(pbx, jail, source):
                got_banned = True
                break
            time.sleep(0.25)
        if got_banned:
            # Packets have stopped when the counter of what gets past the firewall holds still for a second of flood.
            previous, still_since = testbed.delivered_packets(pbx, source), time.monotonic()
            while time.monotonic() - started < flood_seconds + 10:
                time.sleep(0.25)
                current = testbed.delivered_packets(pbx, source)
                if current != previous:
                    previous, still_since = current, time.monotonic()
                elif time.monotonic() - still_since >= 1.0:
                    stopped = True
                    break
        elif not ban_expected:
            process.wait(timeout=flood_seconds + 30)
            got_banned = banned(pbx, jail, source)
    finally:
        stop_flood(attacker, process)
    log_text = pbx.out("tail -c +%d %s" % (offset + 1, LOG))
    result = analyse(log_text, source, setup, maxretry)
    result["breakdown"] = breakdown(pbx.out("tail -c +%d %s" % (f2b_offset + 1, FAIL2BAN_LOG)), result, log_text,
                                    jail, source, maxretry)
    result.update(source=source, banned=got_banned, packets_stopped=stopped, maxretry=maxretry,
                  flood_seconds=round(time.monotonic() - started, 2))
    return result


def summarise(runs):
    latencies = [r["latency_s"] if r["banned"] and r["packets_stopped"] else None for r in runs]
    attempts = [r["attempts_after_maxretry"] for r in runs if r["banned"] and r["packets_stopped"]]
    return dict(
        runs=runs,
        banned_runs=len([r for r in runs if r["banned"] and r["packets_stopped"]]),
        latency_s=stats.summary(latencies),
        attempts_after_maxretry=stats.summary(attempts),
        # Password guesses answered during the whole flood (all of them when nothing is banned).
        failures_answered=stats.summary([r["failures"] for r in runs]),
        breakdown_median_s=dict((part, stats.median([r["breakdown"][part] for r in runs if r.get("breakdown")]))
                                for part in ("detect_s", "queue_s", "action_s")),
    )


def floods(pbx, attacker, setup, jail, runs, counter, **kwargs):
    """A warm-up flood (its ban also runs the action's start: creating the table or chains), then `runs` measured ones."""
    flood_once(pbx, attacker, setup, jail, next(counter), **kwargs)
    return [flood_once(pbx, attacker, setup, jail, next(counter), **kwargs) for _run_number in range(runs)]


def run(ours, stock, stock_current, attacker, runs):
    """Ours (FreeSWITCH 1.10.12) against the stock setup on FreeSWITCH 1.10.6 (the newest format its filter reads)."""
    counter = itertools.count(1)
    results = {}
    testbed.log("ban latency: ours, %d floods at %d REGISTER/s (FreeSWITCH 1.10.12)" % (runs, RATE))
    results["ours"] = summarise(floods(ours, attacker, "ours", "voipguard-freeswitch", runs, counter))
    testbed.log("ban latency: stock Debian 12, %d floods (FreeSWITCH 1.10.6, the stock filter's best case)" % runs)
    results["stock_1.10.6"] = summarise(floods(stock, attacker, "stock", "freeswitch", runs, counter))
    testbed.log("ban latency: stock Debian 12 against FreeSWITCH 1.10.12 (one 5 s flood)")
    results["stock_1.10.12"] = summarise([flood_once(stock_current, attacker, "stock", "freeswitch", next(counter),
                                                     ban_expected=False, flood_seconds=5)])
    results["ratio_latency_median_ours_vs_stock"] = stats.ratio(results["ours"]["latency_s"]["median"],
                                                                results["stock_1.10.6"]["latency_s"]["median"])
    results["ratio_attempts_median_ours_vs_stock"] = stats.ratio(results["ours"]["attempts_after_maxretry"]["median"],
                                                                 results["stock_1.10.6"]["attempts_after_maxretry"]["median"])
    return results
