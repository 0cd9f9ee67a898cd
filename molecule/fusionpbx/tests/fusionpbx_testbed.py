# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the FusionPBX scenario's tests share: its hosts and clients, FusionPBX's database and event_guard."""

import re

# event_guard disabled, the installer's jails taken over (fusionpbx preset); event_guard kept with the whitelist.
SOLO, GUARDED = "vg-fusionpbx", "vg-fusionpbx-eg"
ATTACKER, ADMIN, CARRIER, PHONE = "vg-fpbx-attacker", "vg-fpbx-admin", "vg-fpbx-carrier", "vg-fpbx-phone"
EVENT_GUARD_CHAINS = ("sip-auth-ip", "sip-auth-fail")
ACL_NAME = "voipguard-whitelist"


def q(text):
    return "'" + str(text).replace("'", "'\\''") + "'"


def sql(pbx, statement):
    """Rows of a query on FusionPBX's database (as postgres), each a list of column texts."""
    out = pbx.check_output("runuser -u postgres -- psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 -d fusionpbx -c %s" % q(statement))
    return [line.split("|") for line in out.splitlines() if line]


def event_guard_blocks(pbx):
    """Addresses event_guard drops now (its iptables chains)."""
    blocked = set()
    for chain in EVENT_GUARD_CHAINS:
        rules = pbx.run("iptables -w -S %s" % chain)
        blocked.update(re.findall(r"^-A %s -s (\S+?)(?:/32)? -j DROP$" % re.escape(chain), rules.stdout, re.M))
    return blocked


def event_guard_logged(pbx, address):
    """event_guard's rows for address in v_event_guard_logs: [(filter, status)]."""
    return [tuple(row) for row in sql(pbx, "SELECT filter, log_status FROM v_event_guard_logs WHERE ip_address = '%s' ORDER BY log_date" % address)]


def fail2ban_banned_anywhere(pbx, address):
    """Jails that ban address now."""
    out = pbx.check_output("fail2ban-client banned %s" % q(address))
    return re.findall(r"'([^']+)'", out)
