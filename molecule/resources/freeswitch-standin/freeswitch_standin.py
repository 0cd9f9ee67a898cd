# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FreeSWITCH stand-in (voipguard.pbx test fixture).

This is NOT FreeSWITCH. It is a small SIP registrar that reads a FreeSWITCH-shaped configuration
tree and writes freeswitch.log lines exactly as mod_sofia/mod_logfile would for the configured
FreeSWITCH version, so fail2ban filters, jails and the collection's Sofia editing can be tested
where FreeSWITCH cannot be installed.

Python 3.9+, standard library only (it runs inside Debian 11/12/13 test containers).
"""

from __future__ import absolute_import, division, print_function

import argparse
import glob
import hashlib
import ipaddress
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

__metaclass__ = type

DEFAULT_CONF_DIR = "/etc/freeswitch"
DEFAULT_LOG_FILE = "/var/log/freeswitch/freeswitch.log"
DEFAULT_CONTROL_SOCKET = "/run/freeswitch/standin.sock"
DEFAULTS_FILE = "/etc/default/freeswitch-standin"
DEFAULT_VERSION = "1.10.12"
DEFAULT_FUSIONPBX_CONFIG = "/etc/fusionpbx/config.conf"
SETTINGS_SOURCES = ("xml", "fusionpbx")

# ---------------------------------------------------------------------------------------------
# Versions and line numbers
# ---------------------------------------------------------------------------------------------

# sofia_reg.c line numbers move with every release. These are plausible values (several were
# seen in real logs); they differ between messages and between the two version families so that
# a filter depending on them fails a test. They are not claimed to be the exact upstream values.
LINE_NUMBERS = {
    # key: (first version of the family) -> message -> line
    (1, 10, 7): {
        "challenge": 1842,
        "failure": 1806,
        "failure_invite": 1808,
        "not_found": 3210,
        "acl": 1792,
        "register_debug": 2406,
        "invalid_packet": 1799,
    },
    (0, 0, 0): {
        "challenge": 1787,
        "failure": 1533,
        "failure_invite": 1531,
        "not_found": 2889,
        "acl": 1478,
        "register_debug": 2148,
        "invalid_packet": 1485,
    },
}

# Other source files whose lines the stand-in imitates (startup, channels, dialplan noise).
OTHER_LINES = {
    "started_profile": ("sofia.c", 3240),
    "profile_error": ("sofia.c", 3310),
    "core_started": ("switch_core.c", 2494),
    "receiving_invite": ("sofia.c", 10460),
    "verifying_acl": ("sofia.c", 10554),
    "new_channel": ("switch_channel.c", 1142),
    "hangup": ("sofia.c", 2417),
    "session_ended": ("switch_core_session.c", 1762),
    "rescan": ("sofia.c", 6044),
    "reloadxml": ("switch_xml.c", 2219),
    "log_reopen": ("mod_logfile.c", 168),
}

LEVELS = {"CONSOLE": 0, "ALERT": 1, "CRIT": 2, "ERR": 3, "WARNING": 4, "NOTICE": 5, "INFO": 6, "DEBUG": 7}
LEVEL_NAMES_IN_MAPS = {
    "console": "CONSOLE", "alert": "ALERT", "crit": "CRIT", "err": "ERR", "error": "ERR",
    "warning": "WARNING", "warn": "WARNING", "notice": "NOTICE", "info": "INFO", "debug": "DEBUG",
}


def parse_version(text):
    """'1.10.7', '1.10.12-release', 'v1.10.6' -> (1, 10, 7)."""
    match = re.match(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if not match:
        raise ValueError("not a FreeSWITCH version: %r" % (text,))
    return (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


def has_cpu_column(version):
    """FreeSWITCH 1.10.7 (October 2021) added the idle-CPU percentage to every log line."""
    return version >= (1, 10, 7)


def line_number(version, message):
    family = max(key for key in LINE_NUMBERS if version >= key)
    return LINE_NUMBERS[family][message]


def format_prefix(when, level, version, idle_cpu):
    """The part of a FreeSWITCH log line before 'file.c:N '."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when)) + ".%06d" % int((when % 1) * 1000000)
    if has_cpu_column(version):
        return "%s %.2f%% [%s] " % (stamp, idle_cpu, level)
    return "%s [%s] " % (stamp, level)


class IdleCpu:
    """Idle CPU percentage from /proc/stat, as FreeSWITCH samples it (falls back to a plausible value)."""

    def __init__(self, proc_stat="/proc/stat"):
        self.proc_stat = proc_stat
        self.last_sample = self._read()
        self.last_time = time.monotonic()
        self.value = 97.0 + random.random() * 2.9

    def _read(self):
        try:
            with open(self.proc_stat) as handle:
                fields = handle.readline().split()[1:]
            numbers = [int(field) for field in fields]
            return numbers[3] + (numbers[4] if len(numbers) > 4 else 0), sum(numbers)
        except (OSError, ValueError, IndexError):
            return None

    def get(self):
        now = time.monotonic()
        if now - self.last_time >= 1.0:
            sample = self._read()
            if sample and self.last_sample:
                idle = sample[0] - self.last_sample[0]
                total = sample[1] - self.last_sample[1]
                if total > 0:
                    self.value = max(0.0, min(100.0, 100.0 * idle / total))
            self.last_sample = sample
            self.last_time = now
        return self.value


# ---------------------------------------------------------------------------------------------
# The log file (mod_logfile)
# ---------------------------------------------------------------------------------------------

class LogfileSettings:
    """What autoload_configs/logfile.conf.xml and switch.conf.xml say about file logging."""

    def __init__(self):
        self.levels = set(LEVELS)          # levels the "all" map lets through
        self.uuid = True                   # prefix session lines with the session UUID
        self.rollover = 0                  # bytes, 0 = never
        self.maximum_rotate = 0            # 0 = dated names, N = freeswitch.log.1..N
        self.rotate_on_hup = False         # true: rename on HUP; false: just reopen
        self.core_loglevel = LEVELS["DEBUG"]
        self.logfile = None


def parse_level_list(value):
    levels = set()
    for item in re.split(r"[,\s]+", value.strip().lower()):
        if not item:
            continue
        if item == "all":
            levels.update(LEVELS)
        elif item in LEVEL_NAMES_IN_MAPS:
            levels.add(LEVEL_NAMES_IN_MAPS[item])
    return levels


