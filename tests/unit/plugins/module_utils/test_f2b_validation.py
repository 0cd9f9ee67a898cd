# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of names, keys, values, addresses and durations (durations against the host's fail2ban parser:
tests/integration/plugins/module_utils/test_f2b_validation_fail2ban.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import (
    ValidationError,
    duration_to_seconds,
    duration_value_seconds,
    normalize_address,
    validate_address_entry,
    validate_duration,
    validate_key,
    validate_list_item,
    validate_section_name,
    validate_value,
)


@pytest.mark.parametrize('text, seconds', [
    ('600', 600), ('10m', 600), ('1h', 3600), ('-1', -1), ('1h30m', 5400), ('1d 2h', 93600),
    ('1hour+30min', 5400), ('0d 1h 30m', 5400), ('1.5h', 5400), ('2w', 1209600), ('1d12h', 129600),
    ('1 h', 3600), ('1H', 3600), ('6 months', 15778800), ('1year-6mo', 15778800), ('30s', 30),
])
def test_durations_fail2ban_accepts(text, seconds):
    assert duration_to_seconds(text) == pytest.approx(seconds)
    assert validate_duration(text, 'bantime') == text


@pytest.mark.parametrize('text', ['', 'abc', '1x', '1h-', 'h', '1..2', '10 minutes ago', '1h;', '2*3', '__import__("os")', '1 2 3'])
def test_durations_refused_name_key_and_value(text):
    with pytest.raises(ValidationError) as error:
        validate_duration(text, 'bantime')
    assert "'bantime'" in str(error.value)
    assert repr(text) in str(error.value)


# Whole seconds of a duration, as the compliance checks compare a policy's durations with the running jails'.
@pytest.mark.parametrize('value, seconds', [
    (600, 600), ('600', 600), ('10m', 600), ('1h', 3600), ('2h', 7200), ('1d', 86400), ('1d 12h', 129600),
    ('1.5h', 5400), ('-1', -1), ('30 minutes', 1800), ('1w', 604800), ('1mo', 2629800), ('1y', 31557600),
    ('45s', 45), ('1h30m', 5400),
])
def test_duration_value_seconds(value, seconds):
    assert duration_value_seconds(value) == seconds


@pytest.mark.parametrize('value', ['', 'h', '10 parsecs', 'ten', True, '1h; rm'])
def test_duration_value_seconds_refuses_garbage(value):
    with pytest.raises(ValueError):
        duration_value_seconds(value)


@pytest.mark.parametrize('name', ['sshd', 'DEFAULT', 'freeswitch-ip', 'Definition', 'INCLUDES', 'sshd?family=inet6', 'a b'])
def test_section_names_accepted(name):
    assert validate_section_name(name) == name


@pytest.mark.parametrize('name, reason', [
    ('', 'empty'), ('a]\n[b', 'line break'), ('evil]', "']'"), ('[evil', "'['"), (' sshd', 'whitespace'),
    ('sshd ', 'whitespace'), ('a ;b', "';'"), ('#x', "'#'"), ('a\rb', 'line break'), ('a\x00', 'control'),
])
def test_section_names_refused(name, reason):
    with pytest.raises(ValidationError) as error:
        validate_section_name(name)
    assert reason in str(error.value)


@pytest.mark.parametrize('key', ['bantime', 'bantime.increment', 'BanTime', 'action_mwl', 'known/x'])
def test_keys_accepted(key):
    assert validate_key(key) == key


@pytest.mark.parametrize('key, reason', [
    ('', 'empty'), ('a=b', "'='"), ('a:b', "':'"), ('[sshd]', "'['"), ('a b', 'whitespace'), ('a\nb', 'line break'),
    ('#bantime', "'#'"), (';x', "';'"), (None, 'not a string'),
])
def test_keys_refused_name_the_key(key, reason):
    with pytest.raises(ValidationError) as error:
        validate_key(key, 'sshd')
    assert reason in str(error.value)
    assert '[sshd]' in str(error.value)
    if key:
        assert repr(key) in str(error.value)


@pytest.mark.parametrize('key, value', [
    ('bantime', '1h'), ('bantime', '%(known/bantime)s'), ('maxretry', '5'), ('maxretry', ''), ('enabled', 'true'),
    ('enabled', 'False'), ('bantime.factor', '1.5'), ('usedns', 'no'), ('action', '%(action_mwl)s'),
    ('failregex', r'^%%(__prefix_line)s auth failure from <HOST>$'), ('port', '5060,5061'), ('filter', 'freeswitch[mode=extra]'),
    ('logpath', '/var/log/freeswitch/freeswitch.log'), ('x', 'a;b'), ('x', '#not a comment on the key line'),
])
def test_values_accepted(key, value):
    assert validate_value(key, value) == value


@pytest.mark.parametrize('key, value, reason', [
    ('bantime', 'abc', 'duration'), ('findtime', '1 hour ago', 'duration'), ('maxretry', 'five', 'integer'),
    ('maxretry', '5.5', 'integer'), ('bantime.factor', 'x', 'number'), ('enabled', 'treu', 'boolean'),
    ('enabled', '', 'boolean'), ('usedns', 'maybe', 'one of'), ('x', 'a\nb', 'line break'),
    ('x', 'a\n[evil]\nenabled = true', 'line break'), ('x', ' padded', 'whitespace'), ('x', 'a ; b', 'comment'),
    ('x', ';a', 'comment'), ('x', '50%', "'%'"), ('x', '%(broken', "'%'"), ('x', 'a\rb', 'line break'),
])
def test_values_refused_name_key_and_value(key, value, reason):
    with pytest.raises(ValidationError) as error:
        validate_value(key, value)
    message = str(error.value)
    assert reason in message
    assert repr(key) in message
    assert repr(value) in message


@pytest.mark.parametrize('text', [
    '192.0.2.1', '192.0.2.0/24', '192.0.2.7/24', '192.0.2.0/255.255.255.0', '2001:db8::1', '2001:DB8::/32', '::1',
    '127.0.0.1/8', 'pbx.example.com', 'example.net.', 'localhost', 'host-1.example.com',
])
def test_addresses_accepted(text):
    assert validate_address_entry(text) == text


@pytest.mark.parametrize('text', [
    '', '192.0.2.300', '192.0.2.1/33', '2001:db8::/129', '2001:db8:::1', 'fe80::1%eth0', '[2001:db8::1]',
    '*.example.com', '-bad.example.com', 'a..b', 'exa mple.com', '192.0.2.1,198.51.100.1', '192.0.2.1/', 'x' * 64 + '.com',
    '1.2.3', 'file:/etc/hosts',
])
def test_addresses_refused(text):
    with pytest.raises(ValidationError) as error:
        validate_address_entry(text)
    assert repr(text) in str(error.value) or 'empty' in str(error.value)


def test_addresses_compare_by_meaning():
    assert normalize_address('2001:DB8::1') == normalize_address('2001:db8:0::1')
    assert normalize_address('192.0.2.7/24') == normalize_address('192.0.2.0/24')
    assert normalize_address('PBX.Example.com.') == normalize_address('pbx.example.com')


def test_ignoreip_items_validated_as_addresses():
    assert validate_list_item('ignoreip', '%(known/ignoreip)s') == '%(known/ignoreip)s'
    with pytest.raises(ValidationError) as error:
        validate_list_item('ignoreip', '192.0.2.999')
    assert "'ignoreip'" in str(error.value) and "'192.0.2.999'" in str(error.value)
    with pytest.raises(ValidationError):
        validate_list_item('logpath', '#/var/log/x')
