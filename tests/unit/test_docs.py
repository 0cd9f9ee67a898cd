# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's documentation: ansible-doc renders every module, filter, test and role (what Galaxy, Automation
Hub and the docs site are built from). The docs site itself: test_docs_site.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re
import subprocess

import pytest
import yaml

from dev_tools import venv_tool

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def names(pattern):
    return sorted(os.path.splitext(os.path.basename(path))[0] for path in glob.glob(os.path.join(ROOT, pattern))
                  if not os.path.basename(path).startswith('__'))


CONTENT = {
    'module': names('plugins/modules/*.py'),
    # Filters are documented one YAML file each (plugins/filter/fleet.py implements them).
    'filter': names('plugins/filter/*.yml'),
    # Test plugins likewise (plugins/test/fail2ban.py implements them).
    'test': names('plugins/test/*.yml'),
    'role': names('roles/*'),
}


@pytest.mark.parametrize('plugin_type', sorted(CONTENT))
def test_ansible_doc_renders_every_plugin_and_role(plugin_type):
    wanted = ['voipguard.pbx.%s' % name for name in CONTENT[plugin_type]]
    assert wanted
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_HOME=os.path.join(ROOT, '.cache', 'ansible-home'))
    result = subprocess.run([venv_tool('ansible-doc'), '-t', plugin_type] + wanted, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, env=env, check=False)
    # ansible-doc exits 0 even when it cannot document one of several names: count the pages.
    # Headers: "> MODULE voipguard.pbx.x (path)", "> ROLE: *voipguard.pbx.x* (path)".
    rendered = re.findall(r'^> %s:? \*?([\w.]+)' % plugin_type.upper(), result.stdout, re.M)
    assert (result.returncode, sorted(rendered)) == (0, wanted), result.stdout


def readme_content_table():
    """{kind: names} from the first cells of the README's content table ("| module `voipguard.pbx.x` |",
    "| filters `voipguard.pbx.a`, `b` |")."""
    with open(os.path.join(ROOT, 'README.md')) as handle:
        text = handle.read()
    table = text[text.index('| content | what it is for |'):]
    table = table[:table.index('\n\n')]
    listed = {}
    for row in table.splitlines()[2:]:
        cell = row.split('|')[1].strip()
        kind = cell.split(' ', 1)[0].rstrip('s')
        names_in_cell = [name.replace('voipguard.pbx.', '', 1) for name in re.findall(r'`([^`]+)`', cell)]
        listed.setdefault(kind, []).extend(names_in_cell)
    return dict((kind, sorted(found)) for kind, found in listed.items())


def test_readme_content_table_lists_every_module_plugin_role_and_playbook():
    wanted = dict(CONTENT, playbook=names('playbooks/*.yml'))
    assert readme_content_table() == wanted


def test_every_role_documents_its_policy_entry_point():
    """The fleet playbooks read the roles' policy through tasks_from: policy, an entry point each role documents
    (and validates its variables with); every documented entry point has its tasks file."""
    for role in CONTENT['role']:
        with open(os.path.join(ROOT, 'roles', role, 'meta', 'argument_specs.yml')) as handle:
            entry_points = yaml.safe_load(handle)['argument_specs']
        assert 'policy' in entry_points, role
        for entry_point in entry_points:
            assert os.path.isfile(os.path.join(ROOT, 'roles', role, 'tasks', entry_point + '.yml')), (role, entry_point)
