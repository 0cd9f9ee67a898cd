# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading the fail2ban_info results the fleet playbooks gather from their hosts.

Runs on the controller (ban_sync, unban_report). Plain Python, no Ansible import.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def bans_by_jail(info):
    """{jail: banned addresses} of a fail2ban_info result (empty when fail2ban did not answer)."""
    if not isinstance(info, dict) or not info.get('running'):
        return {}
    return dict((jail, facts.get('banned', [])) for jail, facts in info.get('jails', {}).items())
