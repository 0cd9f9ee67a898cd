# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Sofia profile editor on vanilla-shaped profile files and broken ones."""

from __future__ import absolute_import, division, print_function

import difflib
import os
import shutil

import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from ansible_collections.voipguard.pbx.plugins.module_utils import sofia_profiles as sp

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'sofia')
VANILLA = ('internal.xml', 'external.xml', 'internal-ipv6.xml', 'external-ipv6.xml')


def fixture_bytes(name):
    with open(os.path.join(FIXTURES, name), 'rb') as handle:
        return handle.read()


def make_config(root, files=VANILLA):
    """A FreeSWITCH configuration directory whose sip_profiles/ holds copies of the given fixtures."""
    profiles_dir = root / 'freeswitch' / 'sip_profiles'
    profiles_dir.mkdir(parents=True)
    for name in files:
        shutil.copy(os.path.join(FIXTURES, name), str(profiles_dir / os.path.basename(name)))
    return str(root / 'freeswitch')


def snapshot(config_dir):
    profiles_dir = os.path.join(config_dir, 'sip_profiles')
    result = {}
    for name in sorted(os.listdir(profiles_dir)):
        with open(os.path.join(profiles_dir, name), 'rb') as handle:
            result[name] = handle.read()
    return result


def write_plan(plan):
    for path, (old, new) in plan.files.items():
        with open(path, 'wb') as handle:
            handle.write(new)


def line_changes(old, new):
    """(removed lines, added lines) between two byte strings, line endings kept."""
    removed, added = [], []
    for line in difflib.ndiff(old.decode('utf-8').splitlines(True), new.decode('utf-8').splitlines(True)):
        if line.startswith('- '):
            removed.append(line[2:])
        elif line.startswith('+ '):
            added.append(line[2:])
    return removed, added


@pytest.fixture
def config_dir(tmp_path):
    return make_config(tmp_path)


def test_profiles_are_named_by_their_attribute_not_their_file(tmp_path):
    config = make_config(tmp_path)
    os.rename(os.path.join(config, 'sip_profiles', 'internal.xml'), os.path.join(config, 'sip_profiles', 'phones.xml'))
    contents, profiles = sp.load_profiles(config)
    assert sorted(profiles) == ['external', 'external-ipv6', 'internal', 'internal-ipv6']
    assert profiles['internal'].path.endswith('phones.xml')


def test_commented_out_params_are_not_params(config_dir):
    contents, profiles = sp.load_profiles(config_dir)
    # internal.xml has '<!-- <param name="log-auth-failures" value="true"/> -->' before the real 'false' one.
    assert profiles['internal'].effective_values()['log-auth-failures'] == 'false'
    # external.xml only has the commented-out one.
    assert 'log-auth-failures' not in profiles['external'].effective_values()
    assert 'rtp-digit-delay' not in profiles['internal'].effective_values()


def test_setting_an_existing_param_changes_only_its_line(config_dir):
    before = snapshot(config_dir)
    plan = sp.plan_xml_change(config_dir, ['internal'], {'log-auth-failures': True})
    assert plan.changed_profiles == ['internal']
    assert plan.changes == {'internal': {'log-auth-failures': {'before': 'false', 'after': 'true'}}}
    write_plan(plan)
    after = snapshot(config_dir)
    removed, added = line_changes(before['internal.xml'], after['internal.xml'])
    assert removed == ['    <param name="log-auth-failures" value="false"/>\n']
    assert added == ['    <param name="log-auth-failures" value="true"/>\n']
    # The commented-out param right above is left as it was.
    assert b'<!-- <param name="log-auth-failures" value="true"/> -->' in after['internal.xml']
    for name in ('external.xml', 'internal-ipv6.xml', 'external-ipv6.xml'):
        assert after[name] == before[name]


def test_all_profiles_by_default_and_a_missing_param_is_added_after_the_last_one(config_dir):
    before = snapshot(config_dir)
    plan = sp.plan_xml_change(config_dir, None, {'log-auth-failures': 'true'})
    assert plan.changed_profiles == ['external', 'external-ipv6', 'internal', 'internal-ipv6']
    assert plan.changes['external'] == {'log-auth-failures': {'before': None, 'after': 'true'}}
    write_plan(plan)
    after = snapshot(config_dir)
    removed, added = line_changes(before['external.xml'], after['external.xml'])
    assert removed == []
    assert added == ['    <param name="log-auth-failures" value="true"/>\n']
    lines = after['external.xml'].decode().splitlines()
    position = lines.index('    <param name="log-auth-failures" value="true"/>')
    assert lines[position - 1] == '    <param name="tls-version" value="$${sip_tls_version}"/>'
    assert lines[position + 1] == '  </settings>'
    for name in ('internal.xml', 'internal-ipv6.xml', 'external-ipv6.xml'):
        removed, added = line_changes(before[name], after[name])
        assert len(removed) == 1 and len(added) == 1
        assert removed[0].replace('"false"', '"true"') == added[0]


