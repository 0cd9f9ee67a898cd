# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which filter each jail uses, read from the jail configuration files in the order fail2ban loads them.

Runs on the managed host (module fail2ban_log_info). Plain Python (standard library only, Python 3.9+).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_config import ConfigDocument


# Order in which fail2ban reads jail definitions: later files win.
def jail_config_files(config_dir):
    files = [os.path.join(config_dir, 'jail.conf')]
    jail_d = os.path.join(config_dir, 'jail.d')
    names = sorted(os.listdir(jail_d)) if os.path.isdir(jail_d) else []
    files += [os.path.join(jail_d, name) for name in names if name.endswith('.conf')]
    files.append(os.path.join(config_dir, 'jail.local'))
    files += [os.path.join(jail_d, name) for name in names if name.endswith('.local')]
    return [path for path in files if os.path.isfile(path)]


def jail_filters(texts, jails):
    """{jail: filter name} from the jail configuration texts in load order.

    A jail without a filter key uses the DEFAULT one; fail2ban's default is the jail's own name.
    Interpolation of %(__name__)s is resolved, filter options ("[mode=aggressive]") dropped.
    """
    documents = [ConfigDocument(text) for text in texts]
    filters = {}
    for jail in jails:
        value = None
        for section in ('DEFAULT', jail):
            for document in documents:
                settings = document.settings(section)
                if settings and settings.get('filter'):
                    value = settings['filter']
        if value is None:
            value = jail
        value = value.replace('%(__name__)s', jail).strip()
        filters[jail] = re.sub(r'\[.*\]$', '', value.split()[0] if value.split() else jail)
    return filters
