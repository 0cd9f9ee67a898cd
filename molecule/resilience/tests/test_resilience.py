# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The protection under load and failure: real SIP traffic against real FreeSWITCH 1.10.12, real
fail2ban, real nftables, real converges.

A flood from 20 addresses at once, an IPv6 attacker, bans across fail2ban reloads and restarts,
FreeSWITCH log rotation in the middle of an attack, a killed fail2ban, and converges killed in the
middle of their run. The converge playbook is run from here with the scenario's inventory.
"""

import configparser
import json
import os
import re
import signal
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import sip_testbed as tb  # noqa: E402

testinfra_hosts = ["docker://vg-res-pbx"]

JAIL = "voipguard-freeswitch"
WRONG_PASSWORD = "wrong-password"
FLOOD_SIZE = 20
FAIL2BAN_CONFIG = "/etc/fail2ban"
NO_RESTART_DROPIN = "/run/systemd/system/fail2ban.service.d/voipguard-test-no-restart.conf"
KILLER = os.path.join(os.path.dirname(__file__), "converge_killer.py")
KILLER_IN_PBX = "/tmp/converge_killer.py"
SCENARIO_DIR = os.environ.get("MOLECULE_SCENARIO_DIRECTORY", os.path.join(os.path.dirname(__file__), ".."))
LOG_DIR = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp")
# What the scenario's inventory sets (molecule.yml); the final converge must bring these back.
SCENARIO_FREESWITCH_MAXRETRY = "4"
SCENARIO_DEFAULT_MAXRETRY = "5"
# The converge's output line when the freeswitch role starts writing its jails (after the fail2ban role's reload).
FREESWITCH_JAILS_TASK = "TASK [voipguard.pbx.freeswitch : Configure the FreeSWITCH jails in jail.local]"


@pytest.fixture(scope="module")
def attacker():
    return tb.container("vg-res-attacker")


@pytest.fixture(scope="module")
def phone():
    return tb.container("vg-res-phone")


@pytest.fixture
def pbx(host):
    """The PBX, fail2ban running, the SIP jail fresh (no ban, no failure remembered)."""
    assert tb.fail2ban_answers(host), "fail2ban is not running at the start of the test"
    tb.restart_jail(host, JAIL)
    return host


def maxretry(pbx):
    return int(tb.running_setting(pbx, JAIL, "maxretry"))


def failures_counted(pbx, before, expected_new):
    tb.wait_for(lambda: tb.jail_status(pbx, JAIL)["total_failed"] >= before + expected_new,
                what="%d new failures in %s" % (expected_new, JAIL))


def wait_banned(pbx, *addresses):
    tb.wait_for(lambda: set(addresses) <= set(tb.jail_status(pbx, JAIL)["banned"]), timeout=30,
                what="%s banned in %s" % (", ".join(addresses), JAIL))


def ban(pbx, client, target):
    """Make `client` fail maxretry times against `target` and wait for the ban."""
    limit = maxretry(pbx)
    tb.register(client, target, tb.PHONE_USER, WRONG_PASSWORD, count=limit, expect="403")
    source = tb.ipv6_address_of(client) if ":" in target else tb.address_of(client)
    wait_banned(pbx, source)
    return source


def assert_dropped(pbx, client, target, source):
    """Banned in fail2ban and the firewall, and none of its packets (UDP and TCP) get past the firewall."""
    assert source in tb.jail_status(pbx, JAIL)["banned"]
    assert tb.firewall_blocks(pbx, source), "%s is banned but not in the firewall" % source
    seen = tb.delivered_packets(pbx, source)
    tb.register(client, target, tb.PHONE_USER, WRONG_PASSWORD, expect="timeout", timeout=2)
    tb.register(client, target, tb.PHONE_USER, WRONG_PASSWORD, transport="tcp", expect="timeout", timeout=2)
    assert tb.delivered_packets(pbx, source) == seen, "packets from the banned %s reached the PBX" % source


# --- load -----------------------------------------------------------------------------------------

def test_flood_from_20_addresses_all_banned_while_the_phone_registers(pbx, attacker, phone):
    sources = tb.secondary_addresses(attacker)
    assert len(sources) == FLOOD_SIZE, "prepare.yml should give the attacker %d extra addresses: %s" % (FLOOD_SIZE, sources)
    target, limit = tb.address_of(pbx), maxretry(pbx)

    runs = tb.start_registers(attacker, target, tb.PHONE_USER, WRONG_PASSWORD, sources, count=limit + 2, timeout=2)
    phone_statuses, pings = [], []

    def flood_over():
        # While the flood runs: the phone registers, fail2ban answers.
        phone_statuses.extend(tb.register(phone, target, tb.PHONE_USER, tb.PHONE_PASSWORD, timeout=5))
        pings.append(tb.fail2ban_answers(pbx))
        return tb.registers_finished(attacker, runs)
    results = tb.wait_for(flood_over, timeout=180, interval=0, what="the flood to end")

    assert phone_statuses and set(phone_statuses) == {"200"}, "the phone during the flood: %s" % phone_statuses
    assert all(pings), "fail2ban stopped answering during the flood: %s" % pings
    for run, statuses in results.items():
        assert len(statuses) == limit + 2 and set(statuses) <= {"403", "timeout"}, "%s: %s" % (run, statuses)

    # Every source is banned, in fail2ban and in the firewall.
    wait_banned(pbx, *sources)
    missing = [source for source in sources if not tb.firewall_blocks(pbx, source)]
    assert not missing, "banned but not in the firewall: %s" % missing

    # A second wave from every source gets no answer and never gets past the firewall.
    seen = {source: tb.delivered_packets(pbx, source) for source in sources}
    runs = tb.start_registers(attacker, target, tb.PHONE_USER, WRONG_PASSWORD, sources, count=1, timeout=2)
    results = tb.wait_for(lambda: tb.registers_finished(attacker, runs), timeout=60, what="the second wave to end")
    assert all(statuses == ["timeout"] for statuses in results.values()), results
    assert {source: tb.delivered_packets(pbx, source) for source in sources} == seen

    # fail2ban is alive and the phone still registers, unbanned.
    assert tb.fail2ban_answers(pbx)
    tb.register(phone, target, tb.PHONE_USER, tb.PHONE_PASSWORD, count=2, expect="200")
    assert tb.address_of(phone) not in tb.jail_status(pbx, JAIL)["banned"]


def test_ipv6_attacker_banned(pbx, attacker, phone):
    target, source = tb.ipv6_address_of(pbx), tb.ipv6_address_of(attacker)
    assert target and source, "the scenario's network has no IPv6"
    limit = maxretry(pbx)
    before = tb.jail_status(pbx, JAIL)["total_failed"]

    # Answered over IPv6 and counted, not banned, one short of the limit.
    tb.register(attacker, target, tb.PHONE_USER, WRONG_PASSWORD, count=limit - 1, expect="403")
    failures_counted(pbx, before, limit - 1)
    assert source not in tb.jail_status(pbx, JAIL)["banned"]

    tb.register(attacker, target, tb.PHONE_USER, WRONG_PASSWORD, expect="403")
    wait_banned(pbx, source)
    # The IPv6 ban lands in the ip6 set of the jail's nftables table.
    ip6_set = pbx.check_output("nft list set inet f2b-table addr6-set-%s" % JAIL)
    assert re.search(r"(?<![0-9a-f:])%s(?![0-9a-f:])" % re.escape(source), ip6_set), ip6_set
    assert_dropped(pbx, attacker, target, source)

    # The phone over IPv6 is unaffected.
    tb.register(phone, target, tb.PHONE_USER, tb.PHONE_PASSWORD, expect="200")


# --- fail2ban reloads, restarts, crashes ----------------------------------------------------------

def test_bans_survive_reload_and_restart(pbx, attacker):
    target4, target6 = tb.address_of(pbx), tb.ipv6_address_of(pbx)
    banned = {target4: ban(pbx, attacker, target4), target6: ban(pbx, attacker, target6)}

    for how in ("fail2ban-client reload", "fail2ban-client reload --restart", "systemctl restart fail2ban"):
        pbx.check_output(how)
        tb.wait_for(lambda: tb.fail2ban_answers(pbx) and pbx.run("fail2ban-client status %s" % JAIL).rc == 0,
                    timeout=60, what="fail2ban back after %s" % how)
        wait_banned(pbx, *banned.values())
        for target, source in banned.items():
            assert_dropped(pbx, attacker, target, source)


def test_killed_fail2ban_restarted_by_systemd_with_its_bans(pbx, attacker):
    # Debian's fail2ban.service has Restart=on-failure: a crash is followed by a restart that restores the bans.
    target = tb.address_of(pbx)
    source = ban(pbx, attacker, target)
    killed = tb.fail2ban_main_pid(pbx)
    pbx.check_output("kill -KILL %d" % killed)
    tb.wait_for(lambda: tb.fail2ban_main_pid(pbx) not in (0, killed) and tb.fail2ban_answers(pbx),
                timeout=60, what="systemd to restart fail2ban")
    wait_banned(pbx, source)
    assert_dropped(pbx, attacker, target, source)


def test_killed_fail2ban_brought_back_by_converge_with_its_bans(pbx, attacker):
    target = tb.address_of(pbx)
    source = ban(pbx, attacker, target)
    # Where nothing restarts it (other init systems, systemd after too many crashes): fail2ban stays dead.
    pbx.check_output("mkdir -p %s && printf '[Service]\\nRestart=no\\n' > %s && systemctl daemon-reload"
                     % (os.path.dirname(NO_RESTART_DROPIN), NO_RESTART_DROPIN))
    try:
        pbx.check_output("kill -KILL %d" % tb.fail2ban_main_pid(pbx))
        tb.wait_for(lambda: pbx.run("systemctl is-active fail2ban").stdout.strip() in ("failed", "inactive"),
                    what="fail2ban dead")
        assert not tb.fail2ban_answers(pbx)

        run_converge("after-kill")

        assert pbx.service("fail2ban").is_running and tb.fail2ban_answers(pbx)
        wait_banned(pbx, source)
        assert_dropped(pbx, attacker, target, source)
    finally:
        pbx.run("rm -f %s && systemctl daemon-reload && systemctl start fail2ban" % NO_RESTART_DROPIN)


# --- FreeSWITCH log rotation ------------------------------------------------------------------------

def freeswitch_log(pbx):
    return tb.freeswitch_paths(pbx)["log"]


def rotate_by_sighup(pbx):
    """mod_logfile with rotate-on-hup (vanilla): renames freeswitch.log aside and starts a new one."""
    tb.fs_cli(pbx, "fsctl send_sighup")


def rotate_like_logrotate(pbx):
    """logrotate: move the file away, then tell FreeSWITCH to open a new one (postrotate)."""
    pbx.check_output("mv %s %s.1" % (freeswitch_log(pbx), freeswitch_log(pbx)))
    tb.fs_cli(pbx, "fsctl send_sighup")


def rotate_by_size(pbx):
    """mod_logfile's size rollover: a limit just below the current size, so the next line written rolls the log over."""
    logfile_conf = tb.freeswitch_paths(pbx)["conf"] + "/autoload_configs/logfile.conf.xml"
    original = pbx.file(logfile_conf).content_string
    size = int(pbx.check_output("stat -c %%s %s" % freeswitch_log(pbx)))
    changed, replaced = re.subn(r'(<param name="rollover" value=")\d+(")', r"\g<1>%d\g<2>" % (size + 1), original)
    assert replaced == 1, "no rollover param in %s" % logfile_conf
    try:
        tb.write_text(pbx, logfile_conf, changed)
        tb.fs_cli(pbx, "reload mod_logfile")
        tb.wait_for(lambda: int(pbx.check_output("stat -c %%s %s" % freeswitch_log(pbx))) < size, what="the size rollover")
    finally:
        tb.write_text(pbx, logfile_conf, original)
        tb.fs_cli(pbx, "reload mod_logfile")


