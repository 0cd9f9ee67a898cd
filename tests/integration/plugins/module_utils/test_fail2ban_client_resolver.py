# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fail2ban-client wrapper's ignoreself names, as the host's resolver gives them (socket.getfqdn looks the host's
name up; the rest of the wrapper: tests/unit/plugins/module_utils/test_fail2ban_client.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

from ansible_collections.voipguard.pbx.plugins.module_utils import fail2ban_client as f2b


def test_whitelist_default_self_names_include_localhost():
    names = f2b.self_names()
    assert names[0] == 'localhost' and socket.gethostname() in names
