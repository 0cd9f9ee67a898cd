# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The development tools requirements-dev.txt installs, as the unit tests find them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import sys

import pytest


def venv_tool(name):
    """Path of a tool requirements-dev.txt installs (the running Python's bin first, then the PATH)."""
    for path in (os.path.join(os.path.dirname(sys.executable), name), shutil.which(name)):
        if path and os.access(path, os.X_OK):
            return path
    pytest.fail('%s is not installed (requirements-dev.txt pins it)' % name)
