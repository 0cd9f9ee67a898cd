# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Blocklists: N addresses and networks through voipguard-blocklist, against N bans through fail2ban.

On the ours container (the fail2ban role installed voipguard-blocklist with its units):
- load: a list of N entries (90 % IPv4 addresses, 5 % IPv4 /24 networks, 4 % IPv6 addresses, 1 % IPv6 /48
  networks) written as a file source, then `voipguard-blocklist import` timed inside the container from start
  to exit: read, checked against the whitelist and the limits, stored, and the table loaded in one nft
  transaction. The program's own nft time and its peak RSS are recorded;
- memory: the kernel's unreclaimable slab before and after the load (host-wide, so noisy: a median);
- restore after a firewall restart: `systemctl restart nftables` (which flushes the ruleset) until
  voipguard-blocklist.service, restarted through PartOf=, has loaded the table again (systemd's monotonic
  timestamps), then the table is checked against the lists;
- restore at boot: `docker restart` of the container, the unit's own run time at boot (systemd's timestamps),
  the table checked afterwards (full runs only: a reboot restarts FreeSWITCH too);
- the same N addresses through fail2ban's own path (bench_bans: `fail2ban-client set <jail> banip`, 500 per
  call, then the restore after `systemctl restart fail2ban`), for the ratios.

Entries come from ranges nothing is sent to (11.0.0.0/8 onwards, 150.0.0.0/8, 2001:db8::/32 and 2a00::/12).
"""

import json
import time

import bench_bans
import stats
import testbed

PROGRAM = "/usr/local/sbin/voipguard-blocklist"
CONFIG = "/etc/voipguard/blocklist.json"
LIST_FILE = "/root/bench-blocklist.txt"
STATE_DIR = "/var/lib/voipguard/blocklist"
UNIT = "voipguard-blocklist.service"

GENERATOR = r"""
import sys
count = int(sys.argv[1])
addresses4, networks4, addresses6 = int(count * 0.90), int(count * 0.05), int(count * 0.04)
networks6 = count - addresses4 - networks4 - addresses6
lines = ['# voipguard.pbx benchmark blocklist: %d entries' % count]
for i in range(addresses4):
    x = (11 << 24) + i * 7
    lines.append('%d.%d.%d.%d' % (x >> 24, (x >> 16) & 255, (x >> 8) & 255, x & 255))
for i in range(networks4):
    x = (150 << 24) + i * 256
    lines.append('%d.%d.%d.0/24' % (x >> 24, (x >> 16) & 255, (x >> 8) & 255))
lines += ['2001:db8:%x:%x::1' % (i >> 16, i & 0xffff) for i in range(addresses6)]
lines += ['2a0%x:%x::/48' % ((i >> 16) & 0xf, i & 0xffff) for i in range(networks6)]
open(sys.argv[2], 'w').write('\n'.join(lines) + '\n')
"""

# Runs a command; prints its wall time (s) and the peak RSS of its children (KB) as JSON on stderr's last line.
TIMED = r"""
import json, resource, subprocess, sys, time
started = time.monotonic()
result = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, universal_newlines=True)
print(json.dumps(dict(seconds=time.monotonic() - started, rc=result.returncode,
                      max_rss_kb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, output=result.stdout)))
