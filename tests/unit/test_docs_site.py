# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docs site `make docs` builds: every Markdown guide is a page of it, and its Sphinx extension
(scripts/sphinx_voipguard.py) points links where they belong. Needs docutils, which the docs toolchain and
requirements-dev.txt carry (not the newest ansible-core's set: `make newest` leaves this file out)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import sys

import yaml
from docutils import nodes

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))

import sphinx_voipguard  # noqa: E402  pylint: disable=wrong-import-position

DOCSITE = os.path.join(ROOT, 'docs', 'docsite')


def extra_docs_pages():
    with open(os.path.join(DOCSITE, 'extra-docs.yml')) as handle:
        index = yaml.safe_load(handle)
    return [entry['ref'] for section in index['sections'] for entry in section['toctree']]


def test_every_markdown_guide_is_a_page_of_the_docs_site():
    sources = {}
    for page in extra_docs_pages():
        with open(os.path.join(DOCSITE, 'rst', page + '.rst')) as handle:
            match = sphinx_voipguard.MARKDOWN_SOURCE.search(handle.read())
        assert match, '%s.rst names no markdown-source' % page
        assert os.path.isfile(os.path.join(ROOT, match.group(1))), match.group(1)
        sources[match.group(1)] = page
    wanted = ['README.md'] + ['docs/%s' % os.path.basename(path) for path in glob.glob(os.path.join(ROOT, 'docs', '*.md'))]
    assert sorted(sources) == sorted(wanted)


def test_relative_markdown_links_point_into_the_repository():
    text = ('[bench](../bench/README.md) [site](https://example.com/x.md) [here](#targets) '
            '![graph](img/a.png) [mail](mailto:ops@example.com) [sibling](fleet.md)')
    blob = 'https://github.com/voipguard/pbx/blob/main/'
    assert sphinx_voipguard.repository_links(text, 'docs/performance.md') == (
        '[bench](%sbench/README.md) [site](https://example.com/x.md) [here](#targets) ![graph](%sdocs/img/a.png) '
        '[mail](mailto:ops@example.com) [sibling](%sdocs/fleet.md)' % (blob, blob, blob))
    # Outside the repository: left alone.
    assert sphinx_voipguard.repository_links('[x](../y.md)', 'README.md') == '[x](../y.md)'


def reference(target, explicit=False):
    node = {'refdomain': 'std', 'reftype': 'ref', 'reftarget': target, 'refexplicit': explicit}
    result = sphinx_voipguard.ansible_docs_reference(None, None, node, nodes.inline(target, target))
    return None if result is None else (result['refuri'], result.astext())


def test_references_to_the_ansible_documentation_link_to_its_pages():
    devel = 'https://docs.ansible.com/projects/ansible/devel/'
    assert reference('ansible_collections.community.general.ini_file_module', explicit=True) == (
        devel + 'collections/community/general/ini_file_module.html', 'ansible_collections.community.general.ini_file_module')
    assert reference('ansible_collections.community.general.ini_file_module__parameter-path')[0] == (
        devel + 'collections/community/general/ini_file_module.html')
    assert reference('ansible_configuration_settings') == (
        devel + 'reference_appendices/config.html', 'Ansible Configuration Settings')
    assert reference('common_return_values', explicit=True)[0] == devel + 'reference_appendices/common_return_values.html'


def test_other_unresolved_references_still_fail_the_build():
    assert reference('ansible_collections.voipguard.pbx.no_such_module') is None
    assert reference('no_such_label') is None
