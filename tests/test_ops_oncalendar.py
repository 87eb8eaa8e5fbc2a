"""The OnCalendar evaluator (ops/oncalendar.py): known answers, then the same
answers as ``systemd-analyze calendar`` for the repository's own timers and
the usual forms, in three host zones and across DST changes."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chatbot.ops import oncalendar
from chatbot.ops.oncalendar import CalendarError

ROOT = Path(__file__).resolve().parents[1]
UTC = timezone.utc


def utc(s: str) -> float:
    return datetime.fromisoformat(s).replace(tzinfo=UTC).timestamp()


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def repo_timers() -> list[str]:
    """Every OnCalendar= value in systemd/*.timer."""
    values = []
    for path in sorted((ROOT / "systemd").glob("*.timer")):
        values += re.findall(r"^OnCalendar=(.+)$", path.read_text(), re.M)
    return values


BASE = "2026-12-01 15:57:00"


@pytest.mark.parametrize("expr,expected", [
    ("*-*-* 05:00:00 UTC", ["2026-12-02 05:00:00", "2026-12-03 05:00:00"]),
    ("Sun *-*-* 06:30:00 UTC", ["2026-12-06 06:30:00", "2026-12-13 06:30:00"]),
    ("*:00/5:00", ["2026-12-01 16:00:00", "2026-12-01 16:05:00"]),
    ("*:0/5", ["2026-12-01 16:00:00", "2026-12-01 16:05:00"]),
    ("*:01/15:00", ["2026-12-01 16:01:00", "2026-12-01 16:16:00"]),
    ("*-*-* *:07:00", ["2026-12-01 16:07:00", "2026-12-01 17:07:00"]),
    ("hourly", ["2026-12-01 16:00:00", "2026-12-01 17:00:00"]),
    ("daily", ["2026-12-02 00:00:00", "2026-12-03 00:00:00"]),
    ("weekly", ["2026-12-07 00:00:00", "2026-12-14 00:00:00"]),
    ("monthly", ["2027-01-01 00:00:00", "2027-02-01 00:00:00"]),
    ("quarterly", ["2027-01-01 00:00:00", "2027-04-01 00:00:00"]),
    ("Mon..Fri 09:00", ["2026-12-02 09:00:00", "2026-12-03 09:00:00"]),
    ("12-25", ["2026-12-25 00:00:00", "2027-12-25 00:00:00"]),
    ("*-02-29 00:00", ["2028-02-29 00:00:00", "2032-02-29 00:00:00"]),
    ("27-01-01", ["2027-01-01 00:00:00"]),                            # one day only: then none
    ("*-*-* 02:30 America/Sao_Paulo", ["2026-12-02 05:30:00", "2026-12-03 05:30:00"]),
])
def test_known_next_elapses_in_utc(expr, expected):
    assert [iso(t) for t in oncalendar.next_elapses(expr, utc(BASE), 2, UTC)] == expected


def test_an_elapse_at_the_base_time_is_not_the_next_one():
    assert iso(oncalendar.parse("*-*-* 05:00:00 UTC").next_after(utc("2026-12-02 05:00:00"))) == "2026-12-03 05:00:00"
    assert iso(oncalendar.parse("*-*-* 05:00:00 UTC").next_after(utc("2026-12-02 04:59:59.5"))) == "2026-12-02 05:00:00"


def test_host_zone_applies_when_the_expression_names_none():
    berlin = ZoneInfo("Europe/Berlin")
    assert iso(oncalendar.parse("*-*-* 05:00:00").next_after(utc(BASE), berlin)) == "2026-12-02 04:00:00"
    assert iso(oncalendar.parse("*-*-* 05:00:00 UTC").next_after(utc(BASE), berlin)) == "2026-12-02 05:00:00"


def test_spring_forward_skips_the_missing_hour_and_fall_back_runs_once():
    berlin = ZoneInfo("Europe/Berlin")
    # 2027-03-28 02:30 does not exist in Berlin: the next 02:30 is the day after.
    assert iso(oncalendar.parse("*-*-* 02:30").next_after(utc("2027-03-27 12:00:00"), berlin)) \
        == "2027-03-29 00:30:00"
    # 2027-10-31 02:30 happens twice: once, at the first (CEST).
    got = oncalendar.next_elapses("*-*-* 02:30", utc("2027-10-30 12:00:00"), 2, berlin)
    assert [iso(t) for t in got] == ["2027-10-31 00:30:00", "2027-11-01 01:30:00"]


@pytest.mark.parametrize("bad", ["", "someday", "*-*-* 25:00", "*:*/5", "Fri..Mon 10:00", "*-*~1 00:00",
                                 "*-*-* 10:00:05.5", "@1700000000", "*-13-01", "*-*-* 10:00 Not/AZone x",
                                 "*:0/0"])
