# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Document model of a fail2ban INI file (jail.local, jail.d/*.local, fail2ban.local).

Plain Python (standard library only, Python 3.9+), no Ansible import.

The file is kept as a list of raw lines (with their own line endings); parsing only
annotates them. Rendering joins the raw lines, so every byte an edit does not touch is
written back unchanged. Each edit rewrites the smallest run of lines, then the file is
parsed again and its meaning is checked against what the edit intended (other sections
and keys unchanged, the edited keys holding the new value): an edit that would change
anything else is refused instead of written.

Parsing mirrors how fail2ban reads these files (Python's configparser as set up by
fail2ban's SafeConfigParserWithIncludes): section names are case-sensitive, keys are
folded to lower case (the default optionxform), ``=`` and ``:`` are delimiters, lines
starting with ``#`` or ``;`` are comments, ``;`` after whitespace starts an inline comment,
a line indented deeper than its key continues the value (comment and blank lines in
between do not end it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.voipguard.pbx.plugins.module_utils.f2b_validation import (
    ADDRESS_LIST_KEYS,
    BOOLEAN_KEYS,
    FALSE_WORDS,
    TRUE_WORDS,
    CHOICE_KEYS,
    DURATION_KEYS,
    INTEGER_KEYS,
    NUMBER_KEYS,
    ValidationError,
    is_interpolation_only,
    normalize_address,
    show,
    validate_key,
    validate_list_item,
    validate_section_name,
    validate_typed_value,
    validate_value,
)

# Keys whose items fail2ban reads one per line (actions, log paths, regexes): a list value
# for them is always written one item per line.
NEWLINE_LIST_KEYS = frozenset(['action', 'logpath', 'failregex', 'ignoreregex'])
DEFAULT_LIST_KEYS = ('ignoreip',)
LIST_MODES = ('exact', 'add', 'remove')
# Keys that choose a jail's actions or their parameters. fail2ban builds a jail's actions when the jail
# starts: a plain reload that brings an action the jail did not have drops all of them, and a command
# action's rule (pf.conf, iptables*.conf write port, protocol and chain in actionstart) is not rebuilt by a
# plain reload (it runs only actionreload, which they lack). Such a change needs
# "fail2ban-client reload --restart". action_* are the action templates jail.conf defines (action_, action_mw...).
ACTION_KEYS = frozenset(['action', 'banaction', 'banaction_allports', 'port', 'protocol', 'chain'])
ACTION_DIR = 'action.d'

_LINE_RE = re.compile(r'[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z')
_SECTION_RE = re.compile(r'\[(?P<header>.+)\]')
_OPTION_RE = re.compile(r'(?P<option>.*?)\s*(?P<vi>[=:])\s*(?P<value>.*)$')
_NONSPACE_RE = re.compile(r'\S')
_OPTION_PARTS_RE = re.compile(
    r'(?P<indent>\s*)(?P<name>.*?)(?P<pre>\s*)(?P<vi>[=:])(?P<post>\s*)(?P<value>.*?)(?P<trail>\s*)$', re.S)
_COMMENTED_OPTION_RE = re.compile(r'^\s*[#;]+\s*(?P<key>[^\s=:\[\]#;]+)\s*[=:]')
_COMMENTED_HEADER_RE = re.compile(r'^\s*[#;]+\s*\[[^\]]+\]')
_WORD_SPLIT_RE = re.compile(r'[\s,]+')


class ConfigError(Exception):
    """The file or the requested change cannot be handled safely; nothing was changed."""


def split_lines(text):
    """Split text into lines that keep their endings (LF, CRLF or CR), like universal newlines."""
    return _LINE_RE.findall(text)


def _strip_eol(raw):
    if raw.endswith('\r\n'):
        return raw[:-2], '\r\n'
    if raw.endswith('\n') or raw.endswith('\r'):
        return raw[:-1], raw[-1]
    return raw, ''


def comment_start(content):
    """Index where the comment of a line starts (fail2ban's rules), or None."""
    if content.strip().startswith(('#', ';')):
        return 0
    index = content.find(';')
    while index != -1:
        if index == 0 or content[index - 1].isspace():
            return index
        index = content.find(';', index + 1)
    return None


def _indent_of(content):
    match = _NONSPACE_RE.search(content)
    return content[:match.start()] if match else content


def only_comments(text):
    """True when fail2ban reads nothing from the text: it has blank lines and comments only."""
    return all(line.kind in ('blank', 'comment') for line in ConfigDocument(text).lines)


class Line:
    """One physical line and what fail2ban makes of it.

    kind: 'blank', 'comment', 'header', 'option', 'continuation', 'invalid' (text before any
    section or a line without a delimiter: fail2ban refuses both).
    """

    __slots__ = ('raw', 'content', 'eol', 'kind', 'code', 'section_name', 'key', 'name')

    def __init__(self, raw):
        self.raw = raw
        self.content, self.eol = _strip_eol(raw)
        start = comment_start(self.content)
        self.code = (self.content if start is None else self.content[:start]).strip()
        self.kind = 'comment' if start is not None and not self.code else 'blank'
        self.section_name = None
        self.key = None
        self.name = None


class Entry:
    """An option: its first line, its last continuation line and its value as fail2ban reads it."""

    __slots__ = ('key', 'name', 'start', 'end', 'parts', 'indent')

    def __init__(self, key, name, start, first_value, indent):
        self.key = key  # lower case, as fail2ban compares keys
        self.name = name  # spelling in the file
        self.start = start
        self.end = start
        self.parts = [first_value]
        self.indent = indent

    @property
    def value(self):
        return '\n'.join(self.parts).rstrip()

    @property
    def multiline(self):
        return self.end > self.start


class Section:
    """A section: header line index, end (exclusive: next header or end of file), entries."""

    __slots__ = ('name', 'header', 'end', 'entries', 'invalid')

    def __init__(self, name, header):
        self.name = name
        self.header = header
        self.end = None
        self.entries = []
        self.invalid = []

    def find(self, key):
        key = key.lower()
        return [entry for entry in self.entries if entry.key == key]


class ConfigDocument:
    """A parsed fail2ban INI file that renders back byte for byte."""

    def __init__(self, text=''):
        self.lines = [Line(raw) for raw in split_lines(text)]
        self._parse()

    def render(self):
        return ''.join(line.raw for line in self.lines)

    @property
    def newline(self):
        """Line ending used for new lines: the file's first one, LF for an empty file."""
        for line in self.lines:
            if line.eol:
                return line.eol
        return '\n'

    def _parse(self):
        """Classify lines the way configparser._read does (see the module docstring)."""
        self.sections = []
        section = None
        entry = None
        indent_level = 0
        for index, line in enumerate(self.lines):
            if not line.code:
                continue
            indent = len(_indent_of(line.content))
            if section is not None and entry is not None and entry.key and indent > indent_level:
                line.kind = 'continuation'
                line.section_name = section.name
                # configparser keeps blank (comment-free) lines inside a value
                for between in range(entry.end + 1, index):
                    if self.lines[between].kind == 'blank':
                        entry.parts.append('')
                entry.parts.append(line.code)
                entry.end = index
                continue
            indent_level = indent
            header = _SECTION_RE.match(line.code)
            if header:
                line.kind = 'header'
                line.name = header.group('header')
                section = Section(line.name, index)
                self.sections.append(section)
                entry = None
                continue
            line.section_name = section.name if section is not None else None
            option = _OPTION_RE.match(line.code)
            if section is None or not option:
                # fail2ban refuses the file; an option line keeps the previous key open
                line.kind = 'invalid'
                if section is not None:
                    section.invalid.append(index)
                continue
            line.kind = 'option'
            line.name = option.group('option').rstrip()
            line.key = line.name.lower()
            entry = Entry(line.key, line.name, index, option.group('value').strip(), indent)
            section.entries.append(entry)
        for position, section in enumerate(self.sections):
            following = self.sections[position + 1:]
            section.end = following[0].header if following else len(self.lines)

    # ----------------------------------------------------------------- queries
    def find_sections(self, name):
        return [section for section in self.sections if section.name == name]

    def get_section(self, name):
        """The section called name (case-sensitive), None when absent, ConfigError when repeated."""
        found = self.find_sections(name)
        if len(found) > 1:
            raise ConfigError(
                'section [%s] appears %d times in the file (lines %s); fail2ban refuses such a file '
                'and this module will not guess which one to edit: merge them by hand'
                % (name, len(found), ', '.join(str(section.header + 1) for section in found)))
        return found[0] if found else None

    def get_entry(self, section, key):
        """The entry for key in section (case-insensitive like fail2ban), ConfigError when repeated."""
        found = section.find(key)
        if len(found) > 1:
            raise ConfigError(
                'key %s appears %d times in section [%s] (lines %s); fail2ban refuses such a file: '
                'remove the extra ones by hand'
                % (show(key), len(found), section.name, ', '.join(str(entry.start + 1) for entry in found)))
        return found[0] if found else None

    def semantic(self):
        """What fail2ban reads: [(section name, [(key, value), ...]), ...] in file order."""
        return [(section.name, [(entry.key, entry.value) for entry in section.entries])
                for section in self.sections]

    def settings(self, name):
        """{key: value} of one section (last one wins), or None when the section is absent."""
        for section in reversed(self.sections):
            if section.name == name:
                return dict((entry.key, entry.value) for entry in section.entries)
        return None

    def content_end(self, section):
        """Index after the section's content: its last entry (or header) plus comments attached to it.

        Blank lines and the comments after them are what separates the section from the next
        one; new keys go before them.
        """
        last = section.header
        for entry in section.entries:
            last = max(last, entry.end)
        for index in section.invalid:
            last = max(last, index)
        while last + 1 < section.end and self.lines[last + 1].kind == 'comment':
            last += 1
        return last + 1

    def commented_key_line(self, section, key):
        """Index of the last ``#key = ...`` comment of the section that is not inside a value, or None.

        Stops at a commented-out section header: what follows it documents another section.
        """
        inside_values = set()
        for entry in section.entries:
            inside_values.update(range(entry.start, entry.end + 1))
        found = None
        for index in range(section.header + 1, section.end):
            line = self.lines[index]
            if line.kind != 'comment' or index in inside_values:
                continue
            if _COMMENTED_HEADER_RE.match(line.content):
                break
            match = _COMMENTED_OPTION_RE.match(line.content)
            if match and match.group('key').lower() == key.lower():
                found = index
        return found

    # ----------------------------------------------------------------- raw edits
    def replace_lines(self, start, end, raws):
        """Replace lines[start:end] with new raw lines, then parse again."""
        if start == len(self.lines) and start > 0 and not self.lines[start - 1].eol:
            # appending after a last line without line ending: give it one first
            self.lines[start - 1] = Line(self.lines[start - 1].raw + self.newline)
        self.lines[start:end] = [Line(raw) for raw in raws]
        self._parse()

    def _insert_indent(self, section, position):
        """Indentation for a new key line at position: that of the neighbouring entries.

        A new line indented deeper than the key before it would continue that key's value;
        a key after it indented deeper than the new line would continue the new one.
        """
        before = [entry for entry in section.entries if entry.start < position]
        after = [entry for entry in section.entries if entry.start >= position]
        if before:
            return _indent_of(self.lines[before[-1].start].content)
        if after:
            return _indent_of(self.lines[after[0].start].content)
        return ''


# --------------------------------------------------------------------- values
def scalar_text(key, value):
    """The text written for one Python value: booleans as true/false, numbers with str()."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise ValidationError('invalid value for key %s: %s has unsupported type %s (use a string, number, '
                          'boolean, list or null)' % (show(key), show(value), type(value).__name__))


def split_items(key, text):
    """Items of a list value as fail2ban splits it: by line for actions/paths/regexes, else by space or comma."""
    if key.lower() in NEWLINE_LIST_KEYS:
        return [item.strip() for item in text.split('\n') if item.strip()]
    return [item for item in _WORD_SPLIT_RE.split(text) if item]


def item_identity(key, item):
    """What makes two list items the same: addresses compare by meaning (2001:DB8::1 == 2001:db8::1)."""
    if key.lower() in ADDRESS_LIST_KEYS and not is_interpolation_only(item):
        try:
            return normalize_address(item)
        except ValidationError:
            return item
    return item


def _distinct_items(key, items):
    """(items, identities) keeping the first of items that are the same (item_identity), in order."""
    distinct = []
    identities = []
    for item in items:
        identity = item_identity(key, item)
        if identity not in identities:
            distinct.append(item)
            identities.append(identity)
    return distinct, identities


def _as_bool(text):
    lowered = text.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    return None


class Desired:
    """What the user wants for one key.

    kind: 'remove'; 'scalar' (text); 'items' (ordered list for a key that is not a list key);
    'set' (list key with a list_mode).
    """

    __slots__ = ('key', 'kind', 'text', 'items', 'semantic_bool')

    def __init__(self, key, kind, text=None, items=None, semantic_bool=None):
        self.key = key
        self.kind = kind
        self.text = text
        self.items = items
        self.semantic_bool = semantic_bool


def normalize_settings(section_name, settings, list_keys=DEFAULT_LIST_KEYS):
    """Validate every key and value; return [Desired, ...] in the given order.

    Raises ValidationError naming the key and the value. Nothing is read or written.
    """
    validate_section_name(section_name)
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise ValidationError('settings must be a dictionary of key: value, got %s' % show(settings))
    list_keys = set(key.lower() for key in list(list_keys or ()) + list(DEFAULT_LIST_KEYS))
    seen = {}
    desired = []
    for key, value in settings.items():
        validate_key(key, section_name)
        lowered = key.lower()
        if lowered in seen:
            raise ValidationError('settings for section [%s] name key %s twice (%s and %s): fail2ban '
                                  'ignores case in keys' % (section_name, show(lowered), show(seen[lowered]), show(key)))
        seen[lowered] = key
        if value is None:
            desired.append(Desired(key, 'remove'))
            continue
        if lowered in list_keys:
            if isinstance(value, (list, tuple)):
                items = [scalar_text(key, item) for item in value]
            else:
                items = split_items(key, scalar_text(key, value))
            for item in items:
                validate_list_item(key, item)
            desired.append(Desired(key, 'set', items=items))
        elif isinstance(value, (list, tuple)):
            items = [scalar_text(key, item) for item in value]
            for item in items:
                validate_list_item(key, item)
            if not items:
                raise ValidationError('invalid value for key %s: an empty list; use "" for an empty value '
                                      'or null to remove the key' % show(key))
            if len(items) > 1 and _is_typed(lowered):
                raise ValidationError('invalid value for key %s: %s is a list, the key takes one value'
                                      % (show(key), show(value)))
            validate_typed_value(key, items[0])
            desired.append(Desired(key, 'items', items=items))
        else:
            text = scalar_text(key, value)
            validate_value(key, text)
            semantic_bool = value if isinstance(value, bool) else None
            if semantic_bool is None and lowered in BOOLEAN_KEYS:
                semantic_bool = _as_bool(text)
            desired.append(Desired(key, 'scalar', text=text, semantic_bool=semantic_bool))
    return desired


def _is_typed(lowered):
    return (lowered in DURATION_KEYS or lowered in INTEGER_KEYS or lowered in NUMBER_KEYS
            or lowered in BOOLEAN_KEYS or lowered in CHOICE_KEYS)


# --------------------------------------------------------------------- rendering
def _option_parts(content):
    """(head, post, value, trail, comment) of an option line: head is indent+key+spacing+delimiter."""
    start = comment_start(content)
    code = content if start is None else content[:start]
    comment = '' if start is None else content[start:]
    match = _OPTION_PARTS_RE.match(code)
    head = match.group('indent') + match.group('name') + match.group('pre') + match.group('vi')
    return head, match.group('pre'), match.group('post'), match.group('value'), match.group('trail'), comment


def _first_line_with_value(line, value, eol):
    """The option line with a new value; key spelling, spacing and inline comment kept."""
    head, pre, post, old, trail, comment = _option_parts(line.content)
    if not old:
        # the whitespace after an empty value was all taken as "post"
        post = ' ' if (pre or post) else ''
        trail = ' ' if comment else ''
    if not value:
        return head + ((trail or ' ') + comment if comment else '') + eol
    return head + post + value + trail + comment + eol


def _value_column(line):
    head, _pre, post, _old, _trail, _comment = _option_parts(line.content)
    return ' ' * len(head + (post or ' '))


def _continuation_with_code(line, code, eol):
    """A continuation line with new code; indentation and inline comment kept."""
    start = comment_start(line.content)
    body = line.content if start is None else line.content[:start]
    comment = '' if start is None else line.content[start:]
    indent = _indent_of(body)
    trail = body[len(body.rstrip()):] if comment else ''
    return indent + code + trail + comment + eol


def _new_entry_lines(indent, key, items, multiline, eol, last_eol=None):
    """Lines of a new option: one line, or the first item on the key line and the others aligned below."""
    last_eol = eol if last_eol is None else last_eol
    head = indent + key + ' ='
    if not items:
        return [head + last_eol]
    if not multiline:
        return [head + ' ' + ' '.join(items) + last_eol]
    column = ' ' * len(head + ' ')
    raws = [head + ' ' + items[0]] + [column + item for item in items[1:]]
    return [raw + eol for raw in raws[:-1]] + [raws[-1] + last_eol]


def _value_lines(doc, entry):
    """[(index, value text)] of the lines holding an entry's value (comment and blank lines skipped)."""
    result = []
    for index in range(entry.start, entry.end + 1):
        line = doc.lines[index]
        if index == entry.start:
            result.append((index, _option_parts(line.content)[3]))
        elif line.kind == 'continuation':
            result.append((index, line.code))
    return result


def _line_items(key, text):
    if key.lower() in NEWLINE_LIST_KEYS:
        return [text] if text else []
    return [item for item in _WORD_SPLIT_RE.split(text) if item]


class EditResult:
    """Outcome of an edit: the new text, whether it differs, which keys changed."""

    __slots__ = ('text', 'changed', 'changed_keys', 'section', 'before', 'after')

    def __init__(self, text, changed, changed_keys, section, before, after):
        self.text = text
        self.changed = changed
        self.changed_keys = changed_keys
        self.section = section
        self.before = before  # {key: value} of the section before, None when absent
        self.after = after


class _SectionEditor:
    """Applies Desired values to one section of a document, one key at a time."""

    def __init__(self, doc, name, list_mode):
        self.doc = doc
        self.name = name
        self.list_mode = list_mode
        self.expectations = {}  # lower key -> ('absent',) | ('text', t) | ('items', [identities])

    @property
    def section(self):
        return self.doc.get_section(self.name)

    def apply(self, desired):
        section = self.section
        entry = self.doc.get_entry(section, desired.key)
        handler = getattr(self, '_apply_' + desired.kind)
        return handler(section, entry, desired)

    def _eol_for_span(self, entry):
        return self.doc.lines[entry.end].eol

    def _insert(self, section, key, items, multiline):
        doc = self.doc
        commented = doc.commented_key_line(section, key)
        position = commented + 1 if commented is not None else doc.content_end(section)
        indent = doc._insert_indent(section, position)
        at_end = position == len(doc.lines)
        eol = doc.newline
        raws = _new_entry_lines(indent, key, items, multiline, eol)
        if at_end and doc.lines and doc.lines[-1].eol == '' and position > 0:
            # the file had no final line ending: keep it that way
            raws[-1] = raws[-1][:-len(eol)]
        doc.replace_lines(position, position, raws)

    def _apply_remove(self, section, entry, desired):
        self.expectations[desired.key.lower()] = ('absent',)
        if entry is None:
            return False
        self.doc.replace_lines(entry.start, entry.end + 1, [])
        return True

    def _apply_scalar(self, section, entry, desired):
        key = desired.key
        if entry is None:
            self.expectations[key.lower()] = ('text', desired.text)
            self._insert(section, key, [desired.text], False)
            return True
        if not entry.multiline and desired.semantic_bool is not None and _as_bool(entry.value) is desired.semantic_bool:
            return False  # "True" in the file already means true
        self.expectations[key.lower()] = ('text', desired.text)
        if entry.value == desired.text:
            return False
        first = self.doc.lines[entry.start]
        raw = _first_line_with_value(first, desired.text, self._eol_for_span(entry))
        self.doc.replace_lines(entry.start, entry.end + 1, [raw])
        return True

    def _apply_items(self, section, entry, desired):
        key = desired.key
        self.expectations[key.lower()] = ('items', [item_identity(key, item) for item in desired.items])
        multiline = key.lower() in NEWLINE_LIST_KEYS or (entry is not None and entry.multiline)
        if entry is None:
            self._insert(section, key, desired.items, multiline)
            return True
        if split_items(key, entry.value) == desired.items:
            return False
        self.doc.replace_lines(entry.start, entry.end + 1, self._entry_lines(entry, desired.items, multiline))
        return True

    def _entry_lines(self, entry, items, multiline):
        """All lines of an existing entry rewritten with items (first line's key, spacing, comment kept)."""
        doc = self.doc
        first = doc.lines[entry.start]
        eol = first.eol or doc.newline
        last_eol = self._eol_for_span(entry)
        if not multiline:
            return [_first_line_with_value(first, ' '.join(items), last_eol)]
        continuation_indent = self._continuation_indent(entry)
        if entry.multiline and entry.parts[0] == '':
            raws = [_first_line_with_value(first, '', eol)] + [continuation_indent + item + eol for item in items]
        else:
            raws = [_first_line_with_value(first, items[0] if items else '', eol)]
            raws += [continuation_indent + item + eol for item in items[1:]]
        raws[-1] = raws[-1][:len(raws[-1]) - len(eol)] + last_eol if raws[-1].endswith(eol) else raws[-1]
        return raws

    def _continuation_indent(self, entry):
        for index in range(entry.start + 1, entry.end + 1):
            line = self.doc.lines[index]
            if line.kind == 'continuation':
                return _indent_of(line.content)
        return _value_column(self.doc.lines[entry.start])

    def _apply_set(self, section, entry, desired):
        key = desired.key
        mode = self.list_mode
        wanted, wanted_ids = _distinct_items(key, desired.items)
        if entry is None:
            if mode == 'remove' or (mode == 'add' and not wanted):
                if mode == 'remove':
                    self.expectations[key.lower()] = ('absent',)
                return False
            self.expectations[key.lower()] = ('items', wanted_ids)
            self._insert(section, key, wanted, key.lower() in NEWLINE_LIST_KEYS)
            return True
        value_lines = _value_lines(self.doc, entry)
        existing_ids = [item_identity(key, item) for _index, text in value_lines for item in _line_items(key, text)]
        if mode == 'exact':
            drop = set(identity for identity in existing_ids if identity not in wanted_ids)
            additions = [item for item, identity in zip(wanted, wanted_ids) if identity not in existing_ids]
        elif mode == 'add':
            drop = set()
            additions = [item for item, identity in zip(wanted, wanted_ids) if identity not in existing_ids]
        else:
            drop = set(identity for identity in existing_ids if identity in wanted_ids)
            additions = []
        self.expectations[key.lower()] = (
            'items', [identity for identity in existing_ids if identity not in drop]
            + [item_identity(key, item) for item in additions])
        if not drop and not additions:
            return False
        self.doc.replace_lines(entry.start, entry.end + 1, self._edited_span(entry, value_lines, drop, additions))
        return True

    def _edited_span(self, entry, value_lines, drop, additions):
        """The entry's lines with dropped items taken out of their lines and additions appended."""
        doc = self.doc
        key = entry.name
        newline_key = entry.key in NEWLINE_LIST_KEYS
        multiline = entry.multiline or newline_key
        continuation_indent = self._continuation_indent(entry)
        last_eol = self._eol_for_span(entry)
        value_by_index = dict(value_lines)
        raws = []
        for index in range(entry.start, entry.end + 1):
            line = doc.lines[index]
            eol = line.eol or doc.newline
            if index not in value_by_index:
                raws.append(line.raw if line.eol else line.raw + eol)
                continue
            items = _line_items(key, value_by_index[index])
            kept = [item for item in items if item_identity(key, item) not in drop]
            if index == entry.start:
                if len(kept) != len(items):
                    raws.append(_first_line_with_value(line, ' '.join(kept), eol))
                elif additions and not multiline:
                    joined = ' '.join(additions)
                    value = value_by_index[index] + ' ' + joined if value_by_index[index] else joined
                    raws.append(_first_line_with_value(line, value, eol))
                    additions = []
                else:
                    raws.append(line.raw if line.eol else line.raw + eol)
            elif len(kept) != len(items):
                if kept:
                    raws.append(_continuation_with_code(line, ' '.join(kept), eol))
            else:
                raws.append(line.raw if line.eol else line.raw + eol)
        if additions:
            if not value_by_index[entry.start] and len(value_lines) == 1 and not entry.multiline and newline_key:
                raws[0] = _first_line_with_value(doc.lines[entry.start], additions[0], doc.lines[entry.start].eol or doc.newline)
                additions = additions[1:]
            raws += [continuation_indent + item + doc.newline for item in additions]
        if not last_eol and raws[-1].endswith(doc.newline):
            raws[-1] = raws[-1][:-len(doc.newline)]
        return raws


def _semantic_items(key, value):
    return [item_identity(key, item) for item in split_items(key, value)]


def _verify(before, doc, name, present, expectations):
    """Refuse an edit whose result fail2ban would read differently than intended."""
    after = doc.semantic()
    others_before = [section for section in before if section[0] != name]
    others_after = [section for section in after if section[0] != name]
    problem = None
    if others_before != others_after:
        problem = 'other sections would change'
    targets_before = [entries for section_name, entries in before if section_name == name]
    targets_after = [entries for section_name, entries in after if section_name == name]
    if problem is None and not present and targets_after:
        problem = 'the section would still be present'
    if problem is None and present:
        if len(targets_after) != 1:
            problem = 'the section would appear %d times' % len(targets_after)
        else:
            old = {}
            for key, value in (targets_before[0] if targets_before else []):
                old.setdefault(key, []).append(value)
            new = {}
            for key, value in targets_after[0]:
                new.setdefault(key, []).append(value)
            for key in set(old) | set(new):
                expected = expectations.get(key)
                if expected is None:
                    ok = old.get(key) == new.get(key)
                elif expected[0] == 'absent':
                    ok = key not in new
                elif expected[0] == 'text':
                    ok = new.get(key) == [expected[1]]
                else:
                    ok = len(new.get(key, [])) == 1 and _semantic_items(key, new[key][0]) == expected[1]
                if not ok:
                    problem = 'key %s would read as %s instead of the intended value' % (show(key), show(new.get(key)))
                    break
    if problem:
        raise ConfigError('refusing to edit section [%s]: %s (the file has a layout this module cannot edit '
                          'safely; nothing was changed)' % (name, problem))


def _remove_section(doc, section):
    start = section.header
    end = doc.content_end(section)
    while end < section.end and doc.lines[end].kind == 'blank':
        end += 1
    if end == len(doc.lines):
        # removing the last section: also drop the blank lines that separated it
        while start > 0 and doc.lines[start - 1].kind == 'blank':
            start -= 1
    doc.replace_lines(start, end, [])


def _new_section_lines(doc, name, desired, list_mode):
    """Raw lines of a new section, with the keys written and the expectations to verify."""
    eol = doc.newline
    raws = ['[%s]' % name + eol]
    written = []
    expectations = {}
    for item in desired:
        key = item.key
        lowered = key.lower()
        if item.kind == 'remove':
            expectations[lowered] = ('absent',)
            continue
        if item.kind == 'scalar':
            raws += _new_entry_lines('', key, [item.text], False, eol)
            expectations[lowered] = ('text', item.text)
        else:
            items, identities = _distinct_items(key, item.items)
            if item.kind == 'set' and (list_mode == 'remove' or (list_mode == 'add' and not items)):
                if list_mode == 'remove':
                    expectations[lowered] = ('absent',)
                continue
            raws += _new_entry_lines('', key, items, lowered in NEWLINE_LIST_KEYS, eol)
            expectations[lowered] = ('items', identities)
        written.append(key)
    return raws, written, expectations


def edit_section(text, name, state='present', settings=None, list_keys=DEFAULT_LIST_KEYS, list_mode='exact'):
    """Bring one section of a fail2ban INI text to the requested state.

    Returns an EditResult. Raises ValidationError (bad name, key or value) or ConfigError
    (ambiguous or unsafe file) before anything is changed: callers write nothing then.
    """
    if state not in ('present', 'absent'):
        raise ValidationError('invalid state %s: use present or absent' % show(state))
    if list_mode not in LIST_MODES:
        raise ValidationError('invalid list_mode %s: use one of %s' % (show(list_mode), ', '.join(LIST_MODES)))
    # settings do not matter when the section goes away
    desired = normalize_settings(name, settings if state == 'present' else {}, list_keys)
    doc = ConfigDocument(text)
    before = doc.semantic()
    section = doc.get_section(name)
    before_settings = doc.settings(name)
    if state == 'absent':
        if section is None:
            return EditResult(text, False, [], name, None, None)
        changed_keys = [entry.name for entry in section.entries]
        _remove_section(doc, section)
        _verify(before, doc, name, False, {})
        return EditResult(doc.render(), True, changed_keys, name, before_settings, None)
    if section is None:
        raws, changed_keys, expectations = _new_section_lines(doc, name, desired, list_mode)
        if doc.lines:
            if doc.lines[-1].kind != 'blank' or not doc.lines[-1].eol:
                raws.insert(0, doc.newline)
        doc.replace_lines(len(doc.lines), len(doc.lines), raws)
        _verify(before, doc, name, True, expectations)
        return EditResult(doc.render(), True, changed_keys, name, None, doc.settings(name))
    for item in desired:
        # fail early, before any edit, on repeated keys we were asked to touch
        doc.get_entry(section, item.key)
    editor = _SectionEditor(doc, name, list_mode)
    changed_keys = [item.key for item in desired if editor.apply(item)]
    new_text = doc.render()
    _verify(before, doc, name, True, editor.expectations)
    return EditResult(new_text, new_text != text, changed_keys, name, before_settings, doc.settings(name))


def changes_actions(path, changed_keys):
    """Whether an edit of `path` that changed `changed_keys` changes what some jail's actions are or do:
    an action key (ACTION_KEYS, action_*), or any change of a file in action.d."""
    if os.path.basename(os.path.dirname(os.path.abspath(path))) == ACTION_DIR:
        return True
    return any(key.lower() in ACTION_KEYS or key.lower().startswith('action_') for key in changed_keys)


def default_config_dir(path):
    """fail2ban's configuration directory for a file: its directory, or the parent of jail.d/fail2ban.d."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.basename(directory) in ('jail.d', 'fail2ban.d'):
        return os.path.dirname(directory)
    return directory


def fail2ban_test_errors(stdout, stderr):
    """The useful part of ``fail2ban-client --test`` output: its ERROR lines, else everything."""
    lines = [line.strip() for line in (stderr or '').splitlines() + (stdout or '').splitlines() if line.strip()]
    errors = []
    for line in lines:
        if ' ERROR ' in line or line.startswith('ERROR'):
            message = re.sub(r'^.*?\bERROR\s+', '', line)
            if message not in errors:
                errors.append(message)
    return '; '.join(errors) if errors else ' / '.join(lines)
