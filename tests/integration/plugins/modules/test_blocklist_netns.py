# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""voipguard.pbx.blocklist and fail2ban_info's blocklist: the modules run the role's real program
(roles/fail2ban/files/voipguard-blocklist.py) on a state directory, with the real nft in a network namespace of
its own (tests/integration/conftest.py: netns). Without the program: tests/unit/plugins/modules/test_blocklist.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import stat
import sys
from unittest import mock

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.voipguard.pbx.plugins.modules import blocklist as blocklist_module
from ansible_collections.voipguard.pbx.plugins.modules import fail2ban_info

from module_harness import run_module

ROLE_PROGRAM = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'fail2ban',
                                            'files', 'voipguard-blocklist.py'))


@pytest.fixture
def installed(tmp_path, netns):
    # As the role installs it: with a shebang naming a Python 3.
    program = tmp_path / 'voipguard-blocklist'
    with open(ROLE_PROGRAM) as source:
        program.write_text('#!%s\n%s' % (sys.executable, source.read()))
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    (tmp_path / 'jail.local').write_text('[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 192.0.2.10\n')
    config = tmp_path / 'blocklist.json'
    config.write_text(json.dumps({'state_dir': str(tmp_path / 'state'), 'whitelist_file': str(tmp_path / 'jail.local'),
                                  'nft': netns.wrapper, 'ignoreself': False, 'sources': [{'name': 'voipbl', 'path': str(tmp_path / 'v.txt')}]}))
    return {'program': str(program), 'config': str(config)}


def fleet_file(installed):
    return os.path.join(os.path.dirname(installed['config']), 'state', 'lists', 'fleet.json')


def test_present_adds_and_a_second_run_changes_nothing(installed):
    args = dict(installed, name='fleet', entries=['203.0.113.7', {'entry': '198.18.0.0/24', 'timeout': 600}], timeout=3600)
    first = run_module(blocklist_module, args)
    assert not first.failed and first.result['changed'] is True
    assert (first.result['added'], first.result['entries']) == (['198.18.0.0/24', '203.0.113.7'], 2)
    second = run_module(blocklist_module, args)
    assert (second.result['changed'], second.result['added']) == (False, [])


def test_check_mode_predicts_and_diff_shows_the_entries(installed):
    run_module(blocklist_module, dict(installed, name='fleet', entries=['203.0.113.7']))
    before = open(fleet_file(installed), 'rb').read()
    outcome = run_module(blocklist_module, dict(installed, name='fleet', entries=['198.18.0.9'], state='exact'),
                         check_mode=True, diff=True)
    assert outcome.result['changed'] is True
    assert outcome.result['diff']['before'] == '203.0.113.7\n' and outcome.result['diff']['after'] == '198.18.0.9\n'
    assert open(fleet_file(installed), 'rb').read() == before


def test_a_whitelisted_entry_fails_naming_it_and_changes_nothing(installed):
    run_module(blocklist_module, dict(installed, name='fleet', entries=['203.0.113.7']))
    digest = hashlib.sha256(open(fleet_file(installed), 'rb').read()).hexdigest()
    outcome = run_module(blocklist_module, dict(installed, name='fleet', entries=['198.18.0.9', '192.0.2.10']))
    assert outcome.failed
    assert outcome.result['msg'] == 'whitelisted addresses (fail2ban ignoreip) are never blocked; refused: 192.0.2.10'
    assert hashlib.sha256(open(fleet_file(installed), 'rb').read()).hexdigest() == digest
    skipped = run_module(blocklist_module, dict(installed, name='fleet', entries=['198.18.0.9', '192.0.2.10'],
                                                on_whitelisted='skip'))
    assert (skipped.result['added'], skipped.result['skipped']) == (['198.18.0.9'], ['192.0.2.10'])


@pytest.mark.parametrize('args, message', [
    (dict(name='fleet', entries=['202.0.0.0/7']), 'networks broader than /8'),
    (dict(name='fleet', entries=['not-an-ip']), "neither an address nor a network (with a timeout of whole seconds up to 86400000): "
                                                "not-an-ip"),
    (dict(name='x;drop', entries=['203.0.113.7']), "list name 'x;drop' must be"),
    (dict(name='voipbl', entries=['203.0.113.7']), 'voipbl is an imported list'),
    (dict(name='fleet', entries=['203.0.113.7'], timeout=-5), 'timeout must be 0 or more seconds'),
    (dict(entries=['2001:db8::/200'], state='lifted'), "not an address: '2001:db8::/200'"),
])
def test_bad_input_fails_with_a_message(installed, args, message):
    outcome = run_module(blocklist_module, dict(installed, **args))
    assert outcome.failed and message in outcome.result['msg']


def test_lifted_removes_from_every_list_and_fail2ban_info_sees_it(installed, monkeypatch):
    run_module(blocklist_module, dict(installed, name='fleet', entries=['203.0.113.7', '203.0.113.8']))
    info = dict(blocklist_program=installed['program'], blocklist_config=installed['config'],
                blocklist_addresses=['203.0.113.7'])
    monkeypatch.setenv('PATH', '/nonexistent')  # no fail2ban-client: the blocklist is still reported
    seen = run_module(fail2ban_info, info).result['blocklist']
    assert seen['addresses']['203.0.113.7']['blocked_by'] == [{'list': 'fleet', 'entry': '203.0.113.7', 'expires': None}]
    assert seen['lists']['fleet']['entries'] == 2
    lifted = run_module(blocklist_module, dict(installed, entries=['203.0.113.7'], state='lifted'))
    assert lifted.result['changed'] is True and list(lifted.result['lifted']) == ['203.0.113.7']
    after = run_module(fail2ban_info, info).result['blocklist']
    assert after['addresses']['203.0.113.7']['blocked_by'] == [] and after['lists']['fleet']['entries'] == 1
    assert run_module(blocklist_module, dict(installed, entries=['203.0.113.7'], state='lifted')).result['changed'] is False


def test_a_whitelisted_name_that_never_resolved_is_a_warning_of_every_state(installed):
    jail_local = os.path.join(os.path.dirname(installed['config']), 'jail.local')
    with open(jail_local, 'w') as handle:
        handle.write('[DEFAULT]\nignoreip = 127.0.0.1/8 carrier.invalid\n')
    warning = 'whitelisted host names that never resolved whitelist nothing: carrier.invalid'
    for args in (dict(name='fleet', entries=['203.0.113.7']), dict(state='lifted', entries=['203.0.113.7']),
                 dict(name='fleet', entries=['202.0.0.0/7'])):
        with mock.patch.object(AnsibleModule, 'warn', autospec=True) as warn:
            outcome = run_module(blocklist_module, dict(installed, **args))
        assert outcome.failed is (args['entries'] == ['202.0.0.0/7']), outcome.result
        assert [call.args[1] for call in warn.call_args_list] == [warning], args
