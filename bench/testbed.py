# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Containers of the benchmark: a Docker network of its own, systemd PBX containers, a SIPp attacker.

Every container is named vg-bench-* and lives on the network vg-bench (172.28.60.0/22: the fixed
addresses in 172.28.60.0/24, flood sources of the flood benchmark from 172.28.61.1 up); cleanup()
removes them all, whatever state a previous run left. PBX containers run with the flags of
molecule/default/molecule.yml (what works on these machines without --privileged).
"""

import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
SIPP_DIR = os.path.join(ROOT, "molecule", "resources", "sipp")
sys.path.insert(0, os.path.join(ROOT, "molecule", "resources", "tests"))

import freeswitch_images  # noqa: E402  pylint: disable=wrong-import-position
import nft_counter  # noqa: E402  pylint: disable=wrong-import-position

NETWORK = "vg-bench"
SUBNET = "172.28.60.0/22"
# The containers' fixed addresses (ADDRESSES, the fleet) and the latency floods' sources are in this /24;
# the rest of SUBNET is the flood benchmark's (bench_flood.address_pool).
FIXED_SUBNET = "172.28.60.0/24"
PREFIX = "vg-bench-"
CLIENT_IMAGE = "voipguard/sip-client:12"
# The PBX images of the benchmark: a real FreeSWITCH test-bed image (make images) plus a primed APT
# cache, built once per input hash (see build_pbx_image). Both run the classic source layout.
PBX_IMAGE = "voipguard/bench-pbx:%s"
PBX_IMAGE_LABEL = "org.voipguard.bench.inputs"
# The FreeSWITCH image tags ours runs, and the newest whose lines the stock filter reads (its best case).
CURRENT, LEGACY = "1.10.12", "1.10.6"
FREESWITCH_LOG = freeswitch_images.LAYOUTS["classic"]["log"]
FS_CLI = freeswitch_images.LAYOUTS["classic"]["fs_cli"]

SYSTEMD_RUN_FLAGS = freeswitch_images.RUN_FLAGS

ADDRESSES = {
    "ours": "172.28.60.10",
    "stock": "172.28.60.11",
    "stock_current": "172.28.60.12",
    "attacker": "172.28.60.66",
    "build": "172.28.60.5",
}
FLEET_ADDRESS_BASE = 20  # vg-bench-fleet-N gets 172.28.60.(20 + N)


class BenchError(Exception):
    pass


def log(message):
    print("==> bench: %s" % message, flush=True)


def run(argv, check=True, capture=True, timeout=None, input_text=None):
    """Run a host command; returns CompletedProcess with text output."""
    result = subprocess.run(argv, check=False, text=True, timeout=timeout, input=input_text,
                            stdout=subprocess.PIPE if capture else None,
                            stderr=subprocess.PIPE if capture else None)
    if check and result.returncode != 0:
        raise BenchError("command failed (rc=%d): %s\n%s%s" % (result.returncode, " ".join(shlex.quote(a) for a in argv[:12]),
                                                               result.stdout or "", result.stderr or ""))
    return result


def wait_for(condition, timeout, interval=0.2, what="condition"):
    """Poll condition() until it returns a true value; raise BenchError at the deadline."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise BenchError("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(interval)


class Container:
    """One container, driven with docker exec."""

    def __init__(self, name, address):
        self.name = name
        self.address = address

    def sh(self, script, check=True, timeout=None):
        """stdout of `sh -c script` in the container."""
        return run(["docker", "exec", self.name, "sh", "-c", script], check=check, timeout=timeout)

    def out(self, script, timeout=None):
        return self.sh(script, timeout=timeout).stdout

    def copy_in(self, source, destination):
        run(["docker", "cp", source, "%s:%s" % (self.name, destination)])

    def write(self, path, text):
        with tempfile.NamedTemporaryFile("w", delete=False, encoding="utf-8") as handle:
            handle.write(text)
        try:
            self.copy_in(handle.name, path)
        finally:
            os.unlink(handle.name)

    def wait_systemd(self, timeout=60):
        def booted():
            state = self.sh("systemctl is-system-running 2>/dev/null || true", check=False).stdout.strip()
            return state in ("running", "degraded")
        wait_for(booted, timeout, interval=0.5, what="systemd in %s" % self.name)

    def wait_freeswitch(self, timeout=60):
        """Until FreeSWITCH answers fs_cli and runs its internal Sofia profile."""
        def running():
            return freeswitch_images.profile_running(self.sh("%s -x 'sofia status' 2>/dev/null || true" % FS_CLI, check=False).stdout)
        wait_for(running, timeout, interval=0.5, what="FreeSWITCH in %s" % self.name)


def cleanup():
    """Remove every vg-bench-* container and the vg-bench network."""
    names = run(["docker", "ps", "-a", "--filter", "name=^/" + PREFIX, "--format", "{{.Names}}"]).stdout.split()
    if names:
        run(["docker", "rm", "-f"] + names, check=False)
    if run(["docker", "network", "inspect", NETWORK], check=False).returncode == 0:
        run(["docker", "network", "rm", NETWORK], check=False)


def create_network():
    if run(["docker", "network", "inspect", NETWORK], check=False).returncode != 0:
        run(["docker", "network", "create", "--subnet", SUBNET, NETWORK])


def start_systemd(name, address, version=CURRENT, image=None):
    """A PBX container (the benchmark image of FreeSWITCH `version`, or `image`), FreeSWITCH running."""
    run(["docker", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK, "--ip", address]
        + SYSTEMD_RUN_FLAGS + [image or PBX_IMAGE % version, "/lib/systemd/systemd"])
    container = Container(name, address)
    container.wait_systemd()
    container.wait_freeswitch()
    return container


