# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter throughput: lines/s of our filters and of Debian's freeswitch filter, and what each detects.

fail2ban-regex of Debian 12's fail2ban runs in the stock container over a generated log (gen_log.py,
seeded): once in the FreeSWITCH 1.10.7+ format (what current FreeSWITCH writes), once in the 1.10.6
format (the newest one the stock filter reads). `-o ip` prints one address per matched line, which
is compared with the generator's ground truth: matches from attackers are detected attacks, matches
from phones are false positives (the stock filter counts every ordinary digest challenge).

Both our jails read the same log, so "ours (both jails)" adds their times. "ours (aggressive)" is the
brute-force filter in mode=aggressive, which also counts the bare-IP registrations: every attack in
one pass over the log.
"""

import json
import os

import gen_log
import stats
import testbed

WORK = "/root/bench-filters"
FILTERS = {
    "stock": "freeswitch",
    "ours_bruteforce": "voipguard-freeswitch",
    "ours_bare_ip": "voipguard-freeswitch-ip",
    "ours_aggressive": "voipguard-freeswitch[mode=aggressive]",
}
OUR_FILTER_DIR = os.path.join(testbed.ROOT, "roles", "freeswitch", "files", "filter.d")


def install(pbx):
    pbx.sh("rm -rf %s && mkdir -p %s/filter.d && cp /etc/fail2ban/filter.d/common.conf /etc/fail2ban/filter.d/freeswitch.conf %s/filter.d/"
           % (WORK, WORK, WORK))
    for name in ("voipguard-freeswitch.conf", "voipguard-freeswitch-ip.conf"):
        pbx.copy_in(os.path.join(OUR_FILTER_DIR, name), "%s/filter.d/%s" % (WORK, name))


def time_filter(pbx, log_path, filter_name):
    """(seconds, matched addresses) of one fail2ban-regex run, timed inside the container."""
    name, bracket, options = filter_name.partition("[")
    out = pbx.out("s=$(date +%%s.%%N); fail2ban-regex -o ip %s '%s/filter.d/%s.conf%s' > %s/matches.txt; e=$(date +%%s.%%N);"
                  " echo \"$s $e\"" % (log_path, WORK, name, bracket + options, WORK)).split()
    seconds = float(out[1]) - float(out[0])
    return seconds, pbx.out("cat %s/matches.txt" % WORK).split()


def detection(matches, truth):
    attackers, phones = set(truth["attackers"]), set(truth["phones"])
    return dict(matched=len(matches),
                from_attackers=len([m for m in matches if m in attackers]),
                from_phones=len([m for m in matches if m in phones]))


def run(stock_pbx, work_dir, lines, runs, formats=("1.10.7", "1.10.6")):
    install(stock_pbx)
    results = dict(lines=lines, seed=42, formats={})
    for log_format in formats:
        log_lines, truth = gen_log.generate(lines, log_format, seed=42)
        local = os.path.join(work_dir, "freeswitch-%s.log" % log_format)
        with open(local, "w", encoding="utf-8") as handle:
            handle.write("\n".join(log_lines) + "\n")
        with open(local + ".truth.json", "w", encoding="utf-8") as handle:
            json.dump(truth, handle)
        remote = "%s/freeswitch-%s.log" % (WORK, log_format)
        stock_pbx.copy_in(local, remote)
        testbed.log("filter throughput: %d-line log, FreeSWITCH %s format, %d run(s) per filter" % (lines, log_format, runs))
        entry = dict(truth=dict((k, truth[k]) for k in ("lines", "attacks", "attack_kinds", "expected")), filters={})
        samples = dict((key, []) for key in FILTERS)
        found = {}
        # Interleaved, so load changes on the machine hit every filter alike.
        for _run_number in range(runs):
            for key, name in FILTERS.items():
                seconds, matches = time_filter(stock_pbx, remote, name)
                samples[key].append(seconds)
                found[key] = detection(matches, truth)
        for key in FILTERS:
            secs = stats.summary(samples[key])
            entry["filters"][key] = dict(seconds=secs, lines_per_s=round(lines / secs["median"]), **found[key])
        both = [a + b for a, b in zip(samples["ours_bruteforce"], samples["ours_bare_ip"])]
        both_median = stats.median(both)
        entry["filters"]["ours_both_jails"] = dict(
            seconds=stats.summary(both), lines_per_s=round(lines / both_median),
            every_attack_detected=(found["ours_bruteforce"]["from_attackers"] == truth["expected"]["brute"]
                                   and found["ours_bare_ip"]["from_attackers"] == truth["expected"]["bare_ip"]),
            from_phones=found["ours_bruteforce"]["from_phones"] + found["ours_bare_ip"]["from_phones"])
        entry["filters"]["ours_aggressive"]["every_attack_detected"] = (
            found["ours_aggressive"]["from_attackers"] == truth["attacks"])
        stock_median = entry["filters"]["stock"]["seconds"]["median"]
        entry["ratio_throughput_ours_bruteforce_vs_stock"] = stats.ratio(stock_median, entry["filters"]["ours_bruteforce"]["seconds"]["median"])
        entry["ratio_throughput_ours_both_vs_stock"] = stats.ratio(stock_median, both_median)
        entry["ratio_throughput_ours_aggressive_vs_stock"] = stats.ratio(
            stock_median, entry["filters"]["ours_aggressive"]["seconds"]["median"])
        results["formats"][log_format] = entry
        stock_pbx.sh("rm -f %s" % remote)
    return results
