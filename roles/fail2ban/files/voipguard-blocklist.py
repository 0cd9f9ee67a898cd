# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""voipguard-blocklist: addresses and networks blocked in nftables sets beside fail2ban's bans.

fail2ban keeps one ticket per banned address (about 0.3 ms of bookkeeping each, no networks at all), so the
fleet's shared bans and imported VoIP blocklists, tens of thousands of entries, go here instead:

- Named lists, each a JSON file under ``state_dir/lists``: *import* lists are fetched from a file or a URL
  in the plain format blocklists use (one address or network a line, ``#`` and ``;`` comments); *managed*
  lists (``fleet``, which the ban_sync playbook fills) are edited through ``update``.
- Every entry may carry an expiry: the kernel gets it as the element's timeout, so a ban ends by itself
  whether or not this program or fail2ban runs.
- One nftables table (``inet voipguard-blocklist``), replaced whole in one ``nft -f`` transaction: per
  list a hash set of addresses and an interval set of networks for each family, and a base chain on the
  input hook before fail2ban's (priority -10) that accepts the whitelist first, then drops what a list holds.
  Whitelisted packets get a mark bit (``whitelist_mark``) that the jail rules of voipguard-nftables.py skip:
  the whitelist wins over every set, the jails' too.
- The whitelist is fail2ban's: ``[DEFAULT] ignoreip`` of jail.local (addresses, networks, host names),
  read at every change. An import or update holding a whitelisted address, or a network broader than
  ``broadest_network``, is refused whole with the entries named, and nothing changes.
- Writes are atomic (temporary file, fsync, rename): an import interrupted halfway, or a download that
  fails or comes back empty, leaves the last good list in force.
- ``lift`` (the unban playbook) removes an address from the managed lists at once (a listed network is
  split around it) and keeps it out of the imported ones for ``lift_seconds``.
- The whitelist also holds the host's own addresses (fail2ban's ignoreself) and every jail's ignoreip; a
  host name that does not resolve now keeps its last resolved addresses. One that never resolved is
  reported as a warning and whitelists nothing, as in fail2ban; once it resolves, the next run (timer,
  converge) puts its addresses in the allow set, which is consulted before every list.

Commands (each prints one JSON object; exit 1 with {"failed": true, "msg": ...} on an error):
  apply [--check] [--if-drifted]  load the table from the lists (boot, firewall reload, converge)
  refresh                         import every configured source, then apply (the timer)
  import NAME                     import one configured source, then apply
  update NAME --mode add|exact|remove [--on-whitelisted fail|skip] [--check]   entries as JSON on stdin
  lift ADDRESS... [--check]       unblock addresses
  status [--address ADDRESS...] [--kernel]

