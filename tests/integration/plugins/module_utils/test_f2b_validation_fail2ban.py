# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durations read like the host's fail2ban reads them: its own parser, loaded from the installed package
(the rest of the validation: tests/unit/plugins/module_utils/test_f2b_validation.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import (
    ValidationError,
    duration_to_seconds,
    validate_duration,
)

MYTIME_PATH = '/usr/lib/python3/dist-packages/fail2ban/server/mytime.py'


@pytest.fixture
def fail2ban_str2seconds(missing_fail2ban):
    """fail2ban's own duration parser, loaded from the installed package (it only needs the stdlib)."""
    if not os.path.exists(MYTIME_PATH):
        missing_fail2ban(MYTIME_PATH)
    spec = importlib.util.spec_from_file_location('fail2ban_mytime_under_test', MYTIME_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MyTime.str2seconds


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(['', '+', '-']),
                          st.integers(min_value=0, max_value=999),
                          st.sampled_from(['', 's', 'sec', 'm', 'min', 'minutes', 'h', 'hours', 'hou', 'd', 'days', 'da',
                                           'w', 'weeks', 'mo', 'mon', 'months', 'y', 'years', 'yy', 'mm', 'ss', 'hh']),
                          st.sampled_from(['', ' ', '  '])),
                min_size=1, max_size=4))
def test_duration_matches_fail2ban_str2seconds(fail2ban_str2seconds, terms):
    parts = []
    for position, (sign, number, unit, space) in enumerate(terms):
        if position and not sign and not space and not unit and not parts[-1][-1].isalpha():
            space = ' '  # "1" + "2" would read as 12 for both; keep terms apart
        parts.append((sign if position else sign.replace('+', '')) + str(number) + space + unit)
    text = ' '.join(parts)
    try:
        expected = fail2ban_str2seconds(text)
    except Exception:  # pylint: disable=broad-exception-caught
        # fail2ban cannot read it (its parser ends in eval): we must refuse it too, never install it.
        with pytest.raises(ValidationError):
            validate_duration(text, 'bantime')
        return
    assert duration_to_seconds(text) == pytest.approx(expected)
