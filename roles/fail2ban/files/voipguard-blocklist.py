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
- ``lift`` (the unban playbook) removes an address from the managed lists at once and keeps it out of
  the imported ones for ``lift_seconds`` (a listed network is split around it).

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
import contextlib
import errno
import fcntl
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
LIST_NAME_RE = re.compile(r'^[a-z0-9][a-z0-9_]{0,23}$')
TABLE_NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$')
SAMPLE = 10  # entries named in a message
DEFAULTS = {
    'table': 'voipguard-blocklist',
    'chain_priority': -10,
    'state_dir': '/var/lib/voipguard/blocklist',
    'whitelist_file': '/etc/fail2ban/jail.local',
    'whitelist': [],
    'broadest_network': {'ipv4': 8, 'ipv6': 32},
    'sources': {},
    'lift_seconds': 604800,
    'download_timeout': 60,
    'max_download_bytes': 64 * 1024 * 1024,
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
    if not TABLE_NAME_RE.match(str(config['table'])):
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
    return config


def check_list_name(name):
    if not LIST_NAME_RE.match(name or ''):
        raise BlocklistError('list name %r must be 1-24 characters of a-z, 0-9 and _, starting with a letter or digit'
                             % (name,))


# -- entries ---------------------------------------------------------------------------------------------

IPV4_CANONICAL_RE = re.compile(r'^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$')


def parse_entry(text):
    """An address or network in canonical form (192.0.2.7, 198.51.100.0/24, 2001:db8::/32), or ValueError."""
    text = text.strip()
    if IPV4_CANONICAL_RE.match(text):  # most of a blocklist: already canonical, 5x faster than ipaddress
        return text
    if '/' in text:
        network = ipaddress.ip_network(text, strict=True)
        if network.prefixlen == network.max_prefixlen:
            return str(network.network_address)
        return str(network)
    return str(ipaddress.ip_address(text))


def parse_lines(text):
    """Entries of a blocklist in the plain format: one a line, '#' or ';' starts a comment. Returns
    (entries, invalid) where invalid lists (line number, line) pairs."""
    entries, invalid = [], []
    for number, line in enumerate(text.splitlines(), 1):
        content = re.split(r'[#;]', line, 1)[0].strip()
        if not content:
            continue
        token = content.split()[0]
        try:
            entries.append(parse_entry(token))
        except ValueError:
            invalid.append('line %d: %r' % (number, line.strip()[:80]))
    return entries, invalid


def network_of(entry):
    return ipaddress.ip_network(entry, strict=False)


def entry_range(entry):
    """(version, first, last) of a canonical entry as integers (inet_pton: ipaddress is 5x slower, and
    100,000 entries are checked against the whitelist on every import)."""
    text, _slash, prefix = entry.partition('/')
    family, version, bits = (socket.AF_INET6, 6, 128) if ':' in text else (socket.AF_INET, 4, 32)
    first = int.from_bytes(socket.inet_pton(family, text), 'big')
    host_bits = bits - int(prefix) if prefix else 0
    return version, first, first | ((1 << host_bits) - 1)


def whitelist_entries(config):
    """The whitelist as networks, and the names that did not resolve."""
    items = list(LOOPBACK) + list(config.get('whitelist') or [])
    items += read_ignoreip(config.get('whitelist_file'))
    networks, unresolved = [], []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
            continue
        except ValueError:
            pass
        try:
            for info in socket.getaddrinfo(item, None):
                networks.append(ipaddress.ip_network(info[4][0].split('%')[0]))
        except (socket.error, UnicodeError, ValueError):
            unresolved.append(item)
    collapsed = []
    for version in (4, 6):
        collapsed += ipaddress.collapse_addresses(sorted(set(n for n in networks if n.version == version)))
    return collapsed, sorted(set(unresolved))


def read_ignoreip(path):
    """[DEFAULT] ignoreip of jail.local (continuation lines included); [] without the file or key."""
    if not path or not os.path.isfile(path):
        return []
    section, value, collecting = None, [], False
    with open(path, encoding='utf-8', errors='replace') as handle:
        for line in handle:
            stripped = line.strip()
            if collecting and line[:1] in (' ', '\t') and stripped and not stripped.startswith(('#', ';')):
                value.append(stripped)
                continue
            collecting = False
            match = re.match(r'^\[([^\]]+)\]', stripped)
            if match:
                section = match.group(1).strip()
                continue
            match = re.match(r'^ignoreip\s*[=:]\s*(.*)$', stripped)
            if match and section == 'DEFAULT':
                value, collecting = [match.group(1)], True
    return [item for item in re.split(r'[\s,]+', ' '.join(value)) if item]


class Policy(object):
    """What an entry may be: not whitelisted, not broader than the configured limit."""

    def __init__(self, config):
        self.whitelist, self.unresolved = whitelist_entries(config)
        self.ranges = [entry_range(str(network)) for network in self.whitelist]
        # Lists remember the whitelist they were checked against: only a changed one is checked again.
        self.fingerprint = ' '.join(str(network) for network in self.whitelist)
        broadest = config['broadest_network']
        self.broadest = {4: int(broadest.get('ipv4', 8)), 6: int(broadest.get('ipv6', 32))}

    def whitelisted(self, entry):
        version, first, last = entry_range(entry)
        return any(version == allowed_version and first <= allowed_last and last >= allowed_first
                   for allowed_version, allowed_first, allowed_last in self.ranges)

    def too_broad(self, entry):
        if '/' not in entry:
            return False
        network = network_of(entry)
        return network.prefixlen < self.broadest[network.version]

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


class State(object):
    """The lists, the import records and the lifted addresses under state_dir."""

    def __init__(self, config):
        self.config = config
        self.directory = config['state_dir']
        self.lists_dir = os.path.join(self.directory, 'lists')

    def prepare(self):
        for directory in (self.directory, self.lists_dir):
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o700)

    @contextlib.contextmanager
    def locked(self):
        self.prepare()
        with open(os.path.join(self.directory, 'lock'), 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def list_path(self, name):
        return os.path.join(self.lists_dir, name + '.json')

    def names(self):
        if not os.path.isdir(self.lists_dir):
            return []
        return sorted(name[:-5] for name in os.listdir(self.lists_dir)
                      if name.endswith('.json') and LIST_NAME_RE.match(name[:-5]))

    def read_list(self, name, now):
        """{entry: expiry or None} without the expired entries, and the list's metadata."""
        data = read_json(self.list_path(name), None)
        if data is None:
            return {}, {}
        entries = dict((entry, expiry) for entry, expiry in data.get('entries', {}).items()
                       if expiry is None or expiry > now)
        meta = dict((key, value) for key, value in data.items() if key != 'entries')
        return entries, meta

    def write_list(self, name, entries, meta):
        data = dict(meta)
        data['entries'] = entries
        write_json(self.list_path(name), data)

    def remove_list(self, name):
        with contextlib.suppress(OSError):
            os.unlink(self.list_path(name))

    def imports(self):
        return read_json(os.path.join(self.directory, 'imports.json'), {})

    def write_imports(self, records):
        write_json(os.path.join(self.directory, 'imports.json'), records)

    def lifted(self, now):
        lifted = read_json(os.path.join(self.directory, 'lifted.json'), {})
        return dict((address, expiry) for address, expiry in lifted.items() if expiry > now)

    def write_lifted(self, lifted):
        write_json(os.path.join(self.directory, 'lifted.json'), lifted)


# -- the nftables table ----------------------------------------------------------------------------------

def set_names(name):
    """(addresses IPv4, networks IPv4, addresses IPv6, networks IPv6) set names of a list."""
    return tuple('%s-%s%s' % (name, kind, family) for family in FAMILIES for kind in ('a', 'n'))


def without_overlaps(networks):
    """Interval sets refuse overlapping elements: keep the outermost network of each overlap, with the
    latest expiry of the networks it covers (a list never blocks shorter than it says).
    networks: [(entry, expiry)] of one family."""
    kept = []
    last_end = -1
    ranges = sorted((entry_range(entry) + (entry, expiry) for entry, expiry in networks),
                    key=lambda item: (item[1], -item[2]))  # outer networks before those inside them
    for _version, _first, last, entry, expiry in ranges:
        if kept and last <= last_end:
            outer, outer_expiry = kept[-1]
            if outer_expiry is not None and (expiry is None or expiry > outer_expiry):
                kept[-1] = (outer, expiry)
            continue
        kept.append((entry, expiry))
        last_end = last
    return kept


def split_lifted(entries, lifted):
    """Entries of an imported list without the lifted addresses (networks split around them)."""
    if not lifted:
        return entries
    lifted_addresses = [ipaddress.ip_address(address) for address in lifted]
    result = {}
    for entry, expiry in entries.items():
        if entry in lifted:
            continue
        if '/' not in entry:
            result[entry] = expiry
            continue
        pieces = [ipaddress.ip_network(entry)]
        for address in lifted_addresses:
            next_pieces = []
            for piece in pieces:
                if piece.version == address.version and address in piece:
                    next_pieces.extend(piece.address_exclude(ipaddress.ip_network(address)))
                else:
                    next_pieces.append(piece)
            pieces = next_pieces
        for piece in pieces:
            result[str(piece) if piece.prefixlen < piece.max_prefixlen else str(piece.network_address)] = expiry
    return result


def timeout_of(expiry, now):
    return '' if expiry is None else ' timeout %ds' % max(1, int(math.ceil(expiry - now)))


def element_block(items, now):
    if not items:
        return ''
    return ' elements = { %s };' % ', '.join('%s%s' % (entry, timeout_of(expiry, now)) for entry, expiry in items)


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
        addresses = {'4': [], '6': []}
        networks = {'4': [], '6': []}
        for entry, expiry in lists[name].items():
            family = '6' if ':' in entry else '4'
            if '/' in entry:
                networks[family].append((entry, expiry))
            else:
                addresses[family].append((entry, expiry))
        a4, n4, a6, n6 = set_names(name)
        for family, address_set, network_set in (('4', a4, n4), ('6', a6, n6)):
            kept = without_overlaps(networks[family])
            size = max(65536, 2 * len(addresses[family]))
            lines.append('  set %s { type ipv%s_addr; flags timeout; size %d;%s }'
                         % (address_set, family, size, element_block(sorted(addresses[family]), now)))
            lines.append('  set %s { type ipv%s_addr; flags interval, timeout;%s }'
                         % (network_set, family, element_block(kept, now)))
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


def element_text(element):
    """An element of a JSON set listing as an entry: 192.0.2.7, 198.51.100.0/24 (timeouts dropped)."""
    if isinstance(element, dict) and 'elem' in element:
        element = element['elem']['val']
    if isinstance(element, dict) and 'prefix' in element:
        return '%s/%d' % (element['prefix']['addr'], element['prefix']['len'])
    if isinstance(element, dict) and 'range' in element:
        return '%s-%s' % tuple(element['range'])
    return str(element)


def kernel_table(config):
    """The table as loaded: {set: element count}, the allow sets' entries, and packets by rule's set; None
    when it is not loaded."""
    rc, out, _err = run_nft(config, ['-j', 'list', 'table', 'inet', config['table']])
    if rc != 0:
        return None
    table = {'sets': {}, 'allow': {}, 'packets': {}}
    try:
        listing = json.loads(out).get('nftables', [])
    except (ValueError, AttributeError):
        raise BlocklistError('nft -j list table inet %s gave no JSON: %r' % (config['table'], out[:200]))
    for item in listing:
        if 'set' in item:
            elements = item['set'].get('elem', [])
            table['sets'][item['set']['name']] = len(elements)
            if item['set']['name'].startswith('allow'):
                table['allow'][item['set']['name']] = sorted(element_text(element) for element in elements)
        elif 'rule' in item:
            target, packets = None, 0
            for expr in item['rule'].get('expr', []):
                right = expr.get('match', {}).get('right')
                if isinstance(right, str) and right.startswith('@'):
                    target = right[1:]
                if 'counter' in expr:
                    packets = expr['counter'].get('packets', 0)
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
            self._policy = Policy(self.config)
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
                entries = split_lifted(entries, lifted)
            # The whitelist may have grown since the list was written: it still wins.
            if meta.get('whitelist') != self.policy.fingerprint:
                entries = dict((entry, expiry) for entry, expiry in entries.items()
                               if not self.policy.whitelisted(entry))
            lists[name] = entries
        return lists

    def expected_counts(self, lists):
        counts = {}
        for name, entries in lists.items():
            a4, n4, a6, n6 = set_names(name)
            count = dict.fromkeys((a4, n4, a6, n6), 0)
            networks = {'4': [], '6': []}
            for entry, expiry in entries.items():
                family = '6' if ':' in entry else '4'
                if '/' in entry:
                    networks[family].append((entry, expiry))
                else:
                    count[a4 if family == '4' else a6] += 1
            count[n4] = len(without_overlaps(networks['4']))
            count[n6] = len(without_overlaps(networks['6']))
            counts.update(count)
        return counts

    def drift(self, lists=None):
        """What differs between the table in the kernel and the lists ([] when nothing)."""
        lists = self.desired() if lists is None else lists
        table = kernel_table(self.config)
        if table is None:
            return ['table inet %s is not loaded' % self.config['table']]
        counts = table['sets']
        problems = []
        expected_counts = self.expected_counts(lists)
        for family in FAMILIES:
            allowed = sorted(str(network) if network.prefixlen < network.max_prefixlen else str(network.network_address)
                             for network in self.policy.whitelist if str(network.version) == family)
            expected_counts['allow' + family] = len(allowed)
            if table['allow'].get('allow' + family, []) != allowed:
                problems.append('set allow%s holds %s, the whitelist %s' % (
                    family, sample(table['allow'].get('allow' + family, [])) or 'nothing', sample(allowed) or 'nothing'))
        for set_name, expected in sorted(expected_counts.items()):
            if set_name not in counts:
                problems.append('set %s is missing' % set_name)
            elif counts[set_name] != expected:
                problems.append('set %s holds %d elements, the lists %d' % (set_name, counts[set_name], expected))
        extra = sorted(set(counts) - set(expected_counts))
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

    def fetch(self, name):
        source = self.config['sources'][name]
        limit = int(self.config['max_download_bytes'])
        if source.get('path'):
            try:
                with open(source['path'], 'rb') as handle:
                    data = handle.read(limit + 1)
            except (IOError, OSError) as exc:
                raise BlocklistError('%s: cannot read %s: %s' % (name, source['path'], exc.strerror))
            origin = source['path']
        else:
            origin = source['url']
            if not re.match(r'^(https?|file)://', origin):
                raise BlocklistError('%s: only http, https and file URLs are fetched, got %r' % (name, origin))
            request = urllib.request.Request(origin, headers={'User-Agent': 'voipguard-blocklist'})
            try:
                with urllib.request.urlopen(request, timeout=float(self.config['download_timeout'])) as response:
                    data = response.read(limit + 1)
            except Exception as exc:  # pylint: disable=broad-except
                raise BlocklistError('%s: download of %s failed: %s' % (name, origin, exc))
        if len(data) > limit:
            raise BlocklistError('%s: %s is larger than %d bytes' % (name, origin, limit))
        entries, invalid = parse_lines(data.decode('utf-8', errors='replace'))
        if invalid:
            raise BlocklistError('%s: %s has lines that are neither an address nor a network: %s'
                                 % (name, origin, sample(invalid)))
        if not entries:
            raise BlocklistError('%s: %s holds no entry; the last good list is kept' % (name, origin))
        return entries, origin

    def import_source(self, name):
        """Fetch, check and store one source; the last good list stays on any error."""
        if name not in self.config['sources']:
            raise BlocklistError('no source %r is configured (configured: %s)'
                                 % (name, ', '.join(sorted(self.config['sources'])) or 'none'))
        records = self.state.imports()
        record = records.get(name, {})
        record['last_attempt'] = int(self.now)
        try:
            entries, origin = self.fetch(name)
            allowed, _skipped = self.policy.check(entries, on_whitelisted='fail')
            timeout = int(self.config['sources'][name].get('timeout') or 0)
            expiry = self.now + timeout if timeout > 0 else None
            before, _meta = self.state.read_list(name, self.now)
            stored = dict.fromkeys(allowed, expiry)
            self.state.write_list(name, stored, {'name': name, 'kind': 'import', 'origin': origin,
                                                 'updated': int(self.now), 'whitelist': self.policy.fingerprint})
            record.update(last_success=int(self.now), last_error=None, entries=len(stored))
            return {'name': name, 'entries': len(stored), 'added': len(set(stored) - set(before)),
                    'removed': len(set(before) - set(stored))}
        except BlocklistError as exc:
            record['last_error'] = str(exc)
            raise
        finally:
            records[name] = record
            self.state.write_imports(records)

    def refresh(self):
        """Import every source (an error in one keeps its last good list), drop lists of removed sources."""
        results, errors = [], []
        for name in sorted(self.config['sources']):
            try:
                results.append(self.import_source(name))
            except BlocklistError as exc:
                errors.append(str(exc))
        for name in self.state.names():
            data = read_json(self.state.list_path(name), {})
            if data.get('kind') == 'import' and name not in self.config['sources']:
                self.state.remove_list(name)
        # Reloaded when a list changed, else only when the table differs from the lists (someone flushed it):
        # an unchanged table keeps its counters.
        applied = self.apply(if_drifted=not any(item['added'] or item['removed'] for item in results))
        return {'changed': applied['changed'], 'imports': results, 'errors': errors, 'lists': applied['lists'],
                'drift': applied.get('drift', []), 'load_seconds': applied.get('load_seconds')}

    # managed lists

    def update(self, name, requested, mode, on_whitelisted='fail', check=False):
        """requested: [{'entry': ..., 'timeout': seconds or None}]. mode add: add the missing entries (an
        entry present keeps its expiry); exact: the list becomes the requested entries (present ones keep
        their expiry); remove: remove them."""
        check_list_name(name)
        if self.kind(name) == 'import':
            raise BlocklistError('%s is an imported list (a configured source): change its source instead' % name)
        if mode not in ('add', 'exact', 'remove'):
            raise BlocklistError('mode must be add, exact or remove, got %r' % (mode,))
        parsed, invalid = {}, []
        for item in requested:
            try:
                entry = parse_entry(str(item['entry']))
                timeout = item.get('timeout')
                if timeout is not None and (int(timeout) != timeout or int(timeout) < 0):
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                invalid.append(item.get('entry') if isinstance(item, dict) else item)
                continue
            expiry = self.now + int(timeout) if timeout else None
            if entry not in parsed or (parsed[entry] is not None and (expiry is None or expiry > parsed[entry])):
                parsed[entry] = expiry
        if invalid:
            raise BlocklistError('neither an address nor a network (with a timeout of whole seconds): %s' % sample(invalid))
        skipped = []
        if mode != 'remove':
            allowed, skipped = self.policy.check(list(parsed), on_whitelisted=on_whitelisted)
            parsed = dict((entry, parsed[entry]) for entry in allowed)
        before, meta = self.state.read_list(name, self.now)
        if mode == 'add':
            after = dict(before)
            for entry, expiry in parsed.items():
                after.setdefault(entry, expiry)
        elif mode == 'exact':
            after = dict((entry, before.get(entry, expiry)) for entry, expiry in parsed.items())
        else:
            after = dict((entry, expiry) for entry, expiry in before.items() if entry not in parsed)
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        result = {'changed': bool(added or removed), 'name': name, 'added': added, 'removed': removed,
                  'skipped': skipped, 'entries': len(after)}
        if check or not result['changed']:
            return result
        meta.update(name=name, kind='managed', updated=int(self.now), whitelist=self.policy.fingerprint)
        if after:
            self.state.write_list(name, after, meta)
        else:  # an empty managed list has no sets
            self.state.remove_list(name)
        applied = self.apply()
        result['load_seconds'] = applied.get('load_seconds')
        return result

    def lift(self, addresses, check=False):
        """Remove addresses from the managed lists, and keep them out of imported ones for lift_seconds."""
        parsed = []
        for address in addresses:
            try:
                parsed.append(str(ipaddress.ip_address(address)))
            except ValueError:
                raise BlocklistError('not an address: %r' % (address,))
        lists = self.desired()
        blocked = dict((address, self.where(address, lists)) for address in parsed)
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
            kept = dict((entry, expiry) for entry, expiry in entries.items()
                        if not any(ipaddress.ip_address(address) in network_of(entry) for address in parsed))
            if len(kept) != len(entries):
                meta['updated'] = int(self.now)
                if kept:
                    self.state.write_list(name, kept, meta)
                else:
                    self.state.remove_list(name)
        self.state.write_lifted(lifted)
        self.apply()
        return result

    # reading

    @staticmethod
    def where(address, lists):
        ip = ipaddress.ip_address(address)
        found = []
        for name, entries in sorted(lists.items()):
            for entry in entries:
                if (entry == address) if '/' not in entry else (ip.version == network_of(entry).version and ip in network_of(entry)):
                    found.append({'list': name, 'entry': entry, 'expires': entries[entry]})
        return found

    def status(self, addresses=(), kernel=False):
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
            result['lists'][name] = {'kind': 'import', 'entries': 0, 'networks': 0, 'updated': None,
                                     'origin': self.config['sources'][name].get('url') or self.config['sources'][name].get('path'),
                                     'last_attempt': record.get('last_attempt'), 'last_success': record.get('last_success'),
                                     'last_error': record.get('last_error')}
        for item in result['lists'].values():
            item['age'] = int(self.now - item['last_success']) if item.get('last_success') else None
        result['entries'] = sum(len(entries) for entries in lists.values())
        if addresses:
            lifted = self.state.lifted(self.now)
            result['addresses'] = {}
            for address in addresses:
                try:
                    canonical = str(ipaddress.ip_address(address))
                except ValueError:
                    raise BlocklistError('not an address: %r' % (address,))
                result['addresses'][canonical] = {
                    'blocked_by': self.where(canonical, lists),
                    'whitelisted': self.policy.whitelisted(canonical),
                    'lifted_until': lifted.get(canonical),
                }
        if kernel:
            table = kernel_table(self.config) or {}
            result['kernel'] = {'loaded': bool(table), 'sets': table.get('sets', {}), 'packets': table.get('packets', {})}
            result['drift'] = self.drift(lists)
        return result


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


def execute(options, stdin):
    blocklist = Blocklist(load_config(options.config))
    if options.command == 'status':
        return blocklist.status(options.address, kernel=options.kernel)
    with blocklist.state.locked():
        if options.command == 'apply':
            return blocklist.apply(check=options.check, if_drifted=options.if_drifted)
        if options.command == 'refresh':
            return blocklist.refresh()
        if options.command == 'import':
            imported = blocklist.import_source(options.name)
            imported.update(blocklist.apply())
            return imported
        if options.command == 'lift':
            return blocklist.lift(options.addresses, check=options.check)
        try:
            request = json.loads(stdin.read() or '{}')
        except ValueError as exc:
            raise BlocklistError('update reads {"entries": [...]} as JSON on stdin: %s' % exc)
        return blocklist.update(options.name, request.get('entries', []), options.mode,
                                on_whitelisted=options.on_whitelisted, check=options.check)


def main(argv=None):
    options = arguments(sys.argv[1:] if argv is None else argv)
    try:
        result = execute(options, sys.stdin)
    except BlocklistError as exc:
        print(json.dumps({'failed': True, 'msg': str(exc)}))
        return 1
    print(json.dumps(result, sort_keys=True))
    # refresh: the sources that failed kept their last good list; the unit still reports the failure.
    return 1 if result.get('errors') else 0


if __name__ == '__main__':
    sys.exit(main())