Standalone on purpose: it runs on the PBX from systemd, where the collection's module_utils are not
installed. Standard library and the nft command only. The role installs it with a shebang naming the
system's Python 3.
"""

from __future__ import absolute_import, division, print_function

import argparse
import bisect
import concurrent.futures
import contextlib
import errno
import fcntl
import glob
import heapq
import ipaddress
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

DEFAULT_CONFIG = '/etc/voipguard/blocklist.json'
LIST_NAME_RE = re.compile(r'[a-z0-9][a-z0-9_]{0,23}', re.ASCII)
TABLE_NAME_RE = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.-]*', re.ASCII)
SAMPLE = 10  # entries named in a message
# nft refuses longer element timeouts ("value too large"); 1,000 days is far beyond any ban.
MAX_TIMEOUT = 86400 * 1000
DEFAULTS = {
    'table': 'voipguard-blocklist',
    'chain_priority': -10,
    'state_dir': '/var/lib/voipguard/blocklist',
    'whitelist_file': '/etc/fail2ban/jail.local',
    'whitelist': [],
    'ignoreself': True,
    'broadest_network': {'ipv4': 8, 'ipv6': 32},
    'sources': {},
    'lift_seconds': 604800,
    'download_timeout': 60,
    'resolve_timeout': 5,
    'max_download_bytes': 64 * 1024 * 1024,
    'max_entries': 2000000,
    'nft': 'nft',
    # Set on whitelisted sources' packets: voipguard-nftables.py's jail rules skip them (its WHITELIST_MARK).
    'whitelist_mark': 0x00100000,
}
# fail2ban never bans loopback; neither do we.
LOOPBACK = ('127.0.0.0/8', '::1/128')
FAMILIES = ('4', '6')


class BlocklistError(Exception):
    """A refusal or failure with a message naming what is wrong; nothing was changed."""


def sample(items):
    items = list(items)
    shown = ', '.join(str(item) for item in items[:SAMPLE])
    return shown + (' and %d more' % (len(items) - SAMPLE) if len(items) > SAMPLE else '')


# -- configuration -----------------------------------------------------------------------------------------

def load_config(path):
    try:
        with open(path) as handle:
            raw = json.load(handle)
    except (IOError, OSError) as exc:
        raise BlocklistError('cannot read the configuration %s: %s' % (path, exc.strerror or exc))
    except ValueError as exc:
        raise BlocklistError('the configuration %s is not JSON: %s' % (path, exc))
    if not isinstance(raw, dict):
        raise BlocklistError('the configuration %s must be a JSON object' % path)
    config = dict(DEFAULTS)
    config.update(raw)
    if not TABLE_NAME_RE.fullmatch(str(config['table'])):
        raise BlocklistError('table %r is not a valid nftables name' % config['table'])
    broadest = config['broadest_network']
    if not (1 <= int(broadest.get('ipv4', 8)) <= 32 and 1 <= int(broadest.get('ipv6', 32)) <= 128):
        raise BlocklistError('broadest_network must give ipv4 1-32 and ipv6 1-128, got %r' % (broadest,))
    if isinstance(config['sources'], list):  # the role writes [{"name": ..., "url"|"path": ..., "timeout": ...}]
        sources = {}
        for source in config['sources']:
            if not isinstance(source, dict) or source.get('name') in sources:
                raise BlocklistError('sources must be objects with distinct names, got %r' % (source,))
            sources[source.get('name')] = source
        config['sources'] = sources
    for name, source in config['sources'].items():
        check_list_name(name)
        if not isinstance(source, dict) or bool(source.get('url')) == bool(source.get('path')):
            raise BlocklistError('source %s must name exactly one of url and path' % name)
        check_timeout(source.get('timeout') or 0, 'source %s: timeout' % name)
    return config


def check_list_name(name):
    if not isinstance(name, str) or not LIST_NAME_RE.fullmatch(name):
        raise BlocklistError('list name %r must be 1-24 characters of a-z, 0-9 and _, starting with a letter or digit'
                             % (name,))


def check_timeout(timeout, what):
    """A timeout in whole seconds, 0 meaning none; BlocklistError otherwise (true, "3600", 1e9 are refused)."""
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 0 <= timeout <= MAX_TIMEOUT:
        raise BlocklistError('%s must be whole seconds from 0 to %d, got %r' % (what, MAX_TIMEOUT, timeout))
    return timeout


# -- entries ---------------------------------------------------------------------------------------------

IPV4_CANONICAL_RE = re.compile(r'(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}'
                               r'(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])', re.ASCII)
IPV4_MAPPED = ipaddress.ip_network('::ffff:0:0/96')
IPV4_MAPPED_PREFIX = IPV4_MAPPED.network_address.packed[:12]
PREFIX_RE = re.compile(r'0|[1-9][0-9]{0,2}', re.ASCII)


def parse_entry(text):
    """An address or network in canonical form (192.0.2.7, 198.51.100.0/24, 2001:db8::/32), or ValueError.

    Like fail2ban, an IPv4-mapped IPv6 address is its IPv4 address; zone ids and networks with host bits
    set are refused. Entries already canonical (most of a blocklist) take a fast path: a list of 100,000
    goes through here on every import."""
    if not isinstance(text, str):
        raise ValueError('not a string')
    text = text.strip()
    address, slash, prefix = text.partition('/')
    if IPV4_CANONICAL_RE.fullmatch(address) and (not slash or PREFIX_RE.fullmatch(prefix)):
        if not slash:
            return text
        bits = int(prefix)
        if bits <= 32 and not int.from_bytes(socket.inet_aton(address), 'big') & ((1 << (32 - bits)) - 1):
            return address if bits == 32 else text
    elif ':' in address and '.' not in address and (not slash or PREFIX_RE.fullmatch(prefix)) and address.isascii():
        # inet_ntop writes RFC 5952's form, as ipaddress does, for every address without a dotted quad
        # (ntop's dotted forms: IPv4-mapped and -compatible addresses, which take the slow path).
        try:
            packed = socket.inet_pton(socket.AF_INET6, address)
        except (OSError, ValueError):  # ValueError: a NUL byte
            packed = None
        if packed is not None and socket.inet_ntop(socket.AF_INET6, packed) == address and packed[:12] != IPV4_MAPPED_PREFIX:
            if not slash:
                return text
            bits = int(prefix)
            if bits <= 128 and not int.from_bytes(packed, 'big') & ((1 << (128 - bits)) - 1):
                return address if bits == 128 else text
    return parse_entry_slowly(text)


def parse_entry_slowly(text):
    """parse_entry through ipaddress: every form it takes, and its error messages."""
    if '%' in text or not text.isascii():
        raise ValueError('zone ids and non-ASCII characters are refused')
    if '/' in text:
        network = ipaddress.ip_network(text, strict=True)
        if network.version == 6 and network.subnet_of(IPV4_MAPPED):
            raise ValueError('an IPv4-mapped network: give it as IPv4')
        if network.prefixlen == network.max_prefixlen:
            return str(network.network_address)
        return str(network)
    address = ipaddress.ip_address(text)
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


def parse_address(text):
    """A single address (lift, status) in canonical form; BlocklistError otherwise."""
    try:
        entry = parse_entry(text)
    except ValueError:
        entry = None
    if entry is None or '/' in entry:
        raise BlocklistError('not an address: %r' % (text,))
    return entry


def parse_lines(text):
    """Entries of a blocklist in the plain format: one a line, '#' or ';' starts a comment. Returns
    (entries, invalid) where invalid lists (line number, line) pairs."""
    entries, invalid = [], []
    for number, line in enumerate(text.splitlines(), 1):
        content = re.split(r'[#;]', line, maxsplit=1)[0].strip()
        if not content:
            continue
        token = content.split()[0]
        try:
            entries.append(parse_entry(token))
        except ValueError:
            invalid.append('line %d: %r' % (number, line.strip()[:80]))
    return entries, invalid


def entry_range(entry):
    """(version, first, last) of a canonical entry as integers (inet_pton: ipaddress is 5x slower, and
    100,000 entries are checked against the whitelist on every import)."""
    text, _slash, prefix = entry.partition('/')
    family, version, bits = (socket.AF_INET6, 6, 128) if ':' in text else (socket.AF_INET, 4, 32)
    first = int.from_bytes(socket.inet_pton(family, text), 'big')
    host_bits = bits - int(prefix) if prefix else 0
    return version, first, first | ((1 << host_bits) - 1)


def range_text(version, first, last):
    """An nft interval element: a prefix where the range is one, else first-last."""
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    size = last - first + 1
    if size & (size - 1) == 0 and first % size == 0:
        bits = (32 if version == 4 else 128) - size.bit_length() + 1
        return str(make(first)) if size == 1 else '%s/%d' % (make(first), bits)
    return '%s-%s' % (make(first), make(last))


def expiry_key(expiry):
    return float('inf') if expiry is None else expiry


def network_segments(networks):
    """Interval sets refuse overlapping elements: the networks of one list [(entry, expiry)] as disjoint
    ranges [(version, first, last, expiry)], each blocked until the latest expiry of the networks covering it,
    so nested networks with different expiries each keep theirs. Adjacent ranges with one expiry are merged."""
    segments = []
    for version in (4, 6):
        items = sorted((entry_range(entry)[1:] + (expiry,)) for entry, expiry in networks
                       if (':' in entry) == (version == 6))
        if not items:
            continue
        boundaries = sorted(set([first for first, _last, _e in items] + [last + 1 for _f, last, _e in items]))
        active, index = [], 0
        for position, start in enumerate(boundaries[:-1]):
            while index < len(items) and items[index][0] <= start:
                first, last, expiry = items[index]
                heapq.heappush(active, (-expiry_key(expiry), last, expiry))
                index += 1
            while active and active[0][1] < start:
                heapq.heappop(active)
            if not active:
                continue
            stop, expiry = boundaries[position + 1] - 1, active[0][2]
            if segments and segments[-1][0] == version and segments[-1][2] == start - 1 and segments[-1][3] == expiry:
                segments[-1] = (version, segments[-1][1], stop, expiry)
            else:
                segments.append((version, start, stop, expiry))
    return segments


def split_around(entries, addresses):
    """entries {entry: expiry} without `addresses` (canonical single addresses): networks holding one are split
    around it; a piece that is also an entry keeps the later expiry."""
    if not addresses:
        return entries
    lifted = {4: [], 6: []}
    for address in addresses:
        version, first, _last = entry_range(address)
        lifted[version].append(first)
    for values in lifted.values():
        values.sort()
    result = {}

    def keep(entry, expiry):
        if entry not in result or expiry_key(expiry) > expiry_key(result[entry]):
            result[entry] = expiry

    for entry, expiry in entries.items():
        version, first, last = entry_range(entry)
        inside = lifted[version][bisect.bisect_left(lifted[version], first):bisect.bisect_right(lifted[version], last)]
        if not inside:
            keep(entry, expiry)
            continue
        if '/' not in entry:
            continue
        pieces = [ipaddress.ip_network(entry)]
        for value in inside:
            hole = ipaddress.ip_network((value, 32 if version == 4 else 128))
            pieces = [part for piece in pieces
                      for part in (piece.address_exclude(hole) if hole.subnet_of(piece) else [piece])]
        for piece in pieces:
            keep(str(piece) if piece.prefixlen < piece.max_prefixlen else str(piece.network_address), expiry)
    return result


# -- the whitelist ---------------------------------------------------------------------------------------

def strip_inline_comment(value):
    """fail2ban's inline comments: ';' or '#' after white space."""
    return re.split(r'\s[;#]', ' ' + value, maxsplit=1)[0].strip()


