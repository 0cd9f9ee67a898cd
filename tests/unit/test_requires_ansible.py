# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta/runtime.yml's requires_ansible states exactly the tested range: from the minor release of the ansible-core
requirements-dev.txt pins (the oldest tested) up to, and only up to, the minor release requirements-newest.txt pins
(the newest tested, `make newest`), whose image the Makefile names after it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def read(*path):
    with open(os.path.join(ROOT, *path)) as handle:
        return handle.read()


def pinned_core(requirement_file):
    found = re.findall(r'^ansible-core==(\S+)$', read(requirement_file), re.M)
    assert len(found) == 1, '%s pins ansible-core %d times' % (requirement_file, len(found))
    return Version(found[0])


OLDEST = pinned_core('requirements-dev.txt')
NEWEST = pinned_core('requirements-newest.txt')
REQUIRES = yaml.safe_load(read('meta', 'runtime.yml'))['requires_ansible']


def test_the_oldest_tested_is_older_than_the_newest():
    assert (OLDEST.major, OLDEST.minor) < (NEWEST.major, NEWEST.minor)


@pytest.mark.parametrize('version', [OLDEST, NEWEST], ids=['requirements-dev.txt', 'requirements-newest.txt'])
def test_requires_ansible_admits_every_tested_version(version):
    assert version in SpecifierSet(REQUIRES)


def test_requires_ansible_is_the_tested_minor_releases_and_nothing_more():
    assert REQUIRES == '>=%d.%d.0,<%d.%d.0' % (OLDEST.major, OLDEST.minor, NEWEST.major, NEWEST.minor + 1)


def test_the_newest_toolchain_image_is_named_after_its_ansible_core():
    tag = '%d.%d' % (NEWEST.major, NEWEST.minor)
    assert re.search(r'^NEWEST_IMAGE := ansible-newest:%s$' % re.escape(tag), read('Makefile'), re.M)
    assert re.search(r'^\s+ansible-newest:%s:trixie$' % re.escape(tag), read('molecule', 'resources', 'images', 'build.sh'), re.M)