@pytest.mark.parametrize("rotate", [rotate_by_sighup, rotate_like_logrotate, rotate_by_size], ids=["sighup", "logrotate", "rollover"])
def test_log_rotation_mid_attack_still_bans(pbx, attacker, rotate):
    target, source = tb.address_of(pbx), tb.address_of(attacker)
    limit = maxretry(pbx)
    assert limit > 2
    before = tb.jail_status(pbx, JAIL)["total_failed"]
    tb.register(attacker, target, tb.PHONE_USER, WRONG_PASSWORD, count=limit - 2, expect="403")
    failures_counted(pbx, before, limit - 2)

    inode = pbx.check_output("stat -c %%i %s" % freeswitch_log(pbx))
    rotate(pbx)
    # FreeSWITCH rotates on its event thread, after fs_cli has returned.
    tb.wait_for(lambda: pbx.run("stat -c %%i %s" % freeswitch_log(pbx)).stdout.strip() not in ("", inode),
                what="FreeSWITCH to start a new freeswitch.log")

    # The last two failures are written to the new file: fail2ban follows it and bans.
    tb.register(attacker, target, tb.PHONE_USER, WRONG_PASSWORD, count=2, expect="403")
    wait_banned(pbx, source)
    assert_dropped(pbx, attacker, target, source)