def read_ignoreip(path):
    """ignoreip of every section of one fail2ban file (continuation lines included); [] without it."""
    if not path or not os.path.isfile(path):
        return []
    found, value, collecting = [], [], False
    with open(path, encoding='utf-8', errors='replace') as handle:
        for line in handle:
            stripped = line.strip()
            if collecting and line[:1] in (' ', '\t') and stripped and not stripped.startswith(('#', ';')):
                value.append(strip_inline_comment(stripped))
                continue
            if collecting:
                found.extend(value)
            collecting = False
            match = re.match(r'^ignoreip\s*[=:]\s*(.*)$', stripped)
            if match:
                value, collecting = [strip_inline_comment(match.group(1))], True
    if collecting:
        found.extend(value)
    return [item for item in re.split(r'[\s,]+', ' '.join(found)) if item]


def whitelist_files(config):
    """jail.local and the jail.d files: every jail's ignoreip counts (the whitelist wins in any of them)."""
    jail_local = config.get('whitelist_file')
    if not jail_local:
        return []
    directory = os.path.join(os.path.dirname(jail_local), 'jail.d')
    return [jail_local] + sorted(glob.glob(os.path.join(directory, '*.conf')) + glob.glob(os.path.join(directory, '*.local')))


def own_addresses():
    """The host's own addresses (fail2ban's ignoreself), from `ip -o addr`."""
    try:
        out = subprocess.run(['ip', '-o', 'addr', 'show'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             universal_newlines=True, check=False).stdout
    except OSError:
        return []
    return [match.split('%')[0] for match in re.findall(r'\binet6? ([0-9a-fA-F.:%]+)/\d+', out)]


def resolve_names(names, timeout):
    """{name: [addresses]} of the names that resolved within `timeout` seconds (in parallel)."""
    def resolve(name):
        return sorted(set(info[4][0].split('%')[0] for info in socket.getaddrinfo(name, None)))

    resolved = {}
    if not names:
        return resolved
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(names)))
    futures = dict((pool.submit(resolve, name), name) for name in names)
    try:
        for future in concurrent.futures.as_completed(futures, timeout=timeout):
            try:
                resolved[futures[future]] = future.result()
            except (socket.error, UnicodeError, ValueError):
                pass
    except concurrent.futures.TimeoutError:
        pass
    pool.shutdown(wait=False)
    return resolved


class Policy(object):
    """What an entry may be: not whitelisted, not broader than the configured limit."""

    def __init__(self, config, cache_path=None):
        items = list(LOOPBACK) + list(config.get('whitelist') or [])
        for path in whitelist_files(config):
            items += read_ignoreip(path)
        if config.get('ignoreself', True):
            items += own_addresses()
        networks, names = [], []
        for item in items:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                names.append(item)
        names = sorted(set(names))
        resolved = resolve_names(names, float(config.get('resolve_timeout', 5)))
        # A name that does not resolve now keeps the addresses it had: a DNS failure must not open the list.
        cache = read_json(cache_path, {}) if cache_path else {}
        cache = cache if isinstance(cache, dict) else {}
        self.unresolved = [name for name in names if name not in resolved]
        self.never_resolved = [name for name in self.unresolved if not cache.get(name)]
        if cache_path and resolved and any(cache.get(name) != addresses for name, addresses in resolved.items()):
            cache.update(resolved)
            with contextlib.suppress(OSError, BlocklistError):
                write_json(cache_path, cache)
        for name in names:
            for address in resolved.get(name) or cache.get(name) or []:
                with contextlib.suppress(ValueError):
                    networks.append(ipaddress.ip_network(address))
        whitelist = []
        for version in (4, 6):
            whitelist += ipaddress.collapse_addresses(sorted(set(n for n in networks if n.version == version)))
        self.whitelist = whitelist
        self.ranges = [entry_range(str(network)) for network in whitelist]
        # Collapsed networks are disjoint: sorted starts and ends per family let a lookup bisect.
        self.starts = dict((version, [first for v, first, _last in self.ranges if v == version]) for version in (4, 6))
        self.ends = dict((version, [last for v, _first, last in self.ranges if v == version]) for version in (4, 6))
        # Lists remember the whitelist they were checked against: only a changed one is checked again.
        self.fingerprint = ' '.join(str(network) for network in whitelist)
        broadest = config['broadest_network']
        self.broadest = {4: int(broadest.get('ipv4', 8)), 6: int(broadest.get('ipv6', 32))}

    def whitelisted(self, entry):
        version, first, last = entry_range(entry)
        index = bisect.bisect_right(self.starts[version], last) - 1
        return index >= 0 and self.ends[version][index] >= first

    def too_broad(self, entry):
        if '/' not in entry:
            return False
        version, first, last = entry_range(entry)
        return (last - first + 1).bit_length() - 1 > (32 if version == 4 else 128) - self.broadest[version]

    def filtered(self, entries, meta):
        """entries {entry: expiry} written under another whitelist, without those the current one covers."""
        if meta.get('whitelist') == self.fingerprint:
            return entries
        return dict((entry, expiry) for entry, expiry in entries.items() if not self.whitelisted(entry))

    def check(self, entries, on_whitelisted='fail'):
        """Entries the policy lets in, and the whitelisted ones skipped; BlocklistError when refused."""
        broad = [entry for entry in entries if self.too_broad(entry)]
        if broad:
            raise BlocklistError('networks broader than /%d (IPv4) or /%d (IPv6) are refused: %s'
                                 % (self.broadest[4], self.broadest[6], sample(broad)))
        whitelisted = [entry for entry in entries if self.whitelisted(entry)]
        if whitelisted and on_whitelisted == 'fail':
            raise BlocklistError('whitelisted addresses (fail2ban ignoreip) are never blocked; refused: %s'
                                 % sample(whitelisted))
        skipped = set(whitelisted)
        return [entry for entry in entries if entry not in skipped], sorted(skipped)


