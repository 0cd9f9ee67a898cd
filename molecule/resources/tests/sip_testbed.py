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

SIP_DOMAIN = "pbx.example.com"
PHONE_USER = "1000"
PHONE_PASSWORD = "secret-1000"


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


def register(client, target, user, password, count=1, expect=None, domain=SIP_DOMAIN, transport="udp", timeout=3):
    """Send `count` REGISTER attempts from `client` (a testinfra host) and return the final status of each.

    Each status is a SIP code as a string ("200", "403") or "timeout" when the PBX never answered.
    """
    cmd = ["sip-register", "--target", target, "--transport", transport, "--user", user,
           "--password", password, "--count", str(count), "--timeout", str(timeout)]
    if domain:
        cmd += ["--domain", domain]
    result = client.run(" ".join(_quote(c) for c in cmd))
    statuses = re.findall(r"^attempt=\d+ .* result=(\S+)", result.stdout, re.M)
    assert len(statuses) == count, "sip-register printed %r (stderr %r)" % (result.stdout, result.stderr)
    if expect is not None:
        assert statuses == [expect] * count, "expected %s x%d, got %s" % (expect, count, statuses)
    return statuses


def _quote(text):
    return "'" + str(text).replace("'", "'\\''") + "'"


def jail_status(pbx, jail):
    """Parse `fail2ban-client status <jail>` into counts and the banned list."""
    out = pbx.check_output("fail2ban-client status %s" % _quote(jail))

    def field(name):
        match = re.search(r"%s:\s*(.*)$" % re.escape(name), out, re.M)
        return match.group(1).strip() if match else ""
    return {
        "total_failed": int(field("Total failed") or 0),
        "currently_failed": int(field("Currently failed") or 0),
        "banned": field("Banned IP list").split(),
    }


def firewall_blocks(pbx, address):
    """True when the PBX's firewall (nftables sets or iptables chains) holds `address`."""
    nft = pbx.run("nft list ruleset")
    if nft.rc == 0 and re.search(r"(?<![\d.])%s(?![\d.])" % re.escape(address), nft.stdout):
        return True
    ipt = pbx.run("iptables-save")
    return ipt.rc == 0 and re.search(r"(?<![\d.])%s(?![\d.])" % re.escape(address), ipt.stdout) is not None


def standin_count(pbx, address):
    """SIP requests the FreeSWITCH stand-in has received from `address`."""
    counts = json.loads(pbx.check_output("fs_cli -x 'standin counts'"))
    return int(counts.get(address, 0))


def ignored_in_log(pbx, jail, address):
    """How often fail2ban logged that it ignored a failure of `address` in `jail` (whitelist hit)."""
    out = pbx.run("grep -cF %s /var/log/fail2ban.log" % _quote("[%s] Ignore %s by" % (jail, address)))
    return int(out.stdout.strip() or 0)


def unban(pbx, jail, address):
    pbx.run("fail2ban-client set %s unbanip %s" % (_quote(jail), _quote(address)))


# --- FreeSWITCH stand-in state and the FusionPBX database fixture (molecule/resources/fusionpbx) ---

FUSIONPBX_DATABASE = "fusionpbx"
FREESWITCH_LOG = "/var/log/freeswitch/freeswitch.log"


def standin_profiles(pbx):
    """The settings each running Sofia profile of the stand-in applies: {name: {param: value, "source": ...}}."""
    return json.loads(pbx.check_output("fs_cli -x 'standin profiles'"))


def log_lines_containing(pbx, text, path=FREESWITCH_LOG):
    """Lines of the FreeSWITCH log that contain `text` (fixed string)."""
    result = pbx.run("grep -F -- %s %s" % (_quote(text), _quote(path)))
    return result.stdout.splitlines() if result.rc == 0 else []


def fusionpbx_sql(pbx, sql, database=FUSIONPBX_DATABASE):
    """Output lines of `sql` run by psql as the postgres superuser (peer auth) in the FusionPBX database."""
    out = pbx.check_output("runuser -u postgres -- psql -X -A -t -F '|' -v ON_ERROR_STOP=1 -d %s -c %s"
                           % (_quote(database), _quote(sql)))
    return [line for line in out.splitlines() if line]


def fusionpbx_setting_rows(pbx, setting):
    """{profile name: (value, enabled)} of the v_sip_profile_settings rows named `setting`."""
    rows = fusionpbx_sql(pbx, "SELECT p.sip_profile_name, s.sip_profile_setting_value, s.sip_profile_setting_enabled::text"
                              " FROM v_sip_profile_settings s JOIN v_sip_profiles p USING (sip_profile_uuid)"
                              " WHERE s.sip_profile_setting_name = '%s' ORDER BY 1, 2" % setting.replace("'", "''"))
    result = {}
    for row in rows:
        name, value, enabled = row.split("|")
        assert name not in result, "two %s rows for profile %s" % (setting, name)
        result[name] = (value, enabled)
    return result


def fusionpbx_rows_except(pbx, setting):
    """Every row of the FusionPBX fixture's tables as text, the `setting` rows without their value column.

    Compared before and after a change of `setting`: anything else that differs (another column of
    those rows, another row, a new or a deleted row) was touched when it must not have been.
    """
    literal = "'%s'" % setting.replace("'", "''")
    return fusionpbx_sql(pbx, (
        "SELECT 'v_sip_profile_settings ' || CASE WHEN s.sip_profile_setting_name = %s"
        " THEN (to_jsonb(s) - 'sip_profile_setting_value')::text ELSE s::text END FROM v_sip_profile_settings s"
        " UNION ALL SELECT 'v_sip_profiles ' || p::text FROM v_sip_profiles p"
        " UNION ALL SELECT 'v_sip_profile_domains ' || d::text FROM v_sip_profile_domains d"
        " UNION ALL SELECT 'v_sofia_global_settings ' || g::text FROM v_sofia_global_settings g"
        " ORDER BY 1") % literal)


def restart_jail(pbx, jail):
    """Restart a jail with no ban and no remembered failure (the log position is kept in fail2ban's database)."""
    pbx.check_output("fail2ban-client restart --unban %s" % _quote(jail))
    wait_for(lambda: pbx.run("fail2ban-client status %s" % _quote(jail)).rc == 0, what="jail %s back" % jail)


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
                        % (" ".join(_quote(c) for c in cmd), out, out, out, out))
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
    out = host.check_output("ip -4 -o addr show dev %s" % _quote(device))
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
    return pbx.check_output("fail2ban-client get %s %s" % (_quote(jail), _quote(name))).strip()


def write_text(host, path, text):
    """Replace the content of `path` on `host` with `text`."""
    host.check_output("printf '%%s' %s > %s" % (_quote(text), _quote(path)))
