# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The labelled sample logs of our fail2ban filters (tests/filters/samples, read by tests/filters/filter_samples.py):
every filter has a sample file for every format family, and every file is well formed and holds only
documentation addresses. Our filters on them, through fail2ban-regex: tests/integration/filters/test_filters.py.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "filters"))

from filter_samples import (  # noqa: E402  pylint: disable=wrong-import-position
    FILTER_NAMES, FILTERS, SAMPLES_DIR, filter_source, parse_samples, sample_files, sample_id,
)

DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)

IPV4_LITERAL_RE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")


@pytest.mark.parametrize("name", FILTER_NAMES)
def test_every_filter_has_samples_for_every_format(name):
    present = {p.stem for p in (SAMPLES_DIR / name).glob("*.log")}
    assert set(FILTERS[name][1]) <= present
    assert filter_source(name).is_file()


@pytest.mark.parametrize("sample_path", sample_files(), ids=sample_id)
def test_samples_are_well_formed(sample_path):
    samples = parse_samples(sample_path)
    assert any(s.expected for s in samples), "no must-match line"
    assert any(s.expected is None for s in samples), "no must-not-match line"
    for sample in samples:
        addresses = [ipaddress.ip_address(a) for a in IPV4_LITERAL_RE.findall(sample.text)]
        if sample.expected:
            addresses.append(ipaddress.ip_address(sample.expected))
        for address in addresses:
            assert any(address in net for net in DOCUMENTATION_NETWORKS), (
                "%s: %s is not a documentation address" % (sample.where(), address))