# -- state files -----------------------------------------------------------------------------------------

def write_json(path, data):
    """Atomic: a reader, or a crash halfway, sees the old file or the new one."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    handle, temporary = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(handle, 'w') as out:
            out.write(json.dumps(data, sort_keys=True, separators=(',', ':')))  # dumps: the C encoder
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.rename(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):
        directory_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_fd)
        finally:
            os.close(directory_fd)


def read_json(path, default):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return default
        raise BlocklistError('cannot read %s: %s' % (path, exc.strerror))
    except ValueError as exc:
        raise BlocklistError('%s is not JSON (%s): remove it and import again' % (path, exc))


def checked_entries(path, raw):
    """The entries of a list file, every one canonical with a numeric or null expiry; BlocklistError naming the
    file otherwise (nothing unchecked reaches an nft script)."""
    bad = []
    if not isinstance(raw, dict):
        raise BlocklistError('%s holds no entries object: remove it and import again' % path)
    for entry, expiry in raw.items():
        try:
            valid = parse_entry(entry) == entry and (expiry is None or (
                isinstance(expiry, (int, float)) and not isinstance(expiry, bool) and math.isfinite(expiry)))
        except ValueError:
            valid = False
        if not valid:
            bad.append(entry)
    if bad:
        raise BlocklistError('%s holds entries that are not canonical addresses or networks with an expiry: %s; '
                             'remove it and import again' % (path, sample(repr(entry) for entry in bad)))
    return raw


class State(object):
    """The lists, the import records, the lifted addresses and the resolved names under state_dir."""

    def __init__(self, config):
        self.config = config
        self.directory = config['state_dir']
        self.lists_dir = os.path.join(self.directory, 'lists')
        self.resolved_path = os.path.join(self.directory, 'resolved.json')
        self.written = {}  # lists this process wrote: read back from memory, not parsed and checked again

    @contextlib.contextmanager
    def locked(self):
        for directory in (self.directory, self.lists_dir):
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o700)
        with open(os.path.join(self.directory, 'lock'), 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def list_path(self, name):
        return os.path.join(self.lists_dir, name + '.json')

    def names(self):
        if not os.path.isdir(self.lists_dir):
            return []
        return sorted(name[:-5] for name in os.listdir(self.lists_dir)
                      if name.endswith('.json') and LIST_NAME_RE.fullmatch(name[:-5]))

    def read_list(self, name, now):
        """{entry: expiry or None} without the expired entries, and the list's metadata."""
        path = self.list_path(name)
        data = self.written.get(name) or read_json(path, None)
        if data is None:
            return {}, {}
        if not isinstance(data, dict):
            raise BlocklistError('%s is not a list object: remove it and import again' % path)
        entries = data['entries'] if name in self.written else checked_entries(path, data.get('entries', {}))
        entries = dict((entry, expiry) for entry, expiry in entries.items() if expiry is None or expiry > now)
        meta = dict((key, value) for key, value in data.items() if key != 'entries')
        return entries, meta

    def write_list(self, name, entries, meta):
        data = dict(meta)
        data['entries'] = entries
        write_json(self.list_path(name), data)
        self.written[name] = data

    def remove_list(self, name):
        self.written.pop(name, None)
        with contextlib.suppress(OSError):
            os.unlink(self.list_path(name))

    @contextlib.contextmanager
    def restored_on_error(self, name):
        """Put the list file back as it was when the block fails (nft refused the table made from it)."""
        path = self.list_path(name)
        try:
            with open(path, 'rb') as handle:
                before = handle.read()
        except (IOError, OSError):
            before = None
        try:
            yield
        except BaseException:
            self.written.pop(name, None)
            if before is None:
                self.remove_list(name)
            else:
                handle, temporary = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=self.lists_dir)
                with os.fdopen(handle, 'wb') as out:
                    out.write(before)
                os.rename(temporary, path)
            raise

    def imports(self):
        records = read_json(os.path.join(self.directory, 'imports.json'), {})
        return records if isinstance(records, dict) else {}

    def write_imports(self, records):
        write_json(os.path.join(self.directory, 'imports.json'), records)

    def lifted(self, now):
        """{address: until} of the lifts in force; entries of a damaged file that are not addresses are ignored."""
        lifted = read_json(os.path.join(self.directory, 'lifted.json'), {})
        result = {}
        for address, until in (lifted.items() if isinstance(lifted, dict) else []):
            try:
                if parse_address(address) == address and isinstance(until, (int, float)) and until > now:
                    result[address] = until
            except BlocklistError:
                continue
        return result

    def write_lifted(self, lifted):
        write_json(os.path.join(self.directory, 'lifted.json'), lifted)


# -- the nftables table ----------------------------------------------------------------------------------

def set_names(name):
    """(addresses IPv4, networks IPv4, addresses IPv6, networks IPv6) set names of a list."""
    return tuple('%s-%s%s' % (name, kind, family) for family in FAMILIES for kind in ('a', 'n'))


def timeout_of(expiry, now):
    return '' if expiry is None else ' timeout %ds' % min(MAX_TIMEOUT, max(1, int(math.ceil(expiry - now))))


def element_block(items, now):
    if not items:
        return ''
    return ' elements = { %s };' % ', '.join('%s%s' % (entry, timeout_of(expiry, now)) for entry, expiry in items)


