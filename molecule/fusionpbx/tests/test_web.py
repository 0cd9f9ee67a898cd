# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The web side of real FusionPBX 5.5: login page, provisioning URLs, 404 scans, floods and SSH, on vg-fusionpbx.

The attacker is banned by each jail in turn: it ends up in the jail and the firewall, its next request
gets no answer and never reaches nginx, and it is unbanned before the next attack. The whitelisted admin
mistypes its web, provisioning and SSH passwords and is never banned, and its open SSH session survives
the attacker's SSH brute force. Requests go to the host's address from containers on the same network,
so FusionPBX and nginx see the clients' own addresses.
"""

import re

import pytest

from fusionpbx_testbed import ADMIN, ATTACKER, SOLO, q
import sip_testbed as tb

testinfra_hosts = ["docker://" + SOLO]

# The fusionpbx jail preset: the installer's jail names, our filters.
AUTH_JAIL, MAC_JAIL, NOT_FOUND_JAIL, FLOOD_JAIL, SSH_JAIL = "fusionpbx", "fusionpbx-mac", "nginx-404", "nginx-dos", "sshd"
JAILS = (AUTH_JAIL, MAC_JAIL, NOT_FOUND_JAIL, FLOOD_JAIL, SSH_JAIL, "freeswitch")
DOMAIN = "pbx.example.com"
KNOWN_MAC, PROVISION_PASSWORD = "001565000001", "prov-secret"   # files/testbed.sql
SSH_USER, SSH_PASSWORD = "operator", "operator-ssh-secret"
ACCESS_LOG = "/var/log/nginx/access.log"
BAN_TIMEOUT = 60


@pytest.fixture(scope="module")
def attacker():
    return tb.container(ATTACKER)


@pytest.fixture(scope="module")
def admin():
    return tb.container(ADMIN)


@pytest.fixture
def pbx(host, attacker, admin):
    """The host with neither client banned in any jail."""
    for client in (attacker, admin):
        address = tb.address_of(client)
        for jail in JAILS:
            tb.unban(host, jail, address)
        tb.wait_for(lambda: not tb.firewall_blocks(host, address), what="%s gone from the firewall" % address)
    return host


def admin_password(pbx):
    """The admin password FusionPBX's installer generated (install-fusionpbx.sh keeps it)."""
    return re.search(r"^password: (\S+)$", pbx.file("/root/fusionpbx-install.txt").content_string, re.M).group(1)


def http(client, url, data=None, max_time=3):
    """'<status> <redirect>' of one request (https certificates not checked; the domain resolves to the
    host), or None when no HTTP answer came (refused or timed out)."""
    pbx_ip = tb.address_of(tb.container(SOLO))
    cmd = "curl -k -s -o /dev/null -w '%%{http_code} %%{redirect_url}' --max-time %d --resolve %s:80:%s --resolve %s:443:%s %s%s" % (
        max_time, DOMAIN, pbx_ip, DOMAIN, pbx_ip, "--data %s " % q(data) if data is not None else "", q(url))
    result = client.run(cmd)
    return result.stdout.strip() if result.rc == 0 else None


def status(client, url, data=None):
    answer = http(client, url, data)
    return answer.split()[0] if answer else None


def http_many(client, urls, max_time=2):
    """Status of each URL in turn, in one shell; stops at the first request without an HTTP answer."""
    pbx_ip = tb.address_of(tb.container(SOLO))
    script = ("for u in %s; do c=$(curl -k -s -o /dev/null -w '%%{http_code}' --max-time %d --resolve %s:80:%s --resolve %s:443:%s"
              " \"$u\") || { echo none; break; }; echo $c; done" % (" ".join(q(u) for u in urls), max_time, DOMAIN, pbx_ip, DOMAIN, pbx_ip))
    return client.check_output(script).split()


def http_flood(client, urls, parallel=10, max_time=2):
    """Status of each URL, fetched by one curl over parallel connections: a rate no loaded test host's
    one-request-at-a-time loop falls under. Stops at the first request without an HTTP answer."""
    pbx_ip = tb.address_of(tb.container(SOLO))
    script = ("curl -k -s --parallel --parallel-max %d --fail-early --max-time %d --resolve %s:443:%s -w '%%{http_code}\\n' %s"
              " || true" % (parallel, max_time, DOMAIN, pbx_ip, " ".join("-o /dev/null %s" % q(u) for u in urls)))
    return client.check_output(script).split()