"""


def configure(pbx, sources):
    config = json.loads(pbx.out("cat %s" % CONFIG))
    config["sources"] = sources
    pbx.write(CONFIG, json.dumps(config))


def status(pbx):
    return json.loads(pbx.out("%s status --kernel" % PROGRAM))


def unreclaimable_kb(pbx):
    for line in pbx.out("cat /proc/meminfo").splitlines():
        if line.startswith("SUnreclaim:"):
            return int(line.split()[1])
    return None


def monotonic(pbx):
    return float(pbx.out("python3 -c 'import time; print(time.monotonic())'"))


def unit_timestamps(pbx):
    values = {}
    for line in pbx.out("systemctl show %s -p ExecMainStartTimestampMonotonic -p ExecMainExitTimestampMonotonic "
                        "-p ActiveState" % UNIT).splitlines():
        key, _sep, value = line.partition("=")
        values[key] = value
    return values


def check_loaded(pbx, size):
    state = status(pbx)
    if state["drift"] or state["lists"].get("bench", {}).get("entries") != size:
        raise testbed.BenchError("blocklist of %d entries not in force: %s %s" % (size, state["drift"], state["lists"].get("bench")))


def load_once(pbx, size):
    pbx.sh("rm -f %s/lists/bench.json; %s apply >/dev/null" % (STATE_DIR, PROGRAM))
    before = unreclaimable_kb(pbx)
    timed = json.loads(pbx.out("python3 /root/bench-timed.py %s import bench" % PROGRAM, timeout=600))
    if timed["rc"] != 0:
        raise testbed.BenchError("voipguard-blocklist import failed: %s" % timed["output"][:2000])
    after = unreclaimable_kb(pbx)
    check_loaded(pbx, size)
    program = json.loads(timed["output"])
    return dict(load_seconds=round(timed["seconds"], 3), nft_seconds=program.get("load_seconds"),
                program_max_rss_mb=round(timed["max_rss_kb"] / 1024.0, 1),
                kernel_unreclaimable_delta_mb=round((after - before) / 1024.0, 1) if before and after else None)


def firewall_restart_once(pbx, size, deadline=60):
    started = monotonic(pbx)
    pbx.sh("systemctl restart nftables")
    finished = None
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        stamps = unit_timestamps(pbx)
        exited = int(stamps.get("ExecMainExitTimestampMonotonic") or 0) / 1e6
        if stamps.get("ActiveState") == "active" and exited > started:
            finished = exited
            break
        time.sleep(0.2)
    if finished is None:
        raise testbed.BenchError("voipguard-blocklist.service did not run again within %ds of the firewall restart" % deadline)
    check_loaded(pbx, size)
    return round(finished - started, 3)


def reboot_once(pbx, size):
    testbed.run(["docker", "restart", pbx.name], timeout=180)
    pbx.wait_systemd(timeout=180)
    testbed.wait_for(lambda: unit_timestamps(pbx).get("ActiveState") == "active", 60, what="blocklist loaded at boot")
    stamps = unit_timestamps(pbx)
    check_loaded(pbx, size)
    pbx.wait_freeswitch(timeout=120)
    return round((int(stamps["ExecMainExitTimestampMonotonic"]) - int(stamps["ExecMainStartTimestampMonotonic"])) / 1e6, 3)


def measure_size(pbx, size, runs, reboots):
    testbed.log("blocklist: %d entries, %d run(s)" % (size, runs))
    pbx.sh("python3 /root/bench-generate.py %d %s" % (size, LIST_FILE), timeout=600)
    configure(pbx, [{"name": "bench", "path": LIST_FILE}])
    loads = [load_once(pbx, size) for _run in range(runs)]
    restarts = [firewall_restart_once(pbx, size) for _run in range(runs)]
    boots = [reboot_once(pbx, size) for _run in range(reboots)]
    return dict(
        size=size, runs=loads,
        load_seconds=stats.summary([run["load_seconds"] for run in loads]),
        nft_seconds=stats.summary([run["nft_seconds"] for run in loads]),
        program_max_rss_mb=stats.median([run["program_max_rss_mb"] for run in loads]),
        kernel_unreclaimable_delta_mb=stats.median([run["kernel_unreclaimable_delta_mb"] for run in loads]),
        firewall_restart_restore_seconds=stats.summary(restarts),
        boot_restore_seconds=stats.summary(boots) if boots else None,
    )


def run(ours, sizes, runs, reboots, fail2ban_size, fail2ban_runs, fail2ban_deadline):
    """sizes: list sizes to measure (the first gets `reboots` reboots); fail2ban_size: the comparison."""
    ours.write("/root/bench-generate.py", GENERATOR)
    ours.write("/root/bench-timed.py", TIMED)
    original = ours.out("cat %s" % CONFIG)
    results = dict(sizes={})
    try:
        for index, size in enumerate(sizes):
            results["sizes"][str(size)] = measure_size(ours, size, runs if index == 0 else 1, reboots if index == 0 else 0)
    finally:
        ours.write(CONFIG, original)
        ours.sh("rm -f %s/lists/bench.json %s; %s apply >/dev/null" % (STATE_DIR, LIST_FILE, PROGRAM), check=False)
    testbed.log("blocklist: %d bans through fail2ban for comparison, %d run(s)" % (fail2ban_size, fail2ban_runs))
    fail2ban = bench_bans.summarise([bench_bans.one_run(ours, "ours", fail2ban_size, fail2ban_deadline)
                                     for _run in range(fail2ban_runs)])
    results["fail2ban"] = fail2ban
    first = results["sizes"][str(sizes[0])]
    results["ratio_load_vs_fail2ban_ban"] = stats.ratio(
        first["load_seconds"]["median"], bench_bans.best_estimate(fail2ban, "ban_seconds"))
    results["ratio_restore_vs_fail2ban_restore"] = stats.ratio(
        first["firewall_restart_restore_seconds"]["median"], bench_bans.best_estimate(fail2ban, "restore_seconds"))
    bench_bans.reset(ours, bench_bans.SETUPS["ours"]["jail"])
    return results
