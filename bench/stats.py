# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Medians, percentiles and ratios of benchmark samples (None means: did not happen / not measured)."""

import math


def values(samples):
    return sorted(float(s) for s in samples if s is not None)


def median(samples):
    data = values(samples)
    if not data:
        return None
    middle = len(data) // 2
    return data[middle] if len(data) % 2 else (data[middle - 1] + data[middle]) / 2.0


def percentile(samples, fraction):
    """Nearest-rank percentile (with 5 samples, p95 is the largest)."""
    data = values(samples)
    if not data:
        return None
    rank = max(1, int(math.ceil(fraction * len(data))))
    return data[rank - 1]


def ratio(ours, stock):
    """ours / stock, or None when either is missing or stock is 0."""
    if ours is None or stock in (None, 0):
        return None
    return float(ours) / float(stock)


def summary(samples):
    data = values(samples)
    return dict(runs=len(samples), median=median(data), min=data[0] if data else None,
                max=data[-1] if data else None, p95=percentile(data, 0.95))


def fmt(value, unit="", digits=2):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        text = "%.*f" % (digits, value)
    else:
        text = str(value)
    return text + unit


def fmt_ratio(value):
    return "n/a" if value is None else "%.2fx" % value
