# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""voipguard-sip-trust: keep the addresses FreeSWITCH already trusts out of the SIP jails.

SIP over UDP has no proof of origin: a forged packet makes FreeSWITCH log a challenge or an auth failure
"from ip" any address the attacker chose. This service keeps fail2ban's runtime ignore list of the SIP
jails equal to its configured one plus the addresses FreeSWITCH itself trusts:

- registrations: every address holding a live registration (``show registrations``), and every address
  that held one within ``registration_window`` seconds (remembered in the state file across restarts);
- gateways: the addresses of the proxies of FreeSWITCH's running gateways (``sofia xmlstatus gateway``,
  host names resolved);
- acls: the networks that the ACL lists named by a Sofia profile's apply-inbound-acl or apply-register-acl
  allow (``xml_locate``), for lists that deny by default; networks broader than ``broadest_network``
  are not trusted.

It asks FreeSWITCH every ``refresh_interval`` seconds and checks fail2ban every ``sync_interval``
seconds through fail2ban's own client socket (a reload drops runtime entries: they come back at the
next check). What it trusts, and why, is written to ``state_file`` (JSON), which fail2ban_info reads.
It only ever adds to and removes from the ignore list entries it added itself.

Usage: <fail2ban's python> /usr/local/lib/voipguard/voipguard-sip-trust.py --config /etc/voipguard/sip-trust.json [--once]
Run with the Python that runs fail2ban (its client library is imported); the unit names it.
"""

from __future__ import absolute_import, division, print_function

import argparse
import ipaddress
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from xml.etree import ElementTree

__metaclass__ = type

DEFAULT_CONFIG = {
    "jails": [],
    "fs_cli": "fs_cli",
    "fail2ban_socket": "/var/run/fail2ban/fail2ban.sock",
    "state_file": "/var/lib/voipguard/sip-trust.json",
    "sources": {"registrations": True, "gateways": True, "acls": True},
    "registration_window": 86400,
    "refresh_interval": 10,
    "sync_interval": 1,
    "dns_cache_seconds": 300,
    "broadest_network": {"ipv4": 16, "ipv6": 32},
}
ACL_PARAMS = ("apply-inbound-acl", "apply-register-acl")
_URI_HOST_RE = re.compile(r"^(?:sips?:)?(?:[^@;]*@)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^:;>?]+)")


class TrustError(Exception):
    pass


# --- What FreeSWITCH trusts (pure functions: text in, data out) ---------------------------------

def canonical(entry):
    """'192.0.2.7', '192.0.2.7/32' -> '192.0.2.7'; networks as 'a.b.c.0/n'; None for anything else."""
    try:
        network = ipaddress.ip_network(str(entry).strip(), strict=False)
    except ValueError:
        return None
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def parse_registrations(text, now):
    """`show registrations as json` -> [{"address", "user", "live"}] (expired rows are not live)."""
    try:
        rows = json.loads(text or "{}").get("rows") or []
    except (ValueError, AttributeError) as error:
        raise TrustError("show registrations printed no JSON: %s" % error)
    found = []
    for row in rows:
        address = canonical(row.get("network_ip", ""))
        if address is None or "/" in address:
            continue
        try:
            live = int(row.get("expires") or 0) > now
        except ValueError:
            live = True
        found.append({"address": address, "user": "%s@%s" % (row.get("reg_user", ""), row.get("realm", "")),
                      "live": live})
    return found


def proxy_host(uri):
    """'sip:carrier.example.com:5060;transport=udp' -> 'carrier.example.com'; '[2001:db8::1]' -> '2001:db8::1'."""
    match = _URI_HOST_RE.match((uri or "").strip().strip("<>"))
    if not match:
        return None
    host = match.group("host").strip("[]").strip()
    return host or None


def parse_gateways(xml_text):
    """`sofia xmlstatus gateway` -> [(gateway name, proxy host)]."""
    root = _xml(xml_text, "sofia xmlstatus gateway")
    found = []
    for gateway in root.iter("gateway"):
        host = proxy_host(gateway.findtext("proxy", ""))
        if host:
            found.append((gateway.findtext("name", "?"), host))
    return found


def parse_acl_lists(xml_text):
    """acl.conf (`xml_locate configuration configuration name acl.conf`) -> {name: (default, [(type, cidr, domain)])}."""
    root = _xml(xml_text, "acl.conf")
    lists = {}
    for element in root.iter("list"):
        nodes = [((node.get("type") or "").lower(), node.get("cidr"), node.get("domain")) for node in element.iter("node")]
        lists[element.get("name", "")] = ((element.get("default") or "deny").lower(), nodes)
    return lists


def profile_acl_names(xml_text):
    """sofia.conf -> {ACL list name: [profile, ...]} for the lists profiles apply to inbound traffic or registrations."""
    root = _xml(xml_text, "sofia.conf")
    names = {}
    for profile in root.iter("profile"):
        for param in profile.iter("param"):
            if (param.get("name") or "").lower() in ACL_PARAMS:
                for name in (param.get("value") or "").split(","):
                    name = name.strip()
                    if name:
                        names.setdefault(name, []).append(profile.get("name", "?"))
    return names


def acl_networks(lists, wanted, broadest):
    """Networks the wanted lists allow: ([(network, reason)], [(entry, why it is not trusted)]).

    FreeSWITCH picks the most specific node that matches, so a deny node inside an allow node carves it out.
    """
    trusted, skipped = [], []
    for name in sorted(wanted):
        profiles = ",".join(sorted(set(wanted[name])))
        if name not in lists:
            skipped.append(("acl %s" % name, "not in acl.conf (built-in lists such as rfc1918.auto are not read)"))
            continue
        default, nodes = lists[name]
        if default != "deny":
            skipped.append(("acl %s" % name, "allows by default: everything but its deny nodes is too broad to trust"))
            continue
        denies = [ipaddress.ip_network(cidr, strict=False) for kind, cidr, _domain in nodes if kind == "deny" and _is_network(cidr)]
        for kind, cidr, domain in nodes:
            if kind != "allow":
                continue
            if domain and not cidr:
                skipped.append(("acl %s domain %s" % (name, domain), "domain nodes (users' cidr params) are not read"))
                continue
            if not _is_network(cidr):
                skipped.append(("acl %s node %s" % (name, cidr), "not an address or network"))
                continue
            allow = ipaddress.ip_network(cidr, strict=False)
            limit = broadest["ipv4" if allow.version == 4 else "ipv6"]
            if allow.prefixlen < limit:
                skipped.append(("acl %s %s" % (name, allow), "broader than /%d" % limit))
                continue
            for network in _carve(allow, denies):
                trusted.append((canonical(network), "acl %s (profiles %s) allows %s" % (name, profiles, allow)))
    return trusted, skipped


def _carve(allow, denies):
    parts = [allow]
    for deny in denies:
        if deny.version != allow.version or deny.prefixlen < allow.prefixlen:
            continue  # a broader deny loses against the more specific allow
        kept = []
        for part in parts:
            if part.subnet_of(deny):
                continue  # an equally specific deny wins the tie: not trusted
            if deny.subnet_of(part):
                kept.extend(part.address_exclude(deny))
            else:
                kept.append(part)
        parts = kept
    return sorted(parts, key=lambda network: (network.network_address, network.prefixlen))


def _is_network(text):
    try:
        ipaddress.ip_network((text or "").strip(), strict=False)
        return True
    except ValueError:
        return False


def _xml(text, what):
    text = (text or "").strip()
    start = text.find("<")
    try:
        return ElementTree.fromstring(text[start:] if start >= 0 else text)
    except ElementTree.ParseError as error:
        raise TrustError("%s is not XML (%s): %r" % (what, error, text[:120]))


def update_history(history, registrations, now, window):
    """Remember when each address last held a registration; forget those older than the window."""
    updated = {address: dict(seen) for address, seen in history.items() if now - seen.get("last_seen", 0) <= window}
    for row in registrations:
        if row["live"]:
            updated[row["address"]] = {"last_seen": now, "user": row["user"]}
    return updated


def trusted_entries(history, live, gateways, acls, now):
    """{entry: [reasons]} from live registrations, the registration history, gateways and ACL networks."""
    entries = {}
    live_users = {}
    for row in live:
        if row["live"]:
            live_users.setdefault(row["address"], []).append(row["user"])
    for address, seen in history.items():
        if address in live_users:
            reason = "registered now: %s" % ", ".join(sorted(set(live_users[address])))
        else:
            reason = "registered %s ago: %s" % (_age(now - seen["last_seen"]), seen.get("user", "?"))
        entries.setdefault(address, []).append(reason)
    for address, reason in gateways + acls:
        entries.setdefault(address, []).append(reason)
    return entries


def _age(seconds):
    seconds = int(max(seconds, 0))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return "%d%s" % (seconds // size, unit)
    return "%ds" % seconds


# --- Keeping fail2ban's ignore lists in step --------------------------------------------------

def plan_sync(current, owned, desired):
    """(to add, to remove, what this service still owns) for one jail.

    current: the jail's ignore list now; owned: what this service added earlier. When one of ours is
    gone, fail2ban reloaded the jail: whatever is in the list now is the configuration's, never ours.
    """
    current = set(canonical(item) or item for item in current)
    if not owned <= current:
        owned = set()
    return sorted(set(desired) - current), sorted(owned - set(desired)), set(owned)


class Fail2ban:
    """fail2ban's own client socket (the protocol fail2ban-client speaks), one connection a command."""

    def __init__(self, socket_path):
        from fail2ban.client.csocket import CSocket  # pylint: disable=import-error
        self._csocket = CSocket
        self.socket_path = socket_path

    def call(self, *command):
        try:
            client = self._csocket(self.socket_path, timeout=5)
        except OSError as error:
            raise TrustError("fail2ban does not answer on %s: %s" % (self.socket_path, error))
        try:
            code, value = client.send(list(command))
        finally:
            client.close()
        if code != 0:
            raise TrustError("fail2ban refused %s: %r" % (" ".join(command), value))
        return value

    def ignore_list(self, jail):
        return [str(item) for item in self.call("get", jail, "ignoreip")]

    def add(self, jail, entry):
        self.call("set", jail, "addignoreip", entry)

    def remove(self, jail, entry):
        self.call("set", jail, "delignoreip", entry)


