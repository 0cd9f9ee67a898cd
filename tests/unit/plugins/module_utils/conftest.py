# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the FusionPBX backend tests: a throwaway PostgreSQL cluster (see tests/unit/fusionpbx_pg.py)."""

from __future__ import absolute_import, division, print_function

import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..')))

import fusionpbx_pg  # noqa: E402  (tests/unit is put on the path just above)


@pytest.fixture(scope='session')
def postgres_cluster():
    yield from fusionpbx_pg.postgres_cluster_lifetime()


@pytest.fixture
def fusionpbx_db(postgres_cluster):
    """The cluster with freshly seeded FusionPBX tables."""
    return fusionpbx_pg.reset_databases(postgres_cluster)
