"""Yes/no questions about the store's facts, decided by code.

Each check reads one part of a message (normalized, see text.normalize) and
returns the answer, or None when the part is not its question. The answer
starts with "Sim" only when the fact says yes, with "Não" when it says no,
and gives the reason (the threshold, the list, the hours); when the facts
cannot decide (a free text with no number), it recites them without either.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from .. import fmt, text
from ..reading import cues, facts, slots
from ..reading.vocab import Vocab
from ..store.knowledge import KB
from . import replies

# The words each check listens for, one pattern a question. The duplicates tool pairs these tables with
# each other and with orders/checkout.py's edit patterns: vocabularies alike in shape only, each its own.
INSTALLMENT = re.compile(r"\b(?:parcel\w*|dividir|divide|dividido|vezes|\d{1,2}\s*x)\b")
FREE = re.compile(r"\b(?:gratis|gratuit[oa]|de graca|sem (?:a |o )?taxa|sem (?:o )?frete|isent[oa]|nao pagar|"
                  r"ganh\w* (?:o |a )?(?:frete|entrega)|livre d[ao] (?:taxa|frete)|"
                  r"(?:nao|sem) (?:pagar|pago|paga|cobrar|cobra|cobram) (?:a |o )?(?:taxa|frete|entrega))\b")
MINIMUM = re.compile(r"\b(?:pedido minimo|compra minima|valor minimo|minimo (?:d?o )?pedido|"
                     r"minimo (?:para|pra) (?:voces )?(?:entreg\w*|pedir|lev\w*|traz\w*|trag\w*|mand\w*))\b")
# "com 300 eu ainda pago a taxa?", "deu 335, vou ter que pagar a entrega?"
PAYS_FEE = re.compile(r"\b(?:(?:pago|paga|pagar|pagaria|pagarei|cobra|cobram|cobrado|cobrada)\s+"
                      r"(?:a |o |pela |pelo )?(?:taxa|frete|entrega)|tem\s+(?:a |o )?(?:taxa|frete))\b")
# "qual a taxa?", "o valor da entrega"
FEE_ASKED = re.compile(r"\b(?:taxa|frete|(?:valor|preco|quanto) (?:da|de|e a|custa a) entrega)\b")
SHIPPING = re.compile(r"\b(?:entreg\w*|frete|taxa|delivery)\b")
HOW_MUCH = re.compile(r"\b(?:quanto|a partir de|qual o valor|valor minimo|minimo)\b")
DELIVERY = re.compile(r"\b(?:entrega\w*|entregar|delivery|frete|tele|pedido minimo|compra minima|valor minimo|minimo|"
                      r"trazem|traz|trazer|trazerem|levarem|mandarem|levam (?:em|ate|aqui|la|assim)|levam$|"
                      r"mandam (?:em|ate|aqui|la|pra|assim)|mandam$|manda (?:assim|para|em|ate|aqui|la))\b")
# "passar aí" asks about the hours only when asked ("posso passar aí às 7?"), not told ("vou passar aí amanhã")
OPEN = re.compile(r"\b(?:da tempo|ainda da|posso ir|a tempo|"
                  r"(?:posso|da pra|consigo|se eu|tempo de|para|pra|podendo|posso ja|ja posso) (?:passar|ir|chegar) ai|"
                  r"abre|abrem|abrir|aberto|aberta|"
                  r"abertos|funciona|funcionam|funcionando|atende|atendem|"
                  r"atendendo|fecha|fecham|fechado|fechada|fechados|expediente|fechou|"
                  # "ainda consigo fazer umas compras aí?", "já dá pra entrar aí?"
                  r"(?:ainda |ja )?consigo (?:fazer|comprar|entrar|passar)|da (?:pra|para) entrar|posso entrar|"
                  r"tem como (?:passar|ir|entrar)|pego (?:voces )?abert\w*|da (?:pra|para) ir fazer)\b")
ASKS_WHEN = re.compile(r"\b(?:que horas?|qual (?:o )?horario|quais (?:os )?horarios|ate que|quando|horario de)\b")
ARRIVES = re.compile(r"\b(?:chega|chegam|chegar|chegaria|recebo|receber|pedir|entreg\w*|fechar o pedido"
                     r"|sai)\b")
SAME_DAY = re.compile(r"\b(?:hoje|mesmo dia|ainda hoje|agora)\b")
NEXT_DAY = re.compile(r"\b(?:amanha|dia seguinte|amanha cedo)\b")
VOUCHER = re.compile(r"\bvale\s*(?:alimentacao|refeicao|compra)?\b|\bvr\b|\bva\b")
ACCEPTS = re.compile(r"\b(?:aceita\w*|passa\w*|recebe\w*|trabalha\w*|pega|pegam|pode ser|da pra pagar|posso pagar)\b")
PAYMENT_ASK = re.compile(r"\b(?:aceita\w*|passa\w*|pag\w*|pega|pegam|cartao|vale|recebe\w*|tem|trabalha\w*|bandeira)\b")


def money_text(value: Decimal) -> str:
    return fmt.money(float(value))


# -- payment ------------------------------------------------------------------------

def installments(norm: str, kb: KB, price: Decimal | None = None) -> str | None:
    """"Se eu gastar 300 dá pra parcelar?": the amount against the installment threshold; ``price``:
    the amount the conversation gave when the message names none ("dá pra parcelar?" after a price)."""
    amount = slots.money(norm) if price is None else price
    if amount is None or not INSTALLMENT.search(norm):
        return None
    rule = kb.payment.get("installments", "")
    if not rule:
        return "Não, no momento não oferecemos parcelamento. 😕"
    tiers = facts.installment_tiers(rule)
    if tiers:
        return _tiered(amount, _times(norm), tiers, rule)
    limit = facts.threshold(rule)
    most, asked = facts.max_installments(rule), _times(norm)
    if most and asked and asked > most:
        return f"Não, parcelamos em no máximo {most}x, não em {asked}x. {rule}"
    if limit is None:
        return rule
    if limit.reached(amount):
        return f"Sim! Com {money_text(amount)} dá para parcelar. ✅ {rule}"
    need = "a partir de" if limit.inclusive else "acima de"
    return (f"Não, com {money_text(amount)} ainda não dá para parcelar: o parcelamento é para compras "
            f"{need} {money_text(limit.amount)}. {rule}")


def _tiered(amount: Decimal, asked: int | None, tiers: list, rule: str) -> str:
    """"Com 500 dá em 4x?" where the store has steps (2x from 150, 4x from 400, 8x from 900)."""
    allowed = max((n for n, limit in tiers if limit.reached(amount)), default=0)
    if not allowed:
        n, first = tiers[0]
        return (f"Não, com {money_text(amount)} ainda não dá para parcelar: o parcelamento começa "
                f"{'a partir de' if first.inclusive else 'acima de'} {money_text(first.amount)}. {rule}")
    if asked is None or asked <= allowed:
        return f"Sim! Com {money_text(amount)} dá para parcelar em até {allowed}x. ✅ {rule}"
    step = next((limit for n, limit in tiers if n >= asked), None)
    when = f" só a partir de {money_text(step.amount)}" if step else " não parcelamos"
    return f"Não em {asked}x: com {money_text(amount)}, parcelamos em até {allowed}x; em {asked}x,{when}. {rule}"


def _times(norm: str) -> int | None:
    m = re.search(r"\b(\d{1,2})\s*(?:x|vezes)\b", norm)
    return int(m.group(1)) if m else None


def meal_voucher(norm: str, kb: KB, words: Vocab) -> str | None:
    """"Aceita vale-alimentação?" where the list names voucher brands, not the word "vale"."""
    norm = cues.NOT_A_VOUCHER.sub(" ", norm)      # "e o vinho tinto do vale ta qto": no voucher asked
    if not VOUCHER.search(norm) or words.brand_of(norm):
        return None
    methods = kb.payment.get("methods", [])
    if any("vale" in text.normalize(m) for m in methods):
        return None        # the list says "vale-...": replies.payment matches it
    brands = [m for m in methods if any(text.has_phrase(text.normalize(m), b) for b in words.brands["vale"])]
    if not brands:
        return None
    return f"Sim, aceitamos vale-alimentação e vale-refeição das bandeiras {fmt.join(brands)}. ✅"


def payment_brand(norm: str, kb: KB, words: Vocab) -> str | None:
    """"Aceita Alelo?": a brand is accepted only when the store's list of methods names it."""
    norm = cues.NOT_A_VOUCHER.sub(" ", norm)      # "quanto vale", "do vale": no voucher asked
    found = words.brand_of(norm)
    if not (PAYMENT_ASK.search(norm) or len(norm.split()) <= 3):
        return None
    if found is None:       # "aceita Banricompras?": a method the store's own list names
        named = [m for m in kb.payment.get("methods", [])
                 if len(text.normalize(m)) >= 3 and text.has_phrase(norm, text.normalize(m))
                 and not re.search(rf"\bsem\s+(?:\w+\s+)?{re.escape(text.normalize(m))}\b", norm)]   # "tô sem dinheiro"
        said = " ".join(text.normalize(m) for m in named)
        others = [w for w in norm.split() if w in cues.PAYMENT_WORDS and w not in said.split()]
        if others:
            return None     # "aceita pix, cheque ou boleto?": the classifier answers each method
        return f"Sim, aceitamos {fmt.join(named)}! ✅" if named and ACCEPTS.search(norm) else None
    kind, brand = found
    methods = kb.payment.get("methods", [])
    listed = [m for m in methods if text.has_phrase(text.normalize(m), brand)]
    name = brand.title() if len(brand) > 3 else brand.upper()
    asked = next((k for k in ("credito", "debito") if re.search(rf"\b{k}\b", norm)), None)
    if listed and asked and not any(asked in text.normalize(m) for m in listed) \
            and all(re.search(r"\b(?:credito|debito)\b", text.normalize(m)) for m in listed):
        # "aceita Banescard no crédito?" where the list has it on debit only
        return (f"Não, {name} no {'crédito' if asked == 'credito' else 'débito'} não aceitamos: só "
                f"{fmt.join(listed)}. 😕")
    if listed:
        return f"Sim, aceitamos {fmt.join(listed)}! ✅"
    everything = f"Aceitamos: {fmt.join(methods)}."
    cards = [m for m in methods if "cartao" in text.normalize(m)]
    if kind == "card" and cards:
        # the list names cards, not their brands: neither yes nor no
        return (f"Aceitamos {fmt.join(cards)}; a bandeira {name} eu não consigo confirmar por aqui. "
                f"Digite *atendente* para confirmar. {everything}")
    return f"Não aceitamos {name}. 😕 {everything}"


