# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers: the FreeSWITCH stand-in on loopback with a copy of the sample config, and the sip-register wrapper."""

from __future__ import absolute_import, division, print_function

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

__metaclass__ = type

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
STANDIN_DIR = os.path.join(REPO, "molecule", "resources", "freeswitch-standin")
STANDIN = os.path.join(STANDIN_DIR, "freeswitch_standin.py")
FS_CLI = os.path.join(STANDIN_DIR, "fs_cli.py")
SIPP_DIR = os.path.join(REPO, "molecule", "resources", "sipp")
SIP_REGISTER = os.path.join(SIPP_DIR, "sip_register.py")


def wait_for(condition, timeout=10.0, interval=0.05, message="condition"):
    """Polls condition() until it returns something truthy; fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % message)
        time.sleep(interval)


def free_port():
    """A port free for both UDP and TCP on every IPv4 address."""
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("0.0.0.0", 0))
            port = udp.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                    tcp.bind(("0.0.0.0", port))
                    return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def set_param(conf_dir, profile_file, name, value):
    """Sets <param name=name value=...> in a profile file (adds it to <settings> when absent)."""
    path = os.path.join(conf_dir, "sip_profiles", profile_file)
    with open(path) as handle:
        text = handle.read()
    # (?<!<!--) skips params the vanilla-shaped files carry commented out
    pattern = re.compile(r'(?<!<!--)(<param name="%s" value=")[^"]*("\s*/>)' % re.escape(name))
    if pattern.search(text):
        text = pattern.sub(lambda match: match.group(1) + value + match.group(2), text, count=1)
    else:
        text = text.replace("<settings>", '<settings>\n    <param name="%s" value="%s"/>' % (name, value), 1)
    with open(path, "w") as handle:
        handle.write(text)


class RunningStandIn:
    def __init__(self, tmp_path, version="1.10.12", log_auth_failures=True, extra_args=(), edit=None):
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.conf_dir = str(tmp_path / "conf")
        shutil.copytree(os.path.join(STANDIN_DIR, "conf"), self.conf_dir)
        self.internal_port = free_port()
        self.external_port = free_port()
        vars_path = os.path.join(self.conf_dir, "vars.xml")
        with open(vars_path) as handle:
            text = handle.read()
        text = text.replace("internal_sip_port=5060", "internal_sip_port=%d" % self.internal_port)
        text = text.replace("external_sip_port=5080", "external_sip_port=%d" % self.external_port)
        with open(vars_path, "w") as handle:
            handle.write(text)
        for profile in ("internal.xml", "external.xml"):
            set_param(self.conf_dir, profile, "log-auth-failures", "true" if log_auth_failures else "false")
        if edit:
            edit(self)
        self.log_path = str(tmp_path / "log" / "freeswitch.log")
        # unix socket paths are limited to 107 bytes: keep it out of pytest's long tmp_path
        self.socket_dir = tempfile.mkdtemp(prefix="standin-")
        self.socket_path = os.path.join(self.socket_dir, "standin.sock")
        self.stderr_path = str(tmp_path / "standin.stderr")
        self.stderr = open(self.stderr_path, "w")
        command = [sys.executable, STANDIN, "--conf-dir", self.conf_dir, "--log-file", self.log_path,
                   "--control-socket", self.socket_path, "--defaults-file", os.devnull,
                   "--version-format", version] + list(extra_args)
        self.process = subprocess.Popen(command, stdout=self.stderr, stderr=self.stderr)
        wait_for(lambda: self.process.poll() is not None or "RUNNING" in self.fs_cli("sofia status", check=False),
                 message="the stand-in to answer fs_cli")
        assert self.process.poll() is None, open(self.stderr_path).read()

    def fs_cli(self, command, check=True):
        result = subprocess.run([sys.executable, FS_CLI, "--standin-socket", self.socket_path, "-x", command],
                                capture_output=True, text=True, timeout=20, check=False)
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def fs_cli_json(self, command):
        return json.loads(self.fs_cli(command))

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8") as handle:
                return handle.read()
        except OSError:
            return ""

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()
        shutil.rmtree(self.socket_dir, ignore_errors=True)


def sip_register(sipp_path, *args, timeout=60):
    """Runs the sip-register wrapper; returns (exit status, [result per attempt], output)."""
    result = subprocess.run([sys.executable, SIP_REGISTER, "--sipp", sipp_path] + [str(arg) for arg in args],
                            capture_output=True, text=True, timeout=timeout, check=False)
    results = re.findall(r"^attempt=\d+ .* result=(\S+)", result.stdout, re.M)
    return result.returncode, results, result.stdout + result.stderr
