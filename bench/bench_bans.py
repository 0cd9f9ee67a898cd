# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many bans: ban N addresses, then restart fail2ban and time the restore, per ban action.

- ours: the voipguard-freeswitch jail, voipguard-nftables.py[type=allports] (an nftables set filled
  through libnftables inside fail2ban: one netlink call per address, no process);
- stock: Debian's freeswitch jail, iptables-multiport twice (TCP and UDP: two rules per address).

Both get the addresses the way voipguard.pbx.fail2ban_ban sends them: `fail2ban-client set <jail>
banip` with 500 addresses per call. fail2ban runs the ban actions before it answers, so the time of
the calls is the time to ban; the firewall is counted afterwards to check. The restore is timed
from `systemctl restart fail2ban` until the firewall holds every address again (fail2ban restores
them from its database, running the ban action once per address again).

Each phase has a deadline: when it passes, the run reports how many addresses were applied and the
rate, and the time for all of them is extrapolated from that rate (marked as such).

Two reference points show where the time goes (ours container only):
- fail2ban without any action (a jail with `action =`): fail2ban's own cost per ban;
- `nft -f` adding every address to a separate set in one command: the firewall's cost, i.e. what a
  bulk import path into a blocklist set of its own achieves (it bypasses fail2ban, so fail2ban does
  not know those addresses: only valid for a separate blocklist set).