# -- delivery -----------------------------------------------------------------------

def free_delivery(norm: str, kb: KB, about_delivery: bool = False) -> str | None:
    """"Se eu comprar 150 a entrega é grátis?": the amount against free_above; "quanto preciso comprar
    pra não pagar?" (after a delivery question: ``about_delivery``) is free_above itself."""
    amount = slots.money(norm)
    d = kb.delivery
    # "com 300 eu ainda pago a taxa?" asks the same, the other way round: yes means not free
    pays = amount is not None and not FREE.search(norm) and PAYS_FEE.search(norm) is not None
    if not (FREE.search(norm) or pays) or not d.get("available", False):
        return None
    fee, free = d.get("fee"), d.get("free_above")
    if pays and fee and free:
        free = Decimal(str(free))
        if amount > free:
            return (f"Não, com {money_text(amount)} você não paga a taxa: a entrega é grátis em compras acima de "
                    f"{money_text(free)}. 🚚")
        return (f"Sim, com {money_text(amount)} a taxa de entrega é {money_text(Decimal(str(fee)))}: a entrega "
                f"é grátis em compras acima de {money_text(free)}.")
    if amount is None:
        if not (HOW_MUCH.search(norm) and free and (SHIPPING.search(norm) or about_delivery)):
            return None    # "quanto preciso comprar pra ter frete grátis?" asks the threshold
        return (f"A entrega é grátis em compras acima de {money_text(Decimal(str(free)))}"
                + (f"; abaixo disso, a taxa é {money_text(Decimal(str(fee)))}." if fee else "."))
    if fee == 0:
        return "Sim, a entrega é sempre grátis! 🚚"
    if not free:
        return f"Não, a entrega não sai grátis: a taxa é {money_text(Decimal(str(fee)))}." if fee else None
    free = Decimal(str(free))
    if amount > free:
        return (f"Sim! Com {money_text(amount)} a entrega sai grátis (grátis em compras acima de "
                f"{money_text(free)}). 🚚")
    out = (f"Não, com {money_text(amount)} a entrega ainda não sai grátis: é grátis em compras acima de "
           f"{money_text(free)}")
    out += f"; abaixo disso, a taxa é {money_text(Decimal(str(fee)))}." if fee else "."
    return out


