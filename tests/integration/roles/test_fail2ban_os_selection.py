# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OS selection of the fail2ban role: which vars files apply and what they resolve to.

One ansible-playbook run (connection local, no fact gathering) runs the role's tasks/vars.yml for
one inventory host per OS, each with injected facts, and writes what the role resolved as JSON.
"""

from __future__ import absolute_import, division, print_function

import json
import sys

import pytest

from dev_tools import run_checkout_playbook


def _facts(os_family, distribution, version, python=(3, 11)):
    return {
        "os_family": os_family,
        "distribution": distribution,
        "distribution_version": version,
        "distribution_major_version": version.split(".")[0],
        "python": {"version": {"major": python[0], "minor": python[1]}},
        "env": {},
    }


CASES = {
    "debian11": _facts("Debian", "Debian", "11.11", (3, 9)),
    "debian12": _facts("Debian", "Debian", "12.8"),
    "debian13": _facts("Debian", "Debian", "13.1", (3, 13)),
    "ubuntu2404": _facts("Debian", "Ubuntu", "24.04", (3, 12)),
    "rocky9": _facts("RedHat", "Rocky", "9.5", (3, 9)),
    "alma8": _facts("RedHat", "AlmaLinux", "8.10", (3, 6)),
    "leap156": _facts("Suse", "openSUSE Leap", "15.6", (3, 6)),
    "sles15": _facts("Suse", "SLES", "15.6", (3, 6)),
    "freebsd14": _facts("FreeBSD", "FreeBSD", "14.1", (3, 11)),
    "arch": _facts("Archlinux", "Archlinux", "rolling"),
    # fail2ban_recidive_* and fail2ban_jails/filters/actions: what the role writes, and what it refuses.
    "debian12_declared": _facts("Debian", "Debian", "12.8"),
    "debian12_bad_names": _facts("Debian", "Debian", "12.8"),
    "debian12_repeated_names": _facts("Debian", "Debian", "12.8"),
    "debian12_reserved_names": _facts("Debian", "Debian", "12.8"),
    "debian12_bad_recidive": _facts("Debian", "Debian", "12.8"),
    "debian12_recidive_quiet_log": _facts("Debian", "Debian", "12.8"),
    "debian12_recidive_journal": _facts("Debian", "Debian", "12.8"),
    "debian12_recidive_increment": _facts("Debian", "Debian", "12.8"),
    # The operator's choices win over the OS defaults; the controller's SSH address is found.
    "debian12_custom": dict(
        _facts("Debian", "Debian", "12.8"),
        env={"SSH_CLIENT": "198.51.100.7 50022 22"},
    ),
}
CUSTOM_VARS = {
    "fail2ban_banaction": "iptables-multiport",
    "fail2ban_backend": "polling",
    "fail2ban_ignoreip": ["192.0.2.0/24", "pbx.example.com"],
    "fail2ban_mail_action": True,
    "fail2ban_sshd_settings": {"backend": "pyinotify", "logpath": "/var/log/auth.log"},
}

DECLARED_VARS = {
    "fail2ban_recidive_enabled": True,
    "fail2ban_recidive_bantime": "2w",
    "fail2ban_jails": [{"name": "portal", "settings": {"filter": "portal", "logpath": "/var/log/portal.log"}},
                       {"name": "old-asterisk", "state": "absent"}],
    "fail2ban_filters": [{"name": "portal", "definition": {"failregex": ["^login failed from <HOST>$"]}},
                         {"name": "asterisk-old", "state": "absent"}],
    "fail2ban_actions": [{"name": "portal-notify", "definition": {"actionban": "logger banned <ip>"}}],
}
CASE_VARS = {
    "debian12_custom": CUSTOM_VARS,
    "debian12_declared": DECLARED_VARS,
    "debian12_bad_names": {"fail2ban_jails": [{"name": "ok"}, {"name": "two words"}, {"name": "evil\n"},
                                              {"name": "portal@web"}, {"name": "-x"}],
                           "fail2ban_filters": [{"name": "../../../etc/cron.d/x"}, {"name": None}],
                           "fail2ban_actions": [{"name": ".hidden"}, {"name": 7}]},
    "debian12_repeated_names": {"fail2ban_jails": [{"name": "portal"}, {"name": "portal", "state": "absent"}],
                                "fail2ban_filters": [{"name": "portal"}, {"name": "portal"}]},
    "debian12_reserved_names": {"fail2ban_recidive_enabled": True,
                                "fail2ban_jails": [{"name": "sshd"}, {"name": "recidive"}, {"name": "DEFAULT"},
                                                   {"name": "voipguard-freeswitch", "state": "absent"}],
                                "fail2ban_actions": [{"name": "nftables-common"}]},
    "debian12_bad_recidive": {"fail2ban_recidive_enabled": True, "fail2ban_recidive_bantime": "a week"},
    "debian12_recidive_quiet_log": {"fail2ban_recidive_enabled": True, "fail2ban_loglevel": "WARNING"},
    "debian12_recidive_journal": {"fail2ban_recidive_enabled": True,
                                  "fail2ban_server_extra_settings": {"logtarget": "SYSTEMD-JOURNAL"}},
    "debian12_recidive_increment": {"fail2ban_recidive_enabled": True, "fail2ban_bantime_increment": True},
}

PLAYBOOK = """
- name: Resolve the fail2ban role's OS settings
  hosts: all
  gather_facts: false
  tasks:
    - name: Inject the case's facts
      ansible.builtin.set_fact:
        os_family: "{{ case.os_family }}"
        distribution: "{{ case.distribution }}"
        distribution_version: "{{ case.distribution_version }}"
        distribution_major_version: "{{ case.distribution_major_version }}"
        python: "{{ case.python }}"
        env: "{{ case.env }}"
        cacheable: true

    - name: Run the role's OS selection
      block:
        - name: Select the vars
          ansible.builtin.include_role:
            name: voipguard.pbx.fail2ban
            tasks_from: vars.yml
            public: true

        - name: Check the values as the role does
          ansible.builtin.include_role:
            name: voipguard.pbx.fail2ban
            tasks_from: validate.yml

        - name: Write what was resolved
          ansible.builtin.copy:
            dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
            mode: "0644"
            content: >-
              {{ {'vars_files': fail2ban_os_vars_files,
                  'packages': fail2ban_resolved_packages,
                  'config_dir': fail2ban_os_config_dir,
                  'service': fail2ban_os_service,
                  'repo_tasks': fail2ban_os_repo_tasks,
                  'banaction': fail2ban_resolved_banaction,
                  'banaction_allports': fail2ban_resolved_banaction_allports,
                  'backend': fail2ban_resolved_backend,
                  'sshd_backend': fail2ban_resolved_sshd_backend,
                  'sshd': fail2ban_sshd_jail_settings,
                  'controller_address': fail2ban_controller_address_from_facts,
                  'default': fail2ban_default_settings,
                  'server': fail2ban_server_settings,
                  'recidive': fail2ban_recidive_jail_settings,
                  'filters': fail2ban_filters_declared,
                  'actions': fail2ban_actions_declared} | to_json }}
      rescue:
        - name: Write the failure
          ansible.builtin.copy:
            dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
            mode: "0644"
            content: "{{ {'failed': true, 'msg': ansible_failed_result.msg} | to_json }}"
