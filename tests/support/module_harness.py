# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs a module's main() through AnsibleModule in-process and hands back what it returned (test helper).

The module tests of tests/unit and tests/integration import it by name: their conftest.py puts tests/support
on sys.path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
from unittest import mock

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

ModuleOutcome = collections.namedtuple('ModuleOutcome', 'failed result')


class ModuleExit(Exception):
    """Raised in place of AnsibleModule.exit_json/fail_json; `result` is what the module returned."""

    failed = None

    def __init__(self, result):
        super(ModuleExit, self).__init__(result)
        self.result = result


class ExitJson(ModuleExit):
    failed = False


class FailJson(ModuleExit):
    failed = True


def _exit_json(self, **kwargs):  # pylint: disable=unused-argument
    kwargs.setdefault('changed', False)
    raise ExitJson(kwargs)


def _fail_json(self, **kwargs):  # pylint: disable=unused-argument
    kwargs['failed'] = True
    raise FailJson(kwargs)


def run_module(module, args, check_mode=False, diff=False, tmpdir=None):
    """Run `module.main()` with `args` as its parameters: ModuleOutcome(failed, result).

    `tmpdir` becomes the module's temporary directory (else AnsibleModule makes its own).
    The module must end through exit_json or fail_json.
    """
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    if tmpdir is not None:
        args['_ansible_tmpdir'] = str(tmpdir)
    with mock.patch.object(basic.AnsibleModule, 'exit_json', _exit_json), \
            mock.patch.object(basic.AnsibleModule, 'fail_json', _fail_json):
        with patch_module_args(args):
            with pytest.raises(ModuleExit) as outcome:
                module.main()
    return ModuleOutcome(outcome.value.failed, outcome.value.result)


def check_mode_result(module, args, tmpdir=None):
    """run_module in check mode: what the module returned, with `failed` set either way."""
    outcome = run_module(module, args, check_mode=True, tmpdir=tmpdir)
    return dict(outcome.result, failed=outcome.failed)


def fake_commands(monkeypatch, run_command, bin_path=lambda name: '/usr/bin/' + name):
    """Answer AnsibleModule.run_command(argv) with run_command(argv), and get_bin_path(name) with bin_path(name)."""
    monkeypatch.setattr(basic.AnsibleModule, 'run_command', lambda module, argv, **kwargs: run_command(argv))
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path',
                        lambda module, name, required=False, opt_dirs=None: bin_path(name))
