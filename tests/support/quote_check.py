"""The check that a quote invents no price, written independently of the bot's parser.

Every money figure of a quote must be a catalog price, a catalog price times a
quantity the customer wrote (digits, decimals with a comma, number words, grams as a
fraction of the kilo, what is left when one amount is taken from another) or a
wholesale minimum, or a sum of such line figures given earlier in the reply.
"""
from __future__ import annotations

import csv
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

PACKS = re.compile(r"\b(?:fardos?|fardinhos?|caixas?|cxs?|pacotes?|engradados?|packs?|kits?|bandejas?)\b",
                   re.IGNORECASE)
MONEY = re.compile(r"R\$\s*(\d{1,3}(?:\.\d{3})*,\d{2})")
WORD_QTY = {"um": 1, "uma": 1, "dois": 2, "duas": 2, "três": 3, "tres": 3, "quatro": 4, "cinco": 5,
            "seis": 6, "sete": 7, "oito": 8, "nove": 9, "dez": 10, "onze": 11, "doze": 12, "quinze": 15,
            "vinte": 20, "trinta": 30, "quarenta": 40, "dúzia": 12, "duzia": 12, "meia": 6, "meio": Decimal("0.5")}


HUNDREDS = {"cem": 100, "duzentos": 200, "trezentos": 300, "quatrocentos": 400, "quinhentos": 500,
            "seiscentos": 600, "setecentos": 700, "oitocentos": 800, "novecentos": 900}


def catalog_rows(catalog: Path) -> list[dict]:
    with Path(catalog).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def catalog_prices(catalog: Path) -> set[Decimal]:
    return {Decimal(row[k]) for row in catalog_rows(catalog)
            for k in ("price", "promo_price", "wholesale_price") if row[k]}


def message_quantities(message: str, catalog: Path) -> set[Decimal]:
    """Quantities the customer wrote, and the sums of them (a product named twice in a
    list is quoted once, for both amounts), up to 1,000."""
    written = [Decimal(n.replace(",", ".")) for n in re.findall(r"\d+(?:,\d+)?", message)]
    written += [Decimal(WORD_QTY[w]) for w in re.findall(r"\w+", message.lower()) if w in WORD_QTY]
    # grams are a fraction of the kilo price: "300g de presunto", "250 gramas"
    written += [Decimal(g) / 1000 for g in re.findall(r"(\d+)\s*(?:g|gr|grs|gramas?)\b", message.lower())]
    # "um quilo e duzentos", "1kg e 300": kilos and grams
    for kilos, grams in re.findall(r"(\w+)\s*(?:quilos?|kg)\s+e\s+(\w+)", message.lower()):
        k = Decimal(kilos) if kilos.isdigit() else WORD_QTY.get(kilos)
        g = Decimal(grams) if grams.isdigit() else HUNDREDS.get(grams)
        if k is not None and g is not None and 100 <= g < 1000:
            written.append(Decimal(k) + Decimal(g) / 1000)
    # "3 dúzia de chineque", "meia dúzia": twelve (or six) units a dozen
    for n in re.findall(r"(\w+)\s+d[uú]zias?\b", message.lower()):
        count = Decimal(n) if n.isdigit() else Decimal("0.5") if n == "meia" else WORD_QTY.get(n)
        if count is not None:
            written.append(Decimal(count) * 12)
    if PACKS.search(message):       # "2 fardos de 6": 12 units, a product of two written numbers
        written += [a * b for i, a in enumerate(written) for b in written[i + 1:]]
    # "tira 5" of 20: what is left is a difference of two written amounts
    written += [abs(a - b) for i, a in enumerate(written) for b in written[i + 1:] if a != b]
    sums = {Decimal(0)}
    for q in written:
        sums |= {s + q for s in sums if s + q <= 1000}
    qs = sums - {Decimal(0)}
    qs |= {Decimal(row["wholesale_min_qty"]) for row in catalog_rows(catalog) if row["wholesale_min_qty"]}
    return qs | {Decimal(1)}


def invented_figures(message: str, reply: str, catalog: Path) -> list[str]:
    """Money figures in a quote that are neither a catalog price, nor a catalog price times a
    quantity of the message, nor a sum of such line figures given earlier in the reply."""
    prices = catalog_prices(catalog)
    products = {(q * p).quantize(Decimal("0.01"), ROUND_HALF_UP)
                for q in message_quantities(message, catalog) for p in prices}
    bad = []
    reachable = 1          # bit n set: n cents is a sum of some of the line figures so far
    for raw in MONEY.findall(reply):
        f = Decimal(raw.replace(".", "").replace(",", "."))
        cents = int(f * 100)
        if f in prices or f in products:
            reachable |= reachable << cents
        elif not (reachable >> cents) & 1:
            bad.append(f"R$ {raw}")
    return bad
