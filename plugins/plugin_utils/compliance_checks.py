# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Compare what a PBX runs with the fleet policy: one check per requirement, and the host's verdict.

Runs on the controller (the compliance_evaluate filter). Plain Python (standard library only), no Ansible
import. The compliance playbook gathers facts read-only on every host (fail2ban_info, sofia_param and
fail2ban_jail in check mode, freeswitch_log_check) and hands them with the policy, which the roles' policy
entry points describe, to evaluate_host() through the filter. compliance_report.py turns the verdicts into
the fleet's report.

A check's status is 'passed', 'failed' (the host drifts from policy, or could not be read) or
'skipped' (the policy does not ask for it, or there is nothing to judge yet).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import duration_value_seconds
from ansible_collections.voipguard.pbx.plugins.module_utils.sip_trust import configured_ignoreip
from ansible_collections.voipguard.pbx.plugins.plugin_utils.whitelist_drift import whitelist_difference

PASSED, FAILED, SKIPPED = 'passed', 'failed', 'skipped'
CHECK_RUNNING = 'fail2ban running'
CHECK_WHITELIST = 'whitelist'
CHECK_SOFIA = 'log-auth-failures'
CHECK_WARNING = 'WARNING reaches the log'
CHECK_FILTER = 'filter matches the log format'
CHECK_REACHABLE = 'host reachable'
CHECK_EVENT_GUARD = 'event_guard whitelist'
CHECK_SIP_TRUST = 'SIP trust'
# The trust state is written at every refresh: older than this many refresh intervals, the service stopped.
SIP_TRUST_STALE_INTERVALS = 3
CHECK_BLOCKLIST = 'blocklist'
# An imported list older than this many refresh intervals means its source has failed for a while.
BLOCKLIST_STALE_INTERVALS = 3


def _check(name, status, message):
    return dict(name=name, status=status, message=message)


def _task_error(result):
    """The error of a registered task result, or None when it succeeded."""
    if not isinstance(result, dict):
        return 'not gathered'
    if result.get('unreachable'):
        return 'unreachable: %s' % result.get('msg', '')
    if result.get('failed'):
        return result.get('msg') or 'failed'
    return None


def check_running(info):
    error = _task_error(info)
    if error:
        return _check(CHECK_RUNNING, FAILED, 'cannot read fail2ban: %s' % error)
    if not info.get('running'):
        return _check(CHECK_RUNNING, FAILED, info.get('reason') or 'fail2ban is not running')
    return _check(CHECK_RUNNING, PASSED, 'fail2ban %s runs %d jail(s)' % (info.get('version'), len(info.get('jail_names', []))))


def check_jail(info, jail):
    """A required jail runs with the policy's maxretry, findtime and bantime."""
    name = 'jail %s' % jail['name']
    if not isinstance(info, dict) or not info.get('running'):
        return _check(name, FAILED, 'fail2ban is not running')
    facts = info.get('jails', {}).get(jail['name'])
    if jail['name'] not in info.get('jail_names', []) or facts is None:
        return _check(name, FAILED, 'jail %s is not active (running jails: %s)'
                      % (jail['name'], ', '.join(info.get('jail_names', [])) or 'none'))
    wrong = []
    for key in ('maxretry', 'findtime', 'bantime'):
        if jail.get(key) in (None, ''):
            continue
        expected = int(jail[key]) if key == 'maxretry' else duration_value_seconds(jail[key])
        if facts.get(key) != expected:
            wrong.append('%s is %s, policy %s (%s)' % (key, facts.get(key), expected, jail[key]))
    if wrong:
        return _check(name, FAILED, '; '.join(wrong))
    return _check(name, PASSED, 'active: maxretry %s, findtime %ss, bantime %ss'
                  % (facts.get('maxretry'), facts.get('findtime'), facts.get('bantime')))


def check_whitelist(info, whitelist, jail_local=None):
    """Every running jail's ignoreip, and the [DEFAULT] ignoreip of jail.local, equal the policy."""
    if not isinstance(info, dict) or not info.get('running'):
        return _check(CHECK_WHITELIST, FAILED, 'fail2ban is not running')
    problems = []
    for jail_name in sorted(info.get('jails', {})):
        facts = info['jails'][jail_name]
        if 'ignoreip' not in facts:
            continue
        difference = whitelist_difference(configured_ignoreip(facts['ignoreip'], info.get('sip_trust'), jail_name), whitelist)
        parts = []
        if difference['unexpected']:
            parts.append('not in policy: %s' % ', '.join(difference['unexpected']))
        if difference['missing']:
            parts.append('missing: %s' % ', '.join(difference['missing']))
        if parts:
            problems.append('jail %s %s' % (jail_name, '; '.join(parts)))
    if jail_local is not None:
        error = _task_error(jail_local)
        if error:
            problems.append('cannot compare jail.local: %s' % error)
        elif jail_local.get('changed'):
            problems.append('jail.local [DEFAULT] ignoreip differs from policy (the next reload would apply it)')
    if problems:
        return _check(CHECK_WHITELIST, FAILED, ' | '.join(problems))
    return _check(CHECK_WHITELIST, PASSED, 'every jail ignores exactly the policy whitelist (%d entries)' % len(whitelist))


