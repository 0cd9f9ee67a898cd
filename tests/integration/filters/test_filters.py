# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check our fail2ban filters with fail2ban-regex against the labelled sample logs (tests/filters/samples: how they
are labelled, tests/filters/filter_samples.py; their layout is checked by tests/unit/filters/test_filter_samples.py).

The labels are stripped into a temporary log which fail2ban-regex reads
(it also skips "#" lines itself, but the copy makes sure it sees exactly the labelled lines).

fail2ban-regex runs twice per sample file:
  * ``-o '<ip><TAB><time><TAB><msg>'`` gives one row per matched line: the address fail2ban would
    ban and the time it read from the line;
  * the normal report (``--print-all-missed``) gives the missed lines and the date templates hit.

Tests that need fail2ban-regex skip when it is not installed, unless VOIPGUARD_REQUIRE_FAIL2BAN
is set (the Makefile sets it): then they fail.
"""

from __future__ import annotations

import collections
import datetime
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "filters"))

from filter_samples import (  # noqa: E402  pylint: disable=wrong-import-position
    FILTER_NAMES, FREESWITCH_FORMATS, SAMPLES_DIR, Sample, filter_source, parse_samples, sample_files, sample_id,
)

# Where fail2ban's own filter.d lives (Debian, other Linux; FreeBSD).
FAIL2BAN_FILTER_DIRS = (Path("/etc/fail2ban/filter.d"), Path("/usr/local/etc/fail2ban/filter.d"))
STOCK_FILTER = "freeswitch.conf"


# --- dates -------------------------------------------------------------------------------------------

# Leading date of a line -> (kind, datetime in UTC, year known?). The kinds are the date templates
# each format family must be read with. A regex with a "date" group takes the date from that group
# (nginx's access log has it in brackets after the client address).
LEADING_DATES = (
    ("freeswitch", re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"), "%Y-%m-%d %H:%M:%S", True),
    ("freeswitch-no-year", re.compile(r"^\d{2}-\d{2} \d{2}:\d{2}:\d{2}"), "%m-%d %H:%M:%S", False),
    ("syslog", re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}"), "%b %d %H:%M:%S", False),
    ("rfc3339", re.compile(r"^\d{4}-\d{2}-\d{2}T\S+"), None, True),
    ("nginx-error", re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}"), "%Y/%m/%d %H:%M:%S", True),
    ("nginx-access", re.compile(r"^[^\[]*\[(?P<date>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]"),
     "%d/%b/%Y:%H:%M:%S %z", True),
)


def leading_date(line: str) -> Tuple[Optional[str], Optional[datetime.datetime], bool]:
    for kind, regex, fmt, has_year in LEADING_DATES:
        found = regex.match(line)
        if not found:
            continue
        text = found.group("date") if "date" in regex.groupindex else found.group()
        if fmt is None:
            stamp = datetime.datetime.fromisoformat(text)
        elif has_year:
            stamp = datetime.datetime.strptime(re.sub(r" +", " ", text), fmt)
        else:  # a leap year, so that Feb 29 parses (Python 3.13 deprecates parsing a date without a year)
            stamp = datetime.datetime.strptime("2000 " + re.sub(r" +", " ", text), "%Y " + fmt)
        if stamp.tzinfo is None:  # fail2ban-regex runs with --timezone UTC
            stamp = stamp.replace(tzinfo=datetime.timezone.utc)
        return kind, stamp.astimezone(datetime.timezone.utc), has_year
    return None, None, False


# Date templates of our filters' datepattern, as fail2ban-regex names them in its report.
TEMPLATE_KINDS = (
    ("{^LN-BEG}ExYear-Month-Day 24hour:", "freeswitch"),
    ("{^LN-BEG}Month-Day 24hour:", "freeswitch-no-year"),
    ("{^LN-BEG}MON Day 24hour:", "syslog"),
    ("{^LN-BEG}ExYear-Month-DayT24hour:", "rfc3339"),
    ("{^LN-BEG}ExYear/Month/Day 24hour:", "nginx-error"),
    ("^[^\\[]*\\[(Day/MON/ExYear:24hour:", "nginx-access"),
)


def template_kind(name: str) -> str:
    """Map a date template name from the fail2ban-regex report to a LEADING_DATES kind."""
    for prefix, kind in TEMPLATE_KINDS:
        if name.startswith(prefix):
            return kind
    return "unexpected template %s" % name


# --- fail2ban-regex ------------------------------------------------------------------------------------

def find_fail2ban_filter_dir() -> Optional[Path]:
    for candidate in FAIL2BAN_FILTER_DIRS:
        if (candidate / "common.conf").is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def fail2ban_regex() -> str:
    path = shutil.which("fail2ban-regex")
    if path and find_fail2ban_filter_dir():
        return path
    reason = "fail2ban-regex or fail2ban's filter.d/common.conf not found"
    if os.environ.get("VOIPGUARD_REQUIRE_FAIL2BAN"):
        pytest.fail(reason + " and VOIPGUARD_REQUIRE_FAIL2BAN is set")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def config_dir(tmp_path_factory, fail2ban_regex) -> Path:
    """A fail2ban config dir whose filter.d has fail2ban's common.conf, the stock FreeSWITCH filter
    (when installed) and ours, so that "before = common.conf" resolves. Host *.local files are left
    out on purpose: the results must not depend on local customisation."""
    base = tmp_path_factory.mktemp("fail2ban")
    filter_d = base / "filter.d"
    filter_d.mkdir()
    source = find_fail2ban_filter_dir()
    shutil.copy(source / "common.conf", filter_d)
    if (source / STOCK_FILTER).is_file():
        shutil.copy(source / STOCK_FILTER, filter_d)
    for name in FILTER_NAMES:
        shutil.copy(filter_source(name), filter_d)
    return base


def run_fail2ban_regex(fail2ban_regex: str, log: Path, filter_path, *options: str) -> str:
    proc = subprocess.run(
        [fail2ban_regex, "--timezone", "UTC", *options, str(log), str(filter_path)],
        capture_output=True, text=True, check=False, timeout=300,
    )
    assert proc.returncode == 0, "fail2ban-regex failed (%d):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


def matched_rows(fail2ban_regex: str, log: Path, filter_path) -> List[Tuple[str, float, str]]:
    """(address, time, line) for every line the filter matched."""
    out = run_fail2ban_regex(fail2ban_regex, log, filter_path, "-o", "<ip>\t<time>\t<msg>")
    rows = []
    for row in out.splitlines():
        addr, stamp, line = row.split("\t", 2)
        rows.append((addr, float(stamp), line))
    return rows


@dataclass
class Report:
    total: int
    matched: int
    missed_lines: List[str]
    template_hits: Dict[str, int]


def report(fail2ban_regex: str, log: Path, filter_path: Path) -> Report:
    out = run_fail2ban_regex(fail2ban_regex, log, filter_path, "--print-all-missed", "--print-no-ignored")
    totals = re.search(r"^Lines: (\d+) lines, \d+ ignored, (\d+) matched, \d+ missed", out, re.M)
    assert totals, out
    missed, hits, section = [], {}, None
    for line in out.splitlines():
        if line == "Date template hits:":
            section = "dates"
        elif line == "|- Missed line(s):":
            section = "missed"
        elif line.startswith("`-"):
            section = None
        elif section == "dates":
            hit = re.match(r"^\|  \[(\d+)\] (.+)$", line)
            if hit:
                hits[hit.group(2)] = hits.get(hit.group(2), 0) + int(hit.group(1))
        elif section == "missed" and line.startswith("|  "):
            missed.append(line[3:])
    return Report(int(totals.group(1)), int(totals.group(2)), missed, hits)


def write_log(samples: List[Sample], directory: Path) -> Path:
    log = directory / "samples.log"
    log.write_text("".join(s.text + "\n" for s in samples), encoding="utf-8")
    return log


def check_filter(fail2ban_regex: str, filter_path: Path, sample_path: Path, workdir: Path) -> List[str]:
    """Run the filter over one labelled file; return every disagreement with the labels."""
    samples = parse_samples(sample_path)
    log = write_log(samples, workdir)
    problems = []

    rows_by_line = collections.defaultdict(list)
    for addr, stamp, line in matched_rows(fail2ban_regex, log, filter_path):
        rows_by_line[line].append((addr, stamp))
    for sample in samples:
        rows = rows_by_line.pop(sample.text, [])
        if sample.expected is None:
            if rows:
                problems.append("%s must not match, matched %s" % (sample.where(), [r[0] for r in rows]))
            continue
        if [r[0] for r in rows] != [sample.expected]:
            problems.append("%s must match once with %s, got %s" % (
                sample.where(), sample.expected, [r[0] for r in rows]))
            continue
        kind, expected_time, has_year = leading_date(sample.text)
        got_time = datetime.datetime.fromtimestamp(rows[0][1], datetime.timezone.utc)
        fields = ("month", "day", "hour", "minute", "second") + (("year",) if has_year else ())
        if kind is None or any(getattr(got_time, f) != getattr(expected_time, f) for f in fields):
            problems.append("%s: fail2ban read the time %s, the line says %s" % (
                sample.where(), got_time.isoformat(), expected_time and expected_time.isoformat()))
    for line, rows in rows_by_line.items():
        problems.append("fail2ban reported a match for a line that is not in the sample: %r %s" % (line, rows))

    result = report(fail2ban_regex, log, filter_path)
    if result.total != len(samples):
        problems.append("fail2ban-regex read %d lines, the sample has %d" % (result.total, len(samples)))
    expected_matches = sum(1 for s in samples if s.expected)
    if result.matched != expected_matches:
        problems.append("fail2ban-regex counted %d matches, expected %d" % (result.matched, expected_matches))
    must_match = {s.text: s for s in samples if s.expected}
    for line in result.missed_lines:
        if line in must_match:
            problems.append("%s reported as missed" % must_match[line].where())
    expected_kinds = collections.Counter(k for k in (leading_date(s.text)[0] for s in samples) if k)
    got_kinds = collections.Counter()
    for name, count in result.template_hits.items():
        got_kinds[template_kind(name)] += count
    if got_kinds != expected_kinds:
        problems.append("date templates hit %s, expected %s (raw: %s)" % (
            dict(got_kinds), dict(expected_kinds), result.template_hits))
    return problems


# --- tests ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sample_path", sample_files(), ids=sample_id)
def test_filter_on_labelled_samples(sample_path, fail2ban_regex, config_dir, tmp_path):
    filter_path = config_dir / "filter.d" / (sample_path.parent.name + ".conf")
    problems = check_filter(fail2ban_regex, filter_path, sample_path, tmp_path)
    assert not problems, "\n".join(problems)


# Deliberately broken copies of our filters: the checker above must notice each of them.
MUTATIONS = (
    ("voipguard-freeswitch", "freeswitch-1.10.7", "(?:%(_idle_cpu)s)?", ""),
    ("voipguard-freeswitch", "crafted", r"_request_party = \[.*\]", r"_request_party = \[[^\]]*\]"),
    ("voipguard-freeswitch", "freeswitch-1.10.6", "SIP auth failure", "SIP auth (?:failure|challenge)"),
    ("voipguard-freeswitch", "old-warn-sofia", "{^LN-BEG}%%m-%%d", "{^LN-BEG}%%m/%%d"),
    ("voipguard-freeswitch-ip", "crafted", r"\[.*@%(_bare_ip_host)s\]", r"\[.*@\S+\]"),
    ("voipguard-freeswitch-ip", "syslog", "%(__pid_re)s?:", "%(__pid_re)s:"),
    ("voipguard-fusionpbx", "syslog", "\n            ^provision attempt", "\n            = ^provision attempt"),
    ("voipguard-fusionpbx", "crafted", "^\\s*(?:%(__hostname)s\\s+)?%(_daemon)s", "^.*%(_daemon)s"),
    ("voipguard-fusionpbx", "rsyslog-rfc3339", "(?:\\.%%f)?(?:%%z)?", "(?:\\.%%f)?"),
    ("voipguard-fusionpbx-mac", "nginx-access", "(?i:[^\" ]*/provision", "([^\" ]*/provision"),
    ("voipguard-fusionpbx-mac", "crafted", "^<ADDR> \\S+ .*?\\[\\]", "^.*<ADDR> \\S+ .*?\\[\\]"),
    ("voipguard-nginx-404", "nginx-access", '" 404\\s', '" 40\\d'),
    ("voipguard-nginx-404", "nginx-access", "(?: HTTP/[0-9.]+)?", " HTTP/[0-9.]+"),
    ("voipguard-nginx-limit-req", "nginx-error", "limiting (?:requests, excess", "limiting (?:requests, (?:dry run, )?excess"),
    ("voipguard-nginx-limit-req", "crafted", "client: <ADDR>,", ".*client: <ADDR>,"),
)


@pytest.mark.parametrize("name,family,old,new", MUTATIONS, ids=["%s/%s" % m[:2] for m in MUTATIONS])
def test_broken_filter_is_caught(name, family, old, new, fail2ban_regex, config_dir, tmp_path):
    text = (config_dir / "filter.d" / (name + ".conf")).read_text(encoding="utf-8")
    assert old in text, "mutation no longer applies: %r" % old
    broken = config_dir / "filter.d" / ("broken-%s-%s.conf" % (name, family))
    broken.write_text(text.replace(old, new), encoding="utf-8")
    problems = check_filter(fail2ban_regex, broken, SAMPLES_DIR / name / (family + ".log"), tmp_path)
    assert problems, "the labelled samples did not notice the broken filter"


# --- voipguard-freeswitch[mode=aggressive]: both FreeSWITCH detections in one pass -----------------------

@pytest.mark.parametrize("family", FREESWITCH_FORMATS)
def test_aggressive_mode_counts_what_both_freeswitch_filters_count(family, fail2ban_regex, config_dir, tmp_path):
    samples = (parse_samples(SAMPLES_DIR / "voipguard-freeswitch" / (family + ".log"))
               + parse_samples(SAMPLES_DIR / "voipguard-freeswitch-ip" / (family + ".log")))
    log = write_log(samples, tmp_path)
    filter_d = config_dir / "filter.d"

    def counted(filter_arg: str) -> collections.Counter:
        return collections.Counter((addr, line) for addr, _stamp, line in matched_rows(fail2ban_regex, log, filter_arg))

    brute = counted(str(filter_d / "voipguard-freeswitch.conf"))
    bare_ip = counted(str(filter_d / "voipguard-freeswitch-ip.conf"))
    assert bare_ip - brute, "the samples have no line that only the bare-IP filter counts"
    assert counted(str(filter_d / "voipguard-freeswitch.conf") + "[mode=aggressive]") == brute | bare_ip
    assert counted(str(filter_d / "voipguard-freeswitch.conf") + "[mode=normal]") == brute


# --- voipguard-freeswitch[mode=stream, profiles=...]: the stream jail's filter ------------------------------

@pytest.mark.parametrize("family", FREESWITCH_FORMATS)
def test_stream_mode_counts_only_auth_failures_of_the_named_profiles(family, fail2ban_regex, config_dir, tmp_path):
    samples = parse_samples(SAMPLES_DIR / "voipguard-freeswitch" / (family + ".log"))
    log = write_log(samples, tmp_path)
    filter_path = str(config_dir / "filter.d" / "voipguard-freeswitch.conf")

    def counted(options: str) -> collections.Counter:
        return collections.Counter((addr, line) for addr, _stamp, line in matched_rows(fail2ban_regex, log, filter_path + options))

    auth_failures = collections.Counter(dict((key, n) for key, n in counted("").items() if "SIP auth failure" in key[1]))
    assert auth_failures, "the samples have no auth failure"
    assert counted("[mode=stream]") == auth_failures
    internal = collections.Counter(dict((key, n) for key, n in auth_failures.items() if "profile 'internal'" in key[1]))
    assert counted('[mode=stream, profiles="internal"]') == internal
    assert counted('[mode=stream, profiles="intern|nope"]') == collections.Counter()
    assert counted('[mode=stream, profiles="nope|internal"]') == internal


# --- the stock Debian filter: what our filters fix (informative) ----------------------------------------

def fail2ban_version(fail2ban_regex: str) -> Tuple[int, ...]:
    out = subprocess.run([fail2ban_regex, "-V"], capture_output=True, text=True, check=True).stdout
    return tuple(int(p) for p in re.findall(r"\d+", out)[:3])


@pytest.fixture
def stock_filter(config_dir, fail2ban_regex) -> Path:
    path = config_dir / "filter.d" / STOCK_FILTER
    if not path.is_file():
        pytest.skip("stock %s is not installed" % STOCK_FILTER)
    return path


def test_stock_filter_misses_freeswitch_1_10_7_lines(stock_filter, fail2ban_regex, config_dir, tmp_path):
    """Documents the gap: fail2ban before 1.1.1 matches none of the lines with the idle-CPU field."""
    if fail2ban_version(fail2ban_regex) >= (1, 1, 1):
        pytest.skip("fail2ban >= 1.1.1 reads the idle-CPU field itself")
    samples = [s for s in parse_samples(SAMPLES_DIR / "voipguard-freeswitch" / "freeswitch-1.10.7.log") if s.expected]
    assert samples
    log = write_log(samples, tmp_path)
    assert matched_rows(fail2ban_regex, log, stock_filter) == []
    ours = matched_rows(fail2ban_regex, log, config_dir / "filter.d" / "voipguard-freeswitch.conf")
    assert [r[0] for r in ours] == [s.expected for s in samples]


def test_stock_filter_counts_plain_challenges(stock_filter, fail2ban_regex, config_dir, tmp_path):
    """Documents the other gap: the stock filter's default mode counts normal digest challenges."""
    samples = [s for s in parse_samples(SAMPLES_DIR / "voipguard-freeswitch" / "freeswitch-1.10.6.log")
               if " SIP auth challenge " in s.text and leading_date(s.text)[0] == "freeswitch"]
    assert samples
    log = write_log(samples, tmp_path)
    assert len(matched_rows(fail2ban_regex, log, stock_filter)) == len(samples)
    assert matched_rows(fail2ban_regex, log, config_dir / "filter.d" / "voipguard-freeswitch.conf") == []
