# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The phone, registering every few seconds since prepare, through every forged attack of this scenario:
every registration succeeded and it was never banned. Runs last (pytest takes the files in name order)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import sip_testbed as tb  # noqa: E402

testinfra_hosts = ["docker://vg-spoof-pbx"]


def test_phone_registered_throughout(host):
    phone = tb.container("vg-spoof-phone")
    tb.assert_phone_registered_throughout(host, phone)
    tb.assert_never_banned(host, tb.address_of(phone))
