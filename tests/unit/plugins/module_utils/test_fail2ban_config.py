# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fail2ban INI document model: byte-exact round trips, minimal edits, refusals."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import configparser
import difflib
import io
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import ValidationError
from ansible_collections.voipguard.pbx.plugins.module_utils.fail2ban_config import (
    ConfigDocument,
    ConfigError,
    default_config_dir,
    edit_section,
    fail2ban_test_errors,
    split_lines,
)

HYPOTHESIS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- helpers
def fail2ban_view(text):
    """{section: {key: value}} as fail2ban's configparser setup reads the text (duplicates: last wins)."""
    parser = configparser.ConfigParser(inline_comment_prefixes=';', strict=False, interpolation=None)
    parser.read_file(io.StringIO(text, newline=None))
    view = dict((name, dict(parser._sections[name])) for name in parser._sections)  # pylint: disable=protected-access
    if parser.defaults():
        view['DEFAULT'] = dict(parser.defaults())
    return view


def our_view(text):
    view = {}
    for name, entries in ConfigDocument(text).semantic():
        section = view.setdefault(name, {})
        for key, value in entries:
            section[key] = value
    if not view.get('DEFAULT'):
        view.pop('DEFAULT', None)
    return view


def changed_line_numbers(before, after):
    """Indexes of lines of `before` replaced or deleted, and positions (in `before`) where lines were inserted."""
    matcher = difflib.SequenceMatcher(None, split_lines(before), split_lines(after), autojunk=False)
    touched = []
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag == 'equal':
            continue
        touched.extend(range(i1, i2) if i2 > i1 else [i1])
    return touched


def unified(before, after):
    return list(difflib.unified_diff(split_lines(before), split_lines(after), n=0))


def diff_body(before, after):
    """Only the -/+ lines of a unified diff, line endings dropped."""
    return [line.rstrip('\r\n') for line in unified(before, after)[2:] if not line.startswith('@@')]


# ---------------------------------------------------------------- generated files
EOLS = st.sampled_from(['\n', '\r\n'])
_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
_DIGITS = '0123456789'


def _word(first, rest, max_size):
    return st.builds(lambda head, tail: head + tail, st.sampled_from(first), st.text(alphabet=rest, max_size=max_size))


NAMES = _word(_LETTERS, _LETTERS + _DIGITS + '_.-', 7)
KEYS = _word(_LETTERS, _LETTERS + _DIGITS + '_.', 7)
_VALUE_CHARS = _LETTERS[:6] + _DIGITS[:4] + '%()/.,:=_[]<>*#;-'
VALUE_TEXT = _word(_VALUE_CHARS, _VALUE_CHARS + '  ', 15)
SPACES = st.sampled_from(['', ' ', '  ', '\t'])
INDENTS = st.sampled_from([' ', '  ', '    ', '\t', '           '])


@st.composite
def ini_line(draw, in_section):
    kind = draw(st.sampled_from(['option', 'option', 'option', 'comment', 'blank', 'continuation', 'header']
                                if in_section else ['comment', 'blank', 'header']))
    if kind == 'header':
        return '[%s]%s' % (draw(NAMES), draw(st.sampled_from(['', ' ', ' ; note'])))
    if kind == 'comment':
        return draw(st.sampled_from(['', ' ', '  '])) + draw(st.sampled_from(['#', ';'])) + draw(VALUE_TEXT)
    if kind == 'blank':
        return draw(st.sampled_from(['', ' ', '\t', '   ']))
    if kind == 'continuation':
        return draw(INDENTS) + draw(VALUE_TEXT)
    return '%s%s%s%s%s%s%s%s' % (
        draw(st.sampled_from(['', '', ' '])), draw(KEYS), draw(SPACES), draw(st.sampled_from(['=', '=', ':'])),
        draw(SPACES), draw(st.one_of(st.just(''), VALUE_TEXT)), draw(st.sampled_from(['', ' ', '  '])),
        draw(st.sampled_from(['', '', ' ; inline', '\t;x'])))


