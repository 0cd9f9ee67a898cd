# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kill what a converge runs on this host at a chosen moment (copied into the PBX by test_resilience.py).

    python3 converge_killer.py KIND NTH TIMEOUT [ARM_FILE]

KIND is when to kill, watching the process table every few milliseconds:
  validating  while the NTH fail2ban_jail module of the run tests its candidate file with fail2ban
              (before it writes)
  validated   as soon as that test has ended (the module writes the file right after it)
  reload      when the reload handler starts (fail2ban-client -c DIR -t: the files are written,
              fail2ban is not reloaded yet), the first time after ARM_FILE exists (NTH is ignored)
Every process of the ansible task (the docker exec shell, the module, its children) gets SIGKILL,
the way a dropped SSH session or a power cut ends it. Prints one JSON line: the processes killed,
or {"timeout": true}. Python 3.9+, standard library only.
"""

import json
import os
import re
import signal
import sys
import time

VALIDATION_RE = re.compile(r"fail2ban-client --test -c \S*/fail2ban_jail-")
HANDLER_TEST_RE = re.compile(r"fail2ban-client -c \S+ -t\b")


def process_table():
    """{pid: (parent pid, command line)} from /proc."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as handle:
                stat = handle.read().decode("utf-8", "replace")
            with open("/proc/%s/cmdline" % name, "rb") as handle:
                args = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:
            continue
        # The command name in stat may hold spaces and parentheses: fields after the last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        table[int(name)] = (ppid, args)
    return table


def task_processes(table, pid):
    """The tree the ansible task started: the topmost ancestor below init/docker exec, and all its descendants."""
    while table.get(pid, (0, ""))[0] > 1:
        pid = table[pid][0]
    found, grew = {pid}, True
    while grew:
        children = {child for child, (ppid, _args) in table.items() if ppid in found} - found
        found |= children
        grew = bool(children)
    return found


def main(argv):
    kind, nth, timeout = argv[0], int(argv[1]), float(argv[2])
    arm_file = argv[3] if len(argv) > 3 else None
    validations, parents = [], {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        armed = arm_file is not None and os.path.exists(arm_file)
        table = process_table()
        handler_tests = []
        for pid, (ppid, args) in sorted(table.items()):
            if VALIDATION_RE.search(args) and pid not in parents:
                validations.append(pid)
                parents[pid] = ppid
            elif HANDLER_TEST_RE.search(args):
                handler_tests.append(pid)
        victims = None
        if kind == "reload" and armed and handler_tests:
            victims = task_processes(table, handler_tests[0])
        elif kind == "validating" and len(validations) >= nth and validations[nth - 1] in table:
            victims = task_processes(table, validations[nth - 1])
        elif kind == "validated" and len(validations) >= nth and validations[nth - 1] not in table:
            # Its test has ended: the module that ran it is writing the file (or has just done so).
            module = parents[validations[nth - 1]]
            victims = task_processes(table, module) if module in table else set()
        if victims is not None:
            kill(victims)
            print(json.dumps({"kind": kind, "nth": nth, "killed": sorted(victims)}), flush=True)
            return 0
        time.sleep(0.005)
    print(json.dumps({"timeout": True, "validations": validations}), flush=True)
    return 1


def kill(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
