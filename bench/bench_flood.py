# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flood from 200 sources: 1,000 password guesses per second in total, and a phone registering meanwhile.

The attacker container runs bench/sip_flood.py: one UDP socket bound to each of 200 addresses of its
own on the bench network, 1,000 new REGISTER transactions per second in total (5 per second from each
source, evenly spread), each a digest authentication with a wrong password (REGISTER, 401, REGISTER
with a wrong response, 403), open loop for a fixed time. From one more address a phone registers with
the right password of directory user 1000 every 2 s from 1.5 s on (RFC 3261 retransmissions).

Per source:
- answered attempts: the 403s the source received, i.e. the password guesses the PBX evaluated and
  answered. The target: at most maxretry + 2.
- banned: fail2ban lists the source at the end of the flood AND the nftables counter of its packets
  that get past the firewall (the chain of molecule/resources/tests/nft_counter.py, one table and one
  counter map of our own here) did not move over the last >= 2 s of the flood while the tool still
  sent 5 REGISTERs a second from it.

Per flood: the phone's registrations (200 OK or not), the CPU seconds (utime + stime from
/proc/<pid>/stat, before and after; children reaped by fail2ban separately) of fail2ban-server and of
freeswitch over the flood, fail2ban's RSS, and what became of the requests: sent by the tool,
delivered past the firewall, logged by FreeSWITCH (a challenge or failure line each), answered.
FreeSWITCH 1.10.12 drops every request for a second at a time while the last second's rate was above
the Sofia profile's max-recv-requests-per-second (1,000 by default; sofia-sip's nta.c); 1.10.6 has no
such limit.