def test_added_line_uses_the_siblings_tab_indentation(config_dir):
    before = snapshot(config_dir)
    write_plan(sp.plan_xml_change(config_dir, ['internal-ipv6'], {'apply-register-acl': 'domains'}))
    removed, added = line_changes(before['internal-ipv6.xml'], snapshot(config_dir)['internal-ipv6.xml'])
    assert removed == []
    assert added == ['\t\t<param name="apply-register-acl" value="domains"/>\n']


def test_trailing_comment_stays_with_its_param_when_adding(config_dir):
    before = snapshot(config_dir)
    write_plan(sp.plan_xml_change(config_dir, ['external-ipv6'], {'apply-register-acl': 'domains'}))
    after = snapshot(config_dir)['external-ipv6.xml']
    assert b'<param name="rtp-hold-timeout-sec" value="1800"/> <!-- 30 minutes on hold -->\n' \
           b'    <param name="apply-register-acl" value="domains"/>\n  </settings>' in after
    assert line_changes(before['external-ipv6.xml'], after)[0] == []


def test_second_run_changes_nothing(config_dir):
    params = {'log-auth-failures': True, 'apply-register-acl': 'domains', 'nonce-ttl': 90}
    write_plan(sp.plan_xml_change(config_dir, ['all'], params))
    first = snapshot(config_dir)
    plan = sp.plan_xml_change(config_dir, ['all'], params)
    assert plan.changes == {}
    assert plan.files == {}
    assert snapshot(config_dir) == first


def test_absent_removes_only_the_param_line(config_dir):
    before = snapshot(config_dir)
    plan = sp.plan_xml_change(config_dir, ['internal', 'external'], {'log-auth-failures': None}, state='absent')
    assert plan.changed_profiles == ['internal']
    assert plan.changes == {'internal': {'log-auth-failures': {'before': 'false', 'after': None}}}
    write_plan(plan)
    after = snapshot(config_dir)
    removed, added = line_changes(before['internal.xml'], after['internal.xml'])
    assert removed == ['    <param name="log-auth-failures" value="false"/>\n']
    assert added == []
    assert after['external.xml'] == before['external.xml']
    assert sp.plan_xml_change(config_dir, ['internal'], {'log-auth-failures': None}, state='absent').changes == {}


def test_absent_takes_a_trailing_comment_with_its_line(config_dir):
    before = snapshot(config_dir)
    write_plan(sp.plan_xml_change(config_dir, ['external-ipv6'], {'rtp-hold-timeout-sec': ''}, state='absent'))
    removed, added = line_changes(before['external-ipv6.xml'], snapshot(config_dir)['external-ipv6.xml'])
    assert removed == ['    <param name="rtp-hold-timeout-sec" value="1800"/> <!-- 30 minutes on hold -->\n']
    assert added == []


def test_malformed_file_is_refused_with_its_name_and_line(tmp_path):
    config = make_config(tmp_path, VANILLA + ('broken/malformed.xml',))
    before = snapshot(config)
    with pytest.raises(sp.SofiaProfileError) as error:
        sp.plan_xml_change(config, ['internal'], {'log-auth-failures': 'true'})
    assert 'malformed.xml' in str(error.value)
    assert 'line 6' in str(error.value)
    assert snapshot(config) == before


def test_unclosed_comment_is_refused(tmp_path):
    config = make_config(tmp_path, ('broken/unclosed-comment.xml',))
    with pytest.raises(sp.SofiaProfileError, match=r'unclosed-comment\.xml: malformed XML at line 4'):
        sp.plan_xml_change(config, ['all'], {'log-auth-failures': 'true'})


def test_missing_directories_are_reported(tmp_path):
    with pytest.raises(sp.SofiaProfileError, match='does not exist'):
        sp.plan_xml_change(str(tmp_path / 'nowhere'), ['all'], {'log-auth-failures': 'true'})
    (tmp_path / 'conf').mkdir()
    with pytest.raises(sp.SofiaProfileError, match='has no sip_profiles/ directory'):
        sp.plan_xml_change(str(tmp_path / 'conf'), ['all'], {'log-auth-failures': 'true'})


