# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FusionPBX backend against a real PostgreSQL (its pure part: tests/unit/plugins/module_utils/test_fusionpbx_db.py)."""

from __future__ import absolute_import, division, print_function

import pytest

from fusionpbx_pg import DB_NAME, DB_PASSWORD, DB_USER, run_command

from ansible_collections.voipguard.pbx.plugins.module_utils import fusionpbx_db as fdb
from ansible_collections.voipguard.pbx.plugins.module_utils import sofia_profiles

PARAM = 'log-auth-failures'
ALL = ['external', 'external-ipv6', 'internal', 'internal-ipv6']
NEW_UUID = '7d0a2b10-1c2d-4e3f-8a9b-0c1d2e3f4a5b'


# ---------------------------------------------------------------- against a real PostgreSQL
# FusionPBX 5.5 as installed: its own tables and default rows, from the pinned source tarball
# (tests/integration/fusionpbx_pg.py). Rows are (profile, setting uuid, name, value, enabled, description);
# the uuids are random on every reset, as FusionPBX makes them, so tests look them up.


def password_psql(cluster, password=DB_PASSWORD):
    connection = fdb.Connection(host=cluster.socket_dir, port=cluster.port, name=DB_NAME, user=DB_USER, password=password)
    return fdb.Psql(run_command, connection)


def change(psql, params, profiles=None, state='present', **kwargs):
    return fdb.change_params(psql, params, profiles or ['all'], state_name=state, **kwargs)


def changed_rows(before, after):
    return sorted(set(after) - set(before)), sorted(set(before) - set(after))


def test_the_database_holds_what_fusionpbx_installs(fusionpbx_db):
    # What a real FusionPBX 5.5 built from the same tarball holds after upgrade.php --schema and --defaults.
    settings_columns = [('sip_profile_setting_uuid', 'uuid'), ('sip_profile_uuid', 'uuid'), ('sip_profile_setting_name', 'text'),
                        ('sip_profile_setting_value', 'text'), ('sip_profile_setting_enabled', 'boolean'),
                        ('sip_profile_setting_description', 'text'), ('insert_date', 'timestamp with time zone'),
                        ('insert_user', 'uuid'), ('update_date', 'timestamp with time zone'), ('update_user', 'uuid')]
    assert fusionpbx_db.columns('v_sip_profile_settings') == settings_columns
    assert ('sip_profile_enabled', 'boolean') in fusionpbx_db.columns('v_sip_profiles')
    profiles = fusionpbx_db.profiles()
    assert sorted(profiles) == ALL
    assert [(row['sip_profile_enabled'], row['sip_profile_hostname']) for row in profiles.values()] == [(True, None)] * 4
    rows = fusionpbx_db.rows()
    assert len(rows) == 335
    assert [row[0] for row in rows if row[2] == PARAM] == ['internal']
    assert [row[2:] for row in fusionpbx_db.settings('internal', PARAM)] == [(PARAM, 'false', True, None)]
    assert [(row[0], row[3], row[4]) for row in rows if row[2] == 'apply-register-acl'] == [
        (name, 'providers', False) for name in ALL]
    assert fusionpbx_db.access_controls() == {
        'providers': ('deny', []),
        'rfc1918': ('deny', [('allow', '10.0.0.0/8'), ('allow', '172.16.0.0/12'), ('allow', '192.168.0.0/16')])}


def test_read_state_sees_enabled_settings_only(fusionpbx_db):
    names = [PARAM, 'apply-register-acl', 'user-agent-string']
    state = fdb.read_state(password_psql(fusionpbx_db), names)
    assert state.names() == ALL
    values = dict((profile.name, dict((name, profile.effective(name)) for name in names)) for profile in state.profiles)
    # Every profile has an apply-register-acl row, disabled: FusionPBX leaves it out of sofia.conf.
    # Only internal has a log-auth-failures row.
    assert values == dict((name, {PARAM: 'false' if name == 'internal' else None, 'apply-register-acl': None,
                                  'user-agent-string': 'FreeSWITCH'}) for name in ALL)
    internal = state.by_name('internal')[0]
    assert sorted((row.name, row.value, row.enabled) for row in internal.settings) == [
        ('apply-register-acl', 'providers', 'false'), (PARAM, 'false', 'true'), ('user-agent-string', 'FreeSWITCH', 'true')]


