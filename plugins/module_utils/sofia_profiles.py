# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Byte-preserving editor for the params of FreeSWITCH Sofia profile files.

expat validates each file and reports where every element starts; the edits are then made on the
raw bytes (the value between the quotes, one inserted line, one removed line), so comments,
X-PRE-PROCESS lines, attribute order and whitespace stay exactly as they were. Elements inside
comments are never seen by expat, so a commented-out param is never taken for a real one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import re
import xml.parsers.expat

from ansible_collections.voipguard.pbx.plugins.module_utils import config_file

PROFILES_SUBDIR = 'sip_profiles'
ALL_PROFILES = 'all'

PARAM_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.:-]*$')
# Control characters (newlines included), quotes and angle brackets could break out of the
# attribute or the element; everything else is escaped on write.
FORBIDDEN_VALUE_RE = re.compile(r'[\x00-\x1f\x7f"<>]')
FORBIDDEN_PROFILE_RE = re.compile(r'[\x00-\x1f\x7f"<>&\']')

_XML_DECL_RE = re.compile(br'^(?:\xef\xbb\xbf)?<\?xml[\s?]')
# Rest of a line that holds only whitespace and complete comments.
_ONLY_COMMENTS_RE = re.compile(br'^(?:\s*<!--(?:(?!-->).)*-->)*\s*$')
_ATTR_RE = re.compile(br'([^\s=/>]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
# Wrapping a file in a synthetic root accepts files with several top-level elements (X-PRE-PROCESS
# next to <profile>, as FreeSWITCH's preprocessor allows) without shifting line numbers.
_WRAPPER_OPEN = b'<voipguard-wrapper>'
_WRAPPER_CLOSE = b'</voipguard-wrapper>'


class SofiaProfileError(Exception):
    """A profile file or a request cannot be handled; the message says which and why."""


class ParamElement(object):
    """One <param .../> that is a direct child of a profile's <settings>."""

    def __init__(self, name, value, start, end, line, tag):
        self.name = name
        self.value = value
        self.start = start
        self.end = end
        self.line = line
        self.tag = tag


class SettingsElement(object):
    def __init__(self, start, start_tag_end, line, empty):
        self.start = start
        self.start_tag_end = start_tag_end
        self.line = line
        self.empty = empty
        self.close_start = None


class Profile(object):
    """A <profile name="..."> found in one file, with the params of its <settings>."""

    def __init__(self, name, path, start, line):
        self.name = name
        self.path = path
        self.start = start
        self.line = line
        self.settings = None
        self.params = []

    def effective_values(self):
        """Param name (lower case) -> value as FreeSWITCH applies it: names ignore case (sofia.c compares them
        with strcasecmp) and the last occurrence wins."""
        values = {}
        for param in self.params:
            values[param.name.lower()] = param.value
        return values


def _tag_end(data, start):
    """Index just past the '>' closing the tag that starts at data[start] == '<'."""
    quote = None
    index = start + 1
    length = len(data)
    while index < length:
        char = data[index:index + 1]
        if quote is not None:
            if char == quote:
                quote = None
        elif char in (b'"', b"'"):
            quote = char
        elif char == b'>':
            return index + 1
        index += 1
    raise SofiaProfileError('unterminated tag at byte %d' % start)


def _line_start(data, pos):
    return data.rfind(b'\n', 0, pos) + 1


def _line_end(data, pos):
    """Index of the newline ending the line that holds pos (len(data) on the last line)."""
    end = data.find(b'\n', pos)
    return len(data) if end < 0 else end


def _newline_for(data, pos):
    end = _line_end(data, pos)
    if end > 0 and data[end - 1:end] == b'\r':
        return b'\r\n'
    return b'\n'


def _indent_before(data, pos):
    """Whitespace from the start of the line up to pos, or None when pos is not first on its line."""
    prefix = data[_line_start(data, pos):pos]
    if prefix.strip():
        return None
    return prefix


def parse_profiles(data, path):
    """Return the profiles defined in the bytes of one file; raise SofiaProfileError when malformed."""
    strict = bool(_XML_DECL_RE.match(data))
    offset = 0 if strict else len(_WRAPPER_OPEN)
    not_utf8 = config_file.encoding_problem(data)
    # FreeSWITCH reads 8-bit files as they are: one byte a character, which ISO-8859-1 keeps (a declaration wins).
    parser = xml.parsers.expat.ParserCreate('ISO-8859-1' if not_utf8 and not strict else None)
    parser.ordered_attributes = True
    stack = []
    profiles = []

    def refuse_doctype(*args):
        raise SofiaProfileError('%s: line %d: DOCTYPE declarations are not allowed in a Sofia profile'
                                % (path, parser.CurrentLineNumber))

    def on_start(name, attributes):
        start = parser.CurrentByteIndex - offset
        end = _tag_end(data, start)
        tag = data[start:end]
        attrs = dict(zip(attributes[0::2], attributes[1::2]))
        parent = stack[-1] if stack else None
        node = {'name': name, 'object': None}
        line = parser.CurrentLineNumber
        if name == 'profile' and 'name' in attrs:
            profile = Profile(attrs['name'], path, start, line)
            profiles.append(profile)
            node['object'] = profile
        elif name == 'settings' and parent is not None and isinstance(parent['object'], Profile):
            profile = parent['object']
            if profile.settings is None:
                profile.settings = SettingsElement(start, end, line, tag.endswith(b'/>'))
                node['object'] = profile.settings
        elif (name == 'param' and parent is not None and isinstance(parent['object'], SettingsElement)
              and 'name' in attrs):
            owner = stack[-2]['object']
            owner.params.append(ParamElement(attrs['name'], attrs.get('value'), start, end, line, tag))
        stack.append(node)

    def on_end(name):
        node = stack.pop()
        if isinstance(node['object'], SettingsElement) and not node['object'].empty:
            node['object'].close_start = parser.CurrentByteIndex - offset

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.StartDoctypeDeclHandler = refuse_doctype
    try:
        if strict:
            parser.Parse(data, True)
        else:
            parser.Parse(_WRAPPER_OPEN, False)
            parser.Parse(data, False)
            parser.Parse(_WRAPPER_CLOSE, True)
    except xml.parsers.expat.ExpatError as exc:
        raise SofiaProfileError('%s: malformed XML at line %d, column %d: %s%s'
                                % (path, exc.lineno, exc.offset, xml.parsers.expat.ErrorString(exc.code),
                                   ' (the file is not UTF-8: %s)' % not_utf8 if not_utf8 else ''))
    return profiles


def profile_files(config_dir):
    """The sip_profiles/*.xml files of a FreeSWITCH configuration directory, sorted."""
    if not os.path.isdir(config_dir):
        raise SofiaProfileError('FreeSWITCH configuration directory %s does not exist' % config_dir)
    profiles_dir = os.path.join(config_dir, PROFILES_SUBDIR)
    if not os.path.isdir(profiles_dir):
        raise SofiaProfileError('%s has no %s/ directory' % (config_dir, PROFILES_SUBDIR))
    return sorted(glob.glob(os.path.join(profiles_dir, '*.xml')))


def load_profiles(config_dir):
    """Read and parse every profile file; return ({path: bytes}, {profile name: Profile}).

    A symbolic link is read through; a FIFO, device or directory named *.xml is refused (never opened).
    """
    contents = {}
    profiles = {}
    for path in profile_files(config_dir):
        try:
            target, exists = config_file.resolve(path)
            data = config_file.read_bytes(target) if exists else None
        except config_file.ConfigFileError as exc:
            raise SofiaProfileError(str(exc))
        if data is None:
            continue  # removed since the directory was listed
        contents[path] = data
        for profile in parse_profiles(data, path):
            if profile.name in profiles:
                other = profiles[profile.name]
                raise SofiaProfileError('profile %s is defined twice: %s line %d and %s line %d'
                                        % (profile.name, other.path, other.line, path, profile.line))
            profiles[profile.name] = profile
    return contents, profiles


def normalize_value(value):
    """Turn a value given by Ansible (bool, number, string) into the text FreeSWITCH expects."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if value is None:
        raise SofiaProfileError('param values must not be null')
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise SofiaProfileError('param values must be strings, numbers or booleans, not %s' % type(value).__name__)
    return value


def validate_params(params, state='present'):
    """Validate names (and values when present); return {name: normalised value or None}."""
    if not isinstance(params, dict) or not params:
        raise SofiaProfileError('params must be a non-empty dictionary of param names and values')
    result = {}
    for name, value in params.items():
        if not isinstance(name, str) or not PARAM_NAME_RE.match(name):
            raise SofiaProfileError('invalid param name %r: use letters, digits, "-", "_", "." and ":"' % (name,))
        if state == 'absent':
            result[name] = None
            continue
        text = normalize_value(value)
        if FORBIDDEN_VALUE_RE.search(text):
            raise SofiaProfileError('invalid value for param %s: control characters, quotes and angle brackets are not allowed'
                                    % name)
        result[name] = text
    return result


def validate_profile_names(names):
    """Check requested profile names; return them as a list (['all'] means every profile, as None does).

    An empty list is an error: a task whose list of profiles came out empty must not change every profile.
    """
    if names is None:
        return [ALL_PROFILES]
    if not names:
        raise SofiaProfileError("profiles is empty: name the profiles to change, or 'all' for every profile")
    result = []
    for name in names:
        if not isinstance(name, str) or not name or FORBIDDEN_PROFILE_RE.search(name):
            raise SofiaProfileError('invalid profile name %r' % (name,))
        if name not in result:
            result.append(name)
    return result


def select_profiles(requested, known, exclude=()):
    """Resolve requested names against the known ones; 'all' selects every known profile.

    Excluded names are dropped; they need not exist, so one skip list can serve a whole fleet.
    """
    known = sorted(known)
    if ALL_PROFILES in requested:
        if not known:
            raise SofiaProfileError('no Sofia profile was found')
        selected = known
    else:
        unknown = [name for name in requested if name not in known]
        if unknown:
            raise SofiaProfileError('unknown Sofia profile(s): %s; known profiles: %s'
                                    % (', '.join(unknown), ', '.join(known) if known else 'none'))
        selected = list(requested)
    return [name for name in selected if name not in exclude]


def escape_attribute(value, quote):
    text = value.replace('&', '&amp;')
    if quote == "'":
        text = text.replace("'", '&apos;')
    return text


def _param_tag(name, value):
    return ('<param name="%s" value="%s"/>' % (name, escape_attribute(value, '"'))).encode('utf-8')


def _value_edit(param, value):
    """Edit replacing the raw bytes of param's value attribute (or adding one) with value."""
    for match in _ATTR_RE.finditer(param.tag):
        if match.group(1) == b'value':
            group = 2 if match.group(2) is not None else 3
            quote = '"' if group == 2 else "'"
            return (param.start + match.start(group), param.start + match.end(group),
                    escape_attribute(value, quote).encode('utf-8'))
    # No value attribute at all: add one right after the name attribute.
    for match in _ATTR_RE.finditer(param.tag):
        if match.group(1) == b'name':
            pos = param.start + match.end()
            return (pos, pos, (' value="%s"' % escape_attribute(value, '"')).encode('utf-8'))
    raise SofiaProfileError('line %d: param has no name attribute' % param.line)


def _child_indent(data, profile, settings):
    settings_indent = _indent_before(data, settings.start)
    if settings_indent is None:
        settings_indent = b''
    profile_indent = _indent_before(data, profile.start) or b''
    unit = b'  '
    if settings_indent.startswith(profile_indent) and len(settings_indent) > len(profile_indent):
        unit = settings_indent[len(profile_indent):]
    return settings_indent, settings_indent + unit


def _insert_edit(data, profile, new_params):
    """Edit adding new_params [(name, value)] to the profile's settings, after the last param."""
    settings = profile.settings
    tags = [_param_tag(name, value) for name, value in new_params]
    if profile.params:
        anchor = profile.params[-1]
        newline = _newline_for(data, anchor.start)
        indent = _indent_before(data, anchor.start)
        if indent is None:
            indent = _child_indent(data, profile, settings)[1]
        line_end = _line_end(data, anchor.end)
        if _ONLY_COMMENTS_RE.match(data[anchor.end:line_end]) and line_end < len(data):
            # Nothing but a comment follows the last param on its line: add whole lines after that line.
            return (line_end + 1, line_end + 1, b''.join(indent + tag + newline for tag in tags))
        return (anchor.end, anchor.end, b''.join(newline + indent + tag for tag in tags))
    newline = _newline_for(data, settings.start)
    settings_indent, child_indent = _child_indent(data, profile, settings)
    if settings.empty:
        start_tag = data[settings.start:settings.start_tag_end]
        opening = start_tag[:-2].rstrip() + b'>'
        body = b''.join(newline + child_indent + tag for tag in tags)
        return (settings.start, settings.start_tag_end, opening + body + newline + settings_indent + b'</settings>')
    close_indent = _indent_before(data, settings.close_start)
    if close_indent is not None:
        line_start = _line_start(data, settings.close_start)
        return (line_start, line_start, b''.join(child_indent + tag + newline for tag in tags))
    body = b''.join(newline + child_indent + tag for tag in tags)
    return (settings.close_start, settings.close_start, body + newline + settings_indent)


def _remove_edit(data, param):
    line_start = _line_start(data, param.start)
    line_end = _line_end(data, param.end)
    if not data[line_start:param.start].strip() and _ONLY_COMMENTS_RE.match(data[param.end:line_end]):
        # The param is alone on its line (perhaps with a comment about it): the whole line goes.
        return (line_start, min(line_end + 1, len(data)), b'')
    return (param.start, param.end, b'')


def _apply_edits(data, edits):
    out = []
    cursor = 0
    for start, end, text in sorted(edits, key=lambda edit: (edit[0], edit[1])):
        if start < cursor:
            raise SofiaProfileError('internal error: overlapping edits')
        out.append(data[cursor:start])
        out.append(text)
        cursor = end
    out.append(data[cursor:])
    return b''.join(out)


def edit_profile(data, profile, params, state):
    """Edits [(start, end, bytes)] and changes {param: {'before', 'after'}} for one profile.

    params maps names to normalised values (ignored when state is absent).
    """
    current = profile.effective_values()
    edits = []
    changes = {}
    if state == 'absent':
        for name in params:
            if name.lower() in current:
                changes[name] = {'before': current[name.lower()], 'after': None}
                edits.extend(_remove_edit(data, param) for param in profile.params if param.name.lower() == name.lower())
        return edits, changes
    missing = []
    for name, value in params.items():
        if name.lower() in current:
            if current[name.lower()] != value:
                # The one FreeSWITCH applies, whatever the case of its name: never a second one beside it.
                last = [param for param in profile.params if param.name.lower() == name.lower()][-1]
                edits.append(_value_edit(last, value))
                changes[name] = {'before': current[name.lower()], 'after': value}
        else:
            missing.append((name, value))
            changes[name] = {'before': None, 'after': value}
    if missing:
        if profile.settings is None:
            raise SofiaProfileError('profile %s in %s (line %d) has no <settings> element to add %s to'
                                    % (profile.name, profile.path, profile.line, ', '.join(n for n, v in missing)))
        edits.append(_insert_edit(data, profile, missing))
    return edits, changes


class XmlPlan(object):
    """What applying params to the XML profiles would do."""

    def __init__(self, config_dir, known_profiles, selected):
        self.config_dir = config_dir
        self.known_profiles = known_profiles
        self.selected = selected
        self.files = {}      # path -> (old bytes, new bytes), only files that change
        self.changes = {}    # profile -> {param: {'before', 'after'}}, only profiles that change
        self.current = {}    # profile -> {param: value or None} before the change, for every selected profile

    @property
    def changed_profiles(self):
        return sorted(self.changes)


def plan_xml_change(config_dir, profile_names, params, state='present', exclude=()):
    """Compute the new content of every profile file; nothing is written."""
    requested = validate_profile_names(profile_names)
    params = validate_params(params, state)
    contents, profiles = load_profiles(config_dir)
    selected = select_profiles(requested, profiles, exclude)
    plan = XmlPlan(config_dir, sorted(profiles), selected)
    edits_by_file = {}
    for name in selected:
        profile = profiles[name]
        current = profile.effective_values()
        plan.current[name] = dict((param, current.get(param.lower())) for param in params)
        edits, changes = edit_profile(contents[profile.path], profile, params, state)
        if changes:
            _check_encoding(contents[profile.path], profile.path, params)
        if changes:
            plan.changes[name] = changes
            edits_by_file.setdefault(profile.path, []).extend(edits)
    for path, edits in edits_by_file.items():
        new = _apply_edits(contents[path], edits)
        _verify(contents[path], new, path, plan, params, state)
        plan.files[path] = (contents[path], new)
    return plan


def _check_encoding(data, path, params):
    """New text may go into an 8-bit (not UTF-8) file only when it is ASCII, the same bytes in every encoding."""
    problem = config_file.encoding_problem(data)
    if not problem:
        return
    for name, value in params.items():
        for text in (name, value or ''):
            try:
                text.encode('ascii')
            except UnicodeEncodeError:
                raise SofiaProfileError('%s is not UTF-8 (%s): the non-ASCII value of param %s cannot be written into it '
                                        'without mixing encodings; convert the file to UTF-8 first' % (path, problem, name))


def _verify(old, new, path, plan, params, state):
    """Re-parse the edited bytes and make sure exactly the intended params changed."""
    before = dict((p.name, p.effective_values()) for p in parse_profiles(old, path))
    after = dict((p.name, p.effective_values()) for p in parse_profiles(new, path))
    if sorted(before) != sorted(after):
        raise SofiaProfileError('internal error: editing %s changed its set of profiles' % path)
    for name, values in before.items():
        expected = dict(values)
        if name in plan.changes:
            for param in params:
                if state == 'absent':
                    expected.pop(param.lower(), None)
                else:
                    expected[param.lower()] = params[param]
        if after[name] != expected:
            raise SofiaProfileError('internal error: editing %s did not give the expected params for profile %s'
                                    % (path, name))


def diff_lines(values_by_profile):
    """Text for Ansible's diff: one 'profile: name=value' line per set param, sorted."""
    lines = []
    for profile in sorted(values_by_profile):
        for name in sorted(values_by_profile[profile]):
            value = values_by_profile[profile][name]
            if value is not None:
                lines.append('%s: %s=%s\n' % (profile, name, value))
    return ''.join(lines)


def diff_for(current, changes):
    """Before/after diff texts of the selected profiles' requested params."""
    before = {}
    after = {}
    for profile, values in current.items():
        before[profile] = dict(values)
        after[profile] = dict(values)
        for name, change in changes.get(profile, {}).items():
            after[profile][name] = change['after']
    return {'before': diff_lines(before), 'after': diff_lines(after)}


def read_owed_rescans(path):
    """Profiles an earlier run changed without rescanning them (sofia_param's owed_rescans_file); [] when none."""
    if not path:
        return []
    try:
        target, exists = config_file.resolve(path)
        if not exists:
            return []
        owed = json.loads(config_file.read_bytes(target).decode('utf-8'))
    except (config_file.ConfigFileError, ValueError) as exc:
        raise SofiaProfileError('cannot read the record of owed rescans %s: %s' % (path, exc))
    if not isinstance(owed, list) or not all(isinstance(name, str) for name in owed):
        raise SofiaProfileError('%s is not a list of profile names: remove it after rescanning the profiles' % path)
    return sorted(set(owed))


def record_owed_rescans(path, profiles):
    """Write the record atomically (its directory is created)."""
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        try:
            os.makedirs(directory, 0o755)
        except OSError as exc:
            raise config_file.ConfigFileError('cannot create %s: %s' % (directory, exc.strerror or exc))
    target = config_file.resolve(path)[0]
    config_file.replace_files({target: (json.dumps(sorted(set(profiles))) + '\n').encode('utf-8')}, os.replace)
