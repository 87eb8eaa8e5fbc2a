"""Intent classification in informal pt-BR, text normalization and the
Brazilian formatting of money and hours."""
from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.bot import fmt, text
from chatbot.bot.reading import intents
from chatbot.bot.store import knowledge

STORE = Path(__file__).parent / "data" / "teststore"


@pytest.fixture(scope="module")
def classify(tmp_path_factory):
    from chatbot import db
    conn = db.connect(tmp_path_factory.mktemp("intents") / "chatbot.db")
    knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
    kb = knowledge.load(conn)
    clf = intents.Classifier(conn)
    return lambda message, last=None: clf.classify(message, kb, last)


# Messages written apart from the evaluation set, to see the rules generalize.
@pytest.mark.parametrize("message, intent", [
    ("Oiii", "greeting"),
    ("boa noite moça", "greeting"),
    ("obg pela ajuda", "thanks"),
    ("vlw", "thanks"),
    ("flw, ate amanha", "goodbye"),
    ("blz entendi", "acknowledge"),
    ("q horas vcs abrem?", "hours"),
    ("funciona domingo?", "hours"),
    ("ta aberto hj?", "hours"),
    ("horário de sabado por favor", "hours"),
    ("onde vcs ficam?", "location"),
    ("me passa o endereço", "location"),
    ("qual o numero de vcs", "location"),
    ("vcs fazem delivery?", "delivery"),
    ("quanto é o frete pra brotas?", "delivery"),
    ("entregam no mesmo dia?", "delivery"),
    ("aceitam cartao?", "payment"),
    ("posso pagar no pix?", "payment"),
    ("da pra parcelar?", "payment"),
    ("qto ta o arroz de 5 kilos", "product_price"),
    ("vcs vendem fralda?", "product_price"),
    ("tem cebola?", "product_price"),
    ("preço da coca cola 2l", "product_price"),
    ("qual o valor da mortadela", "product_price"),
    ("quais produtos estão em oferta?", "promotions"),
    ("tem promoçao de cerveja?", "promotions"),
    ("quero comprar pra revender, tem preço diferente?", "wholesale"),
    ("levando 20 oleos sai mais barato?", "wholesale"),
    ("tem estacionamento pra carro?", "faq"),
    ("vcs dão nota fiscal?", "faq"),
    ("quero falar com uma pessoa de verdade", "human_request"),
    ("me passa pra um atendente", "human_request"),
    ("vou reclamar no procon", "complaint"),
    ("comprei leite vencido", "complaint"),
    ("cobraram errado no caixa", "complaint"),
    ("qual seu nome?", "smalltalk"),
    ("quem ganhou o jogo ontem?", "out_of_scope"),
])
def test_intents(classify, message, intent):
    got = classify(message)
    assert got.name == intent, (message, got.name, got.scores)


def test_details_for_the_replies(classify):
    assert classify("vcs abrem domingo?").days == ("sun",)
    assert classify("funcionam no fim de semana?").days == ("sat", "sun")
    assert classify("entregam na federacao?").area == "Federação"
    assert classify("entregam em Itapuã?").other_area == "itapua"
    assert classify("entregam no mesmo dia?").other_area is None
    assert classify("aceita vale refeição?").payment == ["refeicao"]
    assert classify("parcela em 3x?").installments
    assert classify("se eu levar 24 detergentes?").quantity == 24
    assert classify("fralda de 30 unidades").quantity is None


def test_follow_ups_use_the_last_turn(classify):
    last = {"intent": "product_price", "skus": ["1020"]}
    it = classify("e a calabresa?", last)
    assert it.name == "product_price" and it.products.best.product.sku == "1019" and it.from_context
    it = classify("e no atacado?", last)
    assert it.name == "wholesale" and it.context_skus == ["1020"]
    assert classify("e no atacado?", {"intent": "product_price", "skus": []}).context_skus == []
    assert classify("tem promoção?", last).context_skus == []        # the list, not the last product
    assert classify("ta em promoção?", last).context_skus == ["1020"]
    assert classify("e domingo?", {"intent": "hours", "days": ["sat"]}).name == "hours"
    assert classify("e pra ondina?", {"intent": "delivery"}).name == "delivery"


@pytest.mark.parametrize("raw, norm", [
    ("Qto tá o FEIJÃO??", "quanto esta o feijao"),
    ("vcs entregam hj?", "voces entregam hoje"),
    ("bommm diaaa", "bom dia"),
    ("arroz de 5 kg", "arroz de 5kg"),
    ("tem wi-fi?", "tem wifi"),
    ("R$ 7,50", "rs 7,50"),
])
def test_normalize(raw, norm):
    assert text.normalize(raw) == norm


def test_stems_meet_singular():
    assert [text.stem(w) for w in ("feijoes", "limoes", "paes", "papeis", "bananas", "ovos", "arroz")] == \
        ["feijao", "limao", "pao", "papel", "banana", "ovo", "arroz"]


@pytest.mark.parametrize("value, shown", [(1234.56, "R$ 1.234,56"), (7.5, "R$ 7,50"), (0.99, "R$ 0,99"),
                                          (1379.9, "R$ 1.379,90"), (1000000, "R$ 1.000.000,00"), (8.495, "R$ 8,50")])
def test_money(value, shown):
    assert fmt.money(value) == shown


def test_hours_format():
    assert fmt.clock_time("07:00") == "7h" and fmt.clock_time("13:30") == "13h30"
    assert fmt.hours_text("06:30-20:30") == "das 6h30 às 20h30"
    assert fmt.hours_text("08:00-12:00,14:00-18:00") == "das 8h às 12h e das 14h às 18h"
    assert fmt.hours_text("closed") == "fechado"
    assert fmt.per_unit("kg") == "o kg" and fmt.per_unit("lata") == "a lata" and fmt.per_unit("pacote") == "o pacote"


def test_each_fact_intent_is_a_document_of_retrieval():
    """An intent in FACT_INTENTS is found by meaning through its words in retrieval.FACT_WORDS."""
    from chatbot.bot.store import retrieval
    apart = set(retrieval.FACT_WORDS) ^ set(intents.FACT_INTENTS)
    assert not apart, f"in only one of intents.FACT_INTENTS and retrieval.FACT_WORDS: {sorted(apart)}"


def test_a_fact_kind_with_no_facts_in_the_store_file_still_builds(monkeypatch):
    """A new kind's words alone make its document (the old code raised KeyError on every message)."""
    from chatbot.bot.store import retrieval
    monkeypatch.setitem(retrieval.FACT_WORDS, "new_branch", "filial loja nova unidade inauguração")
    hit = retrieval.Retriever(knowledge.KB(version=1)).best("vão abrir filial nova?")
    assert hit is not None and hit.kind == "new_branch"
