# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tests of fail2ban's value grammar for the roles' checks: the same code the modules validate with."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import duration_value_seconds


def fail2ban_duration(value):
    """True for a duration value fail2ban reads (600, 10m, 1h30m, 1d 2h, -1) as the modules accept it."""
    try:
        duration_value_seconds(value)
    except ValueError:
        return False
    return True


class TestModule(object):
    def tests(self):
        return {'fail2ban_duration': fail2ban_duration}