def check_sofia(sofia):
    if sofia is None:
        return _check(CHECK_SOFIA, SKIPPED, 'policy leaves log-auth-failures alone (freeswitch_log_auth_failures false)')
    error = _task_error(sofia)
    if error:
        return _check(CHECK_SOFIA, FAILED, 'cannot read the Sofia profiles: %s' % error)
    changed = sofia.get('changed_profiles') or []
    if changed:
        return _check(CHECK_SOFIA, FAILED, 'log-auth-failures is not true on profile(s) %s (backend %s): '
                      'fail2ban sees no auth failure from them' % (', '.join(changed), sofia.get('backend')))
    return _check(CHECK_SOFIA, PASSED, 'true on every Sofia profile (backend %s)' % sofia.get('backend'))


def check_warning(log_check, wanted=True):
    if not wanted:
        return _check(CHECK_WARNING, SKIPPED, 'policy leaves the log level alone (freeswitch_ensure_warning_logged false)')
    error = _task_error(log_check)
    if error:
        return _check(CHECK_WARNING, FAILED, 'cannot check: %s' % error)
    status = PASSED if log_check.get('warning_logged') else FAILED
    return _check(CHECK_WARNING, status, log_check.get('warning_reason', ''))


def check_filter(log_check):
    error = _task_error(log_check)
    if error:
        return _check(CHECK_FILTER, FAILED, 'cannot check: %s' % error)
    verdict = log_check.get('filter_matches')
    if verdict is None:
        return _check(CHECK_FILTER, SKIPPED, log_check.get('filter_reason') or 'nothing in the log to judge the format by')
    return _check(CHECK_FILTER, PASSED if verdict else FAILED, log_check.get('filter_reason', ''))


def check_event_guard(event_guard):
    """FusionPBX's event_guard honours the policy whitelist, or is off, as the host's policy says.

    event_guard: {'policy': 'whitelist'|'disabled'|'unmanaged'|None (no FusionPBX), 'whitelist': the
    check-mode result of fusionpbx_access_control, 'service': the service_facts entry of event_guard}.
    """
    mode = (event_guard or {}).get('policy')
    if mode is None:
        return _check(CHECK_EVENT_GUARD, SKIPPED, 'no FusionPBX database configured on this host')
    if mode == 'unmanaged':
        return _check(CHECK_EVENT_GUARD, SKIPPED, 'policy leaves event_guard alone (fusionpbx_event_guard unmanaged)')
    if mode == 'disabled':
        service = event_guard.get('service') or {}
        if service.get('state') == 'running' or service.get('status') == 'enabled':
            return _check(CHECK_EVENT_GUARD, FAILED, 'event_guard is %s and %s; the policy turns it off'
                          % (service.get('state'), service.get('status')))
        return _check(CHECK_EVENT_GUARD, PASSED, 'event_guard is off, as the policy says')
    result = event_guard.get('whitelist')
    error = _task_error(result)
    if error:
        return _check(CHECK_EVENT_GUARD, FAILED, 'cannot read FusionPBX\'s access control list: %s' % error)
    problems = []
    if result.get('added'):
        problems.append('missing: %s' % ', '.join(result['added']))
    if result.get('removed'):
        problems.append('not in policy: %s' % ', '.join(result['removed']))
    if result.get('unblocked'):
        problems.append('whitelisted addresses blocked by event_guard: %s' % ', '.join(result['unblocked']))
    if result.get('changed') and not problems:
        problems.append('the list is missing or its settings differ')
    if problems:
        return _check(CHECK_EVENT_GUARD, FAILED, 'event_guard\'s access control list differs from the policy whitelist: %s'
                      % '; '.join(problems))
    return _check(CHECK_EVENT_GUARD, PASSED, 'event_guard honours exactly the policy whitelist (%d node(s))'
                  % len(result.get('nodes') or []))


