# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sip-register: digest REGISTER (or INVITE) attempts with SIPp, one line per attempt.

Installed as /usr/local/bin/sip-register in the SIP test bed's client containers. Each attempt is
one sipp run (-m 1) with the scenario register.xml (or invite.xml): first request, 401/407,
request with credentials, final answer. Prints the final status code of every attempt, or
`timeout` when nothing came back within --timeout seconds (a firewall dropping the packets), or
`error` when sipp failed otherwise (TCP connection refused, unexpected answer).

Examples:
  sip-register --target 192.0.2.10 --user 1000 --password secret-1000 --domain pbx.example.com --expect 200
  sip-register --target 192.0.2.10 --user 1000 --password wrong --count 20 --expect 403
  sip-register --target 192.0.2.10:5080 --transport tcp --user admin,100,101 --password x --expect 403
  sip-register --target 192.0.2.10 --user 1001 --password secret-1001 --count 0 --interval 20   # a phone

Exit status: 0 when every attempt ended with one of the --expect values, 1 otherwise, 2 for usage
errors, 3 when sipp is missing.
"""

from __future__ import absolute_import, division, print_function

import argparse
import ipaddress
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

__metaclass__ = type

SCENARIO_DIRS = [
    os.environ.get("SIP_REGISTER_SCENARIOS", ""),
    os.path.dirname(os.path.abspath(__file__)),
    "/usr/local/share/voipguard/sipp",
]
RESULT_RE = re.compile(r"\bRESULT (\d{3})\b")
STATUS_LINE_RE = re.compile(r"^SIP/2\.0 (\d{3}) ", re.M)


def parse_target(text, default_port=5060):
    """'192.0.2.1', 'pbx.example.com:5080', '[2001:db8::1]:5060', '2001:db8::1' -> (host, port)."""
    text = text.strip()
    if text.startswith("["):
        host, _sep, rest = text[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else default_port
        return host, port
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, int(port)
    return text, default_port


def is_ip(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def uri_host(host):
    return "[%s]" % host if ":" in host else host


def source_address(host, port):
    """The address this machine sends from to reach host (the container's own address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    infos = socket.getaddrinfo(host, port, family, socket.SOCK_DGRAM)
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.connect(infos[0][4])
        return sock.getsockname()[0]


def find_scenario(name):
    for directory in SCENARIO_DIRS:
        if directory and os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    raise SystemExit("sip-register: scenario %s not found (set SIP_REGISTER_SCENARIOS)" % name)


def classify(log_text, messages_text, timed_out):
    """The final answer of one attempt."""
    results = RESULT_RE.findall(log_text)
    if results:
        return results[-1]
    if timed_out:
        return "timeout"
    received = [code for code in STATUS_LINE_RE.findall(messages_text) if int(code) >= 200]
    if received:
        return received[-1]
    return "timeout" if "message received" not in messages_text.lower() else "error"


def run_attempt(args, sipp, scenario, user, password, work_dir, number):
    host, port = parse_target(args.target)
    source = args.source_ip or source_address(host, port)
    domain = args.domain or uri_host(host)
    log_file = os.path.join(work_dir, "attempt-%d.log" % number)
    message_file = os.path.join(work_dir, "attempt-%d.msg" % number)
    command = [
        sipp, "%s:%d" % (uri_host(host), port),
        "-sf", scenario,
        "-m", "1", "-l", "1",
        "-t", "u1" if args.transport == "udp" else "t1",
        "-i", source, "-bind_local",
        "-key", "user", user,
        "-key", "callee", args.callee,
        "-key", "domain", domain,
        "-key", "expires", str(args.expires),
        "-key", "user_agent", args.user_agent,
        "-s", user, "-au", args.auth_user or user, "-ap", password,
        "-recv_timeout", "%dms" % int(args.timeout * 1000),
        "-timeout", "%dms" % int(args.timeout * 1000),
        "-max_retrans", "10",
        "-nd", "-nostdin",
        "-trace_logs", "-log_file", log_file,
        "-trace_msg", "-message_file", message_file,
    ]
    if args.source_port:
        command += ["-p", str(args.source_port)]
    started = time.monotonic()
    timed_out = False
    try:
        subprocess.run(command, cwd=work_dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=args.timeout + 1.0, check=False)
    except subprocess.TimeoutExpired:
        timed_out = True  # e.g. a TCP connect to a host whose firewall drops the SYN
    elapsed = time.monotonic() - started
    texts = []
    for path in (log_file, message_file):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                texts.append(handle.read())
        except OSError:
            texts.append("")
    result = classify(texts[0], texts[1], timed_out or elapsed >= args.timeout)
    return result, source, domain, elapsed


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="sip-register", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--target", required=True, help="HOST[:PORT] of the PBX (port 5060 by default)")
    parser.add_argument("--transport", choices=("udp", "tcp"), default="udp")
    parser.add_argument("--user", required=True, help="user id, or a comma-separated list (a scan)")
    parser.add_argument("--password", required=True)
    parser.add_argument("--auth-user", default=None, help="digest username (default: --user)")
    parser.add_argument("--domain", default=None,
                        help="host part of the From/To/Request URIs (default: the target host; an IP makes a bare-IP registration)")
    parser.add_argument("--method", choices=("register", "invite"), default="register")
    parser.add_argument("--callee", default="1001", help="user called by --method invite")
    parser.add_argument("--count", type=int, default=1, help="rounds of attempts (each round tries every user); 0 = until killed")
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between attempts")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the answers of one attempt")
    parser.add_argument("--expect", default="200", help="comma-separated acceptable results: a status code or timeout/error")
    parser.add_argument("--expires", type=int, default=3600)
    parser.add_argument("--user-agent", default="voipguard-sip-register (sipp)")
    parser.add_argument("--source-ip", default=None, help="address to send from (default: the one routing picks)")
    parser.add_argument("--source-port", type=int, default=None)
    parser.add_argument("--sipp", default=os.environ.get("SIPP", "sipp"))
    parser.add_argument("--keep-traces", default=None, help="directory to keep sipp's message traces in")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sipp = shutil.which(args.sipp)
    if not sipp:
        sys.stderr.write("sip-register: sipp not found (Debian package sip-tester)\n")
        return 3
    if args.timeout <= 0 or args.count < 0:
        sys.stderr.write("sip-register: --timeout must be > 0 and --count >= 0\n")
        return 2
    scenario = find_scenario("%s.xml" % args.method)
    users = [user.strip() for user in args.user.split(",") if user.strip()]
    expected = set(item.strip().lower() for item in args.expect.split(",") if item.strip())
    totals = {}
    attempts = mismatches = 0
    work_dir = args.keep_traces or tempfile.mkdtemp(prefix="sip-register-")
    os.makedirs(work_dir, exist_ok=True)
    try:
        round_number = 0
        while args.count == 0 or round_number < args.count:
            round_number += 1
            for user in users:
                if attempts and args.interval:
                    time.sleep(args.interval)
                attempts += 1
                result, source, domain, elapsed = run_attempt(args, sipp, scenario, user, args.password, work_dir, attempts)
                totals[result] = totals.get(result, 0) + 1
                ok = result in expected
                mismatches += 0 if ok else 1
                print("attempt=%d method=%s user=%s domain=%s transport=%s source=%s result=%s elapsed=%.3fs%s"
                      % (attempts, args.method.upper(), user, domain, args.transport, source, result, elapsed,
                         "" if ok else " UNEXPECTED"), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        if not args.keep_traces:
            shutil.rmtree(work_dir, ignore_errors=True)
    print("summary attempts=%d %s expected=%s matched=%d unexpected=%d"
          % (attempts, " ".join("%s=%d" % item for item in sorted(totals.items())), ",".join(sorted(expected)),
             attempts - mismatches, mismatches), flush=True)
    return 0 if attempts and not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
