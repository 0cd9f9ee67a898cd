# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/whitelist_report.py: which addresses the whitelist of each running jail covers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils import whitelist_report
from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import ValidationError


class FakeClient:
    """The part of Fail2banClient that whitelist_report uses."""

    def __init__(self, jails):
        self.jails = jails  # {name: (ignoreip, ignoreself, banned)}

    def status(self):
        return dict(jails=list(self.jails))

    def whitelist(self, jail, getaddrinfo, own_names):
        from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_client import Whitelist
        ignoreip, ignoreself, _banned = self.jails[jail]
        return Whitelist(ignoreip, ignoreself, getaddrinfo=getaddrinfo, own_names=own_names)

    def banned(self, jail):
        return self.jails[jail][2]


def fake_getaddrinfo(name, port, family, *args):
    table = {'office.example.com': {socket.AF_INET: ['198.51.100.177']}}
    addresses = table.get(name, {}).get(family)
    if not addresses:
        raise socket.gaierror('not found')
    return [(family, socket.SOCK_STREAM, 6, '', (address, 0)) for address in addresses]


def test_whitelist_report_of_current_bans_names_the_entry():
    client = FakeClient(dict(
        pbx=(['127.0.0.0/8', '198.51.100.0/25', 'office.example.com', 'nowhere.example.net'], False,
             ['203.0.113.7', '198.51.100.20', '198.51.100.177', '198.51.100.200']),
        sshd=(['127.0.0.0/8'], False, []),
    ))
    report, missing = whitelist_report.whitelist_report(client, getaddrinfo=fake_getaddrinfo, own_names=[])
    assert missing == []
    assert report['pbx']['whitelisted'] == [dict(address='198.51.100.20', entry='198.51.100.0/25'),
                                            dict(address='198.51.100.177', entry='office.example.com')]
    assert report['pbx']['not_whitelisted'] == ['203.0.113.7', '198.51.100.200']
    assert report['pbx']['unresolved'] == ['nowhere.example.net']
    assert report['sshd']['whitelisted'] == [] and report['sshd']['not_whitelisted'] == []


def test_whitelist_report_of_given_addresses_and_missing_jails():
    client = FakeClient(dict(pbx=(['192.0.2.0/24'], False, [])))
    report, missing = whitelist_report.whitelist_report(client, jails=['pbx', 'gone'], addresses=['192.0.2.9', '::ffff:203.0.113.5'],
                                                        getaddrinfo=fake_getaddrinfo, own_names=[])
    assert missing == ['gone']
    assert report['pbx']['whitelisted'] == [dict(address='192.0.2.9', entry='192.0.2.0/24')]
    assert report['pbx']['not_whitelisted'] == ['203.0.113.5']


def test_whitelist_report_refuses_a_network():
    with pytest.raises(ValidationError):
        whitelist_report.whitelist_report(FakeClient(dict(pbx=([], False, []))), addresses=['203.0.113.0/24'], own_names=[])
