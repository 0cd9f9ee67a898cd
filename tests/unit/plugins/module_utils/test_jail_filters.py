# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/jail_filters.py: the filter of each jail, from the jail configuration in fail2ban's load order."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.voipguard.pbx.plugins.module_utils import jail_filters


JAIL_CONF = """\
[DEFAULT]
filter = %(__name__)s[mode=%(mode)s]
mode = normal

[sshd]
port = ssh

[freeswitch]
filter = freeswitch[mode=extra]
"""
JAIL_LOCAL = """\
[voipguard-freeswitch]
enabled = true
filter = voipguard-freeswitch

[freeswitch]
filter = voipguard-freeswitch
"""


def test_jail_filters_follow_fail2ban_load_order():
    filters = jail_filters.jail_filters([JAIL_CONF, JAIL_LOCAL], ['sshd', 'freeswitch', 'voipguard-freeswitch', 'custom'])
    assert filters == {'sshd': 'sshd', 'freeswitch': 'voipguard-freeswitch', 'voipguard-freeswitch': 'voipguard-freeswitch',
                       'custom': 'custom'}


def test_jail_config_files_order(tmp_path):
    (tmp_path / 'jail.d').mkdir()
    for name in ('jail.conf', 'jail.local', 'jail.d/b.local', 'jail.d/a.conf', 'jail.d/a.local', 'jail.d/z.txt'):
        (tmp_path / name).write_text('')
    assert [path[len(str(tmp_path)) + 1:] for path in jail_filters.jail_config_files(str(tmp_path))] == [
        'jail.conf', 'jail.d/a.conf', 'jail.local', 'jail.d/a.local', 'jail.d/b.local']
