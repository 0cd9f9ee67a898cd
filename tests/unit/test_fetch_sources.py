# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""molecule/resources/sources/fetch_sources.py: the pinned source tarballs the FreeSWITCH images are
built from, taken from a directory (sha256 of the tarball) or downloaded (sha256 of the files in it),
and refused, with the file named and nothing left behind, when they do not match.

The download path is served by a local HTTP server shaped like GitHub's archive endpoint
(<mirror>/<owner/repo>/tar.gz/<commit>), since GitHub cannot be reached from the test machines.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import hashlib
import http.server
import io
import os
import sys
import tarfile
import threading

import pytest

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


@pytest.fixture
def pinned(tmp_path):
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


def test_from_directory_copies_a_matching_tarball(tmp_path, pinned):
    directory, lock = pinned
    dest = tmp_path / 'cache'
    assert fetch_sources.fetch(['demo-1.0.tar.gz'], str(dest), directory, lock=lock) == {
        'demo-1.0.tar.gz': 'copied from %s' % directory}
    assert fetch_sources.file_sha256(str(dest / 'demo-1.0.tar.gz')) == lock['demo-1.0.tar.gz']['sha256']
    # The second time there is nothing to do.
    assert fetch_sources.fetch(['demo-1.0.tar.gz'], str(dest), directory, lock=lock) == {'demo-1.0.tar.gz': 'present'}


def test_from_directory_refuses_an_altered_tarball(tmp_path, pinned):
    directory, lock = pinned
    path = os.path.join(directory, 'demo-1.0.tar.gz')
    with open(path, 'ab') as handle:
        handle.write(b'\0')
    dest = tmp_path / 'cache'
    with pytest.raises(fetch_sources.SourceError) as error:
        fetch_sources.fetch(['demo-1.0.tar.gz'], str(dest), directory, lock=lock)
    assert 'checksum mismatch for demo-1.0.tar.gz' in str(error.value) and directory in str(error.value)
    assert os.listdir(str(dest)) == []


def test_from_directory_names_a_missing_tarball(tmp_path, pinned):
    directory, lock = pinned
    os.unlink(os.path.join(directory, 'demo-1.0.tar.gz'))
    with pytest.raises(fetch_sources.SourceError) as error:
        fetch_sources.fetch(['demo-1.0.tar.gz'], str(tmp_path / 'cache'), directory, lock=lock)
    assert 'demo-1.0.tar.gz is not in %s' % directory in str(error.value)


def test_from_directory_checks_its_sha256sums(tmp_path, pinned):
    directory, lock = pinned
    with open(os.path.join(directory, 'SHA256SUMS'), 'w') as handle:
        handle.write('%s  demo-1.0.tar.gz\n' % ('0' * 64))
    with pytest.raises(fetch_sources.SourceError) as error:
        fetch_sources.fetch(['demo-1.0.tar.gz'], str(tmp_path / 'cache'), directory, lock=lock)
    assert 'SHA256SUMS gives %s for demo-1.0.tar.gz' % ('0' * 64) in str(error.value)
    with open(os.path.join(directory, 'SHA256SUMS'), 'w') as handle:
        handle.write('%s  demo-1.0.tar.gz\n' % lock['demo-1.0.tar.gz']['sha256'])
    assert fetch_sources.fetch(['demo-1.0.tar.gz'], str(tmp_path / 'cache'), directory, lock=lock)


def test_unpinned_name_refused(tmp_path, pinned):
    directory, lock = pinned
    with pytest.raises(fetch_sources.SourceError) as error:
        fetch_sources.fetch(['other-2.0.tar.gz'], str(tmp_path / 'cache'), directory, lock=lock)
    assert 'not pinned' in str(error.value) and 'other-2.0.tar.gz' in str(error.value)


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


def test_command_line_exit_status_and_message(tmp_path, pinned, capsys, monkeypatch):
    directory, lock = pinned
    monkeypatch.setattr(fetch_sources, 'read_lock', lambda path=None: lock)
    assert fetch_sources.main(['--dest', str(tmp_path / 'cache'), '--from', directory, 'demo-1.0.tar.gz']) == 0
    assert 'sources: demo-1.0.tar.gz copied from' in capsys.readouterr().out
    with open(os.path.join(directory, 'demo-1.0.tar.gz'), 'r+b') as handle:
        handle.write(b'X')
    assert fetch_sources.main(['--dest', str(tmp_path / 'other'), '--from', directory, 'demo-1.0.tar.gz']) == 1
    assert 'ERROR: sources: checksum mismatch for demo-1.0.tar.gz' in capsys.readouterr().err


def test_lock_pins_every_freeswitch_build_input():
    """Every tarball the image build uses is pinned with both checksums and a commit."""
    lock = fetch_sources.read_lock()
    with open(os.path.join(ROOT, 'molecule', 'resources', 'images', 'build.sh'), encoding='utf-8') as handle:
        build = handle.read()
    used = set(name for name in lock if name in build)
    assert {'freeswitch-1.10.12.tar.gz', 'freeswitch-1.10.6.tar.gz', 'freeswitch-1.11.2.tar.gz',
            'sofia-sip-1.13.17.tar.gz', 'spandsp-0c7bceb.tar.gz'} <= used
    for name in used:
        entry = lock[name]
        assert len(entry['commit']) == 40 and len(entry['sha256']) == 64 and len(entry['tree_sha256']) == 64, entry
