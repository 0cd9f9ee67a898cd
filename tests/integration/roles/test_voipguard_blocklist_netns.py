# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""voipguard-blocklist (roles/fail2ban/files/voipguard-blocklist.py): atomic lists, the whitelist and breadth
refusals, lifts, and the table it loads, on a state directory with the real nft in a network namespace of its own
(root only; skipped elsewhere unless VOIPGUARD_REQUIRE_FAIL2BAN is set). Parsing and rendering:
tests/unit/roles/test_voipguard_blocklist.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import io
import json
import os
import signal
import subprocess
import sys

import pytest

import fake_fail2ban
from role_files import load_role_program, role_file

blocklist = load_role_program('fail2ban', 'voipguard-blocklist.py', 'voipguard_blocklist')
PROGRAM = role_file('fail2ban', 'voipguard-blocklist.py')
NOW = 1796035000.0


# --- operations on a state directory, with the real nft in a namespace of its own ---------------------

@pytest.fixture
def config(tmp_path, netns):
    """A state directory and a network namespace of its own whose nft the program uses."""
    jail_local = tmp_path / 'jail.local'
    jail_local.write_text('[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 192.0.2.10 198.51.100.0/24\n')
    values = dict(blocklist.DEFAULTS)
    values.update(state_dir=str(tmp_path / 'state'), whitelist_file=str(jail_local), nft=netns.wrapper,
                  sources={'voipbl': {'path': str(tmp_path / 'voipbl.txt')}}, ignoreself=False)
    return values


def make(config, now=NOW):
    return blocklist.Blocklist(config, now=now)


def imported(config, name='voipbl', now=NOW):
    """What `voipguard-blocklist import` does: fetch (before the lock), then store and load."""
    program = make(config, now)
    return program.import_source(name, program.fetch_all([name])[name])


