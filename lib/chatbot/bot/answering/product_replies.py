"""Replies about products: price, promotion, wholesale tier.

Each returns ``(text, skus)``: the skus shown become the conversation's
topic, so "e no atacado?" next knows which product. A product we cannot
find is named back without any number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .. import fmt, text
from ..reading.intents import MAX_SEVERAL as MAX_SEVERAL_SHOWN
from ..reading.intents import Intent
from ..store import knowledge
from ..store.knowledge import KB, Product

MAX_LIST = 8
# Sizes ("1,5 litros") may be echoed back; money and hours never are. Money goes first, and
# in linear time: a money token starts where a word starts and runs to its first digit
# without choices ("\S*\d\S*" tried every split of every suffix: cubic in "a1a1a1...").
_MONEY = re.compile(r"R\$\s*\S*|(?<!\S)[^\s\d]*\d\S*\s*(?:reais|real|centavos?)\b", re.I)
_HOUR = re.compile(r"\b\d{1,2}\s*h\d{0,2}\b|\b\d{1,2}:\d{2}\b", re.I)
# What we echo of the customer's words when a product is not found: a product's
# name is a few words; more than that is a pasted text, and repeating it back
# (up to 4,096 characters) would neither help nor fit beside our own words.
MAX_NAMED_WORDS = 6
MAX_NAMED_CHARS = 60
ASK_WHICH = ("Qual produto você procura? 😊 Me diga o nome (a marca ou o tamanho ajudam) "
             "que eu informo o preço.")


def label(p: Product) -> str:
    return f"*{p.name}*" + (f" ({p.brand})" if p.brand else "")


def detail(p: Product) -> str:
    lines = [f"{label(p)}: {fmt.money(p.price)} {fmt.per_unit(p.unit)}.".replace("  ", " ")]
    if p.promo_price:
        until = fmt.valid_until(p.promo_end, p.promo_until_ts)
        lines.append(f"🔥 Em promoção: {fmt.money(p.promo_price)}" + (f" ({until})!" if until else "!"))
    if p.wholesale_price:
        lines.append(f"📦 No atacado: {fmt.money(p.wholesale_price)} cada, a partir de "
                     f"{fmt.quantity(p.wholesale_min_qty, p.unit)}.")
    return "\n".join(lines)


def line(p: Product) -> str:
    out = f"• {label(p)}: {fmt.money(p.price)} {fmt.per_unit(p.unit)}".rstrip()
    if p.promo_price:
        until = fmt.valid_until(p.promo_end, p.promo_until_ts)
        out += f" (promoção: {fmt.money(p.promo_price)}" + (f", {until})" if until else ")")
    return out


def _named(words: list[str], original: str) -> str:
    """The customer's words for what they asked, without any number (never echo one as if it were a fact)."""
    if len(words) > MAX_NAMED_WORDS:
        return "esse produto"
    shown = text.original_span(original, " ".join(words)) or " ".join(words)
    for _ in range(3):     # taking "R$..." out can leave "...1reais" standing alone: again until none
        shown, found = _MONEY.subn("", shown)
        if not found:
            break
    shown = _HOUR.sub("", shown).strip(" ?!.,")
    return f"*{shown}*" if shown and len(shown) <= MAX_NAMED_CHARS else "esse produto"


def _not_found(words: list[str], original: str) -> str:
    return (f"Não encontrei {_named(words, original)} no nosso catálogo. 😕 Pode escrever de outro jeito "
            "(a marca ou o tamanho ajudam)? Se preferir, digite *atendente* para falar com uma pessoa.")


@dataclass
class Choice:
    """The products a question is about, and how they were found.

    kind: "context" (the last turn's products), "single" (one clear match, perhaps
    with look-alikes after it), "list" (several equally good), "near" (every word
    the catalog knows, as written), "partial" (only resembling the question), or
    "none" (nothing: ``missing`` is then the reply saying so, or None when no
    product was named at all)."""
    products: list[Product]
    kind: str
    missing: str | None = None


