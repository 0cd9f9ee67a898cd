# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End to end: real nginx, the FusionPBX stand-in logging like FusionPBX, real fail2ban and nftables.

Every test runs on both PBX containers: vg-web-pbx12 (Debian 12, journal only, no /var/log/auth.log)
and vg-web-pbx13 (Debian 13 with rsyslog). The attacker is banned by each jail in turn and its HTTP
requests then get no answer (fail2ban's default nftables action rejects, so curl fails at once or times
out) and never reach nginx; the whitelisted admin mistypes its passwords and is never banned, and its
SSH session survives the attacker's SSH brute force.
"""

import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import sip_testbed as tb  # noqa: E402

testinfra_hosts = ["docker://vg-web-pbx12", "docker://vg-web-pbx13"]

AUTH_JAIL = "voipguard-fusionpbx"
MAC_JAIL = "voipguard-fusionpbx-mac"
NOT_FOUND_JAIL = "voipguard-nginx-404"
FLOOD_JAIL = "voipguard-nginx-dos"
SSH_JAIL = "sshd"
JAILS = (AUTH_JAIL, MAC_JAIL, NOT_FOUND_JAIL, FLOOD_JAIL, SSH_JAIL)

WEB_USER, WEB_PASSWORD = "admin", "correct-horse-battery"
KNOWN_MAC, PROVISION_PASSWORD = "001565000001", "prov-secret"
SSH_USER, SSH_PASSWORD = "operator", "operator-ssh-secret"
ACCESS_LOG = "/var/log/nginx/access.log"
BAN_TIMEOUT = 60


def q(text):
    return "'" + str(text).replace("'", "'\\''") + "'"


@pytest.fixture(scope="module")
def attacker():
    return tb.container("vg-web-attacker")


@pytest.fixture(scope="module")
def admin():
    return tb.container("vg-web-admin")


def pbx_address(pbx):
    """The PBX's IPv4 address on the test network (iproute2 is in every image; `hostname` is not)."""
    return re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", pbx.check_output("ip -4 -o addr show scope global")).group(1)


@pytest.fixture
def pbx(host, attacker, admin):
    """The PBX under test with neither client banned in any jail."""
    for client in (attacker, admin):
        address = tb.address_of(client)
        for jail in JAILS:
            tb.unban(host, jail, address)
        tb.wait_for(lambda: not tb.firewall_blocks(host, address), what="%s gone from the firewall" % address)
    return host


# --- HTTP and SSH from a client container ---------------------------------------------------------

def http(client, url, data=None, max_time=3):
    """The HTTP status of one request, or None when no HTTP answer came (refused or timed out)."""
    cmd = "curl -s -o /dev/null -w '%%{http_code}' --max-time %d %s%s" % (
        max_time, "--data %s " % q(data) if data is not None else "", q(url))
    result = client.run(cmd)
    return result.stdout.strip() if result.rc == 0 else None


def http_many(client, urls, max_time=2):
    """Request each URL in turn in one shell; stop at the first request without an HTTP answer."""
    script = "for u in %s; do c=$(curl -s -o /dev/null -w '%%{http_code}' --max-time %d \"$u\") || { echo none; break; }; echo $c; done" % (
        " ".join(q(u) for u in urls), max_time)
    return client.check_output(script).split()


def ssh_login(client, target, password, timeout=5):
    """Exit status of one password login (0: logged in, 5: wrong password, 255: no connection)."""
    return client.run(
        "sshpass -p %s ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no"
        " -o PreferredAuthentications=password,keyboard-interactive -o NumberOfPasswordPrompts=1 -o ConnectTimeout=%d"
        " %s@%s true" % (q(password), timeout, SSH_USER, target)).rc


def access_log_lines_from(pbx, address):
    return int(pbx.run("grep -c %s %s" % (q("^%s " % address), ACCESS_LOG)).stdout.strip() or 0)


def jail_setting(pbx, jail, key):
    return pbx.check_output("fail2ban-client get %s %s" % (q(jail), key))


def assert_banned_and_cut_off(pbx, jail, client, url):
    """`client` ends up in `jail` and the firewall, and its next request gets no answer and reaches nothing."""
    address = tb.address_of(client)
    tb.wait_for(lambda: address in tb.jail_status(pbx, jail)["banned"], timeout=BAN_TIMEOUT, what="%s banned in %s" % (address, jail))
    tb.wait_for(lambda: tb.firewall_blocks(pbx, address), what="%s in the firewall" % address)
    seen = access_log_lines_from(pbx, address)
    assert http(client, url) is None
    assert access_log_lines_from(pbx, address) == seen


