# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures of the unit tests, and the guard that keeps them pure.

tests/unit is pure (tests/README.md): no root, no network, no services, no host packages, seconds for the lot.
While a test here is collected, set up, run or torn down, an audit hook (sys.addaudithook) refuses to start a
process other than ALLOWED_PROGRAMS, to open a socket and to resolve a name: the test fails with "tests/unit is
pure: move this test to tests/integration", even when the code under test catches the error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os
import sys

import pytest

UNIT_DIR = os.path.dirname(os.path.abspath(__file__))

try:
    import ansible_collections.voipguard.pbx  # noqa: F401  pylint: disable=unused-import
except ImportError:  # a checkout not yet placed under ansible_collections/voipguard/pbx
    _COLLECTIONS = os.path.abspath(os.path.join(UNIT_DIR, '..', '..', '.cache', 'collections'))
    if os.path.isdir(_COLLECTIONS):
        sys.path.insert(0, _COLLECTIONS)

# The helpers shared with tests/integration (dev_tools, module_harness, role_files), imported by name.
sys.path.insert(0, os.path.join(os.path.dirname(UNIT_DIR), 'support'))

FIXTURES_DIR = os.path.join(UNIT_DIR, 'fixtures')


def read_fixture(name):
    with open(os.path.join(FIXTURES_DIR, name), 'rb') as handle:
        return handle.read().decode('utf-8')


@pytest.fixture
def fixture_text():
    """read_fixture as a fixture (test modules cannot import conftest)."""
    return read_fixture


# ---------------------------------------------------------------- the purity guard

PURE = 'tests/unit is pure: move this test to tests/integration (tests/README.md says what goes where)'
# The processes a pure test may start, by program name: none reaches a service, the network or root.
ALLOWED_PROGRAMS = {
    # requirements-dev.txt's tools, next to the running Python (dev_tools.venv_tool): they read the checkout
    # and write temporary files (test_docs.py, test_build.py, test_execution_environment.py).
    'ansible-doc': 'venv',
    'ansible-galaxy': 'venv',
    'ansible-builder': 'venv',
    # `git ls-files`: what the checkout tracks (test_build.py).
    'git': 'any',
    # What Python and AnsibleModule run by themselves: ctypes.util.find_library (ansible.module_utils' SELinux
    # lookup) runs `ldconfig -p`; AnsibleModule's backups read the file attributes they copy with `lsattr -d`.
    'ldconfig': 'any',
    'lsattr': 'any',
}
RESOLVING = ('socket.getaddrinfo', 'socket.gethostbyname', 'socket.gethostbyname_ex', 'socket.gethostbyaddr',
             'socket.getnameinfo')
SOCKET_USES = ('socket.connect', 'socket.bind', 'socket.sendto', 'socket.sendmsg')


class ImpureTest(BaseException):
    """A test of tests/unit reached outside its process. Not an Exception: `except Exception` in the code under test
    (AnsibleModule.run_command has one) must not hide it."""


_GUARD = {'where': None, 'refused': []}


def _allowed(program):
    name = os.path.basename(program)
    where = ALLOWED_PROGRAMS.get(name)
    if where == 'venv':
        return os.path.dirname(os.path.abspath(program)) == os.path.dirname(os.path.abspath(sys.executable))
    return where == 'any'


def _command(executable, args):
    if isinstance(args, (str, bytes, os.PathLike)):
        args = [args]
    argv = [os.fsdecode(arg) for arg in args]
    return (os.fsdecode(executable) if executable else (argv[0] if argv else '')), ' '.join(argv)


def _refusal(event, args):
    """What the audit event `event` would do, when a pure test must not do it; None when it may."""
    if event == 'subprocess.Popen':
        program, command = _command(args[0], args[1])
        return None if _allowed(program) else 'start a process: %s' % command
    if event in ('os.exec', 'os.posix_spawn'):
        program, command = _command(args[0], args[1])
        return None if _allowed(program) else 'start a process: %s' % command
    if event == 'os.spawn':
        program, command = _command(args[1], args[2])
        return None if _allowed(program) else 'start a process: %s' % command
    if event == 'os.system':
        return 'start a process: %s' % os.fsdecode(args[0])
    if event in ('os.fork', 'os.forkpty'):
        return 'fork'
    if event == 'socket.__new__':
        return 'open a socket (family %s)' % args[1]
    if event in SOCKET_USES:
        return 'use a socket (%s %r)' % (event, args[1])
    if event in RESOLVING and not _literal_address(args[0]):
        return 'resolve a name (%s %r)' % (event, args[0])
    return None


def _literal_address(host):
    """Whether getaddrinfo & co. answer `host` without asking anyone: no host, or an address (ansible's socket patch
    checks itself on import with getaddrinfo('127.0.0.1', ...))."""
    if host is None:
        return True
    if isinstance(host, tuple):  # getnameinfo's sockaddr
        host = host[0]
    try:
        ipaddress.ip_address(os.fsdecode(host).split('%')[0])
    except (TypeError, ValueError):
        return False
    return True


def _audit(event, args):
    if _GUARD['where'] is None or not event.startswith(('subprocess.', 'os.', 'socket.')):
        return
    refused = _refusal(event, args)
    if refused:
        message = '%s\n%s tried to %s' % (PURE, _GUARD['where'], refused)
        _GUARD['refused'].append(message)
        raise ImpureTest(message)


sys.addaudithook(_audit)


def _guarded(where):
    """Body of the hook wrappers below: the guard is on while pytest sets up, runs or tears down `where`."""
    _GUARD['where'], _GUARD['refused'] = where, []
    try:
        result = yield
    except ImpureTest:
        raise
    except BaseException as error:
        if _GUARD['refused']:  # the code under test went on after a refusal, and failed for it
            raise ImpureTest(_GUARD['refused'][0]) from error
        raise
    finally:
        _GUARD['where'] = None
    if _GUARD['refused']:  # the code under test caught the refusal and went on
        raise ImpureTest(_GUARD['refused'][0])
    return result


def _in_unit(path):
    return str(path).startswith(UNIT_DIR + os.sep)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """The guard is on while a test module is imported too (pytest reports what it refused as a collection error)."""
    if not (isinstance(collector, pytest.Module) and _in_unit(collector.path)):
        return (yield)
    _GUARD['where'], _GUARD['refused'] = collector.nodeid, []
    try:
        return (yield)
    finally:
        _GUARD['where'] = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _guarded(item.nodeid))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _guarded(item.nodeid))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # After the session's last test pytest also finishes the session's fixtures, which may be tests/integration's
    # (a PostgreSQL cluster) when both sets run in one session: the guard stays off then.
    if nextitem is None and not all(_in_unit(other.path) for other in item.session.items):
        return (yield)
    return (yield from _guarded(item.nodeid))