def test_empty_sip_profiles_directory_has_no_profile(tmp_path):
    config = make_config(tmp_path, ())
    with pytest.raises(sp.SofiaProfileError, match='no Sofia profile was found'):
        sp.plan_xml_change(config, ['all'], {'log-auth-failures': 'true'})


def test_unknown_profile_lists_the_known_ones_and_plans_nothing(config_dir):
    with pytest.raises(sp.SofiaProfileError) as error:
        sp.plan_xml_change(config_dir, ['internal', 'intrenal'], {'log-auth-failures': 'true'})
    message = str(error.value)
    assert 'intrenal' in message
    assert 'known profiles: external, external-ipv6, internal, internal-ipv6' in message


def test_profile_without_settings(tmp_path):
    config = make_config(tmp_path, ('broken/no-settings.xml',))
    with pytest.raises(sp.SofiaProfileError, match=r'no-settings in .*no-settings\.xml \(line 1\) has no <settings>'):
        sp.plan_xml_change(config, ['no-settings'], {'log-auth-failures': 'true'})
    assert sp.plan_xml_change(config, ['no-settings'], {'log-auth-failures': None}, state='absent').changes == {}


def test_duplicate_profile_names_are_refused(tmp_path):
    config = make_config(tmp_path, ('internal.xml', 'broken/duplicate-internal.xml'))
    with pytest.raises(sp.SofiaProfileError, match='profile internal is defined twice'):
        sp.plan_xml_change(config, ['internal'], {'log-auth-failures': 'true'})


@pytest.mark.parametrize('fixture, expected', [
    ('variants/empty-settings.xml',
     b'  <settings>\n    <!-- nothing set yet -->\n    <param name="log-auth-failures" value="true"/>\n  </settings>\n'),
    ('variants/self-closing-settings.xml',
     b'  <settings>\n    <param name="log-auth-failures" value="true"/>\n  </settings>\n'),
])
def test_param_added_to_settings_without_params(tmp_path, fixture, expected):
    config = make_config(tmp_path, (fixture,))
    plan = sp.plan_xml_change(config, ['all'], {'log-auth-failures': 'true'})
    write_plan(plan)
    data = snapshot(config)[os.path.basename(fixture)]
    assert expected in data
    assert sp.plan_xml_change(config, ['all'], {'log-auth-failures': 'true'}).changes == {}


def test_file_with_several_top_level_elements_and_single_quotes(tmp_path):
    config = make_config(tmp_path, ('variants/included.xml',))
    before = snapshot(config)['included.xml']
    # '&amp;' in the file is '&' once parsed: the same value is no change.
    assert sp.plan_xml_change(config, ['included'], {'user-agent-string': 'Example & Co'}).changes == {}
    write_plan(sp.plan_xml_change(config, ['included'], {'log-auth-failures': "it's & true"}))
    after = snapshot(config)['included.xml']
    removed, added = line_changes(before, after)
    assert added == ['    <param name="log-auth-failures" value=\'it&apos;s &amp; true\'/>\n']
    contents, profiles = sp.load_profiles(config)
    assert profiles['included'].effective_values()['log-auth-failures'] == "it's & true"
    assert after.startswith(b'<X-PRE-PROCESS cmd="set" data="included_sip_port=5070"/>\n')


def test_crlf_line_endings_are_kept(tmp_path):
    config = make_config(tmp_path, ('external.xml',))
    path = os.path.join(config, 'sip_profiles', 'external.xml')
    with open(path, 'rb') as handle:
        crlf = handle.read().replace(b'\n', b'\r\n')
    with open(path, 'wb') as handle:
        handle.write(crlf)
    write_plan(sp.plan_xml_change(config, ['external'], {'log-auth-failures': 'true', 'nonce-ttl': '120'}))
    after = snapshot(config)['external.xml']
    assert b'\r\n    <param name="log-auth-failures" value="true"/>\r\n  </settings>' in after
    assert after.count(b'\n') == after.count(b'\r\n') == crlf.count(b'\r\n') + 1


def test_several_new_params_keep_the_requested_order(config_dir):
    write_plan(sp.plan_xml_change(config_dir, ['external'], {'log-auth-failures': 'true', 'apply-register-acl': 'domains'}))
    data = snapshot(config_dir)['external.xml']
    assert (b'    <param name="log-auth-failures" value="true"/>\n'
            b'    <param name="apply-register-acl" value="domains"/>\n  </settings>') in data


