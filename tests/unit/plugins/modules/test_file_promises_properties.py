# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests of the modules' file promises, on generated file trees (hypothesis).

Each example builds a jail.local (or a set of Sofia profiles) as a regular file (of one of three modes), a
symbolic link to one (kept elsewhere, as a git checkout would), a dangling link, a FIFO or a directory; in UTF-8, UTF-8 with a byte-order
mark, with CRLF line ends, or in Latin-1; and makes the write fail or not (read-only filesystem, disk full,
permission denied), at the temporary file or while flushing it. Whatever the mix:
- refused or failed: every file is byte-identical, nothing is left beside it, changed is false;
- done: the edit is there, links are still links, the file keeps its mode, nothing else changed in the bytes
  kept, and a second run changes nothing (idempotent).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import shutil
import stat
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.voipguard.pbx.plugins.modules import fail2ban_jail, sofia_param

from module_harness import run_module

KINDS = ('regular', 'symlink', 'dangling', 'fifo', 'directory')
ENCODINGS = ('utf-8', 'utf-8-bom', 'crlf', 'latin-1')
FAILURES = (None, ('mkstemp', errno.EROFS), ('mkstemp', errno.EACCES), ('fsync', errno.ENOSPC), ('fsync', errno.EIO))


def encoded(text, encoding):
    if encoding == 'utf-8':
        return text.encode('utf-8')
    if encoding == 'utf-8-bom':
        return b'\xef\xbb\xbf' + text.encode('utf-8')
    if encoding == 'crlf':
        return text.replace('\n', '\r\n').encode('utf-8')
    return ('# Zentrale M\u00fcnchen\n' + text).encode('latin-1')


def make_tree(root, name, kind, data):
    """The path the module is given, and the file that really holds the data (None when there is none)."""
    path = os.path.join(root, 'etc', name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if kind == 'regular':
        with open(path, 'wb') as handle:
            handle.write(data)
        return path, path
    if kind == 'symlink':
        target = os.path.join(root, 'checkout', name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, 'wb') as handle:
            handle.write(data)
        os.symlink(target, path)
        return path, target
    if kind == 'dangling':
        os.symlink(os.path.join(root, 'gone', name), path)
        return path, None
    if kind == 'fifo':
        os.mkfifo(path)
        return path, None
    os.mkdir(path)
    return path, None


def listing(root):
    """Every name under root with its type and, for regular files, its bytes (FIFOs are never opened)."""
    found = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(directory, name)
            mode = os.lstat(full).st_mode
            if stat.S_ISREG(mode):
                with open(full, 'rb') as handle:
                    found[os.path.relpath(full, root)] = handle.read()
            else:
                found[os.path.relpath(full, root)] = stat.S_IFMT(mode)
    return found


class InjectedFailure(object):
    """Make tempfile.mkstemp or os.fsync fail with an errno while a module runs."""

    def __init__(self, failure):
        self.failure = failure
        self.saved = None

    def __enter__(self):
        if self.failure:
            where, code = self.failure
            owner = tempfile if where == 'mkstemp' else os
            self.saved = (owner, where, getattr(owner, where))

            def fail(*args, **kwargs):
                raise OSError(code, os.strerror(code))
            setattr(owner, where, fail)
        return self

    def __exit__(self, *exc):
        if self.saved:
            setattr(*self.saved)


JAIL_LOCAL = '[DEFAULT]\nbantime = 1h\n\n[sshd]\nenabled = true\n'


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(KINDS), encoding=st.sampled_from(ENCODINGS), failure=st.sampled_from(FAILURES),
       maxretry=st.integers(min_value=1, max_value=99), mode=st.sampled_from((0o600, 0o640, 0o644)))
