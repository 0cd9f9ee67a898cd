# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whitelists compared with the policy: one canonical form per entry, what is missing and what is not the
policy's, per jail of a fail2ban_info result.

Runs on the controller (the whitelist_difference and whitelist_drift filters, compliance_checks). Plain Python,
no Ansible import.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import ValidationError, normalize_address
from ansible_collections.voipguard.pbx.plugins.module_utils.sip_trust import configured_ignoreip


def canonical_whitelist_entry(entry):
    """An ignoreip entry in the form fail2ban prints it (f2b_validation.normalize_address); an entry that is no
    address, network or DNS name is compared as it is, in lower case."""
    text = str(entry).strip()
    try:
        return normalize_address(text)
    except ValidationError:
        return text.lower()


def whitelist_difference(actual, expected):
    """{'missing': entries of `expected` not in `actual`, 'unexpected': the reverse}, canonical and sorted."""
    actual_set = set(canonical_whitelist_entry(entry) for entry in actual)
    expected_set = set(canonical_whitelist_entry(entry) for entry in expected)
    return dict(missing=sorted(expected_set - actual_set), unexpected=sorted(actual_set - expected_set))


def whitelist_drift(info, expected):
    """{jail: {'missing', 'unexpected'}} for the jails of a fail2ban_info result whose ignoreip is not `expected`
    (entries the SIP trust service added at run time are not the whitelist's)."""
    drift = {}
    for jail, facts in sorted((info or {}).get('jails', {}).items()):
        if 'ignoreip' not in facts:
            continue
        difference = whitelist_difference(configured_ignoreip(facts['ignoreip'], info.get('sip_trust'), jail), expected)
        if difference['missing'] or difference['unexpected']:
            drift[jail] = difference
    return drift
