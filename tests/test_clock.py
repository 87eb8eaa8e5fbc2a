"""The one clock: frozen and moved by tests, and the store's time zone that
the bot's replies and the staff pages both read."""
import datetime as dt

from chatbot import clock
from chatbot.bot import fmt


def test_freeze_and_advance():
    clock.freeze(1000.0)
    try:
        clock.advance(30)
        assert clock.now() == 1030.0
    finally:
        clock.unfreeze()


def test_an_unknown_store_zone_falls_back_to_utc_minus_3_for_bot_and_pages_alike():
    zone = clock.store_zone("America/Nowhere_Town")
    assert zone.utcoffset(None) == dt.timedelta(hours=-3)
    clock.freeze(1_764_590_400.0)          # 2025-12-01 12:00 UTC
    try:
        assert fmt.store_now("America/Nowhere_Town").hour == 9
    finally:
        clock.unfreeze()
    assert clock.store_zone("America/Sao_Paulo").utcoffset(dt.datetime(2026, 1, 1)) == dt.timedelta(hours=-3)
