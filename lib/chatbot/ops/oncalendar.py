"""systemd's ``OnCalendar=`` expressions: parse one, find its next elapse.

For showing a timer's next run where systemd cannot be asked (no systemd
as PID 1, or the service may not talk to it): the timer unit files stay
the one place a schedule is written (ops/schedule.py reads them).

Covered: the shorthands (``minutely``, ``hourly``, ``daily``, ``weekly``,
``monthly``, ``quarterly``, ``semiannually``, ``yearly``/``annually``),
``[WEEKDAYS] [DATE] [TIME] [TIMEZONE]`` with ``*``, values, lists
(``1,15``), ranges (``Mon..Fri``, ``1..12``) and repetitions (``00/5``,
``0..12/3``) in every date and time field, two-component dates (month-day),
two-digit years, and ``UTC`` or an IANA zone at the end. Not covered (a
clear ``CalendarError``): ``~`` (days from the end of the month), fractional
seconds, ``@epoch``.

Like systemd, the search runs on the wall clock of the expression's zone
(the host's zone when it names none): a local time that does not exist
(the hour skipped by a spring-forward) is skipped, a repeated one (fall
back) elapses once, at its first occurrence. tests/test_ops_oncalendar.py
compares the results with ``systemd-analyze calendar``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SHORTHANDS = {
    "minutely": "*-*-* *:*:00",
    "hourly": "*-*-* *:00:00",
    "daily": "*-*-* 00:00:00",
    "weekly": "Mon *-*-* 00:00:00",
    "monthly": "*-*-01 00:00:00",
    "quarterly": "*-01,04,07,10-01 00:00:00",
    "semiannually": "*-01,07-01 00:00:00",
    "semi-annually": "*-01,07-01 00:00:00",
    "yearly": "*-01-01 00:00:00",
    "annually": "*-01-01 00:00:00",
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# (name, lowest, highest) of each field in search order; systemd's years end at 2199.
FIELDS = (("year", 1970, 2199), ("month", 1, 12), ("day", 1, 31),
          ("hour", 0, 23), ("minute", 0, 59), ("second", 0, 59))
_ITEM = re.compile(r"^(?:(\*)|(\d+)(?:\.\.(\d+))?)(?:/(\d+))?$")


class CalendarError(ValueError):
    """An OnCalendar expression this module cannot read, as one line."""


@dataclass(frozen=True)
class Calendar:
    """A parsed expression: the allowed values of each field, and its zone."""
    expression: str
    weekdays: frozenset[int]          # 0 = Monday
    fields: tuple[tuple[int, ...], ...]   # year, month, day, hour, minute, second (sorted)
    zone: str | None                  # None: the host's zone

    def next_after(self, ts: float, host_zone: tzinfo | None = None) -> float | None:
        """The first elapse strictly after epoch ``ts``; None if there is none."""
        return next_elapse(self, ts, host_zone)


def parse(expression: str) -> Calendar:
    text = " ".join(expression.split())
    if not text:
        raise CalendarError("empty OnCalendar expression")
    words = text.split(" ")
    zone = None
    if len(words) > 1 and _is_zone(words[-1]):
        zone = words.pop()
    if len(words) == 1 and words[0].lower() in SHORTHANDS:
        words = SHORTHANDS[words[0].lower()].split(" ")
    if any(w.startswith("@") for w in words) or "~" in text:
        raise CalendarError(f"unsupported OnCalendar expression {expression!r} ('@' and '~' are not handled)")
    weekdays = frozenset(range(7))
    if words and re.fullmatch(r"[A-Za-z.,]+", words[0]):
        weekdays = _weekdays(words.pop(0), expression)
    date, time_ = "*-*-*", "00:00:00"
    if words and ":" not in words[0]:
        date = words.pop(0)
    if words and ":" in words[0]:
        time_ = words.pop(0)
    if words:
        raise CalendarError(f"cannot read {' '.join(words)!r} in OnCalendar expression {expression!r}")
    parts = date.split("-")
    if len(parts) == 2:
        parts = ["*", *parts]
    if len(parts) != 3:
        raise CalendarError(f"bad date {date!r} in OnCalendar expression {expression!r}")
    clock_parts = time_.split(":")
    if len(clock_parts) == 2:
        clock_parts.append("00")
    if len(clock_parts) != 3:
        raise CalendarError(f"bad time {time_!r} in OnCalendar expression {expression!r}")
    values = []
    for (name, lo, hi), raw in zip(FIELDS, parts + clock_parts):
        values.append(_field(raw, name, lo, hi, expression))
    return Calendar(expression, weekdays, tuple(values), zone)


def _is_zone(word: str) -> bool:
    if word == "UTC":
        return True
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)+", word):
        return False
    try:
        ZoneInfo(word)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _weekday(name: str, expression: str) -> int:
    low = name.lower()
    if low in WEEKDAYS:
        return WEEKDAYS.index(low)
    if low in _FULL_DAYS:
        return _FULL_DAYS.index(low)
    raise CalendarError(f"bad weekday {name!r} in OnCalendar expression {expression!r}")


def _weekdays(spec: str, expression: str) -> frozenset[int]:
    days: set[int] = set()
    for item in spec.split(","):
        if ".." in item:
            first, last = (_weekday(x, expression) for x in item.split("..", 1))
            if last < first:
                raise CalendarError(f"weekday range {item!r} runs backwards in {expression!r}")
            days.update(range(first, last + 1))
        else:
            days.add(_weekday(item, expression))
    return frozenset(days)


def _field(raw: str, name: str, lo: int, hi: int, expression: str) -> tuple[int, ...]:
    out: set[int] = set()
    for item in raw.split(","):
        m = _ITEM.match(item)
        if not m:
            raise CalendarError(f"bad {name} {raw!r} in OnCalendar expression {expression!r}")
        star, first, last, step = m.groups()
        if star and step:
            raise CalendarError(f"bad {name} {raw!r} in OnCalendar expression {expression!r}"
                                " ('*/N' is not systemd syntax; write 0/N)")
        if star:
            out.update(range(lo, hi + 1))
            continue
        start = int(first)
        if name == "year" and len(first) == 2:      # systemd reads two-digit years as 19xx/20xx
            start += 1900 if start >= 70 else 2000
        end = int(last) if last is not None else (hi if step else start)
        if start < lo or end > hi or end < start or (step is not None and int(step) == 0):
            raise CalendarError(f"{name} {item!r} out of range in OnCalendar expression {expression!r}")
        out.update(range(start, end + 1, int(step) if step else 1))
    return tuple(sorted(out))


# -- evaluation --------------------------------------------------------------------

def host_zone() -> tzinfo:
    """The host's zone as systemd sees it: $TZ, else /etc/localtime, else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with open("/etc/localtime", "rb") as fh:
            return ZoneInfo.from_file(fh)
    except (OSError, ValueError):
        return timezone.utc


