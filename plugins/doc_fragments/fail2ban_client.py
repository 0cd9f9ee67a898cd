# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options of the modules that talk to fail2ban through fail2ban-client."""

    DOCUMENTATION = r'''
options:
  socket:
    description:
      - Socket of the fail2ban server, passed to C(fail2ban-client -s).
      - Default is what fail2ban's own configuration says (C(/var/run/fail2ban/fail2ban.sock) on Debian).
    type: path
'''