def test_setting_a_param_updates_its_row_or_adds_one(fusionpbx_db):
    psql = password_psql(fusionpbx_db)
    before = fusionpbx_db.rows()
    internal_uuid = fusionpbx_db.setting_uuid('internal', PARAM)
    plan = change(psql, {PARAM: 'true'}, ['internal', 'external'], new_uuid=lambda: NEW_UUID)
    assert plan.changed_profiles == ['external', 'internal']
    assert plan.changes == {'internal': {PARAM: {'before': 'false', 'after': 'true'}},
                            'external': {PARAM: {'before': None, 'after': 'true'}}}
    added, removed = changed_rows(before, fusionpbx_db.rows())
    assert removed == [('internal', internal_uuid, PARAM, 'false', True, None)]
    assert added == [('external', NEW_UUID, PARAM, 'true', True, None), ('internal', internal_uuid, PARAM, 'true', True, None)]
    assert change(psql, {PARAM: 'true'}, ['internal', 'external']).changes == {}


def test_missing_setting_is_inserted_and_a_disabled_one_enabled(fusionpbx_db):
    psql = password_psql(fusionpbx_db)
    before = fusionpbx_db.rows()
    acl_uuid = fusionpbx_db.setting_uuid('external-ipv6', 'apply-register-acl')
    plan = change(psql, {PARAM: 'true', 'apply-register-acl': 'domains'}, ['external-ipv6'], new_uuid=lambda: NEW_UUID)
    assert plan.changes == {'external-ipv6': {PARAM: {'before': None, 'after': 'true'},
                                              'apply-register-acl': {'before': None, 'after': 'domains'}}}
    added, removed = changed_rows(before, fusionpbx_db.rows())
    assert added == sorted([('external-ipv6', NEW_UUID, PARAM, 'true', True, None),
                            ('external-ipv6', acl_uuid, 'apply-register-acl', 'domains', True, None)])
    assert removed == [('external-ipv6', acl_uuid, 'apply-register-acl', 'providers', False, None)]


def test_absent_disables_the_rows_and_keeps_them(fusionpbx_db):
    psql = password_psql(fusionpbx_db)
    before = fusionpbx_db.rows()
    plan = change(psql, {'user-agent-string': None}, state='absent')
    assert plan.changed_profiles == ALL
    assert plan.changes['internal'] == {'user-agent-string': {'before': 'FreeSWITCH', 'after': None}}
    added, removed = changed_rows(before, fusionpbx_db.rows())
    assert len(added) == 4
    assert sorted(row[1] for row in added) == sorted(row[1] for row in removed)
    assert all(row[2:] == ('user-agent-string', 'FreeSWITCH', False, None) for row in added)
    assert change(psql, {'user-agent-string': None}, state='absent').changes == {}
    # Rows that are all disabled already, or missing, need nothing.
    after = fusionpbx_db.rows()
    assert change(psql, {'apply-register-acl': None}, state='absent').changes == {}
    assert fusionpbx_db.rows() == after
    assert change(psql, {PARAM: None}, state='absent').changes == {'internal': {PARAM: {'before': 'false', 'after': None}}}


def test_hostile_values_are_stored_verbatim(fusionpbx_db):
    psql = password_psql(fusionpbx_db)
    setting_uuid = fusionpbx_db.setting_uuid('internal', 'user-agent-string')
    hostile = "x'); DROP TABLE v_sip_profiles; -- :'param0' \\gset"
    change(psql, {'user-agent-string': hostile}, ['internal'])
    rows = fusionpbx_db.rows()
    assert ('internal', setting_uuid, 'user-agent-string', hostile, True, None) in rows
    assert fdb.read_state(psql, ['user-agent-string']).names() == ALL


def test_peer_authentication_as_the_postgres_user(fusionpbx_db):
    connection = fdb.Connection(host=fusionpbx_db.socket_dir, port=fusionpbx_db.port, name=DB_NAME)
    psql = fdb.Psql(run_command, connection)
    assert change(psql, {PARAM: 'true'}, ['internal-ipv6'], new_uuid=lambda: NEW_UUID).changed_profiles == ['internal-ipv6']
    assert ('internal-ipv6', NEW_UUID, PARAM, 'true', True, None) in fusionpbx_db.rows()


