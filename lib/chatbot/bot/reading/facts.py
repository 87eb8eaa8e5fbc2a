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


# threshold and cutoff_minutes share a shape (the duplicates tool pairs them): each reads a different
# number out of free text with its own pattern, and a helper for three lines would hide which.
def cutoff_minutes(fact: str | None, day: str | None = None) -> int | None:
    """The hour of the day an order must be placed by ("até as 16h"), in minutes, or None. ``day`` (a day
    key): that day's own cut-off when a sentence names it ("Aos sábados só entregamos pedidos confirmados
    até as 11h"), else the one of a sentence that names no day."""
    if not fact:
        return None
    general = None
    for said in re.split(r"[.;!]\s+", fact):
        sentence = text.normalize(said)
        m = _CUTOFF.search(sentence)
        if not m:
            continue
        days = {_DAY_WORDS[w] for w in (text.stem(t) for t in sentence.split()) if w in _DAY_WORDS}
        minutes = int(m.group(1)) * 60 + int(m.group(2) or 0)
        if day is not None and day in days:
            return minutes
        if not days and general is None:
            general = minutes
    return general


_NO_DELIVERY = re.compile(r"\b(?:nao (?:entregamos|fazemos entregas?|ha entregas?)|sem entregas?)\b")
# a clause of a delivery text: a sentence, or what follows ", e" / ", mas" in one
_CLAUSES = re.compile(r"[.;!]\s+|,\s*(?:e|mas|porem)\s+")
_DAY_WORDS = {"domingo": "sun", "segunda": "mon", "terca": "tue", "quarta": "wed", "quinta": "thu", "sexta": "fri",
              "sabado": "sat"}


def no_delivery_days(fact: str | None) -> set[str]:
    """The days a delivery text says there is none ("Não entregamos aos domingos" -> {"sun"})."""
    out: set[str] = set()
    for clause in _CLAUSES.split(fact or ""):       # "Aos sábados até as 11h, e aos domingos não há entrega"
        said = text.normalize(clause)
        if _NO_DELIVERY.search(said):
            out |= {_DAY_WORDS[w] for w in (text.stem(t) for t in said.split()) if w in _DAY_WORDS}
    return out


_NUMBER = r"(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:,\d{1,2})?)"
_TIER = re.compile(rf"\bate\s+(\d{{1,2}})\s*x\b(?:(?!\bate\s+\d{{1,2}}\s*x).)*?"
                   rf"\b(acima de|a partir de|mais de|partir de)\s+rs\s*{_NUMBER}")


def installment_tiers(fact: str | None) -> list[tuple[int, Threshold]]:
    """Each "em até Nx ... a partir de R$ Y" of a text that has more than one, in order."""
    out = [(int(m.group(1)), Threshold(Decimal(m.group(3).replace(".", "").replace(",", ".")),
                                       inclusive=m.group(2) in ("a partir de", "partir de")))
           for m in _TIER.finditer(text.normalize(fact or ""))]
    return out if len(out) >= 2 else []


def max_installments(fact: str | None) -> int | None:
    if not fact:
        return None
    m = _TIMES.search(text.normalize(fact))
    return int(m.group(1) or m.group(2)) if m else None
