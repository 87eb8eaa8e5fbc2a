"""Quotes: quantity parsing, the price a customer is entitled to (wholesale
boundaries included), lists in every layout, long lists within WhatsApp's
limit, promotions by section, questions by meaning and products not sold.
Unit tests, hypothesis properties, and the real pipeline on the test store."""
from __future__ import annotations

import csv
import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from chatbot import db
from chatbot.bot.answering import quote
from chatbot.bot.pipeline import build_bot
from chatbot.bot.reading import quantities
from chatbot.bot.store import retrieval
from chatbot.bot.store.knowledge import Product, import_kb, load
from chatbot.bot.types import Question, Reply
from chatbot.commands.bot import ask as ask_command
from support.configs import make_cfg, toml_of
from support.quote_check import invented_figures
from support.servers import write_config

STORE = Path(__file__).parent / "data" / "teststore"
CATALOG = STORE / "catalog.csv"


def product(price=10.0, promo=None, wholesale=None, min_qty=None, unit="pacote", name="Arroz 1kg") -> Product:
    return Product(id=1, sku="1", name=name, brand="Marca", category="Mercearia", unit=unit, price=price,
                   promo_price=promo, wholesale_price=wholesale, wholesale_min_qty=min_qty)


# -- quantities ------------------------------------------------------------------

def amount(piece: str, vocab=("arroz", "queijo", "coalho", "leite", "guarana", "sabao", "po", "cerveja",
                             "carne", "sol", "tomate", "feijao", "camil")):
    item = quantities.read_item(piece, lambda t: quantities.text.stem(t) in vocab)
    return (item.amount.value, item.amount.weight, item.words) if item.amount else (None, None, item.words)


@pytest.mark.parametrize("piece, value, weight, words", [
    ("10 pacotes de arroz", 10, False, ["arroz"]),
    ("dez sabão em pó", 10, False, ["sabao", "em", "po"]),
    ("uma dúzia de leite", 12, False, ["leite"]),
    ("meia dúzia de guaraná", 6, False, ["guarana"]),
    ("duas dúzias de leite", 24, False, ["leite"]),
    ("vinte e quatro latas de cerveja", 24, False, ["cerveja"]),
    ("meio quilo de queijo coalho", Decimal("0.5"), True, ["queijo", "coalho"]),
    ("1,5 kg de carne de sol", Decimal("1.5"), True, ["carne", "de", "sol"]),
    ("1.5kg de tomate", Decimal("1.5"), True, ["tomate"]),
    ("500 g de queijo coalho", Decimal("0.5"), True, ["queijo", "coalho"]),
    ("1 kg e meio de tomate", Decimal("1.5"), True, ["tomate"]),
    ("2 kilos de tomate", 2, True, ["tomate"]),
    ("me faz um orçamento de dez sabão em pó", 10, False, ["sabao", "em", "po"]),
    ("2 arroz camil 5kg", 2, False, ["arroz", "camil", "5kg"]),
    # a weight said after the goods is read as one; the quote counts it in packs of packaged goods
    # and in kilos of goods sold by the kilo (test_bot_reading.py, test_weights_said_after_the_goods_...)
    ("arroz camil 5kg", 5, True, ["arroz", "camil"]),
    ("cem latas de cerveja", 100, False, ["cerveja"]),
])
def test_quantities_in_digits_words_and_weights(piece, value, weight, words):
    got = amount(piece)
    assert got[0] == (Decimal(value) if value is not None else None)
    assert got[1] == weight
    assert got[2] == words


@pytest.mark.parametrize("message, pieces", [
    ("2 arroz, 3 feijão e 1 café", ["2 arroz", "3 feijão", "1 café"]),
    ("lista:\n- 2 arroz\n- 4 feijão\n• 1 café\n* 3 leite", ["lista", "2 arroz", "4 feijão", "1 café", "3 leite"]),
    ("1) 5 kg de calabresa\n2) 6 guaraná", ["5 kg de calabresa", "6 guaraná"]),
    ("café torrado e moído e 2 leites", ["café torrado e moído", "2 leites"]),
    ("1,5 kg de tomate e vinte e quatro cervejas", ["1,5 kg de tomate", "vinte e quatro cervejas"]),
    ("24 heineken + 12 agua. quanto fica?", ["24 heineken", "12 agua", "quanto fica"]),
])
def test_lists_in_lines_bullets_commas_and_e(message, pieces):
    assert quantities.split_items(message) == pieces


@given(st.integers(min_value=1, max_value=9999))
def test_any_count_in_digits_is_read_back(n):
    assert amount(f"{n} pacotes de arroz")[0] == n


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=1, max_value=99))
def test_any_weight_with_a_decimal_comma_is_read_back_in_kg(whole, frac):
    value, weight, _ = amount(f"{whole},{frac:02d} kg de tomate")
    assert weight and value == Decimal(f"{whole}.{frac:02d}")