def split_families(entries):
    """{family: [(address, expiry)]}, {family: [(network, expiry)]} of one list."""
    addresses, networks = {'4': [], '6': []}, {'4': [], '6': []}
    for entry, expiry in entries.items():
        family = '6' if ':' in entry else '4'
        (networks if '/' in entry else addresses)[family].append((entry, expiry))
    return addresses, networks


def expected_sets(lists, whitelist):
    """{set name: {(first, last): expiry}} that the table should hold: what render() loads, and drift compares."""
    expected = {}
    for family in FAMILIES:
        ranges = [entry_range(str(network)) for network in whitelist if str(network.version) == family]
        expected['allow' + family] = dict(((first, last), None) for _version, first, last in ranges)
    for name, entries in lists.items():
        addresses, networks = split_families(entries)
        a4, n4, a6, n6 = set_names(name)
        for family, address_set, network_set in (('4', a4, n4), ('6', a6, n6)):
            expected[address_set] = dict((entry_range(entry)[1:], expiry) for entry, expiry in addresses[family])
            expected[network_set] = dict(((first, last), expiry) for _version, first, last, expiry
                                         in network_segments(networks[family]))
    return expected


def chain_signature(lists):
    """(set, verdict) of the chain's rules, in order."""
    rules = [('allow4', 'accept'), ('allow6', 'accept')]
    for name in sorted(lists):
        rules += [(set_name, 'drop') for set_name in set_names(name)]
    return rules


def render(config, lists, whitelist, now):
    """The nft script that replaces the table in one transaction. lists: {name: {entry: expiry}}."""
    table = config['table']
    lines = ['table inet %s' % table, 'delete table inet %s' % table, 'table inet %s {' % table]
    for family in FAMILIES:
        allowed = [(str(network), None) for network in whitelist if str(network.version) == family]
        lines.append('  set allow%s { type ipv%s_addr; flags interval;%s }' % (family, family, element_block(allowed, now)))
    mark = int(config.get('whitelist_mark') or 0)
    marking = 'meta mark set meta mark | 0x%08x ' % mark if mark else ''
    rules = ['    ip saddr @allow4 %saccept' % marking, '    ip6 saddr @allow6 %saccept' % marking]
    for name in sorted(lists):
        a4, n4, a6, n6 = set_names(name)
        addresses_of, networks_of = split_families(lists[name])
        for family, address_set, network_set in (('4', a4, n4), ('6', a6, n6)):
            addresses = sorted(addresses_of[family])
            networks = [(range_text(version, first, last), expiry)
                        for version, first, last, expiry in network_segments(networks_of[family])]
            size = max(65536, 2 * len(addresses))
            lines.append('  set %s { type ipv%s_addr; flags timeout; size %d;%s }'
                         % (address_set, family, size, element_block(addresses, now)))
            lines.append('  set %s { type ipv%s_addr; flags interval, timeout;%s }'
                         % (network_set, family, element_block(networks, now)))
            payload = 'ip' if family == '4' else 'ip6'
            rules.append('    %s saddr @%s counter drop' % (payload, address_set))
            rules.append('    %s saddr @%s counter drop' % (payload, network_set))
    lines.append('  chain input {')
    lines.append('    type filter hook input priority %d; policy accept;' % int(config['chain_priority']))
    lines.extend(rules)
    lines.append('  }')
    lines.append('}')
    return '\n'.join(lines) + '\n'


def run_nft(config, args, script=None):
    try:
        result = subprocess.run([config['nft']] + args, input=script, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, universal_newlines=True, check=False)
    except OSError as exc:
        raise BlocklistError('cannot run %s: %s' % (config['nft'], exc.strerror))
    return result.returncode, result.stdout, result.stderr


def address_int(text):
    return int.from_bytes(socket.inet_pton(socket.AF_INET6 if ':' in text else socket.AF_INET, text), 'big')


def element_range(element):
    """(first, last) of an element of a JSON set listing (timeouts dropped)."""
    if isinstance(element, dict) and 'elem' in element:
        element = element['elem']['val']
    if isinstance(element, dict) and 'prefix' in element:
        version, first, last = entry_range('%s/%d' % (element['prefix']['addr'], element['prefix']['len']))
        return first, last
    if isinstance(element, dict) and 'range' in element:
        return address_int(element['range'][0]), address_int(element['range'][1])
    value = address_int(str(element))
    return value, value


def kernel_table(config):
    """The table as loaded: {'sets': {set: {(first, last)}}, 'packets': {set: n}, 'chain': {...}, 'rules':
    [(set, verdict)]}; None when it is not loaded."""
    rc, out, _err = run_nft(config, ['-j', 'list', 'table', 'inet', config['table']])
    if rc != 0:
        return None
    try:
        listing = json.loads(out).get('nftables', [])
    except (ValueError, AttributeError):
        raise BlocklistError('nft -j list table inet %s gave no JSON: %r' % (config['table'], out[:200]))
    table = {'sets': {}, 'packets': {}, 'chain': None, 'rules': []}
    for item in listing:
        if 'set' in item:
            table['sets'][item['set']['name']] = set(element_range(element) for element in item['set'].get('elem', []))
        elif 'chain' in item and item['chain'].get('name') == 'input':
            chain = item['chain']
            table['chain'] = (chain.get('hook'), chain.get('prio'), chain.get('policy'))
        elif 'rule' in item and item['rule'].get('chain') == 'input':
            target, packets, verdict = None, 0, None
            for expr in item['rule'].get('expr', []):
                right = expr.get('match', {}).get('right')
                if isinstance(right, str) and right.startswith('@'):
                    target = right[1:]
                if 'counter' in expr:
                    packets = expr['counter'].get('packets', 0)
                for word in ('accept', 'drop'):
                    if word in expr:
                        verdict = word
            table['rules'].append((target, verdict))
            if target:
                table['packets'][target] = packets
    return table


# -- operations ------------------------------------------------------------------------------------------

