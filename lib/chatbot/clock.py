"""The one source of "now".

Library code asks this module for the time so tests can freeze or move it
(``clock.freeze(t)``, ``clock.advance(s)``). Times are Unix epoch seconds
(float) everywhere in the database: comparable, time-zone free.
"""
import time

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