def assert_answered_again_after_unban(pbx, jail, client, url):
    address = tb.address_of(client)
    tb.unban(pbx, jail, address)
    tb.wait_for(lambda: not tb.firewall_blocks(pbx, address), what="%s gone from the firewall" % address)
    assert http(client, url) is not None


# --- tests -----------------------------------------------------------------------------------------

def test_fail2ban_runs_the_web_jails(pbx):
    assert pbx.service("fail2ban").is_running
    status = pbx.check_output("fail2ban-client status")
    for jail in JAILS:
        assert jail in status
    # FusionPBX's syslog messages come from the journal, with or without rsyslog.
    assert "SYSLOG_IDENTIFIER=FusionPBX" in jail_setting(pbx, AUTH_JAIL, "journalmatch")
    assert ACCESS_LOG in jail_setting(pbx, MAC_JAIL, "logpath")
    assert "/var/log/nginx/error.log" in jail_setting(pbx, FLOOD_JAIL, "logpath")


def test_the_installer_ssh_jail_is_gone_and_sshd_runs(pbx):
    # prepare.yml wrote FusionPBX's installer [ssh] jail (auth.log based) before the converge.
    sections = re.findall(r"^\[([^\]]+)\]", pbx.file("/etc/fail2ban/jail.local").content_string, re.M)
    assert "ssh" not in sections and "sshd" in sections, sections
    jail_list = re.search(r"Jail list:\s*(.*)$", pbx.check_output("fail2ban-client status"), re.M).group(1)
    jails = [name.strip() for name in jail_list.split(",")]
    assert SSH_JAIL in jails and "ssh" not in jails, jails


def test_login_guessing_banned(pbx, attacker):
    login = "http://%s/login.php" % pbx_address(pbx)
    limit = int(jail_setting(pbx, AUTH_JAIL, "maxretry"))
    before = tb.jail_status(pbx, AUTH_JAIL)["total_failed"]

    # One short of the limit: counted, not banned, still answered.
    for attempt in range(limit - 1):
        assert http(attacker, login, "username=admin&password=guess%d" % attempt) == "200"
    tb.wait_for(lambda: tb.jail_status(pbx, AUTH_JAIL)["total_failed"] >= before + limit - 1, what="failures counted")
    assert tb.address_of(attacker) not in tb.jail_status(pbx, AUTH_JAIL)["banned"]
    assert http(attacker, login) == "200"

    assert http(attacker, login, "username=admin&password=last-guess") == "200"
    assert_banned_and_cut_off(pbx, AUTH_JAIL, attacker, login)
    assert_answered_again_after_unban(pbx, AUTH_JAIL, attacker, login)


def test_provisioning_bad_password_banned(pbx, attacker):
    base = "http://%s" % pbx_address(pbx)
    limit = int(jail_setting(pbx, AUTH_JAIL, "maxretry"))
    # The right password gets the phone's configuration (with its SIP credentials)...
    assert http(attacker, "%s/app/provision/?mac=%s&password=%s" % (base, KNOWN_MAC, PROVISION_PASSWORD)) == "200"
    # ...so attackers guess it.
    for attempt in range(limit):
        assert http(attacker, "%s/app/provision/index.php?mac=%s&password=guess%d" % (base, KNOWN_MAC, attempt)) == "200"
    assert_banned_and_cut_off(pbx, AUTH_JAIL, attacker, base + "/login.php")
    assert_answered_again_after_unban(pbx, AUTH_JAIL, attacker, base + "/login.php")


def test_mac_scan_banned(pbx, attacker):
    base = "http://%s" % pbx_address(pbx)
    limit = int(jail_setting(pbx, MAC_JAIL, "maxretry"))
    shapes = ("/provision/%s.cfg", "/provision/cfg%s.xml", "/app/provision/?mac=%s", "/provision/%s-phone.cfg")
    urls = [base + shapes[n % len(shapes)] % ("001565ab%04x" % n) for n in range(limit)]
    codes = http_many(attacker, urls)
    # Every unknown MAC is answered 404 until the ban cuts the scanner off (the last one may race it).
    assert codes[:limit - 1] == ["404"] * (limit - 1), codes
    assert_banned_and_cut_off(pbx, MAC_JAIL, attacker, base + "/login.php")
    # Counted as a MAC scan, not as a plain 404 scan.
    assert tb.address_of(attacker) not in tb.jail_status(pbx, NOT_FOUND_JAIL)["banned"]
    assert_answered_again_after_unban(pbx, MAC_JAIL, attacker, base + "/login.php")


def test_404_scan_banned(pbx, attacker):
    base = "http://%s" % pbx_address(pbx)
    limit = int(jail_setting(pbx, NOT_FOUND_JAIL, "maxretry"))
    codes = http_many(attacker, ["%s/scan/probe-%d.php.bak" % (base, n) for n in range(limit)])
    assert codes[:limit - 1] == ["404"] * (limit - 1), codes
    assert_banned_and_cut_off(pbx, NOT_FOUND_JAIL, attacker, base + "/login.php")
    assert_answered_again_after_unban(pbx, NOT_FOUND_JAIL, attacker, base + "/login.php")