@st.composite
def ini_file(draw):
    """A file fail2ban can read: comments/blank lines, then sections with options, comments, continuation lines."""
    lines = draw(st.lists(ini_line(False).filter(lambda line: not line.startswith('[')), max_size=3))
    for _section in range(draw(st.integers(min_value=0, max_value=5))):
        lines.append('[%s]' % draw(st.one_of(NAMES, st.just('DEFAULT'), st.just('sshd'))))
        lines.extend(draw(st.lists(ini_line(True), max_size=8)))
    eol = draw(EOLS)
    if draw(st.booleans()):
        ends = [draw(EOLS) for _line in lines]  # mixed line endings
    else:
        ends = [eol] * len(lines)
    text = ''.join(line + end for line, end in zip(lines, ends))
    if lines and draw(st.booleans()):
        text = text[:-len(ends[-1])]  # no final line ending
    return text


def readable(text):
    try:
        fail2ban_view(text)
    except configparser.Error:
        return False
    return True


# ---------------------------------------------------------------- round trips and parsing
@HYPOTHESIS
@given(st.text(alphabet=st.characters(blacklist_categories=('Cs',)), max_size=300))
def test_any_text_renders_back_byte_identical(text):
    assert ConfigDocument(text).render() == text


@HYPOTHESIS
@given(ini_file())
def test_generated_file_round_trips_and_parses_like_fail2ban(text):
    document = ConfigDocument(text)
    assert document.render() == text
    assume(readable(text))
    assert our_view(text) == fail2ban_view(text)


@pytest.mark.parametrize('text', ['', '\n', 'no newline', '[a]\r\nk = v\r\n', '[a]\rk = v\r', '[a]\nk = v', '\ufeff[a]\n'])
def test_edge_files_round_trip(text):
    assert ConfigDocument(text).render() == text


def test_parse_follows_fail2ban_rules():
    text = ('[DEFAULT]\n'
            'BanTime = 1h ; inline comment\n'
            'ignoreip = 127.0.0.1/8\n'
            '# a comment inside the value does not end it\n'
            '\n'
            '    192.0.2.1   ; office\n'
            'failregex = ^fail;no-comment-here$\n'
            '[sshd]\n'
            '  port = ssh\n'
            '    [not-a-section]\n')
    document = ConfigDocument(text)
    assert document.semantic() == [
        ('DEFAULT', [('bantime', '1h'), ('ignoreip', '127.0.0.1/8\n\n192.0.2.1'), ('failregex', '^fail;no-comment-here$')]),
        ('sshd', [('port', 'ssh\n[not-a-section]')]),
    ]
    assert our_view(text) == fail2ban_view(text)


# ---------------------------------------------------------------- edits on generated files
@HYPOTHESIS
@given(ini_file(), st.one_of(NAMES, st.just('sshd'), st.just('DEFAULT')), KEYS,
       st.one_of(_word(_LETTERS + _DIGITS, _LETTERS + _DIGITS + '/._-', 11), st.integers(0, 99), st.booleans()))
def test_setting_a_key_touches_only_its_section_and_is_idempotent(text, name, key, value):
    assume(readable(text))
    assume(key.lower() not in ('bantime', 'findtime', 'maxretry', 'enabled', 'ignoreip', 'action', 'logpath',
                               'failregex', 'ignoreregex', 'usedns', 'maxlines', 'maxmatches', 'dbpurgeage',
                               'dbmaxmatches', 'ignoreself'))
    document = ConfigDocument(text)
    sections = document.find_sections(name)
    try:
        result = edit_section(text, name, settings={key: value})
    except ConfigError as error:
        # only a repeated section or key may be refused, and the message says where
        repeated = len(sections) > 1 or len(sections[0].find(key)) > 1
        assert repeated, str(error)
        assert 'lines' in str(error)
        return
    expected = value if isinstance(value, str) else ('true' if value is True else 'false' if value is False else str(value))
    after = fail2ban_view(result.text)
    before = fail2ban_view(text)
    got = after[name][key.lower()]
    if isinstance(value, bool):
        assert got.lower() in (('1', 'yes', 'true', 'on') if value else ('0', 'no', 'false', 'off'))
    else:
        assert got == expected
    for other in set(before) | set(after):
        if other != name:
            assert before.get(other) == after.get(other)
        else:
            unchanged = dict((k, v) for k, v in before.get(name, {}).items() if k != key.lower())
            assert dict((k, v) for k, v in after[name].items() if k != key.lower()) == unchanged
    if sections:
        section = sections[0]
        allowed = set(range(section.header, section.end + 1))
        assert set(changed_line_numbers(text, result.text)) <= allowed
    else:
        tail = len(split_lines(text))
        assert all(index >= tail - 1 for index in changed_line_numbers(text, result.text))
    again = edit_section(result.text, name, settings={key: value})
    assert not again.changed
    assert again.text == result.text


