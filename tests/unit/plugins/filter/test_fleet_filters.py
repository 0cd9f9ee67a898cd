# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet filter plugin exposes the plugin_utils logic and turns bad input into AnsibleFilterError."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.voipguard.pbx.plugins.filter.fleet import FilterModule

FILTERS = FilterModule().filters()


def test_every_filter_is_exposed():
    assert set(FILTERS) == {'compliance_evaluate', 'compliance_report', 'compliance_junit', 'compliance_summary',
                            'ban_union', 'ban_sync_plan', 'whitelist_difference', 'whitelist_drift',
                            'unban_findings', 'unban_report'}


def test_ban_union_through_the_filter():
    info = dict(running=True, jails=dict(pbx=dict(banned=['203.0.113.9'])))
    assert FILTERS['ban_union'](dict(a=info, b=info)) == dict(pbx=['203.0.113.9'])


def test_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match='voipguard.pbx.ban_union'):
        FILTERS['ban_union'](dict(a=dict(running=True, jails=dict(pbx=dict(banned=['not-an-ip'])))))
