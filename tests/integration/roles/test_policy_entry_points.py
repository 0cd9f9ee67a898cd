# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' policy entry points (tasks_from: policy), as the fleet playbooks include them.

One ansible-playbook run (connection local, injected facts, check mode) includes the three entry points the way
playbooks/compliance.yml does for one inventory host per case, and writes the facts they set as JSON. Also: what
ran (the freeswitch and fusionpbx roles' dependency, the fail2ban role, must not), and that the playbooks and the
freeswitch role's jails take the policy from the entry points, not from the roles' files.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import re
import sys

import pytest
import yaml

from dev_tools import run_checkout_playbook

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


def _facts(os_family, service_mgr='systemd', system='Linux'):
    return {"os_family": os_family, "distribution": os_family, "distribution_version": "12.8",
            "distribution_major_version": "12", "service_mgr": service_mgr, "system": system,
            "env": {"SSH_CLIENT": "198.51.100.7 50022 22"}}


CASES = {
    "defaults": (_facts("Debian"), {}),
    "custom": (_facts("Debian"), {
        "fail2ban_ignoreip": ["192.0.2.0/24", "sip.carrier.example.net"],
        "fail2ban_recidive_enabled": True, "fail2ban_recidive_bantime": "2w",
        "fail2ban_sshd_settings": {"maxretry": 3},
        "fail2ban_blocklist_sources": [{"name": "voipbl", "url": "https://lists.example.net/voip.txt"}],
        "freeswitch_jail_preset": "fusionpbx", "freeswitch_maxretry": 4, "freeswitch_bantime": "2h",
        "freeswitch_bare_ip_jail_enabled": False, "freeswitch_stream_profiles": ["internal-tls"],
        "freeswitch_slow_jail_enabled": True, "freeswitch_bruteforce_filter_mode": "aggressive",
        "freeswitch_log_auth_failures": False, "freeswitch_config_dir": "/etc/freeswitch",
        "fusionpbx_event_guard": "disabled",
    }),
    "freebsd": (_facts("FreeBSD", service_mgr="bsdinit", system="FreeBSD"), {}),
}

PLAYBOOK = """
- name: Read the roles' policy as the compliance playbook does
  hosts: all
  gather_facts: false
  check_mode: true
  tasks:
    - name: Inject the case's facts
      ansible.builtin.set_fact:
        os_family: "{{ case.os_family }}"
        distribution: "{{ case.distribution }}"
        distribution_version: "{{ case.distribution_version }}"
        distribution_major_version: "{{ case.distribution_major_version }}"
        service_mgr: "{{ case.service_mgr }}"
        system: "{{ case.system }}"
        env: "{{ case.env }}"
        cacheable: true

    - name: Read the fail2ban role's policy
      ansible.builtin.include_role:
        name: voipguard.pbx.fail2ban
        tasks_from: policy
        public: true

    - name: Read the freeswitch role's policy
      ansible.builtin.include_role:
        name: voipguard.pbx.freeswitch
        tasks_from: policy
        apply:
          when: ansible_role_name == 'voipguard.pbx.freeswitch'

    - name: Read the fusionpbx role's policy
      ansible.builtin.include_role:
        name: voipguard.pbx.fusionpbx
        tasks_from: policy
        apply:
          when: ansible_role_name == 'voipguard.pbx.fusionpbx'

    - name: Write the policy
      ansible.builtin.copy:
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        mode: "0644"
        content: "{{ {'fail2ban': fail2ban_policy, 'freeswitch': freeswitch_policy, 'fusionpbx': fusionpbx_policy} | to_json }}"
      check_mode: false
"""


@pytest.fixture(scope="module")
def policy_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("policy_entry_points")
    out_dir = work / "out"
    out_dir.mkdir()
    hosts = {}
    for name, (facts, host_vars) in CASES.items():
        hosts[name] = dict(host_vars, ansible_connection="local", ansible_python_interpreter=sys.executable, case=facts)
    run = run_checkout_playbook(work, PLAYBOOK, {"all": {"hosts": hosts, "vars": {"out_dir": str(out_dir)}}})
    policies = {}
    for name in CASES:
        path = out_dir / (name + ".json")
        assert path.exists(), "no policy for %s; ansible-playbook said:\n%s" % (name, run.stdout)
        policies[name] = json.loads(path.read_text())
    return run, policies


def test_fail2ban_policy_defaults(policy_run):
    policy = policy_run[1]["defaults"]["fail2ban"]
    assert policy["whitelist"] == ["127.0.0.1/8", "::1", "198.51.100.7"]
    assert policy["jails"] == [{"name": "sshd", "maxretry": 5, "findtime": "10m", "bantime": "1h"}]
    assert policy["blocklist"] == {"enabled": True, "sources": [], "refresh_seconds": 3600}


def test_fail2ban_policy_follows_the_inventory(policy_run):
    policy = policy_run[1]["custom"]["fail2ban"]
    assert policy["whitelist"] == ["127.0.0.1/8", "::1", "198.51.100.7", "192.0.2.0/24", "sip.carrier.example.net"]
    assert policy["jails"] == [{"name": "recidive", "maxretry": "3", "findtime": "1d", "bantime": "2w"},
                               {"name": "sshd", "maxretry": 3, "findtime": "10m", "bantime": "1h"}]
    assert policy["blocklist"]["sources"] == ["voipbl"]
    # no systemd, no nftables blocklist
    assert policy_run[1]["freebsd"]["fail2ban"]["blocklist"]["enabled"] is False


def test_freeswitch_policy_defaults(policy_run):
    policy = policy_run[1]["defaults"]["freeswitch"]
    jails = dict((jail["name"], jail) for jail in policy["jails"])
    assert list(jails) == ["voipguard-freeswitch", "voipguard-freeswitch-ip", "voipguard-freeswitch-stream",
                           "voipguard-freeswitch-slow"]
    assert jails["voipguard-freeswitch"] == {"name": "voipguard-freeswitch", "enabled": True, "filter": "voipguard-freeswitch",
                                             "maxretry": 5, "findtime": "10m", "bantime": "1h"}
    assert [name for name, jail in jails.items() if jail["enabled"]] == ["voipguard-freeswitch"]
    assert policy["log_auth_failures"] is True and policy["warning_logged"] is True
    assert policy["sip_trust_jails"] == ["voipguard-freeswitch"]
    # the trust service needs systemd: none on FreeBSD
    assert policy_run[1]["freebsd"]["freeswitch"]["sip_trust_jails"] == []


def test_freeswitch_policy_follows_the_inventory(policy_run):
    policy = policy_run[1]["custom"]["freeswitch"]
    enabled = [jail for jail in policy["jails"] if jail["enabled"]]
    assert [jail["name"] for jail in enabled] == ["freeswitch", "freeswitch-stream", "freeswitch-slow"]
    assert enabled[0]["filter"] == "voipguard-freeswitch[mode=aggressive]"
    assert (enabled[0]["maxretry"], enabled[0]["bantime"]) == (4, "2h")
    assert enabled[1]["filter"] == 'voipguard-freeswitch[mode=stream, profiles="internal\\-tls"]'
    assert policy["log_auth_failures"] is False and policy["config_dir"] == "/etc/freeswitch"
    # recidive counts the SIP jails' bans: the trust service keeps it in step too
    assert policy["sip_trust_jails"] == ["freeswitch", "freeswitch-slow", "recidive"]


def test_fusionpbx_policy(policy_run):
    assert policy_run[1]["defaults"]["fusionpbx"] == {"event_guard": "whitelist", "acl": "voipguard-whitelist",
                                                      "config_file": "/etc/fusionpbx/config.conf", "service": "event_guard",
                                                      "installed": os.path.exists("/etc/fusionpbx/config.conf")}
    assert policy_run[1]["custom"]["fusionpbx"]["event_guard"] == "disabled"
    assert policy_run[1]["freebsd"]["fusionpbx"]["config_file"] == "/usr/local/etc/fusionpbx/config.conf"


def test_the_dependency_does_not_run(policy_run):
    """The fail2ban role comes with the freeswitch and fusionpbx roles' entry points: its tasks are only listed, skipped."""
    output = policy_run[0].stdout
    assert policy_run[0].returncode == 0, output
    ran = re.findall(r"^TASK \[voipguard\.pbx\.fail2ban : ([^\]]+)\][^\n]*\n((?:(?:ok|changed|fatal|skipping): [^\n]*\n)*)", output, re.M)
    dependency = [(task, results) for task, results in ran if task in ("Install fail2ban", "Run fail2ban", "Configure the sshd jail")]
    assert dependency, output
    for task, results in dependency:
        lines = results.splitlines()
        assert len(lines) == len(CASES) and all(line.startswith("skipping:") for line in lines), (task, results)


def _load(path):
    with open(os.path.join(ROOT, path)) as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("playbook", ["playbooks/compliance.yml", "playbooks/whitelist.yml"])
def test_the_fleet_playbooks_read_no_role_file(playbook):
    with open(os.path.join(ROOT, playbook)) as handle:
        text = handle.read()
    assert not re.search(r"\.\./roles|/(defaults|vars)/main\.yml|include_vars|include_tasks", text)
    included = [task["ansible.builtin.include_role"] for play in _load(playbook) for task in play.get("tasks", [])
                if "ansible.builtin.include_role" in task]
    assert {"name": "voipguard.pbx.fail2ban", "tasks_from": "policy", "public": True} in included


def test_the_freeswitch_role_writes_the_jails_of_its_policy():
    tasks = [task for task in _load("roles/freeswitch/tasks/jails.yml") if "voipguard.pbx.fail2ban_jail" in task]
    assert [task["loop"] for task in tasks] == ["{{ freeswitch_policy.jails }}"]
