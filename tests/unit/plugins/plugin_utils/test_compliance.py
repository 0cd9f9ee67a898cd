# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugin_utils/compliance_checks.py and compliance_report.py: a host's facts against the policy, the fleet report, JUnit XML."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
from xml.etree import ElementTree

from ansible_collections.voipguard.pbx.plugins.plugin_utils import compliance_checks as compliance
from ansible_collections.voipguard.pbx.plugins.plugin_utils import compliance_report

POLICY = dict(
    whitelist=['127.0.0.1/8', '::1', '198.51.100.0/24'],
    jails=[dict(name='voipguard-freeswitch', maxretry=4, findtime='10m', bantime='2h'),
           dict(name='sshd', maxretry='5', findtime='10m', bantime='1h')],
    log_auth_failures=True,
    warning_logged=True,
)
WHITELIST_RUNNING = ['127.0.0.0/8', '198.51.100.0/24', '::1']
GOOD = dict(
    fail2ban=dict(running=True, version='1.0.2', jail_names=['sshd', 'voipguard-freeswitch'], jails={
        'voipguard-freeswitch': dict(maxretry=4, findtime=600, bantime=7200, ignoreip=WHITELIST_RUNNING),
        'sshd': dict(maxretry=5, findtime=600, bantime=3600, ignoreip=WHITELIST_RUNNING),
    }),
    jail_local=dict(changed=False),
    sofia=dict(changed=False, changed_profiles=[], backend='xml'),
    freeswitch_log=dict(warning_logged=True, warning_reason='ok', filter_matches=True, filter_reason='matches'),
)


def statuses(result):
    return dict((check['name'], check['status']) for check in result['checks'])


def messages(result):
    return dict((check['name'], check['message']) for check in result['checks'])


def drifted(**changes):
    facts = copy.deepcopy(GOOD)
    for path, value in changes.items():
        target = facts
        keys = path.split('__')
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return compliance.evaluate_host(facts, POLICY)


def test_compliant_host_passes_every_check():
    result = compliance.evaluate_host(GOOD, POLICY)
    assert result['compliant'] is True
    assert statuses(result) == {
        'fail2ban running': 'passed', 'jail voipguard-freeswitch': 'passed', 'jail sshd': 'passed',
        'whitelist': 'passed', 'log-auth-failures': 'passed', 'WARNING reaches the log': 'passed',
        'filter matches the log format': 'passed', 'event_guard whitelist': 'skipped', 'SIP trust': 'skipped',
        'blocklist': 'skipped'}


def test_fail2ban_down_fails_running_jails_and_whitelist():
    result = drifted(fail2ban=dict(running=False, reason='Failed to access socket path', jails={}, jail_names=[]))
    assert result['compliant'] is False
    assert statuses(result)['fail2ban running'] == 'failed' and 'socket' in messages(result)['fail2ban running']
    assert statuses(result)['jail sshd'] == 'failed' and statuses(result)['whitelist'] == 'failed'


def test_module_failure_is_a_failed_check_not_a_crash():
    result = drifted(fail2ban=dict(failed=True, msg='fail2ban-client: command not found'))
    assert statuses(result)['fail2ban running'] == 'failed'
    assert 'command not found' in messages(result)['fail2ban running']


def test_missing_jail_and_wrong_thresholds():
    result = drifted(fail2ban__jail_names=['sshd'])
    assert statuses(result)['jail voipguard-freeswitch'] == 'failed'
    assert 'not active' in messages(result)['jail voipguard-freeswitch']
    result = drifted(**{'fail2ban__jails__voipguard-freeswitch__maxretry': 10,
                        'fail2ban__jails__voipguard-freeswitch__bantime': 3600})
    message = messages(result)['jail voipguard-freeswitch']
    assert 'maxretry is 10, policy 4' in message and 'bantime is 3600, policy 7200 (2h)' in message


def test_whitelist_drift_in_a_running_jail_and_in_jail_local():
    result = drifted(**{'fail2ban__jails__sshd__ignoreip': ['127.0.0.0/8', '::1', '203.0.113.99'],
                        'jail_local__changed': True})
    assert statuses(result)['whitelist'] == 'failed'
    message = messages(result)['whitelist']
    assert 'jail sshd not in policy: 203.0.113.99; missing: 198.51.100.0/24' in message
    assert 'voipguard-freeswitch' not in message and 'jail.local' in message


