# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The voipguard-nftables.py ban action in a real fail2ban server: the host's fail2ban-server runs with the action in a
private network namespace (`unshare -n`, root only), and the tests read the namespace's nftables ruleset: real
fail2ban, real nftables. The rule builder and the immediate bans: tests/unit/roles/test_voipguard_nftables_action.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import subprocess
import time

import pytest

import fake_fail2ban
from role_files import load_role_program, role_file

SYSTEM_PYTHON = '/usr/bin/python3'
DEADLINE = 30
ACTION_FILE = role_file('fail2ban', 'voipguard-nftables.py')
# Loaded for its helpers (set_elements, IMMEDIATE_FAIL2BAN_VERSIONS) in this venv, which has no fail2ban; the
# servers below load it with the host's real fail2ban.
action = load_role_program('fail2ban', 'voipguard-nftables.py', 'voipguard_nftables_action', fake_fail2ban.modules())


# -- the action in a real fail2ban server, in a private network namespace ----------------------

FILTER = '[Definition]\nfailregex = ^FAIL <HOST>$\ndatepattern = {NONE}\n'
JAIL_LOCAL = """[DEFAULT]
banaction = voipguard-nftables.py[blocktype=drop]
banaction_allports = voipguard-nftables.py[type=allports, blocktype=drop]
ignoreip = 127.0.0.1/8 192.0.2.99
backend = polling
[sshd]
enabled = false
[pbx]
enabled = true
filter = unit-fail
logpath = {log}
maxretry = 3
port = 5060,5061
protocol = udp,tcp
[pbx-all]
enabled = true
filter = unit-fail
logpath = {log}
maxretry = 3
banaction = %(banaction_allports)s
protocol = tcp,udp
"""