class FreeSwitch:
    def __init__(self, fs_cli):
        self.fs_cli = fs_cli

    def api(self, command):
        try:
            result = subprocess.run([self.fs_cli, "-x", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    timeout=15, check=False, universal_newlines=True)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise TrustError("fs_cli -x '%s': %s" % (command, error))
        if result.returncode != 0 or result.stdout.startswith("-ERR"):
            raise TrustError("fs_cli -x '%s' failed: %s" % (command, (result.stdout + result.stderr).strip()[:300]))
        return result.stdout


class Service:
    def __init__(self, config, freeswitch, fail2ban, resolve=socket.getaddrinfo, clock=time.time):
        self.config = config
        self.freeswitch = freeswitch
        self.fail2ban = fail2ban
        self.resolve = resolve
        self.clock = clock
        self.state = load_state(config["state_file"])
        self.history = self.state.get("registrations", {})
        self.gateways = [tuple(item) for item in self.state.get("gateways", [])]
        self.acls = [tuple(item) for item in self.state.get("acls", [])]
        self.skipped = []
        self.gateway_skipped = []
        self.acl_skipped = []
        self.errors = {}
        self.dns = {}
        # What this service added to each jail, kept across restarts so it can take it back later.
        self.owned = {jail: set(entries) for jail, entries in self.state.get("owned", {}).items()}
        self.jail_status = {}
        self.entries = {}

    def refresh(self):
        """Ask FreeSWITCH what it trusts. A question that fails keeps the last answer (reported as an error)."""
        now = self.clock()
        sources = self.config["sources"]
        previous_errors, self.errors = self.errors, {}
        live = []
        if sources.get("registrations"):
            try:
                live = parse_registrations(self.freeswitch.api("show registrations as json"), now)
            except TrustError as error:
                self.errors["registrations"] = str(error)
        self.history = update_history(self.history, live, now, self.config["registration_window"]) \
            if sources.get("registrations") else {}
        if sources.get("gateways"):
            try:
                self.gateways = self._gateway_addresses(parse_gateways(self.freeswitch.api("sofia xmlstatus gateway")), now)
            except TrustError as error:
                self.errors["gateways"] = str(error)
        else:
            self.gateways, self.gateway_skipped = [], []
        if sources.get("acls"):
            try:
                wanted = profile_acl_names(self.freeswitch.api("xml_locate configuration configuration name sofia.conf"))
                lists = parse_acl_lists(self.freeswitch.api("xml_locate configuration configuration name acl.conf")) if wanted else {}
                self.acls, self.acl_skipped = acl_networks(lists, wanted, self.config["broadest_network"])
            except TrustError as error:
                self.errors["acls"] = str(error)
        else:
            self.acls, self.acl_skipped = [], []
        self.skipped = self.gateway_skipped + self.acl_skipped
        self.entries = trusted_entries(self.history, live, self.gateways, self.acls, now)
        for source, error in sorted(self.errors.items()):
            if previous_errors.get(source) != error:
                log("%s: %s (keeping the last answer)" % (source, error))

    def _gateway_addresses(self, gateways, now):
        found, self.gateway_skipped = [], []
        for name, host in gateways:
            address = canonical(host)
            if address:
                found.append((address, "gateway %s (proxy %s)" % (name, host)))
                continue
            cached = self.dns.get(host)
            if not cached or now - cached[0] > self.config["dns_cache_seconds"]:
                try:
                    addresses = sorted({canonical(info[4][0].split("%")[0]) for info in self.resolve(host, None)} - {None})
                    cached = (now, addresses)
                    self.dns[host] = cached
                except (OSError, UnicodeError) as error:
                    # Not FreeSWITCH's answer failing: this gateway cannot be trusted until its name resolves.
                    self.gateway_skipped.append(("gateway %s (proxy %s)" % (name, host), "cannot resolve: %s" % error))
                    cached = cached or (now, [])
            found.extend((address, "gateway %s (proxy %s)" % (name, host)) for address in cached[1])
        return found

    def sync(self):
        """Make each jail's runtime ignore list hold the trusted entries; True when one changed."""
        changed = False
        for jail in self.config["jails"]:
            before, status = self.owned.get(jail, set()), self.jail_status.get(jail)
            try:
                to_add, to_remove, owned = plan_sync(self.fail2ban.ignore_list(jail), before, self.entries)
                # Updated entry by entry: a failure halfway still knows what it added.
                self.owned[jail] = owned
                for entry in to_remove:
                    self.fail2ban.remove(jail, entry)
                    owned.discard(entry)
                    log("%s: no longer trusted: %s" % (jail, entry))
                for entry in to_add:
                    self.fail2ban.add(jail, entry)
                    owned.add(entry)
                    log("%s: trusted: %s (%s)" % (jail, entry, "; ".join(self.entries[entry])))
                self.jail_status[jail] = "synced"
            except TrustError as error:
                self.jail_status[jail] = str(error)
                if status != str(error):
                    log("%s: %s" % (jail, error))
            changed = changed or self.owned.get(jail, set()) != before or self.jail_status[jail] != status
        return changed

    def write_state(self):
        now = self.clock()
        state = {
            "version": 1,
            "updated": now,
            "sources": self.config["sources"],
            "registration_window": self.config["registration_window"],
            "refresh_interval": self.config["refresh_interval"],
            "trusted": [{"entry": entry, "reasons": reasons} for entry, reasons in sorted(self.entries.items())],
            "skipped": [{"entry": entry, "reason": reason} for entry, reason in self.skipped],
            "jails": self.jail_status,
            "errors": self.errors,
            "registrations": self.history,
            "gateways": self.gateways,
            "acls": self.acls,
            "owned": {jail: sorted(entries) for jail, entries in self.owned.items()},
        }
        save_state(self.config["state_file"], state)

    def run(self, once=False):
        next_refresh = 0
        while True:
            refreshed = self.clock() >= next_refresh
            if refreshed:
                self.refresh()
                next_refresh = self.clock() + self.config["refresh_interval"]
            # The state names what each jail holds: written whenever that changed (fail2ban_info reads it).
            if self.sync() or refreshed:
                self.write_state()
            if once:
                return
            time.sleep(self.config["sync_interval"])


def log(message):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def load_config(path):
    with open(path, encoding="utf-8") as handle:
        given = json.load(handle)
    config = dict(DEFAULT_CONFIG)
    unknown = sorted(set(given) - set(config))
    if unknown:
        raise TrustError("%s: unknown settings %s" % (path, ", ".join(unknown)))
    config.update(given)
    return config


def load_state(path):
    try:
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def save_state(path, state):
    """Write the state atomically: a reader sees the old file or the new one."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".sip-trust-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(state, stream, indent=1, sort_keys=True)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(prog="voipguard-sip-trust", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--config", default="/etc/voipguard/sip-trust.json")
    parser.add_argument("--once", action="store_true", help="refresh, sync and write the state once, then exit")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        service = Service(config, FreeSwitch(config["fs_cli"]), Fail2ban(config["fail2ban_socket"]))
    except (OSError, ValueError, TrustError, ImportError) as error:
        sys.stderr.write("voipguard-sip-trust: %s\n" % error)
        return 2
    service.run(once=args.once)
    return 0


if __name__ == "__main__":
    sys.exit(main())
