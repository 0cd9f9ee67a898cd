# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fail2ban_jail module run through AnsibleModule with patched arguments (validation by the host's fail2ban:
tests/integration/plugins/modules/test_fail2ban_jail_validate.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

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


# A lone jail.local, without the rest of a fail2ban configuration around it, cannot be tested by fail2ban:
# the editing tests switch the (default) validation off.
NO_FAIL2BAN = dict(validate=False)


@pytest.fixture
def jail_local(tmp_path, fixture_text):
    path = tmp_path / 'jail.local'
    path.write_bytes(fixture_text('fusionpbx-jail.local').encode('utf-8'))
    return path


def test_check_mode_predicts_and_leaves_file_untouched(run, jail_local):
    before = jail_local.read_bytes()
    result = run(dict(path=str(jail_local), name='freeswitch', settings={'bantime': '1h', 'maxretry': 3}, **NO_FAIL2BAN),
                 check_mode=True, diff=True)
    assert result['changed'] is True
    assert result['changed_keys'] == ['bantime', 'maxretry']
    assert result['section'] == 'freeswitch'
    assert jail_local.read_bytes() == before
    assert result['diff']['before'] == before.decode('utf-8')
    assert 'bantime  = 1h\n' in result['diff']['after']
    assert result['diff']['before_header'] == result['diff']['after_header'] == str(jail_local)
    real = run(dict(path=str(jail_local), name='freeswitch', settings={'bantime': '1h', 'maxretry': 3}, **NO_FAIL2BAN))
    assert real['changed'] is True
    assert jail_local.read_text() == result['diff']['after']


def test_second_run_is_not_changed(run, jail_local):
    args = dict(path=str(jail_local), name='DEFAULT', list_mode='add',
                settings={'ignoreip': ['203.0.113.9', '192.0.2.10'], 'findtime': '15m'}, **NO_FAIL2BAN)
    first = run(args)
    assert first['changed'] is True
    assert first['changed_keys'] == ['ignoreip', 'findtime']
    content = jail_local.read_bytes()
    second = run(args)
    assert second['changed'] is False
    assert second['changed_keys'] == []
    assert jail_local.read_bytes() == content
    assert not run(args, check_mode=True)['changed']


def test_backup_file_created_with_old_content(run, jail_local):
    before = jail_local.read_bytes()
    result = run(dict(path=str(jail_local), name='nginx-dos', state='absent', backup=True, **NO_FAIL2BAN))
    assert result['changed'] is True
    backup = result['backup_file']
    assert os.path.dirname(backup) == str(jail_local.parent)
    with open(backup, 'rb') as handle:
        assert handle.read() == before
    assert b'[nginx-dos]' not in jail_local.read_bytes()
    assert 'backup_file' not in run(dict(path=str(jail_local), name='nginx-dos', state='absent', backup=True))


def test_missing_file_without_create_fails(run, tmp_path):
    path = tmp_path / 'jail.local'
    result = run(dict(path=str(path), name='sshd', create=False, settings={'enabled': True}))
    assert result['failed'] and 'does not exist' in result['msg']
    assert not path.exists()
    assert run(dict(path=str(path), name='sshd', state='absent'))['changed'] is False


@pytest.mark.parametrize('settings_, words', [
    ({'bantime': 'soon'}, ["'bantime'", "'soon'"]),
    ({'ignoreip': ['192.0.2.1', '192.0.2.300']}, ["'ignoreip'", "'192.0.2.300'"]),
    ({'failregex': 'x\n[evil]'}, ["'failregex'", 'line break']),
])
def test_invalid_settings_fail_and_file_is_byte_identical(run, jail_local, settings_, words):
    before = jail_local.read_bytes()
    result = run(dict(path=str(jail_local), name='freeswitch', settings=settings_))
    assert result['failed']
    for word in words:
        assert word in result['msg']
    assert jail_local.read_bytes() == before


def test_duplicate_section_fails_naming_lines(run, tmp_path):
    path = tmp_path / 'jail.local'
    path.write_text('[sshd]\nenabled = true\n\n[sshd]\nport = ssh\n')
    result = run(dict(path=str(path), name='sshd', settings={'enabled': False}))
    assert result['failed'] and 'lines 1, 4' in result['msg']
    assert path.read_text() == '[sshd]\nenabled = true\n\n[sshd]\nport = ssh\n'