def have_netns_fail2ban():
    if os.geteuid() != 0 or not shutil.which('unshare') or not shutil.which('nsenter'):
        return 'root with unshare and nsenter'
    if not shutil.which('fail2ban-server') or not os.path.isdir('/etc/fail2ban'):
        return 'fail2ban-server'
    if subprocess.call([SYSTEM_PYTHON, '-c', 'import nftables, fail2ban'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0:
        return 'python3-nftables'
    if subprocess.call(['unshare', '-n', 'nft', 'list', 'ruleset'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        return 'a network namespace where nft works'
    return None


class NetnsFail2ban:
    """fail2ban-server in the foreground, alone in a new network namespace."""

    def __init__(self, root, jail_local=JAIL_LOCAL, env=None):
        self.root = root
        self.conf = os.path.join(root, 'conf')
        self.log = os.path.join(root, 'pbx.log')
        self.socket = os.path.join(root, 'fail2ban.sock')
        self.env = env
        self.server = None
        shutil.copytree('/etc/fail2ban', self.conf, symlinks=True)
        for name in os.listdir(os.path.join(self.conf, 'jail.d')):
            os.unlink(os.path.join(self.conf, 'jail.d', name))
        shutil.copy(ACTION_FILE, os.path.join(self.conf, 'action.d'))
        self.write('action.d/voipguard-inspect.py', INSPECT_ACTION)
        self.write('filter.d/unit-fail.conf', FILTER)
        self.write('fail2ban.local', '[Definition]\ndbfile = %s/fail2ban.sqlite3\nlogtarget = %s/fail2ban.log\n' % (root, root))
        self.write('jail.local', jail_local.format(log=self.log))
        open(self.log, 'w').close()

    def write(self, name, text):
        with open(os.path.join(self.conf, name), 'w') as handle:
            handle.write(text)

    def start(self):
        self.server = subprocess.Popen(
            ['unshare', '-n', 'fail2ban-server', '-f', '-x', '-c', self.conf, '-s', self.socket,
             '-p', os.path.join(self.root, 'fail2ban.pid')],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        wait_until(lambda: self.client('ping', check=False).returncode == 0, 'fail2ban answers')

    def client(self, *args, check=True):
        return subprocess.run(['fail2ban-client', '-c', self.conf, '-s', self.socket] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              check=check, timeout=60, env=self.env)

    def nft(self, *args):
        return subprocess.run(['nsenter', '--net=/proc/%d/ns/net' % self.server.pid, 'nft'] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              check=False, timeout=30).stdout

    def in_set(self, set_name):
        listing = self.nft('-j', 'list', 'set', 'inet', 'f2b-table', set_name)
        return set(action.set_elements(listing if listing.startswith('{') else ''))

    def banned(self, jail):
        return set(self.client('get', jail, 'banned').stdout.replace(',', ' ').replace("'", ' ')
                   .replace('[', ' ').replace(']', ' ').split())

    def fail(self, address, times=3):
        with open(self.log, 'a') as handle:
            handle.write(('FAIL %s\n' % address) * times)

    def stop(self):
        if self.server and self.server.poll() is None:
            self.client('stop', check=False)
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()


def wait_until(condition, what, deadline=DEADLINE):
    end = time.time() + deadline
    while time.time() < end:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError('not within %ss: %s' % (deadline, what))


@pytest.fixture
def fail2ban_servers(tmp_path):
    """Starts NetnsFail2ban servers (arguments as NetnsFail2ban's); stops them all at the end."""
    missing = have_netns_fail2ban()
    if missing:
        if os.environ.get('VOIPGUARD_REQUIRE_FAIL2BAN'):
            pytest.fail('%s required (VOIPGUARD_REQUIRE_FAIL2BAN is set) but missing' % missing)
        pytest.skip('%s missing' % missing)
    servers = []

    def start(**options):
        root = tmp_path / ('server%d' % len(servers))
        root.mkdir()
        servers.append(NetnsFail2ban(str(root), **options))
        servers[-1].start()
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def netns_fail2ban(fail2ban_servers):
    return fail2ban_servers()


def test_found_attackers_are_in_the_sets_and_whitelisted_ones_never(netns_fail2ban):
    f2b = netns_fail2ban
    f2b.fail('198.51.100.7')
    f2b.fail('2001:db8::5')
    f2b.fail('192.0.2.99', times=10)
    wait_until(lambda: f2b.in_set('addr-set-pbx') == {'198.51.100.7'}, 'IPv4 attacker in the pbx set')
    wait_until(lambda: f2b.in_set('addr6-set-pbx') == {'2001:db8::5'}, 'IPv6 attacker in the pbx set')
    wait_until(lambda: {'198.51.100.7', '2001:db8::5'} <= f2b.banned('pbx'), 'fail2ban records both bans')
    wait_until(lambda: f2b.in_set('addr-set-pbx-all') == {'198.51.100.7'}, 'attacker in the all-ports set')
    assert '192.0.2.99' not in f2b.banned('pbx') | f2b.in_set('addr-set-pbx')
    ruleset = f2b.nft('list', 'chain', 'inet', 'f2b-table', 'f2b-chain')
    # nft prints adjacent ports as a range when the set also holds one.
    assert re.search(r'th dport \{ 5060(, |-)5061 \} ip saddr @addr-set-pbx drop', ruleset), ruleset
    assert 'meta l4proto { tcp, udp } ip saddr @addr-set-pbx-all drop' in ruleset, ruleset


def test_bulk_bans_survive_a_reload_and_a_restart_and_unban_removes(netns_fail2ban):
    f2b = netns_fail2ban
    addresses = ['10.%d.%d.%d' % (i >> 16 & 255, i >> 8 & 255, i & 255) for i in range(1, 1001)]
    for start in range(0, len(addresses), 500):
        f2b.client('set', 'pbx', 'banip', *addresses[start:start + 500])
    wait_until(lambda: f2b.in_set('addr-set-pbx') == set(addresses), '1,000 addresses in the set')

    # A plain reload must keep the action and its bans (fail2ban drops actions it cannot reload).
    f2b.client('reload')
    assert f2b.in_set('addr-set-pbx') == set(addresses)

    f2b.client('set', 'pbx', 'unbanip', addresses[0])
    wait_until(lambda: addresses[0] not in f2b.in_set('addr-set-pbx'), 'unbanned address leaves the set')

    f2b.client('reload', '--restart', 'pbx')
    wait_until(lambda: f2b.in_set('addr-set-pbx') == set(addresses[1:]), 'bans restored from the database')
    rules = [line for line in f2b.nft('list', 'chain', 'inet', 'f2b-table', 'f2b-chain').splitlines()
             if '@addr-set-pbx ' in line]
    assert len(rules) == 1, rules


def test_reload_with_new_ports_rebuilds_the_rule_and_keeps_the_bans(netns_fail2ban):
    f2b = netns_fail2ban
    f2b.client('set', 'pbx', 'banip', '198.51.100.20')
    wait_until(lambda: f2b.in_set('addr-set-pbx') == {'198.51.100.20'}, 'ban in the set')
    f2b.write('jail.local', JAIL_LOCAL.format(log=f2b.log).replace('port = 5060,5061', 'port = 5080'))
    f2b.client('reload')
    ruleset = f2b.nft('list', 'chain', 'inet', 'f2b-table', 'f2b-chain')
    assert 'th dport 5080 ip saddr @addr-set-pbx drop' in ruleset, ruleset
    assert '5060' not in ruleset, ruleset
    assert f2b.in_set('addr-set-pbx') == {'198.51.100.20'}


def test_stopping_the_jails_removes_their_rules_sets_and_the_table(netns_fail2ban):
    f2b = netns_fail2ban
    f2b.client('set', 'pbx', 'banip', '198.51.100.30')
    wait_until(lambda: f2b.in_set('addr-set-pbx') == {'198.51.100.30'}, 'ban in the set')
    f2b.client('stop', 'pbx')
    ruleset = f2b.nft('list', 'ruleset')
    assert 'addr-set-pbx ' not in ruleset and 'addr-set-pbx-all' in ruleset, ruleset
    f2b.client('stop', 'pbx-all')
    assert 'f2b-table' not in f2b.nft('list', 'ruleset')


# -- the immediate-ban adapter in a real fail2ban server -----------------------------------------

# A test-only action, first in its jails: it reports what is set on its jail's objects themselves
# (instance attributes that shadow their class's) and the waits the adapter once changed for the whole
# process, and its ban() can hold the actions thread (ban_delay), so that only an immediate ban reaches
# the set before it is over.
INSPECT_ACTION = """
import json
import time

from fail2ban.server.action import ActionBase
from fail2ban.server.utils import Utils
from fail2ban.version import version


def overrides(owner):
    if owner is None:
        return None
    return sorted(name for name, value in vars(owner).items() if callable(value) and hasattr(type(owner), name))


class Action(ActionBase):
    ban_delay = 0
    banned = ''

    def start(self):
        pass

    def stop(self):
        pass

    def ban(self, aInfo):
        time.sleep(float(self.ban_delay))
        self.banned += ' %s' % aInfo['ip']

    def unban(self, aInfo):
        pass

    def clearAllParams(self):
        pass

    def reload(self, **options):
        pass

    @property
    def state(self):
        log_filter = self._jail.filter
        notifier = getattr(log_filter, '_FilterPyinotify__notifier', None)
        return json.dumps({
            'version': version, 'filter': type(log_filter).__name__,
            'overrides': {'jail': overrides(self._jail), 'filter': overrides(log_filter),
                          'notifier': overrides(notifier), 'actions': overrides(self._jail.actions)},
            'sleeptime': {'filter': log_filter.sleeptime, 'actions': self._jail.actions.sleeptime},
            'process': {'DEFAULT_SLEEP_INTERVAL': Utils.DEFAULT_SLEEP_INTERVAL,
                        'DEFAULT_SLEEP_TIME': Utils.DEFAULT_SLEEP_TIME},
        })
"""
# pbx and pbx-inotify: our action (polling and pyinotify backends) after the inspector; other and
# other-inotify: only the inspector. Every jail reads the same log.
HOOK_JAILS = """[DEFAULT]
banaction = voipguard-nftables.py[blocktype=drop]
ignoreip = 127.0.0.1/8
backend = polling
filter = unit-fail
logpath = {log}
maxretry = 3
port = 5060
protocol = udp
[sshd]
enabled = false
[pbx]
enabled = true
action = voipguard-inspect.py
         <pbx>
[pbx-inotify]
enabled = true
backend = pyinotify
action = voipguard-inspect.py
         <pbx-inotify>
[other]
enabled = true
action = voipguard-inspect.py
[other-inotify]
enabled = true
backend = pyinotify
action = voipguard-inspect.py
"""
HOOKED_JAILS = ('pbx', 'pbx-inotify')
JAILS = HOOKED_JAILS + ('other', 'other-inotify')
# What is set on a jail's own objects without our action: fail2ban's JailThread puts its exception hook
# on each thread object as `run` (0.11.2 to 1.1.0); a polling filter has no notifier.
POLLING = {'jail': [], 'filter': ['run'], 'notifier': None, 'actions': ['run']}
PYINOTIFY = {'jail': [], 'filter': ['run'], 'notifier': [], 'actions': ['run']}
UNTOUCHED = {'pbx': POLLING, 'pbx-inotify': PYINOTIFY, 'other': POLLING, 'other-inotify': PYINOTIFY}
HOOKED = dict(UNTOUCHED, **{
    'pbx': dict(POLLING, jail=['putFailTicket'], filter=['getModified', 'run']),
    'pbx-inotify': dict(PYINOTIFY, jail=['putFailTicket'], notifier=['check_events', 'read_events']),
})
# fail2ban's own values: Utils' class attributes, and a filter's and an actions thread's sleeptime.
FAIL2BAN_WAITS = {'sleeptime': {'filter': 2, 'actions': 2},
                  'process': {'DEFAULT_SLEEP_INTERVAL': 0.2, 'DEFAULT_SLEEP_TIME': 2}}
HOLD = 4  # seconds the inspector holds each jail's actions thread in ban()
WARNING = 'no immediate bans with fail2ban'


def hook_jails(pbx='%(action_)s', pbx_inotify='%(action_)s'):
    return HOOK_JAILS.replace('<pbx>', pbx).replace('<pbx-inotify>', pbx_inotify)


def inspect(f2b, jail):
    return json.loads(f2b.client('get', jail, 'action', 'voipguard-inspect', 'state').stdout)


def overrides(f2b):
    return dict((jail, inspect(f2b, jail)['overrides']) for jail in JAILS)


def waits(f2b):
    return dict((jail, dict((key, inspect(f2b, jail)[key]) for key in FAIL2BAN_WAITS)) for jail in JAILS)


def banned_in_sets(f2b, address, hold=HOLD):
    """Fails the address; returns the hooked jails whose set held it while the actions threads were held,
    then waits until both sets hold it (fail2ban's own path)."""
    for jail in JAILS:
        f2b.client('set', jail, 'action', 'voipguard-inspect', 'ban_delay', str(hold))
    f2b.fail(address)
    early = set()
    end = time.time() + hold - 1
    while time.time() < end:
        early.update(jail for jail in HOOKED_JAILS if address in f2b.in_set('addr-set-' + jail))
        time.sleep(0.1)
    wait_until(lambda: all(address in f2b.in_set('addr-set-' + jail) for jail in HOOKED_JAILS),
               'both sets hold %s' % address)
    for jail in JAILS:
        f2b.client('set', jail, 'action', 'voipguard-inspect', 'ban_delay', '0')
    # fail2ban cannot reload a jail whose actions thread is still banning (a changed action list: "OrderedDict
    # mutated during iteration"), so the test waits for every held ban to end.
    wait_until(lambda: all(address in f2b.client('get', jail, 'action', 'voipguard-inspect', 'banned').stdout
                           for jail in JAILS), 'the held bans end')
    return early


def test_the_hook_is_on_the_jails_of_the_action_only_and_a_reload_without_it_restores_them(fail2ban_servers):
    f2b = fail2ban_servers(jail_local=hook_jails())
    assert inspect(f2b, 'pbx')['version'] in action.IMMEDIATE_FAIL2BAN_VERSIONS
    assert [inspect(f2b, jail)['filter'] for jail in JAILS] == ['FilterPoll', 'FilterPyinotify'] * 2
    assert overrides(f2b) == HOOKED, 'nothing on the other jails'
    assert waits(f2b) == dict((jail, FAIL2BAN_WAITS) for jail in JAILS), 'no wait changed, in any jail'
    assert banned_in_sets(f2b, '198.51.100.40') == set(HOOKED_JAILS), 'banned before the actions thread'

    # A reload that sets immediate = false in pbx and removes our action from pbx-inotify (the jails keep
    # running) gives both jails back what they had.
    f2b.write('jail.local', hook_jails(pbx='%(action_)s[immediate=false]', pbx_inotify='').format(log=f2b.log))
    f2b.client('reload')
    assert f2b.client('get', 'pbx-inotify', 'actions').stdout.splitlines()[-1].strip() == 'voipguard-inspect'
    # The pyinotify filter puts its notifier's methods back itself, as its current wait for lines ends.
    wait_until(lambda: overrides(f2b) == UNTOUCHED, 'every jail as fail2ban made it')
    assert waits(f2b) == dict((jail, FAIL2BAN_WAITS) for jail in JAILS)
    f2b.write('jail.local', hook_jails(pbx='%(action_)s[immediate=false]').format(log=f2b.log))
    f2b.client('reload', '--restart', 'pbx-inotify')
    assert banned_in_sets(f2b, '198.51.100.41') == {'pbx-inotify'}, 'pbx bans through the actions thread'

    f2b.stop()
    log = open(os.path.join(f2b.root, 'fail2ban.log')).read()
    assert log.count('immediate bans on') == 3 and log.count('immediate bans off') == 3, log
    assert WARNING not in log
    assert [line for line in log.splitlines() if ' ERROR ' in line] == [], 'no error in any thread of fail2ban'


def test_an_uncovered_fail2ban_bans_through_its_actions_thread_and_warns_once(fail2ban_servers, tmp_path):
    package = subprocess.run([SYSTEM_PYTHON, '-c', 'import fail2ban, os; print(os.path.dirname(fail2ban.__file__))'],
                             stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.strip()
    shutil.copytree(package, str(tmp_path / 'site' / 'fail2ban'), ignore=shutil.ignore_patterns('tests'))
    version_file = tmp_path / 'site' / 'fail2ban' / 'version.py'
    version_file.write_text(re.sub(r'(?m)^version = .*$', 'version = "1.0.99"', version_file.read_text()))
    env = dict(os.environ, PYTHONPATH=str(tmp_path / 'site'))
    f2b = fail2ban_servers(jail_local=hook_jails(), env=env)
    assert inspect(f2b, 'pbx')['version'] == '1.0.99'
    assert overrides(f2b) == UNTOUCHED
    assert banned_in_sets(f2b, '198.51.100.42') == set(), 'no immediate ban: the actions thread bans'
    f2b.client('reload')
    f2b.client('reload', '--restart', 'pbx')
    assert overrides(f2b) == UNTOUCHED
    assert waits(f2b) == dict((jail, FAIL2BAN_WAITS) for jail in JAILS)
    warnings = [line for line in open(os.path.join(f2b.root, 'fail2ban.log')) if WARNING in line]
    assert len(warnings) == 1, warnings
    assert 'WARNING' in warnings[0] and 'fail2ban 1.0.99 (tested with 0.11.2, 1.0.2, 1.1.0)' in warnings[0]
