# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge: wall time of ansible-playbook, first run and no-op re-run, one host and a fleet of 5.

Every sample starts from fresh containers of the benchmark PBX image (real FreeSWITCH 1.10.12, APT
lists and packages already downloaded, fail2ban not installed), reached with the community.docker.docker
connection, forks 5. The first run of the setup containers is the first sample of "one host".
For reference, the stock setup's playbook (bench/playbooks/stock.yml: install the package, enable
the jail) is timed the same way on one host. A no-op re-run that changes anything is reported.
"""

import os

import stats
import testbed

FLEET_NAME = testbed.PREFIX + "fleet-%d"


def sample(playbook, inventory, log_path, noop=True):
    """First run and (unless noop is false) the re-run, which must change nothing."""
    first, _recap = testbed.ansible_playbook(playbook, inventory, log_path)
    if not noop:
        return dict(first_s=round(first, 2), noop_s=None, noop_changed=None)
    again, recap = testbed.ansible_playbook(playbook, inventory, log_path)
    return dict(first_s=round(first, 2), noop_s=round(again, 2),
                noop_changed=sum(counters.get("changed", 0) for counters in recap.values()))


def fresh_hosts(count):
    hosts = []
    try:
        for number in range(1, count + 1):
            address = "172.28.60.%d" % (testbed.FLEET_ADDRESS_BASE + number)
            hosts.append(testbed.start_systemd(FLEET_NAME % number, address))
            testbed.freshen_apt_cache(hosts[-1])
    except Exception:
        testbed.remove(hosts)
        raise
    return hosts


def fresh_sample(work_dir, playbook, count, log_name):
    hosts = fresh_hosts(count)
    try:
        inventory = testbed.write_inventory(work_dir, hosts)
        return sample(playbook, inventory, os.path.join(work_dir, log_name))
    finally:
        testbed.remove(hosts)


def summarise(samples):
    return dict(samples=samples,
                first_s=stats.summary([s["first_s"] for s in samples]),
                noop_s=stats.summary([s["noop_s"] for s in samples]),
                noop_changed_max=max([s["noop_changed"] for s in samples if s["noop_changed"] is not None], default=None))


def run(work_dir, setup_samples, one_host_runs, fleet_runs, fleet_size=5):
    """setup_samples: {'ours': sample, 'stock': sample} measured when the setup containers were converged."""
    results = {}
    for key, playbook in (("ours_one_host", "ours.yml"), ("stock_one_host", "stock.yml")):
        samples = [setup_samples[key.split("_", 1)[0]]]
        for number in range(one_host_runs - 1):
            testbed.log("converge: %s, fresh host, run %d of %d" % (playbook, number + 2, one_host_runs))
            samples.append(fresh_sample(work_dir, playbook, 1, "converge-%s.log" % key))
        results[key] = summarise(samples)
    if fleet_runs:
        samples = []
        for number in range(fleet_runs):
            testbed.log("converge: ours.yml, fleet of %d fresh hosts, run %d of %d" % (fleet_size, number + 1, fleet_runs))
            samples.append(fresh_sample(work_dir, "ours.yml", fleet_size, "converge-ours_fleet.log"))
        results["ours_fleet_%d" % fleet_size] = summarise(samples)
        results["ratio_fleet_vs_one_host_first"] = stats.ratio(results["ours_fleet_%d" % fleet_size]["first_s"]["median"],
                                                               results["ours_one_host"]["first_s"]["median"])
    results["ratio_first_ours_vs_stock"] = stats.ratio(results["ours_one_host"]["first_s"]["median"],
                                                       results["stock_one_host"]["first_s"]["median"])
    results["ratio_noop_ours_vs_stock"] = stats.ratio(results["ours_one_host"]["noop_s"]["median"],
                                                      results["stock_one_host"]["noop_s"]["median"])
    return results
