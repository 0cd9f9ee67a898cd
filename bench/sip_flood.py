# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sip_flood.py: a password-guessing REGISTER flood from many source addresses at once, plus a phone.

Runs in the benchmark's attacker container (python3 only, no SIPp): one UDP socket bound to each
source address (the addresses must already be on an interface), all driven by one asyncio loop.

Flood: `--rate` new REGISTER transactions per second in total, spread evenly over the sources (source
k % N starts transaction k at t0 + k / rate, whatever happened to its earlier ones: an open loop, like
a real attacker). Each transaction is a digest authentication with a wrong password: REGISTER, 401,
REGISTER with credentials (a wrong response), 403. No retransmissions: every request sent is counted
once. A transaction without a final answer after --answer-timeout seconds is counted as unanswered.

Phone (optional, --phone-address): a registration with the right password every --phone-interval
seconds from --phone-start on, from its own address (REGISTER, 401, REGISTER with credentials, 200), retransmitted like a
phone does over UDP (RFC 3261 timer A: 0.5 s, 1 s, 2 s...) until a final answer or --phone-timeout.

Prints one JSON document at the end: per source the requests sent and the answers received (the 403s
are the password guesses the PBX evaluated), the phone's registrations, and the tool's own pacing
(the largest lag behind the schedule) and CPU time. SIGINT or SIGTERM ends the flood early (the JSON
is still printed).

  python3 sip_flood.py --target 172.28.60.10 --sources-file sources.txt --rate 1000 --duration 20 \\
      --user 1001 --password wrong --phone-address 172.28.61.201 --phone-user 1000 --phone-password secret-1000
