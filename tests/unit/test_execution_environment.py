# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""execution-environment.yml is a valid ansible-builder 3 definition: `ansible-builder create` writes a
build context that installs the declared collections, Python and system dependencies."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import subprocess
import tarfile

import pytest
import yaml

from dev_tools import venv_tool

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DEFINITION = os.path.join(ROOT, 'execution-environment.yml')


def pinned(requirement_file, package):
    """The version requirements-dev.txt (or another pip file) pins `package` to."""
    with open(os.path.join(ROOT, requirement_file)) as handle:
        for line in handle:
            match = re.match(r'\s*%s==(\S+)' % re.escape(package), line)
            if match:
                return match.group(1)
    pytest.fail('%s pins no %s' % (requirement_file, package))


@pytest.fixture(scope='module')
def context(tmp_path_factory):
    """What `make ee` makes, in a copy: this checkout's tarball next to the definition, then the build context."""
    work = tmp_path_factory.mktemp('ee')
    shutil.copy(DEFINITION, str(work))
    shutil.copytree(os.path.join(ROOT, 'meta'), str(work / 'meta'))
    subprocess.run([venv_tool('ansible-galaxy'), 'collection', 'build', '--output-path',
                    str(work), ROOT], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=True)
    result = subprocess.run([venv_tool('ansible-builder'), 'create', '--file', 'execution-environment.yml', '--context', 'context', '-v', '3'],
                            cwd=str(work), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stdout
    return work / 'context'


def build_args(context):
    containerfile = (context / 'Containerfile') if (context / 'Containerfile').exists() else (context / 'Dockerfile')
    return dict(re.findall(r'^ARG (\w+)="(.*)"$', containerfile.read_text(), re.M))


def test_the_image_installs_a_python_that_ansible_core_supports(context):
    args = build_args(context)
    assert args['EE_BASE_IMAGE'] == 'quay.io/centos/centos:stream9'
    assert (args['PYPKG'], args['PYCMD']) == ('python3.11', '/usr/bin/python3.11')
    # ansible-core 2.19 runs on controllers with Python 3.11 to 3.13.
    assert args['ANSIBLE_INSTALL_REFS'].split() == ['ansible-core==%s' % pinned('requirements-dev.txt', 'ansible-core'),
                                                    'ansible-runner==2.4.1']


def test_the_image_gets_this_checkouts_collection_and_its_dependencies(context):
    galaxy_yml = yaml.safe_load(open(os.path.join(ROOT, 'galaxy.yml')))
    tarball = 'voipguard-pbx-%s.tar.gz' % galaxy_yml['version']
    build = context / '_build'
    with tarfile.open(str(build / 'collections' / tarball)) as archive:
        manifest = json.load(archive.extractfile('MANIFEST.json'))
    assert (manifest['collection_info']['name'], manifest['collection_info']['version']) == ('pbx', galaxy_yml['version'])
    galaxy = yaml.safe_load((build / 'requirements.yml').read_text())['collections']
    assert galaxy[0] == {'name': '/build/collections/' + tarball, 'type': 'file'}
    assert {item['name']: item['version'] for item in galaxy[1:]} == galaxy_yml['dependencies']
    assert 'jmespath' in (build / 'requirements.txt').read_text()
    assert 'openssh-client' in (build / 'bindep.txt').read_text()


def test_collection_declares_its_dependencies_for_other_execution_environments():
    meta = yaml.safe_load(open(os.path.join(ROOT, 'meta', 'execution-environment.yml')))
    assert meta['version'] == 1
    for kind in ('python', 'system'):
        assert os.path.isfile(os.path.join(ROOT, meta['dependencies'][kind])), kind
