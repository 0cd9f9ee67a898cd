# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fusionpbx_access_control end to end on FusionPBX 5.5's real tables (tests/integration/fusionpbx_pg.py)."""

from __future__ import absolute_import, division, print_function

import os
import socket

import pytest

from ansible_collections.voipguard.pbx.plugins.modules import fusionpbx_access_control

import module_harness

LIST = 'voipguard-whitelist'


@pytest.fixture
def fusionpbx(fusionpbx_host):
    """fusionpbx_host with FusionPBX's cached acl.conf and sofia.conf and one address event_guard remembered as allowed."""
    _cluster, _config, cache_dir = fusionpbx_host
    for name in ('configuration.acl.conf', 'switch.allowed.203.0.113.9', 'fusionpbx.configuration.sofia.conf'):
        with open(os.path.join(cache_dir, name), 'w') as handle:
            handle.write('cached')
    return fusionpbx_host


def run(args, check_mode=False, diff=False):
    return module_harness.run_module(fusionpbx_access_control, args, check_mode=check_mode, diff=diff)


def lists(cluster):
    return cluster.access_controls()


def nodes(cluster, name=LIST):
    return sorted((row['node_type'], row['node_cidr']) for row in cluster.select(
        "SELECT n.node_type, n.node_cidr FROM v_access_control_nodes n JOIN v_access_controls a USING (access_control_uuid)"
        " WHERE a.access_control_name = '%s'" % name))


def block(cluster, address, status='blocked', hostname=None):
    cluster.psql("INSERT INTO v_event_guard_logs (event_guard_log_uuid, hostname, log_date, filter, ip_address, extension,"
                 " user_agent, log_status) VALUES (gen_random_uuid(), '%s', now(), 'sip-auth-fail', '%s',"
                 " '1000@pbx.example.com', 'sipp', '%s');\n" % (hostname or socket.gethostname(), address, status))