# --- converges killed mid-run -----------------------------------------------------------------------

def ansible_playbook():
    beside_python = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    return beside_python if os.path.exists(beside_python) else "ansible-playbook"


def start_converge(name, extra_vars=None):
    """Start the scenario's converge playbook in its own process group; returns (process, log path)."""
    command = [ansible_playbook(), "-i", os.environ["MOLECULE_INVENTORY_FILE"], os.path.join(SCENARIO_DIR, "converge.yml")]
    if extra_vars:
        command += ["--extra-vars", json.dumps(extra_vars)]
    log_path = os.path.join(LOG_DIR, "resilience-converge-%s.log" % name)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                   start_new_session=True, env=dict(os.environ, PYTHONUNBUFFERED="1", ANSIBLE_FORCE_COLOR="0"))
    return process, log_path


def read_log(log_path):
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def run_converge(name, extra_vars=None):
    """Run the converge playbook to its end; returns how many tasks changed something on the PBX."""
    process, log_path = start_converge(name, extra_vars)
    returncode = process.wait(timeout=600)
    output = read_log(log_path)
    assert returncode == 0, "converge %s failed (%s):\n%s" % (name, log_path, output[-4000:])
    recap = re.search(r"^vg-res-pbx\s*:.*\bchanged=(\d+)", output, re.M)
    assert recap, "no play recap for vg-res-pbx in %s" % log_path
    return int(recap.group(1))


