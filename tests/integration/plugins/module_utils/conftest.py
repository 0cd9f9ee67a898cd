# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the FusionPBX backend tests: the session's PostgreSQL cluster (tests/integration/conftest.py) with FusionPBX 5.5's
own tables and default rows, taken from the pinned FusionPBX source tarball (see tests/integration/fusionpbx_pg.py)."""

from __future__ import absolute_import, division, print_function

import pytest


@pytest.fixture
def fusionpbx_db(postgres_cluster):
    """The cluster with FusionPBX's tables recreated and holding the rows of a fresh install."""
    return postgres_cluster.reset()
