# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The phone, registering to both FusionPBX hosts every few seconds since prepare (before converge),
through every attack of this scenario: every registration succeeded and neither blocker ever stopped it.

Runs last (pytest takes the files in name order): the attacks of the other files are over by then.
"""


import pytest

from fusionpbx_testbed import GUARDED, PHONE, SOLO, event_guard_blocks, event_guard_logged
import sip_testbed as tb

testinfra_hosts = ["docker://" + SOLO, "docker://" + GUARDED]


@pytest.fixture(scope="module")
def phone():
    return tb.container(PHONE)


def test_phone_registered_throughout(host, phone):
    tb.assert_phone_registered_throughout(host, phone)


def test_phone_never_blocked(host, phone):
    phone_ip = tb.address_of(phone)
    tb.assert_never_banned(host, phone_ip)
    assert phone_ip not in event_guard_blocks(host) and event_guard_logged(host, phone_ip) == []