@given(st.sampled_from(sorted(quantities.UNITS)), st.sampled_from(sorted(quantities.TENS)))
def test_spelled_numbers(unit_word, tens_word):
    assert amount(f"{unit_word} pacotes de arroz")[0] == quantities.UNITS[unit_word]
    if quantities.UNITS[unit_word] < 10:
        assert amount(f"{tens_word} e {unit_word} pacotes de arroz")[0] == \
            quantities.TENS[tens_word] + quantities.UNITS[unit_word]


# -- the price a customer is entitled to ---------------------------------------------

def test_wholesale_starts_exactly_at_the_minimum():
    p = product(price=6.29, wholesale=5.79, min_qty=12)
    assert quote.unit_price(p, Decimal(11)) == (Decimal("6.29"), "")
    assert quote.unit_price(p, Decimal(12)) == (Decimal("5.79"), "atacado")
    assert quote.unit_price(p, Decimal(13)) == (Decimal("5.79"), "atacado")
    assert quote.price_line(p, Decimal(11)).unlock == (Decimal(12), Decimal("5.79"))
    assert quote.price_line(p, Decimal(12)).unlock is None


def test_promotion_beats_a_higher_wholesale_price_and_loses_to_a_lower_one():
    calabresa = product(price=26.90, promo=23.90, wholesale=24.50, min_qty=5, unit="kg")
    assert quote.unit_price(calabresa, Decimal(5)) == (Decimal("23.90"), "promoção")
    arroz = product(price=24.59, promo=22.99, wholesale=21.89, min_qty=10)
    assert quote.unit_price(arroz, Decimal(9)) == (Decimal("22.99"), "promoção")
    assert quote.unit_price(arroz, Decimal(10)) == (Decimal("21.89"), "atacado")
    # no unlock hint when the wholesale price would not be lower than what is paid
    assert quote.price_line(calabresa, Decimal(3)).unlock is None


prices = st.decimals(min_value=Decimal("0.50"), max_value=Decimal("2000"), places=2)


@settings(max_examples=300)
@given(prices, st.one_of(st.none(), prices), st.one_of(st.none(), prices),
       st.integers(min_value=2, max_value=50), st.integers(min_value=1, max_value=200))
def test_unit_price_is_the_lowest_entitled_and_always_a_catalog_price(price, promo, wholesale, min_qty, qty):
    p = product(price=float(price), promo=float(promo) if promo else None,
                wholesale=float(wholesale) if wholesale else None, min_qty=min_qty if wholesale else None)
    unit, kind = quote.unit_price(p, Decimal(qty))
    entitled = [price] + ([promo] if promo else []) + ([wholesale] if wholesale and qty >= min_qty else [])
    assert unit == min(entitled)
    assert unit in {price, promo, wholesale}
    line = quote.price_line(p, Decimal(qty))
    assert line.total == (unit * qty).quantize(Decimal("0.01"))
    if line.unlock:
        assert qty < min_qty and line.unlock == (Decimal(min_qty), wholesale) and wholesale < unit


@given(st.integers(min_value=1, max_value=60))
def test_more_never_costs_more_per_unit(qty):
    p = product(price=7.29, promo=6.79, wholesale=6.59, min_qty=20)
    assert quote.unit_price(p, Decimal(qty + 1))[0] <= quote.unit_price(p, Decimal(qty))[0]


def test_weights_of_packed_products_become_packs():
    feijao = product(name="Feijão Carioca 1kg", price=7.89)
    cafe = product(name="Café 250g", price=10.49)
    assert quote.units_for(feijao, quantities.Amount(2, True)) == 2
    assert quote.units_for(cafe, quantities.Amount(Decimal("0.5"), True)) == 2
    assert quote.units_for(feijao, quantities.Amount(Decimal("0.5"), True)) is None   # half a pack: unclear
    assert quote.units_for(product(unit="kg", name="Tomate kg"), quantities.Amount(Decimal("0.5"), True)) \
        == Decimal("0.5")


# -- through the pipeline, on the test store ---------------------------------------

@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quote")
    cfg = make_cfg(tmp)
    Path(cfg.db_path).parent.mkdir(parents=True, exist_ok=True)
    conn = db.connect(cfg.db_path)
    import_kb(conn, CATALOG, STORE / "store.toml")
    yield build_bot(cfg, conn, preload=False)
    conn.close()


_asked = itertools.count(1)


def ask(bot, message: str) -> Reply:
    """Each question from a customer of its own (no context carried over)."""
    return bot.answer(Question(text=message, wa_id=f"55710{next(_asked):08d}"))


def forty_item_list() -> str:
    with CATALOG.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 40
    return "lista do mês:\n" + "\n".join(
        f"- {i % 7 + 1} {(r['aliases'].split('|')[0] if r['aliases'] else r['name'])}" for i, r in enumerate(rows))