class FsLog:
    """Writes lines the way mod_logfile does: one write per message, continuation lines bare."""

    def __init__(self, path, version, settings=None, rollover_override=None, maximum_rotate_override=None):
        self.path = path
        self.maximum_rotate_override = maximum_rotate_override
        self.version = version
        self.settings = settings or LogfileSettings()
        self.rollover_override = rollover_override
        self.idle = IdleCpu()
        self.lock = threading.RLock()
        self.handle = None
        self.open()

    def open(self):
        with self.lock:
            directory = os.path.dirname(self.path)
            if directory:
                os.makedirs(directory, exist_ok=True)
            self.handle = open(self.path, "a", encoding="utf-8", errors="replace")

    def reopen(self):
        """SIGHUP with rotate-on-hup false: close and open the same path (after logrotate moved it)."""
        with self.lock:
            if self.handle:
                self.handle.close()
            self.open()

    def _rollover_limit(self):
        if self.rollover_override is not None:
            return self.rollover_override
        return self.settings.rollover

    def rotate(self):
        """Rename the file aside like mod_logfile and start a new one."""
        with self.lock:
            if self.handle:
                self.handle.close()
            maximum_rotate = self.settings.maximum_rotate
            if self.maximum_rotate_override is not None:
                maximum_rotate = self.maximum_rotate_override
            if maximum_rotate > 0:
                last = maximum_rotate
                for index in range(last - 1, 0, -1):
                    source = "%s.%d" % (self.path, index)
                    if os.path.exists(source):
                        os.replace(source, "%s.%d" % (self.path, index + 1))
                target = self.path + ".1"
            else:
                base = "%s.%s" % (self.path, time.strftime("%Y-%m-%d-%H-%M-%S"))
                target, index = base + ".1", 1
                while os.path.exists(target):
                    index += 1
                    target = "%s.%d" % (base, index)
            if os.path.exists(self.path):
                os.replace(self.path, target)
            self.open()

    def hup(self):
        if self.settings.rotate_on_hup:
            self.rotate()
        else:
            self.reopen()

    def enabled(self, level):
        return level in self.settings.levels and LEVELS[level] <= self.settings.core_loglevel

    def log(self, level, source, line, message, session_uuid=None):
        """message may contain newlines: FreeSWITCH writes the following lines without a prefix."""
        if not self.enabled(level):
            return
        prefix = format_prefix(time.time(), level, self.version, self.idle.get())
        text = "%s%s:%d %s" % (prefix, source, line, message)
        if session_uuid and self.settings.uuid:
            text = "%s %s" % (session_uuid, text)
        if not text.endswith("\n"):
            text += "\n"
        with self.lock:
            self.handle.write(text)
            self.handle.flush()
            limit = self._rollover_limit()
            if limit and self.handle.tell() >= limit:
                self.rotate()

    def close(self):
        with self.lock:
            if self.handle:
                self.handle.close()
                self.handle = None


# ---------------------------------------------------------------------------------------------
# Configuration: the XML tree
# ---------------------------------------------------------------------------------------------

PRE_PROCESS_RE = re.compile(r"<X-PRE-PROCESS\s+cmd=\"([^\"]*)\"\s+data=\"([^\"]*)\"\s*/>", re.I)
GLOBAL_VAR_RE = re.compile(r"\$\$\{([^}]*)\}")
COMMENT_RE = re.compile(r"<!--.*?-->", re.S)


