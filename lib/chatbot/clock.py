"""The one source of "now", and the store's time zone.

Library code asks this module for the time so tests can freeze or move it
(``clock.freeze(t)``, ``clock.advance(s)``). Times are Unix epoch seconds
(float) everywhere in the database: comparable, time-zone free; they become
the store's local time only where a person reads them (``store_zone``).
"""
import datetime as dt
import logging
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_frozen: float | None = None


def now() -> float:
    return _frozen if _frozen is not None else time.time()


def freeze(t: float) -> None:
    global _frozen
    _frozen = float(t)


def advance(seconds: float) -> None:
    global _frozen
    _frozen = now() + seconds


def unfreeze() -> None:
    global _frozen
    _frozen = None


_zones: dict[str, dt.tzinfo] = {}


def store_zone(name: str) -> dt.tzinfo:
    """``[bot] store_timezone`` as a tzinfo, for the bot's replies and the pages alike.

    Without the zone database (no tzdata) the fallback is UTC-3: Brazil has had
    no daylight saving since 2019, and -3 is most of the country.
    """
    if name not in _zones:
        try:
            _zones[name] = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            logging.getLogger("chatbot").warning("time zone %r not found (is tzdata installed?); using UTC-3", name)
            _zones[name] = dt.timezone(dt.timedelta(hours=-3))
    return _zones[name]
