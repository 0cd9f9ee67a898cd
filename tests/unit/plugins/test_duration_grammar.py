# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One grammar for fail2ban durations: the modules' validation, the fleet code and the roles' checks (the
voipguard.pbx.fail2ban_duration test plugin) accept and refuse the same values. test_f2b_validation.py holds
the grammar itself to fail2ban's own MyTime.str2seconds."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils import f2b_validation, fleet
from ansible_collections.voipguard.pbx.plugins.test import fail2ban as fail2ban_tests

fail2ban_duration = fail2ban_tests.TestModule().tests()['fail2ban_duration']

ACCEPTED = {
    '600': 600, '10m': 600, '1h30m': 5400, '1d 2h': 93600, '-1': -1, '1 week': 604800, '2w': 1209600,
    '1.5h': 5400, '90s': 90, '1mo': 2629800,
}
# Values the four copies of the grammar used to disagree on, and plain junk.
REFUSED = ['1 2 3', 'a week', '', '   ', 'abc', '1h;', '10m #', '%(bantime)s extra', 'one hour']


@pytest.mark.parametrize('text, seconds', sorted(ACCEPTED.items()))
def test_every_entry_point_accepts_a_duration_with_the_same_seconds(text, seconds):
    assert f2b_validation.duration_to_seconds(text) == seconds
    assert fleet.duration_seconds(text) == int(seconds)
    assert f2b_validation.validate_duration(text, 'bantime') == text
    assert fail2ban_duration(text) is True


@pytest.mark.parametrize('text', REFUSED)
def test_every_entry_point_refuses_what_fail2ban_cannot_read(text):
    with pytest.raises(ValueError):
        f2b_validation.duration_to_seconds(text)
    with pytest.raises(ValueError):
        fleet.duration_seconds(text)
    with pytest.raises(f2b_validation.ValidationError):
        f2b_validation.validate_duration(text, 'bantime')
    assert fail2ban_duration(text) is False


def test_numbers_are_seconds_and_booleans_are_not_durations():
    assert fleet.duration_seconds(600) == 600 and fail2ban_duration(600) is True
    assert fail2ban_duration(True) is False
    with pytest.raises(ValueError):
        fleet.duration_seconds(True)
