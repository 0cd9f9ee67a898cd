# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet filter plugin exposes the plugin_utils logic and turns bad input into AnsibleFilterError."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.voipguard.pbx.plugins.filter.fleet import FilterModule
from ansible_collections.voipguard.pbx.plugins.plugin_utils import ban_sync, compliance_checks, unban_report, whitelist_drift
from ansible_collections.voipguard.pbx.plugins.plugin_utils import compliance_report as fleet_report

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


def test_every_filter_calls_its_plugin_utils_function():
    """Each filter hands its arguments to the controller-side function it names (a wiring mistake, such as a
    parameter shadowing a module, shows here and not only in a playbook run)."""
    info = dict(running=True, version='1.0.2', jail_names=['pbx'],
                jails=dict(pbx=dict(banned=['203.0.113.9'], ignoreip=['127.0.0.0/8'], maxretry=4, findtime=600, bantime=3600)))
    policy = dict(whitelist=['127.0.0.1/8'], jails=[dict(name='pbx', maxretry=4, findtime='10m', bantime='1h')])
    verdict = FILTERS['compliance_evaluate'](dict(fail2ban=info), policy)
    assert verdict == compliance_checks.evaluate_host(dict(fail2ban=info), policy)
    report = FILTERS['compliance_report'](dict(pbx1=verdict), '2026-01-05T10:00:00+00:00')
    assert report == fleet_report.build_report(dict(pbx1=verdict), '2026-01-05T10:00:00+00:00')
    assert FILTERS['compliance_junit'](report) == fleet_report.junit_xml(report)
    assert FILTERS['compliance_summary'](report) == fleet_report.summary_lines(report)
    union = FILTERS['ban_union'](dict(a=info))
    assert union == ban_sync.ban_union(dict(a=info))
    whitelist = dict(pbx=dict(whitelisted=[], not_whitelisted=['203.0.113.9']))
    assert FILTERS['ban_sync_plan'](union, ['pbx'], whitelist) == ban_sync.ban_sync_plan(union, ['pbx'], whitelist)
    assert FILTERS['whitelist_difference'](['127.0.0.0/8'], ['::1']) == whitelist_drift.whitelist_difference(['127.0.0.0/8'], ['::1'])
    assert FILTERS['whitelist_drift'](info, ['::1']) == whitelist_drift.whitelist_drift(info, ['::1'])
    findings = FILTERS['unban_findings'](info, {}, ['203.0.113.9'])
    assert findings == unban_report.unban_findings(info, {}, ['203.0.113.9'])
    assert FILTERS['unban_report'](dict(a=findings), ['203.0.113.9']) == unban_report.unban_report(dict(a=findings), ['203.0.113.9'])
