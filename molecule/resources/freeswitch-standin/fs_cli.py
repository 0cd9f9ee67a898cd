# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fs_cli shim for the FreeSWITCH stand-in (voipguard.pbx test fixture). Not the real fs_cli.

Supports what playbooks run: `fs_cli -x '<command>'` (host/port/password options are accepted
and ignored). The command goes to the stand-in's unix socket; the answer is printed as the real
fs_cli prints it. Like fs_cli, the exit status is 0 whenever the command was delivered, even if
the answer is -ERR; it is 255 when the switch cannot be reached.
"""

from __future__ import absolute_import, division, print_function

import os
import socket
import sys

__metaclass__ = type

DEFAULT_SOCKET = "/run/freeswitch/standin.sock"


def run(command, path, timeout=10.0):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(command.encode("utf-8") + b"\n")
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = []
    path = os.environ.get("FS_STANDIN_SOCKET", DEFAULT_SOCKET)
    timeout = 10.0
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg in ("-x", "--execute") and index + 1 < len(argv):
            commands.append(argv[index + 1])
            index += 2
            continue
        if arg.startswith("--execute="):
            commands.append(arg.split("=", 1)[1])
        elif arg in ("-H", "--host", "-P", "--port", "-p", "--password", "-u", "--user", "-l", "--loglevel"):
            index += 1  # accepted for compatibility, the stand-in only has its socket
        elif arg in ("-T", "--timeout") and index + 1 < len(argv):
            timeout = max(float(argv[index + 1]) / 1000.0, 1.0)
            index += 1
        elif arg == "--standin-socket" and index + 1 < len(argv):
            path = argv[index + 1]
            index += 1
        index += 1
    if not commands:
        sys.stderr.write("fs_cli (FreeSWITCH stand-in shim): only -x '<command>' is supported\n")
        return 1
    for command in commands:
        try:
            answer = run(command, path, timeout)
        except OSError:
            sys.stdout.write("[ERROR] fs_cli.c:1679 main() Error Connecting []\n")
            return 255
        sys.stdout.write(answer if answer.endswith("\n") else answer + "\n")
        sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
