# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""voipguard-sip-trust: keep the addresses FreeSWITCH already trusts out of the SIP jails.

SIP over UDP has no proof of origin: a forged packet makes FreeSWITCH log a challenge or an auth failure
"from ip" any address the attacker chose. This service keeps fail2ban's runtime ignore list of the SIP
jails equal to its configured one plus the addresses FreeSWITCH itself trusts:

- registrations: every address holding a live registration (``show registrations``), and every address
  that held one within ``registration_window`` seconds (remembered in the state file across restarts);
- gateways: the addresses of the proxies of the gateways FreeSWITCH lists (``sofia xmlstatus gateway``,
  whatever their state; host names resolved); only single addresses;
- acls: the networks that the ACL lists named by a Sofia profile's apply-inbound-acl or apply-register-acl
  allow (``xml_locate``), read with FreeSWITCH's own rules, for lists that deny by default.
No network broader than ``broadest_network`` is ever trusted, whatever its source.

A thread asks FreeSWITCH every ``refresh_interval`` seconds; the main loop checks fail2ban every
``sync_interval`` seconds through fail2ban's own client socket. Each managed jail carries a sentinel entry
(SENTINEL, in the discard-only prefix 100::/64) that no configuration holds: when it is gone, fail2ban
reloaded the jail, every entry in it now is the configuration's, and the trusted ones are added again.
The service only removes entries it added itself, and lifts bans that its jails hold on trusted addresses
(a ban made in the moment after a reload). What it trusts, and why, is written to ``state_file``.

Standalone on purpose: it runs on the PBX under fail2ban's Python, where the collection's module_utils are not
installed, so the few helpers it shares in spirit with them (address canonical forms, atomic JSON writes) are its own.

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
import threading
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
# In the IPv6 discard-only prefix (RFC 6666): never a real source, never in an operator's ignoreip.
SENTINEL = "100::5e7f:7275:7374"
# switch_true() of FreeSWITCH (switch_utils.h): these words, or a non-zero number.
_FREESWITCH_TRUE = ("yes", "on", "true", "t", "enabled", "active", "allow")
_PORT_ATTRIBUTES = ("port", "ports", "port-min", "port-max")
# Most networks one allow node may become once its deny nodes are cut out of it.
MAX_PIECES = 256
_URI_HOST_RE = re.compile(r"^(?:sips?:)?(?:[^@;]*@)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^:;>?]+)")


class TrustError(Exception):
    pass


# --- What FreeSWITCH trusts (pure functions: text in, data out) ---------------------------------

def canonical(entry):
    """An address or network as fail2ban stores it: '192.0.2.7/32' -> '192.0.2.7', '::ffff:192.0.2.7' ->
    '192.0.2.7', networks as 'a.b.c.0/n'. None for anything else, and for /0."""
    try:
        network = ipaddress.ip_network(str(entry).strip(), strict=False)
    except ValueError:
        return None
    if network.version == 6 and network.prefixlen >= 96 and network.network_address.ipv4_mapped is not None:
        network = ipaddress.ip_network("%s/%d" % (network.network_address.ipv4_mapped, network.prefixlen - 96))
    if network.prefixlen == 0:
        return None
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def single_address(entry):
    """canonical() of one address; None for a network."""
    value = canonical(entry)
    return value if value is not None and "/" not in value else None


def _is_ip_text(text):
    try:
        ipaddress.ip_network(str(text).strip(), strict=False)
        return True
    except ValueError:
        return False


def too_broad(entry, broadest):
    network = ipaddress.ip_network(entry)
    return network.prefixlen < broadest["ipv4" if network.version == 4 else "ipv6"]


def parse_registrations(text, now):
    """`show registrations as json` -> [{"address", "user", "live"}] (expired rows are not live)."""
    try:
        rows = json.loads(text or "{}").get("rows") or []
    except (ValueError, AttributeError) as error:
        raise TrustError("show registrations printed no JSON: %s" % error)
    found = []
    for row in rows:
        address = single_address(row.get("network_ip", ""))
        if address is None:
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