def _zone(cal: Calendar, host: tzinfo | None) -> tzinfo:
    if cal.zone == "UTC":
        return timezone.utc
    if cal.zone:
        return ZoneInfo(cal.zone)
    return host if host is not None else host_zone()


def _days_in_month(year: int, month: int) -> int:
    return ((datetime(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day)


def _walk(cal: Calendar, start: tuple[int, ...]):
    """Wall-clock tuples (y, m, d, H, M, S) matching ``cal``, ascending, from ``start`` on."""
    def rec(level: int, prefix: tuple, tight: bool):
        if level == 6:
            yield prefix
            return
        floor = start[level] if tight else None
        for v in cal.fields[level]:
            if floor is not None and v < floor:
                continue
            if level == 2:
                y, m = prefix
                if v > _days_in_month(y, m) or datetime(y, m, v).weekday() not in cal.weekdays:
                    continue
            yield from rec(level + 1, prefix + (v,), tight and v == floor)
    yield from rec(0, (), True)


def next_elapse(cal: Calendar, ts: float, host: tzinfo | None = None) -> float | None:
    zone = _zone(cal, host)
    # Elapses are whole seconds: the first one after ts is at or after floor(ts) + 1.
    begin = datetime.fromtimestamp(int(ts // 1) + 1, zone)
    start = (begin.year, begin.month, begin.day, begin.hour, begin.minute, begin.second)
    for wall in _walk(cal, start):
        local = datetime(*wall, tzinfo=zone)            # fold=0: the first of a repeated hour
        epoch = local.timestamp()
        back = datetime.fromtimestamp(epoch, zone)
        if (back.year, back.month, back.day, back.hour, back.minute, back.second) != wall:
            continue                                    # skipped by a spring-forward
        if epoch > ts:
            return epoch
    return None


def next_elapses(expression: str, ts: float, n: int, host: tzinfo | None = None) -> list[float]:
    """The next ``n`` elapses after ``ts`` (fewer if the expression runs out)."""
    cal = parse(expression)
    out: list[float] = []
    while len(out) < n:
        t = next_elapse(cal, ts, host)
        if t is None:
            break
        out.append(t)
        ts = t
    return out
