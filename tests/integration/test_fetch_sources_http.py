# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""molecule/resources/sources/fetch_sources.py downloading the pinned source tarballs the FreeSWITCH images are
built from (sha256 of the files in them), refused, with the file named and nothing left behind, when they do not
match. From a directory: tests/unit/test_fetch_sources.py.

The download path is served by a local HTTP server shaped like GitHub's archive endpoint
(<mirror>/<owner/repo>/tar.gz/<commit>), since GitHub cannot be reached from the test machines.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import http.server
import io
import os
import tarfile
import threading

import pytest

from source_tarballs import COMMIT, FILES, fetch_sources, make_tarball, pinned_tarball


@pytest.fixture
def pinned(tmp_path):
    """A pinned tarball demo-1.0.tar.gz (without the test media, like ours) and its lock entry."""
    return pinned_tarball(tmp_path)


@pytest.fixture
def mirror(tmp_path):
    """A local stand-in for GitHub's archive server: serves files under <root>/<owner>/<repo>/tar.gz/<commit>."""
    root = tmp_path / 'mirror'
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, 'http://127.0.0.1:%d' % server.server_address[1]
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


def serve_archive(root, files, link=True):
    """GitHub's archive of COMMIT: another top folder, other timestamps, the test media included."""
    target = root / 'example' / 'demo' / 'tar.gz'
    target.mkdir(parents=True, exist_ok=True)
    make_tarball(str(target / COMMIT), 'demo-' + COMMIT, files, mtime=1234567890, link=link)


def test_download_with_the_pinned_files_is_repacked_under_the_pinned_folder(tmp_path, pinned, mirror):
    _directory, lock = pinned
    root, url = mirror
    serve_archive(root, FILES)
    dest = tmp_path / 'cache'
    done = fetch_sources.fetch(['demo-1.0.tar.gz'], str(dest), None, mirror=url, lock=lock)
    assert done == {'demo-1.0.tar.gz': 'downloaded from %s/example/demo/tar.gz/%s' % (url, COMMIT)}
    repacked = str(dest / 'demo-1.0.tar.gz')
    with tarfile.open(repacked) as archive:
        names = archive.getnames()
    assert 'demo-1.0/src/main.c' in names and not [name for name in names if COMMIT in name]
    # The test media the pinned tarball leaves out were not verified: they are not kept either.
    assert 'demo-1.0/media/test.yuv' not in names
    assert fetch_sources.tree_sha256(repacked, ['media/*']) == lock['demo-1.0.tar.gz']['tree_sha256']
    assert sorted(os.listdir(str(dest))) == ['demo-1.0.tar.gz']
    # Cached: the next run does not download again (the server has nothing any more).
    (root / 'example' / 'demo' / 'tar.gz' / COMMIT).unlink()
    assert fetch_sources.fetch(['demo-1.0.tar.gz'], str(dest), None, mirror=url, lock=lock) == {'demo-1.0.tar.gz': 'present'}


@pytest.mark.parametrize('change', ['content', 'extra file', 'missing link'])
def test_download_with_other_files_refused(tmp_path, pinned, mirror, change):
    _directory, lock = pinned
    root, url = mirror
    files, link = dict(FILES), True
    if change == 'content':
        files['src/main.c'] = b'int main(void) { return 1; }\n'
    elif change == 'extra file':
        files['src/backdoor.c'] = b'/* not upstream */\n'
    else:
        link = False
    serve_archive(root, files, link=link)
    dest = tmp_path / 'cache'
    with pytest.raises(fetch_sources.SourceError) as error:
        fetch_sources.fetch(['demo-1.0.tar.gz'], str(dest), None, mirror=url, lock=lock)
    assert 'checksum mismatch for demo-1.0.tar.gz downloaded from %s' % url in str(error.value)
    assert os.listdir(str(dest)) == []


def test_download_with_a_path_outside_its_folder_refused(tmp_path, pinned, mirror):
    _directory, lock = pinned
    root, url = mirror
    target = root / 'example' / 'demo' / 'tar.gz'
    target.mkdir(parents=True)
    with tarfile.open(str(target / COMMIT), 'w:gz') as archive:
        info = tarfile.TarInfo('demo-%s/../../etc/cron.d/x' % COMMIT)
        info.size = 1
        archive.addfile(info, io.BytesIO(b'x'))
    dest = tmp_path / 'cache'
    with pytest.raises(fetch_sources.SourceError) as error:
        fetch_sources.fetch(['demo-1.0.tar.gz'], str(dest), None, mirror=url, lock=lock)
    assert 'points outside' in str(error.value) and 'demo-1.0.tar.gz' in str(error.value)
    assert os.listdir(str(dest)) == []


def test_unreadable_cached_download_is_replaced(tmp_path, pinned, mirror):
    _directory, lock = pinned
    root, url = mirror
    serve_archive(root, FILES)
    dest = tmp_path / 'cache'
    dest.mkdir()
    (dest / 'demo-1.0.tar.gz').write_bytes(b'not a tarball')
    assert fetch_sources.fetch(['demo-1.0.tar.gz'], str(dest), None, mirror=url, lock=lock)['demo-1.0.tar.gz'].startswith('downloaded')
    assert fetch_sources.tree_sha256(str(dest / 'demo-1.0.tar.gz'), ['media/*']) == lock['demo-1.0.tar.gz']['tree_sha256']


def test_download_failure_named(tmp_path, pinned, mirror):
    _directory, lock = pinned
    _root, url = mirror
    with pytest.raises(fetch_sources.SourceError) as error:
        fetch_sources.fetch(['demo-1.0.tar.gz'], str(tmp_path / 'cache'), None, mirror=url, lock=lock)
    assert 'cannot download demo-1.0.tar.gz from %s' % url in str(error.value)
    assert 'VOIPGUARD_SOURCES' in str(error.value)
