# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The legitimate phone, registering to every PBX every few seconds since prepare (before converge),
through every attack of this scenario: every registration succeeded and no PBX ever banned it.

Runs last (pytest takes the files in name order): the attacks of the other files are over by then.
"""

import os
import re
import shlex
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import sip_testbed as tb  # noqa: E402

testinfra_hosts = ["docker://vg-pbx", "docker://vg-pbx-legacy", "docker://vg-pbx-fhs"]

# Started by prepare.yml, one loop per PBX, every 5 seconds.
PHONE_LOG = "/var/log/voipguard-phone/%s.log"
# The phone ran through converge, idempotence and verify: at least this many registrations each.
MINIMUM_REGISTRATIONS = 10


@pytest.fixture(scope="module")
def phone():
    return tb.container("vg-phone")


def test_phone_registered_throughout(host, phone):
    name = host.backend.get_hostname()
    log = phone.check_output("cat %s" % (PHONE_LOG % name))
    results = re.findall(r"^attempt=\d+ .* result=(\S+)", log, re.M)
    assert len(results) >= MINIMUM_REGISTRATIONS, "the phone's registration loop to %s stopped early:\n%s" % (name, log[-2000:])
    failed = [(number, result) for number, result in enumerate(results, 1) if result != "200"]
    assert not failed, "registrations of the phone to %s that failed: %r" % (name, failed)
    assert phone.run("pgrep -f 'sip_register.py --target %s '" % tb.address_of(host)).rc == 0, "the loop is not running"
    # A test that logged in as 1000 from elsewhere replaced the registration until the phone's next one.
    tb.wait_registered(host, tb.PHONE_USER, tb.address_of(phone))


def test_phone_never_banned(host, phone):
    """Not now, and not at any moment of the scenario (fail2ban's log has every ban)."""
    phone_ip = tb.address_of(phone)
    bans = host.run("grep -E %s /var/log/fail2ban.log" % shlex.quote(r"\] Ban %s$" % re.escape(phone_ip)))
    assert bans.rc == 1, "the phone was banned:\n%s" % bans.stdout
    assert not tb.firewall_blocks(host, phone_ip)