class Blocklist(object):

    def __init__(self, config, now=None):
        self.config = config
        self.state = State(config)
        self.now = time.time() if now is None else now
        self._policy = None

    @property
    def policy(self):
        if self._policy is None:
            self._policy = Policy(self.config, self.state.resolved_path)
        return self._policy

    def kind(self, name):
        return 'import' if name in self.config['sources'] else 'managed'

    def desired(self):
        """{list name: {entry: expiry}} that the table should hold now."""
        lifted = self.state.lifted(self.now)
        lists = {}
        for name in self.state.names():
            entries, meta = self.state.read_list(name, self.now)
            if self.kind(name) == 'import':
                entries = split_around(entries, lifted)
            # The whitelist may have grown since the list was written: it still wins.
            lists[name] = self.policy.filtered(entries, meta)
        return lists

    def drift(self, lists=None):
        """What differs between the table in the kernel and the lists ([] when nothing)."""
        lists = self.desired() if lists is None else lists
        table = kernel_table(self.config)
        if table is None:
            return ['table inet %s is not loaded' % self.config['table']]
        problems = []
        wanted_chain = ('input', int(self.config['chain_priority']), 'accept')
        if table['chain'] != wanted_chain:
            problems.append('chain input is %s, not %s (hook, priority, policy)' % (table['chain'], wanted_chain))
        if table['rules'] != chain_signature(lists):
            problems.append('chain input has other rules than the lists need (%d rules, %d expected)'
                            % (len(table['rules']), len(chain_signature(lists))))
        expected = expected_sets(lists, self.policy.whitelist)
        for set_name in sorted(expected):
            held = table['sets'].get(set_name)
            if held is None:
                problems.append('set %s is missing' % set_name)
            elif held != set(expected[set_name]):
                problems.append('set %s holds %d elements, %d of them not in the lists; the lists hold %d, %d of '
                                'them not in the set' % (set_name, len(held), len(held - set(expected[set_name])),
                                                         len(expected[set_name]), len(set(expected[set_name]) - held)))
        extra = sorted(set(table['sets']) - set(expected))
        if extra:
            problems.append('sets no list holds: %s' % ', '.join(extra))
        return problems

    def apply(self, check=False, if_drifted=False):
        """Load the table. if_drifted: only when it differs from the lists (a converge); check: tell only."""
        lists = self.desired()
        result = {'changed': True, 'lists': self.counts(lists)}
        if check or if_drifted:
            result['drift'] = self.drift(lists)
            result['changed'] = bool(result['drift']) or not if_drifted
        if check or not result['changed']:
            return result
        script = render(self.config, lists, self.policy.whitelist, self.now)
        started = time.time()
        rc, _out, err = run_nft(self.config, ['-f', '-'], script)
        if rc != 0:
            raise BlocklistError('nft refused the blocklist table (the previous one stays loaded): %s' % err.strip()[:2000])
        result['load_seconds'] = round(time.time() - started, 3)
        return result

    @staticmethod
    def counts(lists):
        return dict((name, {'entries': len(entries), 'networks': sum(1 for e in entries if '/' in e)})
                    for name, entries in lists.items())

    # imports

    def download(self, url, deadline):
        """The body of `url`, whole: a connection cut before the end (short of Content-Length, a broken chunk, or
        a last line without its newline) is an error, as is a download past the deadline or the size limit."""
        limit = int(self.config['max_download_bytes'])
        request = urllib.request.Request(url, headers={'User-Agent': 'voipguard-blocklist'})
        with urllib.request.urlopen(request, timeout=float(self.config['download_timeout'])) as response:
            expected = response.headers.get('Content-Length')
            chunks, size = [], 0
            # read1: what has arrived, so that a server trickling bytes meets the deadline below.
            read = getattr(response, 'read1', response.read)
            while True:
                chunk = read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise BlocklistError('larger than %d bytes' % limit)
                if time.monotonic() > deadline:
                    raise BlocklistError('not finished within %ss' % self.config['download_timeout'])
        data = b''.join(chunks)
        if expected is not None and expected.isdigit() and int(expected) != len(data):
            raise BlocklistError('cut off: %d of %s bytes' % (len(data), expected))
        if data and not data.endswith(b'\n') and url.startswith(('http://', 'https://')):
            raise BlocklistError('cut off: the last line has no newline')
        return data

    def fetch(self, name):
        """(entries, origin) of a source, checked line by line; BlocklistError otherwise. No lock is held."""
        source = self.config['sources'][name]
        limit = int(self.config['max_download_bytes'])
        if source.get('path'):
            origin = source['path']
            try:
                with open(source['path'], 'rb') as handle:
                    data = handle.read(limit + 1)
            except (IOError, OSError) as exc:
                raise BlocklistError('%s: cannot read %s: %s' % (name, origin, exc.strerror))
            if len(data) > limit:
                raise BlocklistError('%s: %s is larger than %d bytes' % (name, origin, limit))
        else:
            origin = source['url']
            if not re.match(r'^(https?|file)://', origin):
                raise BlocklistError('%s: only http, https and file URLs are fetched, got %r' % (name, origin))
            try:
                data = self.download(origin, time.monotonic() + float(self.config['download_timeout']))
            except BlocklistError as exc:
                raise BlocklistError('%s: download of %s failed: %s' % (name, origin, exc))
            except Exception as exc:  # pylint: disable=broad-except
                raise BlocklistError('%s: download of %s failed: %s' % (name, origin, exc))
        entries, invalid = parse_lines(data.decode('utf-8', errors='replace'))
        if invalid:
            raise BlocklistError('%s: %s has lines that are neither an address nor a network: %s'
                                 % (name, origin, sample(invalid)))
        if not entries:
            raise BlocklistError('%s: %s holds no entry; the last good list is kept' % (name, origin))
        if len(entries) > int(self.config['max_entries']):
            raise BlocklistError('%s: %s holds %d entries, more than max_entries (%d)'
                                 % (name, origin, len(entries), int(self.config['max_entries'])))
        return entries, origin

    def fetch_all(self, names):
        """{name: (entries, origin) or BlocklistError}, downloaded before the lock is taken."""
        fetched = {}
        for name in names:
            if name not in self.config['sources']:
                raise BlocklistError('no source %r is configured (configured: %s)'
                                     % (name, ', '.join(sorted(self.config['sources'])) or 'none'))
            try:
                fetched[name] = self.fetch(name)
            except BlocklistError as exc:
                fetched[name] = exc
            except Exception as exc:  # pylint: disable=broad-except
                fetched[name] = BlocklistError('%s: %s' % (name, exc))
        return fetched

    def import_source(self, name, fetched):
        """Check and store one fetched source, then load the table; the last good list stays on any error."""
        records = self.state.imports()
        record = records.get(name, {})
        record['last_attempt'] = int(self.now)
        try:
            if isinstance(fetched, BlocklistError):
                raise fetched
            entries, origin = fetched
            allowed, _skipped = self.policy.check(entries, on_whitelisted='fail')
            timeout = int(self.config['sources'][name].get('timeout') or 0)
            expiry = self.now + timeout if timeout > 0 else None
            before, _meta = self.state.read_list(name, self.now)
            stored = dict.fromkeys(allowed, expiry)
            with self.state.restored_on_error(name):
                self.state.write_list(name, stored, {'name': name, 'kind': 'import', 'origin': origin,
                                                     'updated': int(self.now), 'whitelist': self.policy.fingerprint})
                # With a timeout every import renews the expiries: the table is reloaded even when nothing else changed.
                changed = bool(set(stored) ^ set(before)) or timeout > 0
                load_seconds = self.apply().get('load_seconds') if changed else None
            record.update(last_success=int(self.now), last_error=None, entries=len(stored))
            return {'name': name, 'entries': len(stored), 'added': len(set(stored) - set(before)),
                    'removed': len(set(before) - set(stored)), 'reloaded': changed, 'load_seconds': load_seconds}
        except BlocklistError as exc:
            record['last_error'] = str(exc)
            raise
        finally:
            records[name] = record
            self.state.write_imports(records)

    def refresh(self, fetched):
        """Store every fetched source (an error in one keeps its last good list), drop lists of removed sources,
        and load the table when it differs from the lists (someone flushed it)."""
        results, errors = [], []
        for name in sorted(fetched):
            try:
                results.append(self.import_source(name, fetched[name]))
            except BlocklistError as exc:
                errors.append(str(exc))
        removed = False
        for name in self.state.names():
            data = read_json(self.state.list_path(name), {})
            if isinstance(data, dict) and data.get('kind') == 'import' and name not in self.config['sources']:
                self.state.remove_list(name)
                removed = True
        applied = self.apply(if_drifted=not removed)
        return {'changed': applied['changed'] or any(item['reloaded'] for item in results), 'imports': results,
                'errors': errors, 'lists': applied['lists'], 'drift': applied.get('drift', [])}

    # managed lists

    def requested(self, items):
        """{entry: (expiry, timeout)} of an update request [{'entry': ..., 'timeout': seconds or null}]."""
        parsed, invalid = {}, []
        for item in items if isinstance(items, list) else [items]:
            try:
                entry = parse_entry(item['entry'])
                timeout = check_timeout(item.get('timeout') or 0, 'timeout')
            except (ValueError, KeyError, TypeError, AttributeError, BlocklistError):
                invalid.append(item.get('entry') if isinstance(item, dict) else item)
                continue
            expiry = self.now + timeout if timeout else None
            if entry not in parsed or expiry_key(expiry) > expiry_key(parsed[entry][0]):
                parsed[entry] = (expiry, timeout)
        if invalid:
            raise BlocklistError('neither an address nor a network (with a timeout of whole seconds up to %d): %s'
                                 % (MAX_TIMEOUT, sample(invalid)))
        return parsed

    def renewed(self, before, entry, expiry, timeout):
        """The expiry an entry present in the list gets when requested again: a later one once less than half of
        its timeout is left (a fleet ban still in place is kept without changing on every run), else its own."""
        current = before[entry]
        if expiry is None:
            return None
        if current is not None and current - self.now < timeout / 2.0 and expiry > current:
            return expiry
        return current

    def update(self, name, requested, mode, on_whitelisted='fail', check=False):
        """mode add: add the missing entries; exact: the list becomes the requested entries; remove: remove them.
        An entry present keeps its expiry until less than half of its timeout is left."""
        check_list_name(name)
        if self.kind(name) == 'import':
            raise BlocklistError('%s is an imported list (a configured source): change its source instead' % name)
        if mode not in ('add', 'exact', 'remove'):
            raise BlocklistError('mode must be add, exact or remove, got %r' % (mode,))
        parsed = self.requested(requested)
        skipped = []
        if mode != 'remove':
            allowed, skipped = self.policy.check(list(parsed), on_whitelisted=on_whitelisted)
            parsed = dict((entry, parsed[entry]) for entry in allowed)
        stored, meta = self.state.read_list(name, self.now)
        # Entries a whitelist grown since the list was written covers leave it now.
        before = self.policy.filtered(stored, meta)
        if mode == 'remove':
            after = dict((entry, expiry) for entry, expiry in before.items() if entry not in parsed)
        else:
            after = dict(before) if mode == 'add' else {}
            for entry, (expiry, timeout) in parsed.items():
                after[entry] = self.renewed(before, entry, expiry, timeout) if entry in before else expiry
        added = sorted(set(after) - set(before))
        removed = sorted(set(stored) - set(after))
        renewed = sorted(entry for entry in set(after) & set(before) if after[entry] != before[entry])
        result = {'changed': bool(added or removed or renewed), 'name': name, 'added': added, 'removed': removed,
                  'renewed': renewed, 'skipped': skipped, 'entries': len(after)}
        if check:
            return result
        if not result['changed']:
            result['changed'] = self.apply(if_drifted=True)['changed']
            return result
        meta.update(name=name, kind='managed', updated=int(self.now), whitelist=self.policy.fingerprint)
        with self.state.restored_on_error(name):
            if after:
                self.state.write_list(name, after, meta)
            else:  # an empty managed list has no sets
                self.state.remove_list(name)
            result['load_seconds'] = self.apply().get('load_seconds')
        return result

    def lift(self, addresses, check=False):
        """Remove addresses from the managed lists (networks split around them), and keep them out of imported
        ones for lift_seconds."""
        parsed = [parse_address(address) for address in addresses]
        lists = self.desired()
        finder = Finder(lists)
        blocked = dict((address, finder.where(address)) for address in parsed)
        result = {'changed': any(blocked.values()), 'lifted': dict((a, w) for a, w in blocked.items() if w)}
        if check or not result['changed']:
            return result
        lifted = self.state.lifted(self.now)
        for address in parsed:
            lifted[address] = self.now + int(self.config['lift_seconds'])
        for name in self.state.names():
            if self.kind(name) != 'managed':
                continue
            entries, meta = self.state.read_list(name, self.now)
            kept = split_around(entries, parsed)
            if kept != entries:
                meta['updated'] = int(self.now)
                if kept:
                    self.state.write_list(name, kept, meta)
                else:
                    self.state.remove_list(name)
        self.state.write_lifted(lifted)
        self.apply()
        return result

    # reading

    def status(self, addresses=(), kernel=False):
        parsed = [parse_address(address) for address in addresses]
        lists = self.desired()
        records = self.state.imports()
        result = {'table': self.config['table'], 'lists': {}, 'whitelist_unresolved': self.policy.unresolved}
        for name, entries in sorted(lists.items()):
            _entries, meta = self.state.read_list(name, self.now)
            item = {'kind': self.kind(name), 'entries': len(entries),
                    'networks': sum(1 for entry in entries if '/' in entry),
                    'updated': meta.get('updated'), 'origin': meta.get('origin')}
            item.update(dict((key, records.get(name, {}).get(key)) for key in ('last_attempt', 'last_success', 'last_error')))
            result['lists'][name] = item
        for name in sorted(set(self.config['sources']) - set(lists)):
            record = records.get(name, {})
            source = self.config['sources'][name]
            result['lists'][name] = {'kind': 'import', 'entries': 0, 'networks': 0, 'updated': None,
                                     'origin': source.get('url') or source.get('path'),
                                     'last_attempt': record.get('last_attempt'), 'last_success': record.get('last_success'),
                                     'last_error': record.get('last_error')}
        for item in result['lists'].values():
            item['age'] = int(self.now - item['last_success']) if item.get('last_success') else None
        result['entries'] = sum(len(entries) for entries in lists.values())
        if parsed:
            lifted = self.state.lifted(self.now)
            finder = Finder(lists)
            result['addresses'] = dict((address, {
                'blocked_by': finder.where(address),
                'whitelisted': self.policy.whitelisted(address),
                'lifted_until': lifted.get(address),
            }) for address in parsed)
        if kernel:
            table = kernel_table(self.config) or {}
            result['kernel'] = {'loaded': bool(table), 'packets': table.get('packets', {}),
                                'sets': dict((name, len(held)) for name, held in table.get('sets', {}).items())}
            result['drift'] = self.drift(lists)
        return result


