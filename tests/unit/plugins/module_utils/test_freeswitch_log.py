# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/freeswitch_log.py: log formats, probe lines, the WARNING check (the probes through the host's
fail2ban-regex with our real filter: tests/integration/plugins/module_utils/test_freeswitch_log_fail2ban_regex.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils import freeswitch_log

NEW = "2026-01-05 10:11:12.123456 97.43% [NOTICE] mod_sofia.c:123 Started profile internal"
OLD = "2026-01-05 10:11:12.123456 [INFO] switch_core.c:2500 FreeSWITCH Version 1.10.6"
SYSLOG = "Jan  5 10:11:12 pbx1 freeswitch[4242]: 2026-01-05 10:11:12.123456 [NOTICE] mod_sofia.c:123 Started"
SHORT = "01-05 10:11:12.123456 [WARN] [SOFIA] [sofia_reg.c:1792] Something"
SESSION = "0d1d1c8a-1111-2222-3333-444455556666 2026-01-05 10:11:12.123456 [WARNING] switch_ivr.c:1 hangup"
AUTH = ("2026-01-05 10:11:13.000001 99.00% [WARNING] sofia_reg.c:1792 SIP auth failure (REGISTER) on sofia profile "
        "'internal' for [1000@pbx.example.com] from ip 203.0.113.7")


@pytest.mark.parametrize('line, name', [
    (NEW, 'freeswitch-1.10.7+'), (OLD, 'freeswitch-1.10.6'), (SYSLOG, 'freeswitch-syslog'), (SHORT, 'freeswitch-short'),
    ('[WARNING] sofia_reg.c:1 something', 'unknown'), (SESSION, None), ('plain text', None),
])
def test_log_format(line, name):
    assert freeswitch_log.log_format(line)[0] == name


def test_last_format_takes_the_newest_tagged_line():
    assert freeswitch_log.last_format([OLD, NEW, SESSION, 'continuation'])[:2] == ('freeswitch-1.10.7+', NEW.split('[', maxsplit=1)[0])
    assert freeswitch_log.last_format(['nothing', '']) == (None, None, None)


def test_probe_line_keeps_the_prefix():
    name, prefix, level = freeswitch_log.last_format([NEW])
    probe = freeswitch_log.probe_line(prefix, level, '192.0.2.251')
    assert probe.startswith('2026-01-05 10:11:12.123456 97.43% [WARNING] sofia_reg.c:1792 SIP auth failure (REGISTER)')
    assert probe.endswith('from ip 192.0.2.251')
    _name, prefix, level = freeswitch_log.last_format([SHORT])
    assert freeswitch_log.probe_line(prefix, level, '192.0.2.251').startswith('01-05 10:11:12.123456 [WARN] [SOFIA] [sofia_reg.c:')


def test_auth_event_lines_newest_and_warning_only():
    lines = [AUTH.replace('203.0.113.7', '203.0.113.%d' % n) for n in range(8)]
    lines += [AUTH.replace('[WARNING]', '[NOTICE]'), SESSION, NEW,
              "2026-01-05 10:11:12.123456 [WARNING] sofia_reg.c:1 Can't find user [1@x] from 203.0.113.9"]
    found = freeswitch_log.auth_event_lines(lines, 3)
    assert found == [lines[6], lines[7], lines[-1]]


def test_parse_regex_summary():
    assert freeswitch_log.parse_regex_summary('x\nLines: 1 lines, 0 ignored, 1 matched, 0 missed\n') == (1, 0)
    with pytest.raises(ValueError):
        freeswitch_log.parse_regex_summary('Traceback ...')


def test_tail_lines(tmp_path):
    path = tmp_path / 'freeswitch.log'
    path.write_text(''.join('line %d\n' % n for n in range(100000)))
    assert freeswitch_log.tail_lines(str(path), 3) == ['line 99997', 'line 99998', 'line 99999']
    (tmp_path / 'empty.log').write_text('')
    assert freeswitch_log.tail_lines(str(tmp_path / 'empty.log'), 5) == []


def write_conf(tmp_path, map_value='debug,info,notice,warning,err,crit,alert', loglevel='debug'):
    conf = tmp_path / 'autoload_configs'
    conf.mkdir(exist_ok=True)
    (conf / 'logfile.conf.xml').write_text(
        '<configuration name="logfile.conf"><profiles><profile name="default"><mappings>'
        '<map name="all" value="%s"/></mappings></profile></profiles></configuration>' % map_value)
    (conf / 'switch.conf.xml').write_text(
        '<configuration name="switch.conf"><settings><param name="loglevel" value="%s"/></settings></configuration>' % loglevel)
    return str(tmp_path)


@pytest.mark.parametrize('map_value, loglevel, expected', [
    ('debug,info,notice,warning,err,crit,alert', 'debug', True),
    ('all', 'warning', True),
    ('debug,info,notice,err,crit,alert', 'debug', False),
    ('debug,info,notice,warning,err', 'err', False),
    ('debug,info,notice,warning,err', '3', False),
    ('debug,info,notice,warning,err', '7', True),
])
def test_warning_logged(tmp_path, map_value, loglevel, expected):
    ok, reason = freeswitch_log.warning_logged(write_conf(tmp_path, map_value, loglevel))
    assert ok is expected, reason


def test_warning_logged_without_configuration(tmp_path):
    ok, reason = freeswitch_log.warning_logged(str(tmp_path))
    assert ok is False and 'logfile.conf.xml' in reason
