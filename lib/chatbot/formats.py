"""How numbers, spans of time and moments are written: one home for each.

Two readers: the sysadmin reads English (health check, alert mails, commands),
staff read pt-BR on the pages (``lang="pt"``: 1.234,5 and "dias"). Customers'
replies have their own formats in ``bot/fmt.py`` (money, opening hours).
"""
from __future__ import annotations

from datetime import datetime, timezone


def number(v, nd: int = 0) -> str:
    """Brazilian number format: 1.234,5 ("–" for None)."""
    if v is None:
        return "–"
    text = f"{v:,.{nd}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def span(seconds: float, lang: str = "en") -> str:
    """A span of time in the unit that reads best: "45 s", "12 min", "2.5 h", "3.0 days"
    (pt: "2,5 h", "3 dias")."""
    s = max(float(seconds), 0)
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    if s < 172800:
        return f"{number(s / 3600, 1)} h" if lang == "pt" else f"{s / 3600:.1f} h"
    return f"{s / 86400:.0f} dias" if lang == "pt" else f"{s / 86400:.1f} days"


def ago(seconds: float) -> str:
    """How long ago, for the sysadmin: "12 min ago"."""
    return f"{span(seconds)} ago"


def utc(ts: float, zone: bool = True) -> str:
    """A moment for the sysadmin, in UTC: "2026-12-04 19:40 UTC" (without " UTC" in a
    table whose heading says it)."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M" + (" UTC" if zone else ""))