def kill_converge_at(pbx, name, extra_vars, kind, arm_after=None):
    """Run the converge and SIGKILL it when converge_killer.py (watching the PBX) sees `kind` happen:
    every process of the running task in the PBX first, then the controller.

    kind "reload" is armed once the converge's output shows the task `arm_after`. The converge must
    not end before the kill point (a kill point that never comes is a failure, not a pass).
    """
    with open(KILLER, encoding="utf-8") as handle:
        tb.write_text(pbx, KILLER_IN_PBX, handle.read())
    report_path, arm_file = "/tmp/converge-killer-%s.json" % name, "/tmp/converge-killer-%s.armed" % name
    watcher = int(pbx.check_output("rm -f %s %s; nohup python3 %s %s 1 300 %s >%s 2>&1 </dev/null & echo $!"
                                   % (report_path, arm_file, KILLER_IN_PBX, kind, arm_file, report_path)))
    process, log_path = start_converge(name, extra_vars)
    armed = arm_after is None

    def report():
        text = pbx.run("cat %s" % report_path).stdout.strip()
        return json.loads(text) if text.endswith("}") else None

    def killed():
        nonlocal armed
        if not armed and arm_after in read_log(log_path):
            pbx.check_output("touch %s" % arm_file)
            armed = True
        if process.poll() is None:
            return report()
        # Killing the task's processes ends the play on its own; the report is there by then.
        found = report()
        assert found, "the converge %s ended before the kill point %s (%s):\n%s" % (name, kind, log_path, read_log(log_path)[-3000:])
        return found
    try:
        found = tb.wait_for(killed, timeout=300, interval=0.1, what="the kill point %s of converge %s" % (kind, name))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        pbx.run("kill -KILL %d" % watcher)
    assert "killed" in found, "converge_killer: %s" % found
    return found


