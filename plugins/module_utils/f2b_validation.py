# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Validation of what we write into fail2ban configuration files.

Plain Python (standard library only, Python 3.9+): modules and unit tests import it
without Ansible. Every check raises ValidationError whose message names the key (or
section) and shows the offending value, so an operator can find it in the inventory.

The rules mirror how fail2ban 1.0 reads its files: Python's configparser with
``inline_comment_prefixes=";"``, comment lines starting with ``#`` or ``;``, keys folded
to lower case, ``%`` interpolation, durations parsed by ``MyTime.str2seconds`` and
booleans by ``helpers._as_bool``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import ipaddress
import re

# Keys whose value fail2ban reads as a duration (MyTime.str2seconds).
DURATION_KEYS = frozenset([
    'bantime', 'findtime', 'bantime.maxtime', 'bantime.rndtime', 'dbpurgeage',
])
# Keys fail2ban converts with int().
INTEGER_KEYS = frozenset(['maxretry', 'maxmatches', 'dbmaxmatches', 'maxlines'])
# Keys used as a number in a formula.
NUMBER_KEYS = frozenset(['bantime.factor'])
# Keys fail2ban reads as booleans: anything outside the accepted words silently means
# "false" to fail2ban, so a typo would disable a jail without a word.
BOOLEAN_KEYS = frozenset(['enabled', 'bantime.increment', 'bantime.overalljails', 'ignoreself'])
# Keys with a fixed set of accepted words.
CHOICE_KEYS = {
    'usedns': ('yes', 'warn', 'no', 'raw'),
}
# Keys whose value is a list of addresses.
ADDRESS_LIST_KEYS = frozenset(['ignoreip'])

# configparser's boolean words (fail2ban accepts the true ones; we refuse anything else).
TRUE_WORDS = ('1', 'yes', 'true', 'on')
FALSE_WORDS = ('0', 'no', 'false', 'off')

# fail2ban's units (MyTime._str2sec_parts), longest spelling first so the regex is greedy.
_SECONDS_PER_YEAR = (365 * 3 + 366) * 24 * 60 * 60 / 4
_DURATION_UNITS = (
    (('years', 'year', 'yea', 'ye', 'yy', 'y'), _SECONDS_PER_YEAR),
    (('months', 'month', 'mon', 'mo'), _SECONDS_PER_YEAR / 12),
    (('weeks', 'week', 'wee', 'we', 'ww', 'w'), 7 * 24 * 60 * 60),
    (('days', 'day', 'da', 'dd', 'd'), 24 * 60 * 60),
    (('hours', 'hour', 'hou', 'ho', 'hh', 'h'), 60 * 60),
    (('minutes', 'minute', 'min', 'mi', 'mm', 'm'), 60),
    (('seconds', 'second', 'sec', 'se', 'ss', 's'), 1),
)
_UNIT_SECONDS = dict((spelling, seconds) for spellings, seconds in _DURATION_UNITS for spelling in spellings)
_UNIT_ALTERNATION = '|'.join(sorted(_UNIT_SECONDS, key=len, reverse=True))
# One term: a number with an optional unit. A unit may be followed by the next term's
# digits ("1h30m") but not by more letters ("1hx").
_DURATION_TERM = r'(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>%s)?(?![A-Za-z_])' % _UNIT_ALTERNATION
_DURATION_TERM_RE = re.compile(r'\s*(?P<sign>[+-]?)\s*' + _DURATION_TERM, re.IGNORECASE)

_INTEGER_RE = re.compile(r'^[+-]?\d+$')
_NUMBER_RE = re.compile(r'^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$')
# A value made only of one interpolation reference: fail2ban resolves it later, its type
# is the referenced value's business.
_INTERPOLATION_ONLY_RE = re.compile(r'^%\([^()%\s]+\)s$')
# What configparser's BasicInterpolation accepts after a '%', read left to right.
_PERCENT_TOKEN_RE = re.compile(r'%%|%\([^()%\s]+\)s')
_CONTROL_RE = re.compile(r'[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]')
# A ';' at the start of a value or after whitespace starts an inline comment for fail2ban.
_INLINE_COMMENT_RE = re.compile(r'(?:^|\s);')
_DNS_LABEL_RE = re.compile(r'^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$')


class ValidationError(ValueError):
    """A name, key or value that must not be written to a fail2ban file."""


def show(text):
    """Quote a user value for an error message, making control characters visible."""
    return repr(text)


def _fail(subject, text, reason):
    raise ValidationError('%s: %s %s' % (subject, show(text), reason))


def _check_no_control(subject, text):
    match = _CONTROL_RE.search(text)
    if match:
        if match.group(0) in '\r\n\x85\u2028\u2029':
            _fail(subject, text, 'contains a line break, which would start a new line in the file')
        _fail(subject, text, 'contains the control character %s' % show(match.group(0)))


def _check_one_line_string(subject, text, what):
    """The checks every name and entry starts with: a non-empty string (a `what`), without control characters."""
    if not isinstance(text, str):
        raise ValidationError('%s: %s is not a string' % (subject, show(text)))
    if not text:
        raise ValidationError('%s: the %s is empty' % (subject, what))
    _check_no_control(subject, text)


