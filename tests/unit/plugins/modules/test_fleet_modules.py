# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fail2ban_log_info and freeswitch_log_check run end to end on files in a temporary directory
(freeswitch_log_check with the real fail2ban-regex and our filter when fail2ban is installed)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.voipguard.pbx.plugins.modules import fail2ban_log_info, freeswitch_log_check

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


class Done(Exception):
    pass


@pytest.fixture
def run(monkeypatch, tmp_path):
    def finish(failed):
        def _finish(self, **kwargs):  # pylint: disable=unused-argument
            kwargs.setdefault('changed', False)
            kwargs['failed'] = failed
            raise Done(kwargs)
        return _finish
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', finish(False))
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', finish(True))

    def _run(module, args):
        with patch_module_args(dict(args, _ansible_check_mode=True, _ansible_tmpdir=str(tmp_path))):
            with pytest.raises(Done) as outcome:
                module.main()
        return outcome.value.args[0]
    return _run


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


def freeswitch_tree(tmp_path, log_lines):
    conf = tmp_path / 'freeswitch'
    shutil.copytree(os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'freeswitch-conf'), str(conf))
    log = tmp_path / 'freeswitch.log'
    log.write_text(''.join(line + '\n' for line in log_lines))
    return str(conf), str(log)


@pytest.fixture
def fail2ban_dir(tmp_path):
    if not shutil.which('fail2ban-regex') or not os.path.isfile('/etc/fail2ban/filter.d/common.conf'):
        if os.environ.get('VOIPGUARD_REQUIRE_FAIL2BAN'):
            pytest.fail('fail2ban required (VOIPGUARD_REQUIRE_FAIL2BAN is set) but missing')
        pytest.skip('fail2ban not installed')
    filter_d = tmp_path / 'fail2ban' / 'filter.d'
    filter_d.mkdir(parents=True)
    shutil.copy('/etc/fail2ban/filter.d/common.conf', str(filter_d))
    shutil.copy(os.path.join(ROOT, 'roles', 'freeswitch', 'files', 'filter.d', 'voipguard-freeswitch.conf'), str(filter_d))
    return str(tmp_path / 'fail2ban')


AUTH = ("2026-01-05 10:11:13.000001 99.00% [WARNING] sofia_reg.c:1792 SIP auth failure (REGISTER) on sofia profile "
        "'internal' for [1000@pbx.example.com] from ip 203.0.113.7")


def test_freeswitch_log_check_passes_on_a_good_host(run, tmp_path, fail2ban_dir):
    conf, log = freeswitch_tree(tmp_path, ["2026-01-05 10:11:12.123456 97.43% [CONSOLE] switch_core.c:1 started", AUTH])
    result = run(freeswitch_log_check, dict(log_path=log, config_dir=conf, fail2ban_config_dir=fail2ban_dir))
    assert result['failed'] is False, result.get('msg')
    assert result['warning_logged'] is True
    assert result['log_format'] == 'freeswitch-1.10.7+' and result['probe_matched'] is True
    assert result['auth_lines'] == 1 and result['auth_lines_matched'] == 1 and result['filter_matches'] is True


def test_freeswitch_log_check_reports_a_format_the_filter_misses(run, tmp_path, fail2ban_dir):
    odd = AUTH.replace('2026-01-05 10:11:13.000001 99.00% ', '05/01/2026 10:11:13 ')
    conf, log = freeswitch_tree(tmp_path, [odd])
    result = run(freeswitch_log_check, dict(log_path=log, config_dir=conf, fail2ban_config_dir=fail2ban_dir))
    assert result['failed'] is False
    assert result['filter_matches'] is False and result['probe_matched'] is False
    assert result['missed_lines'] == [odd] and 'misses 1 of 1' in result['filter_reason']


def test_freeswitch_log_check_empty_log_and_missing_warning(run, tmp_path, fail2ban_dir):
    conf, log = freeswitch_tree(tmp_path, [])
    logfile_xml = os.path.join(conf, 'autoload_configs', 'logfile.conf.xml')
    with open(logfile_xml) as handle:
        text = handle.read()
    with open(logfile_xml, 'w') as handle:
        handle.write(text.replace('notice,warning,err', 'notice,err'))
    result = run(freeswitch_log_check, dict(log_path=log, config_dir=conf, fail2ban_config_dir=fail2ban_dir))
    assert result['failed'] is False
    assert result['filter_matches'] is None and result['warning_logged'] is False
