# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers the SIP test-bed scenarios share: drive SIP clients, read fail2ban and the firewall on a PBX.

Containers are reached with testinfra's docker backend (``docker exec``), which is much faster than
going through ansible for every command.
"""

import json
import re
import time

import testinfra

import freeswitch_images
import nft_counter

SIP_DOMAIN = "pbx.example.com"
PHONE_USER = "1000"
PHONE_PASSWORD = "secret-1000"
# Another account (voipguard/freeswitch images: users 1000-1003, passwords secret-<user>). FreeSWITCH's
# vanilla profiles keep one registration per user: a client that logs in as the phone replaces it.
OTHER_USER = "1003"
OTHER_PASSWORD = "secret-1003"


class Deadline(Exception):
    pass


def wait_for(condition, timeout=20.0, interval=0.2, what="condition"):
    """Poll condition() until it returns a true value; raise with `what` when the deadline passes."""
    end = time.monotonic() + timeout
    last = None
    while True:
        last = condition()
        if last:
            return last
        if time.monotonic() > end:
            raise Deadline("timed out after %.0fs waiting for %s (last value: %r)" % (timeout, what, last))
        time.sleep(interval)


def container(name):
    return testinfra.get_host("docker://" + name)


def address_of(host):
    """The container's IPv4 address on the test network."""
    out = host.check_output("hostname -I")
    return out.split()[0]


def register(client, target, user, password, count=1, expect=None, domain=SIP_DOMAIN, transport="udp", timeout=3,
             expires=3600, source_ip=None, interval=0):
    """Send `count` REGISTER attempts from `client` (a testinfra host) and return the final status of each.

    Each status is a SIP code as a string ("200", "403") or "timeout" when the PBX never answered.
    expires=0 logs in and unregisters at once: the client is answered without holding a registration
    (an address holding one is trusted by the PBX's voipguard-sip-trust service).
    interval: seconds sip-register leaves between two attempts (a slow guesser's pace).
    """
    cmd = ["sip-register", "--target", target, "--transport", transport, "--user", user,
           "--password", password, "--count", str(count), "--timeout", str(timeout), "--expires", str(expires)]
    if domain:
        cmd += ["--domain", domain]
    if source_ip:
        cmd += ["--source-ip", source_ip]
    if interval:
        cmd += ["--interval", str(interval)]
    result = client.run(" ".join(quote(c) for c in cmd))
    statuses = re.findall(r"^attempt=\d+ .* result=(\S+)", result.stdout, re.M)
    assert len(statuses) == count, "sip-register printed %r (stderr %r)" % (result.stdout, result.stderr)
    if expect is not None:
        assert statuses == [expect] * count, "expected %s x%d, got %s" % (expect, count, statuses)
    return statuses


def quote(text):
    """`text` as one shell word."""
    return "'" + str(text).replace("'", "'\\''") + "'"


def jail_status(pbx, jail):
    """Parse `fail2ban-client status <jail>` into counts and the banned list."""
    out = pbx.check_output("fail2ban-client status %s" % quote(jail))

    def field(name):
        match = re.search(r"%s:\s*(.*)$" % re.escape(name), out, re.M)
        return match.group(1).strip() if match else ""
    return {
        "total_failed": int(field("Total failed") or 0),
        "currently_failed": int(field("Currently failed") or 0),
        "currently_banned": int(field("Currently banned") or 0),
        "banned": field("Banned IP list").split(),
    }


def firewall_blocks(pbx, address):
    """True when the PBX's firewall (nftables sets or iptables chains) holds `address` (the tests' own
    counter table and voipguard-blocklist's whitelist sets, allow4 and allow6, aside)."""
    pattern = r"(?<![\d.])%s(?![\d.])" % re.escape(address)
    tables = pbx.run("nft list tables")
    for family, name in re.findall(r"^table (\S+) (\S+)$", tables.stdout, re.M):
        if name == nft_counter.TABLE:
            continue
        listing = pbx.run("nft list table %s %s" % (family, name)).stdout
        if name == "voipguard-blocklist":
            listing = re.sub(r"set allow[46] \{.*?\n\t\}", "", listing, flags=re.S)
        if re.search(pattern, listing):
            return True
    ipt = pbx.run("iptables-save")
    return ipt.rc == 0 and re.search(r"(?<![\d.])%s(?![\d.])" % re.escape(address), ipt.stdout) is not None


def delivered_packets(pbx, address, protocol=None):
    """UDP and TCP packets (or only `protocol`'s) from `address` that got past the PBX's firewall (nft_counter)."""
    def run(script):
        result = pbx.run(script)
        return result.rc, result.stdout + result.stderr
    return nft_counter.delivered_packets(run, address, protocol)