def min_order(norm: str, kb: KB) -> str | None:
    """"Pedido de 50 reais vocês entregam?": the amount against the minimum order."""
    amount = slots.money(norm)
    d = kb.delivery
    if amount is None and MINIMUM.search(norm) and d.get("available") and d.get("min_order") \
            and not FREE.search(norm):     # "qual o pedido mínimo pra vocês entregarem?": the minimum itself
        least = f"O pedido mínimo para entrega é {money_text(Decimal(str(d['min_order'])))}. 🚚"
        if FEE_ASKED.search(norm) and d.get("fee"):      # "qual a taxa de entrega e o valor mínimo?": both
            return f"{replies.fee_text(d)} {least}"
        return least
    if amount is None or not DELIVERY.search(norm) or FREE.search(norm) or INSTALLMENT.search(norm):
        return None
    if not d.get("available", False):
        return "Não, no momento não fazemos entregas. 😕"
    m = d.get("min_order")
    fee, free = d.get("fee"), d.get("free_above")
    fee_text = ""
    if fee and free and amount > Decimal(str(free)):
        fee_text = " E a entrega sai grátis."
    elif fee:
        fee_text = f" A taxa de entrega é {money_text(Decimal(str(fee)))}" + \
            (f" (grátis acima de {money_text(Decimal(str(free)))})." if free else ".")
    if m and amount < Decimal(str(m)):
        return (f"Não, com {money_text(amount)} não dá: o pedido mínimo para entrega é "
                f"{money_text(Decimal(str(m)))}. 😕")
    reason = f" (o pedido mínimo é {money_text(Decimal(str(m)))})" if m else ""
    return f"Sim, entregamos um pedido de {money_text(amount)}{reason}. 🚚{fee_text}"


