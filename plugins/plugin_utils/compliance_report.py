# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet's compliance report from each host's verdict (compliance_checks.evaluate_host): JSON-ready
data, summary lines and JUnit XML.

Runs on the controller (the compliance_report, compliance_summary and compliance_junit filters). Plain
Python (standard library only), no Ansible import.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from xml.etree import ElementTree

from ansible_collections.voipguard.pbx.plugins.plugin_utils.compliance_checks import FAILED, PASSED, SKIPPED, evaluate_host


def build_report(results, generated_at=None):
    """The fleet report. results: {host: evaluate_host(...) (plus the host's 'policy'), or None (no facts)}."""
    results = dict((host, result if result else evaluate_host(None, {})) for host, result in results.items())
    drifted = sorted(host for host, result in results.items() if not result['compliant'])
    failed_checks = sum(1 for result in results.values() for check in result['checks'] if check['status'] == FAILED)
    return dict(
        generated_at=generated_at,
        hosts=dict(sorted(results.items())),
        summary=dict(hosts=len(results), compliant=len(results) - len(drifted), drifted=drifted,
                     failed_checks=failed_checks),
    )


def summary_lines(report):
    lines = []
    for host, result in report['hosts'].items():
        failed = [check for check in result['checks'] if check['status'] == FAILED]
        if not failed:
            passed = sum(1 for check in result['checks'] if check['status'] == PASSED)
            lines.append('%s: compliant (%d checks passed)' % (host, passed))
            continue
        for check in failed:
            lines.append('%s: DRIFT %s: %s' % (host, check['name'], check['message']))
    summary = report['summary']
    lines.append('%d host(s): %d compliant, %d drifting%s' % (
        summary['hosts'], summary['compliant'], len(summary['drifted']),
        (' (%s)' % ', '.join(summary['drifted'])) if summary['drifted'] else ''))
    return lines


def junit_xml(report, suite_name='voipguard.pbx compliance'):
    """JUnit XML: one testsuite per host, one testcase per check (failure / skipped elements)."""
    results = report['hosts']
    total = sum(len(result['checks']) for result in results.values())
    failures = sum(1 for result in results.values() for check in result['checks'] if check['status'] == FAILED)
    skipped = sum(1 for result in results.values() for check in result['checks'] if check['status'] == SKIPPED)
    root = ElementTree.Element('testsuites', name=suite_name, tests=str(total), failures=str(failures),
                               errors='0', skipped=str(skipped))
    for host, result in results.items():
        checks = result['checks']
        suite = ElementTree.SubElement(
            root, 'testsuite', name=host, tests=str(len(checks)),
            failures=str(sum(1 for check in checks if check['status'] == FAILED)), errors='0',
            skipped=str(sum(1 for check in checks if check['status'] == SKIPPED)))
        if report.get('generated_at'):
            suite.set('timestamp', str(report['generated_at']))
        for check in checks:
            case = ElementTree.SubElement(suite, 'testcase', classname=host, name=check['name'])
            if check['status'] == FAILED:
                ElementTree.SubElement(case, 'failure', message=check['message'], type='drift').text = check['message']
            elif check['status'] == SKIPPED:
                ElementTree.SubElement(case, 'skipped', message=check['message'])
            else:
                ElementTree.SubElement(case, 'system-out').text = check['message']
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding='unicode') + '\n'