def validate_section_name(name):
    """Check a section (jail) name; return it unchanged."""
    subject = 'invalid section name'
    _check_one_line_string(subject, name, 'name')
    if name != name.strip():
        _fail(subject, name, 'has leading or trailing whitespace')
    for char in '[]':
        if char in name:
            _fail(subject, name, "contains '%s', which would break the section header" % char)
    if _INLINE_COMMENT_RE.search(name):
        _fail(subject, name, "contains ';' after whitespace, which fail2ban reads as a comment")
    if name[0] in '#;':
        _fail(subject, name, "starts with '%s', which reads as a comment" % name[0])
    return name


def validate_key(key, section=None):
    """Check an option name; return it unchanged."""
    subject = 'invalid key' if section is None else 'invalid key in section [%s]' % section
    _check_one_line_string(subject, key, 'key')
    if re.search(r'\s', key):
        _fail(subject, key, 'contains whitespace')
    for char in '=:':
        if char in key:
            _fail(subject, key, "contains '%s', which fail2ban reads as the end of the key" % char)
    for char in '[]':
        if char in key:
            _fail(subject, key, "contains '%s', which could read as a section header" % char)
    if key[0] in '#;':
        _fail(subject, key, "starts with '%s', which reads as a comment" % key[0])
    return key


def is_interpolation_only(text):
    """True when the value is exactly one ``%(name)s`` reference."""
    return bool(_INTERPOLATION_ONLY_RE.match(text))


def validate_value(key, text):
    """Check that a one-line value is written and read back unchanged by fail2ban.

    Then apply the type rule of the key (duration, integer, number, boolean, choice).
    Returns the text unchanged.
    """
    subject = 'invalid value for key %s' % show(key)
    if not isinstance(text, str):
        raise ValidationError('%s: %s is not a string' % (subject, show(text)))
    _check_no_control(subject, text)
    if text != text.strip():
        _fail(subject, text, 'has leading or trailing whitespace, which fail2ban strips')
    if _INLINE_COMMENT_RE.search(text):
        _fail(subject, text, "contains ';' at the start or after whitespace, which fail2ban reads as a comment")
    if '%' in _PERCENT_TOKEN_RE.sub('', text):
        _fail(subject, text, "contains '%' not followed by '%' or '(name)s'; write a literal percent sign as '%%'")
    validate_typed_value(key, text)
    return text


def validate_typed_value(key, text):
    """Apply the type rule of a well-known fail2ban key (no-op for other keys)."""
    lowered = key.lower()
    if not text and lowered not in BOOLEAN_KEYS:
        # An empty value means "use the default" for fail2ban's typed options.
        return text
    if is_interpolation_only(text):
        return text
    subject = 'invalid value for key %s' % show(key)
    if lowered in DURATION_KEYS:
        validate_duration(text, key)
    elif lowered in INTEGER_KEYS:
        if not _INTEGER_RE.match(text):
            _fail(subject, text, 'is not an integer')
    elif lowered in NUMBER_KEYS:
        if not _NUMBER_RE.match(text):
            _fail(subject, text, 'is not a number')
    elif lowered in BOOLEAN_KEYS:
        if text.lower() not in TRUE_WORDS + FALSE_WORDS:
            _fail(subject, text, 'is not a boolean (true/false, yes/no, on/off, 1/0)')
    elif lowered in CHOICE_KEYS:
        if text not in CHOICE_KEYS[lowered]:
            _fail(subject, text, 'is not one of: %s' % ', '.join(CHOICE_KEYS[lowered]))
    return text


def duration_to_seconds(text):
    """Seconds meant by a fail2ban duration such as ``600``, ``10m``, ``1h30m``, ``1d 2h``, ``-1``.

    Accepts what fail2ban documents for ``MyTime.str2seconds``: numbers with optional
    units (years, months "mo", weeks, days, hours, minutes "m", seconds), several terms
    separated by spaces, ``+`` or ``-``. Raises ValueError for anything else (fail2ban
    would ``eval`` it).
    """
    if not isinstance(text, str):
        raise ValueError('not a string: %r' % (text,))
    position = 0
    total = 0
    terms = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _DURATION_TERM_RE.match(stripped, position)
        if not match or match.end() == position:
            raise ValueError('not a duration: %r' % (text,))
        number = float(match.group('number')) if '.' in match.group('number') else int(match.group('number'))
        unit = match.group('unit')
        value = number * _UNIT_SECONDS[unit.lower()] if unit else number
        total = total - value if match.group('sign') == '-' else total + value
        position = match.end()
        terms += 1
    if not terms:
        raise ValueError('not a duration: %r' % (text,))
    # fail2ban turns the text into an arithmetic expression and evals it; some term sequences our
    # grammar accepts (three bare numbers: "1 2 3") do not survive that. Mirror its rewrite and
    # refuse what would not parse, so a duration fail2ban rejects is never installed.
    if not _fail2ban_expression_parses(stripped):
        raise ValueError('fail2ban cannot read this duration: %r' % (text,))
    return total