# the customer coming to the store, not the order arriving
CUSTOMER_COMES = re.compile(r"\b(?:eu|consigo|vou|posso|estou|so)\s+(?:\w+\s+)?chegar\b|\bchego\b")


def lead_time(norm: str, kb: KB, now: dt.datetime) -> str | None:
    """"Pedindo agora chega hoje?" / "chega amanhã cedo?": the time now against the cut-off."""
    d = kb.delivery
    rule = d.get("lead_time", "")
    if not (ARRIVES.search(norm) and (SAME_DAY.search(norm) or NEXT_DAY.search(norm))) or not rule:
        return None
    if slots.money(norm) is not None or not d.get("available", False):
        return None
    if CUSTOMER_COMES.search(norm) and not DELIVERY.search(norm):
        return None       # "amanhã eu só consigo chegar aí umas 10 da noite, ainda tá aberto?": the hours
    if cues.PRICE_ASKED.search(norm) and not DELIVERY.search(norm):
        return None       # "aniversário é amanhã ... o bolo de aipim sai por quanto?": a price, not a delivery
    which = slots.day(norm)           # "sábado às 3 da tarde ainda entregam no mesmo dia?": that day's rule
    if which in ("tomorrow", "after_tomorrow"):      # "vcs entregam amanhã?" where the next day has none
        key = fmt.DAY_KEYS[(fmt.DAY_KEYS.index(fmt.day_key(now)) + (1 if which == "tomorrow" else 2)) % 7]
        if key in facts.no_delivery_days(rule):
            when = "amanhã" if which == "tomorrow" else "depois de amanhã"
            return f"Não, {when} ({fmt.DAY_NAMES[key]}) não fazemos entregas. 😕 {rule}"
    which = which if which in fmt.DAY_KEYS else None
    if which is not None and which in facts.no_delivery_days(rule):
        on = ("no " if which in ("sat", "sun") else "na ") + fmt.DAY_NAMES[which]
        return f"Não, {on} não fazemos entregas. 😕 {rule}"
    cutoff = facts.cutoff_minutes(rule, which)
    if cutoff is None or ASKS_WHEN.search(norm):
        return rule        # "até que horas posso pedir?" asks the rule itself
    asked = slots.time_of_day(norm)          # "se eu pedir às 15h chega hoje?": that time, not now
    if which is not None and asked is None:
        return rule        # "sábado entrega no mesmo dia?": the rule, no time to check
    minute = asked if asked is not None else now.hour * 60 + now.minute
    before = minute < cutoff
    at = fmt.clock_time(f"{cutoff // 60:02d}:{cutoff % 60:02d}")
    now_text = fmt.clock_time(f"{minute // 60:02d}:{minute % 60:02d}")
    next_day = "seguinte" in text.normalize(rule) or "amanha" in text.normalize(rule)
    # "amanhã se eu fechar às 15h entrega no mesmo dia?": the same day as the order, whichever day that is
    if SAME_DAY.search(norm) and (not NEXT_DAY.search(norm) or "mesmo dia" in norm):
        day = "no mesmo dia" if NEXT_DAY.search(norm) or which is not None else "hoje"
        if before:
            return f"Sim! Pedindo às {now_text}, antes das {at}, chega {day}. 🚚 {rule}"
        return (f"Não, pedindo às {now_text} não chega {day}: só pedidos feitos até as {at} são entregues "
                f"no mesmo dia. {rule}")
    if before or next_day:
        return f"Sim! Pedindo às {now_text}, chega {'hoje ainda' if before else 'no dia seguinte'}. 🚚 {rule}"
    return rule