def digest(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_import_stores_the_list_and_loads_the_table(config, tmp_path):
    (tmp_path / 'voipbl.txt').write_text('203.0.113.7\n203.0.113.0/28\n2001:db8:bad::/48\n')
    result = imported(config)
    assert result.pop('load_seconds') > 0
    assert result == {'name': 'voipbl', 'entries': 3, 'added': 3, 'removed': 0, 'reloaded': True}
    lists = make(config).desired()
    assert lists == {'voipbl': {'203.0.113.7': None, '203.0.113.0/28': None, '2001:db8:bad::/48': None}}


@pytest.mark.parametrize('content, message', [
    ('203.0.113.7\n192.0.2.10\n', 'whitelisted addresses (fail2ban ignoreip) are never blocked; refused: 192.0.2.10'),
    ('203.0.113.7\n198.51.0.0/16\n', 'refused: 198.51.0.0/16'),
    ('203.0.113.7\n127.0.0.53\n', 'refused: 127.0.0.53'),
    ('203.0.113.7\n10.0.0.0/7\n', 'networks broader than /8 (IPv4) or /32 (IPv6) are refused: 10.0.0.0/7'),
    ('2001:db8::/31\n', 'are refused: 2001:db8::/31'),
    ('203.0.113.7\nnot-an-address\n', "has lines that are neither an address nor a network: line 2: 'not-an-address'"),
    ('# only comments\n\n', 'holds no entry; the last good list is kept'),
])
def test_a_bad_import_is_refused_whole_and_the_last_good_list_stays(config, tmp_path, content, message):
    (tmp_path / 'voipbl.txt').write_text('203.0.113.99\n')
    imported(config)
    stored = make(config).state.list_path('voipbl')
    before = digest(stored)
    (tmp_path / 'voipbl.txt').write_text(content)
    with pytest.raises(blocklist.BlocklistError) as error:
        imported(config)
    assert message in str(error.value)
    assert digest(stored) == before
    assert make(config).state.imports()['voipbl']['last_error'] == str(error.value)


def test_a_failed_download_keeps_the_last_good_list(config, tmp_path):
    (tmp_path / 'voipbl.txt').write_text('203.0.113.99\n')
    imported(config)
    config['sources'] = {'voipbl': {'url': 'http://127.0.0.1:9/list.txt'}}
    config['download_timeout'] = 5
    with pytest.raises(blocklist.BlocklistError) as error:
        imported(config)
    assert 'download of http://127.0.0.1:9/list.txt failed' in str(error.value)
    assert make(config).desired() == {'voipbl': {'203.0.113.99': None}}


def test_update_add_exact_remove_with_timeouts(config):
    fleet = make(config)
    result = fleet.update('fleet', [{'entry': '203.0.113.7', 'timeout': 3600}, {'entry': '2001:db8::7'}], 'add')
    assert (result['added'], result['removed'], result['changed']) == (['2001:db8::7', '203.0.113.7'], [], True)
    assert make(config).desired()['fleet'] == {'203.0.113.7': NOW + 3600, '2001:db8::7': None}
    # Present entries keep their expiry: a second run changes nothing.
    again = make(config, now=NOW + 60).update('fleet', [{'entry': '203.0.113.7', 'timeout': 3600}], 'add')
    assert again['changed'] is False
    requested = [{'entry': '203.0.113.7', 'timeout': 3600}, {'entry': '203.0.113.8', 'timeout': 60}]
    exact = make(config, now=NOW + 60).update('fleet', requested, 'exact')
    assert (exact['added'], exact['removed']) == (['203.0.113.8'], ['2001:db8::7'])
    assert make(config, now=NOW + 60).desired()['fleet'] == {'203.0.113.7': NOW + 3600, '203.0.113.8': NOW + 120}
    removed = make(config, now=NOW + 60).update('fleet', [{'entry': '203.0.113.8'}], 'remove')
    assert removed['removed'] == ['203.0.113.8']


def test_entries_expire_by_themselves(config):
    make(config).update('fleet', [{'entry': '203.0.113.7', 'timeout': 10}], 'add')
    assert make(config, now=NOW + 9).desired()['fleet'] == {'203.0.113.7': NOW + 10}
    assert make(config, now=NOW + 10).desired()['fleet'] == {}


def test_update_skips_whitelisted_entries_when_asked_and_refuses_otherwise(config):
    entries = [{'entry': '203.0.113.7'}, {'entry': '192.0.2.10'}]
    with pytest.raises(blocklist.BlocklistError, match='refused: 192.0.2.10'):
        make(config).update('fleet', entries, 'add')
    assert not os.path.exists(make(config).state.list_path('fleet'))
    result = make(config).update('fleet', entries, 'add', on_whitelisted='skip')
    assert (result['added'], result['skipped']) == (['203.0.113.7'], ['192.0.2.10'])


def test_check_mode_predicts_and_writes_nothing(config, netns):
    result = make(config).update('fleet', [{'entry': '203.0.113.7'}], 'add', check=True)
    assert (result['changed'], result['added']) == (True, ['203.0.113.7'])
    assert not os.path.exists(make(config).state.list_path('fleet'))
    assert 'voipguard-blocklist' not in netns.nft('list', 'tables')


@pytest.mark.parametrize('name, entries, message', [
    ('Fleet', [], "list name 'Fleet' must be"),
    ('voipbl', [], 'voipbl is an imported list'),
    ('fleet', [{'entry': '203.0.113.7/24'}], 'neither an address nor a network'),
    ('fleet', [{'entry': '203.0.113.7', 'timeout': -1}], 'neither an address nor a network'),
    ('fleet', ['203.0.113.7'], 'neither an address nor a network'),
])
def test_bad_update_requests_are_refused(config, name, entries, message):
    with pytest.raises(blocklist.BlocklistError, match=message):
        make(config).update(name, entries, 'add')


def test_the_whitelist_wins_over_a_list_written_before_it_grew(config, tmp_path):
    make(config).update('fleet', [{'entry': '203.0.113.7'}, {'entry': '203.0.113.8'}], 'add')
    (tmp_path / 'jail.local').write_text('[DEFAULT]\nignoreip = 203.0.113.8\n')
    assert make(config).desired() == {'fleet': {'203.0.113.7': None}}


def test_lift_removes_managed_entries_and_keeps_the_address_out_of_imports(config, tmp_path):
    (tmp_path / 'voipbl.txt').write_text('203.0.113.0/30\n')
    imported(config)
    make(config).update('fleet', [{'entry': '203.0.113.1'}, {'entry': '203.0.113.200'}], 'add')
    result = make(config).lift(['203.0.113.1'])
    assert sorted(found['list'] for found in result['lifted']['203.0.113.1']) == ['fleet', 'voipbl']
    lists = make(config).desired()
    assert lists['fleet'] == {'203.0.113.200': None}
    assert lists['voipbl'] == {'203.0.113.0': None, '203.0.113.2/31': None}
    # The lift ends after lift_seconds; a fresh import is then in force whole again.
    assert make(config, now=NOW + config['lift_seconds'] + 1).desired()['voipbl'] == {'203.0.113.0/30': None}
    assert make(config).lift(['203.0.113.1'])['changed'] is False


def test_status_says_where_an_address_is_blocked(config, tmp_path):
    (tmp_path / 'voipbl.txt').write_text('203.0.113.0/24\n')
    imported(config)
    make(config).update('fleet', [{'entry': '203.0.113.7', 'timeout': 60}], 'add')
    status = make(config).status(['203.0.113.7', '192.0.2.10'])
    assert status['addresses']['203.0.113.7']['blocked_by'] == [
        {'list': 'fleet', 'entry': '203.0.113.7', 'expires': NOW + 60},
        {'list': 'voipbl', 'entry': '203.0.113.0/24', 'expires': None}]
    assert status['addresses']['192.0.2.10'] == {'blocked_by': [], 'whitelisted': True, 'lifted_until': None}
    assert status['lists']['voipbl']['kind'] == 'import' and status['lists']['fleet']['kind'] == 'managed'
    assert status['entries'] == 2


def run_program(config_path, *args, stdin=''):
    result = subprocess.run([sys.executable, PROGRAM, '--config', config_path] + list(args), input=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else result.stderr


@pytest.fixture
def kernel_config(config, netns, tmp_path):
    config['nft'] = netns.wrapper
    path = str(tmp_path / 'blocklist.json')
    with open(path, 'w') as handle:
        json.dump(config, handle)
    return path


def test_the_kernel_holds_the_lists_with_their_timeouts(kernel_config, netns, tmp_path):
    (tmp_path / 'voipbl.txt').write_text('203.0.113.7\n203.0.113.0/28\n203.0.113.0/24\n2001:db8:bad::/48\n')
    assert run_program(kernel_config, 'import', 'voipbl')[0] == 0
    rc, result = run_program(kernel_config, 'update', 'fleet', '--mode', 'add',
                             stdin=json.dumps({'entries': [{'entry': '198.18.0.9', 'timeout': 600}]}))
    assert (rc, result['added']) == (0, ['198.18.0.9'])
    assert netns.elements('voipbl-a4') == ['203.0.113.7']
    assert netns.elements('voipbl-n4') == [{'prefix': {'addr': '203.0.113.0', 'len': 24}}]
    assert netns.elements('voipbl-n6') == [{'prefix': {'addr': '2001:db8:bad::', 'len': 48}}]
    fleet = netns.elements('fleet-a4')[0]['elem']
    assert fleet['val'] == '198.18.0.9' and 590 <= fleet['timeout'] <= 600
    allowed = netns.elements('allow4')
    assert '192.0.2.10' in allowed and {'prefix': {'addr': '198.51.100.0', 'len': 24}} in allowed
    chain = netns.nft('list', 'chain', 'inet', 'voipguard-blocklist', 'input')
    assert chain.index('@allow4 meta mark set') < chain.index('@fleet-a4') < chain.index('@voipbl-a4')
    # status sees the same, and drift is none; a flush by someone else is drift that apply --if-drifted mends.
    assert run_program(kernel_config, 'status', '--kernel')[1]['drift'] == []
    netns.nft('flush', 'ruleset')
    rc, status = run_program(kernel_config, 'status', '--kernel')
    assert status['drift'] == ['table inet voipguard-blocklist is not loaded']
    rc, result = run_program(kernel_config, 'apply', '--if-drifted')
    assert (rc, result['changed']) == (0, True)
    assert run_program(kernel_config, 'apply', '--if-drifted')[1]['changed'] is False
    assert netns.elements('voipbl-a4') == ['203.0.113.7']


def test_a_refused_update_leaves_kernel_and_files_alone(kernel_config, netns):
    run_program(kernel_config, 'update', 'fleet', '--mode', 'add', stdin=json.dumps({'entries': [{'entry': '198.18.0.9'}]}))
    before = netns.nft('list', 'ruleset')
    rc, result = run_program(kernel_config, 'update', 'fleet', '--mode', 'exact',
                             stdin=json.dumps({'entries': [{'entry': '192.0.2.10'}]}))
    message = 'whitelisted addresses (fail2ban ignoreip) are never blocked; refused: 192.0.2.10'
    assert rc == 1 and result == {'failed': True, 'msg': message}
    assert netns.nft('list', 'ruleset') == before


def test_an_import_killed_halfway_leaves_the_previous_list_in_force(kernel_config, netns, tmp_path):
    (tmp_path / 'voipbl.txt').write_text('203.0.113.7\n')
    run_program(kernel_config, 'import', 'voipbl')
    fifo = str(tmp_path / 'slow')
    os.mkfifo(fifo)
    with open(kernel_config) as handle:
        config = json.load(handle)
    config['sources']['voipbl'] = {'path': fifo}
    with open(kernel_config, 'w') as handle:
        json.dump(config, handle)
    importer = subprocess.Popen([sys.executable, PROGRAM, '--config', kernel_config, 'import', 'voipbl'],
                                stdout=subprocess.PIPE, universal_newlines=True)
    with open(fifo, 'w') as writer:  # blocks until the importer opened the list: it is halfway
        writer.write('198.18.0.1\n' * 1000)
        writer.flush()
        importer.send_signal(signal.SIGKILL)
    importer.wait()
    assert make(config).desired() == {'voipbl': {'203.0.113.7': None}}
    assert netns.elements('voipbl-a4') == ['203.0.113.7']


nftables_action = load_role_program('fail2ban', 'voipguard-nftables.py', 'voipguard_nftables_for_blocklist',
                                    fake_fail2ban.modules())
PACKET_COUNTER = """table inet vg-test-counter {
  chain delivered { type filter hook input priority 100; policy accept;
    ip saddr 192.0.2.10 udp dport 5060 counter
    ip saddr 203.0.113.5 udp dport 5060 counter
    ip saddr 198.18.0.9 udp dport 5060 counter
  }
}
"""


def delivered(netns):
    """Packets from each source that passed every filter chain (a counter chain after them all)."""
    listing = json.loads(netns.nft('-j', 'list', 'chain', 'inet', 'vg-test-counter', 'delivered'))
    counts = {}
    for item in listing['nftables']:
        if 'rule' in item:
            expr = item['rule']['expr']
            counts[expr[0]['match']['right']] = [part for part in expr if 'counter' in part][0]['counter']['packets']
    return counts


def send_from(netns, source, count=3):
    script = ('import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind((%r, 0))\n'
              'for _ in range(%d): s.sendto(b"x", (%r, 5060))\n' % (source, count, source))
    subprocess.run(['nsenter', '--net=/proc/%d/ns/net' % netns.holder.pid, sys.executable, '-c', script], check=True)


def test_the_whitelist_wins_over_jail_sets_and_lists_in_the_kernel(kernel_config, netns):
    """Packets over the namespace's loopback: a whitelisted source that a jail set holds (a ban forced by hand)
    and a list holds too gets through; an unlisted one the jail holds and a fleet-listed one are dropped."""
    for command in (['ip', 'link', 'set', 'lo', 'up'], ['ip', 'addr', 'add', '192.0.2.10/32', 'dev', 'lo'],
                    ['ip', 'addr', 'add', '203.0.113.5/32', 'dev', 'lo'], ['ip', 'addr', 'add', '198.18.0.9/32', 'dev', 'lo']):
        subprocess.run(['nsenter', '--net=/proc/%d/ns/net' % netns.holder.pid] + command, check=True)
    jail = nftables_action.RuleSpec('voipguard-freeswitch', {'type': 'allports', 'protocol': 'udp', 'blocktype': 'drop'})
    script = '\n'.join(jail.setup_commands() + [jail.element_command('add', 'inet4', ['192.0.2.10', '203.0.113.5'])])
    subprocess.run([netns.wrapper, '-f', '-'], input=script + '\n', universal_newlines=True, check=True)
    subprocess.run([netns.wrapper, '-f', '-'], input=PACKET_COUNTER, universal_newlines=True, check=True)
    rc, _result = run_program(kernel_config, 'update', 'fleet', '--mode', 'add', '--on-whitelisted', 'skip',
                              stdin=json.dumps({'entries': [{'entry': '198.18.0.9'}, {'entry': '192.0.2.10'}]}))
    assert rc == 0
    for source in ('192.0.2.10', '203.0.113.5', '198.18.0.9'):
        send_from(netns, source)
    assert delivered(netns) == {'192.0.2.10': 3, '203.0.113.5': 0, '198.18.0.9': 0}


# --- what a hostile review found (each failed before its fix) ---------------------------------------------

class ListServer:
    """An HTTP server in a thread that serves a list whole, cut off, or one byte at a time."""

    def __init__(self, body):
        import http.server
        import threading
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

            def do_GET(self):  # pylint: disable=invalid-name
                self.send_response(200)
                if server.mode == 'short':
                    self.send_header('Content-Length', str(len(server.body)))
                self.end_headers()
                if server.mode == 'slow':
                    for byte in range(len(server.body)):
                        self.wfile.write(server.body[byte:byte + 1])
                        self.wfile.flush()
                        if server.stop.wait(0.2):  # pacing; the test has finished
                            return
                    return
                # cut three bytes after a newline: inside a line, as a dropped connection cuts
                cut = server.body.index(b'\n', len(server.body) // 2) + 4
                self.wfile.write(server.body if server.mode == 'whole' else server.body[:cut])

        self.body, self.mode, self.stop = body, 'whole', threading.Event()
        self.httpd = http.server.HTTPServer(('127.0.0.1', 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = 'http://127.0.0.1:%d/list.txt' % self.httpd.server_address[1]

    def close(self):
        self.stop.set()
        self.httpd.shutdown()


@pytest.mark.parametrize('mode, message', [
    ('short', 'cut off: '),                                 # Content-Length says more than came
    ('cut', 'cut off: the last line has no newline'),       # no length: the cut falls inside a line
    ('slow', 'not finished within 1s'),                     # the whole download has a deadline
])
def test_a_download_cut_off_or_too_slow_keeps_the_last_good_list(config, mode, message):
    server = ListServer(''.join('198.18.%d.%d\n' % (i // 250, i % 250) for i in range(2000)).encode())
    try:
        config['sources'] = {'voipbl': {'url': server.url}}
        config['download_timeout'] = 1
        assert imported(config)['entries'] == 2000
        before = digest(make(config).state.list_path('voipbl'))
        server.mode = mode
        with pytest.raises(blocklist.BlocklistError, match=message):
            imported(config)
        assert digest(make(config).state.list_path('voipbl')) == before
    finally:
        server.close()


def test_zone_ids_never_reach_the_state(config):
    with pytest.raises(blocklist.BlocklistError, match="not an address: '2001:db8::7%x'"):
        make(config).lift(['2001:db8::7%x'])
    with pytest.raises(blocklist.BlocklistError, match='not an address'):
        make(config).status(['fe80::1%eth0'])
    # a damaged lifted.json from an older version is ignored entry by entry, not fatal
    blocklist.write_json(os.path.join(config['state_dir'], 'lifted.json'), {'2001:db8::7%x': NOW + 60, '203.0.113.1': NOW + 60})
    assert make(config).state.lifted(NOW) == {'203.0.113.1': NOW + 60}


@pytest.mark.parametrize('name', ['evil\n', 'x' * 25, '', 'a-b'])
def test_list_names_are_checked_whole(config, name):
    with pytest.raises(blocklist.BlocklistError, match='must be 1-24 characters'):
        make(config).update(name, [{'entry': '203.0.113.7'}], 'add')


@pytest.mark.parametrize('timeout', [100000000, True, '3600', 1.5, -1, float('inf')])
def test_timeouts_nft_would_refuse_are_refused_first(config, timeout):
    with pytest.raises(blocklist.BlocklistError, match='neither an address nor a network'):
        make(config).update('fleet', [{'entry': '203.0.113.7', 'timeout': timeout}], 'add')
    assert not os.path.exists(make(config).state.list_path('fleet'))


def test_a_table_nft_refuses_leaves_the_list_as_it_was(config, netns, tmp_path):
    make(config).update('fleet', [{'entry': '203.0.113.7'}], 'add')
    before = digest(make(config).state.list_path('fleet'))
    broken = tmp_path / 'nft-fails-loads'
    broken.write_text('#!/bin/sh\n[ "$1" = -f ] && { echo "Error: refused" >&2; exit 1; }\nexec %s "$@"\n' % netns.wrapper)
    broken.chmod(0o755)
    config['nft'] = str(broken)
    with pytest.raises(blocklist.BlocklistError, match='nft refused the blocklist table'):
        make(config).update('fleet', [{'entry': '203.0.113.8'}], 'add')
    assert digest(make(config).state.list_path('fleet')) == before
    with pytest.raises(blocklist.BlocklistError, match='nft refused the blocklist table'):
        make(config).update('other', [{'entry': '203.0.113.9'}], 'add')
    assert not os.path.exists(make(config).state.list_path('other'))


def test_nested_networks_with_different_expiries_load_and_expire_apart(config, netns):
    make(config).update('fleet', [{'entry': '198.18.0.0/15', 'timeout': 3}, {'entry': '198.18.5.0/24'}], 'add')
    elements = [element['elem'] if 'elem' in element else {'val': element} for element in netns.elements('fleet-n4')]
    assert [(str(item['val']), item.get('timeout')) for item in elements] == [
        ("{'range': ['198.18.0.0', '198.18.4.255']}", 3), ("{'prefix': {'addr': '198.18.5.0', 'len': 24}}", None),
        ("{'range': ['198.18.6.0', '198.19.255.255']}", 3)]
    assert make(config).drift() == []
    later = make(config, now=NOW + 4)
    assert later.desired() == {'fleet': {'198.18.5.0/24': None}}
    assert blocklist.Finder(later.desired()).where('198.19.1.1') == []


def test_an_import_with_a_timeout_renews_the_kernel_timeouts(config, tmp_path):
    (tmp_path / 'voipbl.txt').write_text('203.0.113.7\n')
    config['sources']['voipbl']['timeout'] = 600
    assert imported(config)['reloaded'] is True
    again = imported(config, now=NOW + 300)
    assert (again['added'], again['reloaded']) == (0, True)
    assert make(config, now=NOW + 300).desired()['voipbl'] == {'203.0.113.7': NOW + 900}


def test_a_source_that_crashes_is_recorded_and_the_others_imported(config, tmp_path, monkeypatch):
    (tmp_path / 'voipbl.txt').write_text('203.0.113.7\n')
    (tmp_path / 'other.txt').write_text('\uff11.2.3.4\n198.18.0.1\n')
    config['sources']['other'] = {'path': str(tmp_path / 'other.txt')}
    program = make(config)
    result = program.refresh(program.fetch_all(['voipbl', 'other']))
    assert [item['name'] for item in result['imports']] == ['voipbl']
    assert result['errors'] == ["other: %s has lines that are neither an address nor a network: line 1: '\uff11.2.3.4'"
                                % (tmp_path / 'other.txt')]
    monkeypatch.setattr(blocklist.Blocklist, 'fetch', lambda self, name: 1 / 0)
    fetched = make(config).fetch_all(['voipbl'])
    assert str(fetched['voipbl']) == 'voipbl: division by zero'


def test_the_hosts_own_addresses_and_every_jails_ignoreip_are_whitelisted(config, tmp_path, monkeypatch):
    config['ignoreself'] = True
    monkeypatch.setattr(blocklist, 'own_addresses', lambda: ['203.0.113.50', 'fe80::1'])
    (tmp_path / 'jail.d').mkdir()
    (tmp_path / 'jail.d' / 'voipguard.local').write_text('[voipguard-freeswitch]\nignoreip = 203.0.113.60\n')
    result = make(config).update('fleet', [{'entry': '203.0.113.50'}, {'entry': '203.0.113.60'}, {'entry': '203.0.113.70'}],
                                 'add', on_whitelisted='skip')
    assert (result['added'], result['skipped']) == (['203.0.113.70'], ['203.0.113.50', '203.0.113.60'])


def test_a_name_that_stops_resolving_keeps_its_addresses_and_one_never_resolved_whitelists_nothing(config, tmp_path):
    (tmp_path / 'jail.local').write_text('[DEFAULT]\nignoreip = 127.0.0.1/8 carrier.invalid\n')
    assert make(config).update('fleet', [{'entry': '203.0.113.8'}], 'add')['added'] == ['203.0.113.8']
    assert make(config).policy.never_resolved == ['carrier.invalid']
    blocklist.write_json(os.path.join(config['state_dir'], 'resolved.json'), {'carrier.invalid': ['203.0.113.8']})
    result = make(config).update('fleet', [{'entry': '203.0.113.7'}, {'entry': '203.0.113.8'}], 'add', on_whitelisted='skip')
    assert (result['added'], result['skipped']) == (['203.0.113.7'], ['203.0.113.8'])
    assert make(config).status()['whitelist_unresolved'] == ['carrier.invalid']


def test_the_program_warns_of_a_whitelisted_name_that_never_resolved(config, tmp_path, monkeypatch, capsys):
    (tmp_path / 'jail.local').write_text('[DEFAULT]\nignoreip = 127.0.0.1/8 carrier.invalid\n')
    (tmp_path / 'config.json').write_text(json.dumps(config))
    monkeypatch.setattr(sys, 'stdin', io.StringIO(json.dumps({'entries': [{'entry': '203.0.113.8'}]})))
    assert blocklist.main(['--config', str(tmp_path / 'config.json'), 'update', 'fleet', '--mode', 'add']) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)['warnings'] == ['whitelisted host names that never resolved whitelist nothing: carrier.invalid']
    assert 'warning: whitelisted host names that never resolved' in err


@pytest.mark.parametrize('damage, problem', [
    ('flush chain inet voipguard-blocklist input', 'chain input has other rules'),
    ('add chain inet voipguard-blocklist input { type filter hook input priority -10; policy drop; }', 'chain input is'),
    ('flush set inet voipguard-blocklist fleet-a4', 'set fleet-a4 holds 0 elements'),
    ('add element inet voipguard-blocklist fleet-a4 { 198.18.9.9 }', 'set fleet-a4 holds 2 elements, 1 of them not'),
    ('flush set inet voipguard-blocklist allow4', 'set allow4 holds 0 elements'),
])
def test_drift_sees_rules_chain_and_contents_not_only_counts(config, netns, damage, problem):
    make(config).update('fleet', [{'entry': '203.0.113.7'}], 'add')
    assert make(config).drift() == []
    netns.nft(*damage.split())
    assert any(problem in line for line in make(config).drift()), make(config).drift()
    assert make(config).apply(if_drifted=True)['changed'] is True
    assert make(config).drift() == []


def test_ipv4_mapped_whitelist_entries_are_no_drift(config, tmp_path):
    (tmp_path / 'jail.local').write_text('[DEFAULT]\nignoreip = 127.0.0.1/8 ::ffff:192.0.2.1 ::1\n')
    make(config).apply()
    assert make(config).drift() == []


def test_entries_a_grown_whitelist_covers_leave_the_list_at_the_next_change(config, tmp_path):
    make(config).update('fleet', [{'entry': '203.0.113.7'}, {'entry': '198.18.0.0/24'}], 'add')
    (tmp_path / 'jail.local').write_text('[DEFAULT]\nignoreip = 127.0.0.1/8 203.0.113.7 198.18.0.5\n')
    result = make(config).update('fleet', [{'entry': '203.0.113.99'}], 'add')
    assert result['removed'] == ['198.18.0.0/24', '203.0.113.7'] and result['entries'] == 1
    assert make(config).state.read_list('fleet', NOW)[0] == {'203.0.113.99': None}


def test_lifting_an_address_splits_a_managed_network(config):
    make(config).update('manual', [{'entry': '203.0.113.0/30'}], 'add')
    make(config).lift(['203.0.113.1'])
    assert make(config).desired()['manual'] == {'203.0.113.0': None, '203.0.113.2/31': None}


def test_a_ban_still_shared_is_renewed_once_half_its_timeout_has_passed(config):
    request = [{'entry': '203.0.113.7', 'timeout': 3600}]
    make(config).update('fleet', request, 'exact')
    assert make(config, now=NOW + 1700).update('fleet', request, 'exact')['changed'] is False
    renewed = make(config, now=NOW + 1900).update('fleet', request, 'exact')
    assert renewed['renewed'] == ['203.0.113.7']
    assert make(config, now=NOW + 1900).desired()['fleet'] == {'203.0.113.7': NOW + 1900 + 3600}


@pytest.mark.parametrize('entries', [
    {'203.0.113.7 }; chain pwn { type filter hook input priority 0; policy drop; }; set x { type ipv4_addr': None},
    {'203.0.113.7': 'soon'},
    ['203.0.113.7'],
])
def test_a_tampered_list_file_is_refused_naming_it(config, entries):
    blocklist.write_json(make(config).state.list_path('fleet'), {'kind': 'managed', 'entries': entries})
    with pytest.raises(blocklist.BlocklistError, match='fleet.json'):
        make(config).apply()


@pytest.mark.parametrize('stdin', ['[]', '{"entries": {"entry": "203.0.113.7"}}', 'nope'])
def test_update_requests_that_are_not_objects_are_refused(config, tmp_path, stdin):
    path = str(tmp_path / 'blocklist.json')
    with open(path, 'w') as handle:
        json.dump(config, handle)
    rc, result = run_program(path, 'update', 'fleet', '--mode', 'add', stdin=stdin)
    assert rc == 1 and result['failed'] and 'update reads {"entries": [...]} as JSON on stdin' in result['msg']
