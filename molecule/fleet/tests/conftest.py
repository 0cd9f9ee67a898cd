# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the fleet scenario's tests: its PBXs and its attacker, as testinfra hosts."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import sip_testbed as tb  # noqa: E402

PBXS = ["vg-fleet-pbx1", "vg-fleet-pbx2", "vg-fleet-pbx3"]


@pytest.fixture(scope="module")
def fleet():
    return dict((name, tb.container(name)) for name in PBXS)


@pytest.fixture(scope="module")
def attacker():
    return tb.container("vg-fleet-attacker")