@HYPOTHESIS
@given(ini_file(), st.one_of(NAMES, st.just('sshd'), st.just('DEFAULT')))
def test_removing_a_section_leaves_the_others(text, name):
    assume(readable(text))
    try:
        result = edit_section(text, name, state='absent')
    except ConfigError:
        assert len(ConfigDocument(text).find_sections(name)) > 1
        return
    before = fail2ban_view(text)
    after = fail2ban_view(result.text)
    before.pop(name, None)
    assert name not in after or (name == 'DEFAULT' and not after[name])
    assert before == after
    assert result.changed == bool(ConfigDocument(text).find_sections(name))


@HYPOTHESIS
@given(ini_file(), st.lists(st.sampled_from(['192.0.2.1', '192.0.2.0/24', '2001:db8::1', 'pbx.example.com', '::1',
                                             '198.51.100.7', '127.0.0.1/8']), max_size=5),
       st.sampled_from(['exact', 'add', 'remove']))
def test_ignoreip_modes_on_generated_files(text, addresses, mode):
    assume(readable(text))
    names = [section.name for section in ConfigDocument(text).sections]
    name = names[0] if names else 'DEFAULT'
    try:
        result = edit_section(text, name, settings={'ignoreip': addresses}, list_mode=mode)
    except ConfigError:
        return
    before = fail2ban_view(text).get(name, {}).get('ignoreip')
    after = fail2ban_view(result.text).get(name, {}).get('ignoreip')
    old = set(before.replace(',', ' ').split()) if before is not None else set()
    new = set(after.replace(',', ' ').split()) if after is not None else set()
    if mode == 'exact':
        assert new == set(addresses)
    elif mode == 'add':
        assert new == old | set(addresses)
    else:
        assert new == old - set(addresses)
    assert not edit_section(result.text, name, settings={'ignoreip': list(reversed(addresses))}, list_mode=mode).changed


# ---------------------------------------------------------------- realistic file
@pytest.fixture
def jail_local(fixture_text):
    return fixture_text('fusionpbx-jail.local')


def test_fixture_is_readable_by_fail2ban_rules(jail_local):
    assert len(fail2ban_view(jail_local)) == 13
    assert our_view(jail_local) == fail2ban_view(jail_local)


def test_change_one_value_changes_one_line(jail_local):
    result = edit_section(jail_local, 'freeswitch', settings={'bantime': '1h', 'maxretry': 5, 'enabled': True})
    assert result.changed_keys == ['bantime']
    assert diff_body(jail_local, result.text) == ['-bantime  = 600', '+bantime  = 1h']


def test_add_address_to_multiline_ignoreip_adds_one_line(jail_local):
    result = edit_section(jail_local, 'DEFAULT', settings={'ignoreip': ['203.0.113.5']}, list_mode='add')
    assert diff_body(jail_local, result.text) == ['+           203.0.113.5']
    assert result.text.index('203.0.113.5') < result.text.index('#bantime')


def test_exact_ignoreip_in_another_order_is_unchanged(jail_local):
    addresses = ['pbx-monitor.example.com', '198.51.100.0/24', '::1', '192.0.2.10', '127.0.0.1/8']
    result = edit_section(jail_local, 'DEFAULT', settings={'ignoreip': addresses})
    assert not result.changed
    assert result.text == jail_local