def chosen(intent: Intent, conn) -> Choice:
    """The products the question is about."""
    if intent.context_skus:
        found = knowledge.products(conn, f"sku IN ({','.join('?' * len(intent.context_skus))})",
                                   tuple(intent.context_skus))
        return Choice(found, "context") if found else Choice([], "none", ASK_WHICH)
    res = intent.products
    if res is None or not res.matches:
        words = (res.unknown or res.query) if res else []
        return Choice([], "none", _not_found(words, intent.original) if words else None)
    complete = [m for m in res.matches if m.complete]
    if not complete:
        near = [m for m in res.matches if m.score >= res.matches[0].score - 0.25]
        # "near": the product has every word of the question the catalog knows, as written
        # (the rest is noise no product has); "partial": it only resembles the question.
        exact = [m for m in near if set(m.missing) <= set(res.unknown)
                 and all(res.corrected.get(w) == w for w in m.covered)]
        if exact:
            return Choice([m.product for m in exact[:3]], "near")
        return Choice([m.product for m in near[:3]], "partial")
    if len(complete) == 1 or complete[0].score - complete[1].score >= 0.3 \
            or set(complete[0].covered) > set(complete[1].covered):   # "skol latinha": the can the store calls so
        return Choice([complete[0].product] + [m.product for m in complete[1:3]], "single")
    return Choice([m.product for m in complete[:5]], "list")


def product_price(intent: Intent, kb: KB, conn) -> tuple[str, list[str]]:
    if intent.several:      # "o preço do feijão e do arroz"
        shown: list[Product] = []
        for res in intent.several:
            best = [m for m in res.matches if m.complete]
            clear = len(best) == 1 or best[0].score - best[1].score >= 0.3
            shown += [m.product for m in (best[:1] if clear else best[:3]) if m.product not in shown]
        out = ("Encontrei estes:\n" + "\n".join(line(p) for p in shown)) if len(shown) > 1 else detail(shown[0])
        if intent.several_lacking:
            out += f"\n\n❓ Não encontrei no catálogo: {fmt.join([f'*{w}*' for w in intent.several_lacking])}."
        if intent.several_skipped:      # a long list: say where we stopped reading it
            out += (f"\n\nSua lista é longa: olhei os primeiros {MAX_SEVERAL_SHOWN} itens. Mande os outros em "
                    "outra mensagem, ou digite *atendente* para falar com uma pessoa.")
        return out, [p.sku for p in shown]
    choice = chosen(intent, conn)
    products, how = choice.products, choice.kind
    if not products:
        return choice.missing or ASK_WHICH, []
    if how == "partial":
        # Names only: a look-alike may be another product altogether, and a price
        # next to "não encontrei" would read as the price of what was asked.
        return (f"Não encontrei exatamente {_named(intent.products.query, intent.original)}. Temos estes "
                "parecidos:\n" + "\n".join(f"• {label(p)}" for p in products) +
                "\nQuer o preço de algum deles? É só me dizer qual."), [p.sku for p in products]
    if how == "near" and len(products) > 1:
        return "Encontrei estes:\n" + "\n".join(line(p) for p in products), [p.sku for p in products]
    if how == "list":
        return "Encontrei estes:\n" + "\n".join(line(p) for p in products), [p.sku for p in products]
    out = detail(products[0])
    if len(products) > 1 and how == "single":
        out += "\n\nTambém temos:\n" + "\n".join(line(p) for p in products[1:])
    return out, [products[0].sku]