def test_request_flood_banned(pbx, attacker):
    base = "http://%s" % pbx_address(pbx)
    # nginx's limit_req (5 r/s, burst 20) rejects the excess with 503; the jail bans on the rejections.
    codes = http_many(attacker, ["%s/login.php?n=%d" % (base, n) for n in range(400)])
    assert "503" in codes, codes
    assert_banned_and_cut_off(pbx, FLOOD_JAIL, attacker, base + "/login.php")
    assert_answered_again_after_unban(pbx, FLOOD_JAIL, attacker, base + "/login.php")


def test_whitelisted_admin_mistyping_never_banned(pbx, admin):
    base = "http://%s" % pbx_address(pbx)
    address = tb.address_of(admin)
    attempts = int(jail_setting(pbx, AUTH_JAIL, "maxretry")) + 2
    ignored_before = tb.ignored_in_log(pbx, AUTH_JAIL, address)
    for attempt in range(attempts):
        assert http(admin, base + "/login.php", "username=admin&password=typo%d" % attempt) == "200"
    # fail2ban read every failure and ignored it because of the whitelist.
    tb.wait_for(lambda: tb.ignored_in_log(pbx, AUTH_JAIL, address) >= ignored_before + attempts,
                what="fail2ban to ignore the admin's failures")
    assert address not in tb.jail_status(pbx, AUTH_JAIL)["banned"]
    assert not tb.firewall_blocks(pbx, address)
    assert http(admin, base + "/login.php", "username=%s&password=%s" % (WEB_USER, WEB_PASSWORD)) == "302"


@pytest.fixture
def admin_session(pbx, admin):
    """An SSH session from the admin to the PBX printing a line every second; yields a line counter."""
    target = pbx_address(pbx)
    log = "/tmp/ssh-session-%s.log" % target
    pid = admin.check_output(
        "setsid sshpass -p %s ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no"
        " -o ServerAliveInterval=1 -o ServerAliveCountMax=5 %s@%s 'while :; do date +%%s; sleep 1; done'"
        " </dev/null >%s 2>&1 & echo $!" % (q(SSH_PASSWORD), SSH_USER, target, log))

    def lines():
        return int(admin.run("wc -l < %s" % log).stdout.strip() or 0)

    tb.wait_for(lambda: lines() > 0, what="the admin's SSH session to print")
    yield lines, pid
    admin.run("kill %s" % pid)


def test_ssh_bruteforce_banned_while_the_admin_session_survives(pbx, attacker, admin, admin_session):
    lines, pid = admin_session
    target = pbx_address(pbx)
    admin_address, attacker_address = tb.address_of(admin), tb.address_of(attacker)
    limit = int(jail_setting(pbx, SSH_JAIL, "maxretry"))

    # The admin mistypes its password more often than the limit: whitelisted, never banned.
    ignored_before = tb.ignored_in_log(pbx, SSH_JAIL, admin_address)
    for _attempt in range(limit + 1):
        assert ssh_login(admin, target, "typo") != 0
    tb.wait_for(lambda: tb.ignored_in_log(pbx, SSH_JAIL, admin_address) > ignored_before,
                what="fail2ban to ignore the admin's SSH failures")

    # The attacker guesses until banned (OpenSSH 9.8+ also delays repeat offenders itself, so no fixed count).
    def attacker_banned():
        if attacker_address in tb.jail_status(pbx, SSH_JAIL)["banned"]:
            return True
        ssh_login(attacker, target, "guess")
        return False
    tb.wait_for(attacker_banned, timeout=120, interval=0.1, what="the SSH brute force banned")
    tb.wait_for(lambda: tb.firewall_blocks(pbx, attacker_address), what="the attacker in the firewall")
    # Even the right password gets no connection now (the sshd jail closes the SSH port only).
    assert ssh_login(attacker, target, SSH_PASSWORD, timeout=3) == 255

    # The admin was never banned, and its session kept running through all of it.
    assert admin_address not in tb.jail_status(pbx, SSH_JAIL)["banned"]
    assert not tb.firewall_blocks(pbx, admin_address)
    assert admin.run("kill -0 %s" % pid).rc == 0
    printed = lines()
    tb.wait_for(lambda: lines() > printed, what="the admin's session to keep printing")
    # And it can still log in afresh (sshd's own per-source penalty may delay this for a few seconds).
    tb.wait_for(lambda: ssh_login(admin, target, SSH_PASSWORD) == 0, timeout=60, interval=1, what="a new admin login")