# The rewrite of fail2ban's MyTime.str2seconds (fail2ban/server/mytime.py), without the eval.
_F2B_PREP_RE = re.compile(r'(?i)(?<=[a-z])(\d)')
_F2B_SUBPART = r'(?i)(?<=[\d\s])(%s)\b'
_F2B_PARTS = tuple(re.compile(_F2B_SUBPART % units) for units in (
    r'days?|da|dd?', r'weeks?|wee?|ww?', r'months?|mon?', r'years?|yea?|yy?',
    r'seconds?|sec?|ss?', r'minutes?|min?|mm?', r'hours?|hou?|hh?'))
_F2B_FINI_RE = re.compile(r'(\d)\s+(\d)')


def _fail2ban_expression_parses(text):
    expression = _F2B_PREP_RE.sub(r' \1', text)
    for pattern in _F2B_PARTS:
        expression = pattern.sub('*1', expression)
    expression = _F2B_FINI_RE.sub(r'\1+\2', expression)
    try:
        ast.parse(expression.strip(), mode='eval')
    except SyntaxError:
        return False
    return True


def validate_duration(text, key='duration'):
    """Check a fail2ban duration; return the text unchanged."""
    if isinstance(text, str) and is_interpolation_only(text):
        return text
    try:
        duration_to_seconds(text)
    except ValueError:
        _fail('invalid value for key %s' % show(key), text,
              'is not a fail2ban duration (examples: 600, 10m, 1h, 1h30m, 1d 2h, -1)')
    return text


def duration_value_seconds(value):
    """Whole seconds of a duration value as a role or playbook gives it: an integer (seconds), or text that
    validate_value accepts for bantime and that is a duration (not an interpolation, not empty). The one
    reading of a duration outside the modules; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError('not a duration: %r' % (value,))
    if isinstance(value, int):
        return value
    text = str(value)
    try:
        validate_value('bantime', text)
    except ValidationError as exc:
        raise ValueError(str(exc))
    return int(duration_to_seconds(text))


def normalize_address(text):
    """Canonical form of an ignoreip entry, for comparing entries.

    IPv4/IPv6 addresses, networks in CIDR form (``192.0.2.0/24``, host bits allowed as
    fail2ban masks them, IPv4 dotted masks too) and DNS names. A network of one address (``/32``,
    ``/128``) is that address, and an IPv4-mapped IPv6 address written without a prefix (``::ffff:192.0.2.7``)
    its IPv4 address, as fail2ban stores them (with a prefix fail2ban keeps it an IPv6 network, which no IPv4
    address is in). Raises ValidationError.
    """
    subject = 'invalid address'
    _check_one_line_string(subject, text, 'entry')
    if text != text.strip() or re.search(r'[\s,;#%\[\]]', text):
        _fail(subject, text, 'is not an IPv4/IPv6 address, a CIDR network or a DNS name')
    try:
        if '/' in text:
            address, prefix = text.split('/', 1)
            if not prefix or not (prefix.isdigit() or '.' in prefix):
                raise ValueError(text)
            network = ipaddress.ip_network('%s/%s' % (ipaddress.ip_address(address), prefix), strict=False)
        else:
            address = ipaddress.ip_address(text)
            if address.version == 6 and address.ipv4_mapped is not None:
                address = address.ipv4_mapped
            network = ipaddress.ip_network(address)
        # One address is written bare, but for an IPv4-mapped /128: bare, it would read as the IPv4 address.
        mapped = network.version == 6 and network.network_address.ipv4_mapped is not None
        if network.prefixlen == network.max_prefixlen and not mapped:
            return str(network.network_address)
        return str(network)
    except ValueError:
        pass
    name = text[:-1] if text.endswith('.') else text
    labels = name.split('.')
    if (len(name) <= 253 and '/' not in name and all(_DNS_LABEL_RE.match(label) for label in labels)
            and not labels[-1].isdigit()):
        return name.lower()
    _fail(subject, text, 'is not an IPv4/IPv6 address, a CIDR network or a DNS name')
    return None  # not reached


def validate_address_entry(text):
    """Check one ignoreip entry (IPv4/IPv6 address, CIDR network or DNS name); return it unchanged."""
    normalize_address(text)
    return text


def validate_list_item(key, text):
    """Check one item of a list-valued key (each may end up alone on a continuation line)."""
    validate_value(key, text)
    if not text:
        raise ValidationError('invalid value for key %s: a list item is empty' % show(key))
    if text[0] in '#;':
        _fail('invalid value for key %s' % show(key), text,
              "starts with '%s', which reads as a comment on a continuation line" % text[0])
    if key.lower() in ADDRESS_LIST_KEYS and not is_interpolation_only(text):
        try:
            validate_address_entry(text)
        except ValidationError:
            _fail('invalid value for key %s' % show(key), text,
                  'is not an IPv4/IPv6 address, a CIDR network or a DNS name')
    return text
