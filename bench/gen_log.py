# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate a FreeSWITCH log for the filter benchmark: mostly ordinary traffic, some attacks.

Seeded, so the same arguments always give the same bytes. Next to the log it can write the ground
truth as JSON: which lines are attacks, of what kind, and the addresses of attackers and phones,
so the benchmark can tell how many attacks each filter detects and whether it counts phones.

Attackers use 203.0.113.0/24 and 2001:db8::/32, phones 192.0.2.0/24 (documentation ranges).

    python3 bench/gen_log.py --lines 200000 --format 1.10.7 --out fs.log --truth fs.json
"""

import argparse
import datetime
import json
import random
import sys
import uuid

FORMATS = ("1.10.7", "1.10.6")
IDLE_CPU_VALUES = (97.43, 100.0, 0.0, 93.73, 99.1)

# What each kind of attack line is, and which filter must count it.
#   brute:   voipguard-freeswitch (auth failures, unknown users, register-ACL rejections)
#   bare_ip: voipguard-freeswitch-ip (challenges and failures addressed to the bare IP)
ATTACK_KINDS = {
    "auth_failure": ("brute",),
    "unknown_user": ("brute",),
    "acl_rejected": ("brute",),
    "challenge_bare_ip": ("bare_ip",),
    "failure_bare_ip": ("brute", "bare_ip"),
}


class LogWriter:
    """Lines in one FreeSWITCH format, with a clock that moves forward by a random step per line."""

    def __init__(self, rnd, log_format, seed):
        self.rnd = rnd
        # The idle-CPU column has a generator of its own: both formats then hold the same events.
        self.cpu_rnd = random.Random(seed + 1)
        self.log_format = log_format
        self.clock = datetime.datetime(2026, 3, 5, 0, 0, 0)

    def prefix(self, level, source):
        self.clock += datetime.timedelta(microseconds=self.rnd.randint(100, 20000))
        cpu = "" if self.log_format == "1.10.6" else "%.2f%% " % self.cpu_rnd.choice(IDLE_CPU_VALUES)
        return "%s %s[%s] %s " % (self.clock.strftime("%Y-%m-%d %H:%M:%S.%f"), cpu, level, source)


def generate(lines, log_format="1.10.7", seed=42):
    """(list of log lines, truth dict). A 'Can't find user' record adds two more lines without an address."""
    if log_format not in FORMATS:
        raise ValueError("format must be one of %s" % ", ".join(FORMATS))
    rnd = random.Random(seed)
    writer = LogWriter(rnd, log_format, seed)
    attackers = ["203.0.113.%d" % i for i in range(1, 200)] + ["2001:db8::%x" % i for i in range(1, 50)]
    phones = ["192.0.2.%d" % i for i in range(1, 250)]
    out = []
    kinds = dict((kind, 0) for kind in ATTACK_KINDS)
    while len(out) < lines:
        pick = rnd.random()
        session = str(uuid.UUID(int=rnd.getrandbits(128)))
        ext = rnd.randint(1000, 1999)
        if pick < 0.30:
            out.append(session + " " + writer.prefix("DEBUG", "switch_core_state_machine.c:585")
                       + "(sofia/internal/%d@example.com) Running State Change CS_ROUTING (Cur 2 Tot 1843)" % ext)
        elif pick < 0.40:
            out.append(session + " EXECUTE [depth=0] sofia/internal/%d@example.com set(call_direction=local)" % ext)
        elif pick < 0.62:
            out.append(writer.prefix(rnd.choice(["DEBUG", "INFO", "NOTICE"]), "sofia.c:7493")
                       + "Channel sofia/internal/%d@example.com entering state [calling][0]" % ext)
        elif pick < 0.70:
            out.append(writer.prefix("NOTICE", "sofia_reg.c:2099") + "Registered %d@example.com from %s" % (ext, rnd.choice(phones)))
        elif pick < 0.94:
            # Every phone login starts with a challenge: ordinary traffic that must not be counted.
            out.append(writer.prefix("WARNING", "sofia_reg.c:1792")
                       + "SIP auth challenge (REGISTER) on sofia profile 'internal' for [%d@example.com] from ip %s"
                       % (ext, rnd.choice(phones)))
        else:
            attacker = rnd.choice(attackers)
            attack_index = len(out)
            kind_pick = rnd.random()
            if kind_pick < 0.35:
                kind = "auth_failure"
                out.append(writer.prefix("WARNING", "sofia_reg.c:1806")
                           + "SIP auth failure (%s) on sofia profile 'internal' for [%d@example.com] from ip %s"
                           % (rnd.choice(["REGISTER", "INVITE"]), ext, attacker))
            elif kind_pick < 0.55:
                kind = "unknown_user"
                out.append(writer.prefix("WARNING", "sofia_reg.c:3210") + "Can't find user [%d@example.com] from %s" % (ext, attacker))
                out.append("You must define a domain called 'example.com' in your directory and add a user with the id=\"%d\" attribute" % ext)
                out.append("and you must configure your device to use the proper domain in its authentication credentials.")
            elif kind_pick < 0.65:
                kind = "acl_rejected"
                out.append(writer.prefix("WARNING", "sofia_reg.c:1533") + 'IP %s Rejected by register acl "domains"' % attacker)
            elif kind_pick < 0.90:
                kind = "challenge_bare_ip"
                out.append(writer.prefix("WARNING", "sofia_reg.c:1792")
                           + "SIP auth challenge (REGISTER) on sofia profile 'internal' for [%d@192.0.2.10] from ip %s" % (ext, attacker))
            else:
                kind = "failure_bare_ip"
                out.append(writer.prefix("WARNING", "sofia_reg.c:1842")
                           + "SIP auth failure (REGISTER) on sofia profile 'internal' for [%d@192.0.2.10] from ip %s" % (ext, attacker))
            if attack_index < lines:
                kinds[kind] += 1
    out = out[:lines]
    truth = dict(
        lines=len(out),
        format=log_format,
        seed=seed,
        attack_kinds=kinds,
        attacks=sum(kinds.values()),
        expected={
            "brute": sum(count for kind, count in kinds.items() if "brute" in ATTACK_KINDS[kind]),
            "bare_ip": sum(count for kind, count in kinds.items() if "bare_ip" in ATTACK_KINDS[kind]),
        },
        attackers=attackers,
        phones=phones,
    )
    return out, truth


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--lines", type=int, default=200000)
    parser.add_argument("--format", choices=FORMATS, default="1.10.7")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default="-", help="log file (- for stdout)")
    parser.add_argument("--truth", default=None, help="write the ground truth as JSON here")
    args = parser.parse_args(argv)
    lines, truth = generate(args.lines, args.format, args.seed)
    text = "\n".join(lines) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    if args.truth:
        with open(args.truth, "w", encoding="utf-8") as handle:
            json.dump(truth, handle, indent=1)
    sys.stderr.write("gen_log: %d lines, %d attacks %s\n" % (truth["lines"], truth["attacks"], truth["attack_kinds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