def test_the_last_of_duplicate_params_is_the_one_changed(tmp_path):
    config = make_config(tmp_path, ())
    path = os.path.join(config, 'sip_profiles', 'dup.xml')
    with open(path, 'wb') as handle:
        handle.write(b'<profile name="dup">\n  <settings>\n    <param name="debug" value="1"/>\n'
                     b'    <param name="debug" value="0"/>\n  </settings>\n</profile>\n')
    plan = sp.plan_xml_change(config, ['dup'], {'debug': '2'})
    assert plan.changes == {'dup': {'debug': {'before': '0', 'after': '2'}}}
    assert plan.files[path][1] == (b'<profile name="dup">\n  <settings>\n    <param name="debug" value="1"/>\n'
                                   b'    <param name="debug" value="2"/>\n  </settings>\n</profile>\n')
    absent = sp.plan_xml_change(config, ['dup'], {'debug': None}, state='absent')
    assert absent.files[path][1] == b'<profile name="dup">\n  <settings>\n  </settings>\n</profile>\n'


def test_gateway_params_are_not_profile_params(tmp_path):
    config = make_config(tmp_path, ())
    with open(os.path.join(config, 'sip_profiles', 'gw.xml'), 'wb') as handle:
        handle.write(b'<profile name="gw">\n  <gateways>\n    <gateway name="carrier">\n'
                     b'      <param name="log-auth-failures" value="true"/>\n    </gateway>\n  </gateways>\n'
                     b'  <settings>\n    <param name="debug" value="0"/>\n  </settings>\n</profile>\n')
    contents, profiles = sp.load_profiles(config)
    assert profiles['gw'].effective_values() == {'debug': '0'}


def test_doctype_is_refused(tmp_path):
    config = make_config(tmp_path, ())
    with open(os.path.join(config, 'sip_profiles', 'dtd.xml'), 'wb') as handle:
        handle.write(b'<?xml version="1.0"?>\n<!DOCTYPE profile [<!ENTITY a "aaaa">]>\n'
                     b'<profile name="dtd"><settings><param name="debug" value="&a;"/></settings></profile>\n')
    with pytest.raises(sp.SofiaProfileError, match='DOCTYPE'):
        sp.load_profiles(config)


@pytest.mark.parametrize('params', [
    {'log-auth-failures': 'true"/><param name="sip-ip" value="198.51.100.7'},
    {'log-auth-failures': 'true\n'},
    {'log-auth-failures': '<!--'},
    {'log-auth-failures': None},
    {'log-auth-failures': ['true']},
    {'bad name': 'true'},
    {'log-auth-failures"': 'true'},
    {'': 'true'},
    {},
])
def test_invalid_params_are_refused(config_dir, params):
    before = snapshot(config_dir)
    with pytest.raises(sp.SofiaProfileError):
        sp.plan_xml_change(config_dir, ['all'], params)
    assert snapshot(config_dir) == before


@pytest.mark.parametrize('name', ['', 'inter"nal', 'a\nb', 5])
def test_invalid_profile_names_are_refused(config_dir, name):
    with pytest.raises(sp.SofiaProfileError, match='invalid profile name'):
        sp.plan_xml_change(config_dir, [name], {'debug': '0'})


def test_values_are_normalised_to_freeswitch_text():
    assert sp.validate_params({'a': True, 'b': False, 'c': 40, 'd': ''}) == {'a': 'true', 'b': 'false', 'c': '40', 'd': ''}


def test_diff_lists_the_requested_params_per_profile(config_dir):
    plan = sp.plan_xml_change(config_dir, ['internal', 'external'], {'log-auth-failures': 'true'})
    diff = sp.diff_for(plan.current, plan.changes)
    assert diff['before'] == 'internal: log-auth-failures=false\n'
    assert diff['after'] == 'external: log-auth-failures=true\ninternal: log-auth-failures=true\n'


VALUE_TEXT = st.text(st.characters(blacklist_categories=('Cs', 'Cc'), blacklist_characters='"<>\x7f'), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=VALUE_TEXT)
def test_any_valid_value_round_trips_with_a_one_line_change(tmp_path_factory, value):
    config = make_config(tmp_path_factory.mktemp('hyp'), ('internal.xml',))
    before = snapshot(config)['internal.xml']
    plan = sp.plan_xml_change(config, ['internal'], {'log-auth-failures': value})
    write_plan(plan)
    after = snapshot(config)['internal.xml']
    contents, profiles = sp.load_profiles(config)
    assert profiles['internal'].effective_values()['log-auth-failures'] == value
    removed, added = line_changes(before, after)
    if value == 'false':
        assert after == before
    else:
        assert removed == ['    <param name="log-auth-failures" value="false"/>\n']
        assert len(added) == 1