def test_sofia_profiles_without_log_auth_failures():
    result = drifted(sofia=dict(changed=True, changed_profiles=['external', 'internal'], backend='fusionpbx'))
    assert statuses(result)['log-auth-failures'] == 'failed'
    assert 'external, internal' in messages(result)['log-auth-failures']
    assert statuses(drifted(sofia=dict(failed=True, msg='no sip_profiles')))['log-auth-failures'] == 'failed'


def test_policy_switches_skip_checks():
    policy = dict(POLICY, log_auth_failures=False, warning_logged=False)
    result = compliance.evaluate_host(dict(GOOD, sofia=dict(changed_profiles=['internal'])), policy)
    assert statuses(result)['log-auth-failures'] == 'skipped' and statuses(result)['WARNING reaches the log'] == 'skipped'
    assert result['compliant'] is True


def test_log_checks():
    result = drifted(freeswitch_log=dict(warning_logged=False, warning_reason='map "all" without warning',
                                         filter_matches=False, filter_reason='probe not matched'))
    assert statuses(result)['WARNING reaches the log'] == 'failed' and statuses(result)['filter matches the log format'] == 'failed'
    result = drifted(freeswitch_log=dict(warning_logged=True, warning_reason='', filter_matches=None, filter_reason='empty log'))
    assert statuses(result)['filter matches the log format'] == 'skipped' and result['compliant'] is True


def test_report_summary_junit_for_a_fleet():
    results = dict(
        pbx1=dict(compliance.evaluate_host(GOOD, POLICY), policy=POLICY),
        pbx2=drifted(jail_local__changed=True, **{'fail2ban__jails__sshd__ignoreip': ['127.0.0.0/8']}),
        pbx3=None,  # unreachable
    )
    report = compliance_report.build_report(results, '2026-01-05T10:00:00+00:00')
    assert report['summary'] == dict(hosts=3, compliant=1, drifted=['pbx2', 'pbx3'], failed_checks=2)
    lines = compliance_report.summary_lines(report)
    assert lines[0] == 'pbx1: compliant (7 checks passed)'
    assert lines[1].startswith('pbx2: DRIFT whitelist: jail sshd missing: 198.51.100.0/24, ::1')
    assert lines[2].startswith('pbx3: DRIFT host reachable')
    assert lines[-1] == '3 host(s): 1 compliant, 2 drifting (pbx2, pbx3)'

    root = ElementTree.fromstring(compliance_report.junit_xml(report).split('\n', 1)[1])
    assert root.tag == 'testsuites' and root.get('tests') == '21' and root.get('failures') == '2'
    suites = dict((suite.get('name'), suite) for suite in root.iter('testsuite'))
    assert suites['pbx1'].get('failures') == '0' and suites['pbx1'].get('timestamp') == '2026-01-05T10:00:00+00:00'
    failure = suites['pbx2'].find("testcase[@name='whitelist']/failure")
    assert failure is not None and 'missing: 198.51.100.0/24' in failure.get('message')
    assert suites['pbx3'].find("testcase[@name='host reachable']/failure") is not None


def test_junit_escapes_attacker_controlled_text():
    facts = copy.deepcopy(GOOD)
    facts['freeswitch_log'] = dict(warning_logged=True, warning_reason='', filter_matches=False,
                                   filter_reason='missed [<x@"&]>] from ip 203.0.113.7')
    report = compliance_report.build_report(dict(pbx=compliance.evaluate_host(facts, POLICY)))
    root = ElementTree.fromstring(compliance_report.junit_xml(report).split('\n', 1)[1])
    assert root.find(".//failure").get('message') == 'missed [<x@"&]>] from ip 203.0.113.7'


# --- FusionPBX's event_guard -------------------------------------------------------------------------

ACL_EXACT = dict(changed=False, nodes=['127.0.0.0/8', '198.51.100.0/24'], added=[], removed=[], unblocked=[])


