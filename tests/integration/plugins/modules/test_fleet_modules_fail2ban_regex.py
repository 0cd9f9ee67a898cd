# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""freeswitch_log_check runs end to end on files in a temporary directory, with the host's fail2ban-regex
and our filter (fail2ban_log_info: tests/unit/plugins/modules/test_fleet_modules.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

import pytest

from ansible_collections.voipguard.pbx.plugins.modules import freeswitch_log_check

from module_harness import check_mode_result

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


@pytest.fixture
def run(tmp_path):
    return lambda module, args: check_mode_result(module, args, tmpdir=tmp_path)


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
