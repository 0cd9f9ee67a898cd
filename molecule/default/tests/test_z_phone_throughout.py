# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The legitimate phone, registering to every PBX every few seconds since prepare (before converge),
through every attack of this scenario: every registration succeeded and no PBX ever banned it.

Runs last (pytest takes the files in name order): the attacks of the other files are over by then.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import sip_testbed as tb  # noqa: E402

testinfra_hosts = ["docker://vg-pbx", "docker://vg-pbx-legacy", "docker://vg-pbx-fhs"]


@pytest.fixture(scope="module")
def phone():
    return tb.container("vg-phone")


def test_phone_registered_throughout(host, phone):
    tb.assert_phone_registered_throughout(host, phone)
    assert phone.run("pgrep -f 'sip_register.py --target %s '" % tb.address_of(host)).rc == 0, "the loop is not running"


def test_phone_never_banned(host, phone):
    tb.assert_never_banned(host, tb.address_of(phone))
