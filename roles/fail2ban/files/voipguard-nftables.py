# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""voipguard.pbx ban action: fail2ban bans in nftables sets, through libnftables.

Installed by the voipguard.pbx.fail2ban role as action.d/voipguard-nftables.py and used as
``banaction = voipguard-nftables.py`` (``[type=allports]`` for banaction_allports). fail2ban loads
it into its own process (a fail2ban "Python action"); it needs the python3-nftables package.

Why not fail2ban's nftables.conf, which builds the same ruleset:
- nftables.conf forks a shell and an nft process for every ban and every unban (10-35 ms each), so
  10,000 bans (a blocklist import, or the restore after a restart) take minutes. Here a ban is one
  libnftables call (well under a millisecond), and a flush empties a set at once.
- fail2ban's actions thread looks for new tickets at growing intervals (0.2 s, 0.4 s, ... in
  fail2ban 0.11-1.1), so an attacker sending 100 REGISTERs a second gets tens more guesses after
  crossing maxretry. With ``immediate = true`` (the default) the address goes into the set the
  moment the filter hands the jail its ticket; the actions thread then records the ban as usual
  (bans database, ban count, unban when bantime ends) and its own ban() call finds it there. This
  takes a hook into fail2ban's internals (the adapter ImmediateBans, below), used only on the fail2ban
  versions it is tested with (IMMEDIATE_FAIL2BAN_VERSIONS); on others bans wait for the actions thread.

