# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """How the modules that edit FusionPBX's PostgreSQL database reach it."""

    DOCUMENTATION = r'''
options:
  fusionpbx_config:
    description:
      - FusionPBX's configuration file with the database settings, either C(config.conf) (C(database.0.host = ...)
        lines, FusionPBX 5) or C(config.php) (C($db_host = '...';) lines, older releases).
      - Default is the first of C(/etc/fusionpbx/config.conf) and C(/etc/fusionpbx/config.php) that exists.
    type: path
  db_host:
    description:
      - PostgreSQL host, or the directory of its unix socket. Overrides the FusionPBX configuration file.
    type: str
  db_port:
    description:
      - PostgreSQL port. Overrides the FusionPBX configuration file.
    type: int
  db_name:
    description:
      - Database name. Overrides the FusionPBX configuration file, whose default is C(fusionpbx).
    type: str
  db_user:
    description:
      - Database user. Overrides the FusionPBX configuration file.
      - Without a password the module runs C(psql) as the C(postgres) OS user (C(runuser -u postgres), peer
        authentication) and connects as O(db_user) or, when not given, as C(postgres).
    type: str
  db_password:
    description:
      - Database password, passed to C(psql) in the C(PGPASSWORD) environment variable. Overrides the FusionPBX
        configuration file.
    type: str
requirements:
  - "On the managed host: the PostgreSQL client C(psql), and C(runuser) when no database password is known."
'''