def test_event_guard_with_the_policy_whitelist_passes():
    result = drifted(event_guard=dict(policy='whitelist', whitelist=ACL_EXACT))
    assert statuses(result)['event_guard whitelist'] == 'passed' and result['compliant'] is True
    assert '2 node(s)' in messages(result)['event_guard whitelist']


def test_event_guard_list_drift_is_reported_with_what_differs():
    acl = dict(ACL_EXACT, changed=True, added=['198.51.100.0/24'], removed=['allow 203.0.113.99/32'],
               unblocked=['198.51.100.40'])
    result = drifted(event_guard=dict(policy='whitelist', whitelist=acl))
    assert statuses(result)['event_guard whitelist'] == 'failed' and result['compliant'] is False
    message = messages(result)['event_guard whitelist']
    assert 'missing: 198.51.100.0/24' in message and 'not in policy: allow 203.0.113.99/32' in message
    assert 'blocked by event_guard: 198.51.100.40' in message


def test_event_guard_list_unreadable_fails():
    result = drifted(event_guard=dict(policy='whitelist', whitelist=dict(failed=True, msg='psql failed on database fusionpbx')))
    assert statuses(result)['event_guard whitelist'] == 'failed' and 'psql failed' in messages(result)['event_guard whitelist']


def test_event_guard_disabled_by_policy_must_not_run():
    running = drifted(event_guard=dict(policy='disabled', service=dict(state='running', status='enabled')))
    assert statuses(running)['event_guard whitelist'] == 'failed'
    stopped = drifted(event_guard=dict(policy='disabled', service=dict(state='stopped', status='disabled')))
    assert statuses(stopped)['event_guard whitelist'] == 'passed'


def test_event_guard_unmanaged_or_absent_is_skipped():
    assert statuses(drifted(event_guard=dict(policy='unmanaged')))['event_guard whitelist'] == 'skipped'
    assert statuses(drifted(event_guard=dict(policy=None)))['event_guard whitelist'] == 'skipped'


# --- voipguard-sip-trust ----------------------------------------------------------------------------

TRUST = dict(updated=1796024188.0, age=4, refresh_interval=10, sources={}, registration_window=86400,
             trusted=[dict(entry='203.0.113.20', reasons=['registered now: 1000@pbx.example.com']),
                      dict(entry='203.0.113.30', reasons=['gateway carrier (proxy 203.0.113.30)']),
                      dict(entry='203.0.113.40', reasons=['registered 2h ago: 1001@pbx.example.com'])],
             skipped=[], errors={}, jails={'voipguard-freeswitch': 'synced'},
             owned={'voipguard-freeswitch': ['203.0.113.20', '203.0.113.30', '203.0.113.40']})


def trusting_host(**changes):
    facts = copy.deepcopy(GOOD)
    facts['fail2ban']['sip_trust'] = dict(copy.deepcopy(TRUST), **changes)
    facts['fail2ban']['jails']['voipguard-freeswitch']['ignoreip'] = WHITELIST_RUNNING + ['203.0.113.20', '203.0.113.30', '203.0.113.40']
    return facts


def test_trusted_entries_are_not_whitelist_drift_and_the_service_passes():
    result = compliance.evaluate_host(trusting_host(), dict(POLICY, sip_trust_jails=['voipguard-freeswitch']))
    assert statuses(result)[compliance.CHECK_WHITELIST] == compliance.PASSED
    assert statuses(result)[compliance.CHECK_SIP_TRUST] == compliance.PASSED
    assert messages(result)[compliance.CHECK_SIP_TRUST] == 'trusts 3 entries (1 gateway, 2 registered) in voipguard-freeswitch'
    assert result['compliant']


def test_an_entry_added_by_hand_is_still_drift():
    facts = trusting_host()
    facts['fail2ban']['jails']['voipguard-freeswitch']['ignoreip'].append('192.0.2.66')
    result = compliance.evaluate_host(facts, dict(POLICY, sip_trust_jails=['voipguard-freeswitch']))
    assert 'not in policy: 192.0.2.66' in messages(result)[compliance.CHECK_WHITELIST]


