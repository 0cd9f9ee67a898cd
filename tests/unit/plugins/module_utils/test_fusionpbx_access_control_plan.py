# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/fusionpbx_access_control.py without a database: whitelist entries and the change plan."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils import fusionpbx_access_control as acl


def resolver(table):
    return lambda name: table.get(name, [])


def test_entries_become_ipv4_cidrs_as_fail2ban_reads_them():
    nodes = acl.normalize_nodes(['198.51.100.77', '192.0.2.5/24', '127.0.0.1/8', '::1', '2001:db8::/32', 'carrier.example',
                                 'gone.example', '10.0.0.0/255.0.0.0'],
                                resolver({'carrier.example': ['203.0.113.20', '203.0.113.21']}))
    # Host bits masked (as fail2ban does), dotted masks read, names resolved, overlapping entries merged.
    assert nodes.cidrs == ['10.0.0.0/8', '127.0.0.0/8', '192.0.2.0/24', '198.51.100.77/32', '203.0.113.20/31']
    # IPv6 cannot be compared by event_guard; loopback is not worth reporting.
    assert nodes.skipped_ipv6 == ['2001:db8::/32']
    assert nodes.resolved == {'carrier.example': ['203.0.113.20', '203.0.113.21'], 'gone.example': []}
    assert nodes.unresolved == ['gone.example']


def test_a_name_answered_with_0_0_0_0_is_unresolved_not_allow_everyone():
    # FusionPBX's check_cidr() compares every IPv6 address as 0.0.0.0: such a node would allow them all.
    nodes = acl.normalize_nodes(['blocked.example', 'carrier.example'],
                                resolver({'blocked.example': ['0.0.0.0'], 'carrier.example': ['0.0.0.0', '203.0.113.20']}))
    assert nodes.cidrs == ['203.0.113.20/32'] and nodes.unresolved == ['blocked.example']


@pytest.mark.parametrize('entry', ['0.0.0.0/0', '0.0.0.0', '0.1.2.3/32', '224.0.0.1'])
def test_entries_event_guard_would_turn_into_allow_everyone_fail(entry):
    with pytest.raises(acl.AccessControlError, match='cannot be given to event_guard'):
        acl.normalize_nodes(['192.0.2.1', entry], resolver({}))


@pytest.mark.parametrize('name', ['providers', 'rfc1918', 'domains', 'LAN'])
def test_fusionpbx_and_freeswitch_lists_are_refused(name):
    with pytest.raises(acl.AccessControlError, match='belongs to FusionPBX or FreeSWITCH'):
        acl.validate_name(name)


@pytest.mark.parametrize('entry', ['198.51.100.300', 'a b', 'x;y', '', '192.0.2.0/33', "'); DROP TABLE v_domains; --"])
def test_invalid_entries_fail_naming_them(entry):
    with pytest.raises(acl.AccessControlError, match='invalid whitelist entry'):
        acl.normalize_nodes(['192.0.2.1', entry], resolver({}))


@pytest.mark.parametrize('name', ['', 'a b', 'list]', '-x', 'x' * 65, 'name\n[other]', None])
def test_invalid_list_names_fail(name):
    with pytest.raises(acl.AccessControlError, match='invalid access control list name'):
        acl.validate_name(name)


def test_control_characters_in_descriptions_fail():
    with pytest.raises(acl.AccessControlError, match='invalid description'):
        acl.validate_text('description', 'managed\nby us')


def state(rows, fingerprint='f'):
    return acl.ListState('%s:%s' % (fingerprint, json.dumps(rows)))


def row(node_uuid, node_type, cidr, list_uuid='L1', default='deny', description='Managed by voipguard.pbx'):
    return dict(list_uuid=list_uuid, list_default=default, list_description=description, node_uuid=node_uuid,
                node_type=node_type, node_cidr=cidr, node_description=None)


def test_plan_creates_a_missing_list():
    plan = acl.plan_change(state([]), ['192.0.2.0/24'], 'Managed by voipguard.pbx')
    assert plan.create_list and plan.added == ['192.0.2.0/24'] and plan.removed == [] and plan.changed


def test_plan_keeps_exact_nodes_and_removes_the_rest():
    current = state([row('n1', 'allow', '192.0.2.0/24'), row('n2', 'allow', '203.0.113.9/32'), row('n3', 'deny', '198.51.100.0/24'),
                     row('n4', 'allow', '192.0.2.0/24')])
    plan = acl.plan_change(current, ['192.0.2.0/24', '198.51.100.77/32'], 'Managed by voipguard.pbx')
    assert not plan.create_list and not plan.update_list
    assert plan.added == ['198.51.100.77/32']
    # Another address, a deny node and a duplicate all go.
    assert sorted(node['node_uuid'] for node in plan.removed) == ['n2', 'n3', 'n4']


def test_plan_exact_list_changes_nothing():
    current = state([row('n1', 'allow', '192.0.2.0/24')])
    assert not acl.plan_change(current, ['192.0.2.0/24'], 'Managed by voipguard.pbx').changed


def test_plan_fixes_the_default_and_description():
    current = state([row('n1', 'allow', '192.0.2.0/24', default='allow', description='by hand')])
    plan = acl.plan_change(current, ['192.0.2.0/24'], 'Managed by voipguard.pbx')
    assert plan.update_list and plan.changed and not plan.added and not plan.removed


def test_plan_absent_deletes_the_list_and_its_nodes():
    current = state([row('n1', 'allow', '192.0.2.0/24')])
    plan = acl.plan_change(current, [], '', 'absent')
    assert plan.delete_list and [node['node_uuid'] for node in plan.removed] == ['n1']
    assert not acl.plan_change(state([]), [], '', 'absent').changed


def test_two_lists_with_the_name_fail():
    current = state([row('n1', 'allow', '192.0.2.0/24', list_uuid='L1'), row('n2', 'allow', '192.0.2.0/24', list_uuid='L2')])
    with pytest.raises(acl.AccessControlError, match='2 FusionPBX access control lists share this name'):
        acl.plan_change(current, ['192.0.2.0/24'], '')


def test_covered_addresses():
    assert acl.covered('198.51.100.40', ['198.51.100.0/24'])
    assert not acl.covered('203.0.113.1', ['198.51.100.0/24'])
    assert not acl.covered('not-an-ip', ['198.51.100.0/24'])
    assert not acl.covered('2001:db8::1', ['198.51.100.0/24'])


def test_a_conflict_is_retried_from_a_fresh_read_then_reported():
    from ansible_collections.voipguard.pbx.plugins.module_utils import fusionpbx_db
    attempts = []

    def change():
        attempts.append(1)
        if len(attempts) < 3:
            raise fusionpbx_db.ConflictError('changed meanwhile')
        return 'done'
    assert fusionpbx_db.retry_on_conflict(change) == 'done' and len(attempts) == 3

    def always():
        raise fusionpbx_db.ConflictError('changed meanwhile')
    with pytest.raises(fusionpbx_db.ConflictError):
        fusionpbx_db.retry_on_conflict(always)
