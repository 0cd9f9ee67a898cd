# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load a Python program a role ships in its files/ (not importable by name: it has a dash, no package)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os
import sys

ROLES = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'roles'))


def role_file(role, name):
    return os.path.join(ROLES, role, 'files', name)


def load_role_program(role, name, module_name, modules=None):
    """Load the program; ``modules`` (name: module) are in sys.modules while it loads, for its imports."""
    modules = modules or {}
    spec = importlib.util.spec_from_file_location(module_name, role_file(role, name))
    module = importlib.util.module_from_spec(spec)
    saved = dict((key, sys.modules[key]) for key in modules if key in sys.modules)
    sys.modules.update(modules)
    try:
        spec.loader.exec_module(module)
    finally:
        for key in modules:
            sys.modules.pop(key)
        sys.modules.update(saved)
    return module
