# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Talk to a running fail2ban server through fail2ban-client, and parse what it prints.

Plain Python (standard library only, Python 3.9+). Every call goes through an injected
``run(argv) -> (rc, stdout, stderr)`` so unit tests fake it and real code passes
AnsibleModule.run_command or subprocess.

What fail2ban-client prints was captured from real servers of fail2ban 0.11.2 (Debian 11),
1.0.2 (Debian 12) and 1.1.0 (Debian 13): tests/unit/fixtures/fail2ban_client/. The three
print the same text for every command used here (their client "beautifier" is identical
for these commands), so one parser serves all of them:

- beautified replies (``status``, ``get <jail> ignoreip``, ``logpath``, ``actions``,
  ``failregex``, ``get <jail> banip``) are trees drawn with ``|-`` / ``\\`-``;
- the others are the Python value printed as is (``3``, ``True``, ``-1``,
  ``[{'jail': [...]}]``), read with ast.literal_eval;
- a failed command exits with 255 and prints the error on stdout (unknown jail) and/or
  stderr (``ERROR   NOK: ...``, ``Failed to access socket path``).

``fail2ban-client --dp`` dumps the configuration files, not the running server, so it is
not used: the running server is what bans.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import ipaddress
import re
import socket

from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import (
    ValidationError,
    validate_address_entry,
)

# fail2ban-client passes one command per process; its argv holds the addresses, so bound it.
DEFAULT_BATCH_SIZE = 500

_UNKNOWN_JAIL_RE = re.compile(r"Sorry but the jail '(?P<jail>.*)' does not exist")
# Messages of fail2ban-client when it cannot talk to a server (any version 0.11-1.1).
_NOT_RUNNING_MARKERS = (
    'Failed to access socket path',
    'Unable to contact server',
    'Is fail2ban running',
    'Permission denied to socket',
    'Could not find server',
)
# One line of a status tree: "|- Currently failed:\t3", "   `- Banned IP list:\t..."
_TREE_ITEM_RE = re.compile(r'^[|`\s-]*[|`]- (?P<key>[^\t:]+):\t?(?P<value>.*)$')
_LIST_ITEM_RE = re.compile(r'^[|`]- (?P<item>.*)$')
_REGEX_ITEM_RE = re.compile(r'^[|`]- \[\d+\]: ')
# fail2ban's log prefix and level on stderr: "2026-01-01 10:00:00,123 fail2ban    [123]: ERROR   "
_LOG_PREFIX_RE = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \S+\s+\[\d+\]: (?:[A-Z]+\s+)?')

STATUS_KEYS = {
    'Currently failed': 'currently_failed',
    'Total failed': 'total_failed',
    'File list': 'file_list',
    'Journal matches': 'journal_matches',
    'Currently banned': 'currently_banned',
    'Total banned': 'total_banned',
    'Banned IP list': 'banned',
}
COUNTER_KEYS = ('currently_failed', 'total_failed', 'currently_banned', 'total_banned')


class Fail2banError(Exception):
    """fail2ban-client failed or printed something we cannot read."""

    def __init__(self, message, argv=None, rc=None, stdout=None, stderr=None):
        super(Fail2banError, self).__init__(message)
        self.message = message
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.partial = None  # what apply_bans had done when a batch failed

    def details(self):
        """What an Ansible result shows next to msg."""
        return dict(cmd=self.argv, rc=self.rc, stdout=self.stdout, stderr=self.stderr)


class Fail2banNotRunning(Fail2banError):
    """No fail2ban server answers on the socket (stopped, stale socket, no permission)."""


class UnknownJail(Fail2banError):
    """The server has no jail of that name."""

    def __init__(self, jail, **kwargs):
        super(UnknownJail, self).__init__("fail2ban has no jail named '%s'" % jail, **kwargs)
        self.jail = jail


