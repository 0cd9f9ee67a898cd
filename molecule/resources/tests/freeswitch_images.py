# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real FreeSWITCH test-bed images (molecule/resources/images/freeswitch, built by `make images`):
what each runs, where it keeps its files, and how to run and wait for one. Shared by the molecule
tests, the filter-sample capture and `make bench`.
"""

import re

# Image tag -> (FreeSWITCH version, install layout); molecule/resources/images/build.sh builds them.
IMAGES = {
    "1.10.12": ("1.10.12", "classic"),
    "1.10.6": ("1.10.6", "classic"),
    "1.11.2-fhs": ("1.11.2", "fhs"),
}
IMAGE = "voipguard/freeswitch:%s"

# The two install layouts: the classic source layout and the FHS layout of the packages and FusionPBX.
LAYOUTS = {
    "classic": {"conf": "/usr/local/freeswitch/conf", "log": "/usr/local/freeswitch/log/freeswitch.log",
                "fs_cli": "/usr/local/freeswitch/bin/fs_cli"},
    "fhs": {"conf": "/etc/freeswitch", "log": "/var/log/freeswitch/freeswitch.log", "fs_cli": "/usr/bin/fs_cli"},
}

# docker run flags of a PBX container: systemd without --privileged (what works on our machines, as
# in molecule/default/molecule.yml), and IPv6 on, since FreeSWITCH's event socket (fs_cli) and its
# IPv6 profiles listen on "::".
RUN_FLAGS = [
    "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW",
    "--security-opt", "seccomp=unconfined", "--cgroupns=host",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock",
    "--sysctl", "net.ipv6.conf.all.disable_ipv6=0",
]


def profile_running(sofia_status, profile="internal"):
    """True when the output of `fs_cli -x 'sofia status'` lists `profile` as RUNNING."""
    return re.search(r"^\s*%s\s+profile\s.*\bRUNNING\b" % re.escape(profile), sofia_status, re.M) is not None