def detect_local_ips():
    """The addresses FreeSWITCH would put in $${local_ip_v4} / $${local_ip_v6}."""
    found = {"v4": "127.0.0.1", "v6": "::1"}
    for family, key, probe in ((socket.AF_INET, "v4", "192.0.2.1"), (socket.AF_INET6, "v6", "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))
                found[key] = sock.getsockname()[0]
        except OSError:
            pass
    return found


class Preprocessor:
    """FreeSWITCH's XML pre-processing: X-PRE-PROCESS set/include and $${var} expansion."""

    def __init__(self, conf_dir):
        self.conf_dir = conf_dir
        ips = detect_local_ips()
        self.variables = {
            "local_ip_v4": ips["v4"],
            "local_ip_v6": ips["v6"],
            "hostname": socket.gethostname(),
            "conf_dir": conf_dir,
            "base_dir": "/usr",
            "log_dir": "/var/log/freeswitch",
        }
        self.included = set()
        vars_path = os.path.join(conf_dir, "vars.xml")
        if os.path.exists(vars_path):
            self.process_text(self.read(vars_path), os.path.dirname(vars_path))

    @staticmethod
    def read(path):
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def expand(self, text):
        return GLOBAL_VAR_RE.sub(lambda match: self.variables.get(match.group(1), ""), text)

    def _include(self, pattern, base_dir):
        if not os.path.isabs(pattern):
            candidate = os.path.join(base_dir, pattern)
            pattern = candidate if glob.glob(candidate) else os.path.join(self.conf_dir, pattern)
        pieces = []
        for path in sorted(glob.glob(pattern)):
            self.included.add(os.path.realpath(path))
            pieces.append(self.process_text(self.read(path), os.path.dirname(path)))
        return "\n".join(pieces)

    def process_text(self, text, base_dir):
        """Returns text with comments removed, includes inlined and variables expanded, in order."""
        text = COMMENT_RE.sub("", text)
        output = []
        position = 0
        for match in PRE_PROCESS_RE.finditer(text):
            output.append(self.expand(text[position:match.start()]))
            position = match.end()
            cmd, data = match.group(1).lower(), self.expand(match.group(2))
            if cmd in ("set", "env-set", "exec-set", "stun-set"):
                name, _sep, value = data.partition("=")
                if cmd == "set":
                    self.variables[name.strip()] = value.strip()
                elif cmd == "env-set":
                    self.variables[name.strip()] = os.environ.get(value.strip(), "")
            elif cmd == "include":
                output.append(self._include(data, base_dir))
        output.append(self.expand(text[position:]))
        return "".join(output)

    def parse_file(self, path):
        text = self.process_text(self.read(path), os.path.dirname(path))
        text = re.sub(r"<\?xml[^>]*\?>", "", text)
        return ET.fromstring("<standin-root>%s</standin-root>" % text)


def is_true(value):
    """switch_true(): yes/on/true/t/enabled/active/allow and non-zero numbers."""
    text = (value or "").strip().lower()
    if text in ("yes", "on", "true", "t", "enabled", "active", "allow"):
        return True
    try:
        return int(text) != 0
    except ValueError:
        return False


class ProfileSettings:
    """The params of one Sofia profile, in document order (some names repeat, e.g. apply-register-acl)."""

    def __init__(self, name, params, source=""):
        self.name = name
        self.params = list(params)
        self.source = source

    def get(self, name, default=None):
        value = default
        for param_name, param_value in self.params:
            if param_name.lower() == name.lower():
                value = param_value
        return value

    def get_all(self, name):
        return [value for param_name, value in self.params if param_name.lower() == name.lower()]


class XmlProfileSource:
    """Sofia profile settings from <conf>/sip_profiles/*.xml (plain FreeSWITCH).

    One of the interchangeable profile-settings sources: anything with load(preprocessor) returning
    {name: ProfileSettings} can replace it (a FusionPBX source reading v_sip_profile_settings
    from PostgreSQL is the next one).
    """

    def __init__(self, conf_dir):
        self.conf_dir = conf_dir

    def load(self, preprocessor):
        profiles = {}
        for path in sorted(glob.glob(os.path.join(self.conf_dir, "sip_profiles", "*.xml"))):
            root = preprocessor.parse_file(path)
            for profile in root.iter("profile"):
                name = profile.get("name")
                settings = profile.find("settings")
                if not name or settings is None:
                    continue
                params = [(param.get("name", ""), param.get("value", "")) for param in settings.iter("param")]
                profiles[name] = ProfileSettings(name, params, source=path)
        return profiles


class FusionPbxError(ValueError):
    """sofia.conf cannot be generated from FusionPBX's database (reloadxml/rescan answer -ERR)."""


def parse_fusionpbx_config(text):
    """key = value lines of /etc/fusionpbx/config.conf (FusionPBX 5) -> dict."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


# What FusionPBX's Lua xml_handler (configuration/sofia.conf.lua) selects: enabled settings of the
# enabled profiles meant for this host. The casts accept the text 'true' of older schemas and the
# boolean columns of newer ones.
FUSIONPBX_SOFIA_QUERY = """SELECT coalesce(json_agg(json_build_array(p.sip_profile_name, s.sip_profile_setting_name,
       s.sip_profile_setting_value) ORDER BY p.sip_profile_name, s.sip_profile_setting_name, s.sip_profile_setting_uuid), '[]')
FROM v_sip_profiles AS p JOIN v_sip_profile_settings AS s ON s.sip_profile_uuid = p.sip_profile_uuid
WHERE s.sip_profile_setting_enabled::text = 'true' AND p.sip_profile_enabled::text = 'true'
  AND (p.sip_profile_hostname = :'hostname' OR p.sip_profile_hostname IS NULL OR p.sip_profile_hostname = '');
"""


class FusionPbxProfileSource:
    """Sofia profile settings the way FreeSWITCH gets them on a FusionPBX host.

    FusionPBX answers FreeSWITCH's request for sofia.conf with its Lua xml_handler: it returns the
    cached document when the cache holds one, otherwise it builds it from v_sip_profiles and
    v_sip_profile_settings and caches it. So a database change is invisible until that cache entry
    is deleted, and the XML files under sip_profiles/ are not read at all. The file cache stores the
    key '<hostname>:configuration:sofia.conf' as a file named after it with ':' turned into '.'.

    dynamic: FreeSWITCH asks the xml_handler again on every `sofia profile <name> rescan`, not only
    on reloadxml, so StandIn.rescan fetches through load() once more.
    """

    dynamic = True

    def __init__(self, config_path=DEFAULT_FUSIONPBX_CONFIG, hostname=None, psql="psql",
                 cache_key_format="{hostname}:configuration:sofia.conf"):
        self.config_path = config_path
        self.hostname = hostname or socket.gethostname()
        self.psql = psql
        self.cache_key_format = cache_key_format

    def config(self):
        try:
            with open(self.config_path, encoding="utf-8") as handle:
                return parse_fusionpbx_config(handle.read())
        except OSError as error:
            raise FusionPbxError("cannot read FusionPBX config %s: %s" % (self.config_path, error))

    def cache_path(self, config=None):
        config = self.config() if config is None else config
        key = self.cache_key_format.format(hostname=self.hostname)
        return os.path.join(config.get("cache.location") or "/var/cache/fusionpbx", key.replace(":", "."))

    def query(self, config):
        """[(profile, setting, value)] of the enabled settings, through the host's psql."""
        argv = [self.psql, "-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1", "-v", "hostname=%s" % self.hostname]
        for option, key in (("-h", "database.0.host"), ("-p", "database.0.port"), ("-U", "database.0.username"),
                            ("-d", "database.0.name")):
            if config.get(key):
                argv += [option, config[key]]
        env = dict(os.environ, PGCONNECT_TIMEOUT="10", PGAPPNAME="freeswitch-standin")
        if config.get("database.0.password"):
            env["PGPASSWORD"] = config["database.0.password"]
        try:
            result = subprocess.run(argv, input=FUSIONPBX_SOFIA_QUERY, env=env, cwd="/", stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, universal_newlines=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise FusionPbxError("psql failed: %s" % error)
        if result.returncode != 0:
            raise FusionPbxError("psql failed (rc=%d): %s" % (result.returncode, result.stderr.strip()))
        try:
            return [tuple(row) for row in json.loads(result.stdout.strip() or "[]")]
        except ValueError:
            raise FusionPbxError("psql printed no JSON: %r" % result.stdout[:200])

    @staticmethod
    def render(rows, preprocessor):
        """The sofia.conf document, shaped like the xml_handler's (global vars expanded, as it does)."""
        lines = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>', '<document type="freeswitch/xml">',
                 '\t<section name="configuration">', '\t\t<configuration name="sofia.conf" description="sofia Endpoint">',
                 '\t\t\t<profiles>']
        current = None
        for profile, name, value in rows:
            if profile != current:
                if current is not None:
                    lines += ['\t\t\t\t\t</settings>', '\t\t\t\t</profile>']
                lines += ['\t\t\t\t<profile name=%s>' % quoteattr(profile), '\t\t\t\t\t<settings>']
                current = profile
            lines.append('\t\t\t\t\t\t<param name=%s value=%s/>' % (quoteattr(name or ""), quoteattr(preprocessor.expand(value or ""))))
        if current is not None:
            lines += ['\t\t\t\t\t</settings>', '\t\t\t\t</profile>']
        lines += ['\t\t\t</profiles>', '\t\t</configuration>', '\t</section>', '</document>']
        return "\n".join(lines) + "\n"

    @staticmethod
    def write_atomically(path, text):
        directory = os.path.dirname(path)
        os.makedirs(directory, exist_ok=True)
        handle, temp_path = tempfile.mkstemp(prefix=".sofia.", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as temp:
                temp.write(text)
            os.chmod(temp_path, 0o644)
            os.replace(temp_path, path)
        finally:
            if os.path.exists(temp_path):
                os.unlink(temp_path)

    def load(self, preprocessor):
        config = self.config()
        path = self.cache_path(config)
        try:
            with open(path, encoding="utf-8") as handle:
                text, origin = handle.read(), "fusionpbx cache %s" % path
        except FileNotFoundError:
            text = self.render(self.query(config), preprocessor)
            self.write_atomically(path, text)
            origin = "fusionpbx database (cached as %s)" % path
        profiles = {}
        for profile in ET.fromstring(text.encode("utf-8")).iter("profile"):
            name = profile.get("name")
            settings = profile.find("settings")
            if name and settings is not None:
                params = [(param.get("name", ""), param.get("value", "")) for param in settings.iter("param")]
                profiles[name] = ProfileSettings(name, params, source=origin)
        return profiles


def make_profile_source(kind, conf_dir, fusionpbx_config=DEFAULT_FUSIONPBX_CONFIG):
    if kind == "fusionpbx":
        return FusionPbxProfileSource(fusionpbx_config)
    if kind == "xml":
        return XmlProfileSource(conf_dir)
    raise ValueError("unknown settings source %r (choose from %s)" % (kind, ", ".join(SETTINGS_SOURCES)))


class Directory:
    """Users from <conf>/directory: {domain (lower case): {user id: params}}."""

    def __init__(self, conf_dir, preprocessor):
        self.domains = {}
        default_domain = preprocessor.variables.get("domain", "")
        directory = os.path.join(conf_dir, "directory")
        top_level = sorted(glob.glob(os.path.join(directory, "*.xml")))
        for path in top_level:
            self._add_tree(preprocessor.parse_file(path), default_domain)
        # Files nothing included (e.g. directory/default/1004.xml without default.xml) still count.
        for path in sorted(glob.glob(os.path.join(directory, "**", "*.xml"), recursive=True)):
            if path in top_level or os.path.realpath(path) in preprocessor.included:
                continue
            self._add_tree(preprocessor.parse_file(path), default_domain)

    def _add_users(self, element, domain):
        for user in element.iter("user"):
            user_id = user.get("id")
            if not user_id:
                continue
            params = {}
            for param in user.iter("param"):
                params[param.get("name", "").lower()] = param.get("value", "")
            params["_type"] = user.get("type", "")
            self.domains.setdefault(domain.lower(), {})[user_id] = params

    def _add_tree(self, root, default_domain):
        seen = set()
        for domain in root.iter("domain"):
            name = domain.get("name", "")
            self._add_users(domain, name)
            seen.update(id(user) for user in domain.iter("user"))
        loose = ET.Element("loose")
        loose.extend(user for user in root.iter("user") if id(user) not in seen)
        self._add_users(loose, default_domain)

    def find(self, user_id, domain):
        user = self.domains.get((domain or "").lower(), {}).get(user_id)
        if user is None or user.get("_type") == "pointer":
            return None
        return user


AUTO_ACLS = {
    "loopback.auto": ["127.0.0.0/8", "::1/128"],
    "rfc1918.auto": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
    "localnet.auto": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "::1/128", "fc00::/7", "fe80::/10"],
    "nat.auto": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
    "any_v4.auto": ["0.0.0.0/0"],
    "any_v6.auto": ["::/0"],
}


class AclLists:
    """Network lists from autoload_configs/acl.conf.xml: the most specific matching node decides."""

    def __init__(self, conf_dir, preprocessor):
        self.lists = {}
        for name, cidrs in AUTO_ACLS.items():
            self.lists[name] = ("deny", [("allow", ipaddress.ip_network(cidr)) for cidr in cidrs])
        path = os.path.join(conf_dir, "autoload_configs", "acl.conf.xml")
        if not os.path.exists(path):
            return
        root = preprocessor.parse_file(path)
        for acl_list in root.iter("list"):
            nodes = []
            for node in acl_list.iter("node"):
                cidr = node.get("cidr")
                if not cidr:
                    continue  # domain= nodes refer to directory users' cidr params: not modelled
                for item in cidr.split(","):
                    try:
                        nodes.append((node.get("type", "allow").lower(), ipaddress.ip_network(item.strip(), strict=False)))
                    except ValueError:
                        continue
            self.lists[acl_list.get("name", "").lower()] = (acl_list.get("default", "deny").lower(), nodes)

    def allows(self, ip_text, list_name):
        """True/False; an unknown list name refuses (FreeSWITCH logs it and denies)."""
        entry = self.lists.get(list_name.lower())
        if entry is None:
            try:
                network = ipaddress.ip_network(list_name, strict=False)
                return ipaddress.ip_address(ip_text) in network
            except ValueError:
                return False
        default, nodes = entry
        address = ipaddress.ip_address(ip_text)
        verdict, best = default == "allow", -1
        for node_type, network in nodes:
            if address.version == network.version and address in network and network.prefixlen >= best:
                verdict, best = node_type == "allow", network.prefixlen
        return verdict


def load_logfile_settings(conf_dir, preprocessor):
    settings = LogfileSettings()
    path = os.path.join(conf_dir, "autoload_configs", "logfile.conf.xml")
    if os.path.exists(path):
        root = preprocessor.parse_file(path)
        top = root.find("./configuration/settings")
        if top is not None:
            for param in top.iter("param"):
                if param.get("name", "").lower() == "rotate-on-hup":
                    settings.rotate_on_hup = is_true(param.get("value"))
        profile = None
        for candidate in root.iter("profile"):
            if candidate.get("name") == "default" or profile is None:
                profile = candidate
        if profile is not None:
            for param in profile.iter("param"):
                name, value = param.get("name", "").lower(), param.get("value", "")
                if name == "rollover":
                    settings.rollover = int(value or 0)
                elif name == "maximum-rotate":
                    settings.maximum_rotate = int(value or 0)
                elif name == "uuid":
                    settings.uuid = is_true(value)
                elif name == "logfile":
                    settings.logfile = value
            levels = set()
            for mapping in profile.iter("map"):
                if mapping.get("name", "").lower() in ("all", "sofia_reg.c", "mod_sofia"):
                    levels |= parse_level_list(mapping.get("value", ""))
            settings.levels = levels
    path = os.path.join(conf_dir, "autoload_configs", "switch.conf.xml")
    if os.path.exists(path):
        root = preprocessor.parse_file(path)
        for param in root.iter("param"):
            if param.get("name", "").lower() == "loglevel":
                value = param.get("value", "").strip().upper()
                value = LEVEL_NAMES_IN_MAPS.get(value.lower(), value)
                if value in LEVELS:
                    settings.core_loglevel = LEVELS[value]
                elif value.isdigit():
                    settings.core_loglevel = int(value)
    return settings


class XmlRegistry:
    """What `reloadxml` loads: FreeSWITCH keeps this in memory; rescans read from it."""

    def __init__(self, conf_dir, profile_source):
        self.preprocessor = Preprocessor(conf_dir)
        self.profiles = profile_source.load(self.preprocessor)
        self.directory = Directory(conf_dir, self.preprocessor)
        self.acls = AclLists(conf_dir, self.preprocessor)
        self.logfile = load_logfile_settings(conf_dir, self.preprocessor)
        self.domain = self.preprocessor.variables.get("domain", "")


# ---------------------------------------------------------------------------------------------
# SIP
# ---------------------------------------------------------------------------------------------

COMPACT_HEADERS = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
                   "c": "content-type", "k": "supported", "e": "content-encoding", "s": "subject"}
REASONS = {100: "Trying", 200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 407: "Proxy Authentication Required", 480: "Temporarily Unavailable",
           481: "Call/Transaction Does Not Exist", 486: "Busy Here", 500: "Internal Server Error"}


class SipRequest:
    def __init__(self, method, uri, headers, body):
        self.method = method
        self.uri = uri
        self.headers = headers  # [(lower-case name, value)] in order
        self.body = body

    def get(self, name):
        for header, value in self.headers:
            if header == name:
                return value
        return None

    def get_all(self, name):
        return [value for header, value in self.headers if header == name]


def parse_request(data):
    """bytes -> SipRequest, or None for responses, keep-alives and garbage."""
    text = data.decode("utf-8", errors="replace")
    head, _sep, body = text.partition("\r\n\r\n")
    if not _sep:
        head, _sep, body = text.partition("\n\n")
    lines = head.replace("\r\n", "\n").split("\n")
    match = re.match(r"^([A-Za-z]+) (\S+) SIP/2\.0$", lines[0].strip())
    if not match:
        return None
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name = name.strip().lower()
        headers.append((COMPACT_HEADERS.get(name, name), value.strip()))
    return SipRequest(match.group(1).upper(), match.group(2), headers, body)


def uri_user_host(value):
    """'"Bob" <sip:1000@pbx.example.com:5060;transport=udp>;tag=x' -> ('1000', 'pbx.example.com')."""
    if not value:
        return "", ""
    match = re.search(r"<([^>]*)>", value)
    uri = match.group(1) if match else value.split(";")[0]
    uri = re.sub(r"^\s*sips?:", "", uri.strip(), flags=re.I)
    uri = uri.split(";")[0].split("?")[0]
    user, _sep, hostport = uri.rpartition("@")
    if hostport.startswith("["):
        host = hostport[:hostport.find("]") + 1]
    else:
        host = hostport.split(":")[0]
    return user, host


def parse_digest(value):
    if not value or not value.lower().startswith("digest"):
        return None
    params = {}
    for match in re.finditer(r"([A-Za-z0-9_-]+)\s*=\s*(\"((?:[^\"\\]|\\.)*)\"|[^,\s]+)", value[6:]):
        params[match.group(1).lower()] = match.group(3) if match.group(3) is not None else match.group(2)
    return params


def md5_hex(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def digest_response(ha1, method, params):
    ha2 = md5_hex("%s:%s" % (method, params.get("uri", "")))
    qop = params.get("qop")
    if qop:
        return md5_hex("%s:%s:%s:%s:%s:%s" % (ha1, params.get("nonce", ""), params.get("nc", ""),
                                              params.get("cnonce", ""), qop, ha2))
    return md5_hex("%s:%s:%s" % (ha1, params.get("nonce", ""), ha2))


def build_response(request, code, extra=(), to_tag=None, server="FreeSWITCH-mod_sofia/1.10.12-release~64bit"):
    lines = ["SIP/2.0 %d %s" % (code, REASONS.get(code, "Unknown"))]
    for via in request.get_all("via"):
        lines.append("Via: %s" % via)
    for name in ("from", "to", "call-id", "cseq"):
        value = request.get(name)
        if value is None:
            continue
        if name == "to" and to_tag and code > 100 and ";tag=" not in value.lower():
            value = "%s;tag=%s" % (value, to_tag)
        lines.append("%s: %s" % ({"call-id": "Call-ID", "cseq": "CSeq"}.get(name, name.capitalize()), value))
    lines.append("User-Agent: %s" % server)
    lines.extend(extra)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class Profile:
    """A running Sofia profile: the settings as of its last (re)scan."""

    def __init__(self, settings, preprocessor):
        self.name = settings.name
        self.apply(settings, preprocessor)

    def apply(self, settings, preprocessor):
        self.settings = settings
        port = settings.get("sip-port", "5060") or "5060"
        self.sip_port = int(port)
        self.sip_ip = settings.get("sip-ip", "") or ""
        self.family = 6 if (":" in self.sip_ip or self.name.endswith("-ipv6")) else 4
        self.log_auth_failures = is_true(settings.get("log-auth-failures", "false"))
        self.auth_calls = is_true(settings.get("auth-calls", "true"))
        self.reg_acls = [acl.strip() for value in settings.get_all("apply-register-acl") for acl in value.split(",") if acl.strip()]
        self.force_register_domain = settings.get("force-register-domain", "") or ""
        self.challenge_realm = settings.get("challenge-realm", "auto_to") or "auto_to"
        self.nonce_ttl = int(settings.get("nonce-ttl", "60") or 60)
        self.blind_reg = is_true(settings.get("accept-blind-reg", "false"))
        self.debug = int(settings.get("debug", "0") or 0)
        self.url_ip = self.sip_ip or preprocessor.variables.get("local_ip_v4", "127.0.0.1")

    def describe(self):
        return {
            "sip-port": self.sip_port, "sip-ip": self.sip_ip, "family": "ipv%d" % self.family,
            "log-auth-failures": self.log_auth_failures, "auth-calls": self.auth_calls,
            "apply-register-acl": self.reg_acls, "force-register-domain": self.force_register_domain,
            "challenge-realm": self.challenge_realm, "source": self.settings.source,
        }


class StandIn:
    """Protocol logic, independent of sockets so that it can be driven directly."""

    TRANSACTION_LIFETIME = 32.0

    def __init__(self, conf_dir, log, version, profile_source=None):
        self.conf_dir = conf_dir
        self.log = log
        self.version = version
        self.version_text = "%d.%d.%d" % version
        self.profile_source = profile_source or XmlProfileSource(conf_dir)
        self.lock = threading.RLock()
        self.counts = {}
        self.registrations = {}
        self.nonces = {}
        self.transactions = {}
        self.registry = XmlRegistry(conf_dir, self.profile_source)
        self.log.settings = self.registry.logfile
        self.profiles = {name: Profile(settings, self.registry.preprocessor)
                         for name, settings in self.registry.profiles.items()}
        self.started = time.time()

    # -- helpers ------------------------------------------------------------------------------
    def server_header(self):
        return "FreeSWITCH-mod_sofia/%s-release~64bit" % self.version_text

    def sofia_log(self, level, key, message):
        self.log.log(level, "sofia_reg.c", line_number(self.version, key), message)

    def other_log(self, level, key, message, session_uuid=None):
        source, line = OTHER_LINES[key]
        self.log.log(level, source, line, message, session_uuid=session_uuid)

    def new_nonce(self):
        nonce = str(uuid.uuid4())
        self.nonces[nonce] = time.time()
        return nonce

    def nonce_valid(self, nonce, ttl):
        issued = self.nonces.get(nonce)
        return issued is not None and time.time() - issued <= max(ttl, 1)

    def _purge(self):
        now = time.time()
        for key in [key for key, (when, _response) in self.transactions.items() if now - when > self.TRANSACTION_LIFETIME]:
            del self.transactions[key]
        for nonce in [nonce for nonce, when in self.nonces.items() if now - when > 3600]:
            del self.nonces[nonce]
        for key in [key for key, reg in self.registrations.items() if reg["expires_at"] < now]:
            del self.registrations[key]

    # -- entry point from the transports ----------------------------------------------------
    def handle(self, profile, data, source_ip, source_port, transport):
        """Returns the response bytes to send back (or None)."""
        if not data.strip():
            return None  # CRLF keep-alive
        source_ip = normalise_ip(source_ip)
        with self.lock:
            self.counts[source_ip] = self.counts.get(source_ip, 0) + 1
            request = parse_request(data)
            if request is None:
                return None
            key = (transport, source_ip, source_port, request.get("call-id"), request.get("cseq"),
                   (request.get("via") or "").split(",")[0])
            cached = self.transactions.get(key)
            if cached is not None:
                return cached[1]  # retransmission: same answer, no new log lines
            if len(self.transactions) > 2000 or random.random() < 0.05:
                self._purge()
            response = self.dispatch(profile, request, source_ip, source_port, transport)
            if response is not None and request.method != "ACK":
                self.transactions[key] = (time.time(), response)
            return response

    def dispatch(self, profile, request, source_ip, source_port, transport):
        method = request.method
        to_tag = secrets.token_hex(5)
        if method == "REGISTER":
            return self.handle_auth(profile, request, source_ip, source_port, transport, "REGISTER")
        if method == "INVITE":
            return self.handle_invite(profile, request, source_ip, source_port, transport)
        if method == "OPTIONS":
            return build_response(request, 200, ["Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, REGISTER, REFER, NOTIFY",
                                                 "Accept: application/sdp"], to_tag, self.server_header())
        if method == "ACK":
            return None
        if method in ("BYE", "CANCEL"):
            return build_response(request, 481, (), to_tag, self.server_header())
        return build_response(request, 405, ["Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER"], to_tag, self.server_header())

    # -- the sofia_reg.c path ------------------------------------------------------------------
    def handle_auth(self, profile, request, source_ip, source_port, transport, regtype, session_uuid=None):
        to_tag = secrets.token_hex(5)
        to_user, to_host = uri_user_host(request.get("to"))
        from_user, from_host = uri_user_host(request.get("from"))
        if regtype == "REGISTER":
            for acl in profile.reg_acls:
                if not self.registry.acls.allows(source_ip, acl):
                    self.sofia_log("WARNING", "acl", 'IP %s Rejected by register acl "%s"' % (source_ip, acl))
                    return build_response(request, 403, (), to_tag, self.server_header())
            if profile.reg_acls or profile.blind_reg:
                # Like sofia_reg.c: a source every register ACL allows is registered without a
                # challenge (REG_AUTO_REGISTER), and accept-blind-reg skips authentication too.
                return self.register(profile, request, to_user, to_host, source_ip, source_port, transport, to_tag)

        header = "authorization" if regtype == "REGISTER" else "proxy-authorization"
        credentials = parse_digest(request.get(header) or request.get("authorization"))
        realm = profile.challenge_realm
        if realm.lower() == "auto_to":
            realm = to_host
        elif realm.lower() == "auto_from":
            realm = from_host

        if not credentials:
            return self.challenge(profile, request, regtype, realm, to_user, to_host, source_ip, to_tag, stale=False)

        if not self.nonce_valid(credentials.get("nonce", ""), profile.nonce_ttl):
            return self.challenge(profile, request, regtype, realm, to_user, to_host, source_ip, to_tag, stale=True)

        username = credentials.get("username", "")
        domain_name = profile.force_register_domain or credentials.get("realm", realm)
        user = self.registry.directory.find(username or "nobody", domain_name)
        if user is None:
            self.sofia_log("WARNING", "not_found",
                           "Can't find user [%s@%s] from %s\n"
                           "You must define a domain called '%s' in your directory and add a user with the id=\"%s\" attribute\n"
                           "and you must configure your device to use the proper domain in its authentication credentials."
                           % (username, domain_name, source_ip, domain_name, username))
            return self.forbidden(profile, request, regtype, to_user, to_host, source_ip, to_tag)

        ha1 = user.get("a1-hash") or md5_hex("%s:%s:%s" % (username, credentials.get("realm", ""), user.get("password", "")))
        expected = digest_response(ha1, request.method, credentials)
        if not secrets.compare_digest(expected, credentials.get("response", "").lower()):
            return self.forbidden(profile, request, regtype, to_user, to_host, source_ip, to_tag)

        if regtype == "REGISTER":
            return self.register(profile, request, to_user, to_host, source_ip, source_port, transport, to_tag)
        return None  # authenticated INVITE: the caller decides

    def challenge(self, profile, request, regtype, realm, to_user, to_host, source_ip, to_tag, stale):
        nonce = self.new_nonce()
        value = 'Digest realm="%s", nonce="%s",%s algorithm=MD5, qop="auth"' % (
            realm, nonce, ' stale=true,' if stale else '')
        if profile.log_auth_failures:
            self.sofia_log("WARNING", "challenge", "SIP auth challenge (%s) on sofia profile '%s' for [%s@%s] from ip %s"
                           % (regtype, profile.name, to_user, to_host, source_ip))
        if regtype == "REGISTER":
            return build_response(request, 401, ["WWW-Authenticate: %s" % value], to_tag, self.server_header())
        return build_response(request, 407, ["Proxy-Authenticate: %s" % value], to_tag, self.server_header())

    def forbidden(self, profile, request, regtype, to_user, to_host, source_ip, to_tag):
        if profile.log_auth_failures:
            self.sofia_log("WARNING", "failure" if regtype == "REGISTER" else "failure_invite",
                           "SIP auth failure (%s) on sofia profile '%s' for [%s@%s] from ip %s"
                           % (regtype, profile.name, to_user, to_host, source_ip))
        return build_response(request, 403, (), to_tag, self.server_header())

    def register(self, profile, request, to_user, to_host, source_ip, source_port, transport, to_tag):
        contact = request.get("contact") or ""
        expires_text = request.get("expires")
        match = re.search(r";\s*expires\s*=\s*(\d+)", contact, re.I)
        expires = int(match.group(1)) if match else int(expires_text) if (expires_text or "").isdigit() else 3600
        reg_host = profile.force_register_domain or to_host
        key = "%s/%s@%s" % (profile.name, to_user, reg_host)
        extra = []
        if expires == 0 or contact.strip() == "*":
            self.registrations.pop(key, None)
        else:
            self.registrations[key] = {
                "profile": profile.name, "user": to_user, "realm": reg_host, "contact": contact,
                "network_ip": source_ip, "network_port": source_port, "transport": transport,
                "expires": expires, "expires_at": time.time() + expires,
                "user_agent": request.get("user-agent") or "", "call_id": request.get("call-id") or "",
            }
            extra.append("Contact: %s;expires=%d" % (re.sub(r";\s*expires\s*=\s*\d+", "", contact, flags=re.I), expires))
        extra.append("Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()))
        # FreeSWITCH prints this at DEBUG when the profile's debug param is on; the stand-in always
        # prints it so that the log carries ordinary, non-attack registration noise.
        self.sofia_log("DEBUG", "register_debug", "Register:\nFrom:    [%s@%s]\nContact: [%s]\nExpires: [%d]"
                       % (to_user, reg_host, contact, expires))
        return build_response(request, 200, extra, to_tag, self.server_header())

    def handle_invite(self, profile, request, source_ip, source_port, transport):
        to_tag = secrets.token_hex(5)
        session_uuid = str(uuid.uuid4())
        from_user, _host = uri_user_host(request.get("from"))
        req_user, req_host = uri_user_host(request.uri)
        channel = "sofia/%s/%s@%s" % (profile.name, from_user, req_host)
        self.other_log("NOTICE", "new_channel", "New Channel %s [%s]" % (channel, session_uuid), session_uuid)
        self.other_log("INFO", "receiving_invite", "%s receiving invite from %s:%s version: %s-release 64bit call-id: %s"
                       % (channel, source_ip, source_port, self.version_text, request.get("call-id") or ""), session_uuid)
        if profile.auth_calls:
            response = self.handle_auth(profile, request, source_ip, source_port, transport, "INVITE", session_uuid)
            if response is not None:
                self.other_log("NOTICE", "hangup", "Hangup %s [CS_NEW] [CALL_REJECTED]" % channel, session_uuid)
                return response
        registered = any(reg["user"] == req_user for reg in self.registrations.values())
        code = 486 if registered else 480
        cause = "USER_BUSY" if registered else "USER_NOT_REGISTERED"
        self.other_log("NOTICE", "hangup", "Hangup %s [CS_ROUTING] [%s]" % (channel, cause), session_uuid)
        self.other_log("NOTICE", "session_ended", "Session %d (%s) Ended" % (random.randint(1, 9999), channel), session_uuid)
        return build_response(request, code, (), to_tag, self.server_header())

    # -- control commands ----------------------------------------------------------------------
    def reloadxml(self):
        with self.lock:
            try:
                registry = XmlRegistry(self.conf_dir, self.profile_source)
            except (ET.ParseError, OSError, ValueError) as error:
                return "-ERR [%s]\n" % error
            self.registry = registry
            self.log.settings = registry.logfile
            self.other_log("INFO", "reloadxml", "Reloading XML")
            return "+OK [Success]\n"

    def rescan(self, name):
        """Applies the profile's settings from the loaded XML (run reloadxml first, as with FreeSWITCH)."""
        with self.lock:
            if name not in self.profiles:
                return "Invalid Profile [%s]\n" % name
            if getattr(self.profile_source, "dynamic", False):
                # FusionPBX: FreeSWITCH asks the xml_handler for sofia.conf on every rescan.
                try:
                    self.registry.profiles = self.profile_source.load(self.registry.preprocessor)
                except (ET.ParseError, OSError, ValueError) as error:
                    return "-ERR [%s]\n" % error
            settings = self.registry.profiles.get(name)
            if settings is None:
                return "-ERR cannot find config for profile %s\n" % name
            self.profiles[name].apply(settings, self.registry.preprocessor)
            return "+OK scan complete\n"

    def sofia_status(self):
        rule = "=" * 97
        lines = ["%25s\t%7s\t%42s\t%s" % ("Name", "Type", "Data", "State"), rule]
        for name in sorted(self.profiles):
            profile = self.profiles[name]
            host = profile.url_ip if profile.family == 4 else "[%s]" % profile.url_ip
            lines.append("%25s\t%7s\t%42s\t%s" % (name, "profile", "sip:mod_sofia@%s:%d" % (host, profile.sip_port), "RUNNING (0)"))
        lines.append(rule)
        lines.append("%d profiles 0 aliases" % len(self.profiles))
        return "\n".join(lines) + "\n"

    def registrations_json(self):
        with self.lock:
            self._purge()
            return json.dumps(self.registrations, sort_keys=True, indent=1) + "\n"


def normalise_ip(text):
    """'::ffff:192.0.2.1' -> '192.0.2.1'; strips IPv6 zone ids."""
    text = text.split("%")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


# ---------------------------------------------------------------------------------------------
# Transports and the control socket
# ---------------------------------------------------------------------------------------------

class Listener:
    """UDP and TCP on one (family, port); each request goes to the profile that owns the socket."""

    def __init__(self, standin, profile_name, family, port):
        self.standin = standin
        self.profile_name = profile_name
        self.family = family
        self.port = port
        self.stopping = False
        af = socket.AF_INET6 if family == 6 else socket.AF_INET
        address = "::" if family == 6 else "0.0.0.0"
        self.udp = socket.socket(af, socket.SOCK_DGRAM)
        self.tcp = socket.socket(af, socket.SOCK_STREAM)
        for sock in (self.udp, self.tcp):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == 6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            self.udp.bind((address, port))
            self.tcp.bind((address, port))
            self.tcp.listen(64)
        except OSError:
            self.udp.close()
            self.tcp.close()
            raise
        self.threads = [threading.Thread(target=self.serve_udp, daemon=True),
                        threading.Thread(target=self.serve_tcp, daemon=True)]
        for thread in self.threads:
            thread.start()

    def profile(self):
        return self.standin.profiles[self.profile_name]

    def serve_udp(self):
        while not self.stopping:
            try:
                data, address = self.udp.recvfrom(65535)
            except OSError:
                return
            try:
                response = self.standin.handle(self.profile(), data, address[0], address[1], "udp")
                if response:
                    self.udp.sendto(response, address)
            except Exception as error:  # keep serving whatever a packet contains
                sys.stderr.write("freeswitch-standin: udp packet from %s failed: %r\n" % (address[0], error))

    def serve_tcp(self):
        while not self.stopping:
            try:
                connection, address = self.tcp.accept()
            except OSError:
                return
            threading.Thread(target=self.serve_connection, args=(connection, address), daemon=True).start()

    def serve_connection(self, connection, address):
        buffer = b""
        connection.settimeout(300)
        try:
            while not self.stopping:
                chunk = connection.recv(65535)
                if not chunk:
                    return
                buffer += chunk
                while True:
                    buffer = buffer.lstrip(b"\r\n")
                    end = buffer.find(b"\r\n\r\n")
                    if end < 0:
                        break
                    match = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", buffer[:end])
                    length = int(match.group(1)) if match else 0
                    total = end + 4 + length
                    if len(buffer) < total:
                        break
                    message, buffer = buffer[:total], buffer[total:]
                    response = self.standin.handle(self.profile(), message, address[0], address[1], "tcp")
                    if response:
                        connection.sendall(response)
        except OSError:
            return
        finally:
            connection.close()

    def close(self):
        self.stopping = True
        for sock in (self.udp, self.tcp):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class ControlServer:
    """The fs_cli shim's way in: one command per connection, the answer, then close."""

    def __init__(self, path, daemon):
        self.path = path
        self.daemon = daemon
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o660)
        self.sock.listen(16)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                connection, _address = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.answer, args=(connection,), daemon=True).start()

    def answer(self, connection):
        try:
            connection.settimeout(10)
            data = b""
            while not data.endswith(b"\n"):
                chunk = connection.recv(4096)
                if not chunk:
                    break
                data += chunk
            reply = self.daemon.command(data.decode("utf-8", errors="replace").strip())
            connection.sendall(reply.encode("utf-8"))
        except OSError:
            pass
        finally:
            connection.close()

    def close(self):
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


class Daemon:
    """Owns the listeners, signals and fs_cli commands around one StandIn."""

    def __init__(self, standin, control_path):
        self.standin = standin
        self.listeners = {}
        self.bind_all()
        self.control = ControlServer(control_path, self)
        self.stop_event = threading.Event()

    def bind_all(self):
        """One listener per (family, port). A profile of the other family on a free port also gets
        the IPv6 side, so IPv6 sources reach an IPv4-only configuration too."""
        wanted = {}
        for name in sorted(self.standin.profiles):
            profile = self.standin.profiles[name]
            wanted.setdefault((profile.family, profile.sip_port), name)
        for name in sorted(self.standin.profiles):
            profile = self.standin.profiles[name]
            if profile.family == 4:
                wanted.setdefault((6, profile.sip_port), name)
        for name in sorted(self.standin.profiles):
            profile = self.standin.profiles[name]
            owner = wanted[(profile.family, profile.sip_port)]
            if owner != name:
                self.standin.other_log("ERR", "profile_error", "Error Creating SIP UA for profile: %s (port %d is used by %s)"
                                       % (name, profile.sip_port, owner))
        for (family, port), name in sorted(wanted.items()):
            if (family, port) in self.listeners:
                continue
            try:
                self.listeners[(family, port)] = Listener(self.standin, name, family, port)
                if self.standin.profiles[name].family == family:
                    self.standin.other_log("NOTICE", "started_profile", "Started Profile %s [sofia_reg_%s]" % (name, name))
            except OSError as error:
                if self.standin.profiles[name].family == family:
                    self.standin.other_log("ERR", "profile_error", "Error Creating SIP UA for profile: %s (%s)" % (name, error))
                sys.stderr.write("freeswitch-standin: cannot bind %s on port %d (IPv%d): %s\n" % (name, port, family, error))

    def restart_profile(self, name):
        for key in [key for key, listener in self.listeners.items() if listener.profile_name == name]:
            self.listeners.pop(key).close()
        self.bind_all()

    def command(self, line):
        words = line.split()
        standin = self.standin
        if not words:
            return "-ERR no command\n"
        lowered = [word.lower() for word in words]
        if lowered == ["reloadxml"]:
            return standin.reloadxml()
        if lowered[:2] == ["sofia", "status"]:
            return standin.sofia_status()
        if lowered[:2] == ["sofia", "profile"] and len(words) >= 4:
            name, action = words[2], lowered[3]
            prefix = ""
            if "reloadxml" in lowered[4:] or action == "restart":
                prefix = "Reload XML [%s]\n" % ("Success" if standin.reloadxml().startswith("+OK") else "Failure")
            if action == "rescan":
                return prefix + standin.rescan(name)
            if action == "restart":
                result = standin.rescan(name)
                if not result.startswith("+OK"):
                    return prefix + result
                self.restart_profile(name)
                return prefix + "restarting: %s\n" % name
            return "-ERR Unknown command!\n"
        if lowered[:2] == ["fsctl", "send_sighup"]:
            standin.log.hup()
            return "+OK\n"
        if lowered[:2] == ["fsctl", "loglevel"] and len(words) == 3:
            level = LEVEL_NAMES_IN_MAPS.get(lowered[2], words[2].upper())
            if level not in LEVELS:
                return "-ERR INVALID LEVEL\n"
            standin.log.settings.core_loglevel = LEVELS[level]
            return "+OK log level: %s [%d]\n" % (level, LEVELS[level])
        if lowered in (["reload", "mod_logfile"], ["reload", "mod_sofia"]):
            return standin.reloadxml().replace("+OK [Success]", "+OK Reloading XML") + "+OK module loaded\n"
        if lowered == ["version"]:
            return "FreeSWITCH Version %s-release~64bit (-release 64bit)\n" % standin.version_text
        if lowered == ["status"]:
            uptime = int(time.time() - standin.started)
            return ("UP 0 years, 0 days, %d hours, %d minutes, %d seconds, 0 milliseconds, 0 microseconds\n"
                    "FreeSWITCH (Version %s-release 64bit) is ready\n" % (uptime // 3600, uptime // 60 % 60, uptime % 60, standin.version_text))
        if lowered[:1] == ["standin"] and len(words) >= 2:
            return self.standin_command(lowered[1:])
        return "-ERR %s Command not found!\n" % words[0]

    def standin_command(self, words):
        standin = self.standin
        with standin.lock:
            if words == ["counts"]:
                return json.dumps(standin.counts, sort_keys=True) + "\n"
            if words == ["reset-counts"]:
                standin.counts.clear()
                return "+OK\n"
            if words == ["registrations"]:
                return standin.registrations_json()
            if words == ["profiles"]:
                return json.dumps({name: profile.describe() for name, profile in standin.profiles.items()}, sort_keys=True, indent=1) + "\n"
            if words == ["listeners"]:
                return json.dumps(sorted("%s:ipv%d:%d" % (listener.profile_name, family, port)
                                         for (family, port), listener in self.listeners.items())) + "\n"
            if words == ["log-path"]:
                return standin.log.path + "\n"
        return "-ERR unknown stand-in command\n"

    def shutdown(self):
        self.control.close()
        for listener in self.listeners.values():
            listener.close()
        self.standin.log.close()


def read_defaults_file(path):
    """KEY=value lines (shell style, optional quotes), as systemd EnvironmentFile reads them."""
    values = {}
    try:
        with open(path) as handle:
            for line in handle:
                line = line.strip()
                if not line or line.startswith("#") or "=" not in line:
                    continue
                key, _sep, value = line.partition("=")
                values[key.strip()] = value.strip().strip("'\"")
    except OSError:
        pass
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(prog="freeswitch-standin",
                                     description="FreeSWITCH stand-in (voipguard.pbx test fixture). Not FreeSWITCH.")
    parser.add_argument("--conf-dir", default=None, help="FreeSWITCH config tree (default /etc/freeswitch)")
    parser.add_argument("--log-file", default=None, help="default /var/log/freeswitch/freeswitch.log")
    parser.add_argument("--version-format", default=None,
                        help="FreeSWITCH version whose log format to write, e.g. 1.10.6 or 1.10.12")
    parser.add_argument("--control-socket", default=None, help="unix socket for fs_cli (default %s)" % DEFAULT_CONTROL_SOCKET)
    parser.add_argument("--defaults-file", default=DEFAULTS_FILE, help="KEY=value file (FREESWITCH_VERSION, ...)")
    parser.add_argument("--rollover", type=int, default=None,
                        help="rotate the log at this many bytes (overrides logfile.conf.xml; 0 = never)")
    parser.add_argument("--maximum-rotate", type=int, default=None,
                        help="keep freeswitch.log.1..N on rollover (overrides logfile.conf.xml; 0 = dated names)")
    parser.add_argument("--settings-source", default=None, choices=SETTINGS_SOURCES,
                        help="where Sofia profile settings come from: xml (sip_profiles/*.xml, default) or fusionpbx "
                             "(FusionPBX's database through psql, with its sofia.conf file cache)")
    parser.add_argument("--fusionpbx-config", default=None,
                        help="FusionPBX config.conf with database.0.* and cache.location (default %s)" % DEFAULT_FUSIONPBX_CONFIG)
    parser.add_argument("--pid-file", default=None)
    args = parser.parse_args(argv)

    defaults = read_defaults_file(args.defaults_file)
    conf_dir = args.conf_dir or defaults.get("FREESWITCH_CONF_DIR") or DEFAULT_CONF_DIR
    version = parse_version(args.version_format or defaults.get("FREESWITCH_VERSION") or DEFAULT_VERSION)
    control = args.control_socket or defaults.get("FREESWITCH_STANDIN_SOCKET") or DEFAULT_CONTROL_SOCKET
    rollover = args.rollover
    if rollover is None and defaults.get("FREESWITCH_LOG_ROLLOVER"):
        rollover = int(defaults["FREESWITCH_LOG_ROLLOVER"])

    maximum_rotate = args.maximum_rotate
    if maximum_rotate is None and defaults.get("FREESWITCH_LOG_MAXIMUM_ROTATE"):
        maximum_rotate = int(defaults["FREESWITCH_LOG_MAXIMUM_ROTATE"])

    log_path = args.log_file or defaults.get("FREESWITCH_LOG_FILE") or DEFAULT_LOG_FILE
    log = FsLog(log_path, version, load_logfile_settings(conf_dir, Preprocessor(conf_dir)),
                rollover_override=rollover, maximum_rotate_override=maximum_rotate)
    settings_source = args.settings_source or defaults.get("FREESWITCH_SETTINGS_SOURCE") or "xml"
    profile_source = make_profile_source(settings_source, conf_dir,
                                         args.fusionpbx_config or defaults.get("FUSIONPBX_CONFIG") or DEFAULT_FUSIONPBX_CONFIG)
    standin = StandIn(conf_dir, log, version, profile_source=profile_source)
    standin.other_log("CONSOLE", "core_started", "FreeSWITCH Version %s-release~64bit (-release 64bit)\n\n"
                      "FreeSWITCH Started\nMax Sessions [1000]\nSession Rate [30]\nSQL [Enabled]" % standin.version_text)
    daemon = Daemon(standin, control)
    if args.pid_file:
        with open(args.pid_file, "w") as handle:
            handle.write("%d\n" % os.getpid())

    signal.signal(signal.SIGHUP, lambda signum, frame: standin.log.hup())
    signal.signal(signal.SIGTERM, lambda signum, frame: daemon.stop_event.set())
    signal.signal(signal.SIGINT, lambda signum, frame: daemon.stop_event.set())
    sys.stderr.write("freeswitch-standin: ready (FreeSWITCH %s log format, conf %s, settings from %s, log %s, control %s)\n"
                     % (standin.version_text, conf_dir, settings_source, log_path, control))
    sys.stderr.flush()
    while not daemon.stop_event.wait(1.0):
        pass
    daemon.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
