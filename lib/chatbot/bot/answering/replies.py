"""Answer templates: the store's facts put into pt-BR sentences by code.

Every number in these replies comes from the knowledge base (prices, fees,
hours) through fmt.py; a product we do not find gets no number at all.
Each function returns ``(text, cacheable)``: a reply that depends on the
time of day ("estamos abertos agora?") must not be served from the cache.
"""
from __future__ import annotations

import re

from .. import fmt, text
from ..reading.cues import PAYMENT_NAMES, PAYMENT_WORDS
from ..reading.intents import Intent
from ..store.knowledge import KB

NO_KB = ("Desculpe, ainda não tenho as informações da loja cadastradas. "
         "Digite *atendente* para falar com uma pessoa.")
HELP = ("Posso ajudar com preços de produtos, promoções, preços de atacado, horário de funcionamento, "
        "endereço, entregas e formas de pagamento.")
FALLBACK = ("Desculpe, não consegui entender bem. 🤔 " + HELP +
            " Se preferir, digite *atendente* para falar com uma pessoa.")
SMALLTALK_FALLBACK = "Tudo certo por aqui! 😊 " + HELP + " O que você procura?"
HANDOFF = {
    "human_request": ("Certo! Vou chamar um de nossos atendentes. 🙋 Em instantes uma pessoa continua "
                      "esta conversa por aqui."),
    "complaint": ("Sinto muito pelo ocorrido. 😔 Já passei sua mensagem para a nossa equipe, e uma pessoa "
                  "vai falar com você por aqui em breve."),
}


def social(intent: Intent, kb: KB, contact_name: str | None) -> tuple[str, bool]:
    store = kb.store.get("name", "nossa loja")
    if intent.name == "greeting":
        first = (contact_name or "").split()[0] if contact_name and contact_name.split() else ""
        hello = f"Olá, {first}! 👋" if first and not re.search(r"\d", first) else "Olá! 👋"
        return f"{hello} Sou o assistente virtual do {store}. {HELP} Como posso ajudar?", not first
    if intent.name == "thanks":
        return "Por nada! 😊 Se precisar de mais alguma coisa, é só chamar.", True
    if intent.name == "goodbye":
        return f"Até mais! O {store} agradece o contato. 👋", True
    return "Combinado! 👍 Se precisar de mais alguma coisa, é só chamar.", True


# -- hours -----------------------------------------------------------------------

def hours(intent: Intent, kb: KB, zone: str) -> tuple[str, bool]:
    h = kb.hours
    asked = [d for d in intent.days if d in fmt.DAY_NAMES]
    relative = [d for d in intent.days if d in ("today", "tomorrow", "now")]
    lines = [_hours_relative(relative[0], h, zone)] if relative else []
    if asked:
        for d in asked:
            spec = h.get(d)
            if d == "holidays" and spec is None:
                lines.append("Para feriados, o horário é divulgado perto da data. Digite *atendente* para confirmar.")
            elif fmt.is_closed(spec):
                lines.append(f"{'Nos feriados' if d == 'holidays' else _on_day(d).capitalize()} não abrimos.")
            else:
                when = "Nos feriados" if d == "holidays" else _on_day(d).capitalize()
                lines.append(f"{when} abrimos {fmt.hours_text(spec)}.")
    if lines:
        return " ".join(lines), not relative
    return "🕒 Nosso horário de funcionamento:\n" + week(h), True


def week(h: dict) -> str:
    """Consecutive days with the same hours grouped: 'Segunda a quinta: das 7h às 21h'."""
    groups: list[list[str]] = []
    for d in fmt.DAY_KEYS:
        if groups and h.get(groups[-1][0]) == h.get(d):
            groups[-1].append(d)
        else:
            groups.append([d])
    lines = []
    for g in groups:
        label = fmt.DAY_SHORT[g[0]] if len(g) == 1 else \
            f"{fmt.DAY_SHORT[g[0]]} {'e' if len(g) == 2 else 'a'} {fmt.DAY_SHORT[g[-1]].lower()}"
        lines.append(f"• {label}: {fmt.hours_text(h.get(g[0]))}")
    if "holidays" in h:
        lines.append(f"• Feriados: {fmt.hours_text(h['holidays'])}")
    return "\n".join(lines)


def _on_day(d: str) -> str:
    name = fmt.DAY_NAMES[d]
    return f"{'no' if d in ('sat', 'sun') else 'na'} {name}"


