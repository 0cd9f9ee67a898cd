# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the collection's fleet playbooks and modules for real against a molecule scenario's inventory (test helper)."""

import json
import os
import re
import subprocess
from xml.etree import ElementTree

PLAYBOOK_TIMEOUT = 900


def _ansible(command, callback, **kwargs):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_STDOUT_CALLBACK=callback,
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    return subprocess.run(command[:1] + ["-i", os.environ["MOLECULE_INVENTORY_FILE"]] + command[1:], stdout=subprocess.PIPE,
                          env=env, universal_newlines=True, timeout=PLAYBOOK_TIMEOUT, check=False, **kwargs)


def run_module(host_name, module, args):
    """Run a module on one scenario host with ansible; its result."""
    proc = _ansible(["ansible", host_name, "-m", module, "-a", json.dumps(args)], "json", stderr=subprocess.PIPE)
    try:
        output = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("ansible printed no JSON (rc %d): %s %s" % (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
    return output["plays"][0]["tasks"][0]["hosts"][host_name]


def run_playbook(name, *extra_vars, limit=None):
    """ansible-playbook voipguard.pbx.<name> on the scenario's inventory (`limit`: a host pattern):
    (rc, output, {host: recap counts})."""
    command = ["ansible-playbook", "voipguard.pbx." + name] + (["--limit", limit] if limit else [])
    for extra in extra_vars:
        command += ["-e", extra]
    result = _ansible(command, "default", stderr=subprocess.STDOUT)
    recap = {}
    for match in re.finditer(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", result.stdout, re.M):
        recap[match.group(1)] = dict(ok=int(match.group(2)), changed=int(match.group(3)),
                                     unreachable=int(match.group(4)), failed=int(match.group(5)))
    return result.returncode, result.stdout, recap


def run_compliance(tmp_path, *extra_vars):
    """The compliance playbook with its reports in tmp_path: (rc, output, recap, JSON report, JUnit root)."""
    report_dir = tmp_path / "compliance"
    rc, output, recap = run_playbook("compliance", "voipguard_compliance_report_dir=%s" % report_dir, *extra_vars)
    report = json.loads((report_dir / "compliance.json").read_text())
    junit = ElementTree.parse(str(report_dir / "compliance.junit.xml")).getroot()
    return rc, output, recap, report, junit
