# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collections voipguard.pbx depends on are declared once and consistently: galaxy.yml lists exactly the
collections whose content the roles, playbooks and plugins use, and requirements.yml and the execution
environment ask for the same minimum versions."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
# What users run. molecule/, tests/ and bench/ are the project's own (their extra collection, community.docker,
# is in requirements.yml only).
SHIPPED = ('roles', 'playbooks', 'plugins')
FQCN = re.compile(r'\b([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*\b')
NOT_DEPENDENCIES = {'ansible.builtin', 'voipguard.pbx'}


def load(*path):
    with open(os.path.join(ROOT, *path)) as handle:
        return yaml.safe_load(handle)


def used_collections():
    """Collections named by the FQCN of a task keyword (`community.general.pkgng:`) in the shipped YAML."""
    used = set()
    for top in SHIPPED:
        for folder, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if not name.endswith(('.yml', '.yaml')):
                    continue
                with open(os.path.join(folder, name)) as handle:
                    for line in handle:
                        match = re.match(r'\s*(?:- )?' + FQCN.pattern + r':', line)
                        if match:
                            used.add('%s.%s' % match.group(1, 2))
    return used - NOT_DEPENDENCIES


def requirements(*path):
    return {item['name']: item.get('version') for item in load(*path)['collections']}


def test_galaxy_declares_exactly_the_collections_the_content_uses():
    declared = set(load('galaxy.yml')['dependencies'])
    assert used_collections() == declared


def test_every_requirements_file_asks_for_the_declared_versions():
    declared = load('galaxy.yml')['dependencies']
    project = requirements('requirements.yml')
    execution_environment = requirements('meta', 'ee', 'requirements.yml')
    assert {name: project.get(name) for name in declared} == declared
    assert {name: version for name, version in execution_environment.items() if '/' not in name} == declared
