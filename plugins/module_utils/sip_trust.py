# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read what voipguard-sip-trust trusts (the freeswitch role's service), from the state file it writes.

Plain Python (standard library only, Python 3.9+). The service (roles/freeswitch/files/voipguard-sip-trust.py)
adds the addresses FreeSWITCH trusts to the SIP jails' runtime ignore list and records them, with the
reason for each, in a JSON state file. fail2ban_info returns that summary; the whitelist checks use it to
tell the policy's whitelist from the service's entries.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

DEFAULT_STATE_PATH = '/var/lib/voipguard/sip-trust.json'


class SipTrustStateError(ValueError):
    pass  # a state file that cannot be read: reported in the result's error, never raised to the module


def read_state(path, now, opener=open):
    """The service's state as fail2ban_info returns it; None when there is no state file, and a dict with an
    C(error) (and nothing trusted) when it cannot be read: the rest of fail2ban_info's answer stays useful."""
    try:
        return _summary(path, _load(path, opener), now)
    except SipTrustStateError as error:
        return dict(path=path, error=str(error), updated=None, age=None, refresh_interval=0, sources={},
                    registration_window=None, trusted=[], skipped=[], errors={}, jails={}, owned={}, unbanned=[])
    except FileNotFoundError:
        return None


def _load(path, opener):
    try:
        with opener(path, encoding='utf-8') as handle:
            state = json.load(handle)
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as error:
        raise SipTrustStateError('cannot read the trust state %s: %s' % (path, error))
    if not isinstance(state, dict) or state.get('version') != 1:
        raise SipTrustStateError('%s is not a voipguard-sip-trust state (version 1)' % path)
    return state


def _summary(path, state, now):
    try:
        updated = float(state.get('updated') or 0)
        owned = dict((str(jail), [str(entry) for entry in entries]) for jail, entries in (state.get('owned') or {}).items())
    except (AttributeError, TypeError, ValueError) as error:
        raise SipTrustStateError('%s is not a voipguard-sip-trust state: %s' % (path, error))
    return dict(
        error=None,
        path=path,
        updated=updated,
        age=max(int(now - updated), 0),
        refresh_interval=int(state.get('refresh_interval') or 0),
        sources=state.get('sources') or {},
        registration_window=state.get('registration_window'),
        trusted=state.get('trusted') or [],
        skipped=state.get('skipped') or [],
        errors=state.get('errors') or {},
        jails=state.get('jails') or {},
        owned=owned,
        unbanned=state.get('unbanned') or [],
    )


def service_entries(sip_trust, jail):
    """Entries of `jail`'s ignore list that the service added (not the configured whitelist)."""
    if not sip_trust:
        return set()
    return set((sip_trust.get('owned') or {}).get(jail) or [])


def configured_ignoreip(ignoreip, sip_trust, jail):
    """A jail's runtime ignore list without the entries the trust service added."""
    added = service_entries(sip_trust, jail)
    return [entry for entry in ignoreip if entry not in added]
