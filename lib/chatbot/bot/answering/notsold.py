"""Products the store does not sell: say so, and suggest only real alternatives.

A real alternative is of the same kind, in the same section: for "cerveja
skol" the store's other beers; for "arroz integral" its other rice. The kind
is the head word of the question that the catalog knows ("cerveja", "arroz"),
matched against the head word of product names; for a bare brand the
catalog does not carry, ``BRAND_KIND`` says what it is ("pepsi" is a cola
soft drink). Anything else that merely shares a word (tomato for "picanha",
milk for "arroz integral") is not suggested.
"""
from __future__ import annotations

import re

from .. import text
from ..store import knowledge, search
from . import product_replies

# Well-known brands a store may not carry -> the kind of product they are (catalog words).
BRAND_KIND = {
    "pepsi": "refrigerante cola", "fanta": "refrigerante", "sprite": "refrigerante", "kuat": "refrigerante guarana",
    "skol": "cerveja", "itaipava": "cerveja", "budweiser": "cerveja", "amstel": "cerveja", "devassa": "cerveja",
    "crystal": "agua mineral", "minalba": "agua mineral", "omo": "sabao po", "ariel": "sabao po",
    "brilhante": "sabao po", "colgate": "creme dental", "closeup": "creme dental", "huggies": "fralda",
    "neve": "papel higienico", "nescau": "achocolatado", "toddy": "achocolatado", "ninho": "leite po",
    "danone": "iogurte", "nestle": "", "seara": "", "sadia": "",
    "heineken": "cerveja", "brahma": "cerveja", "antarctica": "", "stella": "cerveja", "corona": "cerveja",
    "bohemia": "cerveja", "spaten": "cerveja", "eisenbahn": "cerveja", "petra": "cerveja", "schin": "",
    "dolly": "refrigerante", "pilao": "cafe", "melitta": "cafe", "camil": "",
    "liza": "oleo", "soya": "oleo", "ype": "", "limpol": "detergente", "dove": "sabonete", "lux": "sabonete",
    "protex": "sabonete", "piracanjuba": "leite", "italac": "leite", "parmalat": "leite", "qboa": "agua sanitaria",
    "persil": "sabao po", "tixan": "sabao po", "downy": "amaciante", "comfort": "amaciante", "pampers": "fralda",
    "vigor": "", "batavo": "", "perdigao": "", "friboi": "carne", "aurora": "", "yoki": "", "quaker": "aveia",
    "maggi": "tempero", "knorr": "tempero", "sazon": "tempero", "hellmanns": "maionese", "heinz": "ketchup",
    "coracoes": "cafe", "coracao": "cafe",      # "3 Corações", where the store sells no heart (coração de frango)
}
MAX_ALTERNATIVES = 3


def _head(p: knowledge.Product) -> str:
    words = text.search_text(p.name).split()
    return words[0] if words else ""


def alternatives(res: search.Result, conn) -> list[knowledge.Product]:
    """Products of the same kind as what was asked, or none."""
    brands = [w for w in res.query if w in BRAND_KIND]
    if brands:     # the brand says what it is; a kind the store does not carry has no alternative
        kinds = [BRAND_KIND[w] for w in brands if BRAND_KIND[w]]
        found = search.Searcher(conn).search(" ".join(kinds)) if kinds else None
        return [m.product for m in found.matches if m.complete][:MAX_ALTERNATIVES] if found else []
    # the kind is a word the customer wrote as the catalog has it (a corrected typo may be another word)
    known = [res.corrected[w] for w in res.query if res.corrected.get(w) == w]
    if not known:
        return []
    head = known[0]
    same = [m.product for m in res.matches if _head(m.product) == head]
    if not same:
        return []
    section = same[0].category
    return [p for p in same if p.category == section][:MAX_ALTERNATIVES]


def applies(res: search.Result | None) -> bool:
    """No product has every word of the question the catalog knows, or the question names a
    brand the store does not carry ("cerveja skol"). Other unknown words are noise."""
    if res is None or not (res.unknown or res.matches):
        return False
    if not any(m.complete for m in res.matches):
        exact = [m for m in res.matches if set(m.missing) <= set(res.unknown)
                 and all(res.corrected.get(w) == w for w in m.covered) and _anchored(m, res)]
        return not exact or any(w in BRAND_KIND for w in res.unknown)
    return False


def _anchored(m: search.Match, res: search.Result) -> bool:
    """The match has what names the product: its head word, its brand or the head of one of its
    aliases ("arroz", "camil"); "cozinha" of "óleo de cozinha" or the "caixa" of a box are not."""
    p = m.product
    anchors = {_head(p)} | set(text.search_text(p.brand).split())
    anchors |= {text.search_text(a).split()[0] for a in p.aliases if text.search_text(a)}
    return any(res.corrected.get(w) in anchors for w in m.covered)


PRICE_ASKED = frozenset("preco precos valor custa custam custando quanto".split())
_SIZE = re.compile(r"^\d+(?:[.,]\d+)?(?:ml|l|g|kg)$")
# Words that make it a question about buying something ("vende", "quanto custa"), not about the store.
BUYING = frozenset("vende vendem vendendo venda preco precos valor custa custam custando quanto compra comprar".split())


def reply(res: search.Result, original: str, conn) -> tuple[str, list[str]]:
    asked = product_replies._named(res.query, original)
    alts = alternatives(res, conn)
    buying = any(t in BUYING for t in text.tokens(original))
    named = any(_anchored(m, res) for m in res.matches) or any(w in BRAND_KIND for w in res.query)
    if not alts and not buying and not named:
        # "tem banheiro?": nothing of the catalog, nothing of the store's data, no sign of a purchase
        return (f"Não encontrei {asked} no nosso catálogo nem nas informações da loja, então não sei "
                "responder com certeza. 🤔 Se for um produto, não vendemos; se for outra dúvida, digite "
                "*atendente* para falar com uma pessoa."), []
    if res.matches:
        out = f"Não encontrei exatamente {asked}: não vendemos esse produto. 😕"
    else:
        out = f"Não encontrei {asked} no nosso catálogo: não vendemos esse produto. 😕"
    sized = all(_SIZE.match(w) or w in search.SOFT for m in res.matches[:1] for w in m.missing) \
        or any(t in PRICE_ASKED for t in text.tokens(original))       # a price asked: the prices of its kind
    if alts and sized:          # "arroz de 2kg": the sizes the store has, with their prices
        out += " Do mesmo tipo, temos:\n" + "\n".join(product_replies.line(p) for p in alts)
        out += "\nQuer algum deles?"
    elif alts:                  # "azeite de dendê": goods of the same name, not the goods asked; no price beside it
        out += " Do mesmo tipo, temos:\n" + "\n".join(f"• {product_replies.label(p)}" for p in alts)
        out += "\nQuer o preço de algum deles?"
    else:
        out += " Se for outro nome ou marca, pode escrever de novo; ou digite *atendente* para falar com uma pessoa."
    return out, [p.sku for p in alts]
