# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""molecule/resources/sources/fetch_sources.py: the pinned source tarballs the FreeSWITCH images are
built from, taken from a directory (sha256 of the tarball), and refused, with the file named and nothing left
behind, when they do not match. Downloads (sha256 of the files in them), from a local HTTP server:
tests/integration/test_fetch_sources_http.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'molecule', 'resources', 'sources'))

import fetch_sources  # noqa: E402  pylint: disable=wrong-import-position

from source_tarballs import pinned_tarball  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture
def pinned(tmp_path):
    """A pinned tarball demo-1.0.tar.gz (without the test media, like ours) and its lock entry."""
    return pinned_tarball(tmp_path)


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
