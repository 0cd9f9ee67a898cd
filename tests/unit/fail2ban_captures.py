# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fail2ban-client outputs captured from real fail2ban servers, replayed to the code under test (test helper).

tests/unit/fixtures/fail2ban_client/capture.sh made them (see its header): one directory per fail2ban
version, three files per command (<name>.rc, <name>.stdout, <name>.stderr).
Imported by the fail2ban_client module_utils tests and the fail2ban_info module tests.
"""

from __future__ import absolute_import, division, print_function

import os

CAPTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'fail2ban_client')
VERSIONS = ['0.11.2', '1.0.2', '1.1.0']


def captured(version, name):
    """(rc, stdout, stderr) of one captured command, as the runner returns them."""
    def read(ext):
        with open(os.path.join(CAPTURES, version, '%s.%s' % (name, ext)), 'rb') as handle:
            return handle.read().decode('utf-8')
    return int(read('rc')), read('stdout'), read('stderr')


class Replay:
    """A runner answering fail2ban-client commands from captured outputs; records every argv."""

    def __init__(self, version, answers):
        self.version = version
        self.answers = answers  # tuple(command) -> capture name, or a (rc, stdout, stderr) tuple
        self.argvs = []

    def __call__(self, argv):
        self.argvs.append(list(argv))
        command = tuple(argv[3:]) if argv[1:2] == ['-s'] else tuple(argv[1:])
        answer = self.answers[command]
        if isinstance(answer, tuple):
            return answer
        return captured(self.version, answer)


def all_answers():
    """Answers of the captured server: jails pbx-test (four bans) and pbx-other (two bans, other settings)."""
    return {
        ('ping',): (0, 'Server replied: pong\n', ''),
        ('version',): 'version',
        ('status',): 'status',
        ('status', 'pbx-test'): 'status-pbx-test',
        ('status', 'pbx-other'): 'status-pbx-other',
        ('get', 'pbx-test', 'maxretry'): 'maxretry-pbx-test',
        ('get', 'pbx-test', 'findtime'): 'findtime-pbx-test',
        ('get', 'pbx-test', 'bantime'): 'bantime-pbx-test',
        ('get', 'pbx-test', 'ignoreip'): 'ignoreip-pbx-test',
        ('get', 'pbx-test', 'ignoreself'): 'ignoreself-pbx-test',
        ('get', 'pbx-test', 'logpath'): (0, 'Current monitored log file(s):\n`- /var/log/pbx.log\n', ''),
        ('get', 'pbx-test', 'actions'): 'actions-pbx-test',
        ('get', 'pbx-test', 'failregex'): 'failregex-pbx-test',
        ('get', 'pbx-test', 'banip'): 'banip-pbx-test',
        ('get', 'pbx-other', 'maxretry'): 'maxretry-pbx-test',
        ('get', 'pbx-other', 'findtime'): 'findtime-pbx-test',
        ('get', 'pbx-other', 'bantime'): 'bantime-pbx-other',
        ('get', 'pbx-other', 'ignoreip'): 'ignoreip-pbx-other',
        ('get', 'pbx-other', 'ignoreself'): 'ignoreself-pbx-other',
        ('get', 'pbx-other', 'logpath'): 'logpath-pbx-other',
        ('get', 'pbx-other', 'actions'): 'actions-pbx-other',
        ('get', 'pbx-other', 'failregex'): 'failregex-pbx-test',
    }