def test_exact_ignoreip_removes_only_the_line_of_the_dropped_address(jail_local):
    addresses = ['pbx-monitor.example.com', '::1', '192.0.2.10', '127.0.0.1/8']
    result = edit_section(jail_local, 'DEFAULT', settings={'ignoreip': addresses})
    assert diff_body(jail_local, result.text) == ['-           198.51.100.0/24   ; branch office']


def test_remove_address_sharing_the_key_line(jail_local):
    result = edit_section(jail_local, 'DEFAULT', settings={'ignoreip': ['::1']}, list_mode='remove')
    assert diff_body(jail_local, result.text) == ['-ignoreip = 127.0.0.1/8 ::1', '+ignoreip = 127.0.0.1/8']


def test_new_key_goes_after_its_commented_default(jail_local):
    result = edit_section(jail_local, 'sshd', settings={'maxretry': 3})
    lines = split_lines(result.text)
    commented = lines.index('#maxretry = 3\n')
    assert lines[commented + 1] == 'maxretry = 3\n'
    assert diff_body(jail_local, result.text) == ['+maxretry = 3']


def test_new_key_goes_at_end_of_section_content(jail_local):
    result = edit_section(jail_local, 'nginx-dos', settings={'bantime.increment': True})
    lines = split_lines(result.text)
    position = lines.index('bantime.increment = true\n')
    assert lines[position - 1] == 'maxretry = 300\n'
    assert lines[position + 1] == '\n'
    assert diff_body(jail_local, result.text) == ['+bantime.increment = true']


def test_commented_out_section_is_not_a_home_for_new_keys(jail_local):
    result = edit_section(jail_local, 'nginx-dos', settings={'port': '8080'})
    assert diff_body(jail_local, result.text) == ['-port     = 80,443', '+port     = 8080']
    result = edit_section(jail_local, 'nginx-dos', settings={'maxretry': None, 'enabled': False})
    assert diff_body(jail_local, result.text) == ['-enabled  = true', '+enabled  = false', '-maxretry = 300']
    result = edit_section(jail_local, 'recidive', settings={'maxretry': 3})
    lines = split_lines(result.text)
    assert lines[-1] == 'maxretry = 3\n'
    assert lines[lines.index(';maxretry = 3\n') + 1] == '\n'


def test_multiline_action_replaced_with_existing_indentation(jail_local):
    result = edit_section(jail_local, 'sip-auth-challenge',
                          settings={'action': ['iptables-allports[name=sip-auth-challenge, protocol=all]',
                                               '%(mta)s-whois[name=sip-auth-challenge, dest=security@example.com]']})
    assert diff_body(jail_local, result.text) == [
        '-             %(mta)s-whois[name=sip-auth-challenge, dest=admin@example.com]',
        '+             %(mta)s-whois[name=sip-auth-challenge, dest=security@example.com]']


def test_key_case_follows_fail2ban(jail_local):
    result = edit_section(jail_local, 'freeswitch', settings={'BanTime': '2h'})
    assert diff_body(jail_local, result.text) == ['-bantime  = 600', '+bantime  = 2h']
    assert result.changed_keys == ['BanTime']


def test_new_section_appended_after_one_blank_line(jail_local):
    result = edit_section(jail_local, 'freeswitch-tcp', settings={
        'enabled': True, 'port': '5060,5061', 'filter': 'freeswitch', 'logpath': ['/var/log/freeswitch/freeswitch.log'],
        'maxretry': 4, 'ignoreip': ['192.0.2.0/24', '2001:db8::/32'], 'bantime': None})
    assert result.text.startswith(jail_local)
    assert result.text[len(jail_local):] == (
        '\n[freeswitch-tcp]\nenabled = true\nport = 5060,5061\nfilter = freeswitch\n'
        'logpath = /var/log/freeswitch/freeswitch.log\nmaxretry = 4\nignoreip = 192.0.2.0/24 2001:db8::/32\n')
    assert result.changed_keys == ['enabled', 'port', 'filter', 'logpath', 'maxretry', 'ignoreip']
    assert result.before is None