def freeswitch_true(text):
    text = (text or "").strip()
    return text.lower() in _FREESWITCH_TRUE or (text.lstrip("-").isdigit() and int(text) != 0)


def parse_acl_lists(xml_text):
    """acl.conf (`xml_locate configuration configuration name acl.conf`) -> {name: (allows by default, [node])}.

    Read as FreeSWITCH's switch_core.c does: a list without "default" allows; a node's "type" is allow when
    switch_true() holds (else deny) and defaults to the list's; a domain node ignores its cidr; cidr may hold
    several networks separated by commas; host and mask make a network too.
    """
    root = _xml(xml_text, "acl.conf")
    lists = {}
    for element in root.iter("list"):
        name = element.get("name", "")
        if not name:
            continue
        default = element.get("default")
        allows = True if default is None else freeswitch_true(default)
        nodes = []
        for node in element.iter("node"):
            kind = node.get("type")
            nodes.append({
                "allow": allows if kind is None else freeswitch_true(kind),
                "domain": node.get("domain"),
                "cidr": node.get("cidr"),
                "host": node.get("host"),
                "mask": node.get("mask"),
                "ports": any(node.get(attribute) is not None for attribute in _PORT_ATTRIBUTES),
            })
        lists[name] = (allows, nodes)
    return lists


def node_networks(node):
    """([networks], [(what could not be read, why)]) of one node, as FreeSWITCH reads its addresses."""
    if node["domain"]:
        return [], [("domain %s" % node["domain"], "users' cidr params are not read")]
    texts = []
    if node["cidr"] is not None:
        texts = [part.strip() for part in node["cidr"].split(",")]
    elif node["host"] and node["mask"]:
        texts = ["%s/%s" % (node["host"].strip(), node["mask"].strip())]
    networks, unread = [], []
    for text in texts:
        try:
            if "/" not in text:
                raise ValueError("no prefix length (FreeSWITCH refuses it)")
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as error:
            unread.append((text, str(error)))
    return networks, unread


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
    A list with a deny node this cannot read is not trusted at all (it might deny part of what it allows).
    """
    trusted, skipped = [], []
    for name in sorted(wanted):
        profiles = ",".join(sorted(set(wanted[name])))
        if name not in lists:
            skipped.append(("acl %s" % name, "not in acl.conf (built-in lists such as rfc1918.auto are not read)"))
            continue
        allows, nodes = lists[name]
        if allows:
            skipped.append(("acl %s" % name, "allows by default: everything but its deny nodes is too broad to trust"))
            continue
        denies, unreadable = [], []
        for node in nodes:
            if not node["allow"]:
                networks, unread = node_networks(node)
                denies.extend(networks)
                unreadable.extend(unread)
        if unreadable:
            skipped.append(("acl %s" % name, "a deny node cannot be read: %s"
                            % "; ".join("%s (%s)" % item for item in unreadable)))
            continue
        for node in nodes:
            if not node["allow"]:
                continue
            networks, unread = node_networks(node)
            for label, why in unread:
                skipped.append(("acl %s %s" % (name, label), why))
            if node["ports"] and networks:
                skipped.extend(("acl %s %s" % (name, network), "allowed on some ports only") for network in networks)
                continue
            for allow in networks:
                if canonical(allow) is None or too_broad(canonical(allow), broadest):
                    skipped.append(("acl %s %s" % (name, allow), "broader than /%d"
                                    % broadest["ipv4" if allow.version == 4 else "ipv6"]))
                    continue
                pieces = _carve(allow, denies)
                if len(pieces) > MAX_PIECES:
                    # fail2ban tries networks one by one on every failure: thousands would slow every jail.
                    skipped.append(("acl %s %s" % (name, allow), "its deny nodes cut it into %d networks (more than %d)"
                                    % (len(pieces), MAX_PIECES)))
                    continue
                for network in pieces:
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


def trusted_entries(history, live, gateways, acls, now, broadest):
    """({entry: [reasons]}, [(entry, why not)]) from live registrations, the registration history, gateways and
    ACL networks. Whatever the source, no network broader than `broadest` is trusted."""
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
    refused = []
    for entry in sorted(entries):
        if canonical(entry) != entry or too_broad(entry, broadest):
            refused.append((entry, "broader than the broadest network trusted (%s)" % "; ".join(entries.pop(entry))))
    return entries, refused


def _age(seconds):
    seconds = int(max(seconds, 0))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return "%d%s" % (seconds // size, unit)
    return "%ds" % seconds


# --- Keeping fail2ban's ignore lists in step --------------------------------------------------

def plan_sync(current, owned, desired):
    """(to add, to remove, what this service still owns) for one jail.

    current: the jail's ignore list now; owned: what this service added earlier. Without the sentinel,
    fail2ban reloaded the jail: whatever is in the list now is the configuration's, never ours.
    """
    current = set(canonical(item) or item for item in current)
    if SENTINEL not in current:
        owned = set()
    wanted = set(desired) | {SENTINEL}
    to_add = sorted(wanted - current, key=lambda entry: entry != SENTINEL)  # the sentinel first
    return to_add, sorted(owned - wanted), set(owned) & current


class Fail2ban:
    """fail2ban's own client socket (the protocol fail2ban-client speaks), one connection a command."""

    def __init__(self, socket_path):
        from fail2ban.client.csocket import CSocket  # pylint: disable=import-error
        self._csocket = CSocket
        self.socket_path = socket_path

    def call(self, *command):
        client = None
        try:
            client = self._csocket(self.socket_path, timeout=5)
            code, value = client.send(list(command))
        except Exception as error:  # pylint: disable=broad-except  # socket, timeout, EOF, unpickling: all "no answer"
            raise TrustError("fail2ban does not answer on %s: %s" % (self.socket_path, error or type(error).__name__))
        finally:
            if client is not None:
                try:
                    client.close()
                except Exception:  # pylint: disable=broad-except
                    pass
        if code != 0:
            raise TrustError("fail2ban refused %s: %r" % (" ".join(command), value))
        return value

    def ignore_list(self, jail):
        return [str(item) for item in self.call("get", jail, "ignoreip")]

    def add(self, jail, entry):
        self.call("set", jail, "addignoreip", entry)

    def remove(self, jail, entry):
        self.call("set", jail, "delignoreip", entry)

    def banned(self, jail):
        return [str(item) for item in self.call("get", jail, "banip")]

    def unban(self, jail, address):
        self.call("set", jail, "unbanip", address)


