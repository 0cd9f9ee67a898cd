# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the collection's fleet playbooks for real against a molecule scenario's inventory (test helper)."""

import json
import os
import re
import subprocess
from xml.etree import ElementTree

PLAYBOOK_TIMEOUT = 900


def run_playbook(name, *extra_vars):
    """ansible-playbook voipguard.pbx.<name> on the scenario's inventory: (rc, output, {host: recap counts})."""
    command = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "voipguard.pbx." + name]
    for extra in extra_vars:
        command += ["-e", extra]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_STDOUT_CALLBACK="default")
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            universal_newlines=True, timeout=PLAYBOOK_TIMEOUT, check=False)
    recap = {}
    for match in re.finditer(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", result.stdout, re.M):
        recap[match.group(1)] = dict(ok=int(match.group(2)), changed=int(match.group(3)),
                                     unreachable=int(match.group(4)), failed=int(match.group(5)))
    return result.returncode, result.stdout, recap


def run_compliance(tmp_path):
    """The compliance playbook with its reports in tmp_path: (rc, output, recap, JSON report, JUnit root)."""
    report_dir = tmp_path / "compliance"
    rc, output, recap = run_playbook("compliance", "voipguard_compliance_report_dir=%s" % report_dir)
    report = json.loads((report_dir / "compliance.json").read_text())
    junit = ElementTree.parse(str(report_dir / "compliance.junit.xml")).getroot()
    return rc, output, recap, report, junit
