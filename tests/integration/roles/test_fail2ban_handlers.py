# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fail2ban role's handlers, the one reload path: which fail2ban-client commands each topic runs.

ansible-playbook (connection local) notifies the role's topics and flushes the handlers, with a
fail2ban-client on the PATH that records its arguments: this tests the order and the choice of commands,
not fail2ban (the molecule scenarios run the handlers against real fail2ban).
"""

from __future__ import absolute_import, division, print_function

import os
import sys

import pytest

from dev_tools import run_checkout_playbook

# Records its arguments; fails the configuration test when VOIPGUARD_TEST_REJECT is set.
RECORDER = """#!/bin/sh
printf '%s\\n' "$*" >> "$VOIPGUARD_TEST_CALLS"
if [ -n "$VOIPGUARD_TEST_REJECT" ] && [ "$3" = "-t" ]; then echo "ERROR: test configuration failed" >&2; exit 255; fi
"""

PLAYBOOK = """
- name: Notify the fail2ban role's handler topics
  hosts: all
  gather_facts: false
  tasks:
    - name: Load the role's handlers
      ansible.builtin.include_role:
        name: voipguard.pbx.fail2ban
        tasks_from: vars.yml
        public: true

    - name: Notify {{ first | join(' and ') }}
      ansible.builtin.debug:
        msg: first flush
      changed_when: true
      notify: "{{ first }}"

    - name: Run the handlers
      ansible.builtin.meta: flush_handlers

    - name: Mark the second flush
      ansible.builtin.shell: echo --- >> "{{ lookup('env', 'VOIPGUARD_TEST_CALLS') }}"
      changed_when: false

    - name: Notify {{ second | join(' and ') }}
      ansible.builtin.debug:
        msg: second flush
      changed_when: true
      notify: "{{ second }}"
"""

RELOAD = "voipguard_pbx_fail2ban_reload"
RESTART_JAILS = "voipguard_pbx_fail2ban_reload_restart_jails"


def run_handlers(tmp_path, first, second, reject=False):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    recorder = bin_dir / "fail2ban-client"
    recorder.write_text(RECORDER)
    recorder.chmod(0o755)
    calls = tmp_path / "calls"
    config_dir = tmp_path / "fail2ban"
    config_dir.mkdir()
    facts = {"os_family": "Debian", "distribution": "Debian", "distribution_major_version": "12"}
    inventory = {"all": {"hosts": {"pbx": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "ansible_facts": facts, "first": first, "second": second}}}}
    # Extra vars: over the OS settings the role loads, so nothing outside tmp_path is touched.
    extra_vars = {"fail2ban_os_config_dir": str(config_dir), "fail2ban_os_config_group": "root",
                  "fail2ban_ping_retries": 1, "fail2ban_ping_delay": 1}
    env = dict(os.environ, PATH="%s:%s" % (bin_dir, os.environ["PATH"]), VOIPGUARD_TEST_CALLS=str(calls),
               VOIPGUARD_TEST_REJECT="1" if reject else "")
    result = run_checkout_playbook(tmp_path, PLAYBOOK, inventory, extra_vars, env)
    assert (result.returncode != 0) == reject, result.stdout
    flushes = calls.read_text().split("---\n")
    stamp = config_dir / ".voipguard-pbx-loaded"
    return [flush.splitlines() for flush in flushes], stamp.exists()


TEST = "-c {config} -t"


@pytest.mark.parametrize("first, second, expected", [
    # A plain reload; then, in a later flush, a reload with the jails restarted.
    ([RELOAD], [RESTART_JAILS], [["reload"], ["reload --restart"]]),
    # Both topics in one flush reload once, restarting the jails; a later plain reload is plain again.
    ([RELOAD, RESTART_JAILS], [RELOAD], [["reload --restart"], ["reload"]]),
    ([RESTART_JAILS], [RESTART_JAILS], [["reload --restart"], ["reload --restart"]]),
])
def test_each_flush_reloads_once_restarting_the_jails_only_when_asked(tmp_path, first, second, expected):
    flushes, stamped = run_handlers(tmp_path, first, second)
    test = TEST.format(config=tmp_path / "fail2ban")
    assert flushes == [[test, "ping"] + commands for commands in expected]
    # Every reload leaves the stamp tasks/unloaded.yml compares the configuration with.
    assert stamped


def test_a_configuration_fail2ban_rejects_is_never_reloaded(tmp_path):
    flushes, stamped = run_handlers(tmp_path, [RELOAD, RESTART_JAILS], [RELOAD], reject=True)
    # The play stops at the test: no reload, and no stamp (the next run reloads what is on disk).
    assert flushes == [[TEST.format(config=tmp_path / "fail2ban")]]
    assert not stamped