"""

import argparse
import asyncio
import hashlib
import json
import random
import re
import resource
import signal
import socket
import sys
import time

HEADER_RE = re.compile(r"^([A-Za-z-]+)\s*:\s*(.*)$")
COMPACT = {"i": "call-id", "v": "via", "f": "from", "t": "to", "m": "contact", "l": "content-length"}
PARAM_RE = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()  # nosec - SIP digest authentication is MD5


def parse_response(data):
    """(status code, Call-ID, CSeq number, WWW-Authenticate value) of a SIP response, or None."""
    try:
        text = data.decode("utf-8", "replace")
    except Exception:  # pylint: disable=broad-except
        return None
    head = text.split("\r\n\r\n", 1)[0].split("\r\n")
    if not head or not head[0].startswith("SIP/2.0 "):
        return None
    try:
        code = int(head[0].split()[1])
    except (IndexError, ValueError):
        return None
    headers = {}
    for line in head[1:]:
        match = HEADER_RE.match(line)
        if match:
            name = match.group(1).lower()
            headers.setdefault(COMPACT.get(name, name), match.group(2).strip())
    try:
        cseq = int(headers.get("cseq", "0").split()[0])
    except (IndexError, ValueError):
        cseq = 0
    return code, headers.get("call-id", ""), cseq, headers.get("www-authenticate", "")


def authorization(challenge, user, password, uri, method="REGISTER"):
    """The Authorization header value answering a Digest challenge (RFC 2617, qop auth when offered)."""
    params = dict((m.group(1).lower(), m.group(2) if m.group(2) is not None else m.group(3))
                  for m in PARAM_RE.finditer(challenge))
    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    ha1, ha2 = md5("%s:%s:%s" % (user, realm, password)), md5("%s:%s" % (method, uri))
    value = 'Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=MD5' % (user, realm, nonce, uri)
    qops = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
    if "auth" in qops:
        cnonce, nc = "%08x" % random.getrandbits(32), "00000001"
        response = md5("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))
        value += ', response="%s", qop=auth, nc=%s, cnonce="%s"' % (response, nc, cnonce)
    else:
        value += ', response="%s"' % md5("%s:%s:%s" % (ha1, nonce, ha2))
    if "opaque" in params:
        value += ', opaque="%s"' % params["opaque"]
    return value


def register(local, port, user, domain, call_id, tag, cseq, expires, user_agent, auth=None):
    lines = [
        "REGISTER sip:%s SIP/2.0" % domain,
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%016x;rport" % (local, port, random.getrandbits(64)),
        "Max-Forwards: 70",
        "From: <sip:%s@%s>;tag=%s" % (user, domain, tag),
        "To: <sip:%s@%s>" % (user, domain),
        "Call-ID: %s" % call_id,
        "CSeq: %d REGISTER" % cseq,
        "Contact: <sip:%s@%s:%d;transport=udp>" % (user, local, port),
        "Expires: %d" % expires,
        "User-Agent: %s" % user_agent,
        "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE",
    ]
    if auth:
        lines.append("Authorization: %s" % auth)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Endpoint(asyncio.DatagramProtocol):
    """One bound UDP socket; hands every datagram to its owner."""

    def __init__(self, owner):
        self.owner = owner
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.owner.received(data)

    def error_received(self, exc):
        self.owner.errors += 1


class Source:
    """One attacking address: transactions of REGISTER, 401, REGISTER with a wrong response, 403."""

    def __init__(self, flood, address):
        self.flood, self.address = flood, address
        self.endpoint = None
        self.port = 0
        self.pending = {}  # Call-ID -> [start time, stage (1: first REGISTER sent, 2: credentials sent)]
        self.tag = "%08x" % random.getrandbits(32)
        self.attempts = self.requests = self.challenges = self.forbidden = self.errors = 0
        self.unanswered_first = self.unanswered_credentials = 0
        self.other = {}
        self.first_sent = self.last_answer = None
        self.forbidden_times = []

    def start(self, now):
        self.attempts += 1
        call_id = "%d-%08x@%s" % (self.attempts, random.getrandbits(32), self.address)
        self.pending[call_id] = [now, 1]
        self.send(register(self.address, self.port, self.flood.args.user, self.flood.args.domain, call_id, self.tag, 1,
                           3600, self.flood.args.user_agent))
        if self.first_sent is None:
            self.first_sent = now

    def send(self, packet):
        self.requests += 1
        self.endpoint.transport.sendto(packet, self.flood.target)

    def received(self, data):
        parsed = parse_response(data)
        if parsed is None:
            return
        code, call_id, cseq, challenge = parsed
        if code < 200:
            return
        now = self.flood.now()
        self.last_answer = now
        state = self.pending.get(call_id)
        if state is None:
            self.other["late_%d" % code] = self.other.get("late_%d" % code, 0) + 1
            return
        if code == 401 and state[1] == 1 and cseq == 1:
            self.challenges += 1
            state[1] = 2
            auth = authorization(challenge, self.flood.args.user, self.flood.args.password, "sip:%s" % self.flood.args.domain)
            self.send(register(self.address, self.port, self.flood.args.user, self.flood.args.domain, call_id, self.tag, 2,
                               3600, self.flood.args.user_agent, auth=auth))
            return
        del self.pending[call_id]
        if code == 403 and state[1] == 2:
            self.forbidden += 1
            self.forbidden_times.append(round(now, 4))
        else:
            key = "%d_after_%s" % (code, "credentials" if state[1] == 2 else "first")
            self.other[key] = self.other.get(key, 0) + 1

    def expire(self, now, timeout):
        for call_id in [c for c, (started, _stage) in self.pending.items() if now - started > timeout]:
            stage = self.pending.pop(call_id)[1]
            if stage == 1:
                self.unanswered_first += 1
            else:
                self.unanswered_credentials += 1

    def report(self):
        return dict(attempts=self.attempts, requests=self.requests, challenges=self.challenges, forbidden=self.forbidden,
                    unanswered_first=self.unanswered_first, unanswered_credentials=self.unanswered_credentials,
                    pending_at_end=len(self.pending), other=self.other, socket_errors=self.errors,
                    first_sent_s=self.first_sent, last_answer_s=self.last_answer, forbidden_times_s=self.forbidden_times)


class Phone:
    """A registration with the right password every interval, retransmitted as RFC 3261 timer A says."""

    def __init__(self, flood, address):
        self.flood, self.address = flood, address
        self.endpoint = None
        self.port = 0
        self.call_id = "phone-%08x@%s" % (random.getrandbits(32), address)
        self.tag = "%08x" % random.getrandbits(32)
        self.cseq = 0
        self.waiting = {}  # CSeq -> future of the parsed response
        self.registrations = []
        self.errors = 0

    def received(self, data):
        parsed = parse_response(data)
        if parsed is None or parsed[0] < 200 or parsed[1] != self.call_id:
            return
        future = self.waiting.pop(parsed[2], None)
        if future is not None and not future.done():
            future.set_result(parsed)

    async def request(self, auth, deadline):
        """Send one REGISTER (retransmitted at 0.5, 1, 2 s...) until a final answer or the deadline; (parsed, retransmits)."""
        self.cseq += 1
        cseq = self.cseq
        packet = register(self.address, self.port, self.flood.args.phone_user, self.flood.args.domain, self.call_id,
                          self.tag, cseq, self.flood.args.phone_expires, "voipguard-bench-phone", auth=auth)
        future = asyncio.get_running_loop().create_future()
        self.waiting[cseq] = future
        interval, retransmits = 0.5, -1
        try:
            while True:
                self.endpoint.transport.sendto(packet, self.flood.target)
                retransmits += 1
                wait = min(interval, deadline - self.flood.now())
                if wait <= 0:
                    return None, retransmits
                try:
                    return await asyncio.wait_for(asyncio.shield(future), wait), retransmits
                except asyncio.TimeoutError:
                    interval = min(interval * 2, 4.0)
        finally:
            self.waiting.pop(cseq, None)

    async def register_once(self, number):
        started = self.flood.now()
        deadline = started + self.flood.args.phone_timeout
        entry = dict(number=number, started_s=round(started, 3), result="timeout", retransmits=0, seconds=None)
        self.registrations.append(entry)
        parsed, retransmits = await self.request(None, deadline)
        entry["retransmits"] += max(retransmits, 0)
        if parsed is not None and parsed[0] == 401:
            args = self.flood.args
            auth = authorization(parsed[3], args.phone_user, args.phone_password, "sip:%s" % args.domain)
            parsed, retransmits = await self.request(auth, deadline)
            entry["retransmits"] += max(retransmits, 0)
        if parsed is not None:
            entry["result"] = str(parsed[0])
            entry["seconds"] = round(self.flood.now() - started, 3)

    async def run(self, until):
        tasks, number = [], 0
        start = self.flood.now() + self.flood.args.phone_start
        while True:
            due = start + number * self.flood.args.phone_interval
            if due >= until:
                break
            await asyncio.sleep(max(0.0, due - self.flood.now()))
            number += 1
            tasks.append(asyncio.ensure_future(self.register_once(number)))
        if tasks:
            await asyncio.gather(*tasks)


class Flood:
    def __init__(self, args):
        self.args = args
        self.target = (args.target, args.port)
        self.loop = asyncio.get_running_loop()
        self.t0 = self.loop.time()
        self.stop = asyncio.Event()
        self.max_lag = 0.0
        self.started = 0

    def now(self):
        return self.loop.time() - self.t0

    async def open(self, owner):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.bind((owner.address, 0))
        owner.port = sock.getsockname()[1]
        _transport, owner.endpoint = await self.loop.create_datagram_endpoint(lambda: Endpoint(owner), sock=sock)

    async def send_loop(self, sources):
        rate, count, duration = self.args.rate, len(sources), self.args.duration
        next_expiry = 0.5
        while not self.stop.is_set():
            now = self.now()
            if now >= duration:
                break
            due = int(now * rate) + 1
            self.max_lag = max(self.max_lag, (due - 1 - self.started) / rate)
            while self.started < due:
                sources[self.started % count].start(now)
                self.started += 1
            if now >= next_expiry:
                for source in sources:
                    source.expire(now, self.args.answer_timeout)
                next_expiry = now + 0.5
            await asyncio.sleep(max(0.0, self.started / rate - self.now()))


async def main_async(args):
    with open(args.sources_file, encoding="utf-8") as handle:
        addresses = [line.strip() for line in handle if line.strip()]
    flood = Flood(args)
    sources = [Source(flood, address) for address in addresses]
    for source in sources:
        await flood.open(source)
    phone = None
    if args.phone_address:
        phone = Phone(flood, args.phone_address)
        await flood.open(phone)
    for signum in (signal.SIGINT, signal.SIGTERM):
        flood.loop.add_signal_handler(signum, flood.stop.set)
    wall_start = time.time()
    flood.t0 = flood.loop.time()
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    sender = asyncio.ensure_future(flood.send_loop(sources))
    tasks = [sender]
    if phone:
        tasks.append(asyncio.ensure_future(phone.run(args.duration)))
    stopper = asyncio.ensure_future(flood.stop.wait())
    await asyncio.wait([sender, stopper], return_when=asyncio.FIRST_COMPLETED)
    sending_ended = flood.now()
    # Late answers: the transactions in flight, and the phone's last registration (phone_timeout at most).
    drain_until = sending_ended + max(args.answer_timeout, args.phone_timeout if phone else 0.0)
    while flood.now() < drain_until and not flood.stop.is_set():
        if not any(s.pending for s in sources) and all(t.done() for t in tasks):
            break
        await asyncio.sleep(0.05)
    for task in tasks + [stopper]:
        task.cancel()
    for source in sources:
        source.expire(float("inf"), 0)
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    report = dict(
        target="%s:%d" % flood.target, rate=args.rate, duration_s=args.duration, wall_start_epoch=wall_start,
        sending_s=round(sending_ended, 3), attempts_started=flood.started, max_lag_s=round(flood.max_lag, 4),
        tool_cpu_s=round(cpu_end.ru_utime + cpu_end.ru_stime - cpu_start.ru_utime - cpu_start.ru_stime, 3),
        sources=dict((s.address, s.report()) for s in sources),
        phone=dict(address=phone.address, registrations=phone.registrations, socket_errors=phone.errors) if phone else None,
    )
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--target", required=True, help="PBX IPv4 address")
    parser.add_argument("--port", type=int, default=5060)
    parser.add_argument("--sources-file", required=True, help="one source address a line (already on an interface)")
    parser.add_argument("--rate", type=float, default=1000.0, help="new REGISTER transactions per second, in total")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of flood")
    parser.add_argument("--answer-timeout", type=float, default=2.0, help="seconds a transaction waits for its answer")
    parser.add_argument("--domain", default="pbx.example.com")
    parser.add_argument("--user", default="1001")
    parser.add_argument("--password", default="wrong-password")
    parser.add_argument("--user-agent", default="voipguard-bench-flood")
    parser.add_argument("--phone-address", default=None)
    parser.add_argument("--phone-user", default="1000")
    parser.add_argument("--phone-password", default="secret-1000")
    parser.add_argument("--phone-interval", type=float, default=2.0)
    parser.add_argument("--phone-start", type=float, default=0.0, help="seconds into the flood of the first registration")
    parser.add_argument("--phone-timeout", type=float, default=4.0, help="seconds a registration may take, retransmissions included")
    parser.add_argument("--phone-expires", type=int, default=120)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
