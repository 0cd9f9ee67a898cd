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

import ipaddress
import os
import sys

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils import f2b_validation, fail2ban_config
from ansible_collections.voipguard.pbx.plugins.module_utils import fusionpbx_access_control
from ansible_collections.voipguard.pbx.plugins.plugin_utils import compliance_checks, whitelist_drift
from ansible_collections.voipguard.pbx.plugins.test import fail2ban as fail2ban_tests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'roles'))
from role_files import load_role_program  # noqa: E402  (this folder is put on the path just above)

fail2ban_duration = fail2ban_tests.TestModule().tests()['fail2ban_duration']


def compliance_bantime_check(value, running_seconds):
    """The fleet's entry point: the compliance check of a jail whose policy bantime is `value`, running with
    bantime `running_seconds`."""
    info = dict(running=True, jail_names=['pbx'], jails=dict(pbx=dict(bantime=running_seconds)))
    return compliance_checks.check_jail(info, dict(name='pbx', bantime=value))['status']


# The trust service runs on the PBX without the collection: it has its own copy, held to the same answers.
sip_trust = load_role_program('freeswitch', 'voipguard-sip-trust.py', 'voipguard_sip_trust_grammar')

ACCEPTED = {
    '600': 600, '10m': 600, '1h30m': 5400, '1d 2h': 93600, '-1': -1, '1 week': 604800, '2w': 1209600,
    '1.5h': 5400, '90s': 90, '1mo': 2629800, 600: 600, -1: -1,
}
# Values the four copies of the grammar used to disagree on, spaces fail2ban strips, and plain junk.
REFUSED = ['1 2 3', 'a week', '   ', ' 10m', '10m ', '10m\n', 'abc', '1h;', '10m #', '%(bantime)s extra',
           'one hour', True, None]


@pytest.mark.parametrize('value, seconds', sorted(ACCEPTED.items(), key=repr))
def test_every_entry_point_accepts_a_duration_with_the_same_seconds(value, seconds):
    assert f2b_validation.duration_value_seconds(value) == seconds
    assert compliance_bantime_check(value, seconds) == 'passed'
    assert compliance_bantime_check(value, seconds + 1) == 'failed'
    assert f2b_validation.validate_value('bantime', str(value)) == str(value)
    assert fail2ban_duration(value) is True


@pytest.mark.parametrize('value', REFUSED, ids=repr)
def test_every_entry_point_refuses_what_fail2ban_cannot_read(value):
    with pytest.raises(ValueError):
        f2b_validation.duration_value_seconds(value)
    if value is None:  # a policy without a bantime: the check has nothing to compare
        assert compliance_bantime_check(value, 600) == 'passed'
    else:
        with pytest.raises(ValueError):
            compliance_bantime_check(value, 600)
    with pytest.raises(f2b_validation.ValidationError):
        f2b_validation.validate_value('bantime', value)
    assert fail2ban_duration(value) is False


@pytest.mark.parametrize('value', ['', '%(bantime)s'])
def test_the_module_also_takes_a_default_or_an_interpolation_which_is_no_duration_to_check(value):
    assert f2b_validation.validate_value('bantime', value) == value
    assert fail2ban_duration(value) is False
    with pytest.raises(ValueError):
        f2b_validation.duration_value_seconds(value)


# entry -> its canonical form (what fail2ban prints in a jail's ignore list)
WHITELIST_ENTRIES = {
    '192.0.2.7': '192.0.2.7',
    '192.0.2.7/32': '192.0.2.7',
    '192.0.2.9/24': '192.0.2.0/24',
    '192.0.2.0/255.255.255.0': '192.0.2.0/24',
    '2001:DB8::1': '2001:db8::1',
    '2001:db8::1/128': '2001:db8::1',
    '2001:db8::/32': '2001:db8::/32',
    # Mapped to IPv4 without a prefix only, as fail2ban does: with one it stays an IPv6 network.
    '::ffff:192.0.2.7': '192.0.2.7',
    '::ffff:192.0.2.0/120': str(ipaddress.ip_network('::ffff:192.0.2.0/120')),
    '::ffff:192.0.2.7/128': str(ipaddress.ip_network('::ffff:192.0.2.7/128')),
    'PBX.Example.com': 'pbx.example.com',
    'pbx.example.com.': 'pbx.example.com',
}


@pytest.mark.parametrize('entry, canonical', sorted(WHITELIST_ENTRIES.items()))
def test_every_entry_point_gives_one_canonical_whitelist_entry(entry, canonical):
    assert f2b_validation.normalize_address(entry) == canonical
    assert fail2ban_config.item_identity('ignoreip', entry) == canonical
    assert whitelist_drift.canonical_whitelist_entry(entry) == canonical
    assert whitelist_drift.whitelist_difference([entry], [canonical]) == dict(missing=[], unexpected=[])
    # voipguard-sip-trust maps a prefixed IPv4-mapped network to IPv4 (left as it is: FreeSWITCH ACLs).
    if not canonical[-1].isalpha() and not (entry.startswith('::ffff:') and '/' in entry):
        assert sip_trust.canonical(entry) == canonical


@pytest.mark.parametrize('entry', ['192.0.2.7', '192.0.2.7/32', '192.0.2.9/24', '192.0.2.0/255.255.255.0'])
def test_fusionpbx_nodes_cover_the_same_networks(entry):
    canonical = WHITELIST_ENTRIES[entry]
    assert fusionpbx_access_control.normalize_nodes([entry]).cidrs == \
        fusionpbx_access_control.normalize_nodes([canonical]).cidrs
