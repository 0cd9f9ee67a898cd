# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/freeswitch_layout.py: the known FreeSWITCH layouts, and the freeswitch role's per-OS share of them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.voipguard.pbx.plugins.module_utils import freeswitch_layout as layout

ROLE_VARS = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'freeswitch', 'vars'))


def test_config_dir_detection_takes_the_first_layout_with_the_subdirectory(tmp_path):
    debian = tmp_path / 'etc' / 'freeswitch'
    source = tmp_path / 'usr' / 'local' / 'freeswitch' / 'conf'
    bsd = tmp_path / 'usr' / 'local' / 'etc' / 'freeswitch'
    debian.mkdir(parents=True)  # exists but has no sip_profiles/
    (source / 'sip_profiles').mkdir(parents=True)
    (bsd / 'sip_profiles').mkdir(parents=True)
    (bsd / 'autoload_configs').mkdir(parents=True)
    candidates = (str(debian), str(source), str(bsd))
    assert layout.find_config_dir('sip_profiles', candidates) == str(source)
    assert layout.find_config_dir('autoload_configs', candidates) == str(bsd)
    assert layout.find_config_dir('sip_profiles', (str(debian),)) is None


def test_log_detection_takes_the_first_file(tmp_path):
    directory = tmp_path / 'freeswitch.log'
    directory.mkdir()  # a directory of that name is no log
    log = tmp_path / 'other.log'
    log.write_text('')
    assert layout.find_log((str(directory), str(tmp_path / 'missing.log'), str(log))) == str(log)
    assert layout.find_log((str(directory),)) is None


def in_order_within(part, whole):
    positions = [whole.index(item) for item in part if item in whole]
    return len(positions) == len(part) and positions == sorted(positions)


@pytest.mark.parametrize('os_vars', ['default.yml', 'FreeBSD.yml'])
def test_the_role_s_candidates_are_known_layouts_in_the_same_order(os_vars):
    with open(os.path.join(ROLE_VARS, os_vars)) as handle:
        role_vars = yaml.safe_load(handle)
    assert in_order_within(role_vars['freeswitch_log_path_candidates'], layout.LOG_PATHS)
    assert in_order_within(role_vars['freeswitch_config_dir_candidates'], layout.CONFIG_DIRS)


def test_every_known_layout_is_some_os_family_s_candidate():
    logs, configs = set(), set()
    for os_vars in ('default.yml', 'FreeBSD.yml'):
        with open(os.path.join(ROLE_VARS, os_vars)) as handle:
            role_vars = yaml.safe_load(handle)
        logs.update(role_vars['freeswitch_log_path_candidates'])
        configs.update(role_vars['freeswitch_config_dir_candidates'])
    assert logs == set(layout.LOG_PATHS)
    assert configs == set(layout.CONFIG_DIRS)
