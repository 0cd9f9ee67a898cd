# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`ansible-galaxy collection build` in a checkout that has run everything (playbooks, molecule, the EE build,
the bench, the tests) ships the repository's files and nothing those runs generated."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import tarfile

import pytest
import yaml

from dev_tools import venv_tool

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
# What the project's own runs leave in a checkout (each also in .gitignore).
GENERATED = [
    'voipguard-compliance/compliance.json', 'voipguard-unban.json', 'context/Containerfile',
    'molecule/default/.molecule/state.yml', 'molecule/fusionpbx/.pytest_cache/README.md', '.cache/collections/x',
    '.venv/bin/python', 'bench/results/20261130T000000Z/results.json', '.pytest_cache/README.md',
    '.hypothesis/examples/x', 'tests/output/junit/x.xml', 'plugins/modules/__pycache__/x.pyc',
    'voipguard-pbx-0.0.1.tar.gz',
]
# Tracked, and for the project's CI only.
NOT_SHIPPED_PREFIXES = ('.ci/', '.github/')
# ansible-galaxy writes these itself, or never ships them.
BUILD_METADATA = {'MANIFEST.json', 'FILES.json'}


def tracked_files():
    out = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT, stdout=subprocess.PIPE, check=True).stdout
    return sorted(name for name in out.decode().split('\0') if name and os.path.isfile(os.path.join(ROOT, name)))


@pytest.fixture(scope='module')
def dirty_checkout(tmp_path_factory):
    checkout = tmp_path_factory.mktemp('checkout') / 'pbx'
    for name in tracked_files():
        os.makedirs(str(checkout / os.path.dirname(name)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, name), str(checkout / name))
    for name in GENERATED:
        os.makedirs(str(checkout / os.path.dirname(name)), exist_ok=True)
        (checkout / name).write_text(u'generated\n')
    return checkout


def test_the_tarball_holds_the_repository_and_nothing_generated(dirty_checkout, tmp_path):
    result = subprocess.run([venv_tool('ansible-galaxy'), 'collection', 'build', '--output-path', str(tmp_path),
                             str(dirty_checkout)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert result.returncode == 0, result.stdout
    meta = yaml.safe_load((dirty_checkout / 'galaxy.yml').read_text())
    tarball = tmp_path / ('%s-%s-%s.tar.gz' % (meta['namespace'], meta['name'], meta['version']))
    with tarfile.open(str(tarball)) as archive:
        shipped = sorted(member.name for member in archive.getmembers() if member.isfile())
    expected = sorted(name for name in tracked_files()
                      if not name.startswith(NOT_SHIPPED_PREFIXES) and name != 'galaxy.yml')
    shipped = [name for name in shipped if name not in BUILD_METADATA]
    assert {'generated': sorted(set(shipped) - set(expected)), 'missing': sorted(set(expected) - set(shipped))} == \
        {'generated': [], 'missing': []}
