# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Does a FreeSWITCH host's log reach fail2ban? The core of the freeswitch_log_check module.

Plain Python (standard library only, Python 3.9+), no Ansible import. Read-only: it reads the log's
tail and FreeSWITCH's logging configuration; the caller runs fail2ban-regex.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
from xml.etree import ElementTree

# Auth events our brute-force filter counts, at WARNING level (see filter.d/voipguard-freeswitch.conf).
AUTH_EVENT_RE = re.compile(
    r"\[(?:WARNING|WARN)\].*(?:SIP auth failure \((?:REGISTER|INVITE)\) on sofia profile "
    r"|Can't find user \[|Rejected by register acl )")
# A FreeSWITCH log line: everything up to the level tag is the prefix whose format the filter must know.
_LEVEL_RE = re.compile(r'^(?P<prefix>.*?)\[(?P<level>WARNING|WARN|NOTICE|INFO|DEBUG|ERR|CRIT|ALERT|CONSOLE)\]\s')
_UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s', re.I)
_FS_TIME = r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ '
_FORMATS = (
    ('freeswitch-1.10.7+', re.compile('^' + _FS_TIME + r'\d{1,3}\.\d\d% $')),
    ('freeswitch-1.10.6', re.compile('^' + _FS_TIME + '$')),
    ('freeswitch-syslog', re.compile(r'^\S.*\sfreeswitch(?:\[\d+\])?:\s')),
    ('freeswitch-short', re.compile(r'^\d\d-\d\d \d\d:\d\d:\d\d\.\d+ $')),
)
LOW_LEVELS = ('console', 'alert', 'crit', 'err', 'error')
LEVEL_NUMBERS = dict(console=0, alert=1, crit=2, err=3, warning=4, notice=5, info=6, debug=7)


def tail_lines(path, max_lines, block=65536):
    """The last `max_lines` lines of a text file (decoded leniently)."""
    with open(path, 'rb') as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        data = b''
        while end > 0 and data.count(b'\n') <= max_lines:
            start = max(0, end - block)
            handle.seek(start)
            data = handle.read(end - start) + data
            end = start
    lines = data.decode('utf-8', 'replace').splitlines()
    return lines[-max_lines:] if max_lines else lines


def log_format(line):
    """(format name, prefix) of a FreeSWITCH log line, or (None, None) when it has no level tag."""
    if _UUID_RE.match(line):
        return None, None
    match = _LEVEL_RE.match(line)
    if not match:
        return None, None
    prefix = match.group('prefix')
    for name, pattern in _FORMATS:
        if pattern.search(prefix):
            return name, prefix
    return 'unknown', prefix


def last_format(lines):
    """(format, prefix, level) of the newest line with a level tag."""
    for line in reversed(lines):
        name, prefix = log_format(line)
        if name is not None:
            return name, prefix, _LEVEL_RE.match(line).group('level')
    return None, None, None


def probe_line(prefix, level, address):
    """An auth failure from `address` written the way this host writes its log lines."""
    message = "SIP auth failure (REGISTER) on sofia profile 'internal' for [voipguard-probe@pbx.example.com] from ip %s" % address
    if level == 'WARN':
        return '%s[WARN] [SOFIA] [sofia_reg.c:1792] %s' % (prefix, message)
    return '%s[WARNING] sofia_reg.c:1792 %s' % (prefix, message)


def auth_event_lines(lines, limit):
    """The newest `limit` auth-event lines (oldest first)."""
    found = [line for line in lines if AUTH_EVENT_RE.search(line) and not _UUID_RE.match(line)]
    return found[-limit:] if limit else found


def parse_regex_summary(text):
    """(matched, missed) from fail2ban-regex's "Lines: 1 lines, 0 ignored, 1 matched, 0 missed"."""
    match = re.search(r'^Lines:\s*(\d+) lines?, (\d+) ignored, (\d+) matched, (\d+) missed', text, re.M)
    if not match:
        raise ValueError('no "Lines:" summary in the output of fail2ban-regex: %r' % (text[-300:],))
    return int(match.group(3)), int(match.group(4))


def _parse_xml(path):
    try:
        return ElementTree.parse(path).getroot(), None
    except (OSError, ElementTree.ParseError) as exc:
        return None, '%s: %s' % (path, exc)


def level_passes_warning(value):
    text = (value or '').strip().lower()
    if text.isdigit():
        return int(text) >= LEVEL_NUMBERS['warning']
    return text not in LOW_LEVELS


def warning_logged(config_dir):
    """(True, reason) when WARNING lines reach FreeSWITCH's log file, per its configuration files.

    mod_logfile writes the levels of each profile's map "all" (logfile.conf.xml); the core loglevel
    (switch.conf.xml) filters before it.
    """
    logfile_xml = os.path.join(config_dir, 'autoload_configs', 'logfile.conf.xml')
    root, error = _parse_xml(logfile_xml)
    if root is None:
        return False, 'cannot read mod_logfile configuration: %s' % error
    maps = [element for element in root.iter('map') if element.get('name') == 'all']
    if not maps:
        return False, '%s has no map "all": mod_logfile writes nothing' % logfile_xml
    lacking = [element.get('value', '') for element in maps
               if not set(('warning', 'all')) & set(level.strip().lower() for level in element.get('value', '').split(','))]
    if lacking:
        return False, '%s: map "all" without warning (%s)' % (logfile_xml, '; '.join(lacking))
    switch_xml = os.path.join(config_dir, 'autoload_configs', 'switch.conf.xml')
    root, error = _parse_xml(switch_xml)
    if root is not None:
        for element in root.iter('param'):
            if element.get('name') == 'loglevel' and not level_passes_warning(element.get('value')):
                return False, '%s: core loglevel %s drops warnings' % (switch_xml, element.get('value'))
    return True, 'map "all" lists warning and the core loglevel passes it'