def test_remove_section_removes_its_lines_and_the_blank_after(jail_local):
    result = edit_section(jail_local, 'fusionpbx-mac', state='absent')
    removed = diff_body(jail_local, result.text)
    assert removed[0] == '-[fusionpbx-mac]'
    assert all(line.startswith('-') for line in removed)
    assert len(removed) == 11  # header, 9 keys, the blank line before the next section
    assert result.changed_keys == ['enabled', 'port', 'protocol', 'filter', 'logpath', 'action', 'maxretry', 'findtime', 'bantime']
    assert not edit_section(result.text, 'fusionpbx-mac', state='absent').changed


def test_remove_last_section_leaves_no_trailing_blank_lines(jail_local):
    result = edit_section(jail_local, 'recidive', state='absent')
    assert result.text.endswith(';maxretry = 3\n')


def test_every_jail_edit_keeps_the_rest_byte_identical(jail_local):
    for section in ConfigDocument(jail_local).sections:
        result = edit_section(jail_local, section.name, settings={'findtime': '15m'})
        touched = changed_line_numbers(jail_local, result.text)
        assert touched and all(section.header < index <= section.end for index in touched), section.name
        assert len(unified(jail_local, result.text)) in (4, 5), section.name  # headers, hunk, at most -1 +1


# ---------------------------------------------------------------- styles kept
@pytest.mark.parametrize('text, settings_, expected', [
    ('[a]\r\nx = 1\r\n', {'y': '2'}, '[a]\r\nx = 1\r\ny = 2\r\n'),
    ('[a]\nx = 1', {'y': '2'}, '[a]\nx = 1\ny = 2'),
    ('[a]\nx=1\n', {'x': '2'}, '[a]\nx=2\n'),
    ('[a]\nx = 1   ; keep me\n', {'x': '2'}, '[a]\nx = 2   ; keep me\n'),
    ('[a]\nx =\n', {'x': '2'}, '[a]\nx = 2\n'),
    ('[a]\nx = ; note\n', {'x': '2'}, '[a]\nx = 2 ; note\n'),
    ('[a]\nx = 1 ; note\n', {'x': ''}, '[a]\nx = ; note\n'),
    ('[a]\n  x = 1\n  z = 3\n', {'y': '2'}, '[a]\n  x = 1\n  z = 3\n  y = 2\n'),
    ('[a]\nx = 1\n', {}, '[a]\nx = 1\n'),
    ('', {'y': '2'}, '[a]\ny = 2\n'),
    ('# only a comment', {'y': '2'}, '# only a comment\n\n[a]\ny = 2\n'),
    ('[b]\nk = v\n\n\n', {'y': '2'}, '[b]\nk = v\n\n\n[a]\ny = 2\n'),
    ('[a]\nx = 1\n', {'x': None}, '[a]\n'),
    ('[a]\nlist = a\n       b\nz = 1\n', {'list': ['a', 'b', 'c']}, '[a]\nlist = a\n       b\n       c\nz = 1\n'),
    ('[a]\nlist = a b\n', {'list': ['a', 'b', 'c']}, '[a]\nlist = a b c\n'),
    ('[a]\nlogpath = /x\n', {'logpath': ['/x', '/y z']}, '[a]\nlogpath = /x\n          /y z\n'),
    ('[a]\nignoreip =\n    192.0.2.1\n', {'ignoreip': ['192.0.2.1', '192.0.2.2']}, '[a]\nignoreip =\n    192.0.2.1\n    192.0.2.2\n'),
    ('[a]\nignoreip = 192.0.2.1, 192.0.2.2\n', {'ignoreip': ['192.0.2.2', '192.0.2.1', '::1']},
     '[a]\nignoreip = 192.0.2.1, 192.0.2.2 ::1\n'),
    ('[a]\nenabled = True\n', {'enabled': True}, '[a]\nenabled = True\n'),
    ('[a]\nenabled = True\n', {'enabled': 'true'}, '[a]\nenabled = True\n'),
    ('[a]\nenabled = false\n', {'enabled': True}, '[a]\nenabled = true\n'),
    ('[a]\nx = %(known/x)s\n', {'y': '%(x)s'}, '[a]\nx = %(known/x)s\ny = %(x)s\n'),
])
def test_edit_styles(text, settings_, expected):
    result = edit_section(text, 'a', settings=settings_)
    assert result.text == expected
    assert result.changed == (text != expected)
    assert not edit_section(result.text, 'a', settings=settings_).changed


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize('name, settings_, words', [
    ('evil]\n[x', {}, ['section name', 'line break']),
    ('a]', {}, ['section name', "'a]'"]),
    ('sshd', {'a=b': '1'}, ["'a=b'", "'='"]),
    ('sshd', {'x': 'a\n[evil]'}, ["'x'", 'line break']),
    ('sshd', {'bantime': 'forever'}, ["'bantime'", "'forever'", 'duration']),
    ('sshd', {'maxretry': 'many'}, ["'maxretry'", "'many'", 'integer']),
    ('sshd', {'maxretry': [1, 2]}, ["'maxretry'", 'list']),
    ('sshd', {'enabled': 'yess'}, ["'enabled'", "'yess'", 'boolean']),
    ('sshd', {'ignoreip': ['192.0.2.1', '192.0.2.256']}, ["'ignoreip'", "'192.0.2.256'"]),
    ('sshd', {'ignoreip': '192.0.2.1 not_a_host!'}, ["'ignoreip'", "'not_a_host!'"]),
    ('sshd', {'bantime': '1h', 'BANTIME': '2h'}, ["'bantime'", 'twice']),
    ('sshd', {'x': {'nested': 1}}, ["'x'", 'unsupported type']),
    ('sshd', {'x': 'a ; b'}, ["'x'", 'comment']),
])
def test_bad_input_is_refused_with_key_and_value(jail_local, name, settings_, words):
    with pytest.raises(ValidationError) as error:
        edit_section(jail_local, name, settings=settings_)
    for word in words:
        assert word in str(error.value)