def ignored_in_log(pbx, jail, address):
    """How often fail2ban logged that it ignored a failure of `address` in `jail` (whitelist hit)."""
    out = pbx.run("grep -cF %s /var/log/fail2ban.log" % quote("[%s] Ignore %s by" % (jail, address)))
    return int(out.stdout.strip() or 0)


def unban(pbx, jail, address):
    pbx.run("fail2ban-client set %s unbanip %s" % (quote(jail), quote(address)))


# --- Real FreeSWITCH on the PBX containers (molecule/resources/images/freeswitch) ---

FREESWITCH_LAYOUTS = freeswitch_images.LAYOUTS
_layout_of = {}


def freeswitch_paths(pbx):
    """{"conf", "log", "fs_cli"} of the FreeSWITCH installed on `pbx` (whichever layout has its fs_cli)."""
    key = pbx.backend.get_hostname()
    if key not in _layout_of:
        found = [name for name, paths in FREESWITCH_LAYOUTS.items() if pbx.file(paths["fs_cli"]).exists]
        assert len(found) == 1, "%s: expected one FreeSWITCH install layout, found %r" % (key, found)
        _layout_of[key] = found[0]
    return FREESWITCH_LAYOUTS[_layout_of[key]]


def fs_cli(pbx, command):
    """Output of `fs_cli -x <command>` on `pbx` (fails the test when fs_cli cannot reach FreeSWITCH)."""
    return pbx.check_output("%s -x %s" % (quote(freeswitch_paths(pbx)["fs_cli"]), quote(command)))


def registrations(pbx):
    """FreeSWITCH's live registrations: [{"reg_user", "realm", "network_ip", ...}] (show registrations)."""
    out = fs_cli(pbx, "show registrations as json")
    return json.loads(out).get("rows") or []


def registered_from(pbx, user, address):
    return any(row["reg_user"] == user and row["network_ip"] == address for row in registrations(pbx))


def wait_registered(pbx, user, address, timeout=15):
    """Wait until FreeSWITCH lists `user` registered from `address` (it records a new registration
    in its database a moment after answering 200)."""
    wait_for(lambda: registered_from(pbx, user, address), timeout=timeout,
             what="FreeSWITCH to list %s registered from %s" % (user, address))


def sofia_profile_running(pbx, profile="internal"):
    """True when `sofia status` lists `profile` as RUNNING."""
    status = pbx.run("%s -x 'sofia status'" % quote(freeswitch_paths(pbx)["fs_cli"])).stdout
    return freeswitch_images.profile_running(status, profile)


def log_lines_containing(pbx, text, path=None):
    """Lines of the FreeSWITCH log (or `path`) that contain `text` (fixed string)."""
    result = pbx.run("grep -F -- %s %s" % (quote(text), quote(path or freeswitch_paths(pbx)["log"])))
    return result.stdout.splitlines() if result.rc == 0 else []


def restart_jail(pbx, jail):
    """Restart a jail with no ban and no remembered failure (the log position is kept in fail2ban's database)."""
    pbx.check_output("fail2ban-client restart --unban %s" % quote(jail))
    wait_for(lambda: pbx.run("fail2ban-client status %s" % quote(jail)).rc == 0, what="jail %s back" % jail)


# --- Clients running in the background, IPv6, the fail2ban service (resilience scenario) ---

BACKGROUND_DIR = "/tmp/sip-register-background"
RESULT_LINE_RE = re.compile(r"^attempt=\d+ .* result=(\S+)", re.M)


def start_registers(client, target, user, password, source_ips, count=1, domain=SIP_DOMAIN, transport="udp", timeout=3):
    """Start one sip-register per address of `source_ips` on `client`, all at once, and return without waiting.

    Returns the run names to pass to registers_finished(). Each run sends `count` REGISTER attempts
    from its own source address (the addresses must be on the client's interface).
    """
    stamp = time.monotonic_ns()
    names = ["%s-%d" % (source.replace(":", "_"), stamp) for source in source_ips]
    commands = []
    for name, source in zip(names, source_ips):
        cmd = ["sip-register", "--target", target, "--transport", transport, "--user", user, "--password", password,
               "--count", str(count), "--timeout", str(timeout), "--source-ip", source]
        if domain:
            cmd += ["--domain", domain]
        out = "%s/%s" % (BACKGROUND_DIR, name)
        # The exit status file appears only when the run has printed everything.
        commands.append("(%s >%s.out 2>&1; echo $? >%s.tmp; mv %s.tmp %s.rc) </dev/null >/dev/null 2>&1 &"
                        % (" ".join(quote(c) for c in cmd), out, out, out, out))
    # mkdir alone first: "mkdir && A & B &" would put mkdir in A's background job, racing B's redirection.
    client.check_output("mkdir -p %s || exit 1; %s" % (BACKGROUND_DIR, " ".join(commands)))
    return names