def check_sip_trust(info, jails):
    """The trust service runs and keeps `jails` (the policy's SIP jails) in step; None: the policy does not ask."""
    if not jails:
        return _check(CHECK_SIP_TRUST, SKIPPED, 'policy runs no trust service on this host (switched off, no SIP jail, '
                      'or not Linux with systemd)')
    if not isinstance(info, dict) or not info.get('running'):
        return _check(CHECK_SIP_TRUST, FAILED, 'fail2ban is not running')
    trust = info.get('sip_trust')
    if not trust:
        return _check(CHECK_SIP_TRUST, FAILED, 'voipguard-sip-trust has written no state: forged packets can ban '
                      'registered phones and gateways')
    if trust.get('error'):
        return _check(CHECK_SIP_TRUST, FAILED, trust['error'])
    problems = []
    limit = SIP_TRUST_STALE_INTERVALS * max(trust.get('refresh_interval') or 0, 1)
    if trust.get('age', 0) > limit:
        problems.append('state is %ds old (the service writes it every %ss): is voipguard-sip-trust running?'
                        % (trust['age'], trust.get('refresh_interval')))
    for jail in jails:
        status = (trust.get('jails') or {}).get(jail)
        if status != 'synced':
            problems.append('jail %s: %s' % (jail, status or 'not managed'))
    for source, error in sorted((trust.get('errors') or {}).items()):
        problems.append('%s: %s' % (source, error))
    if problems:
        return _check(CHECK_SIP_TRUST, FAILED, ' | '.join(problems))
    reasons = [reason.split(' ', 1)[0] for item in trust.get('trusted', []) for reason in item.get('reasons', [])[:1]]
    counts = ', '.join('%d %s' % (reasons.count(kind), kind) for kind in sorted(set(reasons)))
    skipped = len(trust.get('skipped') or [])
    return _check(CHECK_SIP_TRUST, PASSED, 'trusts %d entries (%s) in %s%s' % (
        len(trust.get('trusted', [])), counts or 'none yet', ', '.join(jails),
        '; %d not trusted (fail2ban_info sip_trust.skipped)' % skipped if skipped else ''))


def check_blocklist(info, policy):
    """voipguard-blocklist holds its lists in nftables, and every configured source imports.
    policy: {'enabled': bool, 'sources': [names], 'refresh_seconds': int}, None when the policy has none."""
    if not policy or not policy.get('enabled'):
        return _check(CHECK_BLOCKLIST, SKIPPED, 'policy runs no blocklist on this host (switched off, or not Linux '
                      'with systemd)')
    blocklist = (info or {}).get('blocklist') if isinstance(info, dict) else None
    if not blocklist:
        return _check(CHECK_BLOCKLIST, FAILED, 'voipguard-blocklist is not installed: run the fail2ban role')
    if blocklist.get('error'):
        return _check(CHECK_BLOCKLIST, FAILED, blocklist['error'])
    problems = list(blocklist.get('drift') or [])
    lists = blocklist.get('lists') or {}
    limit = BLOCKLIST_STALE_INTERVALS * max(int(policy.get('refresh_seconds') or 0), 1)
    for name in policy.get('sources') or []:
        item = lists.get(name)
        if not item or not item.get('last_success'):
            problems.append('source %s has never been imported%s' % (
                name, ': %s' % item['last_error'] if item and item.get('last_error') else ''))
        elif item.get('last_error'):
            problems.append('source %s: %s (the list of %ds ago stays in force)' % (name, item['last_error'], item['age']))
        elif (item.get('age') or 0) > limit:
            problems.append('source %s was last imported %ds ago (every %ss): is the refresh timer running?'
                            % (name, item['age'], policy.get('refresh_seconds')))
    extra = sorted(name for name, item in lists.items()
                   if item.get('kind') == 'import' and name not in (policy.get('sources') or []))
    if extra:
        problems.append('imported lists the policy does not name: %s' % ', '.join(extra))
    if problems:
        return _check(CHECK_BLOCKLIST, FAILED, ' | '.join(problems))
    return _check(CHECK_BLOCKLIST, PASSED, '%d entries in nftables (%s)' % (
        blocklist.get('entries', 0), ', '.join('%s %d' % (name, item.get('entries', 0)) for name, item in sorted(lists.items()))
        or 'no list yet'))


def evaluate_host(facts, policy):
    """{'compliant': bool, 'checks': [...]} for one host. facts None means the host gave no facts."""
    if not facts:
        checks = [_check(CHECK_REACHABLE, FAILED,
                         "no facts gathered: the host was unreachable, or a task failed before the checks (such as"
                         " an invalid inventory value refused by a role's argument check: see the play's output)")]
        return dict(compliant=False, checks=checks)
    info = facts.get('fail2ban')
    checks = [check_running(info)]
    checks += [check_jail(info, jail) for jail in policy.get('jails', [])]
    checks.append(check_whitelist(info, policy.get('whitelist', []), facts.get('jail_local')))
    checks.append(check_sofia(facts.get('sofia') if policy.get('log_auth_failures', True) else None))
    checks.append(check_warning(facts.get('freeswitch_log'), policy.get('warning_logged', True)))
    checks.append(check_filter(facts.get('freeswitch_log')))
    checks.append(check_event_guard(facts.get('event_guard')))
    checks.append(check_sip_trust(info, policy.get('sip_trust_jails')))
    checks.append(check_blocklist(info, policy.get('blocklist')))
    return dict(compliant=all(check['status'] != FAILED for check in checks), checks=checks)