def _hours_relative(which: str, h: dict, zone: str) -> str:
    now = fmt.store_now(zone)
    today = fmt.day_key(now)
    tomorrow = fmt.DAY_KEYS[(fmt.DAY_KEYS.index(today) + 1) % 7]
    if which == "tomorrow":
        spec = h.get(tomorrow)
        if fmt.is_closed(spec):
            return f"Amanhã ({fmt.DAY_NAMES[tomorrow]}) não abrimos."
        return f"Amanhã ({fmt.DAY_NAMES[tomorrow]}) abrimos {fmt.hours_text(spec)}."
    spec = h.get(today)
    today_text = f"hoje ({fmt.DAY_NAMES[today]}) " + ("não abrimos" if fmt.is_closed(spec)
                                                      else f"funcionamos {fmt.hours_text(spec)}")
    if which == "today":
        return today_text[0].upper() + today_text[1:] + "."
    if fmt.open_at(spec, now):
        return f"Sim, estamos abertos agora! ✅ {today_text[0].upper() + today_text[1:]}."
    later = [a for a, _ in ([] if fmt.is_closed(spec) else fmt.ranges(spec))
             if int(a.split(":")[0]) * 60 + int(a.split(":")[1]) > now.hour * 60 + now.minute]
    if later:
        return f"Agora estamos fechados. Hoje abrimos às {fmt.clock_time(later[0])}."
    nxt = h.get(tomorrow)
    tail = "não abrimos" if fmt.is_closed(nxt) else f"abrimos {fmt.hours_text(nxt)}"
    return f"Agora estamos fechados. Amanhã ({fmt.DAY_NAMES[tomorrow]}) {tail}."


# -- location, delivery, payment ------------------------------------------------------

def location(intent: Intent, kb: KB) -> tuple[str, bool]:
    s = kb.store
    lines = [f"📍 *{s.get('name', '')}*", ", ".join(x for x in (s.get("address"), s.get("city")) if x)]
    if s.get("phone"):
        lines.append(f"📞 {s['phone']}")
    if s.get("maps_url"):
        lines.append(f"🗺️ {s['maps_url']}")
    return "\n".join(x for x in lines if x), True


def delivery(intent: Intent, kb: KB, original: str) -> tuple[str, bool]:
    d = kb.delivery
    if not d.get("available", False):
        return ("No momento não fazemos entregas. 😕 Você pode comprar direto na loja: "
                f"{kb.store.get('address', '')}."), True
    areas = d.get("areas", [])
    fee = fee_text(d)
    if intent.area:
        least = f" O pedido mínimo para entrega é {fmt.money(float(d['min_order']))}." if d.get("min_order") else ""
        return f"Sim, entregamos em {intent.area}! 🚚 {fee}{least}", True
    if intent.other_area and areas:
        # the store's own spelling when its delivery rules name the place ("Vitória do Xingu"), else the customer's
        place = text.original_span(d.get("lead_time") or "", intent.other_area) \
            or text.original_span(original, intent.other_area) or intent.other_area.title()
        return (f"Infelizmente ainda não entregamos em {place}. 😕 Atendemos estes bairros: "
                f"{fmt.join(areas)}."), True
    topics = intent.delivery_topics
    parts = []
    if "lead_time" in topics and d.get("lead_time"):
        parts.append(d["lead_time"])
    if topics & {"fee", "free"}:
        parts.append(fee)
    if "minimum" in topics:
        parts.append(_minimum(d) or "Não há pedido mínimo para entrega.")
    if "areas" in topics and areas:
        parts.append(f"Entregamos nestes bairros: {fmt.join(areas)}.")
    if parts:
        return " ".join(parts), True
    summary = [f"🚚 Fazemos entregas! {fee}", _minimum(d)]
    if areas:
        summary.append(f"Bairros atendidos: {fmt.join(areas)}.")
    if d.get("lead_time"):
        summary.append(d["lead_time"])
    return " ".join(x for x in summary if x), True


def fee_text(d: dict) -> str:
    """The delivery fee and the free-delivery threshold, as one sentence (also said by answering/checks.py)."""
    fee, free = d.get("fee"), d.get("free_above")
    if fee is None:
        out = "Consulte a taxa de entrega com um atendente."
    elif fee == 0:
        out = "A entrega é grátis."
    else:
        out = f"A taxa de entrega é {fmt.money(fee)}"
        out += f", e é grátis em compras acima de {fmt.money(free)}." if free else "."
    return out


def _minimum(d: dict) -> str:
    m = d.get("min_order")
    return f"O pedido mínimo para entrega é {fmt.money(m)}." if m else ""


def payment(intent: Intent, kb: KB) -> tuple[str, bool]:
    methods = kb.payment.get("methods", [])
    normalized = [text.normalize(m) for m in methods]
    all_methods = f"Aceitamos: {fmt.join(methods)}."
    inst = kb.payment.get("installments", "")
    parts, yes, no = [], [], []
    for word in intent.payment:
        hits = [m for m, n in zip(methods, normalized) if any(text.has_phrase(n, k) for k in PAYMENT_WORDS[word])]
        yes += [h for h in hits if h not in yes]
        if not hits:
            no.append(PAYMENT_NAMES[word])
    if yes:
        parts.append(f"Sim, aceitamos {fmt.join(yes)}! ✅")
    if no:
        parts.append(f"Não aceitamos {fmt.join(no, 'nem')}. 😕")
    if intent.installments:
        parts.append(inst or "No momento não oferecemos parcelamento.")
    if not parts:
        return f"💳 {all_methods}" + (f" {inst}" if inst else ""), True
    if any(p.startswith("Não") for p in parts) or len(parts) == 1 and not intent.installments:
        parts.append(all_methods)
    return " ".join(parts), True


# -- FAQ and handoff --------------------------------------------------------------------

def faq(intent: Intent, kb: KB) -> tuple[str, bool]:
    return kb.faq[intent.faq][1], True
