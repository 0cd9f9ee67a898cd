# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sphinx extension for the voipguard.pbx documentation site that `make docs` builds (scripts/docs.sh).

- Markdown guides: an extra docs page (docs/docsite/rst/<page>.rst) holding a comment
  ``.. markdown-source: <path>`` is rendered from that Markdown file of the collection (README.md,
  docs/*.md) with myst-parser, so the Markdown stays the only copy of the text. The page includes a
  copy (build output, beside the Sphinx sources) whose relative links point into the repository
  (galaxy.yml's ``repository``).
- Offline: the build fetches no intersphinx inventory (scripts/docs.sh empties intersphinx_mapping).
  The few references antsibull-docs writes to the Ansible documentation (other collections' plugins,
  return values, configuration settings) become links to their pages on docs.ansible.com, built
  from the site's URL layout; they are not checked. Any other unresolved reference still fails
  the build.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import yaml
from docutils import nodes

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
COLLECTION = 'voipguard.pbx'
MARKDOWN_SOURCE = re.compile(r'^\.\. markdown-source: (\S+)[ \t]*$', re.M)
LABEL = re.compile(r'^\.\. _[^:]+:[ \t]*$', re.M)
# A Markdown link or image target that is a path in the repository (no scheme, not an anchor).
RELATIVE_LINK = re.compile(r'(\]\()(?![a-zA-Z][a-zA-Z0-9+.-]*:|#|/)([^)\s]+)(\))')

ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
# Labels of the Ansible documentation that antsibull-docs' pages refer to: (page, title).
ANSIBLE_DOCS_LABELS = {
    'common_return_values': ('reference_appendices/common_return_values.html', 'Return Values'),
    'ansible_configuration_settings': ('reference_appendices/config.html', 'Ansible Configuration Settings'),
}
# antsibull-docs' label of another collection's plugin or role page (and of anchors in it).
PLUGIN_LABEL = re.compile(r'^ansible_collections\.([a-z0-9_]+)\.([a-z0-9_]+)\.([a-z0-9_]+?)(?:__.*)?$')


def _repository():
    with open(os.path.join(ROOT, 'galaxy.yml')) as handle:
        return yaml.safe_load(handle)['repository'].rstrip('/')


def repository_links(markdown, path):
    """Markdown text with its relative links (path: the file's, from the collection root) pointing into the
    repository."""
    base = os.path.dirname(path)
    blob = _repository() + '/blob/main/'

    def repository_url(match):
        target = os.path.normpath(os.path.join(base, match.group(2)))
        if target.startswith('..'):
            return match.group(0)
        return match.group(1) + blob + target + match.group(3)

    return RELATIVE_LINK.sub(repository_url, markdown)


def markdown_page(app, docname, source):
    """Replace a stub naming a Markdown file by an include of that file (its links pointing into the
    repository), parsed by myst-parser."""
    match = MARKDOWN_SOURCE.search(source[0])
    if not match:
        return
    path = os.path.normpath(match.group(1))
    markdown = os.path.join(ROOT, path)
    if path.startswith('..') or not os.path.isfile(markdown):
        raise FileNotFoundError('%s: markdown-source %s is not a file of the collection' % (docname, path))
    # The copy with rewritten links is build output, beside the Sphinx sources.
    rendered = os.path.join(os.path.dirname(app.srcdir), 'markdown', path)
    os.makedirs(os.path.dirname(rendered), exist_ok=True)
    with open(markdown, encoding='utf-8') as handle:
        text = handle.read()
    with open(rendered, 'w', encoding='utf-8') as handle:
        handle.write(repository_links(text, path))
    here = os.path.dirname(str(app.env.doc2path(docname)))
    labels = ''.join(label + '\n\n' for label in LABEL.findall(source[0]))
    source[0] = '%s.. include:: %s\n   :parser: myst_parser.sphinx_\n' % (labels, os.path.relpath(rendered, here))


def ansible_docs_reference(app, env, node, contnode):
    """A reference to the Ansible documentation (not in this site): a link to its page there."""
    if node.get('refdomain') != 'std' or node.get('reftype') != 'ref':
        return None
    target = node.get('reftarget', '')
    title = None
    if target in ANSIBLE_DOCS_LABELS:
        page, title = ANSIBLE_DOCS_LABELS[target]
    else:
        match = PLUGIN_LABEL.match(target)
        if not match or '%s.%s' % match.group(1, 2) == COLLECTION:
            return None
        page = 'collections/%s/%s/%s.html' % match.group(1, 2, 3)
    reference = nodes.reference('', '', internal=False, refuri=ANSIBLE_DOCS + page)
    if node.get('refexplicit') or title is None:
        reference += contnode
    else:
        reference += nodes.inline(title, title)
    return reference


def setup(app):
    app.setup_extension('myst_parser')
    app.connect('source-read', markdown_page)
    app.connect('missing-reference', ansible_docs_reference)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
