# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fail2ban_log_info runs end to end on files in a temporary directory (freeswitch_log_check, which runs the
host's fail2ban-regex with our filter: tests/integration/plugins/modules/test_fleet_modules_fail2ban_regex.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.voipguard.pbx.plugins.modules import fail2ban_log_info

from module_harness import check_mode_result


@pytest.fixture
def run(tmp_path):
    return lambda module, args: check_mode_result(module, args, tmpdir=tmp_path)


FAIL2BAN_LOG = """\
2026-01-05 10:11:12,001 fail2ban.filter         [321]: INFO    [freeswitch] Found 203.0.113.7 - 2026-01-05 10:11:12
2026-01-05 10:11:15,010 fail2ban.actions        [321]: NOTICE  [freeswitch] Ban 203.0.113.7
2026-01-05 10:15:00,010 fail2ban.actions        [321]: NOTICE  [sshd] Ban 203.0.113.7
"""


def test_fail2ban_log_info(run, tmp_path):
    conf = tmp_path / 'fail2ban'
    (conf / 'jail.d').mkdir(parents=True)
    (conf / 'jail.conf').write_text('[DEFAULT]\nfilter = %(__name__)s[mode=%(mode)s]\n[freeswitch]\nport = 5060\n')
    (conf / 'jail.d' / 'voipguard.local').write_text('[freeswitch]\nfilter = voipguard-freeswitch\n')
    log = tmp_path / 'fail2ban.log'
    log.write_text(FAIL2BAN_LOG)
    result = run(fail2ban_log_info, dict(addresses=['203.0.113.7', '198.51.100.1'], log_path=str(log), config_dir=str(conf)))
    assert result['failed'] is False and result['changed'] is False
    assert result['filters'] == {'freeswitch': 'voipguard-freeswitch', 'sshd': 'sshd'}
    assert result['addresses']['203.0.113.7']['freeswitch']['found'] == 1
    assert result['addresses']['203.0.113.7']['sshd']['found'] == 0
    assert result['addresses']['198.51.100.1'] == {}


def test_fail2ban_log_info_fails_clearly(run, tmp_path):
    result = run(fail2ban_log_info, dict(addresses=['203.0.113.7'], log_path=str(tmp_path / 'missing.log')))
    assert result['failed'] is True and 'cannot read the fail2ban log' in result['msg'] and 'missing.log' in result['msg']
    fifo = tmp_path / 'fifo.log'
    os.mkfifo(str(fifo))  # opening it would block the module forever
    result = run(fail2ban_log_info, dict(addresses=['203.0.113.7'], log_path=str(fifo)))
    assert result['failed'] is True and 'a FIFO (named pipe), not a regular file' in result['msg']
    (tmp_path / 'f.log').write_text('')
    result = run(fail2ban_log_info, dict(addresses=['203.0.113.0/24'], log_path=str(tmp_path / 'f.log')))
    assert result['failed'] is True and 'single IPv4/IPv6 address' in result['msg']