def ssh_login(client, target, password, timeout=5):
    """Exit status of one password login (0: logged in, 5: wrong password, 255: no connection)."""
    return client.run(
        "sshpass -p %s ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no"
        " -o PreferredAuthentications=password,keyboard-interactive -o NumberOfPasswordPrompts=1 -o ConnectTimeout=%d"
        " %s@%s true" % (q(password), timeout, SSH_USER, target)).rc


def access_log_lines_from(pbx, address):
    return int(pbx.run("grep -c %s %s" % (q("^%s " % address), ACCESS_LOG)).stdout.strip() or 0)


def maxretry(pbx, jail):
    return int(pbx.check_output("fail2ban-client get %s maxretry" % q(jail)))


def assert_banned_and_cut_off(pbx, jail, client, url):
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


LOGIN = "https://%s/login.php" % DOMAIN
FAILED_LOGIN = "302 https://%s/?path=%%2Flogin.php" % DOMAIN


def test_the_auth_jail_reads_fusionpbx_from_the_journal(pbx):
    assert "SYSLOG_IDENTIFIER=FusionPBX" in pbx.check_output("fail2ban-client get %s journalmatch" % AUTH_JAIL)


def test_login_guessing_banned(pbx, attacker):
    limit = maxretry(pbx, AUTH_JAIL)
    before = tb.jail_status(pbx, AUTH_JAIL)["total_failed"]
    # One short of the limit: counted, not banned, still answered. FusionPBX sends a failed login back to the form.
    for attempt in range(limit - 1):
        assert http(attacker, LOGIN, "username=admin&password=guess%d" % attempt) == FAILED_LOGIN
    tb.wait_for(lambda: tb.jail_status(pbx, AUTH_JAIL)["total_failed"] >= before + limit - 1, what="failures counted")
    assert tb.address_of(attacker) not in tb.jail_status(pbx, AUTH_JAIL)["banned"]
    assert status(attacker, LOGIN) == "200"

    assert http(attacker, LOGIN, "username=admin&password=last-guess") == FAILED_LOGIN
    assert_banned_and_cut_off(pbx, AUTH_JAIL, attacker, LOGIN)
    assert_answered_again_after_unban(pbx, AUTH_JAIL, attacker, LOGIN)


def test_provisioning_bad_password_banned(pbx, attacker):
    base = "http://%s" % DOMAIN
    limit = maxretry(pbx, AUTH_JAIL)
    # The right password gets the phone's configuration, with its SIP credentials...
    assert status(attacker, "%s/app/provision/?mac=%s&password=%s" % (base, KNOWN_MAC, PROVISION_PASSWORD)) == "200"
    # ...so attackers guess it. FusionPBX answers "access denied" with a 200 and logs the guess.
    for attempt in range(limit):
        assert status(attacker, "%s/provision/%s.cfg?password=guess%d" % (base, KNOWN_MAC, attempt)) == "200"
    assert_banned_and_cut_off(pbx, AUTH_JAIL, attacker, LOGIN)
    assert_answered_again_after_unban(pbx, AUTH_JAIL, attacker, LOGIN)


def test_mac_scan_banned(pbx, attacker):
    base = "http://%s" % DOMAIN
    limit = maxretry(pbx, MAC_JAIL)
    shapes = ("/provision/%s.cfg", "/provision/cfg%s.xml", "/app/provision/?mac=%s", "/provision/%s-phone.cfg")
    urls = [base + shapes[n % len(shapes)] % ("001565ab%04x" % n) for n in range(limit)]
    codes = http_many(attacker, urls)
    # Provisioning is on: FusionPBX refuses MACs it has no device for with 403 (the last one may race the ban).
    assert codes[:limit - 1] == ["403"] * (limit - 1), codes
    assert_banned_and_cut_off(pbx, MAC_JAIL, attacker, LOGIN)
    assert tb.address_of(attacker) not in tb.jail_status(pbx, NOT_FOUND_JAIL)["banned"]
    assert_answered_again_after_unban(pbx, MAC_JAIL, attacker, LOGIN)


