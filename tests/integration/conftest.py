# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures of the integration tests: the host's fail2ban, a PostgreSQL cluster, network namespaces.

What goes here and what goes to tests/unit: tests/README.md."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys

import pytest

INTEGRATION_DIR = os.path.dirname(os.path.abspath(__file__))
FAIL2BAN_ETC = '/etc/fail2ban'
REQUIRE_FAIL2BAN_ENV = 'VOIPGUARD_REQUIRE_FAIL2BAN'

try:
    import ansible_collections.voipguard.pbx  # noqa: F401  pylint: disable=unused-import
except ImportError:  # a checkout not yet placed under ansible_collections/voipguard/pbx
    _COLLECTIONS = os.path.abspath(os.path.join(INTEGRATION_DIR, '..', '..', '.cache', 'collections'))
    if os.path.isdir(_COLLECTIONS):
        sys.path.insert(0, _COLLECTIONS)

# The helpers shared with tests/unit (dev_tools, module_harness, role_files), imported by name.
sys.path.insert(0, os.path.join(os.path.dirname(INTEGRATION_DIR), 'support'))


def need_fail2ban(what):
    """Skip when fail2ban is missing, unless CI demands it (then fail: no silent skips)."""
    if os.environ.get(REQUIRE_FAIL2BAN_ENV):
        pytest.fail('%s is required (%s is set) but missing' % (what, REQUIRE_FAIL2BAN_ENV))
    pytest.skip('%s is not installed' % what)


@pytest.fixture
def fail2ban_client():
    path = shutil.which('fail2ban-client')
    if not path or not os.path.isdir(FAIL2BAN_ETC):
        need_fail2ban('fail2ban-client with %s' % FAIL2BAN_ETC)
    return path


@pytest.fixture
def fail2ban_config_dir(tmp_path, fail2ban_client):
    """A copy of the host's /etc/fail2ban that passes `fail2ban-client --test` on a bare test machine.

    The stock sshd jail needs a log file that build machines lack, so it is disabled in jail.d.
    """
    config_dir = tmp_path / 'fail2ban'
    shutil.copytree(FAIL2BAN_ETC, str(config_dir), symlinks=True)
    for stale in ('jail.local',):
        if (config_dir / stale).exists():
            (config_dir / stale).unlink()
    (config_dir / 'jail.d' / 'zz-unit-tests.local').write_text('[sshd]\nenabled = false\n')
    (tmp_path / 'pbx.log').write_text('')
    return config_dir


@pytest.fixture
def missing_fail2ban():
    """need_fail2ban as a fixture (test modules cannot import conftest)."""
    return need_fail2ban


@pytest.fixture(scope='session')
def postgres_cluster():
    """A throwaway PostgreSQL cluster with FusionPBX 5.5's own tables (tests/integration/fusionpbx_pg.py), for the session."""
    sys.path.insert(0, INTEGRATION_DIR)
    import fusionpbx_pg  # pylint: disable=import-outside-toplevel
    yield from fusionpbx_pg.postgres_cluster_lifetime()


class Namespace:
    """A network namespace held open by a sleeping process; nft runs in it through a wrapper."""

    def __init__(self, root):
        self.holder = subprocess.Popen(['unshare', '-n', 'sleep', '3600'])
        self.wrapper = os.path.join(str(root), 'nft-in-netns')
        with open(self.wrapper, 'w') as handle:
            handle.write('#!/bin/sh\nexec %s --net=/proc/%d/ns/net %s "$@"\n'
                         % (shutil.which('nsenter'), self.holder.pid, shutil.which('nft')))
        os.chmod(self.wrapper, 0o755)
        deadline = 50
        while subprocess.call([self.wrapper, 'list', 'ruleset'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            deadline -= 1
            assert deadline, 'the namespace never answered'

    def nft(self, *args):
        return subprocess.run([self.wrapper] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, check=False).stdout

    def elements(self, set_name):
        listing = json.loads(self.nft('-j', 'list', 'set', 'inet', 'voipguard-blocklist', set_name))
        for item in listing['nftables']:
            if 'set' in item:
                return item['set'].get('elem', [])
        return []

    def close(self):
        self.holder.kill()
        self.holder.wait()


@pytest.fixture
def netns(tmp_path):
    """A network namespace of its own with the real nft (root only; a failure where CI demands fail2ban)."""
    missing = None
    if os.geteuid() != 0 or not shutil.which('unshare') or not shutil.which('nsenter') or not shutil.which('nft'):
        missing = 'root with unshare, nsenter and nft'
    if missing:
        if os.environ.get('VOIPGUARD_REQUIRE_FAIL2BAN'):
            pytest.fail('%s required (VOIPGUARD_REQUIRE_FAIL2BAN is set) but missing' % missing)
        pytest.skip('%s missing' % missing)
    namespace = Namespace(tmp_path)
    yield namespace
    namespace.close()
