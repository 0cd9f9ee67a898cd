# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FreeSWITCH stand-in driven over loopback by real sipp through the sip-register wrapper.

Sources are distinct loopback addresses (127.0.0.0/8 all reaches lo on Linux), so counts and log
lines can be attributed to one simulated client.
"""

from __future__ import absolute_import, division, print_function

import os
import re
import socket
import subprocess
import sys

import pytest

from standin_helpers import FS_CLI, set_param, sip_register, wait_for

__metaclass__ = type

PREFIX_1_10_7 = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} \d{1,3}\.\d\d% "
PREFIX_1_10_6 = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} "
DOMAIN = "pbx.example.com"


def warning_line(prefix, message):
    return re.compile(r"^%s\[WARNING\] sofia_reg\.c:\d+ %s$" % (prefix, re.escape(message)), re.M)


def challenge(profile, user, host, ip, method="REGISTER"):
    return "SIP auth challenge (%s) on sofia profile '%s' for [%s@%s] from ip %s" % (method, profile, user, host, ip)


def failure(profile, user, host, ip, method="REGISTER"):
    return "SIP auth failure (%s) on sofia profile '%s' for [%s@%s] from ip %s" % (method, profile, user, host, ip)


def register(sipp, standin, source, user="1000", password="secret-1000", *extra, port=None):
    return sip_register(sipp, "--target", "127.0.0.1:%d" % (port or standin.internal_port), "--source-ip", source,
                        "--user", user, "--password", password, "--timeout", 5, *extra)


def test_good_password_registers(sipp, start_standin):
    standin = start_standin()
    status, results, output = register(sipp, standin, "127.0.0.11", "1000", "secret-1000", "--domain", DOMAIN, "--expect", 200)
    assert (status, results) == (0, ["200"]), output
    registrations = standin.fs_cli_json("standin registrations")
    entry = registrations["internal/1000@%s" % DOMAIN]
    assert entry["network_ip"] == "127.0.0.11"
    assert entry["transport"] == "udp"
    assert "sip:1000@127.0.0.11" in entry["contact"]


def test_wrong_password_logs_challenge_then_failure(sipp, start_standin):
    standin = start_standin(log_auth_failures=True)
    status, results, output = register(sipp, standin, "127.0.0.12", "1000", "wrong", "--expect", 403)
    assert (status, results) == (0, ["403"]), output
    log = standin.log_text()
    first = warning_line(PREFIX_1_10_7, challenge("internal", "1000", "127.0.0.1", "127.0.0.12")).search(log)
    second = warning_line(PREFIX_1_10_7, failure("internal", "1000", "127.0.0.1", "127.0.0.12")).search(log)
    assert first and second, log
    assert first.start() < second.start()
    assert "Can't find user" not in log


def test_log_auth_failures_false_hides_challenge_and_failure_but_not_unknown_users(sipp, start_standin):
    standin = start_standin(log_auth_failures=False)
    status, results, output = register(sipp, standin, "127.0.0.13", "1000,admin", "wrong", "--expect", 403)
    assert (status, results) == (0, ["403", "403"]), output
    log = standin.log_text()
    assert "SIP auth challenge" not in log
    assert "SIP auth failure" not in log
    unknown = re.compile(
        r"^%s\[WARNING\] sofia_reg\.c:\d+ Can't find user \[admin@pbx\.example\.com\] from 127\.0\.0\.13\n"
        r"You must define a domain called 'pbx\.example\.com' in your directory and add a user with the id=\"admin\" attribute\n"
        r"and you must configure your device to use the proper domain in its authentication credentials\.\n" % PREFIX_1_10_7, re.M)
    assert unknown.search(log), log


def test_unknown_user_with_log_auth_failures_logs_all_three(sipp, start_standin):
    standin = start_standin(log_auth_failures=True)
    status, results, output = register(sipp, standin, "127.0.0.14", "scanner", "x", "--expect", 403)
    assert (status, results) == (0, ["403"]), output
    log = standin.log_text()
    assert warning_line(PREFIX_1_10_7, challenge("internal", "scanner", "127.0.0.1", "127.0.0.14")).search(log)
    assert "Can't find user [scanner@pbx.example.com] from 127.0.0.14" in log
    assert warning_line(PREFIX_1_10_7, failure("internal", "scanner", "127.0.0.1", "127.0.0.14")).search(log)


@pytest.mark.parametrize("version, prefix, forbidden", [
    ("1.10.6", PREFIX_1_10_6, PREFIX_1_10_7),
    ("1.10.7", PREFIX_1_10_7, None),
    ("1.10.12", PREFIX_1_10_7, None),
])
def test_line_prefix_follows_the_version(sipp, start_standin, version, prefix, forbidden):
    standin = start_standin(version=version, log_auth_failures=True)
    status, results, output = register(sipp, standin, "127.0.0.15", "1001", "wrong", "--expect", 403)
    assert status == 0, output
    log = standin.log_text()
    assert warning_line(prefix, failure("internal", "1001", "127.0.0.1", "127.0.0.15")).search(log), log
    if forbidden:
        assert not re.search(r"^%s\[" % forbidden, log, re.M), log


def test_line_numbers_differ_between_messages_and_versions(sipp, start_standin):
    numbers = {}
    for version in ("1.10.6", "1.10.12"):
        standin = start_standin(version=version, log_auth_failures=True)
        register(sipp, standin, "127.0.0.16", "1002", "wrong", "--expect", 403)
        log = standin.log_text()
        numbers[version] = (re.search(r"sofia_reg\.c:(\d+) SIP auth challenge", log).group(1),
                            re.search(r"sofia_reg\.c:(\d+) SIP auth failure", log).group(1))
    assert numbers["1.10.6"][0] != numbers["1.10.6"][1]
    assert numbers["1.10.6"] != numbers["1.10.12"]


def test_tcp_registration_and_failure(sipp, start_standin):
    standin = start_standin(log_auth_failures=True)
    status, results, output = register(sipp, standin, "127.0.0.17", "1003", "secret-1003", "--transport", "tcp",
                                       "--domain", DOMAIN, "--expect", 200)
    assert (status, results) == (0, ["200"]), output
    assert standin.fs_cli_json("standin registrations")["internal/1003@%s" % DOMAIN]["transport"] == "tcp"
    status, results, output = register(sipp, standin, "127.0.0.18", "1003", "wrong", "--transport", "tcp", "--expect", 403)
    assert (status, results) == (0, ["403"]), output
    assert failure("internal", "1003", "127.0.0.1", "127.0.0.18") in standin.log_text()


def test_counts_every_request_per_source(sipp, start_standin):
    standin = start_standin()
    assert standin.fs_cli("standin reset-counts").startswith("+OK")
    register(sipp, standin, "127.0.0.21", "1000", "wrong", "--count", 3, "--expect", 403)
    register(sipp, standin, "127.0.0.22", "1000", "wrong", "--expect", 403)
    counts = standin.fs_cli_json("standin counts")
    # every attempt is two requests: the unauthenticated REGISTER and the one with credentials
    assert counts.get("127.0.0.21") == 6, counts
    assert counts.get("127.0.0.22") == 2, counts
    standin.fs_cli("standin reset-counts")
    assert standin.fs_cli_json("standin counts") == {}


def test_rescan_applies_a_changed_log_auth_failures_after_reloadxml(sipp, start_standin):
    standin = start_standin(log_auth_failures=False)
    register(sipp, standin, "127.0.0.23", "1000", "wrong", "--expect", 403)
    assert "SIP auth failure" not in standin.log_text()

    set_param(standin.conf_dir, "internal.xml", "log-auth-failures", "true")
    # Like FreeSWITCH, a rescan applies the XML loaded by the last reloadxml.
    assert "+OK scan complete" in standin.fs_cli("sofia profile internal rescan")
    assert standin.fs_cli_json("standin profiles")["internal"]["log-auth-failures"] is False
    assert "+OK" in standin.fs_cli("reloadxml")
    assert "+OK scan complete" in standin.fs_cli("sofia profile internal rescan")
    assert standin.fs_cli_json("standin profiles")["internal"]["log-auth-failures"] is True

    register(sipp, standin, "127.0.0.24", "1000", "wrong", "--expect", 403)
    log = standin.log_text()
    assert failure("internal", "1000", "127.0.0.1", "127.0.0.24") in log
    assert "127.0.0.23" not in "".join(line for line in log.splitlines() if "SIP auth" in line)


def test_register_acl_rejection_is_always_logged(sipp, start_standin):
    def edit(instance):
        set_param(instance.conf_dir, "internal.xml", "apply-register-acl", "testnet")
        acl = os.path.join(instance.conf_dir, "autoload_configs", "acl.conf.xml")
        with open(acl) as handle:
            text = handle.read()
        text = text.replace("<network-lists>", '<network-lists>\n    <list name="testnet" default="allow">\n'
                            '      <node type="deny" cidr="127.0.0.31/32"/>\n    </list>', 1)
        with open(acl, "w") as handle:
            handle.write(text)

    standin = start_standin(log_auth_failures=False, edit=edit)
    status, results, output = register(sipp, standin, "127.0.0.31", "1000", "secret-1000", "--expect", 403)
    assert (status, results) == (0, ["403"]), output
    assert warning_line(PREFIX_1_10_7, 'IP 127.0.0.31 Rejected by register acl "testnet"').search(standin.log_text())
    # a source the ACL allows registers (without a challenge, as sofia_reg.c's REG_AUTO_REGISTER)
    status, results, output = register(sipp, standin, "127.0.0.32", "1000", "anything", "--expect", 200)
    assert (status, results) == (0, ["200"]), output


def test_warning_lines_need_warning_in_the_logfile_map(sipp, start_standin):
    def edit(instance):
        path = os.path.join(instance.conf_dir, "autoload_configs", "logfile.conf.xml")
        with open(path) as handle:
            text = handle.read()
        with open(path, "w") as handle:
            handle.write(text.replace('value="debug,info,notice,warning,err,crit,alert"', 'value="debug,info,notice,err,crit,alert"'))

    standin = start_standin(log_auth_failures=True, edit=edit)
    register(sipp, standin, "127.0.0.33", "1000", "wrong", "--expect", 403)
    register(sipp, standin, "127.0.0.34", "1000", "secret-1000", "--domain", DOMAIN, "--expect", 200)
    log = standin.log_text()
    assert "[DEBUG] sofia_reg.c" in log  # the registration noise still gets through
    assert "[WARNING]" not in log


def test_session_lines_start_with_a_uuid_and_invite_brute_force_is_logged(sipp, start_standin):
    standin = start_standin(log_auth_failures=True)
    status, results, output = sip_register(sipp, "--target", "127.0.0.1:%d" % standin.internal_port, "--source-ip", "127.0.0.35",
                                           "--method", "invite", "--user", "1000", "--password", "wrong", "--expect", 403)
    assert (status, results) == (0, ["403"]), output
    log = standin.log_text()
    assert re.search(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} %s\[NOTICE\] " % PREFIX_1_10_7, log, re.M), log
    assert warning_line(PREFIX_1_10_7, failure("internal", "1001", "127.0.0.1", "127.0.0.35", "INVITE")).search(log), log


def test_no_answer_is_reported_as_timeout(sipp, start_standin):
    standin = start_standin()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, never answers
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        status, results, output = sip_register(sipp, "--target", "127.0.0.1:%d" % port, "--user", "1000",
                                               "--password", "x", "--timeout", 1, "--expect", "timeout")
    assert (status, results) == (0, ["timeout"]), output
    # and --expect is enforced
    status, results, output = register(sipp, standin, "127.0.0.36", "1000", "wrong", "--expect", 200)
    assert status == 1 and results == ["403"], output


def test_udp_retransmission_gets_the_same_answer_and_no_new_log_line(start_standin):
    standin = start_standin(log_auth_failures=True)
    request = ("REGISTER sip:pbx.example.com SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.37:5099;branch=z9hG4bK-retrans-1;rport\r\n"
               "From: <sip:1000@pbx.example.com>;tag=1\r\nTo: <sip:1000@pbx.example.com>\r\n"
               "Call-ID: retrans-test@127.0.0.37\r\nCSeq: 1 REGISTER\r\n"
               "Contact: <sip:1000@127.0.0.37:5099>\r\nExpires: 60\r\nContent-Length: 0\r\n\r\n").encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.bind(("127.0.0.37", 0))
        client.settimeout(5)
        answers = []
        for _round in range(2):
            client.sendto(request, ("127.0.0.1", standin.internal_port))
            answers.append(client.recv(65535))
    assert answers[0] == answers[1]
    assert answers[0].startswith(b"SIP/2.0 401 Unauthorized\r\n")
    assert b'WWW-Authenticate: Digest realm="pbx.example.com"' in answers[0]
    assert standin.log_text().count("SIP auth challenge (REGISTER)") == 1
    assert standin.fs_cli_json("standin counts")["127.0.0.37"] == 2


def test_options_is_answered(start_standin):
    standin = start_standin()
    request = ("OPTIONS sip:pbx.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.38:5099;branch=z9hG4bK-o1\r\n"
               "From: <sip:ping@example.net>;tag=9\r\nTo: <sip:pbx.example.com>\r\nCall-ID: o1@127.0.0.38\r\n"
               "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.bind(("127.0.0.38", 0))
        client.settimeout(5)
        client.sendto(request, ("127.0.0.1", standin.external_port))
        assert client.recv(65535).startswith(b"SIP/2.0 200 OK\r\n")


@pytest.mark.parametrize("rotate_on_hup", [False, True])
def test_sighup_reopens_or_rotates_the_log(start_standin, rotate_on_hup):
    def edit(instance):
        path = os.path.join(instance.conf_dir, "autoload_configs", "logfile.conf.xml")
        with open(path) as handle:
            text = handle.read()
        with open(path, "w") as handle:
            handle.write(text.replace('name="rotate-on-hup" value="true"', 'name="rotate-on-hup" value="%s"' % str(rotate_on_hup).lower()))

    standin = start_standin(edit=edit)
    log_dir = os.path.dirname(standin.log_path)
    if not rotate_on_hup:
        os.rename(standin.log_path, standin.log_path + ".moved")  # what logrotate does
    assert standin.fs_cli("fsctl send_sighup").startswith("+OK")
    standin.fs_cli("reloadxml")  # writes a line into the (new) file
    wait_for(lambda: "Reloading XML" in standin.log_text(), message="a line in the new log file")
    assert "Started Profile" not in standin.log_text()
    if rotate_on_hup:
        rotated = [name for name in os.listdir(log_dir) if name.startswith("freeswitch.log.")]
        assert len(rotated) == 1, rotated


def test_size_rollover_keeps_numbered_files(sipp, start_standin):
    standin = start_standin(log_auth_failures=True, extra_args=["--rollover", "2000", "--maximum-rotate", "3"])
    register(sipp, standin, "127.0.0.39", "1000", "wrong", "--count", 8, "--expect", 403)
    log_dir = os.path.dirname(standin.log_path)
    wait_for(lambda: os.path.exists(os.path.join(log_dir, "freeswitch.log.1")), message="freeswitch.log.1")
    assert os.path.getsize(standin.log_path) < 2000 + 1000
    assert not os.path.exists(os.path.join(log_dir, "freeswitch.log.4"))


def test_fs_cli_reports_an_unreachable_switch(tmp_path):
    result = subprocess.run([sys.executable, FS_CLI, "--standin-socket", str(tmp_path / "none.sock"), "-x", "status"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 255
    assert "Error Connecting" in result.stdout