Runs are independent: before each, every ban is lifted (fail2ban-client unban --all) and fail2ban has
gone idle; each run uses 201 addresses no earlier run on that PBX used.
"""

import datetime
import ipaddress
import json
import os
import re
import subprocess
import time

import bench_latency
import stats
import testbed

RATE = 1000  # new REGISTER transactions per second, in total
SOURCES = 200
PHONE_INTERVAL = 2.0
# The phone's first registration comes 1.5 s into the flood: in the second after the first one, in
# which FreeSWITCH 1.10.12 drops every request when the first second went above its limit.
PHONE_START = 1.5
ATTACK_USER, ATTACK_PASSWORD = "1001", "wrong-password"
PHONE_USER, PHONE_PASSWORD = "1000", "secret-1000"  # voipguard/freeswitch images: users 1000-1003, passwords secret-<user>
DOMAIN = "pbx.example.com"
SETUPS = (("ours", "voipguard-freeswitch"), ("stock", "freeswitch"))
TABLE = "vg_bench_flood"
TOOL = os.path.join(testbed.BENCH_DIR, "sip_flood.py")
STOPPED_WINDOW = 2.0  # seconds a banned source's counter must hold still while the tool sends
F2B_LOG = bench_latency.FAIL2BAN_LOG
F2B_BAN_RE = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*\[(?P<jail>[^\]]+)\] Ban (?P<ip>\S+)")
CHALLENGE_RE = re.compile(r"^SIP auth challenge \((?:REGISTER|INVITE)\) on sofia profile ")

# Runs in a PBX: CPU seconds and RSS of fail2ban-server and freeswitch, the UDP counters of its network
# namespace, the sizes of the two logs. One JSON line.
SNAPSHOT = r'''
import json, os, subprocess, sys
tick = os.sysconf("SC_CLK_TCK")
out = {}
for service in ("fail2ban", "freeswitch"):
    pid = subprocess.run(["systemctl", "show", "-p", "MainPID", "--value", service], stdout=subprocess.PIPE,
                         universal_newlines=True).stdout.strip()
    fields = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    status = dict(line.split(":", 1) for line in open("/proc/%s/status" % pid) if ":" in line)
    out[service] = dict(pid=int(pid), cpu_s=(int(fields[11]) + int(fields[12])) / tick,
                        children_cpu_s=(int(fields[13]) + int(fields[14])) / tick,
                        rss_kb=int(status["VmRSS"].split()[0]), hwm_kb=int(status["VmHWM"].split()[0]))
rows = [line.split() for line in open("/proc/net/snmp") if line.startswith("Udp:")]
out["udp"] = dict(zip(rows[0][1:], (int(v) for v in rows[1][1:])))
out["sizes"] = dict((path, os.path.getsize(path)) for path in sys.argv[1:])
out["utc_offset"] = subprocess.run(["date", "+%z"], stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
print(json.dumps(out))
'''


def address_pool():
    """The flood's addresses: the bench network beyond the /24 of the fixed addresses (172.28.61.1 and up),
    without .0 and .255."""
    network, fixed = ipaddress.ip_network(testbed.SUBNET), ipaddress.ip_network(testbed.FIXED_SUBNET)
    return [str(a) for a in network.hosts() if a not in fixed and str(a).rsplit(".", 1)[1] not in ("0", "255")]


def add_addresses(attacker, addresses):
    existing = set(re.findall(r"inet (\S+)/", attacker.out("ip -o -4 addr show dev eth0")))
    missing = [a for a in addresses if a not in existing]
    if missing:
        prefix = ipaddress.ip_network(testbed.SUBNET).prefixlen
        attacker.write("/root/flood-addresses.batch", "".join("addr add %s/%d dev eth0\n" % (a, prefix) for a in missing))
        attacker.sh("ip -batch /root/flood-addresses.batch")


def snapshot(pbx):
    return json.loads(pbx.out("python3 /root/flood_snapshot.py %s %s" % (testbed.FREESWITCH_LOG, F2B_LOG)))


def counter_name(address):
    return "c_" + address.replace(".", "_")


def setup_counters(pbx, addresses):
    """A table of our own on the input hook at priority 100 (after every filter chain): one named counter
    per address, chosen through a map (one rule whatever the number of addresses)."""
    lines = ["add table inet %s" % TABLE,
             "add chain inet %s delivered { type filter hook input priority 100; policy accept; }" % TABLE,
             "add map inet %s sources { type ipv4_addr : counter; }" % TABLE]
    lines += ["add counter inet %s %s" % (TABLE, counter_name(a)) for a in addresses]
    lines.append("add element inet %s sources { %s }" % (TABLE, ", ".join('%s : "%s"' % (a, counter_name(a)) for a in addresses)))
    lines.append("add rule inet %s delivered meta l4proto { tcp, udp } counter name ip saddr map @sources" % TABLE)
    pbx.sh("nft delete table inet %s 2>/dev/null || true" % TABLE, check=False)
    pbx.write("/root/flood-counters.nft", "\n".join(lines) + "\n")
    pbx.sh("nft -f /root/flood-counters.nft")


def read_counters(pbx):
    data = json.loads(pbx.out("nft -j list counters table inet %s" % TABLE))
    return dict((item["counter"]["name"], item["counter"]["packets"]) for item in data["nftables"] if "counter" in item)


def banned_list(pbx, jail):
    result = pbx.sh("fail2ban-client get %s banip" % jail, check=False, timeout=60)
    return set(result.stdout.split()) if result.returncode == 0 else None


def unban_all_and_settle(pbx, jail, timeout=180):
    """Lift every ban, then wait until fail2ban lists none and its CPU time holds still (< 0.05 s in 1 s)."""
    pbx.sh("fail2ban-client unban --all >/dev/null", timeout=timeout)
    testbed.wait_for(lambda: banned_list(pbx, jail) == set(), timeout, interval=0.5, what="no bans in %s" % jail)
    state = dict(last=snapshot(pbx)["fail2ban"]["cpu_s"], since=time.monotonic())

    def idle():
        now_cpu = snapshot(pbx)["fail2ban"]["cpu_s"]
        if now_cpu - state["last"] > 0.05:
            state.update(last=now_cpu, since=time.monotonic())
            return False
        return time.monotonic() - state["since"] >= 1.0
    testbed.wait_for(idle, timeout, interval=0.5, what="fail2ban idle in %s" % pbx.name)


def freeswitch_lines(log_text, addresses):
    """Per address: challenge lines and failure lines (WARNING) FreeSWITCH logged."""
    wanted = set(addresses)
    counts = dict((a, dict(challenges=0, failures=0, other=0)) for a in addresses)
    for line in log_text.splitlines():
        match = bench_latency.LINE_RE.match(line)
        if not match or match.group("level") != "WARNING":
            continue
        source = bench_latency.line_source(match.group("msg"))
        if source not in wanted:
            continue
        message = match.group("msg")
        key = ("challenges" if CHALLENGE_RE.match(message) else
               "failures" if bench_latency.FAILURE_RE.match(message) else "other")
        counts[source][key] += 1
    return counts


def ban_times(f2b_text, jail, t0_epoch, utc_offset):
    """Seconds from the flood's start to fail2ban's first `Ban` line of each address (its log is in local time)."""
    sign = -1 if utc_offset.startswith("-") else 1
    offset = datetime.timedelta(hours=int(utc_offset[1:3]), minutes=int(utc_offset[3:5])) * sign
    times = {}
    for line in f2b_text.splitlines():
        match = F2B_BAN_RE.match(line)
        if not match or match.group("jail") != jail or match.group("ip") in times:
            continue
        local = datetime.datetime.strptime(match.group("ts"), "%Y-%m-%d %H:%M:%S,%f")
        epoch = (local - offset).replace(tzinfo=datetime.timezone.utc).timestamp()
        times[match.group("ip")] = round(epoch - t0_epoch, 3)
    return times


def flood_once(pbx, attacker, setup, jail, addresses, seconds):
    """One flood from addresses[:-1], the phone on addresses[-1]."""
    sources, phone = addresses[:-1], addresses[-1]
    maxretry = int(pbx.out("fail2ban-client get %s maxretry" % jail).strip())
    unban_all_and_settle(pbx, jail)
    setup_counters(pbx, addresses)
    attacker.write("/root/flood-sources.txt", "\n".join(sources) + "\n")
    before = snapshot(pbx)
    argv = ["docker", "exec", attacker.name, "python3", "/root/sip_flood.py", "--target", pbx.address,
            "--sources-file", "/root/flood-sources.txt", "--rate", str(RATE), "--duration", str(seconds),
            "--domain", DOMAIN, "--user", ATTACK_USER, "--password", ATTACK_PASSWORD,
            "--phone-address", phone, "--phone-user", PHONE_USER, "--phone-password", PHONE_PASSWORD,
            "--phone-interval", str(PHONE_INTERVAL), "--phone-start", str(PHONE_START)]
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples = []
    try:
        # While the tool sends: once a second, what fail2ban lists and what got past the firewall.
        while process.poll() is None and time.monotonic() - started < seconds - 0.3:
            before_read = time.monotonic()
            counters = read_counters(pbx)
            at = (before_read + time.monotonic()) / 2 - started
            samples.append(dict(t=round(at, 3), counters=counters, banned=banned_list(pbx, jail)))
            time.sleep(max(0.0, len(samples) - (time.monotonic() - started)))  # pacing: one sample a second
        out, err = process.communicate(timeout=seconds + 120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    after = snapshot(pbx)
    if process.returncode != 0:
        raise testbed.BenchError("sip_flood.py failed (rc=%d): %s" % (process.returncode, err[-2000:]))
    tool = json.loads(out)
    log_text = pbx.out("tail -c +%d %s" % (before["sizes"][testbed.FREESWITCH_LOG] + 1, testbed.FREESWITCH_LOG))
    f2b_text = pbx.out("tail -c +%d %s" % (before["sizes"][F2B_LOG] + 1, F2B_LOG))
    lines = freeswitch_lines(log_text, addresses)
    bans = ban_times(f2b_text, jail, tool["wall_start_epoch"], after["utc_offset"])

    final = samples[-1] if samples else None
    earlier = [s for s in samples if final and s["t"] <= final["t"] - STOPPED_WINDOW]
    reference = earlier[-1] if earlier else None
    per_source = []
    for address in sources:
        item = tool["sources"][address]
        name = counter_name(address)
        listed = bool(final and final["banned"] is not None and address in final["banned"])
        stopped = (None if reference is None else
                   final["counters"].get(name) == reference["counters"].get(name))
        first_listed = next((s["t"] for s in samples if s["banned"] and address in s["banned"]), None)
        per_source.append(dict(
            address=address, answered=item["forbidden"], challenges=item["challenges"], attempts=item["attempts"],
            requests=item["requests"], unanswered=item["unanswered_first"] + item["unanswered_credentials"],
            other=item["other"], listed=listed, stopped=stopped, banned=listed and bool(stopped),
            first_listed_s=first_listed, ban_logged_s=bans.get(address),
            delivered=final["counters"].get(name) if final else None,
            logged_challenges=lines[address]["challenges"], logged_failures=lines[address]["failures"],
            forbidden_times_s=item["forbidden_times_s"]))
    answered = [s["answered"] for s in per_source]
    limit = maxretry + 2
    registrations = tool["phone"]["registrations"]
    final_counters = final["counters"] if final else {}
    run = dict(
        setup=setup, jail=jail, maxretry=maxretry, sources=len(sources), rate=RATE, flood_seconds=seconds,
        banned=len([s for s in per_source if s["banned"]]), listed=len([s for s in per_source if s["listed"]]),
        stopped=len([s for s in per_source if s["stopped"]]),
        answered=stats.summary(answered), answered_limit=limit,
        answered_histogram=dict((str(n), answered.count(n)) for n in sorted(set(answered))),
        over_limit=len([a for a in answered if a > limit]),
        ban_logged_s=stats.summary([s["ban_logged_s"] for s in per_source]),
        phone=dict(address=phone, registrations=registrations,
                   ok=len([r for r in registrations if r["result"] == "200"]), total=len(registrations),
                   listed=bool(final and final["banned"] and phone in final["banned"]),
                   logged_challenges=lines[phone]["challenges"], logged_failures=lines[phone]["failures"]),
        requests=dict(
            sent=sum(tool["sources"][a]["requests"] for a in sources),
            delivered=sum(final_counters.get(counter_name(a), 0) for a in sources),
            logged=sum(lines[a]["challenges"] + lines[a]["failures"] for a in sources),
            logged_challenges=sum(lines[a]["challenges"] for a in sources),
            logged_failures=sum(lines[a]["failures"] for a in sources),
            answered=sum(tool["sources"][a]["challenges"] + tool["sources"][a]["forbidden"] for a in sources),
            udp_in_datagrams=after["udp"]["InDatagrams"] - before["udp"]["InDatagrams"],
            udp_receive_buffer_errors=after["udp"]["RcvbufErrors"] - before["udp"]["RcvbufErrors"]),
        cpu_s=dict(fail2ban=round(after["fail2ban"]["cpu_s"] - before["fail2ban"]["cpu_s"], 2),
                   fail2ban_children=round(after["fail2ban"]["children_cpu_s"] - before["fail2ban"]["children_cpu_s"], 2),
                   freeswitch=round(after["freeswitch"]["cpu_s"] - before["freeswitch"]["cpu_s"], 2),
                   tool=tool["tool_cpu_s"]),
        fail2ban_rss_kb=dict(before=before["fail2ban"]["rss_kb"], after=after["fail2ban"]["rss_kb"], peak=after["fail2ban"]["hwm_kb"]),
        wall_s=round(time.monotonic() - started, 2),
        tool=dict(attempts_started=tool["attempts_started"], sending_s=tool["sending_s"], max_lag_s=tool["max_lag_s"]),
        samples=[dict(t=s["t"], listed=len([a for a in sources if s["banned"] and a in s["banned"]]),
                      delivered=sum(s["counters"].get(counter_name(a), 0) for a in sources)) for s in samples],
        stopped_window_s=None if reference is None else round(final["t"] - reference["t"], 2),
        per_source=per_source,
    )
    return run


def summarise(runs):
    """Medians over the runs of each run's numbers (and the worst run where it matters)."""
    def med(getter):
        return stats.median([getter(r) for r in runs])
    return dict(
        runs=runs,
        banned_median=med(lambda r: r["banned"]), banned_min=min(r["banned"] for r in runs),
        answered_median=med(lambda r: r["answered"]["median"]),
        answered_p95=med(lambda r: r["answered"]["p95"]),
        answered_max=med(lambda r: r["answered"]["max"]),
        answered_max_worst=max(r["answered"]["max"] for r in runs),
        over_limit_median=med(lambda r: r["over_limit"]), over_limit_max=max(r["over_limit"] for r in runs),
        phone_ok=sum(r["phone"]["ok"] for r in runs), phone_total=sum(r["phone"]["total"] for r in runs),
        phone_listed_runs=len([r for r in runs if r["phone"]["listed"]]),
        phone_retransmits=sum(x["retransmits"] for r in runs for x in r["phone"]["registrations"]),
        phone_slowest_s=max([x["seconds"] for r in runs for x in r["phone"]["registrations"] if x["seconds"] is not None],
                            default=None),
        last_ban_logged_s=med(lambda r: r["ban_logged_s"]["max"]),
        requests_sent=med(lambda r: r["requests"]["sent"]), requests_delivered=med(lambda r: r["requests"]["delivered"]),
        requests_logged=med(lambda r: r["requests"]["logged"]), requests_answered=med(lambda r: r["requests"]["answered"]),
        udp_receive_buffer_errors=med(lambda r: r["requests"]["udp_receive_buffer_errors"]),
        fail2ban_cpu_s=med(lambda r: r["cpu_s"]["fail2ban"]),
        fail2ban_children_cpu_s=med(lambda r: r["cpu_s"]["fail2ban_children"]),
        freeswitch_cpu_s=med(lambda r: r["cpu_s"]["freeswitch"]),
        fail2ban_rss_kb=med(lambda r: r["fail2ban_rss_kb"]["after"]),
        fail2ban_rss_peak_kb=med(lambda r: r["fail2ban_rss_kb"]["peak"]),
    )


