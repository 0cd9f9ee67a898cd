# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""execution-environment.yml is a valid ansible-builder 3 definition: `ansible-builder create` writes a
build context that installs the declared collections, Python and system dependencies."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DEFINITION = os.path.join(ROOT, 'execution-environment.yml')


def builder():
    candidates = [os.path.join(os.path.dirname(sys.executable), 'ansible-builder'), shutil.which('ansible-builder')]
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return path
    pytest.fail('ansible-builder is not installed (requirements-dev.txt pins it)')


def test_ansible_builder_create_succeeds(tmp_path):
    context = tmp_path / 'context'
    result = subprocess.run([builder(), 'create', '--file', DEFINITION, '--context', str(context), '-v', '3'],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stdout
    containerfile = (context / 'Containerfile') if (context / 'Containerfile').exists() else (context / 'Dockerfile')
    text = containerfile.read_text()
    assert 'ansible-core==2.19.14' in text
    build = context / '_build'
    galaxy = yaml.safe_load((build / 'requirements.yml').read_text())
    assert {'voipguard.pbx', 'community.general'} == set(item['name'] for item in galaxy['collections'])
    assert 'jmespath' in (build / 'requirements.txt').read_text()
    assert 'openssh-client' in (build / 'bindep.txt').read_text()


def test_collection_declares_its_dependencies_for_other_execution_environments():
    meta = yaml.safe_load(open(os.path.join(ROOT, 'meta', 'execution-environment.yml')))
    assert meta['version'] == 1
    for kind in ('python', 'system'):
        assert os.path.isfile(os.path.join(ROOT, meta['dependencies'][kind])), kind


def test_galaxy_requirements_match_galaxy_yml():
    galaxy_yml = yaml.safe_load(open(os.path.join(ROOT, 'galaxy.yml')))
    ee = yaml.safe_load(open(os.path.join(ROOT, 'meta', 'ee', 'requirements.yml')))
    names = set(item['name'] for item in ee['collections'])
    assert set(galaxy_yml['dependencies']) <= names
    assert '%s.%s' % (galaxy_yml['namespace'], galaxy_yml['name']) in names
