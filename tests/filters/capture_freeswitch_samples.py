# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capture labelled filter samples from real FreeSWITCH: samples/<filter>/real-freeswitch-<version>.log.

  python3 tests/filters/capture_freeswitch_samples.py      (after `make images`; needs Docker)

For each FreeSWITCH test-bed image (1.10.6, 1.10.12, 1.11.2), on a Docker network of its own
(IPv4 and IPv6): a PBX container with log-auth-failures turned on in every Sofia profile, and SIP
clients that do what phones and attackers do: a good registration, wrong passwords, unknown users,
REGISTERs to the bare IP address, INVITEs with a wrong password, over IPv4 and IPv6. The lines
FreeSWITCH wrote for them are kept verbatim (prefix, idle-CPU field, sofia_reg.c line numbers),
except that the test network's IPv4 prefix becomes the documentation prefix 203.0.113 (the IPv6
network already is 2001:db8:80::/64). Each line is labelled from what it reports, following
FreeSWITCH's messages (shared/reference/freeswitch.md), never by running our filters: "match" for
what the filter must count, with the source address, "no-match" for the rest.
"""

import datetime
import ipaddress
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SAMPLES = os.path.join(HERE, "samples")
SIPP = os.path.join(ROOT, "molecule", "resources", "sipp")
sys.path.insert(0, os.path.join(ROOT, "molecule", "resources", "tests"))

from freeswitch_images import IMAGE, IMAGES, LAYOUTS, RUN_FLAGS, profile_running  # noqa: E402  pylint: disable=wrong-import-position

NETWORK = "vg-capture"
SUBNET4, SUBNET6 = "172.28.80.0/24", "2001:db8:80::/64"
PREFIX4, DOCUMENTATION4 = "172.28.80.", "203.0.113."
PBX4, PBX6 = "172.28.80.10", "2001:db8:80::10"
CLIENTS = {"attacker": ("172.28.80.66", "2001:db8:80::66"), "phone": ("172.28.80.20", "2001:db8:80::20")}
DOMAIN = "pbx.example.com"

WARNING_RE = re.compile(r"\[WARNING\] sofia_reg\.c:\d+ (?P<msg>.*)$")
CONTINUATION = ("You must define a domain called ", "and you must configure your device ")
BRUTEFORCE_RE = re.compile(r"^(?:SIP auth failure \((?:REGISTER|INVITE)\) on sofia profile '[^']+' for \[.*\] from ip "
                           r"|Can't find user \[.*\] from )(?P<addr>\S+)$")
BARE_IP_RE = re.compile(r"^SIP auth (?:challenge|failure) \(REGISTER\) on sofia profile '[^']+' for "
                        r"\[.*@(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\])\] from ip (?P<addr>\S+)$")
LABELS = {"voipguard-freeswitch": BRUTEFORCE_RE, "voipguard-freeswitch-ip": BARE_IP_RE}


def docker(*args, check=True):
    result = subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise SystemExit("docker %s failed: %s%s" % (" ".join(args[:4]), result.stdout, result.stderr))
    return result


def wait_for(condition, what, timeout=60):
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise SystemExit("timed out waiting for %s" % what)
        time.sleep(0.5)


def cleanup():
    names = docker("ps", "-aq", "--filter", "name=^/vg-capture-").stdout.split()
    if names:
        docker("rm", "-f", *names, check=False)
    docker("network", "rm", NETWORK, check=False)


def start_clients():
    for name, (ip4, ip6) in CLIENTS.items():
        container = "vg-capture-" + name
        docker("run", "-d", "--name", container, "--network", NETWORK, "--ip", ip4, "--ip6", ip6,
               "--sysctl", "net.ipv6.conf.all.disable_ipv6=0", "voipguard/sip-client:12", "sleep", "infinity")
        docker("exec", container, "mkdir", "-p", "/usr/local/share/voipguard/sipp")
        for name_ in ("register.xml", "invite.xml", "sip_register.py"):
            docker("cp", os.path.join(SIPP, name_), "%s:/usr/local/share/voipguard/sipp/" % container)


def sip(client, *args):
    out = docker("exec", "vg-capture-" + client, "python3", "/usr/local/share/voipguard/sipp/sip_register.py",
                 "--timeout", "3", *args, check=False).stdout
    return re.findall(r"result=(\S+)", out)


def start_pbx(tag, layout):
    conf, log, fs_cli = (LAYOUTS[layout][key] for key in ("conf", "log", "fs_cli"))
    docker("run", "-d", "--name", "vg-capture-pbx", "--network", NETWORK, "--ip", PBX4, "--ip6", PBX6, *RUN_FLAGS,
           IMAGE % tag, "/lib/systemd/systemd")
    wait_for(lambda: profile_running(docker("exec", "vg-capture-pbx", fs_cli, "-x", "sofia status", check=False).stdout),
             "FreeSWITCH")
    # What the freeswitch role does: log-auth-failures on every profile (the IPv6 ones do not have the
    # param at all), reloadxml, rescan.
    docker("exec", "vg-capture-pbx", "sh", "-c", "for f in %s/sip_profiles/*.xml; do sed -i -e '/log-auth-failures/d' "
           "-e 's|<settings>|<settings><param name=\"log-auth-failures\" value=\"true\"/>|' \"$f\"; done" % conf)
    docker("exec", "vg-capture-pbx", fs_cli, "-x", "reloadxml")
    for profile in ("internal", "external", "internal-ipv6", "external-ipv6"):
        docker("exec", "vg-capture-pbx", fs_cli, "-x", "sofia profile %s rescan" % profile)
    wait_for(lambda: "sip:mod_sofia@[%s]:5060" % PBX6 in docker(
        "exec", "vg-capture-pbx", fs_cli, "-x", "sofia status", check=False).stdout, "the IPv6 profile on %s" % PBX6)
    return log


def traffic():
    """What phones and attackers send; every attempt waits for FreeSWITCH's final answer."""
    v4, v6 = PBX4, "[%s]" % PBX6
    expected = [
        sip("phone", "--target", v4, "--user", "1000", "--password", "secret-1000", "--domain", DOMAIN) == ["200"],
        sip("phone", "--target", v6, "--user", "1001", "--password", "secret-1001", "--domain", DOMAIN) == ["200"],
        sip("attacker", "--target", v4, "--user", "1000", "--password", "wrong", "--domain", DOMAIN, "--count", "2") == ["403"] * 2,
        sip("attacker", "--target", v4, "--user", "9999", "--password", "wrong", "--domain", DOMAIN) == ["403"],
        sip("attacker", "--target", v4, "--user", "1000", "--password", "wrong") == ["403"],
        sip("attacker", "--target", v4, "--method", "invite", "--user", "1000", "--callee", "1001", "--password", "wrong",
            "--domain", DOMAIN) == ["403"],
        sip("attacker", "--target", v6, "--user", "1000", "--password", "wrong", "--domain", DOMAIN) == ["403"],
        sip("attacker", "--target", v6, "--user", "1002", "--password", "wrong") == ["403"],
        sip("attacker", "--target", v4 + ":5080", "--user", "1000", "--password", "wrong", "--domain", DOMAIN) != [],
    ]
    if not all(expected):
        raise SystemExit("a SIP exchange did not end as expected: %r" % expected)


