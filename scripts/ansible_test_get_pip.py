# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the get-pip bootstrap script ansible-test downloads from ci-files.testing.ansible.com.

That host is unreachable on the project's CI machines (only PyPI is). scripts/sanity.sh places this
file where ansible-test caches the script, when no real copy is cached. ansible-test runs it inside
a fresh virtualenv created without pip, with the packages to install as arguments (pip==X and
--no-setuptools/--no-wheel flags): bootstrap pip with ensurepip, then install them from PyPI.
"""
from __future__ import absolute_import, division, print_function

import subprocess
import sys


def main():
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
    packages = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check'] + packages)


if __name__ == '__main__':
    main()