def test_issue_example_wholesale_for_ten_regular_for_two_and_the_total(bot):
    r = ask(bot, "quanto fica 10 pacotes de arroz camil e 2 óleo liza?")
    assert r.intent == "quote"
    assert "10x Arroz Parboilizado Tipo 1 5kg Camil: R$ 21,89 cada, atacado = R$ 218,90" in r.text
    assert "2x Óleo de Soja 900ml Liza: R$ 6,79 cada, promoção = R$ 13,58" in r.text
    assert "levando 20, sai R$ 6,59 cada" in r.text
    assert r.text.splitlines()[-1] == "💰 *Total: R$ 232,48*"
    assert invented_figures("10 2", r.text, CATALOG) == []


def test_items_not_found_are_named_and_left_out_of_the_total(bot):
    r = ask(bot, "quanto fica 2 arroz tio joao, 1 nescau e 3 detergente")
    assert "nescau" in r.text and "Total: R$ 20,05" in r.text


def test_forty_item_list_answered_completely_within_whatsapp_limits(bot):
    r = ask(bot, forty_item_list())
    assert r.intent == "quote"
    lines = [ln for ln in r.text.splitlines() if ln.startswith("• ")]
    assert len(lines) == 40 and "Não encontrei" not in r.text
    parts = r.messages()
    # The next step (orders) asks with its buttons in a message of its own after the list.
    assert r.buttons and len(r.follow_up) == 1 and parts[-1] == r.follow_up[0] and len(parts[-1]) <= 1024
    parts = parts[:-1]
    assert 1 <= len(parts) <= 2 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == r.text
    assert parts[-1].splitlines()[-1].startswith("💰 *Total: ")
    assert invented_figures(forty_item_list(), r.text, CATALOG) == []


def test_a_product_named_twice_is_one_line_and_the_amounts_add_up_to_wholesale(bot):
    """10 + 10 oils in two lines of a list are 20 oils: one line, and once they reach the
    wholesale minimum (20) its price applies to all of them, as at the till."""
    message = "lista:\n- 10 óleo liza\n- 2 arroz tio joao\n- 10 óleo liza"
    r = ask(bot, message)
    assert r.intent == "quote"
    oil = [ln for ln in r.text.splitlines() if "Óleo de Soja" in ln]
    assert oil == ["• 20x Óleo de Soja 900ml Liza: R$ 6,59 cada, atacado = R$ 131,80"], r.text
    assert invented_figures(message, r.text, CATALOG) == []


def test_the_figure_check_catches_an_invented_price():
    assert invented_figures("2 arroz", "• 2x Arroz: R$ 6,29 cada = R$ 12,58\nTotal: R$ 12,58", CATALOG) == []
    assert invented_figures("2 arroz", "• 2x Arroz: R$ 6,00 cada = R$ 12,00", CATALOG) == ["R$ 6,00", "R$ 12,00"]
    # dozens are twelve units each: "3 dúzias de arroz" quoted as 36 is no invention (eval45's judge had it so)
    assert invented_figures("3 duzias de arroz", "• 36x Arroz: R$ 6,29 cada = R$ 226,44", CATALOG) == []


def test_a_single_product_with_a_quantity_is_a_quote_only_when_the_total_is_asked(bot):
    assert ask(bot, "3 pacotes de café santa clara quanto fica").intent == "quote"
    assert ask(bot, "se eu levar 12 cervejas quanto fica cada?").intent == "wholesale"
    assert ask(bot, "qto ta o feijao carioca").intent == "product_price"


@pytest.mark.parametrize("message, has, has_not", [
    ("quais as ofertas do açougue hoje?", ["Linguiça Calabresa", "Charque"], ["Tomate", "Cerveja"]),
    ("tem algo de perfumaria em promocao?", ["Papel Higiênico", "Fralda"], ["Cerveja"]),
    ("a padaria tem alguma promoção?", ["não temos promoções em *Padaria*", "Pão de Forma", "R$ 9,99"], ["Arroz"]),
    ("tem promoção de carne de sol?", ["Carne de Sol", "não está em promoção"], ["Calabresa", "Charque"]),
])
def test_promotions_by_section(bot, message, has, has_not):
    r = ask(bot, message)
    assert r.intent == "promotions"
    assert all(s in r.text for s in has) and not any(s in r.text for s in has_not)


@pytest.mark.parametrize("message, intent, has", [
    ("emite nota com cnpj?", "faq", "CNPJ"),
    ("tem internet liberada pro cliente?", "faq", "BomPreco-Clientes"),
    ("vocês são de qual cidade?", "location", "Salvador"),
])
def test_questions_by_meaning_never_get_products(bot, message, intent, has):
    r = ask(bot, message)
    assert (r.intent, has in r.text, "R$" in r.text) == (intent, True, False)


