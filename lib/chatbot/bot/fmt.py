"""Brazilian formatting: R$ 1.234,56, 7h and 13h30, day names, lists.

Also the store's clock: which day and time it is *at the store*
(``[bot] store_timezone``), read from chatbot.clock so tests can move it.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from .. import clock


DAY_NAMES = {"mon": "segunda-feira", "tue": "terça-feira", "wed": "quarta-feira", "thu": "quinta-feira",
             "fri": "sexta-feira", "sat": "sábado", "sun": "domingo", "holidays": "feriados"}
DAY_SHORT = {"mon": "Segunda", "tue": "Terça", "wed": "Quarta", "thu": "Quinta", "fri": "Sexta",
             "sat": "Sábado", "sun": "Domingo", "holidays": "Feriados"}
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def money(value: float) -> str:
    """1234.5 -> 'R$ 1.234,50'."""
    cents = int((Decimal(str(value)) * 100).quantize(Decimal(1), ROUND_HALF_UP))
    whole, frac = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}R$ {whole:,}".replace(",", ".") + f",{frac:02d}"


def clock_time(hhmm: str) -> str:
    """'07:00' -> '7h', '13:30' -> '13h30'."""
    h, m = hhmm.strip().split(":")
    return f"{int(h)}h" + (f"{int(m):02d}" if int(m) else "")


def is_closed(spec: str | None) -> bool:
    return spec is None or spec.strip().lower() == "closed"


def ranges(spec: str) -> list[tuple[str, str]]:
    return [tuple(r.strip().split("-")) for r in spec.split(",")]


def hours_text(spec: str | None) -> str:
    """'07:00-21:00' -> 'das 7h às 21h'; several ranges joined with 'e'."""
    if is_closed(spec):
        return "fechado"
    return join([f"das {clock_time(a)} às {clock_time(b)}" for a, b in ranges(spec)])


def join(items: list[str], last: str = "e") -> str:
    """['a', 'b', 'c'] -> 'a, b e c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def quantity(n: int, unit: str) -> str:
    """How a minimum quantity reads: '6 unidades', '5 kg'."""
    if unit.strip().lower() == "kg":
        return f"{n} kg"
    return f"{n} unidades"


def per_unit(unit: str) -> str:
    """'kg' -> 'o kg', 'lata' -> 'a lata': what a price is per."""
    u = unit.strip().lower()
    if not u:
        return ""
    if u in ("kg", "g", "l", "ml"):
        return f"o {u}"
    feminine = u.endswith(("a", "dade", "gem", "ção")) or u in ("unidade", "dúzia", "bandeja")
    return f"{'a' if feminine else 'o'} {u}"


# -- the store's clock ----------------------------------------------------------

def store_now(zone_name: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(clock.now(), clock.store_zone(zone_name))


def day_key(when: dt.datetime) -> str:
    return DAY_KEYS[when.weekday()]


def next_open(hours: dict, now: dt.datetime) -> tuple[int, dt.datetime, str] | None:
    """When the store next opens after ``now`` (within a week): (days ahead, that day, "HH:MM"),
    or None when the hours name no opening at all. The words are the caller's."""
    for ahead in range(8):
        day = now + dt.timedelta(days=ahead)
        spec = hours.get(day_key(day))
        if is_closed(spec):
            continue
        for start, _end in ranges(spec):
            h, m = map(int, start.split(":"))
            if ahead or h * 60 + m > now.hour * 60 + now.minute:
                return ahead, day, start
    return None


def open_at(spec: str | None, when: dt.datetime) -> bool:
    if is_closed(spec):
        return False
    minute = when.hour * 60 + when.minute
    for a, b in ranges(spec):
        ha, ma = map(int, a.split(":"))
        hb, mb = map(int, b.split(":"))
        if ha * 60 + ma <= minute < hb * 60 + mb:
            return True
    return False


def valid_until(last_day: str | None, until_ts: float | None) -> str:
    """How long a dated promotion lasts, as a customer reads it: 'válida até hoje',
    'válida até amanhã', 'válida até domingo' (within the week), 'válida até 15/12'.
    ``until_ts`` is the midnight (store time) after ``last_day``: whole days to it
    count the days left without needing the store's zone here."""
    if not last_day or until_ts is None:
        return ""
    left = until_ts - clock.now()
    if left <= 0:
        return ""
    day = dt.date.fromisoformat(last_day)
    days = -int(-left // 86400) - 1     # whole days after today: 0 = ends today
    if days == 0:
        return "válida até hoje"
    if days == 1:
        return "válida até amanhã"
    if days < 7:
        return f"válida até {DAY_NAMES[DAY_KEYS[day.weekday()]]}"
    return f"válida até {day:%d/%m}"