Addresses come from 198.18.0.0/15, the range reserved for benchmarks (RFC 2544); nothing is sent to them.
"""

import ipaddress
import re
import time

import stats
import testbed

BATCH = 500
SETUPS = {
    "ours": dict(jail="voipguard-freeswitch"),
    "stock": dict(jail="freeswitch"),
}
NOACTION_JAIL = "vg-bench-noaction"
NOACTION_CONF = """# voipguard.pbx benchmark only (bench/bench_bans.py): a jail without action.
[%s]
enabled = true
filter = voipguard-freeswitch
logpath = %s
backend = auto
action =
""" % (NOACTION_JAIL, testbed.FREESWITCH_LOG)


def addresses(count, second_octet=18):
    """`count` addresses counted up from 198.<second_octet>.0.1 (198.18.0.0/15 holds 131,070 from .18)."""
    first = (198 << 24) + (second_octet << 16) + 1
    if count > (20 - second_octet) * 65536 - 2:
        raise ValueError("198.18.0.0/15 holds fewer than %d addresses from 198.%d.0.1" % (count, second_octet))
    return [str(ipaddress.IPv4Address(first + i)) for i in range(count)]


def firewall_count(pbx, setup):
    if setup == "ours":
        out = pbx.sh("nft list set inet f2b-table addr-set-voipguard-freeswitch 2>/dev/null", check=False).stdout
        return len(re.findall(r"\b198\.1[89]\.\d+\.\d+\b", out))
    counts = []
    for chain in ("f2b-freeswitch-tcp", "f2b-freeswitch-udp"):
        out = pbx.sh("iptables -w -S %s 2>/dev/null" % chain, check=False).stdout
        counts.append(len(re.findall(r"^-A \S+ -s 198\.1[89]\.", out, re.M)))
    return min(counts)


def database_count(pbx, jail):
    script = ("import sqlite3; c = sqlite3.connect('/var/lib/fail2ban/fail2ban.sqlite3');"
              " print(c.execute('select count(*) from bans where jail=?', ('%s',)).fetchone()[0])" % jail)
    result = pbx.sh("python3 -c \"%s\"" % script, check=False)
    return int(result.stdout.strip() or 0) if result.returncode == 0 else 0


def wait_jail(pbx, jail, timeout=120):
    testbed.wait_for(lambda: pbx.sh("fail2ban-client status %s" % jail, check=False).returncode == 0, timeout,
                     interval=0.5, what="jail %s" % jail)


def reset(pbx, jail):
    """fail2ban without any ban or remembered log position, the FreeSWITCH log empty."""
    pbx.sh("systemctl stop fail2ban; rm -f /var/lib/fail2ban/fail2ban.sqlite3; : > %s; systemctl start fail2ban"
           % testbed.FREESWITCH_LOG)
    wait_jail(pbx, jail)


def ban_all(pbx, jail, ips, deadline):
    """Send the bans in batches inside the container, stopping once `deadline` seconds have passed."""
    pbx.write("/root/bench-bans.txt", "\n".join(ips) + "\n")
    script = ("rm -f /tmp/bench-batch.*; split -l %d /root/bench-bans.txt /tmp/bench-batch.; start=$(date +%%s);"
              " for f in /tmp/bench-batch.*; do [ $(( $(date +%%s) - start )) -ge %d ] && break;"
              " fail2ban-client set %s banip $(cat $f) >/dev/null || exit 1; done" % (BATCH, deadline, jail))
    started = time.monotonic()
    pbx.sh(script, timeout=deadline + 600)
    return time.monotonic() - started


def restore(pbx, setup, jail, expected, deadline):
    """Restart fail2ban; seconds until the firewall holds `expected` addresses again, and how many it holds."""
    interval = 0.5 if setup == "ours" else 1.0
    started = time.monotonic()
    pbx.sh("systemctl restart fail2ban")
    count = 0
    while time.monotonic() - started < deadline:
        count = firewall_count(pbx, setup)
        if count >= expected:
            return time.monotonic() - started, count
        time.sleep(interval)
    return None, count


def one_run(pbx, setup, size, deadline):
    jail = SETUPS[setup]["jail"]
    reset(pbx, jail)
    ips = addresses(size)
    seconds = ban_all(pbx, jail, ips, deadline)
    applied = firewall_count(pbx, setup)
    run = dict(size=size, ban_seconds=round(seconds, 3), banned=applied, ban_complete=applied >= size,
               ban_rate_per_s=round(applied / seconds, 1) if seconds else None)
    run["ban_seconds_extrapolated"] = None if run["ban_complete"] or not applied else round(size * seconds / applied, 1)
    # fail2ban writes bans to its database asynchronously: a restart before that would lose some.
    testbed.wait_for(lambda: database_count(pbx, jail) >= applied, 120, interval=0.5, what="bans in the database")
    restore_seconds, restored = restore(pbx, setup, jail, applied, deadline)
    run.update(restore_seconds=None if restore_seconds is None else round(restore_seconds, 3), restored=restored)
    extrapolate_restore(run, deadline)
    wait_jail(pbx, jail)
    return run


def extrapolate_restore(run, deadline):
    """restore_complete: all `size` addresses were banned and came back before the deadline. Otherwise the
    time for all of them is extrapolated from the restore rate (this includes fail2ban's restart, so it
    overestimates a little)."""
    size, applied, restored, seconds = run["size"], run["banned"], run["restored"], run["restore_seconds"]
    run["restore_complete"] = seconds is not None and applied >= size
    run["restore_seconds_extrapolated"] = None
    if not run["restore_complete"] and restored:
        run["restore_seconds_extrapolated"] = round(size * (seconds if seconds is not None else deadline) / restored, 1)
    return run


def summarise(runs):
    complete = [r for r in runs if r["ban_complete"]]
    restored = [r for r in runs if r["restore_complete"]]
    return dict(
        runs=runs,
        ban_seconds=stats.summary([r["ban_seconds"] for r in complete]) if complete else None,
        restore_seconds=stats.summary([r["restore_seconds"] for r in restored]) if restored else None,
        ban_rate_per_s=stats.median([r["ban_rate_per_s"] for r in runs]),
        ban_seconds_extrapolated=stats.median([r.get("ban_seconds_extrapolated") for r in runs]),
        restore_seconds_extrapolated=stats.median([r.get("restore_seconds_extrapolated") for r in runs]),
    )


def best_estimate(summary, key):
    """Median measured time, else the median extrapolated one (for ratios)."""
    measured = (summary.get(key) or {}).get("median")
    return measured if measured is not None else summary.get(key + "_extrapolated")


def reference_points(pbx, size, runs):
    """fail2ban without action, and one `nft -f` for all addresses (ours container)."""
    ips = addresses(size, second_octet=19)
    pbx.write("/etc/fail2ban/jail.d/vg-bench.local", NOACTION_CONF)
    noaction = []
    try:
        for _run_number in range(runs):
            reset(pbx, NOACTION_JAIL)
            noaction.append(round(ban_all(pbx, NOACTION_JAIL, ips, 600), 3))
    finally:
        pbx.sh("rm -f /etc/fail2ban/jail.d/vg-bench.local /root/bench-nft.nft")
        reset(pbx, SETUPS["ours"]["jail"])
    pbx.write("/root/bench-nft.nft", "add table inet vg-bench-blocklist\n"
              "add set inet vg-bench-blocklist blocklist { type ipv4_addr; }\n"
              "add element inet vg-bench-blocklist blocklist { %s }\n" % ", ".join(ips))
    bulk = []
    for _run_number in range(runs):
        pbx.sh("nft delete table inet vg-bench-blocklist 2>/dev/null || true", check=False)
        started = time.monotonic()
        pbx.sh("nft -f /root/bench-nft.nft")
        bulk.append(round(time.monotonic() - started, 3))
        count = len(re.findall(r"\b198\.19\.\d+\.\d+\b", pbx.out("nft list set inet vg-bench-blocklist blocklist")))
        if count != size:
            raise testbed.BenchError("nft bulk add left %d of %d elements" % (count, size))
    pbx.sh("nft delete table inet vg-bench-blocklist; rm -f /root/bench-nft.nft")
    return dict(size=size,
                fail2ban_without_action_seconds=stats.summary(noaction),
                nft_bulk_add_seconds=stats.summary(bulk))


def run(ours, stock, plan, deadline, reference_runs):
    """plan: [(size, runs)]."""
    results = dict(batch=BATCH, deadline_s=deadline, sizes={})
    for size, runs in plan:
        entry = {}
        for setup, pbx in (("ours", ours), ("stock", stock)):
            testbed.log("many bans: %s, %d addresses, %d run(s) (deadline %ds per phase)" % (setup, size, runs, deadline))
            entry[setup] = summarise([one_run(pbx, setup, size, deadline) for _run_number in range(runs)])
        entry["ratio_ban_ours_vs_stock"] = stats.ratio(best_estimate(entry["ours"], "ban_seconds"),
                                                       best_estimate(entry["stock"], "ban_seconds"))
        entry["ratio_restore_ours_vs_stock"] = stats.ratio(best_estimate(entry["ours"], "restore_seconds"),
                                                           best_estimate(entry["stock"], "restore_seconds"))
        results["sizes"][str(size)] = entry
    biggest = max(size for size, _runs in plan)
    testbed.log("many bans: reference points at %d addresses (fail2ban without action, one nft bulk add)" % biggest)
    results["reference"] = reference_points(ours, biggest, reference_runs)
    return results
