# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The development tools requirements-dev.txt installs, as the tests find them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys

import pytest


def venv_tool(name):
    """Path of a tool requirements-dev.txt installs (the running Python's bin first, then the PATH)."""
    for path in (os.path.join(os.path.dirname(sys.executable), name), shutil.which(name)):
        if path and os.access(path, os.X_OK):
            return path
    pytest.fail('%s is not installed (requirements-dev.txt pins it)' % name)


def run_checkout_playbook(work, playbook, inventory, extra_vars=None, env=None):
    """Run `playbook` (YAML text) with ansible-playbook on `inventory` (a dict), with this checkout importable as
    voipguard.pbx whatever else is installed; files go under `work`. Returns the finished process (output in
    stdout, stderr merged)."""
    repo_root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
    namespace_dir = work / 'collections' / 'ansible_collections' / 'voipguard'
    namespace_dir.mkdir(parents=True)
    os.symlink(repo_root, str(namespace_dir / 'pbx'))
    (work / 'playbook.yml').write_text(playbook)
    (work / 'inventory.json').write_text(json.dumps(inventory))
    command = [venv_tool('ansible-playbook'), '-i', str(work / 'inventory.json')]
    if extra_vars:
        (work / 'extra.json').write_text(json.dumps(extra_vars))
        command += ['-e', '@%s' % (work / 'extra.json')]
    run_env = dict(os.environ if env is None else env, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
                   ANSIBLE_HOME=str(work / 'home'), ANSIBLE_LOCAL_TEMP=str(work / 'tmp'))
    run_env['ANSIBLE_COLLECTIONS_PATH'] = os.pathsep.join(
        [str(work / 'collections')] + [p for p in [os.environ.get('ANSIBLE_COLLECTIONS_PATH')] if p])
    return subprocess.run(command + [str(work / 'playbook.yml')], cwd=str(work), env=run_env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=300, check=False)