def run(ours, stock, attacker, runs, seconds):
    """`runs` floods against each setup, alternating ours and stock; fresh addresses for every run."""
    pool = address_pool()
    per_run = SOURCES + 1
    if runs * per_run > len(pool):
        raise testbed.BenchError("flood: %d runs need %d addresses, the bench network has %d spare"
                                 % (runs, runs * per_run, len(pool)))
    add_addresses(attacker, pool[:runs * per_run])
    attacker.copy_in(TOOL, "/root/sip_flood.py")
    pbxs = dict(ours=ours, stock=stock)
    for setup, jail in SETUPS:
        pbx = pbxs[setup]
        pbx.write("/root/flood_snapshot.py", SNAPSHOT)
        # A first ban runs the ban action's start (nftables table, iptables chains): not part of a flood.
        pbx.sh("fail2ban-client set %s banip 198.18.255.254 >/dev/null" % jail)
    collected = dict((setup, []) for setup, _jail in SETUPS)
    for number in range(runs):
        addresses = pool[number * per_run:(number + 1) * per_run]
        for setup, jail in SETUPS:
            testbed.log("flood: %s, run %d of %d: %d REGISTER/s from %d sources for %ds, a phone on %s"
                        % (setup, number + 1, runs, RATE, SOURCES, seconds, addresses[-1]))
            collected[setup].append(flood_once(pbxs[setup], attacker, setup, jail, addresses, seconds))
            item = collected[setup][-1]
            testbed.log("flood: %s: banned %d/%d, answered median %s max %s, phone %d/%d OK, requests sent %d logged %d"
                        % (setup, item["banned"], item["sources"], item["answered"]["median"], item["answered"]["max"],
                           item["phone"]["ok"], item["phone"]["total"], item["requests"]["sent"], item["requests"]["logged"]))
    for setup, jail in SETUPS:
        unban_all_and_settle(pbxs[setup], jail)
        pbxs[setup].sh("nft delete table inet %s; rm -f /root/flood-counters.nft" % TABLE)
    results = dict(rate=RATE, sources=SOURCES, flood_seconds=seconds, phone_interval_s=PHONE_INTERVAL,
                   phone_start_s=PHONE_START)
    for setup, _jail in SETUPS:
        results[setup] = summarise(collected[setup])
    for key in ("answered_median", "answered_p95", "answered_max", "fail2ban_cpu_s", "freeswitch_cpu_s", "fail2ban_rss_kb"):
        results["ratio_%s_ours_vs_stock" % key] = stats.ratio(results["ours"][key], results["stock"][key])
    return results