def test_stale_missing_or_failing_trust_service_fails():
    policy = dict(POLICY, sip_trust_jails=['voipguard-freeswitch', 'voipguard-freeswitch-ip'])
    result = compliance.evaluate_host(trusting_host(age=95, errors={'registrations': 'fs_cli failed'}), policy)
    message = messages(result)[compliance.CHECK_SIP_TRUST]
    assert statuses(result)[compliance.CHECK_SIP_TRUST] == compliance.FAILED
    assert 'state is 95s old' in message and 'jail voipguard-freeswitch-ip: not managed' in message
    assert 'registrations: fs_cli failed' in message
    facts = copy.deepcopy(GOOD)
    assert 'has written no state' in messages(compliance.evaluate_host(facts, policy))[compliance.CHECK_SIP_TRUST]


def test_policy_without_trust_service_skips_the_check():
    assert statuses(compliance.evaluate_host(GOOD, POLICY))[compliance.CHECK_SIP_TRUST] == compliance.SKIPPED
    assert statuses(compliance.evaluate_host(GOOD, dict(POLICY, sip_trust_jails=[])))[compliance.CHECK_SIP_TRUST] == compliance.SKIPPED


def test_an_unreadable_trust_state_fails_the_check_with_its_reason():
    result = compliance.evaluate_host(trusting_host(error='cannot read the trust state /x: boom'),
                                      dict(POLICY, sip_trust_jails=['voipguard-freeswitch']))
    assert messages(result)[compliance.CHECK_SIP_TRUST] == 'cannot read the trust state /x: boom'


BLOCKLIST_POLICY = dict(enabled=True, sources=['voipbl'], refresh_seconds=3600)


def blocklist_state(**changes):
    state = dict(entries=3, drift=[], lists={
        'fleet': dict(kind='managed', entries=2, age=None, last_success=None, last_error=None),
        'voipbl': dict(kind='import', entries=1, age=60, last_success=1796035000, last_error=None)})
    state.update(changes)
    return dict(running=True, blocklist=state)


def test_blocklist_in_force_passes_with_its_counts():
    check = compliance.check_blocklist(blocklist_state(), BLOCKLIST_POLICY)
    assert (check['status'], check['message']) == ('passed', '3 entries in nftables (fleet 2, voipbl 1)')


def test_blocklist_drift_and_failing_sources_fail_with_the_reason():
    flushed = compliance.check_blocklist(blocklist_state(drift=['table inet voipguard-blocklist is not loaded']),
                                         BLOCKLIST_POLICY)
    assert (flushed['status'], flushed['message']) == ('failed', 'table inet voipguard-blocklist is not loaded')
    state = blocklist_state()
    state['blocklist']['lists']['voipbl'].update(last_error='voipbl: download of http://x failed: timed out', age=7200)
    assert 'voipbl: download of http://x failed: timed out (the list of 7200s ago stays in force)' in \
        compliance.check_blocklist(state, BLOCKLIST_POLICY)['message']
    state = blocklist_state()
    state['blocklist']['lists']['voipbl'].update(age=3 * 3600 + 1)
    assert 'was last imported 10801s ago (every 3600s)' in compliance.check_blocklist(state, BLOCKLIST_POLICY)['message']
    never = compliance.check_blocklist(blocklist_state(lists={}), BLOCKLIST_POLICY)
    assert never['message'] == 'source voipbl has never been imported'
    stray = compliance.check_blocklist(blocklist_state(), dict(BLOCKLIST_POLICY, sources=[]))
    assert stray['message'] == 'imported lists the policy does not name: voipbl'


def test_blocklist_missing_or_broken_fails_and_a_policy_without_one_skips():
    assert compliance.check_blocklist(dict(running=True, blocklist=None), BLOCKLIST_POLICY)['status'] == 'failed'
    assert compliance.check_blocklist(dict(running=True, blocklist=dict(error='nft: Operation not permitted')),
                                      BLOCKLIST_POLICY)['message'] == 'nft: Operation not permitted'
    assert compliance.check_blocklist(blocklist_state(), dict(enabled=False))['status'] == 'skipped'
    assert compliance.check_blocklist(blocklist_state(), None)['status'] == 'skipped'