# ---------------------------------------------------------------- links, special files, encodings, write failures
def test_a_symlink_is_followed_and_stays_a_link(run, tmp_path, jail_local):
    checkout = tmp_path / 'git-checkout'
    checkout.mkdir()
    target = checkout / 'jail.local'
    jail_local.rename(target)
    link = tmp_path / 'jail.local'
    link.symlink_to(target)
    result = run(dict(path=str(link), name='freeswitch', settings={'maxretry': 3}, **NO_FAIL2BAN))
    assert result['changed'] is True
    assert link.is_symlink() and os.readlink(str(link)) == str(target)
    assert 'maxretry = 3' in target.read_text()
    assert sorted(os.listdir(str(checkout))) == ['jail.local'], 'no temporary file left beside the target'
    assert run(dict(path=str(link), name='freeswitch', settings={'maxretry': 3}, **NO_FAIL2BAN))['changed'] is False


def test_a_dangling_symlink_is_refused(run, tmp_path):
    link = tmp_path / 'jail.local'
    link.symlink_to(tmp_path / 'gone' / 'jail.local')
    result = run(dict(path=str(link), name='sshd', settings={'enabled': True}, **NO_FAIL2BAN))
    assert result['failed'] and 'symbolic link to' in result['msg'] and 'does not exist' in result['msg']


@pytest.mark.parametrize('kind', ['fifo', 'directory', 'device'])
def test_special_files_are_refused_without_being_opened(run, tmp_path, kind):
    path = tmp_path / 'jail.local'
    if kind == 'fifo':
        os.mkfifo(str(path))  # opening it for reading would block the module forever
        words = 'a FIFO (named pipe)'
    elif kind == 'directory':
        path.mkdir()
        words = 'a directory'
    else:
        path.symlink_to('/dev/null')
        words = 'a character device'
    result = run(dict(path=str(path), name='sshd', settings={'enabled': True}, **NO_FAIL2BAN))
    assert result['failed'] and str(path) in result['msg'] and words in result['msg'], result['msg']
    assert result['changed'] is False


def test_a_byte_order_mark_is_kept_and_default_found(run, tmp_path):
    path = tmp_path / 'jail.local'
    path.write_bytes(b'\xef\xbb\xbf[DEFAULT]\r\nbantime = 1h\r\n')
    result = run(dict(path=str(path), name='DEFAULT', settings={'bantime': '2h'}, **NO_FAIL2BAN))
    assert result['changed'] is True
    assert path.read_bytes() == b'\xef\xbb\xbf[DEFAULT]\r\nbantime = 2h\r\n'


def test_latin1_is_refused_naming_the_encoding_and_the_file_stays(run, tmp_path):
    path = tmp_path / 'jail.local'
    data = b'# Konfiguration f\xfcr den PBX\n[DEFAULT]\nbantime = 1h\n'
    path.write_bytes(data)
    result = run(dict(path=str(path), name='DEFAULT', settings={'bantime': '2h'}, **NO_FAIL2BAN))
    assert result['failed'] and 'not UTF-8' in result['msg'] and 'Latin-1' in result['msg'] and 'line 1' in result['msg']
    assert path.read_bytes() == data


@pytest.mark.parametrize('failure', [(30, 'Read-only file system'), (28, 'No space left on device'),
                                     (13, 'Permission denied')])
def test_a_write_failure_names_the_file_and_changes_nothing(run, jail_local, monkeypatch, failure):
    before = jail_local.read_bytes()

    def failing_fsync(fd):
        raise OSError(failure[0], failure[1])
    monkeypatch.setattr(os, 'fsync', failing_fsync)
    result = run(dict(path=str(jail_local), name='freeswitch', settings={'maxretry': 3}, **NO_FAIL2BAN))
    assert result['failed'] and result['changed'] is False
    assert result['msg'] == 'cannot write %s: %s (nothing was changed)' % (jail_local, failure[1])
    assert jail_local.read_bytes() == before
    assert sorted(os.listdir(str(jail_local.parent))) == ['jail.local', 'module-tmp']


