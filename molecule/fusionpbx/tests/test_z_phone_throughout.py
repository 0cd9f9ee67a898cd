# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The phone, registering to both FusionPBX hosts every few seconds since prepare (before converge),
through every attack of this scenario: every registration succeeded and neither blocker ever stopped it.

Runs last (pytest takes the files in name order): the attacks of the other files are over by then.
"""

import re
import shlex

import pytest

from fusionpbx_testbed import GUARDED, PHONE, SOLO, event_guard_blocks, event_guard_logged
import sip_testbed as tb

testinfra_hosts = ["docker://" + SOLO, "docker://" + GUARDED]

PHONE_LOG = "/var/log/voipguard-phone/%s.log"
MINIMUM_REGISTRATIONS = 10


@pytest.fixture(scope="module")
def phone():
    return tb.container(PHONE)


def test_phone_registered_throughout(host, phone):
    name = host.backend.get_hostname()
    log = phone.check_output("cat %s" % (PHONE_LOG % name))
    results = re.findall(r"^attempt=\d+ .* result=(\S+)", log, re.M)
    assert len(results) >= MINIMUM_REGISTRATIONS, "the phone's registration loop to %s stopped early:\n%s" % (name, log[-2000:])
    failed = [(number, result) for number, result in enumerate(results, 1) if result != "200"]
    assert not failed, "registrations of the phone to %s that failed: %r" % (name, failed)
    tb.wait_registered(host, tb.PHONE_USER, tb.address_of(phone))


def test_phone_never_blocked(host, phone):
    phone_ip = tb.address_of(phone)
    bans = host.run("grep -E %s /var/log/fail2ban.log" % shlex.quote(r"\] Ban %s$" % re.escape(phone_ip)))
    assert bans.rc == 1, "the phone was banned:\n%s" % bans.stdout
    assert not tb.firewall_blocks(host, phone_ip)
    assert phone_ip not in event_guard_blocks(host) and event_guard_logged(host, phone_ip) == []