def delivery_day(norm: str, kb: KB) -> str | None:
    """"Entregam no domingo?": a day the delivery text says there is none ("Não entregamos aos domingos")."""
    d = kb.delivery
    asked = re.search(r"\bentreg\w*|\bdelivery\b|\btrazem\b|\blevam\b|\bmandam\b"
                      r"|\breceber (?:as |a |minhas |minha )?compras? em casa\b", norm)   # "posso receber ... em casa"
    if not asked or not d.get("available"):
        return None
    for area in d.get("areas", []):       # "entregam na Dom Pedro?": a neighbourhood, not Sunday
        norm = norm.replace(text.normalize(area), " ")
    # "se eu pedir sábado, entregam no domingo?": the day of the delivery is the one after the word
    which = slots.day(norm[asked.end():]) or slots.day(norm)
    if which not in fmt.DAY_KEYS:
        return None
    rule = d.get("lead_time", "")
    on = ("no " if which in ("sat", "sun") else "na ") + fmt.DAY_NAMES[which]
    if which in facts.no_delivery_days(rule) or (which in kb.hours and fmt.is_closed(kb.hours[which])):
        return f"Não, {on} não fazemos entregas. 😕 {rule}".rstrip()
    if which in kb.hours and rule:      # open that day, and the delivery text names no exception
        return f"Sim, entregamos {on}. ✅ {rule}"
    return None


