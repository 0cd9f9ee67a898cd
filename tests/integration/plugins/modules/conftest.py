# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the module tests that talk to FusionPBX's database (the session's PostgreSQL, tests/integration/conftest.py)."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils import fusionpbx_db


@pytest.fixture(autouse=True)
def no_fusionpbx_on_this_machine(monkeypatch, tmp_path):
    """This machine is no FusionPBX host: auto-detection must not find a real config file."""
    monkeypatch.setattr(fusionpbx_db, 'DEFAULT_CONFIG_FILES', (str(tmp_path / 'no-fusionpbx' / 'config.conf'),))


@pytest.fixture
def fusionpbx_host(postgres_cluster, tmp_path):
    """A FusionPBX host as the modules see it: the real tables freshly seeded, config.conf pointing at them
    (password authentication), and an empty file cache directory. Returns (cluster, config path, cache dir)."""
    # tests/integration/conftest.py put tests/integration on the path.
    import fusionpbx_pg  # pylint: disable=import-outside-toplevel
    postgres_cluster.reset()
    cache_dir = tmp_path / 'cache'
    cache_dir.mkdir()
    config = tmp_path / 'config.conf'
    config.write_text('database.0.type = pgsql\ndatabase.0.host = %s\ndatabase.0.port = %d\ndatabase.0.name = fusionpbx\n'
                      'database.0.username = %s\ndatabase.0.password = %s\ncache.method = file\ncache.location = %s\n'
                      % (postgres_cluster.socket_dir, postgres_cluster.port, fusionpbx_pg.DB_USER, fusionpbx_pg.DB_PASSWORD,
                         cache_dir))
    return postgres_cluster, str(config), str(cache_dir)
