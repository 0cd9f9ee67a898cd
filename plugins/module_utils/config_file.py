# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read and replace the configuration files the modules edit, keeping their promises on any host.

Plain Python (standard library only, Python 3.9+). The rules, the same for every module:

- A symbolic link is followed, as ansible's own file modules do: the link stays a link and its
  target is edited (configuration kept in a git checkout and linked into /etc is common).
- Anything that is not a regular file (directory, FIFO, device, socket) is refused at once with its
  path and type: it is never opened, so a FIFO cannot block the module.
- Text is UTF-8. A UTF-8 byte-order mark is kept as it was; other bytes are refused with the encoding
  named (modules that can keep an 8-bit file as it is say so themselves).
- A new content goes to a temporary file in the target's directory, flushed to disk, then renamed over
  the target: a reader sees the old file or the new one. Several files are written in two phases
  (every temporary file first, then the renames), so a full disk changes none of them.
- Every failure is a ConfigFileError whose message names the file and the cause.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import codecs
import errno
import os
import stat
import tempfile

_NOT_REGULAR = (
    (stat.S_ISDIR, 'a directory'),
    (stat.S_ISFIFO, 'a FIFO (named pipe)'),
    (stat.S_ISCHR, 'a character device'),
    (stat.S_ISBLK, 'a block device'),
    (stat.S_ISSOCK, 'a socket'),
)
_UTF16_BOMS = ((codecs.BOM_UTF16_LE, 'UTF-16 little-endian'), (codecs.BOM_UTF16_BE, 'UTF-16 big-endian'))


class ConfigFileError(Exception):
    """A file cannot be read or written as asked; the message names it and says why."""


def _cause(error):
    return error.strerror or str(error)


def resolve(path):
    """(the file to read and write for `path`, whether it exists): symlinks followed, non-regular files refused."""
    if os.path.islink(path) and not os.path.exists(path):
        raise ConfigFileError('%s is a symbolic link to %s, which does not exist' % (path, os.readlink(path)))
    target = os.path.realpath(path)
    shown = path if target == os.path.abspath(path) else '%s (a symbolic link to %s)' % (path, target)
    try:
        mode = os.stat(target).st_mode
    except OSError as error:
        if error.errno == errno.ENOENT:
            return target, False
        raise ConfigFileError('cannot read %s: %s' % (shown, _cause(error)))
    for test, kind in _NOT_REGULAR:
        if test(mode):
            raise ConfigFileError('%s is %s, not a regular file: refused' % (shown, kind))
    return target, True


def read_bytes(path):
    """The bytes of a regular file (resolve() it first)."""
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as error:
        raise ConfigFileError('cannot read %s: %s' % (path, _cause(error)))


def encoding_problem(data):
    """None for UTF-8 text (with or without a byte-order mark), else what the bytes are, in words."""
    for bom, name in _UTF16_BOMS:
        if data.startswith(bom):
            return 'it is %s text (byte-order mark %s)' % (name, ' '.join('%02X' % byte for byte in bom))
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    try:
        body.decode('utf-8')
        return None
    except UnicodeDecodeError as error:
        offset = error.start + len(data) - len(body)
        line = data[:offset].count(b'\n') + 1
        guess = 'Latin-1 (ISO-8859-1) or another 8-bit encoding' if b'\x00' not in body else 'binary data'
        return 'byte 0x%02X at line %d is not UTF-8: it looks like %s' % (data[offset], line, guess)


def decode(data, path):
    """(text, had a byte-order mark) of UTF-8 bytes; ConfigFileError naming the encoding otherwise."""
    problem = encoding_problem(data)
    if problem:
        raise ConfigFileError('%s is not UTF-8 text (%s); convert it, for example with iconv -f latin1 -t utf-8'
                              % (path, problem))
    bom = data.startswith(codecs.BOM_UTF8)
    return data[len(codecs.BOM_UTF8):].decode('utf-8') if bom else data.decode('utf-8'), bom


def encode(text, bom):
    return (codecs.BOM_UTF8 if bom else b'') + text.encode('utf-8')


def prepare(path, data):
    """Write data to a temporary file beside `path` (flushed to disk); return its name for commit()."""
    directory = os.path.dirname(path) or '.'
    try:
        handle, temporary = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    except OSError as error:
        raise ConfigFileError('cannot write %s: %s (nothing was changed)' % (path, _cause(error)))
    try:
        with os.fdopen(handle, 'wb') as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as error:
        discard(temporary)
        raise ConfigFileError('cannot write %s: %s (nothing was changed)' % (path, _cause(error)))
    return temporary


def discard(temporary):
    try:
        os.unlink(temporary)
    except OSError:
        pass


def replace_files(contents, move):
    """Replace every file of {path: bytes} (resolved paths): all temporary files first, then the renames.

    move(temporary, path) renames (AnsibleModule.atomic_move keeps the target's owner, mode and SELinux
    context). When a temporary file cannot be written, the others are removed and nothing changes.
    """
    prepared = []
    try:
        for path in sorted(contents):
            prepared.append((prepare(path, contents[path]), path))
    except ConfigFileError:
        for temporary, _path in prepared:
            discard(temporary)
        raise
    index = 0
    try:
        for index, (temporary, path) in enumerate(prepared):
            move(temporary, path)
    except OSError as error:
        done = [name for _temporary, name in prepared[:index]]
        raise ConfigFileError('cannot replace %s: %s (%s)' % (
            prepared[index][1], _cause(error), 'already replaced: %s' % ', '.join(done) if done else 'nothing was changed'))
    finally:
        # Also when move() ends the module (atomic_move fails through fail_json): no temporary file is left.
        for temporary, _path in prepared[index:]:
            if os.path.exists(temporary):
                discard(temporary)