# -- hours --------------------------------------------------------------------------

def open_at(norm: str, kb: KB, now: dt.datetime) -> str | None:
    """"Abrem amanhã às 7?", "domingo 14h tá aberto?", "abre feriado?": the day and time against the hours."""
    if not OPEN.search(norm) or ASKS_WHEN.search(norm) or DELIVERY.search(norm):
        return None
    which = slots.day(norm)
    minute = slots.time_of_day(norm)
    span = slots.part_of_day(norm) if minute is None else None
    if which is None and minute is None:
        return None
    if which in (None, "now", "today") and minute is None and which != "now" and not span:
        return None          # "está aberto hoje?" is the hours of today (replies.hours)
    if which == "now":
        return None          # replies.hours answers "agora" with the clock
    today = fmt.day_key(now)
    if which in (None, "today"):
        key, when = today, "hoje"
    elif which == "tomorrow":
        key = fmt.DAY_KEYS[(fmt.DAY_KEYS.index(today) + 1) % 7]
        when = f"amanhã ({fmt.DAY_NAMES[key]})"
    elif which == "after_tomorrow":
        key = fmt.DAY_KEYS[(fmt.DAY_KEYS.index(today) + 2) % 7]
        when = f"depois de amanhã ({fmt.DAY_NAMES[key]})"
    else:
        key = which
        on = "no " if key in ("sat", "sun") else "na "
        when = "nos feriados" if key == "holidays" else on + fmt.DAY_NAMES[key]
    if key not in kb.hours:
        if key == "holidays":
            return "Para feriados, o horário é divulgado perto da data. Digite *atendente* para confirmar."
        return None
    spec = kb.hours.get(key)
    if fmt.is_closed(spec):
        return f"Não, {when} não abrimos. 😕"
    hours = fmt.hours_text(spec)
    if minute is None and span:       # "segunda de manhã?": any opening in that part of the day
        said, (start, end) = span
        said = said.split()[-1]
        said = "de manhã" if said == "manha" else f"à {said}" if said == "noite" else f"de {said}"
        overlap = sum(max(0, min(end, _minutes(b)) - max(start, _minutes(a))) for a, b in fmt.ranges(spec))
        if overlap * 2 >= end - start:
            return f"Sim, {when} {said} estamos abertos: abrimos {hours}. ✅"
        if overlap:         # "domingo de tarde?" where Sunday closes at 13h: not the afternoon
            return f"Não, {when} {said} só abrimos até o começo: abrimos {hours}. 😕"
        return f"Não, {when} {said} não abrimos: abrimos {hours}. 😕"
    if minute is None:
        return f"Sim, {when} abrimos {hours}. ✅"
    asked = fmt.clock_time(f"{minute // 60:02d}:{minute % 60:02d}")
    if UNTIL.search(norm):           # "ficam abertos até as 22h?": open up to that time
        if any(_minutes(a) < minute <= _minutes(b) for a, b in fmt.ranges(spec)):
            return f"Sim, {when} ficamos abertos até as {asked}: abrimos {hours}. ✅"
        return f"Não, {when} não ficamos abertos até as {asked}: abrimos {hours}. 😕"
    inside = any(_minutes(a) <= minute < _minutes(b) for a, b in fmt.ranges(spec))
    if inside:
        return f"Sim, {when} às {asked} estamos abertos: abrimos {hours}. ✅"
    first = min(_minutes(a) for a, _ in fmt.ranges(spec))
    state = "ainda não abrimos" if minute < first else "já estamos fechados"
    return f"Não, {when} às {asked} {state}: abrimos {hours}. 😕"


UNTIL = re.compile(r"\b(?:aberto|abertos|aberta|abertas|funciona|funcionam|fica|ficam)\s+ate\b")


def _minutes(hhmm: str) -> int:
    h, m = hhmm.strip().split(":")
    return int(h) * 60 + int(m)
