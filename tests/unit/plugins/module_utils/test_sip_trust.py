# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/sip_trust.py: the trust service's state as fail2ban_info returns it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.voipguard.pbx.plugins.module_utils import sip_trust

STATE = {'version': 1, 'updated': 1000.0, 'refresh_interval': 10, 'sources': {'registrations': True},
         'registration_window': 86400, 'trusted': [{'entry': '192.0.2.20', 'reasons': ['registered now: 1000@x']}],
         'skipped': [], 'errors': {}, 'jails': {'j': 'synced'}, 'owned': {'j': ['192.0.2.20']},
         'registrations': {'192.0.2.20': {'last_seen': 1000.0, 'user': '1000@x'}}}


def test_state_is_summarised_with_its_age(tmp_path):
    path = tmp_path / 'state.json'
    path.write_text(json.dumps(STATE))
    state = sip_trust.read_state(str(path), 1012.5)
    assert state['age'] == 12 and state['owned'] == {'j': ['192.0.2.20']}
    assert 'registrations' not in state, 'the raw history is the service\'s, not the report\'s'


def test_no_state_file_is_none_and_a_broken_one_an_error_in_the_result(tmp_path):
    assert sip_trust.read_state(str(tmp_path / 'missing.json'), 0) is None
    path = tmp_path / 'state.json'
    for text, words in (('{"version": 1, "trusted": [', 'cannot read the trust state'),
                        ('{"version": 7}', 'not a voipguard-sip-trust state'),
                        ('{"version": 1, "updated": "soon"}', 'not a voipguard-sip-trust state'),
                        ('{"version": 1, "owned": {"j": 5}}', 'not a voipguard-sip-trust state')):
        path.write_text(text)
        state = sip_trust.read_state(str(path), 0)
        assert words in state['error'] and state['trusted'] == [] and state['owned'] == {}


def test_configured_ignoreip_leaves_out_what_the_service_added():
    trust = {'owned': {'j': ['192.0.2.20']}}
    assert sip_trust.configured_ignoreip(['127.0.0.0/8', '192.0.2.20'], trust, 'j') == ['127.0.0.0/8']
    assert sip_trust.configured_ignoreip(['127.0.0.0/8', '192.0.2.20'], trust, 'other') == ['127.0.0.0/8', '192.0.2.20']
    assert sip_trust.configured_ignoreip(['127.0.0.0/8'], None, 'j') == ['127.0.0.0/8']