def test_wrong_password_is_reported_and_nothing_changes(fusionpbx_db):
    before = fusionpbx_db.rows()
    with pytest.raises(fdb.FusionPBXError, match='password authentication failed'):
        fdb.read_state(password_psql(fusionpbx_db, password='wrong'), [PARAM])
    assert fusionpbx_db.rows() == before


def test_rows_changed_since_the_read_abort_the_write(fusionpbx_db):
    psql = password_psql(fusionpbx_db)
    state = fdb.read_state(psql, [PARAM])
    plan = fdb.plan_db_change(state, ['internal'], {PARAM: 'true'})
    # Someone edits the same setting in the GUI between our read and our write.
    fusionpbx_db.psql("UPDATE v_sip_profile_settings SET sip_profile_setting_value = 'gui'"
                      " WHERE sip_profile_setting_uuid = '%s';\n" % fusionpbx_db.setting_uuid('internal', PARAM))
    before = fusionpbx_db.rows()
    with pytest.raises(fdb.ConflictError):
        fdb.apply_db_change(psql, plan, [PARAM])
    assert fusionpbx_db.rows() == before


def test_a_failing_statement_rolls_back_the_whole_transaction(fusionpbx_db):
    psql = password_psql(fusionpbx_db)
    before = fusionpbx_db.rows()
    names = ['apply-register-acl', PARAM]
    plan = fdb.plan_db_change(fdb.read_state(psql, names), ALL, {PARAM: 'true', 'apply-register-acl': 'domains'})
    assert plan.updates and plan.inserts
    # The inserts reuse an existing primary key, after the updates already ran in the transaction.
    existing = fusionpbx_db.setting_uuid('internal', PARAM)
    with pytest.raises(fdb.FusionPBXError, match='duplicate key'):
        fdb.apply_db_change(psql, plan, names, new_uuid=lambda: existing)
    assert fusionpbx_db.rows() == before


def test_check_mode_predicts_the_change_and_writes_nothing(fusionpbx_db):
    psql = password_psql(fusionpbx_db)
    before = fusionpbx_db.rows()
    predicted = change(psql, {PARAM: 'true'}, check_mode=True)
    assert predicted.changes == dict((name, {PARAM: {'before': 'false' if name == 'internal' else None, 'after': 'true'}})
                                     for name in ALL)
    assert fusionpbx_db.rows() == before
    assert change(psql, {PARAM: 'true'}).changes == predicted.changes
    assert sorted(row[0] for row in fusionpbx_db.rows() if row[2] == PARAM and row[3] == 'true' and row[4]) == ALL


def test_excluded_and_unknown_profiles(fusionpbx_db):
    psql = password_psql(fusionpbx_db)
    plan = change(psql, {PARAM: 'true'}, exclude=['external', 'external-ipv6'])
    assert plan.changed_profiles == ['internal', 'internal-ipv6']
    assert [row[0] for row in fusionpbx_db.rows() if row[2] == PARAM] == ['internal', 'internal-ipv6']
    before = fusionpbx_db.rows()
    with pytest.raises(sofia_profiles.SofiaProfileError, match='nosuch'):
        change(psql, {PARAM: 'false'}, ['internal', 'nosuch'])
    assert fusionpbx_db.rows() == before


def test_a_disabled_profile_named_explicitly_is_refused(fusionpbx_db):
    # A fresh install enables every profile: here an administrator has turned external-ipv6 off.
    fusionpbx_db.psql("UPDATE v_sip_profiles SET sip_profile_enabled = false WHERE sip_profile_name = 'external-ipv6';\n")
    psql = password_psql(fusionpbx_db)
    before = fusionpbx_db.rows()
    with pytest.raises(fdb.FusionPBXError, match='disabled in FusionPBX.*: external-ipv6;'):
        change(psql, {PARAM: 'true'}, ['internal', 'external-ipv6'])
    assert fusionpbx_db.rows() == before
