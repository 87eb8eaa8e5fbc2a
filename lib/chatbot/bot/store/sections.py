"""Store sections: "as ofertas do açougue", "promoção na parte de higiene".

A section is a catalog category. ``find(stems, categories)`` names the one a
message asks about, by the category's own name or a word customers use for
it (``SYNONYMS``: "carnes" is the butcher's, "perfumaria" is hygiene).
``promotions(category, conn)`` lists that category's promotions or, when
there are none, says so and names its best prices.
"""
from __future__ import annotations

import re

from .. import fmt, text
from . import knowledge

# customer's word (stemmed, normalized) -> the category it means (normalized)
SYNONYMS = {
    "acougue": "acougue", "carne": "acougue", "carnes": "acougue", "churrasco": "acougue",
    "higiene": "higiene", "perfumaria": "higiene",
    "hortifruti": "hortifruti", "hortifrut": "hortifruti", "horti": "hortifruti", "hortifrutti": "hortifruti",
    "verdura": "hortifruti", "fruta": "hortifruti", "legume": "hortifruti", "feira": "hortifruti",
    "sacolao": "hortifruti", "quitanda": "hortifruti",
    "bebida": "bebidas", "bebidas": "bebidas", "adega": "bebidas",
    "limpeza": "limpeza", "faxina": "limpeza",
    "padaria": "padaria", "panificadora": "padaria",
    "frio": "frios", "frios": "frios",
    "laticinio": "laticinios", "laticinios": "laticinios",
    "mercearia": "mercearia",
    "peixe": "peixaria", "peixes": "peixaria", "pescado": "peixaria", "marisco": "peixaria", "frutos": "peixaria",
    "congelado": "congelados", "congelados": "congelados",
}
MAX_SHOWN = 8


def categories(conn) -> dict[str, str]:
    """Normalized category name -> the catalog's spelling."""
    return {text.normalize(r[0]): r[0] for r in conn.execute("SELECT DISTINCT category FROM kb_products")
            if r[0]}


def find(stems: list[str], known: dict[str, str]) -> tuple[str | None, set[str]]:
    """The catalog category the words name, and which of the words named it."""
    for s in stems:
        key = SYNONYMS.get(s, s)
        for norm, category in known.items():
            if key == norm or text.stem(norm) == key:
                return category, {s}
    return None, set()


_WHETHER = re.compile(r"^(?:\w+\s+)?(?:tem|ta|esta|ha|existe|teria)\b|\balgum[a]?\s+(?:promo|oferta)|"
                      r"\btem\s+(?:\w+\s+)?(?:promo|oferta)|\b(?:tem|tem alguma|tem algum)$")


def asks_whether(message: str) -> bool:
    """"Frios tá com alguma promoção?", "tem promo de bebida?": a yes/no question, answered "Sim!" when there is."""
    return bool(_WHETHER.search(text.normalize(message)))


def promo_line(p: knowledge.Product) -> str:
    """"• *Picanha kg* (Açougue da Casa): de R$ 79,90 por R$ 69,90 o kg": one line of a list of promotions."""
    return (f"• *{p.name}*{f' ({p.brand})' if p.brand else ''}: de {fmt.money(p.price)} por "
            f"{fmt.money(p.promo_price)} {fmt.per_unit(p.unit)}").rstrip()


def promotions(category: str, conn, whether: bool = False) -> tuple[str, list[str]]:
    items = knowledge.products(conn, "category = ?", (category,), limit=500)
    promos = sorted((p for p in items if p.promo_price), key=lambda p: (p.promo_price / p.price, p.id))
    if promos:
        shown = promos[:MAX_SHOWN]
        out = f"🔥 {'Sim! ' if whether else ''}Promoções em *{category}*:\n" + "\n".join(promo_line(p) for p in shown)
        if len(promos) > len(shown):
            out += f"\n…e mais {len(promos) - len(shown)} em promoção nessa seção."
        return out, [p.sku for p in shown]
    best = sorted(items, key=lambda p: (p.wholesale_price or p.price, p.id))[:5]
    if not best:
        return f"No momento não temos produtos cadastrados em *{category}*.", []
    lines = []
    for p in best:
        line = f"• *{p.name}*{f' ({p.brand})' if p.brand else ''}: {fmt.money(p.price)} {fmt.per_unit(p.unit)}".rstrip()
        if p.wholesale_price:
            line += (f" ({fmt.money(p.wholesale_price)} no atacado,"
                     f" a partir de {fmt.quantity(p.wholesale_min_qty, p.unit)})")
        lines.append(line)
    return (f"No momento não temos promoções em *{category}*. 😕 Os melhores preços da seção:\n"
            + "\n".join(lines)), [p.sku for p in best]