@pytest.fixture
def fs_cli(tmp_path, monkeypatch):
    """An fs_cli on the PATH that records its arguments and exits with the status in a file (FreeSWITCH's Lua
    and event_guard are proven for real in the fusionpbx molecule scenario)."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    calls, status = tmp_path / 'fs_cli.calls', tmp_path / 'fs_cli.status'
    status.write_text('0')
    script = bin_dir / 'fs_cli'
    script.write_text('#!/bin/sh\nprintf "%%s\\n" "$*" >> %s\nexit $(cat %s)\n' % (calls, status))
    script.chmod(0o755)
    monkeypatch.setenv('PATH', '%s:%s' % (bin_dir, os.environ.get('PATH', '')))
    return calls, status


def statuses(cluster):
    return sorted((row['ip_address'], row['log_status']) for row in cluster.select(
        'SELECT ip_address, log_status FROM v_event_guard_logs'))


def test_creates_the_list_exactly_and_is_idempotent(fusionpbx):
    cluster, config, cache_dir = fusionpbx
    others = lists(cluster)
    check = run({'name': LIST, 'nodes': ['198.51.100.77', '192.0.2.0/24', '::1', '127.0.0.1/8'], 'fusionpbx_config': config},
                check_mode=True, diff=True)
    assert check.result['changed'] and lists(cluster) == others        # check mode wrote nothing
    outcome = run({'name': LIST, 'nodes': ['198.51.100.77', '192.0.2.0/24', '::1', '127.0.0.1/8'], 'fusionpbx_config': config},
                  diff=True)
    result = outcome.result
    assert not outcome.failed and result['changed'], result
    assert result['nodes'] == ['127.0.0.0/8', '192.0.2.0/24', '198.51.100.77/32'] == result['added'] == check.result['added']
    assert result['diff']['before'] == '' and result['diff']['after'] == '127.0.0.0/8\n192.0.2.0/24\n198.51.100.77/32\n'
    assert nodes(cluster) == [('allow', '127.0.0.0/8'), ('allow', '192.0.2.0/24'), ('allow', '198.51.100.77/32')]
    # The list is FusionPBX's usual shape (default deny), the installer's lists are untouched.
    after = lists(cluster)
    assert after.pop(LIST)[0] == 'deny' and after == others
    # FusionPBX's acl.conf and event_guard's remembered allows are dropped; the sofia cache is not.
    assert sorted(os.listdir(cache_dir)) == ['fusionpbx.configuration.sofia.conf']
    again = run({'name': LIST, 'nodes': ['192.0.2.0/24', '198.51.100.77', '127.0.0.1/8'], 'fusionpbx_config': config})
    assert not again.result['changed'] and again.result['cache_cleared'] == []


def test_nodes_added_by_hand_are_removed_and_missing_ones_added(fusionpbx):
    cluster, config, _cache_dir = fusionpbx
    run({'name': LIST, 'nodes': ['192.0.2.0/24'], 'fusionpbx_config': config})
    cluster.psql("INSERT INTO v_access_control_nodes (access_control_node_uuid, access_control_uuid, node_type, node_cidr)"
                 " SELECT gen_random_uuid(), access_control_uuid, 'allow', '203.0.113.0/24' FROM v_access_controls"
                 " WHERE access_control_name = '%s';\n" % LIST)
    outcome = run({'name': LIST, 'nodes': ['192.0.2.0/24', '198.51.100.77'], 'fusionpbx_config': config})
    assert outcome.result['added'] == ['198.51.100.77/32'] and outcome.result['removed'] == ['allow 203.0.113.0/24']
    assert nodes(cluster) == [('allow', '192.0.2.0/24'), ('allow', '198.51.100.77/32')]


def test_whitelisted_blocks_are_handed_back_to_event_guard(fusionpbx, fs_cli):
    cluster, config, _cache_dir = fusionpbx
    calls, status = fs_cli
    block(cluster, '198.51.100.40')
    block(cluster, '203.0.113.66')
    block(cluster, '198.51.100.41', 'unblocked')
    block(cluster, '198.51.100.42', hostname='another-host')   # lifted by that host's event_guard, not from here
    args = {'name': LIST, 'nodes': ['198.51.100.0/24'], 'fusionpbx_config': config}
    check = run(args, check_mode=True)
    assert check.result['unblocked'] == ['198.51.100.40'] and ('198.51.100.40', 'blocked') in statuses(cluster)
    assert not calls.exists()

    # FreeSWITCH does not answer: the task fails and says so; the row waits as 'pending'.
    status.write_text('1')
    failed = run(args)
    assert failed.failed and 'event_guard still drops 198.51.100.40' in failed.result['msg']
    # Answered: the next run asks again ('pending' still counts), then nothing is left to do.
    status.write_text('0')
    outcome = run(args)
    assert not outcome.failed and outcome.result['unblocked'] == ['198.51.100.40'] and outcome.result['changed']
    # 'pending' is how FusionPBX's own interface asks event_guard to lift a block; the attacker stays blocked.
    assert statuses(cluster) == [('198.51.100.40', 'pending'), ('198.51.100.41', 'unblocked'), ('198.51.100.42', 'blocked'),
                                 ('203.0.113.66', 'blocked')]
    assert calls.read_text().count('event_guard:unblock') == 2
    # event_guard lifted it (as its service does on the event).
    cluster.psql("UPDATE v_event_guard_logs SET log_status = 'unblocked' WHERE log_status = 'pending';\n")
    assert not run(args).result['changed']


def test_absent_removes_the_list(fusionpbx):
    cluster, config, _cache_dir = fusionpbx
    run({'name': LIST, 'nodes': ['192.0.2.0/24'], 'fusionpbx_config': config})
    outcome = run({'name': LIST, 'state': 'absent', 'fusionpbx_config': config})
    assert outcome.result['changed'] and outcome.result['removed'] == ['allow 192.0.2.0/24']
    assert LIST not in lists(cluster) and nodes(cluster) == []


@pytest.mark.parametrize('args, message', [
    ({'name': 'bad name', 'nodes': ['192.0.2.1']}, 'invalid access control list name'),
    ({'name': LIST, 'nodes': ['192.0.2.1', '192.0.2.300']}, "invalid whitelist entry: invalid address: '192.0.2.300'"),
    ({'name': LIST, 'nodes': ["x'); DELETE FROM v_access_controls; --"]}, 'invalid whitelist entry'),
    ({'name': LIST, 'nodes': ['192.0.2.1'], 'description': 'two\nlines'}, 'invalid description'),
    ({'name': 'providers', 'nodes': ['192.0.2.1']}, 'belongs to FusionPBX or FreeSWITCH'),
    ({'name': LIST, 'nodes': ['192.0.2.1', '0.0.0.0/0']}, 'would let all of them through'),
])
def test_invalid_input_fails_and_writes_nothing(fusionpbx, args, message):
    cluster, config, cache_dir = fusionpbx
    before, cached = lists(cluster), sorted(os.listdir(cache_dir))
    outcome = run(dict(args, fusionpbx_config=config))
    assert outcome.failed and message in outcome.result['msg'], outcome.result
    assert lists(cluster) == before and sorted(os.listdir(cache_dir)) == cached
