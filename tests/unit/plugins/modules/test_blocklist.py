# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""voipguard.pbx.blocklist where the fail2ban role has not installed its program (with the program and the real nft
in a network namespace: tests/integration/plugins/modules/test_blocklist_netns.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.voipguard.pbx.plugins.modules import blocklist as blocklist_module

from module_harness import run_module


def test_not_installed_says_which_role_installs_it(tmp_path):
    outcome = run_module(blocklist_module, dict(name='fleet', entries=['203.0.113.7'], program=str(tmp_path / 'none'),
                                                config=str(tmp_path / 'none.json')))
    assert outcome.failed and 'run the voipguard.pbx.fail2ban role' in outcome.result['msg']
