# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where FreeSWITCH installs keep their log and configuration: the one list of known layouts.

Plain Python (standard library only, Python 3.9+), no Ansible import. The freeswitch role's per-OS
vars (freeswitch_log_path_candidates, freeswitch_config_dir_candidates) list, for one OS family, a
part of these in the same order (tests/unit/plugins/module_utils/test_freeswitch_layout.py holds them to it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

# Packaged and FHS installs (Debian packages, FusionPBX's source build), then a plain source build.
LOG_PATHS = (
    '/var/log/freeswitch/freeswitch.log',
    '/usr/local/freeswitch/log/freeswitch.log',
)
# The same, then the FreeBSD port.
CONFIG_DIRS = (
    '/etc/freeswitch',
    '/usr/local/freeswitch/conf',
    '/usr/local/etc/freeswitch',
)


def find_log(candidates=LOG_PATHS):
    """The first candidate that is a file, or None."""
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    return None


def find_config_dir(needs, candidates=CONFIG_DIRS):
    """The first candidate directory that has the subdirectory `needs` (sip_profiles, autoload_configs), or None."""
    for candidate in candidates:
        if os.path.isdir(os.path.join(candidate, needs)):
            return candidate
    return None
