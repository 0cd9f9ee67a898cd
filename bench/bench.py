# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench`: voipguard.pbx against the stock Debian 12 fail2ban setup, measured in the same run.

Benchmarks (bench/README.md explains each): ban latency through SIP, a flood from 200 sources,
filter throughput, many bans, blocklists (100,000 and 1,000,000 entries), converge time. Prints
medians and ratios (ours / stock) and the targets met or not; writes every sample as JSON to
bench/results/<UTC time>/results.json (and bench/results/latest.json).

Environment:
  BENCH_QUICK=1        smoke run of about 3 minutes (fewer runs, smaller sizes, no fleet)
  BENCH_ONLY=a,b       only these benchmarks: latency, flood, filters, bans, blocklist, converge
  BENCH_KEEP=1         leave the containers running at the end (cleaned up by the next run)
"""

import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import bench_bans
import bench_blocklist
import bench_converge
import bench_filters
import bench_flood
import bench_latency
import stats
import testbed

# In the order they run: the flood before the many bans, which leave thousands of bans behind.
# The blocklist benchmark reboots the ours container: after the others that use it.
ALL = ("latency", "flood", "filters", "bans", "blocklist", "converge")

# Sized for about 20 minutes on an idle 2-core machine (most of it: converge and the per-ban actions).
FULL = dict(
    latency_runs=10,
    flood_runs=3, flood_seconds=20,
    filter_lines=200000, filter_runs=3, filter_formats=("1.10.7", "1.10.6"),
    bans_plan=((1000, 2), (10000, 1)), bans_deadline=30, bans_reference_runs=2,
    blocklist_sizes=(100000, 1000000), blocklist_runs=3, blocklist_reboots=2,
    blocklist_fail2ban_size=100000, blocklist_fail2ban_runs=1, blocklist_fail2ban_deadline=120,
    converge_one_host_runs=2, converge_fleet_runs=2, setup_noop=True,
)
# About 3 minutes, most of it converging the two setups once.
QUICK = dict(
    latency_runs=3,
    flood_runs=1, flood_seconds=10,
    filter_lines=20000, filter_runs=1, filter_formats=("1.10.7",),
    bans_plan=((300, 1),), bans_deadline=20, bans_reference_runs=1,
    blocklist_sizes=(10000,), blocklist_runs=1, blocklist_reboots=0,
    blocklist_fail2ban_size=1000, blocklist_fail2ban_runs=1, blocklist_fail2ban_deadline=30,
    converge_one_host_runs=1, converge_fleet_runs=0, setup_noop=False,
)

TARGETS = dict(latency_p95_s=0.5, attempts_after_maxretry=20, bans_10k_s=10.0,
               blocklist_100k_load_s=1.0, blocklist_100k_restore_s=2.0)


def load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def meta(config, quick, selected):
    def output(argv):
        result = subprocess.run(argv, check=False, text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return result.stdout.strip()
    return dict(
        started_utc=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        quick=quick, benchmarks=list(selected), config=config,
        host=dict(cores=os.cpu_count(), kernel=platform.release(), load_average_at_start=load_average(),
                  docker=output(["docker", "version", "--format", "{{.Server.Version}}"])),
        git=dict(commit=output(["git", "-C", testbed.ROOT, "rev-parse", "--short", "HEAD"]),
                 dirty=bool(output(["git", "-C", testbed.ROOT, "status", "--porcelain", "--untracked-files=no"]))),
        ansible=output(["ansible", "--version"]).splitlines()[0] if shutil.which("ansible") else None,
    )


def setup(work_dir, selected, noop):
    """Network, images, the ours / stock / attacker containers; converges ours and stock (timed).

    Real FreeSWITCH on every PBX: ours and stock_current run 1.10.12, stock runs 1.10.6 (the newest
    whose log lines the stock filter reads, its best case); stock_current only shows in the latency
    benchmark that the stock filter never bans 1.10.12."""
    testbed.cleanup()
    testbed.create_network()
    for version in (testbed.CURRENT, testbed.LEGACY):
        testbed.build_pbx_image(work_dir, version)
    testbed.log("starting vg-bench-ours (FreeSWITCH %s), vg-bench-stock (%s), vg-bench-attacker"
                % (testbed.CURRENT, testbed.LEGACY))
    ours = testbed.start_systemd(testbed.PREFIX + "ours", testbed.ADDRESSES["ours"], testbed.CURRENT)
    stock = testbed.start_systemd(testbed.PREFIX + "stock", testbed.ADDRESSES["stock"], testbed.LEGACY)
    pbxs = dict(ours=ours, stock=stock)
    attacker = None
    if "latency" in selected or "flood" in selected:
        attacker = testbed.start_attacker()
    if "latency" in selected:
        pbxs["stock_current"] = testbed.start_systemd(testbed.PREFIX + "stock-current", testbed.ADDRESSES["stock_current"],
                                                      testbed.CURRENT)
    for pbx in pbxs.values():
        testbed.freshen_apt_cache(pbx)
    samples = {}
    testbed.log("converging the stock Debian setup (bench/playbooks/stock.yml)")
    samples["stock"] = bench_converge.sample("stock.yml", testbed.write_inventory(work_dir, [stock]),
                                             os.path.join(work_dir, "setup-stock.log"), noop=noop)
    if "stock_current" in pbxs:
        bench_converge.sample("stock.yml", testbed.write_inventory(work_dir, [pbxs["stock_current"]]),
                              os.path.join(work_dir, "setup-stock-current.log"), noop=False)
    testbed.log("converging voipguard.pbx (bench/playbooks/ours.yml)")
    samples["ours"] = bench_converge.sample("ours.yml", testbed.write_inventory(work_dir, [ours]),
                                            os.path.join(work_dir, "setup-ours.log"), noop=noop)
    versions = dict((name, pbx.out("fail2ban-client version").strip()) for name, pbx in (("ours", ours), ("stock", stock)))
    return pbxs, attacker, samples, versions


def targets(results):
    """Each target with the value measured and whether it is met (None: not measured in this run)."""
    rows = []
    latency = results.get("latency")
    if latency:
        p95 = latency["ours"]["latency_s"]["p95"]
        rows.append(dict(target="p95 ban latency <= %.1f s" % TARGETS["latency_p95_s"], value=p95,
                         met=p95 is not None and p95 <= TARGETS["latency_p95_s"]))
        attempts = latency["ours"]["attempts_after_maxretry"]["p95"]
        rows.append(dict(target="<= %d attempts after maxretry at %d/s (p95)" % (TARGETS["attempts_after_maxretry"], bench_latency.RATE),
                         value=attempts, met=attempts is not None and attempts <= TARGETS["attempts_after_maxretry"]))
    flood = results.get("flood")
    if flood:
        ours = flood["ours"]
        limit = ours["runs"][0]["answered_limit"]
        rows.append(dict(target="flood of %d REGISTER/s from %d sources: every source banned after <= %d answered attempts "
                                "(maxretry + 2), every run" % (flood["rate"], flood["sources"], limit),
                         value=dict(banned_min=ours["banned_min"], answered_max_worst=ours["answered_max_worst"],
                                    over_limit_max=ours["over_limit_max"]),
                         met=ours["banned_min"] == flood["sources"] and ours["answered_max_worst"] <= limit))
    bans = results.get("bans")
    if bans and "10000" in bans["sizes"]:
        ours = bans["sizes"]["10000"]["ours"]
        for key, label in (("ban_seconds", "applied"), ("restore_seconds", "restored")):
            value = bench_bans.best_estimate(ours, key)
            rows.append(dict(target="10,000 bans %s in <= %d s" % (label, TARGETS["bans_10k_s"]), value=value,
                             extrapolated=(ours.get(key) or {}).get("median") is None,
                             met=value is not None and value <= TARGETS["bans_10k_s"]))
    blocklist = (results.get("blocklist") or {}).get("sizes", {}).get("100000")
    if blocklist:
        rows.append(dict(target="100,000 blocklist entries loaded in <= %.0f s" % TARGETS["blocklist_100k_load_s"],
                         value=blocklist["load_seconds"]["median"],
                         met=blocklist["load_seconds"]["median"] <= TARGETS["blocklist_100k_load_s"]))
        restores = [blocklist["firewall_restart_restore_seconds"]["median"]]
        if blocklist.get("boot_restore_seconds"):
            restores.append(blocklist["boot_restore_seconds"]["median"])
        rows.append(dict(target="100,000 blocklist entries restored after a firewall restart%s in <= %.0f s"
                                % (" and at boot" if len(restores) > 1 else "", TARGETS["blocklist_100k_restore_s"]),
                         value=max(restores), met=max(restores) <= TARGETS["blocklist_100k_restore_s"]))
    filters = results.get("filters")
    if filters and "1.10.7" in filters["formats"]:
        entry = filters["formats"]["1.10.7"]["filters"]
        # Every attack, one pass over the log: the brute-force filter in mode=aggressive. (The opt-in
        # bare-IP jail detects the same in a second pass: "both jails" in the throughput table.)
        aggressive, stock = entry["ours_aggressive"], entry["stock"]
        rows.append(dict(target="filter throughput >= stock (1.10.7 log) detecting every attack (brute-force jail, mode=aggressive)",
                         value=dict(ours_lines_per_s=aggressive["lines_per_s"], stock_lines_per_s=stock["lines_per_s"],
                                    every_attack_detected=aggressive["every_attack_detected"]),
                         met=aggressive["lines_per_s"] >= stock["lines_per_s"] and aggressive["every_attack_detected"]
                         and aggressive["from_phones"] == 0))
        # The default setup runs only the brute-force jail (the bare-IP jail is opt-in).
        brute, truth = entry["ours_bruteforce"], filters["formats"]["1.10.7"]["truth"]
        rows.append(dict(target="filter throughput >= stock (brute-force jail only, the default) detecting every brute-force attack",
                         value=dict(ours_lines_per_s=brute["lines_per_s"], stock_lines_per_s=stock["lines_per_s"],
                                    detected=brute["from_attackers"], expected=truth["expected"]["brute"]),
                         met=brute["lines_per_s"] >= stock["lines_per_s"] and brute["from_attackers"] == truth["expected"]["brute"]
                         and brute["from_phones"] == 0))
    return rows


def print_summary(results):
    out = []
    add = out.append
    add("")
    add("=" * 100)
    add("voipguard.pbx benchmark (%s run, %s cores, load average %s at start, %s at end)"
        % ("quick" if results["meta"]["quick"] else "full", results["meta"]["host"]["cores"],
           results["meta"]["host"]["load_average_at_start"], results["meta"].get("load_average_at_end")))
    add("ratios are ours / stock (times: below 1 is faster; throughput: above 1 is faster)")
    latency = results.get("latency")
    if latency:
        add("")
        add("Ban latency through SIP, attacker at %d REGISTER/s (maxretry %s)" % (bench_latency.RATE, latency["ours"]["runs"][0]["maxretry"]))
        for key, label in (("ours", "ours, FreeSWITCH 1.10.12 log"), ("stock_1.10.6", "stock, FreeSWITCH 1.10.6 log"),
                           ("stock_1.10.12", "stock, FreeSWITCH 1.10.12 log")):
            entry = latency[key]
            add("  %-32s banned %d/%d runs  latency median %s p95 %s  attempts after maxretry median %s p95 %s  answered %s"
                % (label, entry["banned_runs"], len(entry["runs"]), stats.fmt(entry["latency_s"]["median"], " s", 3),
                   stats.fmt(entry["latency_s"]["p95"], " s", 3), stats.fmt(entry["attempts_after_maxretry"]["median"], "", 0),
                   stats.fmt(entry["attempts_after_maxretry"]["p95"], "", 0), stats.fmt(entry["failures_answered"]["median"], "", 0)))
        add("  ratio latency (median) ours/stock-1.10.6: %s   attempts: %s"
            % (stats.fmt_ratio(latency["ratio_latency_median_ours_vs_stock"]), stats.fmt_ratio(latency["ratio_attempts_median_ours_vs_stock"])))
    flood = results.get("flood")
    if flood:
        add("")
        add("Flood from %d sources, %d REGISTER/s in total (wrong password), %d s, a phone registering every %.0f s (medians of %d runs)"
            % (flood["sources"], flood["rate"], flood["flood_seconds"], flood["phone_interval_s"], len(flood["ours"]["runs"])))
        add("  (requests: sent by the attackers, delivered past the firewall, logged by FreeSWITCH, answered)")
        for key, label in (("ours", "ours, FreeSWITCH 1.10.12"), ("stock", "stock, FreeSWITCH 1.10.6")):
            entry = flood[key]
            add("  %-26s banned %s/%d (worst run %d)  answered attempts per source median %s p95 %s max %s (worst %s),"
                " over maxretry+2: %s sources"
                % (label, stats.fmt(entry["banned_median"], "", 0), flood["sources"], entry["banned_min"],
                   stats.fmt(entry["answered_median"], "", 0), stats.fmt(entry["answered_p95"], "", 0),
                   stats.fmt(entry["answered_max"], "", 0), entry["answered_max_worst"],
                   stats.fmt(entry["over_limit_median"], "", 0)))
            add("  %-26s phone 200 OK %d/%d (%d retransmissions, slowest %s; listed by fail2ban in %d runs)"
                % ("", entry["phone_ok"], entry["phone_total"], entry["phone_retransmits"],
                   stats.fmt(entry["phone_slowest_s"], " s", 3), entry["phone_listed_runs"]))
            add("  %-26s CPU fail2ban %s (+%s children) freeswitch %s"
                "  fail2ban RSS %s MiB  requests sent %s delivered %s logged %s answered %s"
                % ("", stats.fmt(entry["fail2ban_cpu_s"], " s"),
                   stats.fmt(entry["fail2ban_children_cpu_s"], " s"), stats.fmt(entry["freeswitch_cpu_s"], " s"),
                   stats.fmt(entry["fail2ban_rss_kb"] / 1024.0 if entry["fail2ban_rss_kb"] else None, "", 1),
                   stats.fmt(entry["requests_sent"], "", 0), stats.fmt(entry["requests_delivered"], "", 0),
                   stats.fmt(entry["requests_logged"], "", 0), stats.fmt(entry["requests_answered"], "", 0)))
        add("  ratio ours/stock: answered median %s p95 %s max %s; CPU fail2ban %s, freeswitch %s; fail2ban RSS %s"
            % tuple(stats.fmt_ratio(flood["ratio_%s_ours_vs_stock" % key]) for key in
                    ("answered_median", "answered_p95", "answered_max", "fail2ban_cpu_s", "freeswitch_cpu_s", "fail2ban_rss_kb")))
    filters = results.get("filters")
    if filters:
        add("")
        add("Filter throughput, %d-line generated log (seed %d), fail2ban-regex of Debian 12" % (filters["lines"], filters["seed"]))
        for log_format, entry in filters["formats"].items():
            truth = entry["truth"]
            add("  FreeSWITCH %s format: %d attack lines (brute force %d, bare IP %d)"
                % (log_format, truth["attacks"], truth["expected"]["brute"], truth["expected"]["bare_ip"]))
            for key, item in entry["filters"].items():
                detected = ("every attack detected: %s" % item["every_attack_detected"] if "every_attack_detected" in item
                            else "detects %d attack lines" % item["from_attackers"])
                add("    %-18s median %s  %8d lines/s  %s, %d phone lines counted"
                    % (key, stats.fmt(item["seconds"]["median"], " s"), item["lines_per_s"], detected, item["from_phones"]))
            add("    ratio throughput ours/stock: brute-force jail %s, aggressive mode %s, both jails %s"
                % (stats.fmt_ratio(entry["ratio_throughput_ours_bruteforce_vs_stock"]),
                   stats.fmt_ratio(entry.get("ratio_throughput_ours_aggressive_vs_stock")),
                   stats.fmt_ratio(entry["ratio_throughput_ours_both_vs_stock"])))
    bans = results.get("bans")
    if bans:
        add("")
        add("Many bans (fail2ban-client banip, %d per call; deadline %d s per phase, '~' = extrapolated from the rate)"
            % (bans["batch"], bans["deadline_s"]))
        for size, entry in bans["sizes"].items():
            for setup in ("ours", "stock"):
                item = entry[setup]
                add("  %6s %-5s ban %s (%s/s)  restore after restart %s"
                    % (size, setup, _time_or_estimate(item, "ban_seconds"), stats.fmt(item["ban_rate_per_s"], "", 0),
                       _time_or_estimate(item, "restore_seconds")))
            add("  %6s ratio ours/stock: ban %s, restore %s"
                % (size, stats.fmt_ratio(entry["ratio_ban_ours_vs_stock"]), stats.fmt_ratio(entry["ratio_restore_ours_vs_stock"])))
        ref = bans["reference"]
        add("  reference, %d addresses: fail2ban with no action %s; one nft bulk add into a separate set %s"
            % (ref["size"], stats.fmt(ref["fail2ban_without_action_seconds"]["median"], " s"),
               stats.fmt(ref["nft_bulk_add_seconds"]["median"], " s", 3)))
    blocklist = results.get("blocklist")
    if blocklist:
        add("")
        add("Blocklists (voipguard-blocklist import of a file: 90% IPv4 addresses, 5% IPv4 /24, 4% IPv6 addresses, 1% IPv6 /48)")
        for size, item in blocklist["sizes"].items():
            add("  %8s entries: load median %s (nft %s, %d runs)  restore after firewall restart %s  at boot %s"
                "  program RSS %s MiB  kernel memory +%s MiB"
                % (size, stats.fmt(item["load_seconds"]["median"], " s", 3), stats.fmt(item["nft_seconds"]["median"], " s", 3),
                   item["load_seconds"]["runs"], stats.fmt(item["firewall_restart_restore_seconds"]["median"], " s", 3),
                   stats.fmt((item.get("boot_restore_seconds") or {}).get("median"), " s", 3),
                   stats.fmt(item["program_max_rss_mb"], "", 1), stats.fmt(item["kernel_unreclaimable_delta_mb"], "", 1)))
        fail2ban = blocklist["fail2ban"]
        add("  fail2ban's path, %d addresses (banip, %d per call): ban %s, restore after restart %s"
            % (fail2ban["runs"][0]["size"], bench_bans.BATCH, _time_or_estimate(fail2ban, "ban_seconds"),
               _time_or_estimate(fail2ban, "restore_seconds")))
        add("  ratio blocklist/fail2ban (first size): load %s, restore %s"
            % (stats.fmt_ratio(blocklist["ratio_load_vs_fail2ban_ban"]), stats.fmt_ratio(blocklist["ratio_restore_vs_fail2ban_restore"])))
    converge = results.get("converge")
    if converge:
        add("")
        add("Converge (ansible-playbook wall time, fresh containers)")
        for key, item in converge.items():
            if key.startswith("ratio"):
                continue
            add("  %-18s first run median %s (%d runs)  no-op re-run median %s  changed on re-run: %s"
                % (key, stats.fmt(item["first_s"]["median"], " s", 1), item["first_s"]["runs"],
                   stats.fmt(item["noop_s"]["median"], " s", 1), item["noop_changed_max"]))
        add("  ratio ours/stock one host: first %s, no-op %s; fleet/one host (first run): %s"
            % (stats.fmt_ratio(converge["ratio_first_ours_vs_stock"]), stats.fmt_ratio(converge["ratio_noop_ours_vs_stock"]),
               stats.fmt_ratio(converge.get("ratio_fleet_vs_one_host_first"))))
    add("")
    add("Targets")
    for row in results["targets"]:
        value = row["value"]
        if isinstance(value, float):
            value = ("~" if row.get("extrapolated") else "") + "%.3f" % value
        add("  [%s] %s: %s" % ("MET" if row["met"] else "NOT MET", row["target"], value))
    add("")
    add("wall time %s s; results in %s" % (results["meta"]["wall_seconds"], results["meta"]["results_file"]))
    add("=" * 100)
    print("\n".join(out), flush=True)


def _time_or_estimate(item, key):
    measured = (item.get(key) or {}).get("median")
    if measured is not None:
        return "%.2f s" % measured
    estimate = item.get(key + "_extrapolated")
    return "~%.0f s" % estimate if estimate is not None else "n/a"


def main():
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    selected = [name.strip() for name in os.environ.get("BENCH_ONLY", ",".join(ALL)).split(",") if name.strip()]
    unknown = [name for name in selected if name not in ALL]
    if unknown:
        sys.stderr.write("bench: unknown benchmark(s) %s (choose from %s)\n" % (", ".join(unknown), ", ".join(ALL)))
        return 2
    config = dict(QUICK if quick else FULL)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    results_dir = os.path.join(testbed.BENCH_DIR, "results", stamp)
    os.makedirs(results_dir)
    scratch = tempfile.mkdtemp(prefix="vg-bench-")
    started = time.monotonic()
    results = dict(meta=meta(config, quick, selected))
    testbed.log("%s run of %s; logs in %s" % ("quick" if quick else "full", ", ".join(selected), results_dir))
    try:
        pbxs, attacker, setup_samples, versions = setup(results_dir, selected, config["setup_noop"])
        ours, stock = pbxs["ours"], pbxs["stock"]
        results["meta"]["fail2ban"] = versions
        results["meta"]["freeswitch"] = dict((name, pbx.out("%s -x version" % testbed.FS_CLI).strip())
                                             for name, pbx in pbxs.items())
        if "latency" in selected:
            results["latency"] = bench_latency.run(ours, stock, pbxs["stock_current"], attacker, config["latency_runs"])
        if "flood" in selected:
            results["flood"] = bench_flood.run(ours, stock, attacker, config["flood_runs"], config["flood_seconds"])
        if "filters" in selected:
            results["filters"] = bench_filters.run(stock, scratch, config["filter_lines"], config["filter_runs"],
                                                   config["filter_formats"])
        if "bans" in selected:
            results["bans"] = bench_bans.run(ours, stock, config["bans_plan"], config["bans_deadline"],
                                             config["bans_reference_runs"])
        if "blocklist" in selected:
            results["blocklist"] = bench_blocklist.run(
                ours, config["blocklist_sizes"], config["blocklist_runs"], config["blocklist_reboots"],
                config["blocklist_fail2ban_size"], config["blocklist_fail2ban_runs"], config["blocklist_fail2ban_deadline"])
        if "converge" in selected:
            results["converge"] = bench_converge.run(results_dir, setup_samples, config["converge_one_host_runs"],
                                                     config["converge_fleet_runs"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if os.environ.get("BENCH_KEEP", "") in ("", "0"):
            testbed.cleanup()
    results["targets"] = targets(results)
    results["meta"]["load_average_at_end"] = load_average()
    results["meta"]["wall_seconds"] = round(time.monotonic() - started, 1)
    results_file = os.path.join(results_dir, "results.json")
    results["meta"]["results_file"] = os.path.relpath(results_file, testbed.ROOT)
    with open(results_file, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
    shutil.copyfile(results_file, os.path.join(testbed.BENCH_DIR, "results", "latest.json"))
    print_summary(results)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except testbed.BenchError as error:
        sys.stderr.write("bench: ERROR: %s\n" % error)
        sys.exit(1)