class WhitelistedAddresses(ValueError):
    """Addresses to ban that the jail's ignoreip/ignoreself would never ban on its own."""

    def __init__(self, jail, matches):
        self.jail = jail
        self.matches = matches  # list of (address, whitelisting entry)
        shown = ', '.join('%s (by %s)' % pair for pair in matches[:10])
        more = '' if len(matches) <= 10 else ' and %d more' % (len(matches) - 10)
        super(WhitelistedAddresses, self).__init__(
            "refusing to ban whitelisted address(es) in jail '%s': %s%s; set force=true to ban them anyway"
            % (jail, shown, more))


# ---------------------------------------------------------------- parsers of fail2ban-client output

def stderr_messages(stderr):
    """stderr lines without fail2ban's timestamp/pid prefix."""
    return [_LOG_PREFIX_RE.sub('', line).strip() for line in (stderr or '').splitlines() if line.strip()]


def parse_literal(text):
    """A reply printed as a Python value (int, bool, list, dict)."""
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        raise ValueError('not a Python literal: %r' % (text[:200],))


def parse_int(text):
    value = parse_literal(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError('not an integer: %r' % (text[:200],))
    return value


def parse_seconds(text):
    """Seconds fail2ban reports: an integer, or a float where its time parser gave one (findtime 1.5h, 1mo)."""
    value = parse_literal(text)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError('not a number of seconds: %r' % (text[:200],))
    return int(value)


def parse_bool(text):
    value = parse_literal(text)
    if not isinstance(value, bool):
        raise ValueError('not a boolean: %r' % (text[:200],))
    return value


def parse_tree(text):
    """Items of a status tree as an ordered list of (key, value) pairs (sections have value '')."""
    items = []
    for line in text.splitlines():
        match = _TREE_ITEM_RE.match(line)
        if match:
            items.append((match.group('key').strip(), match.group('value').strip()))
    return items


def parse_server_status(text):
    """`fail2ban-client status` -> {'jail_count': int, 'jails': [names]}."""
    items = dict(parse_tree(text))
    if not text.startswith('Status') or 'Jail list' not in items:
        raise ValueError('unexpected status output: %r' % (text[:200],))
    jails = [name.strip() for name in items['Jail list'].split(',') if name.strip()]
    return dict(jail_count=int(items.get('Number of jail', len(jails))), jails=jails)


def parse_jail_status(text):
    """`fail2ban-client status <jail>` -> counters, banned addresses, file list or journal matches."""
    if not text.startswith('Status for the jail:'):
        raise ValueError('unexpected jail status output: %r' % (text[:200],))
    result = {}
    for key, value in parse_tree(text):
        name = STATUS_KEYS.get(key)
        if name in COUNTER_KEYS:
            result[name] = int(value)
        elif name in ('banned', 'file_list'):
            result[name] = value.split()
        elif name == 'journal_matches':
            result[name] = [match.strip() for match in value.split(' + ') if match.strip()]
    missing = [name for name in COUNTER_KEYS if name not in result]
    if missing:
        raise ValueError('jail status without %s: %r' % (', '.join(missing), text[:200]))
    result.setdefault('banned', [])
    return result


def parse_item_list(text, header, empty_message):
    """A beautified list: header line then one `|- item` per line, or a fixed 'nothing' sentence."""
    stripped = text.strip()
    if stripped == empty_message:
        return []
    lines = text.splitlines()
    if not lines or not lines[0].startswith(header):
        raise ValueError('unexpected output, expected %r: %r' % (header, text[:200]))
    items = []
    for line in lines[1:]:
        match = _LIST_ITEM_RE.match(line)
        if not match:
            raise ValueError('unexpected line in %r output: %r' % (header, line))
        items.append(match.group('item'))
    return items


def parse_ignoreip(text):
    return parse_item_list(text, 'These IP addresses/networks are ignored:', 'No IP address/network is ignored')


def parse_logpath(text):
    return parse_item_list(text, 'Current monitored log file(s):', 'No file is currently monitored')


def parse_actions(text, jail):
    stripped = text.strip()
    if stripped == 'No actions for jail %s' % jail:
        return []
    header = 'The jail %s has the following actions:' % jail
    if not stripped.startswith(header):
        raise ValueError('unexpected actions output: %r' % (text[:200],))
    return [name.strip() for name in stripped[len(header):].split(',') if name.strip()]


def parse_failregex_count(text):
    stripped = text.strip()
    if stripped == 'No regular expression is defined':
        return 0
    if not stripped.startswith('The following regular expression are defined:'):
        raise ValueError('unexpected failregex output: %r' % (text[:200],))
    return sum(1 for line in text.splitlines() if _REGEX_ITEM_RE.match(line))


def parse_banip(text):
    """`get <jail> banip` (space separated; one line when empty)."""
    return text.split()


# ---------------------------------------------------------------- addresses

def canonical_ban_address(text):
    """The form fail2ban stores a banned address in; raises ValidationError for anything but one IP.

    CIDR networks are refused although fail2ban's banip takes any string (even 'not-an-ip'):
    it bans them as an opaque ID, `get <jail> banned <ip>` does not see an address inside a
    banned network, and set-based ban actions (ipset hash:ip, nftables sets without intervals)
    reject networks.
    """
    validate_address_entry(text)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise ValidationError('invalid address: %r is not a single IPv4/IPv6 address '
                              '(networks and DNS names cannot be banned)' % (text,))
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # fail2ban bans ::ffff:a.b.c.d as a.b.c.d
    return str(address)


def canonical_addresses(addresses):
    """Validated, canonical, duplicates dropped, order kept."""
    seen = set()
    result = []
    for text in addresses:
        address = canonical_ban_address(text)
        if address not in seen:
            seen.add(address)
            result.append(address)
    return result


def resolve_name(name, getaddrinfo=socket.getaddrinfo):
    """Addresses a DNS name resolves to (empty when it does not resolve), as fail2ban's dnsToIp."""
    found = set()
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            infos = getaddrinfo(name, None, family, 0, socket.IPPROTO_TCP)
        except (socket.gaierror, socket.herror, UnicodeError, OSError):
            continue
        for info in infos:
            try:
                found.add(ipaddress.ip_address(str(info[4][0]).split('%', 1)[0]))
            except (ValueError, IndexError):
                continue
    return found


def self_names():
    """The names fail2ban's ignoreself resolves to find the host's own addresses."""
    names = ['localhost']
    for name in (socket.gethostname(), socket.getfqdn()):
        if name and name not in names:
            names.append(name)
    return names


class Whitelist:
    """A jail's effective whitelist (ignoreip entries and ignoreself) answering 'who whitelists X?'."""

    def __init__(self, ignoreip, ignoreself, getaddrinfo=socket.getaddrinfo, own_names=None):
        self.entries = list(ignoreip)
        self.ignoreself = ignoreself
        self.unresolved = []
        self._rules = []  # (entry, single address | network | set of addresses)
        for entry in self.entries:
            rule = self._rule(entry)
            if rule is None:
                addresses = resolve_name(entry, getaddrinfo)
                if not addresses:
                    self.unresolved.append(entry)
                    continue
                rule = addresses
            self._rules.append((entry, rule))
        if ignoreself:
            for name in (own_names if own_names is not None else self_names()):
                addresses = resolve_name(name, getaddrinfo)
                if addresses:
                    self._rules.append(('ignoreself (%s)' % name, addresses))

    @staticmethod
    def _rule(entry):
        try:
            if '/' in entry:
                return ipaddress.ip_network(entry, strict=False)
            return ipaddress.ip_address(entry)
        except ValueError:
            return None

    def match(self, address):
        """The entry that whitelists the address, or None."""
        ip = ipaddress.ip_address(address)
        for entry, rule in self._rules:
            if isinstance(rule, set):
                if ip in rule:
                    return entry
            elif isinstance(rule, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
                if ip.version == rule.version and ip in rule:
                    return entry
            elif ip == rule:
                return entry
        return None


def chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---------------------------------------------------------------- the client

class Fail2banClient:
    """fail2ban-client commands against one server (socket)."""

    def __init__(self, run, binary='fail2ban-client', socket_path=None):
        self.run = run
        self.binary = binary
        self.socket_path = socket_path
        self.calls = 0

    def argv(self, *command):
        argv = [self.binary]
        if self.socket_path:
            argv += ['-s', self.socket_path]
        return argv + [str(part) for part in command]

    def call(self, *command):
        """stdout of one command; raises Fail2banNotRunning, UnknownJail or Fail2banError."""
        argv = self.argv(*command)
        self.calls += 1
        rc, stdout, stderr = self.run(argv)
        stdout = stdout or ''
        context = dict(argv=argv, rc=rc, stdout=stdout, stderr=stderr)
        if rc == 0:
            return stdout.rstrip('\n')
        unknown = _UNKNOWN_JAIL_RE.search(stdout)
        if unknown:
            raise UnknownJail(unknown.group('jail'), **context)
        messages = stderr_messages(stderr) or [line for line in stdout.splitlines() if line.strip()]
        text = '; '.join(messages) or 'no output'
        if any(marker in text for marker in _NOT_RUNNING_MARKERS):
            raise Fail2banNotRunning('fail2ban is not reachable: %s' % text, **context)
        raise Fail2banError('%s failed (rc=%s): %s' % (' '.join(argv[:6]), rc, text), **context)

    def parsed(self, parser, *command):
        text = self.call(*command)
        try:
            return parser(text)
        except ValueError as exc:
            raise Fail2banError('cannot read the output of %s: %s' % (' '.join(self.argv(*command)[:6]), exc),
                                argv=self.argv(*command), rc=0, stdout=text)

    # server
    def ping(self):
        """True, or Fail2banNotRunning with fail2ban-client's reason.

        On a socket nobody listens on, ping reports only the socket error ("[Errno 111] Connection
        refused"), so any failure of ping means the server cannot be reached.
        """
        try:
            self.call('ping')
        except Fail2banNotRunning:
            raise
        except Fail2banError as exc:
            raise Fail2banNotRunning('fail2ban is not reachable: %s' % '; '.join(stderr_messages(exc.stderr) or [exc.message]),
                                     argv=exc.argv, rc=exc.rc, stdout=exc.stdout, stderr=exc.stderr)
        return True

    def version(self):
        return self.call('version').strip()

    def status(self):
        return self.parsed(parse_server_status, 'status')

    # jails
    def jail_status(self, jail):
        return self.parsed(parse_jail_status, 'status', jail)

    def get_int(self, jail, key):
        return self.parsed(parse_int, 'get', jail, key)

    def ignoreip(self, jail):
        return self.parsed(parse_ignoreip, 'get', jail, 'ignoreip')

    def ignoreself(self, jail):
        return self.parsed(parse_bool, 'get', jail, 'ignoreself')

    def logpath(self, jail):
        return self.parsed(parse_logpath, 'get', jail, 'logpath')

    def actions(self, jail):
        return self.parsed(lambda text: parse_actions(text, jail), 'get', jail, 'actions')

    def failregex_count(self, jail):
        return self.parsed(parse_failregex_count, 'get', jail, 'failregex')

    def banned(self, jail):
        return self.parsed(parse_banip, 'get', jail, 'banip')

    def jail_settings(self, jail):
        return dict(
            maxretry=self.get_int(jail, 'maxretry'),
            findtime=self.parsed(parse_seconds, 'get', jail, 'findtime'),
            bantime=self.parsed(parse_seconds, 'get', jail, 'bantime'),
            ignoreip=self.ignoreip(jail),
            ignoreself=self.ignoreself(jail),
            logpath=self.logpath(jail),
            actions=self.actions(jail),
            failregex_count=self.failregex_count(jail),
        )

    def whitelist(self, jail, getaddrinfo=socket.getaddrinfo, own_names=None):
        return Whitelist(self.ignoreip(jail), self.ignoreself(jail), getaddrinfo=getaddrinfo, own_names=own_names)

    def ban_batch(self, jail, addresses):
        """Ban several addresses with one command; fail2ban answers how many were new bans."""
        return self.parsed(parse_int, 'set', jail, 'banip', *addresses)

    def unban_batch(self, jail, addresses):
        """Unban several addresses with one command (absent ones are skipped by fail2ban)."""
        return self.parsed(parse_int, 'set', jail, 'unbanip', *addresses)


# ---------------------------------------------------------------- what the modules do

def gather_info(client, jails=None, include_bans=True, include_settings=True):
    """Facts for fail2ban_info. Never raises because fail2ban is down: says running=False and why."""
    info = dict(running=False, reason=None, version=None, jails={}, jail_names=[], missing_jails=[],
                totals=dict((name, 0) for name in COUNTER_KEYS))
    try:
        client.ping()
    except Fail2banNotRunning as exc:
        info['reason'] = exc.message
        return info
    info['running'] = True
    try:
        info['version'] = client.version()
        available = client.status()['jails']
    except Fail2banNotRunning as exc:  # stopped between ping and status
        info.update(running=False, reason=exc.message)
        return info
    info['jail_names'] = list(available)
    wanted = list(available) if not jails else list(jails)
    for jail in wanted:
        if jail not in available:
            info['missing_jails'].append(jail)
            continue
        try:
            facts = client.jail_status(jail)
            if include_settings:
                facts.update(client.jail_settings(jail))
        except UnknownJail:  # removed by a reload while we were reading
            info['missing_jails'].append(jail)
            continue
        if not include_bans:
            facts.pop('banned', None)
        info['jails'][jail] = facts
        for name in COUNTER_KEYS:
            info['totals'][name] += facts[name]
    return info


def plan_ban(current, addresses, state):
    """(to_change, already) for the wanted state, given the addresses banned now."""
    banned_now = set(current)
    if state == 'banned':
        to_change = [address for address in addresses if address not in banned_now]
        already = [address for address in addresses if address in banned_now]
    else:
        to_change = [address for address in addresses if address in banned_now]
        already = [address for address in addresses if address not in banned_now]
    return to_change, already


def apply_bans(client, jail, addresses, state='banned', force=False, check_mode=False,
               batch_size=DEFAULT_BATCH_SIZE, getaddrinfo=socket.getaddrinfo, own_names=None):
    """Ban or unban addresses in a jail idempotently, in batches. What fail2ban_ban returns.

    Raises ValidationError (bad address), WhitelistedAddresses, UnknownJail, Fail2banNotRunning,
    Fail2banError.
    """
    addresses = canonical_addresses(addresses)
    result = dict(jail=jail, changed=False, banned=[], unbanned=[], already=[], batches=0)
    if not addresses:
        return result
    current = client.banned(jail)
    to_change, already = plan_ban(current, addresses, state)
    if state == 'banned' and to_change and not force:
        whitelist = client.whitelist(jail, getaddrinfo=getaddrinfo, own_names=own_names)
        matches = [(address, whitelist.match(address)) for address in to_change]
        matches = [pair for pair in matches if pair[1] is not None]
        if matches:
            raise WhitelistedAddresses(jail, matches)
    result['already'] = already
    result['banned' if state == 'banned' else 'unbanned'] = to_change
    result['changed'] = bool(to_change)
    if check_mode or not to_change:
        return result
    key = 'banned' if state == 'banned' else 'unbanned'
    done = []
    for batch in chunks(to_change, max(1, int(batch_size))):
        try:
            if state == 'banned':
                client.ban_batch(jail, batch)
            else:
                client.unban_batch(jail, batch)
        except Fail2banError as exc:
            # the batches sent before stay applied: report them
            result[key] = done
            result['changed'] = bool(done)
            exc.partial = result
            raise
        done.extend(batch)
        result['batches'] += 1
    return result


def client_for_module(module, binary):
    """A Fail2banClient that runs fail2ban-client through an AnsibleModule, in the C locale (its output is parsed)."""
    def run(argv):
        return module.run_command(argv, environ_update=dict(LANG='C', LC_ALL='C'))
    return Fail2banClient(run, binary=binary, socket_path=module.params['socket'])
