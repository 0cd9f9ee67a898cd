# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures: the FreeSWITCH stand-in on loopback, and sipp (skipped when absent unless VOIPGUARD_REQUIRE_SIPP is set)."""

from __future__ import absolute_import, division, print_function

import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from standin_helpers import RunningStandIn  # noqa: E402  pylint: disable=wrong-import-position

__metaclass__ = type


@pytest.fixture
def sipp():
    path = shutil.which("sipp")
    if not path:
        if os.environ.get("VOIPGUARD_REQUIRE_SIPP"):
            pytest.fail("sipp is required (VOIPGUARD_REQUIRE_SIPP is set) but not installed: apt-get install sip-tester")
        pytest.skip("sipp not installed (Debian package sip-tester)")
    return path


@pytest.fixture
def start_standin(tmp_path):
    started = []

    def start(**kwargs):
        instance = RunningStandIn(tmp_path / ("instance%d" % len(started)), **kwargs)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()