def test_below_the_threshold_no_answer_from_the_faq_and_no_products(bot):
    kb = load(bot.conn)
    hit = retrieval.Retriever(kb).best("vcs tem banheiro pro cliente usar?")
    assert hit is None or hit.confidence < retrieval.THRESHOLD
    r = ask(bot, "vcs tem banheiro pro cliente usar?")
    assert "atendente" in r.text and "R$" not in r.text


@pytest.mark.parametrize("message, alternatives, not_alternatives", [
    ("vcs vendem picanha?", [], ["Tomate", "Cebola", "Carne de Sol"]),
    ("tem pepsi 2 litros?", ["Coca-Cola"], ["Guaraná", "Cerveja"]),
    ("tem cerveja skol?", ["Brahma", "Heineken"], ["Guaraná"]),
    ("qual o preço do leite em pó ninho", [], ["Leite Integral"]),
])
def test_products_not_sold_are_said_so_with_only_real_alternatives(bot, message, alternatives, not_alternatives):
    r = ask(bot, message)
    assert "não vendemos" in r.text
    assert all(a in r.text for a in alternatives) and not any(a in r.text for a in not_alternatives)


def test_chatbot_ask_json_keeps_its_five_keys_with_intent_quote(tmp_path):
    path = write_config(tmp_path / "chatbot.toml", toml_of({"paths": {"state_dir": str(tmp_path / "state")},
                                                             "llm": {"enabled": False}}))
    conn = db.connect(tmp_path / "state" / "chatbot.db")
    import_kb(conn, CATALOG, STORE / "store.toml")
    out = CliRunner().invoke(ask_command, ["quanto fica 2 arroz camil e 3 feijao preto", "--json",
                                           "--config", str(path)], catch_exceptions=False)
    data = json.loads(out.output)
    assert set(data) == {"reply", "intent", "confidence", "source", "handoff"}
    assert data["intent"] == "quote" and data["source"] == "template"
    assert "Total: R$ 71,15" in data["reply"]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(list("0123456789 ,.;:+-•\n\teaoiumdzkgqlácéçõ")
                                + ["dúzia", "meia", "meio", " e ", "kg", "vinte", "um", "arroz", " de "]),
                max_size=60).map("".join))
def test_any_text_is_split_and_read_without_error_and_amounts_are_positive(message):
    for piece in quantities.split_items(message):
        item = quantities.read_item(piece, lambda t: t in ("arroz", "leite"))
        assert item.amount is None or item.amount.value > 0


# -- issue 23, 14: fractions and absurd quantities ---------------------------------------------

@pytest.mark.parametrize("piece, value, weight", [
    ("½ kg de queijo coalho", Decimal("0.5"), True),
    ("1½ kg de carne de sol", Decimal("1.5"), True),
    ("1/2 kg de tomate", Decimal("0.5"), True),
    ("1 1/2 kg de tomate", Decimal("1.5"), True),
    ("¼ kg de queijo coalho", Decimal("0.25"), True),
    ("¾ feijão", Decimal("0.75"), False),
    ("1000000000000000000000 arroz", Decimal("1000000000000000000000"), False),
])
def test_fractions_and_long_numbers_are_read_as_written(piece, value, weight):
    got = amount(piece)
    assert got[:2] == (value, weight), got


def test_half_a_kilo_is_quoted_and_half_a_pack_is_refused_by_name(bot):
    r = ask(bot, "quanto fica ½ kg de queijo coalho e 2 feijão preto?")
    assert r.intent == "quote" and "0,5 kg Queijo Coalho kg" in r.text, r.text
    r = ask(bot, "quanto fica ½ arroz tio joão e ¾ feijão preto?")
    assert r.intent == "quote", r
    assert "2x" not in r.text and "4x" not in r.text, r.text           # before: 2 rice and 4 beans
    assert "Não entendi a quantidade de: Arroz Branco Tipo 1 1kg e Feijão Preto 1kg" in r.text, r.text


def test_an_absurd_quantity_is_refused_with_a_clear_answer(bot):
    r = ask(bot, "quanto fica 10000000000000000000000 arroz tio joão e 2 feijão preto?")
    assert r.intent == "quote", r
    assert "1x Arroz" not in r.text and "Arroz Branco Tipo 1 1kg" in r.text, r.text   # before: read as 1
    assert "Quantidade grande demais para orçar por aqui (até 9999 por item): Arroz Branco Tipo 1 1kg" in r.text
    assert "digite *atendente*" in r.text and "2x Feijão Preto 1kg" in r.text
    assert r.text.splitlines()[-1].startswith("💰 *Total:") and "sem os itens" in r.text.splitlines()[-1]
    assert invented_figures("2 9999", r.text, CATALOG) == []