def parse_ini(text, path):
    parser = configparser.RawConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text, source=path)
    except configparser.Error as error:
        raise AssertionError("%s does not parse: %s" % (path, error)) from error
    return parser


def config_state(pbx):
    """{file: parsed config} of the files the roles write."""
    paths = ["fail2ban.local", "jail.local", "action.d/nftables-common.local"]
    return {path: parse_ini(pbx.file("%s/%s" % (FAIL2BAN_CONFIG, path)).content_string, path) for path in paths}


def assert_config_valid(pbx, reference, maxretry_values):
    """Every file parses, holds the sections it held before, with values old or new; fail2ban accepts it all."""
    test = pbx.run("fail2ban-client -c %s -t" % FAIL2BAN_CONFIG)
    assert test.rc == 0, "fail2ban rejects its configuration: %s %s" % (test.stdout, test.stderr)
    state = config_state(pbx)
    for path, parser in state.items():
        assert parser.sections() == reference[path].sections(), "%s lost or gained sections" % path
    jail_local = state["jail.local"]
    assert jail_local.get("DEFAULT", "maxretry") in maxretry_values
    assert jail_local.get(JAIL, "maxretry") in maxretry_values
    # Temporary files a killed write leaves behind must be invisible to fail2ban (it reads *.conf and *.local).
    leftovers = pbx.check_output("find %s -name '.*' -type f" % FAIL2BAN_CONFIG).split()
    assert not [path for path in leftovers if path.endswith((".conf", ".local"))], leftovers


def test_converge_killed_mid_run_leaves_valid_files_and_the_next_one_repairs(pbx, attacker):
    target = tb.address_of(pbx)
    source = ban(pbx, attacker, target)
    reference = config_state(pbx)
    values = {SCENARIO_FREESWITCH_MAXRETRY, SCENARIO_DEFAULT_MAXRETRY, "11", "12"}
    changed_jail = {"freeswitch_maxretry": 12}

    # Killed after it wrote the jail, before the reload at the end of the play: the file holds the new
    # setting, fail2ban still runs the old one.
    kill_converge_at(pbx, "before-reload", changed_jail, "reload", arm_after=FREESWITCH_JAILS_TASK)
    assert_still_protected(pbx, reference, values, source)
    assert config_state(pbx)["jail.local"].get(JAIL, "maxretry") == "12"
    assert tb.running_setting(pbx, JAIL, "maxretry") == SCENARIO_FREESWITCH_MAXRETRY
    # The same converge again finds nothing to write, yet must get fail2ban to run what the files say.
    run_converge("repeat", changed_jail)
    assert tb.running_setting(pbx, JAIL, "maxretry") == "12"

    # Killed while fail2ban tests the new [DEFAULT] (nothing written yet).
    kill_converge_at(pbx, "validating", {"fail2ban_maxretry": 11}, "validating")
    assert_still_protected(pbx, reference, values, source)
    # Killed as soon as the test of the jail section (back to the scenario's) has ended: the module is writing jail.local.
    kill_converge_at(pbx, "validated", None, "validated")
    assert_still_protected(pbx, reference, values, source)

    # The scenario's settings, applied; then nothing is left to change, and the protection is whole.
    run_converge("scenario-settings")
    assert tb.running_setting(pbx, JAIL, "maxretry") == SCENARIO_FREESWITCH_MAXRETRY
    assert tb.running_setting(pbx, "sshd", "maxretry") == SCENARIO_DEFAULT_MAXRETRY
    assert run_converge("idempotence") == 0, "a converge after the interrupted ones still changed something"
    assert_still_protected(pbx, reference, {SCENARIO_FREESWITCH_MAXRETRY, SCENARIO_DEFAULT_MAXRETRY}, source)
    assert_dropped(pbx, attacker, target, source)


def assert_still_protected(pbx, reference, maxretry_values, source):
    assert_config_valid(pbx, reference, maxretry_values)
    assert tb.fail2ban_answers(pbx), "fail2ban is down after a converge was killed"
    assert source in tb.jail_status(pbx, JAIL)["banned"]
