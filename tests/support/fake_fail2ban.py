# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-ins for the parts of fail2ban that voipguard-nftables.py imports, so the unit tests can load it
without fail2ban (the test venv has none). The production file imports fail2ban itself, always."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import logging
import types


class ActionBase:  # pylint: disable=too-few-public-methods
    """What fail2ban.server.action.ActionBase.__init__ sets."""

    def __init__(self, jail, name):
        self._jail = jail
        self._name = name
        self._logSys = logging.getLogger('fail2ban.%s' % self.__class__.__name__)


def modules(version='1.0.2'):
    """sys.modules entries for a fail2ban of this version: fail2ban.server.action and fail2ban.version."""
    package = types.ModuleType('fail2ban')
    server = types.ModuleType('fail2ban.server')
    action = types.ModuleType('fail2ban.server.action')
    action.ActionBase = ActionBase
    version_module = types.ModuleType('fail2ban.version')
    version_module.version = version
    package.server = server
    package.version = version_module
    server.action = action
    return {'fail2ban': package, 'fail2ban.server': server, 'fail2ban.server.action': action,
            'fail2ban.version': version_module}
