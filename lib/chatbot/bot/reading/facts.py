"""Numbers inside the store's free-text facts, read once per knowledge base:
the installment threshold in "Compras acima de R$ 300,00 podem ser parceladas
em até 3x", the cut-off hour in "Pedidos feitos até as 16h são entregues no
mesmo dia". A fact that says no number gives None, and the check built on it
recites the text instead of deciding."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .. import text

_THRESHOLD = re.compile(r"\b(acima de|a partir de|mais de|minimo de|minima de|superiores a|superior a|maiores que|"
                        r"maior que|partir de)\s+rs\s*(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:,\d{1,2})?)")
_CUTOFF = re.compile(r"\bate (?:as |a )?(\d{1,2})(?:h|:)(\d{2})?")
_TIMES = re.compile(r"\b(?:ate|em ate)\s+(\d{1,2})\s*x\b|\b(\d{1,2})\s*x\s+sem juros")


@dataclass(frozen=True)
class Threshold:
    amount: Decimal
    inclusive: bool           # "a partir de" includes the amount; "acima de" does not

    def reached(self, value: Decimal) -> bool:
        return value >= self.amount if self.inclusive else value > self.amount


def threshold(fact: str | None) -> Threshold | None:
    """The money threshold a free-text fact states, or None."""
    if not fact:
        return None
    m = _THRESHOLD.search(text.normalize(fact))
    if not m:
        return None
    amount = Decimal(m.group(2).replace(".", "").replace(",", "."))
    return Threshold(amount, inclusive=m.group(1) in ("a partir de", "partir de", "minimo de", "minima de"))


def cutoff_minutes(fact: str | None) -> int | None:
    """The hour of the day an order must be placed by ("até as 16h"), in minutes, or None."""
    if not fact:
        return None
    m = _CUTOFF.search(text.normalize(fact))
    if not m:
        return None
    return int(m.group(1)) * 60 + int(m.group(2) or 0)


def max_installments(fact: str | None) -> int | None:
    if not fact:
        return None
    m = _TIMES.search(text.normalize(fact))
    return int(m.group(1) or m.group(2)) if m else None