The ruleset is nftables.conf's: table ``inet f2b-table``, base chain ``f2b-chain`` (input hook,
priority -1), per jail a set ``addr-set-<jail>`` (IPv4) and ``addr6-set-<jail>`` (IPv6) with one rule
each. It shares the table with fail2ban's own nftables actions. Parameters (jail.conf syntax):
type (multiport|allports), port, protocol, blocktype (drop|reject), table, nft_chain,
chain_priority, immediate (true|false), whitelist_mark (the packet mark bit voipguard-blocklist sets on
whitelisted sources: its rules skip them; 0 for none). fail2ban's other options (chain, ...) are accepted and ignored.
"""

import json
import re
import threading
import time

# fail2ban itself, always: this file runs inside fail2ban-server (the unit tests put stand-ins in sys.modules).
from fail2ban.server.action import ActionBase
from fail2ban.version import version as FAIL2BAN_VERSION

PROTOCOLS = ('tcp', 'udp', 'sctp', 'dccp', 'udplite')
# voipguard-blocklist's chain (priority -10) sets this packet mark bit on whitelisted sources: the jail rules
# skip marked packets, so the whitelist wins over every set, a ban forced by hand included. 0 switches it off.
WHITELIST_MARK = '0x00100000'
BLOCKTYPE_RE = re.compile(r'^(drop|reject|reject with icmpx type [a-z-]+)$')
NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$')
SERVICE_RE = re.compile(r'^[a-z][a-z0-9-]*$')
# Tickets older than this (failures read from a log backlog) are left to the actions thread, which
# skips a ban that already ended; a fresh attack is what an immediate ban is for.
FRESH_TICKET_SECONDS = 60
TRUE_WORDS = ('true', 'yes', 'on', '1')
FALSE_WORDS = ('false', 'no', 'off', '0')
FAMILIES = (
    # (family key, set name prefix, nft address type, nft payload protocol)
    ('inet4', 'addr-set-', 'ipv4_addr', 'ip'),
    ('inet6', 'addr6-set-', 'ipv6_addr', 'ip6'),
)


class ActionConfigError(ValueError):
    """A parameter of the action that would build a wrong or unsafe nftables command."""


def parse_bool(name, value):
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ActionConfigError('%s must be true or false, got %r' % (name, value))


def parse_ports(value):
    """fail2ban port list (``5060,5061``, ``10000:20000``, ``ssh``) -> nftables set elements."""
    items = []
    for item in str(value).replace(' ', '').split(','):
        if not item:
            continue
        bounds = re.split(r'[:-]', item) if re.match(r'^\d+[:-]\d+$', item) else [item]
        for bound in bounds:
            if bound.isdigit():
                if not 0 <= int(bound) <= 65535:
                    raise ActionConfigError('port %r is outside 0-65535' % item)
            elif not SERVICE_RE.match(bound):
                raise ActionConfigError('port %r is neither a number, a range nor a service name' % item)
        items.append('-'.join(bounds))
    if not items:
        raise ActionConfigError('port is empty')
    return items


def parse_protocols(value):
    protocols = [item for item in str(value).replace(' ', '').lower().split(',') if item]
    unknown = [item for item in protocols if item not in PROTOCOLS]
    if unknown or not protocols:
        raise ActionConfigError('protocol must be a comma-separated list of %s, got %r' % ('/'.join(PROTOCOLS), value))
    return sorted(set(protocols), key=protocols.index)


class RuleSpec(object):
    """Everything that decides the table, the sets and the rules of one jail."""

    DEFAULTS = {
        'type': 'multiport', 'port': '0:65535', 'protocol': 'tcp', 'blocktype': 'reject',
        'table': 'f2b-table', 'nft_chain': 'f2b-chain', 'chain_priority': '-1', 'immediate': 'true',
        'whitelist_mark': WHITELIST_MARK,
    }

    def __init__(self, jail_name, options):
        values = dict(self.DEFAULTS)
        values.update((key, str(value)) for key, value in options.items() if key in self.DEFAULTS)
        if values['type'] not in ('multiport', 'allports'):
            raise ActionConfigError('type must be multiport or allports, got %r' % values['type'])
        if not NAME_RE.match(jail_name):
            raise ActionConfigError('jail name %r cannot name an nftables set' % jail_name)
        for name in ('table', 'nft_chain'):
            if not NAME_RE.match(values[name]):
                raise ActionConfigError('%s %r is not a valid nftables name' % (name, values[name]))
        blocktype = re.sub(r'\s+', ' ', values['blocktype'].strip())
        if not BLOCKTYPE_RE.match(blocktype):
            raise ActionConfigError('blocktype must be drop, reject or "reject with icmpx type <type>", got %r' % blocktype)
        try:
            self.chain_priority = int(values['chain_priority'])
        except ValueError:
            raise ActionConfigError('chain_priority must be an integer, got %r' % values['chain_priority'])
        self.type = values['type']
        self.protocols = parse_protocols(values['protocol'])
        self.ports = parse_ports(values['port']) if self.type == 'multiport' else []
        self.blocktype = blocktype
        self.table = values['table']
        self.chain = values['nft_chain']
        self.immediate = parse_bool('immediate', values['immediate'])
        try:
            self.whitelist_mark = int(values['whitelist_mark'], 0)
        except ValueError:
            self.whitelist_mark = -1
        if not 0 <= self.whitelist_mark <= 0xffffffff:
            raise ActionConfigError('whitelist_mark must be a 32-bit number (0x00100000, 0 for none), got %r'
                                    % values['whitelist_mark'])
        self.jail_name = jail_name

    def key(self):
        return (self.type, tuple(self.protocols), tuple(self.ports), self.blocktype, self.table,
                self.chain, self.chain_priority, self.whitelist_mark)

    def set_name(self, family):
        for key, prefix, _addr_type, _payload in FAMILIES:
            if key == family:
                return prefix + self.jail_name
        raise ActionConfigError('unknown address family %r' % family)

    def match(self):
        protocols = '{ %s }' % ', '.join(self.protocols)
        unmarked = 'meta mark & 0x%08x == 0 ' % self.whitelist_mark if self.whitelist_mark else ''
        if self.type == 'allports':
            return '%smeta l4proto %s' % (unmarked, protocols)
        return '%smeta l4proto %s th dport { %s }' % (unmarked, protocols, ', '.join(self.ports))

    def setup_commands(self):
        """Commands that create the table, the chain, both sets and their rules (idempotent but the rules)."""
        commands = [
            'add table inet %s' % self.table,
            'add chain inet %s %s { type filter hook input priority %d; }' % (self.table, self.chain, self.chain_priority),
        ]
        for family, _prefix, addr_type, payload in FAMILIES:
            set_name = self.set_name(family)
            commands.append('add set inet %s %s { type %s; }' % (self.table, set_name, addr_type))
            commands.append('add rule inet %s %s %s %s saddr @%s %s' % (
                self.table, self.chain, self.match(), payload, set_name, self.blocktype))
        return commands

    def element_command(self, verb, family, addresses):
        return '%s element inet %s %s { %s }' % (verb, self.table, self.set_name(family), ', '.join(addresses))


def address_family(address):
    return 'inet6' if ':' in address else 'inet4'


def rule_handles(listing, set_names):
    """Handles of the rules in a JSON chain listing that match the given sets (``@name``)."""
    wanted = set('@' + name for name in set_names)
    handles = []
    for item in json.loads(listing or '{}').get('nftables', []):
        rule = item.get('rule')
        if rule and wanted & set(expr['match']['right'] for expr in rule.get('expr', [])
                                 if isinstance(expr.get('match', {}).get('right'), str)):
            handles.append(rule['handle'])
    return handles


def set_elements(listing):
    """Addresses of a JSON set listing."""
    for item in json.loads(listing or '{}').get('nftables', []):
        if 'set' in item:
            return [element for element in item['set'].get('elem', []) if isinstance(element, str)]
    return []


# -- the immediate-ban adapter ----------------------------------------------------------------
# The only part of this file that reaches into fail2ban's internals: for one jail at a time (instance
# attributes of that jail's own Jail, filter and pyinotify notifier objects, never a class or module of
# fail2ban, nothing another jail uses), and only on the fail2ban versions whose sources it was checked
# against and that the tests run (IMMEDIATE_FAIL2BAN_VERSIONS: Debian 11 and Ubuntu 22.04 ship 0.11.2,
# Debian 12 and Ubuntu 24.04 1.0.2, Debian 13 1.1.0). On another version the action logs one warning per
# fail2ban process and bans through fail2ban's own path: its actions thread, which looks for new tickets
# every 0.2 s to 0.8 s.
#
# What it changes, and remove() puts back when the last action of this file in the jail stops:
# - the jail's putFailTicket, which the filter calls with the ticket of an address that reached maxretry:
#   an instance attribute that first hands the ticket to the actions (the address enters the set), then
#   to the jail's queue as before;
# - how the jail's filter waits for new lines. fail2ban's filter threads wait in Utils.wait_for(check,
#   sleeptime), which after a check that found nothing sleeps Utils.DEFAULT_SLEEP_INTERVAL (0.2 s), then
#   0.4 s, 0.6 s... until the filter's sleeptime (2 s) is over: a line written during a sleep is read when
#   it ends (pyinotify: sleeps between its 0.5 s blocking waits; polling: between two checks of the files).
#   That interval is a class attribute of Utils, read by every thread of every jail, so it stays as it
#   is; instead the jail's own check never reports "nothing yet" to wait_for, which then has no reason to
#   sleep. pyinotify: the notifier's check_events reports a blocking wait that saw no event as if it had,
#   and read_events skips the read that follows (on an empty queue pyinotify's read blocks until the next
#   event, then fails with EINVAL). Polling:
#   getModified checks the files every POLL_STEP seconds until one changed or sleeptime is over. The
#   systemd backend needs nothing: it waits in the journal's own blocking wait, without sleeps.
IMMEDIATE_FAIL2BAN_VERSIONS = ('0.11.2', '1.0.2', '1.1.0')
POLL_STEP = 0.05
# How long start() waits for a pyinotify filter's thread to make its notifier (it does so first thing).
NOTIFIER_WAIT_SECONDS = 2
# Versions already warned about: fail2ban executes this file again for every jail it creates, keep the set.
WARNED_VERSIONS = globals().get('WARNED_VERSIONS', set())


def immediate_bans_covered(log):
    """Whether this fail2ban is one the adapter was checked against; warns once per process if not."""
    if FAIL2BAN_VERSION in IMMEDIATE_FAIL2BAN_VERSIONS:
        return True
    if FAIL2BAN_VERSION not in WARNED_VERSIONS:
        WARNED_VERSIONS.add(FAIL2BAN_VERSION)
        log.warning('voipguard-nftables.py: no immediate bans with fail2ban %s (tested with %s): bans wait for '
                    "fail2ban's actions thread", FAIL2BAN_VERSION, ', '.join(IMMEDIATE_FAIL2BAN_VERSIONS))
    return False


class ImmediateBans(object):
    """One jail's immediate-ban hook, shared by the actions of this file in that jail (normally one)."""

    def __init__(self, jail, log):
        self.voipguard_listeners = []
        self._jail = jail
        self._log = log
        self._undo = []
        self._removed = False
        self._queue = jail.putFailTicket

    @staticmethod
    def of(jail):
        """The hook installed on a jail, found by its attribute (each execution of this file makes new classes)."""
        hook = vars(jail).get('putFailTicket')
        return hook if hasattr(hook, 'voipguard_listeners') else None

    @classmethod
    def attach(cls, jail, action, log):
        hook = cls.of(jail)
        if hook is None:
            if not immediate_bans_covered(log):
                return None
            hook = cls(jail, log)
            hook.install()
        if action not in hook.voipguard_listeners:
            hook.voipguard_listeners.append(action)
        return hook

    @classmethod
    def detach(cls, jail, action):
        hook = cls.of(jail)
        if hook is not None and action in hook.voipguard_listeners:
            hook.voipguard_listeners.remove(action)
            if not hook.voipguard_listeners:
                hook.remove()

    def __call__(self, ticket):
        """The jail's putFailTicket, called in its filter's thread."""
        for action in list(self.voipguard_listeners):
            action.ban_on_ticket(ticket)
        return self._queue(ticket)

    def install(self):
        self._override(self._jail, 'putFailTicket', self)
        log_filter = getattr(self._jail, 'filter', None)
        kind = type(log_filter).__name__
        waits = 'waits unchanged'
        if kind == 'FilterPyinotify':
            notifier = self._notifier(log_filter)
            if notifier is not None:
                self._pyinotify_waits(notifier)
                waits = 'pyinotify waits without sleeps'
        elif kind == 'FilterPoll':
            self._poll_waits(log_filter)
            waits = 'checks every %s s' % POLL_STEP
        self._log.info('[%s] immediate bans on (fail2ban %s, %s: %s)', self._jail.name, FAIL2BAN_VERSION, kind, waits)

    def remove(self):
        """Puts back what install() changed. A running pyinotify filter puts its notifier's methods back itself,
        when its current wait for lines ends (within 0.5 s, unless the jail is idle): removed from here, the read
        that follows a wait reported as an event could find pyinotify's own read_events, which on the empty
        queue blocks until the next event and then fails (EINVAL)."""
        self._removed = True
        log_filter = getattr(self._jail, 'filter', None)
        filter_runs = getattr(log_filter, 'is_alive', lambda: False)()
        for owner, name, value in self._undo:
            if not (filter_runs and name in ('check_events', 'read_events')):
                self._restore(owner, name, value)
        self._log.info('[%s] immediate bans off', self._jail.name)

    def _override(self, owner, name, value):
        setattr(owner, name, value)
        self._undo.append((owner, name, value))

    @staticmethod
    def _restore(owner, name, value):
        if vars(owner).get(name) is value:
            delattr(owner, name)

    @staticmethod
    def _notifier(log_filter):
        """The filter's pyinotify notifier, which its thread makes as it starts (before the actions start)."""
        deadline = time.time() + NOTIFIER_WAIT_SECONDS
        while True:
            notifier = getattr(log_filter, '_FilterPyinotify__notifier', None)
            if notifier is not None or not getattr(log_filter, 'active', False) or time.time() > deadline:
                return notifier
            time.sleep(0.01)

    def _pyinotify_waits(self, notifier):
        # pyinotify's own methods (the class's), never those of an earlier hook that the filter has yet to remove.
        check_events, read_events = type(notifier).check_events.__get__(notifier), type(notifier).read_events.__get__(notifier)
        timed_out = []

        def check_events_no_sleep(timeout=None):
            ready = check_events(timeout)
            if self._removed:  # in the filter's thread, before it reads: put pyinotify's methods back
                for owner, name, value in self._undo:
                    if owner is notifier:
                        self._restore(owner, name, value)
                return ready
            timed_out[:] = [] if ready else [True]
            return ready or True

        def read_events_no_sleep():
            if not timed_out:
                read_events()

        self._override(notifier, 'read_events', read_events_no_sleep)  # first: every wait reported is read safely
        self._override(notifier, 'check_events', check_events_no_sleep)

    def _poll_waits(self, log_filter):
        get_modified = type(log_filter).getModified.__get__(log_filter)

        def get_modified_no_sleep(modlst):
            end = time.time() + log_filter.sleeptime
            while not get_modified(modlst) and log_filter.active and not self._removed and time.time() < end:
                time.sleep(POLL_STEP)
            return True

        self._override(log_filter, 'getModified', get_modified_no_sleep)


