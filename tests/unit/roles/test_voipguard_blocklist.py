# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""voipguard-blocklist (roles/fail2ban/files/voipguard-blocklist.py): parsing, the whitelist file, network
arithmetic and the nft script it renders (the operations on a state directory, with the real nft in a network
namespace: tests/integration/roles/test_voipguard_blocklist_netns.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import random

import pytest

from role_files import load_role_program

blocklist = load_role_program('fail2ban', 'voipguard-blocklist.py', 'voipguard_blocklist')
NOW = 1796035000.0


# --- parsing ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('text, canonical', [
    ('192.0.2.7', '192.0.2.7'),
    (' 198.51.100.0/24 ', '198.51.100.0/24'),
    ('203.0.113.9/32', '203.0.113.9'),
    ('2001:DB8:0:0::1', '2001:db8::1'),
    ('2001:db8::/32', '2001:db8::/32'),
    ('::ffff:192.0.2.7', '192.0.2.7'),  # as fail2ban reads it
])
def test_entries_get_one_canonical_form(text, canonical):
    assert blocklist.parse_entry(text) == canonical


@pytest.mark.parametrize('text', ['192.0.2.256', '010.0.0.1', '198.51.100.7/24', 'example.com', '1.2.3', '2001:db8::/129', '',
                                  '\uff11.2.3.4', 'fe80::1%eth0', 'fe80::%1/64', '::ffff:0:0/96'])
def test_what_is_not_exactly_an_address_or_network_is_refused(text):
    with pytest.raises(ValueError):
        blocklist.parse_entry(text)


def test_the_fast_path_gives_what_ipaddress_gives():
    """parse_entry's shortcuts for canonical entries agree with ipaddress on canonical, odd and broken forms."""
    rng = random.Random(20)
    texts = ['0.0.0.0/0', '192.0.2.0/23', '192.0.2.0/33', '192.0.2.1/31', '192.0.2.0/024', '1.2.3.4/', '::/0', '::', '::1',
             '::1/128', '2001:db8::/129', '2001:db8::1/64', '2001:0db8::1', '2001:db8:0:1:1:1:1:1', '2001:db8::0:1',
             '::ffff:1.2.3.4', '::ffff:102:304', '::102:304', '::1.2.3.4', '::ffff:0:0/96', '::ffff:0:0/97', '64:ff9b::/96',
             'fe80::1%eth0', ':::', '1::2::3', '2001:db8::/032', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', ' 2001:DB8::1 ',
             '::1\x00', '1.2.3.4/ 24', '1.2.3.4/+24', '1.2.3.4/2_4', '\uff11.2.3.4', '2001:db8::\u0661', '::/\u00b2']
    for _sample in range(3000):
        packed = bytes(rng.choice([0, 0, 0, rng.randrange(256)]) for _byte in range(16))
        address = ipaddress.ip_address(packed if rng.random() < 0.7 else packed[:4])
        bits = rng.randrange(address.max_prefixlen + 1)
        network = ipaddress.ip_network('%s/%d' % (address, bits), strict=False)
        texts += [str(address), str(network), '%s/%d' % (address, bits), address.exploded, str(network.network_address)]
    for text in texts:
        try:
            expected = blocklist.parse_entry_slowly(text.strip())
        except ValueError:
            expected = ValueError
        try:
            assert blocklist.parse_entry(text) == expected, text
        except ValueError:
            assert expected is ValueError, text


def test_plain_blocklist_format_with_comments():
    text = '# VoIP blocklist\n192.0.2.7\n198.51.100.0/24 ; SBL123\n\n  203.0.113.9  # scanner\n2001:db8::1\n'
    assert blocklist.parse_lines(text) == (['192.0.2.7', '198.51.100.0/24', '203.0.113.9', '2001:db8::1'], [])


def test_invalid_lines_are_named_with_their_numbers():
    entries, invalid = blocklist.parse_lines('192.0.2.7\n<html>\n300.1.1.1\n')
    assert entries == ['192.0.2.7']
    assert invalid == ["line 2: '<html>'", "line 3: '300.1.1.1'"]


def test_ignoreip_of_every_jail_is_read_with_continuation_lines_and_without_comments(tmp_path):
    jail_local = tmp_path / 'jail.local'
    jail_local.write_text('[DEFAULT]\nbantime = 1h\nignoreip = 127.0.0.1/8 ::1 ; loopback\n    192.0.2.10, carrier.example\n'
                          'maxretry = 5\n\n[sshd]\nignoreip = 203.0.113.1 # office VPN\n')
    assert blocklist.read_ignoreip(str(jail_local)) == ['127.0.0.1/8', '::1', '192.0.2.10', 'carrier.example', '203.0.113.1']


def test_nested_networks_each_keep_their_own_expiry():
    segments = blocklist.network_segments([('10.0.0.0/8', 100.0), ('10.1.0.0/16', 200.0), ('10.2.0.0/16', 50.0),
                                           ('11.0.0.0/24', None), ('11.0.1.0/24', 5.0), ('11.0.0.128/25', 9.0)])
    text = [(blocklist.range_text(version, first, last), expiry) for version, first, last, expiry in segments]
    assert text == [('10.0.0.0/16', 100.0), ('10.1.0.0/16', 200.0), ('10.2.0.0-10.255.255.255', 100.0),
                    ('11.0.0.0/24', None), ('11.0.1.0/24', 5.0)]


def test_a_lifted_address_is_cut_out_of_a_listed_network():
    entries = blocklist.split_around({'192.0.2.0/30': None, '192.0.2.9': 7.0, '198.51.100.1': None, '192.0.2.2': 3.0},
                                     ['192.0.2.1', '198.51.100.1'])
    assert entries == {'192.0.2.0': None, '192.0.2.2/31': None, '192.0.2.9': 7.0, '192.0.2.2': 3.0}


def test_render_accepts_the_whitelist_before_any_list_and_gives_timeouts():
    whitelist = [blocklist.ipaddress.ip_network('192.0.2.10/32'), blocklist.ipaddress.ip_network('::1/128')]
    script = blocklist.render(dict(blocklist.DEFAULTS), {'fleet': {'203.0.113.7': NOW + 30.2, '2001:db8::/48': None}},
                              whitelist, NOW)
    assert script.startswith('table inet voipguard-blocklist\ndelete table inet voipguard-blocklist\n')
    rules = [line.strip() for line in script.splitlines() if 'saddr' in line]
    assert rules[:2] == ['ip saddr @allow4 meta mark set meta mark | 0x00100000 accept',
                         'ip6 saddr @allow6 meta mark set meta mark | 0x00100000 accept']
    assert 'ip saddr @fleet-a4 counter drop' in rules
    assert 'elements = { 203.0.113.7 timeout 31s };' in script
    assert 'elements = { 2001:db8::/48 };' in script