def registers_finished(client, names):
    """{name: [status of each attempt]} once every run of start_registers() has ended, None while one runs."""
    paths = " ".join("%s/%s.rc" % (BACKGROUND_DIR, name) for name in names)
    if client.run("ls %s" % paths).rc != 0:
        return None
    return {name: RESULT_LINE_RE.findall(client.check_output("cat %s/%s.out" % (BACKGROUND_DIR, name))) for name in names}


def secondary_addresses(host, device="eth0"):
    """IPv4 addresses on `device` after the first one (e.g. a flood's extra source addresses)."""
    out = host.check_output("ip -4 -o addr show dev %s" % quote(device))
    return re.findall(r"\binet (\S+)/\d+", out)[1:]


def ipv6_address_of(host):
    """The container's global IPv6 address on the test network ("" without one)."""
    out = host.check_output("ip -6 -o addr show scope global")
    found = re.findall(r"\binet6 ([0-9a-fA-F:]+)/\d+", out)
    return found[0] if found else ""


def fail2ban_main_pid(pbx):
    """PID of the fail2ban server according to systemd (0 when it is not running)."""
    return int(pbx.check_output("systemctl show --property MainPID --value fail2ban") or 0)


def fail2ban_answers(pbx):
    return pbx.run("fail2ban-client ping").rc == 0


def running_setting(pbx, jail, name):
    """A setting of `jail` as the running fail2ban server applies it (not as the files say)."""
    return pbx.check_output("fail2ban-client get %s %s" % (quote(jail), quote(name))).strip()


def write_text(host, path, text):
    """Replace the content of `path` on `host` with `text`."""
    host.check_output("printf '%%s' %s > %s" % (quote(text), quote(path)))


# --- The phone that re-registers for a whole scenario (started by prepare.yml, sip-register --count 0) ---

PHONE_LOG = "/var/log/voipguard-phone/%s.log"   # on the phone, one per PBX (its inventory name)
MINIMUM_PHONE_REGISTRATIONS = 10                 # through converge, idempotence and verify at least


def assert_phone_registered_throughout(pbx, phone):
    """Every registration of the phone's loop to `pbx` succeeded, there were enough of them, and FreeSWITCH
    lists the phone now."""
    name = pbx.backend.get_hostname()
    log = phone.check_output("cat %s" % (PHONE_LOG % name))
    results = re.findall(r"^attempt=\d+ .* result=(\S+)", log, re.M)
    assert len(results) >= MINIMUM_PHONE_REGISTRATIONS, "the phone's registration loop to %s stopped early:\n%s" % (name, log[-2000:])
    failed = [(number, result) for number, result in enumerate(results, 1) if result != "200"]
    assert not failed, "registrations of the phone to %s that failed: %r" % (name, failed)
    # A test that logged in as 1000 from elsewhere replaced the registration until the phone's next one.
    wait_registered(pbx, PHONE_USER, address_of(phone))


def assert_never_banned(pbx, address):
    """Not now, and not at any moment of the scenario (fail2ban's log has every ban)."""
    bans = pbx.run("grep -E %s /var/log/fail2ban.log" % quote(r"\] Ban %s$" % re.escape(address)))
    assert bans.rc == 1, "%s was banned:\n%s" % (address, bans.stdout)
    assert not firewall_blocks(pbx, address)


# --- Forged packets (sip-forge) and the trust service (voipguard-sip-trust) ---

def forge(attacker, target, mode, sources=(), sources_from=(), limit=0, count=1, rate=0, user=PHONE_USER,
          domain=SIP_DOMAIN):
    """Send REGISTERs with forged source addresses from `attacker` (sip-forge); returns how many were sent."""
    cmd = ["sip-forge", "--target", target, "--mode", mode, "--count", str(count), "--user", user, "--domain", domain]
    for source in sources:
        cmd += ["--source", source]
    for network in sources_from:
        cmd += ["--sources-from", network]
    if limit:
        cmd += ["--limit", str(limit)]
    if rate:
        cmd += ["--rate", str(rate)]
    out = attacker.check_output(" ".join(quote(c) for c in cmd))
    return int(re.search(r"\bsent=(\d+)", out).group(1))


def ignore_list(pbx, jail):
    """The entries of the running jail's ignore list (configured and added at run time)."""
    out = pbx.check_output("fail2ban-client get %s ignoreip" % quote(jail))
    return re.findall(r"^[|`]- (\S+)$", out, re.M)


def process_usage(pbx, unit):
    """(CPU seconds used so far, resident memory in kB) of the main process of systemd `unit` on `pbx`."""
    pid = int(pbx.check_output("systemctl show --property MainPID --value %s" % quote(unit)))
    stat = pbx.check_output("cat /proc/%d/stat" % pid)
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(pbx.check_output("getconf CLK_TCK"))
    rss = int(re.search(r"^VmRSS:\s+(\d+)", pbx.check_output("cat /proc/%d/status" % pid), re.M).group(1))
    return (int(fields[11]) + int(fields[12])) / ticks, rss