class NftablesSetAction(ActionBase):
    """fail2ban Python action: one nftables set per jail and address family."""

    def __init__(self, jail, name, **options):
        super(NftablesSetAction, self).__init__(jail, name)
        import nftables  # python3-nftables: only on the PBX, loaded by fail2ban
        self._nft = nftables.Nftables()
        self._nft.set_json_output(True)
        self._lock = threading.Lock()
        self._spec = RuleSpec(jail.name, options)
        self._started = False

    # -- libnftables -------------------------------------------------------------------------

    def _run(self, command, missing_ok=False):
        with self._lock:
            rc, output, error = self._nft.cmd(command)
        if rc != 0:
            if missing_ok and 'No such file or directory' in error:
                return ''
            raise RuntimeError('nft %s: %s' % (command, error.strip()))
        return output

    def _teardown(self, spec, delete_sets=True):
        """Remove the rules of this jail's sets (and the sets, and the table once it holds no set)."""
        set_names = [spec.set_name(family) for family, _p, _a, _l in FAMILIES]
        listing = self._run('list chain inet %s %s' % (spec.table, spec.chain), missing_ok=True)
        for handle in rule_handles(listing, set_names):
            self._run('delete rule inet %s %s handle %d' % (spec.table, spec.chain, handle), missing_ok=True)
        if not delete_sets:
            return
        for set_name in set_names:
            self._run('delete set inet %s %s' % (spec.table, set_name), missing_ok=True)
        table = self._run('list table inet %s' % spec.table, missing_ok=True)
        if table and not any('set' in item for item in json.loads(table).get('nftables', [])):
            self._run('delete table inet %s' % spec.table, missing_ok=True)

    def _setup(self, spec):
        # Rules left by a fail2ban that died without stopping would otherwise be doubled.
        self._teardown(spec, delete_sets=False)
        for command in spec.setup_commands():
            self._run(command)

    def _elements(self, spec):
        found = {}
        for family, _p, _a, _l in FAMILIES:
            found[family] = set_elements(self._run('list set inet %s %s' % (spec.table, spec.set_name(family)), missing_ok=True))
        return found

    def _add(self, address):
        self._run(self._spec.element_command('add', address_family(address), [address]))

    # -- immediate bans (the adapter above) ----------------------------------------------------

    def _immediate(self, wanted):
        if wanted:
            ImmediateBans.attach(self._jail, self, self._logSys)
        else:
            ImmediateBans.detach(self._jail, self)

    def ban_on_ticket(self, ticket):
        """Called in the filter's thread: never raise, the ticket must still reach the jail."""
        try:
            if self._started and self._spec.immediate and not getattr(ticket, 'restored', False) \
                    and self._fresh(ticket):
                self._add(str(ticket.getID()))
        except Exception as error:  # pylint: disable=broad-except
            self._logSys.error('[%s] immediate ban of %s failed (the actions thread retries): %s',
                               self._jail.name, ticket.getID(), error)

    def _fresh(self, ticket):
        """Failures so recent that their ban cannot have ended before the actions thread sees them."""
        try:
            bantime = self._jail.actions.getBanTime()
        except AttributeError:
            bantime = -1
        age = time.time() - ticket.getTime()
        return age < FRESH_TICKET_SECONDS and (bantime < 0 or age < bantime)

    # -- fail2ban's action interface -----------------------------------------------------------

    def start(self):
        self._setup(self._spec)
        self._started = True
        self._immediate(self._spec.immediate)

    def stop(self):
        self._started = False
        self._immediate(False)
        self._teardown(self._spec)

    def flush(self):
        for family, _p, _a, _l in FAMILIES:
            self._run('flush set inet %s %s' % (self._spec.table, self._spec.set_name(family)), missing_ok=True)
        return True

    def ban(self, aInfo):  # pylint: disable=invalid-name
        self._add(str(aInfo['ip']))

    def reban(self, aInfo):  # pylint: disable=invalid-name
        self.ban(aInfo)

    def unban(self, aInfo):  # pylint: disable=invalid-name
        address = str(aInfo['ip'])
        self._run(self._spec.element_command('delete', address_family(address), [address]), missing_ok=True)

    # A reload keeps an action that has both methods (and its bans); without them fail2ban replaces
    # the action, unbans everything through it and stops it.
    def clearAllParams(self):  # pylint: disable=invalid-name
        """Nothing to clear: reload() receives every parameter again."""

    def reload(self, **options):
        new_spec = RuleSpec(self._jail.name, options)
        if new_spec.key() != self._spec.key() and self._started:
            banned = self._elements(self._spec)
            self._teardown(self._spec)
            self._setup(new_spec)
            for family, addresses in banned.items():
                if addresses:
                    self._run(new_spec.element_command('add', family, sorted(addresses)))
        self._spec = new_spec
        self._immediate(self._started and new_spec.immediate)


Action = NftablesSetAction
