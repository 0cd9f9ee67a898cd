# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One grammar for fail2ban's values, whatever the entry point.

Durations: the modules' validation, the fleet code and the roles' checks (the voipguard.pbx.fail2ban_duration
test plugin) accept and refuse the same values (test_f2b_validation.py holds the grammar itself to fail2ban's
own MyTime.str2seconds). Whitelist entries: jail.local's ignoreip comparison, the fleet's whitelist comparison
and FusionPBX's access control nodes give one canonical form for one entry."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils import f2b_validation, fail2ban_config, fleet
from ansible_collections.voipguard.pbx.plugins.module_utils import fusionpbx_access_control
from ansible_collections.voipguard.pbx.plugins.test import fail2ban as fail2ban_tests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'roles'))
from role_files import load_role_program  # noqa: E402  (this folder is put on the path just above)

fail2ban_duration = fail2ban_tests.TestModule().tests()['fail2ban_duration']
# The trust service runs on the PBX without the collection: it has its own copy, held to the same answers.
sip_trust = load_role_program('freeswitch', 'voipguard-sip-trust.py', 'voipguard_sip_trust_grammar')

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


# entry -> its canonical form (what fail2ban prints in a jail's ignore list)
WHITELIST_ENTRIES = {
    '192.0.2.7': '192.0.2.7',
    '192.0.2.7/32': '192.0.2.7',
    '192.0.2.9/24': '192.0.2.0/24',
    '192.0.2.0/255.255.255.0': '192.0.2.0/24',
    '2001:DB8::1': '2001:db8::1',
    '2001:db8::1/128': '2001:db8::1',
    '2001:db8::/32': '2001:db8::/32',
    '::ffff:192.0.2.7': '192.0.2.7',
    '::ffff:192.0.2.0/120': '192.0.2.0/24',
    'PBX.Example.com': 'pbx.example.com',
    'pbx.example.com.': 'pbx.example.com',
}


@pytest.mark.parametrize('entry, canonical', sorted(WHITELIST_ENTRIES.items()))
def test_every_entry_point_gives_one_canonical_whitelist_entry(entry, canonical):
    assert f2b_validation.normalize_address(entry) == canonical
    assert fail2ban_config.item_identity('ignoreip', entry) == canonical
    assert fleet.canonical_whitelist_entry(entry) == canonical
    assert fleet.whitelist_difference([entry], [canonical]) == dict(missing=[], unexpected=[])
    if not canonical[-1].isalpha():
        assert sip_trust.canonical(entry) == canonical


@pytest.mark.parametrize('entry', ['192.0.2.7', '192.0.2.7/32', '192.0.2.9/24', '192.0.2.0/255.255.255.0'])
def test_fusionpbx_nodes_cover_the_same_networks(entry):
    canonical = WHITELIST_ENTRIES[entry]
    assert fusionpbx_access_control.normalize_nodes([entry]).cidrs == \
        fusionpbx_access_control.normalize_nodes([canonical]).cidrs