def delivered_packets(pbx, address):
    """UDP and TCP packets from `address` that got past the PBX's firewall (molecule/resources/tests/nft_counter.py)."""
    def run(script):
        result = pbx.sh(script, check=False)
        return result.returncode, result.stdout + result.stderr
    return nft_counter.delivered_packets(run, address)


def start_attacker():
    name = PREFIX + "attacker"
    # NET_ADMIN: each flood comes from an address of its own, added to eth0.
    run(["docker", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK, "--cap-add", "NET_ADMIN",
         "--ip", ADDRESSES["attacker"], CLIENT_IMAGE, "sleep", "infinity"])
    attacker = Container(name, ADDRESSES["attacker"])
    attacker.copy_in(os.path.join(SIPP_DIR, "register.xml"), "/root/register.xml")
    return attacker


def remove(containers):
    names = [c.name for c in containers]
    if names:
        run(["docker", "rm", "-f"] + names, check=False)


def freshen_apt_cache(container):
    """The image's APT lists are primed; make them look fresh so the roles do not refresh them (network)."""
    container.sh("touch /var/lib/apt/lists /var/lib/apt/lists/partial; mkdir -p /var/lib/apt/periodic;"
                 " touch /var/lib/apt/periodic/update-success-stamp")


# ------------------------------------------------------------------------------------ ansible

def write_inventory(directory, hosts, group="pbx"):
    """An inventory (YAML) of containers reached with the community.docker.docker connection."""
    path = os.path.join(directory, "inventory-%s.json" % "-".join(c.name.replace(PREFIX, "") for c in hosts))
    inventory = {
        group: {
            "hosts": dict((c.name, {}) for c in hosts),
            "vars": {
                "ansible_connection": "community.docker.docker",
                "ansible_python_interpreter": "/usr/bin/python3",
            },
        }
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(inventory, handle)
    return path


def ansible_env():
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, ".cache", "collections"))
    env.update({
        "ANSIBLE_NOCOWS": "1",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_FORKS": "5",
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
    })
    return env


def ansible_playbook(playbook, inventory, log_path, extra_vars=None, limit=None):
    """Run a playbook; returns (seconds, {host: recap counters}). Output goes to log_path."""
    argv = ["ansible-playbook", "-i", inventory, os.path.join(BENCH_DIR, "playbooks", playbook)]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    if limit:
        argv += ["--limit", limit]
    started = time.monotonic()
    with open(log_path, "a", encoding="utf-8") as handle:
        handle.write("\n$ %s\n" % " ".join(shlex.quote(a) for a in argv))
        handle.flush()
        result = subprocess.run(argv, stdout=handle, stderr=subprocess.STDOUT, env=ansible_env(), check=False)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise BenchError("%s failed (rc=%d), see %s" % (playbook, result.returncode, log_path))
    return seconds, parse_recap(log_path)


def parse_recap(log_path):
    """PLAY RECAP counters of the last run logged in log_path: {host: {'ok': n, 'changed': n, ...}}."""
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    recap = text.rsplit("PLAY RECAP", 1)[-1]
    hosts = {}
    for line in recap.splitlines():
        parts = line.split(":", 1)
        if len(parts) != 2 or "ok=" not in parts[1]:
            continue
        counters = dict((key, int(value)) for key, value in (item.split("=") for item in parts[1].split()))
        hosts[parts[0].strip()] = counters
    return hosts


# ------------------------------------------------------------------------------------ images

def image_inputs_hash(version):
    """Hash of what goes into the benchmark image of `version`: the FreeSWITCH image, the prepare playbook."""
    digest = hashlib.sha256()
    digest.update(run(["docker", "image", "inspect", "--format", "{{.Id}}", freeswitch_images.IMAGE % version]).stdout.encode())
    with open(os.path.join(BENCH_DIR, "playbooks", "prepare.yml"), "rb") as handle:
        digest.update(handle.read())
    return digest.hexdigest()[:16]


def build_pbx_image(work_dir, version):
    """PBX_IMAGE of `version`: the FreeSWITCH image + APT lists and the fail2ban packages downloaded."""
    inputs, image = image_inputs_hash(version), PBX_IMAGE % version
    found = run(["docker", "image", "inspect", "--format", "{{ index .Config.Labels \"%s\" }}" % PBX_IMAGE_LABEL, image],
                check=False)
    if found.returncode == 0 and found.stdout.strip() == inputs:
        log("image %s is up to date" % image)
        return
    log("building %s (FreeSWITCH %s, primed APT cache)" % (image, version))
    builder = start_systemd(PREFIX + "build", ADDRESSES["build"], image=freeswitch_images.IMAGE % version)
    try:
        inventory = write_inventory(work_dir, [builder])
        ansible_playbook("prepare.yml", inventory, os.path.join(work_dir, "prepare.log"))
        # Every container started from the image gets its own machine id at boot, and a log of its own.
        builder.sh("systemctl stop freeswitch; rm -f %s*; : > /etc/machine-id;"
                   " journalctl --rotate >/dev/null 2>&1; journalctl --vacuum-time=1s >/dev/null 2>&1 || true" % FREESWITCH_LOG)
        run(["docker", "commit", "--change", "LABEL %s=%s" % (PBX_IMAGE_LABEL, inputs),
             "--change", 'CMD ["/lib/systemd/systemd"]', builder.name, image])
    finally:
        remove([builder])