class Finder(object):
    """Which entries of the lists hold an address: single addresses by lookup, networks by their ranges."""

    def __init__(self, lists):
        self.lists = lists
        self.networks = [(name, entry, entry_range(entry)) for name, entries in sorted(lists.items())
                         for entry in entries if '/' in entry]

    def where(self, address):
        version, value, _last = entry_range(address)
        found = []
        for name, entries in sorted(self.lists.items()):
            if address in entries:
                found.append({'list': name, 'entry': address, 'expires': entries[address]})
            found.extend({'list': list_name, 'entry': entry, 'expires': entries[entry]}
                         for list_name, entry, (entry_version, first, last) in self.networks
                         if list_name == name and entry_version == version and first <= value <= last)
        return found


# -- command line ----------------------------------------------------------------------------------------

def arguments(argv):
    parser = argparse.ArgumentParser(prog='voipguard-blocklist', description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    commands = parser.add_subparsers(dest='command')
    command = commands.add_parser('apply')
    command.add_argument('--check', action='store_true')
    command.add_argument('--if-drifted', action='store_true')
    commands.add_parser('refresh')
    command = commands.add_parser('import')
    command.add_argument('name')
    command = commands.add_parser('update')
    command.add_argument('name')
    command.add_argument('--mode', required=True, choices=('add', 'exact', 'remove'))
    command.add_argument('--on-whitelisted', default='fail', choices=('fail', 'skip'))
    command.add_argument('--check', action='store_true')
    command = commands.add_parser('lift')
    command.add_argument('addresses', nargs='+')
    command.add_argument('--check', action='store_true')
    command = commands.add_parser('status')
    command.add_argument('--address', action='append', default=[])
    command.add_argument('--kernel', action='store_true')
    options = parser.parse_args(argv)
    if not options.command:
        parser.error('name a command')
    return options


def read_request(stdin):
    try:
        request = json.loads(stdin.read() or '{}')
    except ValueError as exc:
        raise BlocklistError('update reads {"entries": [...]} as JSON on stdin: %s' % exc)
    if not isinstance(request, dict) or not isinstance(request.get('entries', []), list):
        raise BlocklistError('update reads {"entries": [...]} as JSON on stdin, got %s' % type(request).__name__)
    return request


def execute(options, stdin):
    blocklist = Blocklist(load_config(options.config))
    if options.command == 'status':
        return blocklist.status(options.address, kernel=options.kernel)
    # The whitelist's names are resolved here, before the lock: a slow resolver holds up nobody else.
    never_resolved = blocklist.policy.never_resolved
    warnings = ['whitelisted host names that never resolved whitelist nothing: %s' % sample(never_resolved)] \
        if never_resolved else []
    try:
        result = changed_by(options, blocklist, stdin)
    except BlocklistError as exc:
        exc.warnings = warnings  # a refusal still tells of them
        raise
    if warnings:
        result['warnings'] = warnings
    return result


def changed_by(options, blocklist, stdin):
    """Every command but status: it changes the lists or the kernel, under the lock."""
    request = read_request(stdin) if options.command == 'update' else None
    # Downloads before the lock: a slow server holds up nobody else.
    fetched = None
    if options.command in ('refresh', 'import'):
        fetched = blocklist.fetch_all(sorted(blocklist.config['sources']) if options.command == 'refresh' else [options.name])
    with blocklist.state.locked():
        blocklist.now = time.time()  # what the lists say now, not before the wait for the lock
        if options.command == 'apply':
            return blocklist.apply(check=options.check, if_drifted=options.if_drifted)
        if options.command == 'refresh':
            return blocklist.refresh(fetched)
        if options.command == 'import':
            imported = blocklist.import_source(options.name, fetched[options.name])
            imported['changed'] = imported['reloaded']
            if not imported['reloaded']:  # the list is as it was: load the table only if it differs
                imported['changed'] = blocklist.apply(if_drifted=True)['changed']
            return imported
        if options.command == 'lift':
            return blocklist.lift(options.addresses, check=options.check)
        return blocklist.update(options.name, request.get('entries', []), options.mode,
                                on_whitelisted=options.on_whitelisted, check=options.check)


def main(argv=None):
    options = arguments(sys.argv[1:] if argv is None else argv)
    try:
        result = execute(options, sys.stdin)
    except BlocklistError as exc:
        result = {'failed': True, 'msg': str(exc)}
        if getattr(exc, 'warnings', None):
            result['warnings'] = exc.warnings
    print(json.dumps(result, sort_keys=True))
    for warning in result.get('warnings', []):
        print('warning: %s' % warning, file=sys.stderr)  # the journal of the units
    if result.get('failed'):
        return 1
    # refresh: the sources that failed kept their last good list; the unit still reports the failure.
    return 1 if result.get('errors') else 0


if __name__ == '__main__':
    sys.exit(main())