def document(line):
    return re.sub(r"(?<![\d.])%s(\d{1,3})(?![\d.])" % re.escape(PREFIX4), DOCUMENTATION4 + r"\1", line)


def labelled(lines, pattern):
    out = []
    for line in lines:
        warning = WARNING_RE.search(line)
        match = pattern.match(warning.group("msg")) if warning else None
        if match:
            out.append("# match %s" % ipaddress.ip_address(match.group("addr")))
        else:
            out.append("# no-match")
        out.append(line)
    return out


def capture(tag):
    version, layout = IMAGES[tag]
    log = start_pbx(tag, layout)
    offset = int(docker("exec", "vg-capture-pbx", "stat", "-c", "%s", log).stdout)
    traffic()
    text = docker("exec", "vg-capture-pbx", "tail", "-c", "+%d" % (offset + 1), log).stdout
    docker("rm", "-f", "vg-capture-pbx")
    addresses = [address for pair in CLIENTS.values() for address in pair]
    lines, follow = [], 0
    for line in text.splitlines():
        if follow and line.startswith(CONTINUATION):
            lines.append(line)
            follow -= 1
            continue
        follow = 0
        if WARNING_RE.search(line) and any(re.search(r"(?<![\w.:])%s(?![\w.:])" % re.escape(a), line) for a in addresses):
            lines.append(line)
            follow = 2 if "Can't find user" in line else 0
    lines = [document(line) for line in lines]
    # The sample format takes each line once; one unknown user per capture keeps FreeSWITCH's
    # identical continuation lines from repeating.
    repeated = sorted(set(line for line in lines if lines.count(line) > 1))
    if repeated:
        raise SystemExit("FreeSWITCH %s wrote these lines more than once: %r" % (version, repeated))
    return version, layout, lines


def main():
    cleanup()
    docker("network", "create", "--ipv6", "--subnet", SUBNET4, "--subnet", SUBNET6, NETWORK)
    today = datetime.date.today().isoformat()
    try:
        start_clients()
        for tag in IMAGES:
            version, layout, lines = capture(tag)
            for name, pattern in LABELS.items():
                body = labelled(lines, pattern)
                path = os.path.join(SAMPLES, name, "real-freeswitch-%s.log" % version)
                header = [
                    "## Real FreeSWITCH %s (%s layout, image voipguard/freeswitch:%s built from pinned sources)," % (version, layout, tag),
                    "## captured %s by tests/filters/capture_freeswitch_samples.py: lines as FreeSWITCH wrote them," % today,
                    "## the test network's %s0/24 written as %s0/24. Labels: see tests/filters/filter_samples.py." % (PREFIX4, DOCUMENTATION4),
                    "",
                ]
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write("\n".join(header + body) + "\n")
                print("wrote %s (%d lines, %d to match)" % (os.path.relpath(path, ROOT), len(body) // 2,
                                                            sum(1 for item in body if item.startswith("# match"))))
    finally:
        cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
