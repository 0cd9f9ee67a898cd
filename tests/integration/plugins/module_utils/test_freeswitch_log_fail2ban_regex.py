# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/freeswitch_log.py: its probe lines run through the host's fail2ban-regex with our real filter
(the rest: tests/unit/plugins/module_utils/test_freeswitch_log.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils import freeswitch_log

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
FILTER = os.path.join(ROOT, 'roles', 'freeswitch', 'files', 'filter.d', 'voipguard-freeswitch.conf')

NEW = "2026-01-05 10:11:12.123456 97.43% [NOTICE] mod_sofia.c:123 Started profile internal"
OLD = "2026-01-05 10:11:12.123456 [INFO] switch_core.c:2500 FreeSWITCH Version 1.10.6"
SYSLOG = "Jan  5 10:11:12 pbx1 freeswitch[4242]: 2026-01-05 10:11:12.123456 [NOTICE] mod_sofia.c:123 Started"
SHORT = "01-05 10:11:12.123456 [WARN] [SOFIA] [sofia_reg.c:1792] Something"


@pytest.fixture(scope='module')
def installed_filter(tmp_path_factory):
    """Our filter next to the host's common.conf, as fail2ban-regex needs it."""
    if not shutil.which('fail2ban-regex') or not os.path.isfile('/etc/fail2ban/filter.d/common.conf'):
        if os.environ.get('VOIPGUARD_REQUIRE_FAIL2BAN'):
            pytest.fail('fail2ban required (VOIPGUARD_REQUIRE_FAIL2BAN is set) but missing')
        pytest.skip('fail2ban not installed')
    filter_d = tmp_path_factory.mktemp('fail2ban') / 'filter.d'
    filter_d.mkdir()
    shutil.copy('/etc/fail2ban/filter.d/common.conf', str(filter_d))
    shutil.copy(FILTER, str(filter_d))
    return str(filter_d / 'voipguard-freeswitch.conf')


def regex_matches(line, path):
    out = subprocess.run(['fail2ban-regex', line, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, timeout=60, check=True).stdout
    return freeswitch_log.parse_regex_summary(out)[0] == 1


@pytest.mark.parametrize('line', [NEW, OLD, SYSLOG, SHORT])
def test_our_filter_matches_the_probe_of_every_known_format(installed_filter, line):
    _name, prefix, level = freeswitch_log.last_format([line])
    assert regex_matches(freeswitch_log.probe_line(prefix, level, '192.0.2.251'), installed_filter)


def test_probe_of_an_unknown_format_is_not_matched(installed_filter):
    _name, prefix, level = freeswitch_log.last_format(['05/01/2026 10:11:12 [NOTICE] mod_sofia.c:1 Started'])
    assert not regex_matches(freeswitch_log.probe_line(prefix, level, '192.0.2.251'), installed_filter)