def test_404_scan_banned(pbx, attacker):
    base = "http://%s" % DOMAIN
    limit = maxretry(pbx, NOT_FOUND_JAIL)
    # Plain http outside /provision is redirected to https by FusionPBX's site: scan over https.
    codes = http_many(attacker, ["%s/scan/probe-%d.php.bak" % (base.replace("http:", "https:"), n) for n in range(limit)])
    assert codes[:limit - 1] == ["404"] * (limit - 1), codes
    assert_banned_and_cut_off(pbx, NOT_FOUND_JAIL, attacker, LOGIN)
    assert_answered_again_after_unban(pbx, NOT_FOUND_JAIL, attacker, LOGIN)


def test_request_flood_banned(pbx, attacker):
    # prepare.yml limited FusionPBX's PHP pages to 10 requests/s (burst 40), as the role's README shows:
    # nginx rejects the excess with 503 and the flood jail bans on the rejections in its error log.
    codes = http_flood(attacker, ["https://%s/login.php?n=%d" % (DOMAIN, n) for n in range(400)])
    assert "503" in codes, codes
    assert_banned_and_cut_off(pbx, FLOOD_JAIL, attacker, LOGIN)
    assert_answered_again_after_unban(pbx, FLOOD_JAIL, attacker, LOGIN)


def test_whitelisted_admin_mistyping_never_banned(pbx, admin):
    address = tb.address_of(admin)
    attempts = maxretry(pbx, AUTH_JAIL) + 2
    ignored_before = tb.ignored_in_log(pbx, AUTH_JAIL, address)
    for attempt in range(attempts):
        assert http(admin, LOGIN, "username=admin&password=typo%d" % attempt) == FAILED_LOGIN
        assert status(admin, "http://%s/provision/%s.cfg?password=typo%d" % (DOMAIN, KNOWN_MAC, attempt)) == "200"
    tb.wait_for(lambda: tb.ignored_in_log(pbx, AUTH_JAIL, address) >= ignored_before + 2 * attempts,
                what="fail2ban to ignore the admin's failures")
    assert address not in tb.jail_status(pbx, AUTH_JAIL)["banned"]
    assert not tb.firewall_blocks(pbx, address)
    assert http(admin, LOGIN, "username=admin@%s&password=%s" % (DOMAIN, admin_password(pbx))) == "302 https://%s/core/dashboard/" % DOMAIN


@pytest.fixture
def admin_session(pbx, admin):
    """An SSH session from the admin to the host printing a line every second; yields a line counter."""
    target = tb.address_of(pbx)
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
    target = tb.address_of(pbx)
    admin_address, attacker_address = tb.address_of(admin), tb.address_of(attacker)
    limit = maxretry(pbx, SSH_JAIL)

    ignored_before = tb.ignored_in_log(pbx, SSH_JAIL, admin_address)
    for _attempt in range(limit + 1):
        assert ssh_login(admin, target, "typo") != 0
    tb.wait_for(lambda: tb.ignored_in_log(pbx, SSH_JAIL, admin_address) > ignored_before,
                what="fail2ban to ignore the admin's SSH failures")

    def attacker_banned():
        if attacker_address in tb.jail_status(pbx, SSH_JAIL)["banned"]:
            return True
        ssh_login(attacker, target, "guess")
        return False
    tb.wait_for(attacker_banned, timeout=120, interval=0.1, what="the SSH brute force banned")
    tb.wait_for(lambda: tb.firewall_blocks(pbx, attacker_address), what="the attacker in the firewall")
    assert ssh_login(attacker, target, SSH_PASSWORD, timeout=3) == 255

    assert admin_address not in tb.jail_status(pbx, SSH_JAIL)["banned"]
    assert not tb.firewall_blocks(pbx, admin_address)
    assert admin.run("kill -0 %s" % pid).rc == 0
    printed = lines()
    tb.wait_for(lambda: lines() > printed, what="the admin's session to keep printing")
    tb.wait_for(lambda: ssh_login(admin, target, SSH_PASSWORD) == 0, timeout=60, interval=1, what="a new admin login")