def test_what_it_cannot_read_is_one_clear_error(bad):
    with pytest.raises(CalendarError) as err:
        oncalendar.parse(bad)
    assert "\n" not in str(err.value) and (not bad or bad.split()[0][:3] in str(err.value) or "empty" in str(err.value))


def test_the_repositorys_timers_all_parse():
    values = repo_timers()
    assert len(values) == len(list((ROOT / "systemd").glob("*.timer")))
    for v in values:
        assert oncalendar.parse(v).next_after(utc(BASE)) is not None


# -- against systemd itself ------------------------------------------------------------

needs_systemd_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                           reason="systemd-analyze not installed (package systemd)")

EXTRA = ["minutely", "hourly", "daily", "weekly", "monthly", "quarterly", "semiannually", "yearly", "annually",
         "*:0/5", "*:0/20:30", "Sun *-*-* 06:30:00 UTC", "Mon..Fri 09:00", "Sat,Sun 10:00", "sunday 10:00",
         "*-*-01 00:00", "12-25", "*-*-* 0/6:00", "0..12/3:00", "Mon,Wed..Fri *-*-1,15 8:5", "*-02-29 00:00",
         "daily UTC", "hourly America/Sao_Paulo", "*-*-* 02:30 Europe/Berlin", "*-*-* 02:30", "Sun 03:15",
         "*-*-* *:*:*", "2027-*-* 00:00"]
HOST_ZONES = ["UTC", "America/Sao_Paulo", "Europe/Berlin"]
BASES = ["2026-12-01 15:57:00", "2026-12-02 05:00:00",     # the second: exactly on the backup's elapse
         "2027-03-27 23:30:00", "2027-10-30 23:45:00",     # Berlin's spring-forward and fall-back nights
         "2018-11-03 23:30:00", "2019-02-16 23:30:00",     # São Paulo's last DST start and end
         "2027-12-31 23:59:30"]
ITERATIONS = 6


def systemd_elapses(exprs: list[str], base: str, zone: str) -> list[list[str] | None]:
    """Per expression, the next ITERATIONS elapses as UTC strings, by systemd-analyze;
    None where systemd itself gives up (systemd 252 reports an "infinite loop" for
    some repetitions across São Paulo's DST start, when midnight did not exist)."""
    res = subprocess.run(["systemd-analyze", "calendar", f"--base-time=@{int(utc(base))}",
                          f"--iterations={ITERATIONS}", *exprs], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "TZ": zone})
    if res.returncode != 0:
        if len(exprs) == 1:
            assert "Infinite loop" in res.stderr, res.stderr
            return [None]
        return [systemd_elapses([e], base, zone)[0] for e in exprs]
    blocks = [b for b in res.stdout.split("\n\n") if b.strip()]
    assert len(blocks) == len(exprs), res.stdout
    out = []
    for block in blocks:
        times: list[str] = []
        for label, stamp, tz in re.findall(r"(Next elapse|Iter\. #\d+|\(in UTC\)): \w{3} (\S+ \S+) (\S+)", block):
            if label == "(in UTC)":
                times[-1] = stamp
            else:
                times.append(stamp if tz == "UTC" else "?" + stamp)
        assert all(not t.startswith("?") for t in times), block
        out.append(times)
    return out


@needs_systemd_analyze
@pytest.mark.parametrize("zone", HOST_ZONES)
def test_same_answers_as_systemd_analyze(zone):
    exprs = sorted(set(repo_timers() + EXTRA))
    host = ZoneInfo(zone)
    checked, systemd_gave_up = 0, []
    for base in BASES:
        want = systemd_elapses(exprs, base, zone)
        for expr, theirs in zip(exprs, want):
            if theirs is None:
                systemd_gave_up.append((expr, base))
                continue
            ours = [iso(t) for t in oncalendar.next_elapses(expr, utc(base), ITERATIONS, host)]
            assert ours == theirs, f"{expr!r} from {base} UTC in {zone}"
            checked += len(theirs)
    assert len(systemd_gave_up) <= 3, systemd_gave_up
    assert checked > len(exprs) * (len(BASES) - 1) * (ITERATIONS - 1)


@needs_systemd_analyze
def test_the_comparison_can_fail():
    """A wrong answer is caught: shift ours by one hour and it no longer matches."""
    theirs = systemd_elapses(["*-*-* 05:00:00 UTC"], BASE, "UTC")[0]
    ours = [iso(t + 3600) for t in oncalendar.next_elapses("*-*-* 05:00:00 UTC", utc(BASE), ITERATIONS, UTC)]
    assert ours != theirs and len(theirs) == ITERATIONS
