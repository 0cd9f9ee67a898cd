# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fail2ban_jail module run through AnsibleModule with patched arguments, validating with the host's
fail2ban (`fail2ban-client --test` on a copy of /etc/fail2ban; the rest: tests/unit/plugins/modules/test_fail2ban_jail.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.voipguard.pbx.plugins.modules import fail2ban_jail

from module_harness import run_module


@pytest.fixture
def run(tmp_path):
    module_tmp = tmp_path / 'module-tmp'
    module_tmp.mkdir()

    def _run(args, check_mode=False, diff=False):
        return run_module(fail2ban_jail, args, check_mode=check_mode, diff=diff, tmpdir=module_tmp).result
    return _run


def test_creates_file_with_mode(run, tmp_path):
    path = tmp_path / 'jail.d' / 'freeswitch.local'
    path.parent.mkdir()
    args = dict(path=str(path), name='freeswitch', mode='0640', settings={'enabled': True, 'maxretry': 5})
    assert run(args, check_mode=True)['changed'] is True
    assert not path.exists()
    result = run(args)
    assert result['changed'] is True
    assert path.read_text() == '[freeswitch]\nenabled = true\nmaxretry = 5\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert run(args)['changed'] is False
    assert os.listdir(str(path.parent)) == ['freeswitch.local']  # no temp file left


def test_validate_accepts_good_change(run, fail2ban_config_dir, tmp_path):
    path = fail2ban_config_dir / 'jail.local'
    log = tmp_path / 'pbx.log'
    result = run(dict(path=str(path), name='freeswitch', validate=True, settings={
        'enabled': True, 'filter': 'freeswitch', 'backend': 'polling', 'logpath': str(log),
        'port': '5060,5061', 'maxretry': 5, 'bantime': '1h', 'ignoreip': ['192.0.2.0/24']}))
    assert result['changed'] is True, result
    assert '[freeswitch]' in path.read_text()


def test_validate_by_default_rejects_bad_change_and_leaves_file(run, fail2ban_config_dir, tmp_path):
    path = fail2ban_config_dir / 'jail.d' / 'voip.local'
    path.write_text('# managed by voipguard.pbx\n')
    before = path.read_bytes()
    result = run(dict(path=str(path), name='voip-scanners', settings={
        'enabled': True, 'filter': 'no-such-filter', 'backend': 'polling', 'logpath': str(tmp_path / 'pbx.log')}))
    assert result['failed'], result
    assert 'fail2ban rejected' in result['msg']
    assert 'no-such-filter' in result['msg']
    assert path.read_bytes() == before
    assert sorted(os.listdir(str(path.parent))) == ['defaults-debian.conf', 'voip.local', 'zz-unit-tests.local']


def test_validate_path_outside_config_dir_fails(run, fail2ban_config_dir, tmp_path):
    path = tmp_path / 'elsewhere.local'
    result = run(dict(path=str(path), name='x', validate=True, config_dir=str(fail2ban_config_dir),
                      settings={'enabled': False}))
    assert result['failed'] and 'not inside config_dir' in result['msg']
    assert not path.exists()


# ---------------------------------------------------------------- remove_empty_file: files holding one definition
FILTER_TEXT = '# the office portal\n[Definition]\nfailregex = ^login failed from <HOST>$\n'


def _filter_jail(config_dir, tmp_path, enabled):
    log = tmp_path / 'portal.log'
    log.write_text('')
    (config_dir / 'jail.d' / 'portal.local').write_text(
        '[portal]\nenabled = %s\nfilter = portal\nbackend = polling\nlogpath = %s\n' % (str(enabled).lower(), log))


def test_remove_empty_file_deletes_a_filter_no_jail_uses(run, fail2ban_config_dir, tmp_path):
    path = fail2ban_config_dir / 'filter.d' / 'portal.local'
    path.write_text(FILTER_TEXT)
    _filter_jail(fail2ban_config_dir, tmp_path, enabled=False)
    args = dict(path=str(path), config_dir=str(fail2ban_config_dir), name='Definition', state='absent',
                remove_empty_file=True)
    predicted = run(args, check_mode=True, diff=True)
    assert predicted['changed'] is True and path.read_text() == FILTER_TEXT
    assert predicted['diff'] == dict(before=FILTER_TEXT, after='', before_header=str(path), after_header=str(path))
    result = run(args)
    assert result['changed'] is True and 'removed' in result['msg'], result
    assert not path.exists()
    assert run(args)['changed'] is False


def test_remove_empty_file_keeps_a_filter_an_enabled_jail_uses(run, fail2ban_config_dir, tmp_path):
    path = fail2ban_config_dir / 'filter.d' / 'portal.local'
    path.write_text(FILTER_TEXT)
    _filter_jail(fail2ban_config_dir, tmp_path, enabled=True)
    result = run(dict(path=str(path), config_dir=str(fail2ban_config_dir), name='Definition', state='absent',
                      remove_empty_file=True))
    assert result['failed'] and 'fail2ban rejected' in result['msg'] and 'portal' in result['msg'], result
    assert path.read_text() == FILTER_TEXT