def test_repeated_section_is_refused_naming_both_lines():
    text = '[sshd]\nenabled = true\n\n[other]\nx = 1\n\n[sshd]\nport = ssh\n'
    with pytest.raises(ConfigError) as error:
        edit_section(text, 'sshd', settings={'enabled': False})
    assert 'lines 1, 7' in str(error.value)
    with pytest.raises(ConfigError):
        edit_section(text, 'sshd', state='absent')
    assert not edit_section(text, 'other', settings={'x': 1}).changed


def test_repeated_key_is_refused_naming_both_lines():
    text = '[sshd]\nbantime = 1h\nport = ssh\nBanTime = 2h\n'
    with pytest.raises(ConfigError) as error:
        edit_section(text, 'sshd', settings={'bantime': '3h'})
    assert "'bantime'" in str(error.value) and 'lines 2, 4' in str(error.value)
    assert edit_section(text, 'sshd', settings={'port': '22'}).changed


def test_bad_mode_and_state_refused():
    with pytest.raises(ValidationError):
        edit_section('', 'a', list_mode='replace')
    with pytest.raises(ValidationError):
        edit_section('', 'a', state='gone')


# ---------------------------------------------------------------- helpers for validation with fail2ban
@pytest.mark.parametrize('path, expected', [
    ('/etc/fail2ban/jail.local', '/etc/fail2ban'),
    ('/etc/fail2ban/jail.d/freeswitch.local', '/etc/fail2ban'),
    ('/etc/fail2ban/fail2ban.d/log.local', '/etc/fail2ban'),
    ('/srv/f2b/jail.local', '/srv/f2b'),
])
def test_default_config_dir(path, expected):
    assert default_config_dir(path) == os.path.normpath(expected)


def test_fail2ban_test_errors_keeps_error_messages():
    stderr = ('2026-01-01 10:00:00,000 fail2ban.configreader   [1]: WARNING \'allowipv6\' not defined\n'
              '2026-01-01 10:00:00,000 fail2ban.jailreader     [1]: ERROR   Unable to read the filter \'nosuchfilter\'\n'
              '2026-01-01 10:00:00,000 fail2ban                [1]: ERROR   ERROR: test configuration failed\n')
    assert fail2ban_test_errors('', stderr) == "Unable to read the filter 'nosuchfilter'; ERROR: test configuration failed"
    assert fail2ban_test_errors('something odd', '') == 'something odd'
