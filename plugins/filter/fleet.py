# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the fleet playbooks (compliance, whitelist, ban_sync, unban). The logic lives in plugin_utils (controller side)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.voipguard.pbx.plugins.plugin_utils import (
    ban_sync,
    compliance_checks,
    compliance_report as fleet_report,
    unban_report as unban,
    whitelist_drift as whitelists,
)


def _wrap(function):
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (KeyError, TypeError, ValueError) as exc:
            raise AnsibleFilterError('voipguard.pbx.%s: %s' % (function.__name__, exc))
    call.__name__ = function.__name__
    return call


def compliance_evaluate(facts, policy):
    return compliance_checks.evaluate_host(facts, policy)


def compliance_report(results, generated_at=None):
    return fleet_report.build_report(results, generated_at)


def compliance_junit(report):
    return fleet_report.junit_xml(report)


def compliance_summary(report):
    return fleet_report.summary_lines(report)


def ban_union(bans_by_host, jails=None):
    return ban_sync.ban_union(bans_by_host, jails)


def ban_sync_plan(union, host_jails, whitelist_by_jail):
    return ban_sync.ban_sync_plan(union, host_jails, whitelist_by_jail)


def whitelist_difference(actual, expected):
    return whitelists.whitelist_difference(actual, expected)


def whitelist_drift(info, expected):
    return whitelists.whitelist_drift(info, expected)


def unban_findings(info, history, addresses):
    return unban.unban_findings(info, history, addresses)


def unban_report(findings_by_host, addresses):
    return unban.unban_report(findings_by_host, addresses)


class FilterModule(object):
    def filters(self):
        return dict((function.__name__, _wrap(function)) for function in (
            compliance_evaluate, compliance_report, compliance_junit, compliance_summary,
            ban_union, ban_sync_plan, whitelist_difference, whitelist_drift, unban_findings, unban_report,
        ))