class FreeSwitch:
    def __init__(self, fs_cli):
        self.fs_cli = fs_cli

    def api(self, command):
        try:
            result = subprocess.run([self.fs_cli, "-x", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    timeout=10, check=False, universal_newlines=True, errors="replace")
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
        state = load_state(config["state_file"])
        self.history = state["registrations"]
        self.gateways = state["gateways"]
        self.acls = state["acls"]
        # What this service added to each jail, kept across restarts so it can take it back later.
        self.owned = state["owned"]
        self.skipped, self.gateway_skipped, self.acl_skipped = [], [], []
        self.errors = {}
        self.dns = {}
        self.jail_status = {}
        self.unbanned = []
        self.entries, _refused = trusted_entries(self.history, [], self.gateways, self.acls, self.clock(),
                                                 config["broadest_network"])
        self.lock = threading.Lock()

    # -- FreeSWITCH (the refresh thread)

    def refresh(self):
        """Ask FreeSWITCH what it trusts. A question that fails keeps the last answer (reported as an error)."""
        now = self.clock()
        sources = self.config["sources"]
        previous_errors, errors = self.errors, {}
        live = []
        history, gateways, acls = self.history, self.gateways, self.acls
        if sources.get("registrations"):
            try:
                live = parse_registrations(self.freeswitch.api("show registrations as json"), now)
                history = update_history(history, live, now, self.config["registration_window"])
            except TrustError as error:
                errors["registrations"] = str(error)  # and the history is kept as it was, window included
        else:
            history = {}
        if sources.get("gateways"):
            try:
                gateways = self._gateway_addresses(parse_gateways(self.freeswitch.api("sofia xmlstatus gateway")), now)
            except TrustError as error:
                errors["gateways"] = str(error)
        else:
            gateways, self.gateway_skipped = [], []
        if sources.get("acls"):
            try:
                wanted = profile_acl_names(self.freeswitch.api("xml_locate configuration configuration name sofia.conf"))
                lists = parse_acl_lists(self.freeswitch.api("xml_locate configuration configuration name acl.conf")) if wanted else {}
                acls, self.acl_skipped = acl_networks(lists, wanted, self.config["broadest_network"])
            except TrustError as error:
                errors["acls"] = str(error)
        else:
            acls, self.acl_skipped = [], []
        entries, refused = trusted_entries(history, live, gateways, acls, now, self.config["broadest_network"])
        with self.lock:
            self.history, self.gateways, self.acls, self.errors = history, gateways, acls, errors
            self.skipped = self.gateway_skipped + self.acl_skipped + refused
            self.entries = entries
        for source, error in sorted(errors.items()):
            if previous_errors.get(source) != error:
                log("%s: %s (keeping the last answer)" % (source, error))

    def _gateway_addresses(self, gateways, now):
        found, skipped = [], []
        for name, host in gateways:
            reason = "gateway %s (proxy %s)" % (name, host)
            if _is_ip_text(host):
                address = single_address(host)
                if address is None:
                    skipped.append((reason, "the proxy is a network, not an address"))
                else:
                    found.append((address, reason))
                continue
            cached = self.dns.get(host)
            if not cached or now - cached[0] > self.config["dns_cache_seconds"]:
                try:
                    addresses = sorted({single_address(info[4][0].split("%")[0]) for info in self.resolve(host, None)} - {None})
                    cached = (now, addresses, None)
                except (OSError, UnicodeError) as error:
                    # Not FreeSWITCH's answer failing: trusted by its last addresses until the name resolves again.
                    cached = (now, cached[1] if cached else [a for a, r in self.gateways if r == reason], str(error))
                self.dns[host] = cached
            if cached[2]:
                skipped.append((reason, "cannot resolve: %s%s" % (cached[2], " (its last addresses kept)" if cached[1] else "")))
            found.extend((address, reason) for address in cached[1])
        self.gateway_skipped = skipped
        return found

    # -- fail2ban (the main loop)

    def sync(self):
        """Make each jail's runtime ignore list hold the trusted entries; True when one changed."""
        changed = False
        with self.lock:
            entries = dict(self.entries)
        for jail in list(self.owned):
            if jail not in self.config["jails"]:
                changed = self._forget_jail(jail) or changed
        for jail in self.config["jails"]:
            before, status = set(self.owned.get(jail, set())), self.jail_status.get(jail)
            try:
                to_add, to_remove, owned = plan_sync(self.fail2ban.ignore_list(jail), before, entries)
                # Updated entry by entry: a failure halfway still knows what it added.
                self.owned[jail] = owned
                for entry in to_remove:
                    # Not after a reload made it the configuration's (the sentinel would be gone).
                    if SENTINEL not in self.fail2ban.ignore_list(jail):
                        owned.clear()
                        break
                    self.fail2ban.remove(jail, entry)
                    owned.discard(entry)
                    log("%s: no longer trusted: %s" % (jail, entry))
                for entry in to_add:
                    self.fail2ban.add(jail, entry)
                    owned.add(entry)
                    if entry != SENTINEL:
                        log("%s: trusted: %s (%s)" % (jail, entry, "; ".join(entries[entry])))
                self.jail_status[jail] = "synced"
            except TrustError as error:
                self.jail_status[jail] = str(error)
                if status != str(error):
                    log("%s: %s" % (jail, error))
            changed = changed or self.owned.get(jail, set()) != before or self.jail_status[jail] != status
        return changed

    def _forget_jail(self, jail):
        """A jail no longer managed (the preset changed): take back what was added to it."""
        try:
            current = self.fail2ban.ignore_list(jail)
            if SENTINEL in current:
                for entry in sorted(self.owned[jail] & set(current)):
                    self.fail2ban.remove(jail, entry)
        except TrustError:
            pass  # gone with the jail
        del self.owned[jail]
        return True

    def lift_trusted_bans(self):
        """Unban trusted addresses the managed jails hold (a ban in the moment after a reload, or from before)."""
        with self.lock:
            networks = [(ipaddress.ip_network(entry), entry) for entry in self.entries]
        for jail in self.config["jails"]:
            try:
                banned = self.fail2ban.banned(jail)
            except TrustError:
                continue
            for address in banned:
                try:
                    ip = ipaddress.ip_address(address)
                except ValueError:
                    continue
                entry = next((entry for network, entry in networks if ip.version == network.version and ip in network), None)
                if entry is None:
                    continue
                try:
                    self.fail2ban.unban(jail, address)
                except TrustError:
                    continue
                self.unbanned = (self.unbanned + [{"jail": jail, "address": address, "entry": entry, "at": self.clock()}])[-50:]
                log("%s: unbanned %s, which is trusted (%s)" % (jail, address, "; ".join(self.entries.get(entry, []))))

    def write_state(self):
        with self.lock:
            state = {
                "version": 1,
                "updated": self.clock(),
                "sources": self.config["sources"],
                "registration_window": self.config["registration_window"],
                "refresh_interval": self.config["refresh_interval"],
                "sentinel": SENTINEL,
                "trusted": [{"entry": entry, "reasons": reasons} for entry, reasons in sorted(self.entries.items())],
                "skipped": [{"entry": entry, "reason": reason} for entry, reason in self.skipped],
                "jails": dict(self.jail_status),
                "errors": dict(self.errors),
                "unbanned": list(self.unbanned),
                "registrations": self.history,
                "gateways": self.gateways,
                "acls": self.acls,
                "owned": dict((jail, sorted(entries)) for jail, entries in self.owned.items()),
            }
        save_state(self.config["state_file"], state)

    def run(self, once=False):
        if once:
            self.refresh()
            self.sync()
            self.lift_trusted_bans()
            self.write_state()
            return
        refreshed = threading.Event()

        def refresh_forever():
            while True:
                guarded(self.refresh)
                refreshed.set()
                time.sleep(self.config["refresh_interval"])
        threading.Thread(target=refresh_forever, name="refresh", daemon=True).start()
        refreshed.wait(self.config["refresh_interval"])
        while True:
            after_refresh = refreshed.is_set()
            refreshed.clear()
            changed = guarded(self.sync)
            if after_refresh:
                guarded(self.lift_trusted_bans)
            # The state names what each jail holds: written whenever that changed (fail2ban_info reads it).
            if changed or after_refresh:
                guarded(self.write_state)
            time.sleep(self.config["sync_interval"])


def guarded(step):
    """Run one step of the loops; an unexpected error is logged, and the service goes on."""
    try:
        return step()
    except Exception as error:  # pylint: disable=broad-except
        log("unexpected error in %s: %r" % (step.__name__, error))
        return False


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
    """What an earlier run remembered; anything of the wrong shape is dropped (the service starts afresh)."""
    state = {"registrations": {}, "gateways": [], "acls": [], "owned": {}}
    try:
        with open(path, encoding="utf-8") as handle:
            saved = json.load(handle)
    except (OSError, ValueError):
        return state
    if not isinstance(saved, dict) or saved.get("version") != 1:
        return state
    try:
        state["registrations"] = dict(
            (single_address(address), {"last_seen": float(seen["last_seen"]), "user": str(seen.get("user", "?"))})
            for address, seen in saved.get("registrations", {}).items() if single_address(address))
        for key in ("gateways", "acls"):
            state[key] = [(canonical(entry), str(reason)) for entry, reason in saved.get(key, []) if canonical(entry)]
        state["owned"] = dict((str(jail), set(str(entry) for entry in entries))
                              for jail, entries in saved.get("owned", {}).items())
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        log("%s: not the shape this version writes (%r): starting afresh" % (path, error))
        return {"registrations": {}, "gateways": [], "acls": [], "owned": {}}
    return state


def save_state(path, state):
    """Write the state atomically: a reader sees the old file or the new one."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".sip-trust-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(state, stream, indent=1, sort_keys=True)
        os.chmod(temporary, 0o600)  # who registered from where: root's business
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
