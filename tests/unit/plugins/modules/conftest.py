# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the module tests."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils import fusionpbx_db


@pytest.fixture(autouse=True)
def no_fusionpbx_on_this_machine(monkeypatch, tmp_path):
    """This machine is no FusionPBX host: auto-detection must not find a real config file."""
    monkeypatch.setattr(fusionpbx_db, 'DEFAULT_CONFIG_FILES', (str(tmp_path / 'no-fusionpbx' / 'config.conf'),))
