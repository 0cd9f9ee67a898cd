# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A pinned source tarball and its lock entry, for the tests of molecule/resources/sources/fetch_sources.py
(tests/unit/test_fetch_sources.py, tests/integration/test_fetch_sources_http.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import io
import os
import sys
import tarfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'molecule', 'resources', 'sources'))

import fetch_sources  # noqa: E402  pylint: disable=wrong-import-position

COMMIT = 'c0ffee' * 6 + 'c0fe'


FILES = {'configure.ac': b'AC_INIT([demo], [1.0])\n', 'src/main.c': b'int main(void) { return 0; }\n',
         'bootstrap.sh': b'#!/bin/sh\nautoreconf -i\n', 'media/test.yuv': b'\0' * 64}


def make_tarball(path, top, files, mtime=1700000000, link=True):
    with tarfile.open(path, 'w:gz') as archive:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo('%s/%s' % (top, name))
            info.size, info.mtime = len(data), mtime
            info.mode = 0o755 if name.endswith('.sh') else 0o644
            archive.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo('%s/src/latest.c' % top)
            info.type, info.linkname, info.mtime = tarfile.SYMTYPE, 'main.c', mtime
            archive.addfile(info)
    return path


def pinned_tarball(tmp_path):
    """A pinned tarball demo-1.0.tar.gz (without the test media, like ours) and its lock entry."""
    pinned_dir = tmp_path / 'pinned'
    pinned_dir.mkdir()
    files = dict((name, data) for name, data in FILES.items() if not name.startswith('media/'))
    tarball = make_tarball(str(pinned_dir / 'demo-1.0.tar.gz'), 'demo-1.0', files)
    with open(tarball, 'rb') as handle:
        sha256 = hashlib.sha256(handle.read()).hexdigest()
    entry = {'file': 'demo-1.0.tar.gz', 'upstream': 'example/demo', 'ref': 'v1.0', 'commit': COMMIT, 'sha256': sha256,
             'tree_sha256': fetch_sources.tree_sha256(tarball, ['media/*']), 'exclude': ['media/*']}
    return str(pinned_dir), {entry['file']: entry}
