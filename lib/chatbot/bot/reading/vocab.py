"""The pt-BR supermarket vocabulary reading.py uses, kept as data
(``chatbot/data/reading_ptbr.toml``): FAQ paraphrases, payment brands,
occasions, pack words and the phrases that say a message is no complaint.
Read once per process."""
from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .. import text

DATA = Path(__file__).resolve().parent.parent.parent / "data" / "reading_ptbr.toml"


@dataclass(frozen=True)
class Vocab:
    paraphrases: dict[str, tuple[str, ...]]     # topic -> phrases
    brands: dict[str, tuple[str, ...]]          # kind (vale, card, wallet) -> brand names
    occasions: dict[str, tuple[str, ...]]       # occasion phrase (normalized) -> product words
    occasion_names: dict[str, str]              # occasion phrase (normalized) -> as written
    packs: frozenset[str]
    weak_packs: frozenset[str]                  # packs only when said to hold several ("saco que vem 10")
    not_complaint: tuple[str, ...]
    purposes: tuple[str, ...]
    variants: frozenset[str]
    not_variant: frozenset[str]
    services: frozenset[str]

    def brand_of(self, norm: str) -> tuple[str, str] | None:
        """The first payment brand named in a normalized text: (kind, brand)."""
        for kind, names in self.brands.items():
            for name in names:
                if name in norm and text.has_phrase(norm, name):
                    return kind, name
        return None


@functools.lru_cache(maxsize=1)
def load() -> Vocab:
    with DATA.open("rb") as fh:
        data = tomllib.load(fh)

    def phrases(values) -> tuple[str, ...]:
        return tuple(" & ".join(text.normalize(part) for part in v.split("&")) for v in values)

    return Vocab(paraphrases={k: phrases(v) for k, v in data["paraphrases"].items()},
                 brands={k: phrases(v) for k, v in data["payment_brands"].items()},
                 occasions={text.normalize(k): phrases(v) for k, v in data["occasions"].items()},
                 occasion_names={text.normalize(k): k for k in data["occasions"]},
                 packs=frozenset(phrases(data["packs"]["words"] + data["packs"]["weak"])),
                 weak_packs=frozenset(phrases(data["packs"]["weak"])),
                 not_complaint=phrases(data["not_complaint"]["phrases"]),
                 purposes=phrases(data["purposes"]["words"]),
                 variants=frozenset(text.stem(w) for w in phrases(data["variants"]["words"])),
                 not_variant=frozenset(text.stem(w) for w in phrases(data["not_variant"]["words"])),
                 services=frozenset(phrases(data["services"]["words"])))