def test_fail2ban_jail_keeps_its_promises(kind, encoding, failure, maxretry, mode):
    root = tempfile.mkdtemp(prefix='f2b-prop-')
    try:
        module_tmp = os.path.join(root, 'module-tmp')
        os.mkdir(module_tmp)
        path, holder = make_tree(root, 'jail.local', kind, encoded(JAIL_LOCAL, encoding))
        if holder:
            os.chmod(holder, mode)
        before = listing(root)
        args = dict(path=path, name='sshd', settings={'maxretry': maxretry}, validate=False)
        with InjectedFailure(failure):
            result = run_module(fail2ban_jail, args, tmpdir=module_tmp).result
        after = listing(root)
        must_fail = kind not in ('regular', 'symlink') or encoding == 'latin-1' or failure is not None
        if must_fail:
            assert result.get('failed') and result['changed'] is False, result
            assert after == before, 'a refused or failed run changed the tree'
            assert path in result['msg'] or (holder and holder in result['msg']), result['msg']
            return
        assert not result.get('failed') and result['changed'] is True, result
        with open(holder, 'rb') as handle:
            data = handle.read()
        newline = '\r\n' if encoding == 'crlf' else '\n'
        assert ('maxretry = %d%s' % (maxretry, newline)).encode() in data
        assert data.startswith(b'\xef\xbb\xbf[DEFAULT]') == (encoding == 'utf-8-bom')
        assert os.path.islink(path) == (kind == 'symlink')
        assert stat.S_IMODE(os.stat(holder).st_mode) == mode, 'the file lost its mode'
        assert set(after) == set(before), 'a temporary file was left, or a file replaced the link'
        again = run_module(fail2ban_jail, args, tmpdir=module_tmp).result
        assert again['changed'] is False and listing(root) == after
    finally:
        shutil.rmtree(root)


PROFILE = ('<profile name="%s">\n  <settings>\n    <param name="sip-port" value="%d"/>\n'
           '    <param name="log-auth-failures" value="false"/>\n  </settings>\n</profile>\n')


@settings(max_examples=40, deadline=None)
@given(kinds=st.lists(st.sampled_from(('regular', 'symlink')), min_size=1, max_size=4),
       extra=st.sampled_from((None, 'fifo', 'directory', 'dangling')), failure=st.sampled_from(FAILURES),
       failing_file=st.integers(min_value=0, max_value=3))
def test_sofia_param_changes_every_profile_or_none(kinds, extra, failure, failing_file):
    root = tempfile.mkdtemp(prefix='sofia-prop-')
    try:
        holders = []
        for index, kind in enumerate(kinds):
            path, holder = make_tree(root, os.path.join('sip_profiles', 'p%d.xml' % index), kind,
                                     (PROFILE % ('p%d' % index, 5060 + index)).encode())
            holders.append(holder)
        if extra:
            make_tree(root, os.path.join('sip_profiles', 'zz.xml'), extra, b'')
        before = listing(root)
        calls = []

        # The failure hits one of the files' temporary copies, not necessarily the first.
        class Nth(InjectedFailure):
            def __enter__(self):
                InjectedFailure.__enter__(self)
                if self.saved:
                    owner, where, real = self.saved
                    fail = getattr(owner, where)

                    def nth(*args, **kwargs):
                        calls.append(where)
                        if len(calls) - 1 == min(failing_file, len(kinds) - 1):
                            return fail(*args, **kwargs)
                        return real(*args, **kwargs)
                    setattr(owner, where, nth)
                return self
        with Nth(failure):
            outcome = run_module(sofia_param, {'params': {'log-auth-failures': True}, 'config_dir': os.path.join(root, 'etc'),
                                               'backend': 'xml'})
        after = listing(root)
        if extra in ('fifo', 'directory', 'dangling') or failure is not None:
            assert outcome.failed and after == before, outcome.result
            return
        assert not outcome.failed and outcome.result['changed_profiles'] == ['p%d' % i for i in range(len(kinds))]
        for holder in holders:
            with open(holder, 'rb') as handle:
                assert b'<param name="log-auth-failures" value="true"/>' in handle.read()
        assert set(after) == set(before)
        again = run_module(sofia_param, {'params': {'log-auth-failures': True}, 'config_dir': os.path.join(root, 'etc'),
                                         'backend': 'xml'})
        assert again.result['changed'] is False and listing(root) == after
    finally:
        shutil.rmtree(root)