"""


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    work = tmp_path_factory.mktemp("fail2ban_os_selection")
    out_dir = work / "out"
    out_dir.mkdir()
    hosts = {}
    for name, facts in CASES.items():
        host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "case": facts}
        host.update(CASE_VARS.get(name, {}))
        hosts[name] = host
    run = run_checkout_playbook(work, PLAYBOOK, {"all": {"hosts": hosts, "vars": {"out_dir": str(out_dir)}}})
    results = {}
    for name in CASES:
        path = out_dir / (name + ".json")
        assert path.exists(), "no result for %s; ansible-playbook said:\n%s" % (name, run.stdout)
        results[name] = json.loads(path.read_text())
    return results


LINUX_NFT = ("voipguard-nftables.py[blocktype=drop]", "voipguard-nftables.py[type=allports, blocktype=drop]")


@pytest.mark.parametrize("case, vars_files, packages, repo_tasks", [
    ("debian11", ["Debian.yml"], ["fail2ban", "python3-systemd", "python3-pyinotify", "nftables", "python3-nftables", "netbase"], ""),
    ("debian12", ["Debian.yml"], ["fail2ban", "python3-systemd", "python3-pyinotify", "nftables", "python3-nftables", "netbase"], ""),
    ("debian13", ["Debian.yml"], ["fail2ban", "python3-systemd", "python3-pyinotify", "nftables", "python3-nftables", "netbase"], ""),
    ("ubuntu2404", ["Debian.yml"], ["fail2ban", "python3-systemd", "python3-pyinotify", "nftables", "python3-nftables", "netbase"], ""),
    ("rocky9", ["RedHat.yml"], ["fail2ban-server", "python3-systemd", "nftables", "python3-nftables"], "repo-epel.yml"),
    ("alma8", ["RedHat.yml"], ["fail2ban-server", "python3-systemd", "nftables", "python3-nftables"], "repo-epel.yml"),
    ("leap156", ["Suse.yml"], ["fail2ban", "python3-systemd", "nftables", "python3-nftables"], "repo-suse.yml"),
    ("sles15", ["Suse.yml"], ["fail2ban", "python3-systemd", "nftables", "python3-nftables"], "repo-suse.yml"),
])
def test_linux_uses_nftables_and_the_journal_for_sshd(resolved, case, vars_files, packages, repo_tasks):
    result = resolved[case]
    assert "failed" not in result, result
    assert result["vars_files"] == vars_files
    assert result["packages"] == packages
    assert result["repo_tasks"] == repo_tasks
    assert result["config_dir"] == "/etc/fail2ban"
    assert result["service"] == "fail2ban"
    assert (result["banaction"], result["banaction_allports"]) == LINUX_NFT
    assert result["backend"] == "auto"
    assert result["sshd_backend"] == "systemd"
    assert result["sshd"]["enabled"] == "true"
    # Debian names the unit ssh.service, the others sshd.service: the jail must match both.
    assert "_SYSTEMD_UNIT=ssh.service" in result["sshd"]["journalmatch"]
    assert "_SYSTEMD_UNIT=sshd.service" in result["sshd"]["journalmatch"]


def test_freebsd_uses_pf_pkg_flavour_and_auth_log(resolved):
    result = resolved["freebsd14"]
    assert "failed" not in result, result
    assert result["vars_files"] == ["FreeBSD.yml"]
    assert result["packages"] == ["py311-fail2ban"]
    assert result["config_dir"] == "/usr/local/etc/fail2ban"
    assert (result["banaction"], result["banaction_allports"]) == ("pf", "pf[actiontype=<allports>]")
    assert result["sshd_backend"] == "auto"
    assert result["sshd"]["logpath"] == "/var/log/auth.log"
    assert "journalmatch" not in result["sshd"]


def test_unsupported_os_fails_naming_it(resolved):
    result = resolved["arch"]
    assert result.get("failed") is True
    assert "Archlinux" in result["msg"]
    assert "does not support" in result["msg"]


def test_default_policy_has_loopback_and_no_mail_by_default(resolved):
    default = resolved["debian12"]["default"]
    assert default["ignoreip"] == ["127.0.0.1/8", "::1"]
    assert default["banaction"] == LINUX_NFT[0]
    assert default["bantime"] == "1h"
    assert default["maxretry"] == "5"
    assert default["bantime.increment"] == "false"
    # None removes the key from jail.local: fail2ban's own default applies.
    assert default["action"] is None
    assert default["sender"] is None
    assert default["bantime.maxtime"] is None
    assert resolved["debian12"]["controller_address"] == ""


def test_operator_choices_override_os_defaults(resolved):
    result = resolved["debian12_custom"]
    assert result["banaction"] == "iptables-multiport"
    assert result["banaction_allports"] == LINUX_NFT[1]
    assert result["backend"] == "polling"
    assert result["sshd_backend"] == "pyinotify"
    assert result["sshd"]["logpath"] == "/var/log/auth.log"
    assert result["controller_address"] == "198.51.100.7"
    default = result["default"]
    assert default["ignoreip"] == ["127.0.0.1/8", "::1", "192.0.2.0/24", "pbx.example.com"]
    assert default["action"] == "%(action_mwl)s"


def test_recidive_reads_the_log_file_fail2ban_is_told_to_write(resolved):
    result = resolved["debian12_declared"]
    assert "failed" not in result, result
    assert result["server"]["logtarget"] == "/var/log/fail2ban.log"
    assert result["recidive"] == {
        "enabled": "true", "filter": "recidive", "logpath": "/var/log/fail2ban.log", "backend": "auto",
        "banaction": "%(banaction_allports)s", "protocol": "tcp,udp", "maxretry": "3", "findtime": "1d",
        "bantime": "2w", "bantime.maxtime": None}
    # Without recidive, fail2ban's logtarget is left as the OS sets it.
    assert "logtarget" not in resolved["debian12"]["server"]
    # With bantime.increment, [DEFAULT]'s maxtime would cut recidive's bans when they are restored.
    assert resolved["debian12_recidive_increment"]["recidive"]["bantime.maxtime"] == "1w"


def test_declared_filters_and_actions_get_their_defaults(resolved):
    result = resolved["debian12_declared"]
    assert result["filters"] == [
        {"name": "portal", "state": "present", "definition": {"failregex": ["^login failed from <HOST>$"]}, "init": {}},
        {"name": "asterisk-old", "state": "absent", "definition": {}, "init": {}}]
    assert result["actions"] == [
        {"name": "portal-notify", "state": "present", "definition": {"actionban": "logger banned <ip>"}, "init": {}}]


@pytest.mark.parametrize("case, words", [
    ("debian12_bad_names", ['"two words"', '"evil\\n"', '"portal@web"', '"-x"', '"../../../etc/cron.d/x"', '".hidden"',
                            'null', '7']),
    ("debian12_repeated_names", ["Listed more than once: portal, portal"]),
    ("debian12_reserved_names", ["Not yours to declare: sshd, recidive, DEFAULT, voipguard-freeswitch, nftables-common"]),
    ("debian12_bad_recidive", ["fail2ban_recidive_bantime", '"a week"']),
    ("debian12_recidive_quiet_log", ["fail2ban_loglevel (WARNING) must log NOTICE lines"]),
    ("debian12_recidive_journal", ["must not send the log elsewhere"]),
])
def test_bad_declarations_are_refused_naming_them(resolved, case, words):
    result = resolved[case]
    assert result.get("failed"), result
    for word in words:
        assert word in result["msg"], (word, result["msg"])
    assert '"ok"' not in result["msg"]
