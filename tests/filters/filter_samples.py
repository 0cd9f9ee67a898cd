# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The labelled sample logs of our fail2ban filters, and how to read them (test helper).

Sample logs live in ``samples/<filter name>/*.log``, one file per format family. Each log line is
preceded by its label::

    # match 203.0.113.5        the line must match, and fail2ban must take exactly this address
    # no-match                 the line must not match
    ## anything                 free comment (also "# match ... -- note" / "# no-match -- note")

Blank lines are ignored. tests/unit/filters/test_filter_samples.py checks the files' layout and addresses;
tests/integration/filters/test_filters.py runs fail2ban-regex with our filters over them.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
# Format families each filter must have a sample file for. real-freeswitch-*: lines captured from
# real FreeSWITCH builds (capture_freeswitch_samples.py); the others are written by hand.
FREESWITCH_FORMATS = ("freeswitch-1.10.6", "freeswitch-1.10.7", "syslog", "old-warn-sofia", "crafted",
                      "real-freeswitch-1.10.6", "real-freeswitch-1.10.12", "real-freeswitch-1.11.2")
# filter name -> (role whose files/filter.d ships it, format families)
FILTERS = {
    "voipguard-freeswitch": ("freeswitch", FREESWITCH_FORMATS),
    "voipguard-freeswitch-ip": ("freeswitch", FREESWITCH_FORMATS),
    "voipguard-fusionpbx": ("fusionpbx", ("syslog", "rsyslog-rfc3339", "crafted")),
    "voipguard-fusionpbx-mac": ("fusionpbx", ("nginx-access", "crafted")),
    "voipguard-nginx-404": ("fusionpbx", ("nginx-access", "crafted")),
    "voipguard-nginx-limit-req": ("fusionpbx", ("nginx-error", "crafted")),
}
FILTER_NAMES = tuple(FILTERS)


def filter_source(name: str) -> Path:
    return REPO_ROOT / "roles" / FILTERS[name][0] / "files" / "filter.d" / (name + ".conf")


LABEL_RE = re.compile(r"^# (?:match (?P<addr>\S+)|(?P<nomatch>no-match))(?:\s+--\s.*)?\s*$")


# --- labelled samples ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    path: Path
    lineno: int
    text: str
    expected: Optional[str]  # address that must be banned, None: must not match

    def where(self) -> str:
        return "%s:%d" % (self.path.relative_to(SAMPLES_DIR), self.lineno)


def parse_samples(path: Path) -> List[Sample]:
    """Read a labelled sample file; raise ValueError on any layout mistake."""
    samples = []
    pending = None  # (lineno, expected) of a label waiting for its log line
    seen = set()
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("##"):
            continue
        if raw.startswith("#"):
            label = LABEL_RE.match(raw)
            if not label:
                raise ValueError("%s:%d: not a label: %r" % (path, lineno, raw))
            if pending:
                raise ValueError("%s:%d: label without a log line" % (path, pending[0]))
            expected = None
            if label.group("addr"):
                expected = str(ipaddress.ip_address(label.group("addr")))
            pending = (lineno, expected)
            continue
        if not pending:
            raise ValueError("%s:%d: log line without a label" % (path, lineno))
        if raw in seen:
            raise ValueError("%s:%d: duplicate log line" % (path, lineno))
        seen.add(raw)
        samples.append(Sample(path, lineno, raw, pending[1]))
        pending = None
    if pending:
        raise ValueError("%s:%d: label without a log line" % (path, pending[0]))
    return samples


def sample_files() -> List[Path]:
    return sorted(SAMPLES_DIR.glob("*/*.log"))


def sample_id(path: Path) -> str:
    return "%s/%s" % (path.parent.name, path.stem)