def promotions(intent: Intent, kb: KB, conn) -> tuple[str, list[str]]:
    if intent.several:      # "pasta de dente, sabonete e papel higiênico, algum desses tá em promoção?"
        return _promotions_of_several(intent)
    choice = chosen(intent, conn)
    products, how = choice.products, choice.kind
    if products and how != "partial":
        lines = []
        for p in products[:3] if how == "list" else products[:1]:
            if p.promo_price:
                until = fmt.valid_until(p.promo_end, p.promo_until_ts)
                lines.append(f"🔥 Sim! {label(p)} está em promoção: de {fmt.money(p.price)} por "
                             f"{fmt.money(p.promo_price)}" + (f", {until}." if until else "."))
            else:
                lines.append(f"{label(p)} não está em promoção agora; o preço é {fmt.money(p.price)} "
                             f"{fmt.per_unit(p.unit)}.".replace("  ", " "))
        return "\n".join(lines), [p.sku for p in products[:3]]
    if choice.missing:
        return choice.missing, []      # a named product we do not have
    promos = knowledge.products(conn, "promo_price IS NOT NULL", limit=500)
    if not promos:
        return "No momento não temos promoções cadastradas. Posso informar o preço de algum produto?", []
    promos.sort(key=lambda p: (p.promo_price / p.price, p.id))
    shown = promos[:MAX_LIST]
    out = "🔥 Nossas promoções:\n" + "\n".join(
        f"• {label(p)}: de {fmt.money(p.price)} por {fmt.money(p.promo_price)}"
        + (f" ({u})" if (u := fmt.valid_until(p.promo_end, p.promo_until_ts)) else "") for p in shown)
    if len(promos) > len(shown):
        out += f"\n…e mais {len(promos) - len(shown)} produtos em promoção. Pergunte por um produto!"
    return out, []


def wholesale(intent: Intent, kb: KB, conn) -> tuple[str, list[str]]:
    rule = kb.wholesale.get("rule", "")
    choice = chosen(intent, conn)
    products, how = choice.products, choice.kind
    if products and how != "partial":
        p = products[0]
        if not p.wholesale_price:
            return (f"{label(p)} não tem preço de atacado; o preço é {fmt.money(p.price)} "
                    f"{fmt.per_unit(p.unit)}.".replace("  ", " ")), [p.sku]
        out = (f"📦 {label(p)}: no atacado sai por {fmt.money(p.wholesale_price)} cada, a partir de "
               f"{fmt.quantity(p.wholesale_min_qty, p.unit)} (no varejo, {fmt.money(p.price)}).")
        q = intent.quantity
        if q and q >= p.wholesale_min_qty:
            out += f" Levando {q}, você já paga o preço de atacado."
        elif q:
            out += f" Com {q} ainda vale o preço normal."
        return out + (f"\n{rule}" if rule else ""), [p.sku]
    if choice.missing:
        return choice.missing, []
    tiers = knowledge.products(conn, "wholesale_price IS NOT NULL", limit=5)
    out = f"📦 {rule}" if rule else "📦 Temos preço de atacado em vários produtos."
    if tiers:
        out += "\nAlguns exemplos:\n" + "\n".join(
            f"• {label(p)}: {fmt.money(p.wholesale_price)} a partir de {fmt.quantity(p.wholesale_min_qty, p.unit)}"
            for p in tiers)
    return out + "\nMe diga o produto que eu informo o preço de atacado. 😊", []


def _promotions_of_several(intent: Intent) -> tuple[str, list[str]]:
    """Whether each of the goods a message names is on promotion: those that are with both prices, and the others
    with their price, or "Não" first when none is."""
    shown: list[Product] = []
    for res in intent.several:
        best = next((m.product for m in res.matches if m.complete), None)
        if best is not None and best not in shown:
            shown.append(best)
    on = [p for p in shown if p.promo_price]
    off = [p for p in shown if not p.promo_price]
    out = []
    if on:
        out.append("🔥 Em promoção:\n" + "\n".join(f"• {label(p)}: de {fmt.money(p.price)} por "
                                                   f"{fmt.money(p.promo_price)}" for p in on))
    if off:
        head = "Sem promoção agora:" if on else f"Não: {'nenhum deles está' if len(off) > 1 else 'não está'} " \
                                                "em promoção agora. 😕 Os preços:"
        out.append(head + "\n" + "\n".join(line(p) for p in off))
    return "\n\n".join(out), [p.sku for p in shown]
