# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What gets past a PBX's firewall, counted by nftables (the molecule scenarios and make bench).

A chain of its own on the input hook at priority 100, after every filter chain (fail2ban's and the
roles' at -1, iptables-nft's at 0), with one named counter per source address: a packet counted there
was not dropped. Only UDP and TCP are counted (or one of them): ICMP goes on whatever the firewall does
with SIP (IPv6 neighbour discovery keeps flowing from a banned address).
"""

import json
import re

TABLE = "voipguard_test"
CHAIN = "delivered"


def delivered_packets(run, address, protocol=None):
    """Packets from `address` that got past the firewall, counted from the first call for that address
    and protocol on. run(shell script) runs in the PBX and returns (exit status, stdout)."""
    name = "from_%s_%s" % (re.sub(r"[^0-9A-Za-z]", "_", address), protocol or "tcp_udp")
    if run("nft list counter inet %s %s" % (TABLE, name))[0] != 0:
        match = "%s saddr %s meta l4proto %s" % ("ip6" if ":" in address else "ip", address, protocol or "{ tcp, udp }")
        status, out = run(
            "nft -f - <<'EOF'\n"
            "add table inet {table}\n"
            "add chain inet {table} {chain} {{ type filter hook input priority 100; policy accept; }}\n"
            "add counter inet {table} {name}\n"
            "add rule inet {table} {chain} {match} counter name {name}\n"
            "EOF".format(table=TABLE, chain=CHAIN, name=name, match=match))
        if status != 0:
            raise RuntimeError("cannot add the nftables counter %s: %s" % (name, out))
    status, out = run("nft -j list counter inet %s %s" % (TABLE, name))
    if status != 0:
        raise RuntimeError("cannot read the nftables counter %s: %s" % (name, out))
    counters = [item["counter"] for item in json.loads(out)["nftables"] if "counter" in item]
    return int(counters[0]["packets"])
