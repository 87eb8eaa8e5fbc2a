"""The checkout's step function, table-driven: each conversation is a list of (what the customer
sends, what the reply must say), run on a fake clock over a store the other tests never see
(tests/data/orderstore). Every bad input the issue lists is a conversation here; the Pix code is
read back by an independent decoder (support/pix_decode.py)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from chatbot.bot import text
from chatbot.bot.store import knowledge
from chatbot.orders import brcode, checkout
from chatbot.orders.checkout import Message, step
from support.pix_decode import crc, decode

STORE = Path(__file__).parent / "data" / "orderstore"
UTC = dt.timezone.utc
WEDNESDAY_10H = dt.datetime(2026, 12, 2, 13, 0, tzinfo=UTC).timestamp()    # 10:00 in the store (UTC-3)
SUNDAY_10H = dt.datetime(2026, 12, 6, 13, 0, tzinfo=UTC).timestamp()       # closed on Sundays


def _facts(**changes) -> knowledge.KB:
    facts, _, errors = knowledge.parse_store(STORE / "store.toml")
    assert not errors
    kb = knowledge.KB(version=1, **{k: v for k, v in facts.items()})
    for section, values in changes.items():
        setattr(kb, section, {**getattr(kb, section), **values})
        for k in [k for k, v in values.items() if v is None]:
            getattr(kb, section).pop(k)
    return kb


def _products() -> dict[str, knowledge.Product]:
    rows, errors = knowledge.parse_catalog(STORE / "catalog.csv")
    assert not errors
    out = {}
    for i, r in enumerate(rows, 1):
        aliases = tuple(a for a in (r.get("aliases") or "").split("|") if a)
        out[r["sku"]] = knowledge.Product(id=i, sku=r["sku"], name=r["name"], brand=r["brand"], category=r["category"],
                                          unit=r["unit"], price=r["price"], promo_price=r["promo_price"],
                                          wholesale_price=r["wholesale_price"],
                                          wholesale_min_qty=r["wholesale_min_qty"], aliases=aliases)
    return out


class FakeShop:
    """The store as the step function reads it, from the files, with a simple word search."""

    def __init__(self, **fact_changes):
        self.facts = _facts(**fact_changes)
        self.zone = "America/Maceio"
        self.cart_seconds = 24 * 3600
        self.catalog = _products()
        self.gone: set[str] = set()

    def product(self, sku):
        return None if sku in self.gone else self.catalog.get(sku)

    def find(self, words):
        want = [text.stem(w) for w in text.tokens(words) if w not in text.STOPWORDS]
        hits = []
        for p in self.catalog.values():
            have = {text.stem(w) for n in (p.name, p.brand, *p.aliases) for w in text.tokens(n)}
            if want and all(w in have for w in want) and p.sku not in self.gone:
                hits.append(p)
        return hits


# A cart of the orderstore: 2 arroz (27.90), 3 leite (5.19), 1 óleo (6.99 promo), 2 café 250g (12.90),
# 1 sabão (14.90) = 119.06
LIST = [("2001", 2), ("2007", 3), ("2004", 1), ("2005", 2), ("2008", 1)]
SMALL = [("2009", 3)]          # 3 detergentes: 7.47, below the 40.00 minimum for delivery
BIG = [("2001", 6)]            # 6 arroz at the wholesale 25.90: 155.40, above the 150.00 free delivery
Q = "quote"
PIN = "pin"
WAIT = "wait"
NONE = None                    # the step leaves the message to the pipeline

CONVERSATIONS = {
    # -- the cart and its edits ------------------------------------------------------------
    "quote becomes a cart with buttons": [
        ((Q, LIST), ("Fazer pedido", "alterar", "atendente"))],
    "remove": [((Q, LIST), ()),
               ("tira o óleo", ("Tirei Óleo de Soja", "Total: R$ 112,07", "!Óleo de Soja 900ml Soya"))],
    "set quantity reaches the wholesale tier": [
        ((Q, LIST), ()), ("aumenta o arroz pra 6", ("6x Arroz Branco 5kg", "R$ 25,90 cada, atacado", "R$ 155,40"))],
    "set a product not in the cart adds it": [
        ((Q, LIST), ()), ("aumenta o açúcar pra 10", ("10x Açúcar Cristal", "R$ 4,39 cada, atacado", "R$ 43,90"))],
    "add more of a line": [((Q, LIST), ()), ("coloca mais 2 leite", ("agora 5x", "5x Leite Integral 1L"))],
    "swap for another brand": [
        ((Q, LIST), ()), ("troca o café pelo pilão", ("Troquei Café Torrado 250g por Café Torrado 500g",
                                                    "2x Café Torrado 500g Pilão"))],
    # edits said as customers say them (issue 19's eval11): a reason after the item, "sem", "deixa de lado",
    # "dobra", the amount before the item, the item before its amount, a swap into a line already there
    "remove with the reason after it": [((Q, LIST), ()), ("risca o sabão q eu ainda tenho em casa",
                                                          ("Tirei Sabão em Pó", "!Não entendi"))],
    "without one, and the item before its new amount": [
        ((Q, LIST), ()), ("sem o óleo, e o arroz coloca 6", ("Tirei Óleo de Soja", "6x Arroz Branco 5kg"))],
    "put aside": [((Q, LIST), ()), ("deixa o café de lado, só o resto", ("Tirei Café Torrado 250g",))],
    "double": [((Q, LIST), ()), ("dobra o leite", ("agora 6x", "6x Leite Integral 1L"))],
    "the amount before the item": [
        ((Q, LIST), ()), ("hmm faz só 4 leite então", ("agora 4x", "4x Leite Integral 1L")),
        ("na verdade são 6 arroz, esqueci que é pra minha mãe também", ("6x Arroz Branco 5kg", "R$ 155,40"))],
    "one more with what it is for": [((Q, LIST), ()), ("põe mais um leite pra fechar a caixa", ("agora 4x",))],
    "a swap into a line already in the cart adds to it": [
        ((Q, LIST), ()), ("troca o óleo por mais 2 leite", ("Troquei Óleo de Soja", "5x Leite Integral 1L"))],
    "in place of one, another of its kind (elliptical), by its brand": [
        ((Q, LIST), ()), ("troca o café de 250g pelo de 500g", ("Troquei Café Torrado 250g por Café Torrado 500g",)),
        ("em vez dos 3 leite me vê 2 sabão", ("Troquei Leite Integral 1L por Sabão em Pó 1kg",))],
    "the item is another of its kind": [((Q, LIST), ()), ("ops o café é o pilão", ("Café Torrado 500g",))],
    "an amount in grams, with a half, and chatter after it": [
        ((Q, [("2010", 1)]), ()), ("o queijo diminui pra 800g", ("Queijo Coalho kg: agora 0,8 kg",)),
        ("o queijo aumenta pra 1 kg e meio", ("agora 1,5 kg",)),
        ("o queijo faz 2 kg entao, vai vir mais gente", ("agora 2 kg",))],
    "one amount and one out, the item first in both": [
        ((Q, LIST), ()), ("o arroz eu quero 4 e o sabão pode deixar de lado", ("agora 4x", "Tirei Sabão em Pó"))],
    "the item, then only its new amount; less with what is left said after; everything doubled": [
        ((Q, LIST), ()), ("arroz só 4 na verdade", ("agora 4x",)), ("o leite pode ser 5", ("agora 5x",)),
        ("tira 1 arroz, leva só 3", ("agora 3x",)), ("dobra tudo", ("6x Arroz", "10x Leite"))],
    "a reason after the item that starts with whose it is; what is left said after 'deixa'": [
        ((Q, LIST), ()), ("tira o sabão, minha mulher já comprou kkk", ("Tirei Sabão em Pó",)),
        ("tira 1 leite, deixa só 2", ("agora 2x",))],
    "less, then what is left; a reason said after; a correction that says what it is": [
        ((Q, LIST), ()), ("tira 1 leite, fica só 2", ("agora 2x",)),
        ("tira o café, ficou caro kkk qto fica", ("Tirei Café Torrado 250g",)),
        ("errei, arroz é só 1, refaz a conta pfv", ("agora 1x",))],
    "an amount alone after the item it is of: after a double, after the one item kept": [
        ((Q, LIST), ()), ("na vdd dobra o leite, poe 8", ("agora 8x",)),
        ("esquece o sabão, so o arroz mesmo, so q 4", ("Tirei Sabão em Pó", "Arroz Branco 5kg: agora 4x"))],
    "another amount in place of one ('em vez de 3 leite põe 6'), and an amount in all ('no total')": [
        ((Q, LIST), ()), ("em vez de 3 leite poe 6", ("agora 6x", "!Não encontrei")),
        ("bota 8 leite no total", ("agora 8x", "!Coloquei"))],
    "'deixa X em 6', the item first with a why after ('faz meio kilo só'), a set said once for two items": [
        ((Q, LIST), ()), ("deixa o arroz em 4 e tira o sabão", ("Arroz Branco 5kg: agora 4x", "Tirei Sabão em Pó")),
        ("o leite faz 5 so, o resto fica igual", ("agora 5x",)),
        ("muda o arroz pra 6 e o leite pra 8", ("Arroz Branco 5kg: agora 6x", "agora 8x")),
        ("sem o cafe, e o arroz muda pra 2 pacotes", ("Tirei Café", "Arroz Branco 5kg: agora 2x"))],
    "clauses cut at their commas: one out, then the amount wanted of another ('quero 6 leite então')": [
        ((Q, LIST), ()), ("pensando bem tira o sabão, quero 6 leite entao", ("Tirei Sabão em Pó", "agora 6x")),
        ("na vdd o arroz é 4 pacote", ("Arroz Branco 5kg: agora 4x",))],
    "two new amounts said as what the items are, and 'sobe' to a new amount": [
        ((Q, LIST), ()), ("na vdd o arroz é 4 e o leite so 2", ("Arroz Branco 5kg: agora 4x", "agora 2x")),
        ("sobe o leite pra 6", ("agora 6x",))],
    "a new amount with why after it, 'refaz pra mim', and 'em vez de' the amount the cart had": [
        ((Q, LIST), ()), ("diminui o arroz pra 2, ficou caro", ("agora 2x",)),
        ("na vdd os leite sao 5, refaz pra mim", ("agora 5x", "2x Arroz")),
        ("poe 4 arroz em vez de 2", ("agora 4x", "!Não encontrei")),
        ("o leite faz 6, vamos ser mais gente", ("agora 6x",))],
    "remove everything": [((Q, LIST), ()), ("pode tirar tudo", ("Tirei tudo", "carrinho ficou vazio")),
                          ("confirmar", ("ainda não tem um carrinho",))],
    "combined edits": [
        ((Q, LIST), ()), ("tira o sabão e aumenta o arroz pra 8", ("Tirei Sabão em Pó", "Arroz Branco 5kg: agora 8x",
                                                                 "R$ 207,20"))],
    "ambiguous product in the cart gets a question": [
        ((Q, [("2005", 1), ("2006", 1)]), ()), ("tira o café", ("qual deles?", "1. Café Torrado 250g",
                                                               "2. Café Torrado 500g", "!Tirei")),
        ("2", ("Tirei Café Torrado 500g", "1x Café Torrado 250g"))],
    "ambiguous product in the catalog gets a question": [
        ((Q, LIST), ()), ("coloca 2 biscoito", ("qual deles?", "Biscoito Maria", "Biscoito Recheado", "!Coloquei")),
        ("o recheado", ("Coloquei 2x Biscoito Recheado",))],
    "product not found": [((Q, LIST), ()), ("coloca 2 picanha", ("Não encontrei “picanha” no catálogo",))],
    "remove what is not in the cart": [((Q, LIST), ()),
                                       ("tira o detergente", ("Não achei “detergente” no seu carrinho",))],
    "quantity zero": [((Q, LIST), ()), ("muda o arroz pra 0", ("quantidade 0", "tira o", "2x Arroz Branco 5kg"))],
    "quantity negative": [((Q, LIST), ()), ("coloca -3 leite", ("não pode ser negativa", "3x Leite Integral"))],
    "quantity ten to the twentieth": [((Q, LIST), ()), ("aumenta o arroz pra 10^20", ("grande demais", "999"))],
    "quantity as a huge number": [((Q, LIST), ()), ("aumenta o arroz pra 100000000000000000000", ("grande demais",))],
    "fraction of a packet": [((Q, LIST), ()), ("aumenta o arroz pra 2,5", ("número inteiro",))],
    "kilos by the fraction": [((Q, [("2010", Decimal("0.5"))]), ()),
                              ("aumenta o queijo pra 1,5", ("1,5 kg Queijo Coalho", "R$ 70,35"))],
    "200 items keep the first 100 and say so": [
        ((Q, [(f"x{i}", 1) for i in range(200)]), ("até 100 produtos diferentes", "100 itens ficaram de fora"))],
    "edit help from the Alterar button": [((Q, LIST), ()), ("Alterar", ("tira o óleo", "aumenta o açúcar pra 10"))],
    "an unrelated question leaves the cart alone": [((Q, LIST), ()), ("vocês abrem domingo?", NONE)],
    # -- the checkout --------------------------------------------------------------------
    "delivery asks the address": [
        ((Q, LIST), ()), ("Fazer pedido", ("entrega", "retirar na loja")), ("entrega", ("endereço de entrega",))],
    "skips what was already said": [
        ((Q, LIST), ()), ("quero fazer o pedido, entrega na rua do sol 100, jaraguá, pago no pix",
                          ("Resumo do pedido", "Rua do Sol, 100, Jaraguá", "Pagamento: Pix", "Entrega: R$ 6,00",
                           "Total: R$ 125,06"))],
    "outside the areas": [
        ((Q, LIST), ()), ("quero fazer o pedido, pode entregar?", ("endereço",)),
        ("moro em afogados, rua das flores 120", ("não entregamos em Afogados", "retirar na loja", "Rua do Sol, 45")),
        ("retirar", ("Como vai pagar?",))],
    "neighbourhood misspelt and without accents": [
        ((Q, LIST), ()), ("pedido", ()), ("entrega", ()), ("rua das flores 120, pajucara", ("Como vai pagar?",)),
        ("pix", ("Rua das Flores, 120, Pajuçara",))],
    "neighbourhood with a typo": [
        ((Q, LIST), ()), ("pedido", ()), ("entrega", ()), ("av paulo brandao 33 ponta da tera", ("Como vai pagar?",)),
        ("pix", ("Ponta da Terra",))],
    "address with only a street": [
        ((Q, LIST), ()), ("pedido", ()), ("entrega", ()), ("rua das flores", ("Faltou o número", "bairro")),
        ("rua das flores 12", ("Qual é o bairro",)), ("centro", ("Como vai pagar?",))],
    "neighbourhood first, then the street": [
        ((Q, LIST), ()), ("pedido", ()), ("entrega", ()), ("poço", ("Em Poço, qual é a rua e o número?",)),
        ("rua fernandes lima 500", ("Como vai pagar?",))],
    "a pin inside the radius": [
        ((Q, LIST), ()), ("pedido", ()), ("entrega", ()), ((PIN, -9.6600, -35.7300), ("Como vai pagar?",)),
        ("dinheiro", ("Troco para quanto?",)), ("sem troco", ("Localização enviada", "dinheiro (sem troco)"))],
    "a pin outside the radius": [
        ((Q, LIST), ()), ("pedido", ()), ("entrega", ()), ((PIN, -9.40, -35.50), ("entregamos até 5,0 km",
                                                                                    "retirar na loja"))],
    "a pin with no coordinates in the store file": [
        ((Q, LIST), ()), ("pedido", ()), ("entrega", ()), ((PIN, -9.66, -35.73), ("preciso do endereço escrito",))],
    "below the minimum for delivery": [
        ((Q, SMALL), ()), ("pedido", ()), ("entrega", ("pedido mínimo para entrega é R$ 40,00", "faltam R$ 32,53")),
        ("retirar na loja", ("Como vai pagar?",))],
    "minimum reached by adding items": [
        ((Q, SMALL), ()), ("pedido", ()), ("entrega", ("pedido mínimo",)),
        ("coloca 2 arroz", ("Coloquei 2x Arroz", "endereço de entrega"))],
    "free delivery above the threshold": [
        ((Q, BIG), ()), ("pedido, entrega na rua do sol 100, jaragua", ("Como vai pagar?",)),
        ("cartão de crédito", ("Entrega: grátis", "Total: R$ 155,40"))],
    "a payment the store does not take": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("pago com cheque", ("Não aceitamos cheque", "Pix")),
        ("bitcoin", ("Não aceitamos bitcoin",))],
    "cartão with debit and credit asks which": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("cartão", ("débito ou cartão de crédito",)),
        ("débito", ("Pagamento: cartão de débito",))],
    "an answer that is no payment": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("amanhã cedo", ("Não entendi a forma de pagamento",))],
    "cash: change below the total": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("dinheiro", ("Troco para quanto? O total é R$ 119,06",)),
        ("troco pra 50", ("não dá", "R$ 119,06")), ("troco para 150", ("troco para R$ 150,00",))],
    "Pix code for the exact total": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("pix", ()),
        ("Confirmar pedido", ("Pedido 0001", "Pix copia e cola", "R$ 119,06", "PIX:119.06:0001"))],
    "confirm twice makes one order": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("pix", ()), ("confirmar", ("Pedido 0001",)),
        ("confirmar", ("já está registrado", "não fiz outro")), ("Confirmar pedido", ("já está registrado",)),
        ("ORDERS", 1)],
    "summary buttons": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("pix", ("BUTTONS:Confirmar pedido|Alterar|Cancelar",))],
    "Alterar at the summary, then a change of payment": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("pix", ()), ("Alterar", ("vou pagar no cartão",)),
        ("vou pagar no cartão de crédito", ("Pagamento: cartão de crédito", "Resumo"))],
    "an edit at the summary shows the cart and the summary again": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("pix", ()),
        ("tira o óleo", ("Tirei Óleo", "Resumo do pedido", "R$ 112,07"))],
    "a new address at the summary": [
        ((Q, LIST), ()), ("pedido, entrega na rua do sol 100, jaragua", ()), ("pix", ("Rua do Sol, 100",)),
        ("muda o endereço", ("endereço de entrega",)), ("rua da praia 9, pajuçara", ("Rua da Praia, 9, Pajuçara",))],
    "Cancelar": [((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("pix", ()), ("Cancelar", ("Pedido cancelado",)),
                 ("confirmar", ("ainda não tem um carrinho",)), ("ORDERS", 0)],
    "a product no longer sold at confirmation": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("pix", ()), ("GONE", "2004"),
        ("confirmar", ("Óleo de Soja 900ml não está mais à venda", "R$ 112,07", "Resumo")),
        ("confirmar", ("Pedido 0001", "R$ 112,07"))],
    "confirmar with no cart": [("confirmar", ("ainda não tem um carrinho",))],
    "Fazer pedido with no cart": [("Fazer pedido", ("ainda não tem um carrinho",))],
    "a question in the middle is left to the pipeline, then the checkout goes on": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("que horas fecham?", NONE),
        ("REMINDER", ("Voltando ao seu pedido", "Como vai pagar?")), ("pix", ("Resumo",))],
    "a new list in the middle of the checkout is left to the pipeline (it becomes the cart)": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("quero 3 feijão e 2 açúcar", NONE)],
    "yes is no answer to delivery or pickup": [
        ((Q, LIST), ()), ("pedido", ()), ("sim", ("É para *entrega* ou para *retirar na loja*?",))],
    "thanks after the order is no second order": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("pix", ()), ("confirmar", ("Pedido 0001",)),
        ("ok, obrigado", NONE), ("ORDERS", 1)],
    "atendente at any step": [((Q, LIST), ()), ("pedido", ()), ("atendente", NONE), ("Falar com atendente", NONE)],
    "an abandoned checkout expires with the cart": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ((WAIT, 25 * 3600), ()),
        ("pix", ("Seu carrinho expirou", "24 horas")), ("confirmar", ("ainda não tem um carrinho",))],
    "a cart kept while the customer writes": [
        ((Q, LIST), ()), ((WAIT, 20 * 3600), ()), ("pedido", ()), ((WAIT, 20 * 3600), ()),
        ("retirar", ("Como vai pagar?",))],
    "pickup": [((Q, LIST), ()), ("quero fazer o pedido, vou retirar na loja", ("Como vai pagar?",)),
               ("pix", ("Retirar na loja: Rua do Sol, 45", "Total: R$ 119,06", "!Entrega:"))],
    "delivery confirmation gives the lead time": [
        ((Q, LIST), ()), ("pedido, entrega na rua do sol 100, jaragua", ()), ("cartão de débito", ()),
        ("confirmar", ("Pedido 0001", "Total: *R$ 125,06*", "Entregamos em até 3 horas", "!fechados"))],
}
CLOSED = {
    "placed while closed says when": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("pix", ()),
        ("confirmar", ("Estamos fechados agora", "amanhã (segunda-feira) às 7h"))],
}
NO_PIX_KEY = {
    "no Pix key: Pix is taken but no code is offered": [
        ((Q, LIST), ()), ("pedido", ()), ("retirar", ()), ("pix", ()),
        ("confirmar", ("Pedido 0001", "O Pix é feito na retirada", "!copia e cola", "!PIX:"))],
}
NO_COORDINATES = {
    "a pin with no coordinates in the store file": CONVERSATIONS.pop("a pin with no coordinates in the store file")}
NO_DELIVERY = {
    "a store that does not deliver": [
        ((Q, LIST), ()), ("pedido", ("Não fazemos entrega",)), ("retirar", ("Como vai pagar?",))],
    "a store that does not deliver: yes is pickup": [
        ((Q, LIST), ()), ("pedido", ("Não fazemos entrega",)), ("sim", ("Como vai pagar?",))],
}


def run(convo, shop: FakeShop, start: float = WEDNESDAY_10H):
    state, now, orders = None, start, {}
    for sent, want in convo:
        if sent == "ORDERS":
            assert len(orders) == want
            continue
        if sent == "GONE":
            shop.gone.add(want)
            continue
        if sent == "REMINDER":
            _check(checkout.reminder(state, now, shop), want)
            continue
        if isinstance(sent, tuple) and sent[0] == WAIT:
            now += sent[1]
            continue
        if isinstance(sent, tuple) and sent[0] == Q:
            lines = [(sku, Decimal(q)) for sku, q in sent[1]]
            if any(sku.startswith("x") for sku, _ in lines):          # 200 different products
                shop.catalog.update({f"x{i}": replace(shop.catalog["2009"], sku=f"x{i}", name=f"Produto {i}")
                                     for i in range(200)})
            msg = Message(quote=lines)
        elif isinstance(sent, tuple) and sent[0] == PIN:
            msg = Message(location=(sent[1], sent[2]))
        else:
            msg = Message(text=sent)
        state, turn = step(state, msg, now, shop)
        if turn is not None and turn.action == "place":
            number = orders.setdefault(state["cart_id"], len(orders) + 1)
            state["order"] = number
            turn = checkout.placed(state, number, shop, now)
        if want is NONE:
            assert turn is None, f"{sent!r} was answered by the checkout: {turn.text!r}"
            continue
        assert turn is not None, f"{sent!r} got no reply from the checkout"
        _check(_shown(turn), want)
    return state, orders


def _shown(turn) -> str:
    """The reply as the test reads it: the text, the other messages, the buttons, and each Pix code
    decoded by the independent reader as PIX:<amount>:<txid> (only when its CRC verifies)."""
    out = [turn.text] + turn.follow_up + [turn.prompt]
    if turn.buttons:
        out.append("BUTTONS:" + "|".join(t for _, t in turn.buttons))
    for m in turn.follow_up:
        if m.startswith("000201"):
            d = decode(m)
            assert d["crc_ok"] and d["gui"] == "br.gov.bcb.pix" and d["currency"] == "986"
            out.append(f"PIX:{d['amount']}:{d['txid']}")
    return "\n".join(out)


def _check(shown: str | None, want: tuple) -> None:
    assert shown is not None
    for w in want:
        if w.startswith("!"):
            assert w[1:] not in shown, f"{w[1:]!r} should not be in:\n{shown}"
        else:
            assert w in shown, f"{w!r} not in:\n{shown}"


def test_there_are_at_least_40_conversations():
    n = len(CONVERSATIONS) + len(CLOSED) + len(NO_PIX_KEY) + len(NO_COORDINATES) + len(NO_DELIVERY)
    assert n >= 40


@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_conversation(name):
    run(CONVERSATIONS[name], FakeShop())


@pytest.mark.parametrize("name", list(CLOSED))
def test_closed_store(name):
    run(CLOSED[name], FakeShop(), start=SUNDAY_10H)


@pytest.mark.parametrize("name", list(NO_PIX_KEY))
def test_no_pix_key(name):
    run(NO_PIX_KEY[name], FakeShop(payment={"pix_key": None}))


@pytest.mark.parametrize("name", list(NO_COORDINATES))
def test_no_coordinates(name):
    run(NO_COORDINATES[name], FakeShop(store={"lat": None, "lon": None}))


@pytest.mark.parametrize("name", list(NO_DELIVERY))
def test_no_delivery(name):
    run(NO_DELIVERY[name], FakeShop(delivery={"available": False}))


def test_the_step_is_pure():
    """The same state and message give the same reply, and the state passed in is never changed."""
    shop = FakeShop()
    state, _ = step(None, Message(quote=[(s, Decimal(q)) for s, q in LIST]), WEDNESDAY_10H, shop)
    before = repr(state)
    a = step(state, Message(text="tira o óleo e aumenta o arroz pra 6"), WEDNESDAY_10H + 60, shop)
    b = step(state, Message(text="tira o óleo e aumenta o arroz pra 6"), WEDNESDAY_10H + 60, shop)
    assert repr(state) == before
    assert a[1].text == b[1].text and a[0]["items"] == b[0]["items"]


def test_brcode_fields_and_crc():
    code = brcode.payload("+5582999990000", "Mercadão São João de Maceió Ltda ME", "Maceió", Decimal("161.7"), "0042")
    d = decode(code)
    assert d["crc_ok"] and d["amount"] == Decimal("161.70") and d["txid"] == "0042"
    assert d["key"] == "+5582999990000" and d["name"] == "MERCADAO SAO JOAO DE MACE" and d["city"] == "MACEIO"
    assert not decode(code.replace("161.70", "161.71"))["crc_ok"]        # an amount changed after the CRC
    assert f"{crc(b'123456789'):04X}" == "29B1"        # CRC-16/CCITT-FALSE's check value
    # Names and cities carry ASCII letters, digits and spaces only: accents folded (text.strip_accents),
    # what has no ASCII letter dropped.
    assert brcode.plain("Açaí & Cia — Søren ２０ 🛒", 25) == "ACAI  CIA  SREN 20"


def test_status_text():
    assert checkout.status_text({"number": 42, "status": "out_for_delivery", "total": "161.70"}) == \
        "📦 Seu *Pedido 0042* saiu para entrega 🚚. Total: R$ 161,70."
    cancelled = checkout.status_text({"number": 7, "status": "cancelled", "total": "10.00",
                                      "status_reason": "falta de estoque"})
    assert "foi cancelado. Motivo: falta de estoque." in cancelled


def test_figures_are_the_quotes_own():
    """Every cart line is quote.price_line's: the reply's figures pass the independent figure checker."""
    from support.quote_check import invented_figures
    shop = FakeShop()
    state, _ = step(None, Message(quote=[(s, Decimal(q)) for s, q in LIST]), WEDNESDAY_10H, shop)
    said = "2 arroz 3 leite 1 oleo 2 cafe 1 sabao"
    for msg in ("aumenta o arroz pra 6", "coloca mais 2 leite", "troca o café pelo pilão", "tira o sabão"):
        said += " " + msg
        state, turn = step(state, Message(text=msg), WEDNESDAY_10H, shop)
        assert invented_figures(said, turn.text, STORE / "catalog.csv") == []
    assert re.search(r"Total: R\$ \d", turn.text)