def test_a_read_only_directory_fails_cleanly(run, jail_local, monkeypatch):
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(30, 'Read-only file system')
    monkeypatch.setattr(tempfile, 'mkstemp', read_only)
    result = run(dict(path=str(jail_local), name='freeswitch', settings={'maxretry': 3}, **NO_FAIL2BAN))
    assert result['failed'] and result['changed'] is False
    assert 'cannot write %s: Read-only file system' % jail_local in result['msg']


# ---------------------------------------------------------------- remove_empty_file: files holding one definition
FILTER_TEXT = '# the office portal\n[Definition]\nfailregex = ^login failed from <HOST>$\n'


def test_remove_empty_file_keeps_a_file_with_other_sections(run, tmp_path):
    path = tmp_path / 'portal.local'
    path.write_text(FILTER_TEXT + '\n[Init]\nmaxlines = 2\n')
    result = run(dict(path=str(path), name='Definition', state='absent', remove_empty_file=True, **NO_FAIL2BAN))
    assert result['changed'] is True and path.read_text() == '# the office portal\n[Init]\nmaxlines = 2\n'


def test_without_remove_empty_file_the_emptied_file_stays(run, tmp_path):
    path = tmp_path / 'portal.local'
    path.write_text(FILTER_TEXT)
    assert run(dict(path=str(path), name='Definition', state='absent', **NO_FAIL2BAN))['changed'] is True
    assert path.exists() and path.read_text() == '# the office portal\n'


def test_remove_empty_file_removes_a_symbolic_link_not_its_target(run, tmp_path):
    target = tmp_path / 'kept' / 'portal.local'
    target.parent.mkdir()
    target.write_text(FILTER_TEXT)
    link = tmp_path / 'portal.local'
    link.symlink_to(target)
    result = run(dict(path=str(link), name='Definition', state='absent', remove_empty_file=True, **NO_FAIL2BAN))
    assert result['changed'] is True
    assert not os.path.lexists(str(link))
    assert target.read_text() == FILTER_TEXT


# -- actions_changed: what the fail2ban role's handlers reload with --restart for ------------------------

@pytest.mark.parametrize('settings_, expected', [
    ({'bantime': '2h', 'maxretry': 3}, False),
    ({'banaction': 'nftables-multiport'}, True),
    ({'banaction_allports': 'nftables-allports'}, True),
    ({'action': '%(action_mw)s'}, True),
    ({'action_': '%(banaction)s[port="5060"]'}, True),
    ({'Action': 'iptables-allports'}, True),
    # parameters of the jail's actions, which command actions (pf, iptables) write when they start
    ({'port': '5060,5061'}, True),
    ({'protocol': 'tcp'}, True),
    ({'chain': 'INPUT'}, True),
    ({'findtime': '20m', 'ignoreip': ['192.0.2.1']}, False),
])
def test_actions_changed_says_whether_a_jail_s_actions_change(run, jail_local, settings_, expected):
    args = dict(path=str(jail_local), name='freeswitch', settings=settings_, **NO_FAIL2BAN)
    predicted = run(args, check_mode=True)
    assert predicted['changed'] is True and predicted['actions_changed'] is expected
    assert run(args)['actions_changed'] is expected
    again = run(args)
    assert again['changed'] is False and again['actions_changed'] is False


def test_any_change_of_an_action_file_changes_actions_but_its_mode_alone_does_not(run, tmp_path):
    action_dir = tmp_path / 'action.d'
    action_dir.mkdir()
    path = action_dir / 'nftables-common.local'
    args = dict(path=str(path), name='Init', settings={'blocktype': 'drop'}, mode='0644', **NO_FAIL2BAN)
    assert run(args)['actions_changed'] is True
    mode_only = run(dict(args, mode='0600'))
    assert mode_only['changed'] is True and mode_only['actions_changed'] is False
    filter_dir = tmp_path / 'filter.d'
    filter_dir.mkdir()
    filter_args = dict(path=str(filter_dir / 'pbx.local'), name='Definition', settings={'failregex': 'x <HOST>'},
                       **NO_FAIL2BAN)
    assert run(filter_args)['actions_changed'] is False


def test_removing_a_jail_with_an_action_changes_actions(run, jail_local):
    run(dict(path=str(jail_local), name='pbx-extra', settings={'action': 'iptables-allports'}, **NO_FAIL2BAN))
    removed = run(dict(path=str(jail_local), name='pbx-extra', state='absent', **NO_FAIL2BAN))
    assert removed['changed'] is True and removed['actions_changed'] is True
