"""Reading a message into parts and answering each from the facts (issue 19, bot/reading/ and bot/answering/).

Yes/no questions are decided from the store's facts (never "Sim" when it is no), two
questions in one message are both answered in order, a follow-up refers to the last
product until the conversation goes idle, packs are counted as units, run-on lists keep
every item, and a failure to read a message is logged with its id, counted on /metrics
and still answered by the classifier (never the generic apology).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
from pathlib import Path

import pytest

from chatbot import clock, db
from chatbot.bot.answering import checks, respond
from chatbot.bot.pipeline import READING_FAILED, build_bot
from chatbot.bot.reading import facts, parts, quantities, slots
from chatbot.bot.store.knowledge import import_kb
from chatbot.bot.types import Question
from chatbot.worker import BOT_ERROR_REPLY, Worker
from support.configs import make_cfg
from support.metrics_text import families, sample
from support.worker import enqueue, live_cfg

DATA = Path(__file__).resolve().parent / "data"
# Wednesday 2026-12-02 10:00 in Fortaleza (UTC-3)
WEDNESDAY_10H = dt.datetime(2026, 12, 2, 13, 0, tzinfo=dt.timezone.utc).timestamp()


def store_bot(tmp_path, store="store-sample", **sections):
    cfg = make_cfg(tmp_path, bot={"store_timezone": "America/Fortaleza"}, **sections)
    Path(cfg.db_path).parent.mkdir(parents=True, exist_ok=True)
    conn = db.connect(cfg.db_path)
    import_kb(conn, DATA / store / "catalog.csv", DATA / store / "store.toml")
    return build_bot(cfg, conn, preload=False), conn


@contextlib.contextmanager
def on_store(tmp_path, store="store-sample"):
    """A bot on one of the stores of tests/data, the clock frozen on a Wednesday at 10:00."""
    clock.freeze(WEDNESDAY_10H)
    bot, conn = store_bot(tmp_path, store)
    try:
        yield bot
    finally:
        conn.close()
        clock.unfreeze()


@pytest.fixture
def sample_bot(tmp_path):
    clock.freeze(WEDNESDAY_10H)
    bot, conn = store_bot(tmp_path)
    yield bot
    conn.close()
    clock.unfreeze()


def ask(bot, message, who="5585999990001"):
    return bot.answer(Question(text=message, wa_id=who))


def ask_each(bot, cases, who=""):
    """Each (message, what its reply must say) asked by a customer of its own."""
    for n, (message, needs) in enumerate(cases):
        reply = ask(bot, message, who=f"{who}{n}").text
        assert needs in reply, (message, reply)


# -- the facts' numbers and the message's slots -------------------------------------

def test_thresholds_are_read_from_free_text():
    above = facts.threshold("Compras acima de R$ 300,00 podem ser parceladas em até 3x sem juros.")
    assert (above.amount, above.inclusive) == (300, False)
    assert not above.reached(300) and above.reached(301)
    start = facts.threshold("Parcelamos em até 5x sem juros em compras a partir de R$ 1.500,00.")
    assert (start.amount, start.inclusive) == (1500, True) and start.reached(1500)
    assert facts.threshold("Parcelamos no cartão.") is None
    assert facts.cutoff_minutes("Pedidos feitos até as 16h30 são entregues no mesmo dia.") == 16 * 60 + 30
    assert facts.max_installments("Parcelamos em até 4x sem juros") == 4


@pytest.mark.parametrize("message,money,minute,day", [
    ("se eu gastar uns 250 reais dá pra parcelar?", 250, None, None),
    ("compra de R$ 1.250,50 tem frete grátis?", 1250.5, None, None),
    ("quanto fica 2 arroz", None, None, None),
    ("vcs abrem amanhã às 7?", None, 420, "tomorrow"),
    ("sábado 21h30 ainda dá tempo?", None, 21 * 60 + 30, "sat"),
    ("às 7 da noite de domingo", None, 19 * 60, "sun"),
    ("no feriado abre meio-dia?", None, 720, "holidays"),
])
def test_slots(message, money, minute, day):
    from chatbot.bot import text
    norm = text.normalize(message)
    assert slots.money(norm) == (None if money is None else pytest.approx(money))
    assert slots.time_of_day(norm) == minute
    assert slots.day(norm) == day


# -- yes/no, decided ------------------------------------------------------------------

@pytest.mark.parametrize("message,starts,needs", [
    ("se eu gastar 250 dá pra parcelar?", "Não", "R$ 300,00"),
    ("compra de 300 reais parcela?", "Não", "acima de R$ 300,00"),     # "acima de": 300 is not above
    ("uma compra de 450 reais posso dividir em 3x?", "Sim", "R$ 450,00"),
    ("posso parcelar em 10x uma compra de 900?", "Não", "3x"),
    ("aceita Alelo?", "Não", "vale-alimentação"),
    ("aceita pix?", "Sim", "Pix"),
    ("se eu comprar 150 a entrega é grátis?", "Não", "R$ 200,00"),
    ("compra de 250 o frete é grátis?", "Sim", "R$ 200,00"),
    ("pedido de 50 reais vocês entregam?", "Não", "R$ 80,00"),
    ("vcs abrem amanhã às 7?", "Sim", "7h"),             # tomorrow is Thursday: 07:00-21:00
    ("domingo às 14h vcs tão abertos?", "Não", "13h"),
    ("no feriado abrem às 7 da manhã?", "Não", "8h"),
    ("pedindo agora chega hoje?", "Sim", "16h"),           # 10:00, before the 16h cut-off
])
def test_yes_no_is_computed_from_the_facts(sample_bot, message, starts, needs):
    reply = ask(sample_bot, message)
    assert reply.text.startswith(starts), reply.text
    assert needs in reply.text


def test_after_the_cut_off_same_day_delivery_is_no(sample_bot):
    clock.freeze(WEDNESDAY_10H + 7 * 3600)         # 17:00
    assert ask(sample_bot, "pedindo agora chega hoje?").text.startswith("Não")


def test_a_brand_the_list_names_is_yes_and_a_card_brand_is_neither(tmp_path):
    clock.freeze(WEDNESDAY_10H)
    try:
        bot, conn = store_bot(tmp_path, "store2")
        assert ask(bot, "aceita ticket?").text.startswith("Sim")
        assert ask(bot, "aceita alelo?").text.startswith("Não")
        assert ask(bot, "aceitam vale alimentação?").text.startswith("Sim")     # Sodexo and Ticket are vouchers
        elo = ask(bot, "pago com elo?").text
        assert not elo.startswith(("Sim", "Não")) and "atendente" in elo
        conn.close()
    finally:
        clock.unfreeze()


def test_checks_decide_nothing_a_fact_does_not_say():
    from chatbot.bot.store.knowledge import KB
    kb = KB(version=1, payment={"methods": ["Pix"], "installments": "Parcelamos no cartão."})
    assert checks.installments("se eu gastar 500 da para parcelar", kb) == "Parcelamos no cartão."
    none = KB(version=1, payment={"methods": ["Pix"]})
    assert checks.installments("se eu gastar 500 da para parcelar", none).startswith("Não")


# -- parts, follow-ups, lists -----------------------------------------------------------

def test_parts_are_cut_at_questions_not_inside_lists():
    assert parts.split("qual a taxa de entrega? e quanto preciso comprar pra não pagar?") == \
        ["qual a taxa de entrega?", "e quanto preciso comprar pra não pagar?"]
    assert parts.split("quanto fica 2 arroz e 3 feijão e entregam no monte castelo") == \
        ["quanto fica 2 arroz e 3 feijão", "entregam no monte castelo"]
    assert parts.split("que horas abre e fecha no domingo?") == ["que horas abre e fecha no domingo?"]
    assert parts.split("lista:\n- 2 arroz\n- 3 feijão?") == ["lista:\n- 2 arroz\n- 3 feijão?"]


def test_two_questions_are_both_answered_in_order(sample_bot):
    reply = ask(sample_bot, "quanto fica 2 arroz e 3 feijão? e entregam no monte castelo?")
    assert "R$ 79,77" in reply.text and "Monte Castelo" in reply.text
    assert reply.text.index("R$ 79,77") < reply.text.index("Monte Castelo")
    fees = ask(sample_bot, "que horas vcs abrem no sábado? e tem estacionamento?", who="2").text
    assert "7h às 22h" in fees and "120 vagas" in fees


def test_a_follow_up_quantity_quotes_the_last_product_until_the_conversation_goes_idle(sample_bot):
    ask(sample_bot, "quanto custa o feijão carioca?")
    reply = ask(sample_bot, "e se forem 15?")
    assert reply.intent == "quote" and "15x Feijão Carioca" in reply.text and "R$ 110,85" in reply.text
    cheaper = ask(sample_bot, "levando 4 sai mais barato?").text
    assert cheaper.startswith("Não") and "10" in cheaper
    clock.advance(sample_bot.cfg.bot.context_idle_minutes * 60 + 1)
    assert "Feijão" not in (ask(sample_bot, "e se forem 15?").text or "")


@pytest.mark.parametrize("message,line", [
    ("quanto fica 2 fardos de refrigerante (de 6)?", "12x Refrigerante Cola"),
    ("3 caixas de leite com 12 quanto fica?", "36x Leite UHT"),
    ("quanto sai um fardo de 12 cervejas?", "12x Cerveja"),
    ("quanto sai 2 fardos de coca 2l (fardo de 6)?", "12x Refrigerante Cola 2L"),
    ("quero 2 caixas de cerveja skol com 12 latas cada, quanto fica?", "24x Cerveja"),
    ("qto fica 2 fardo de cerveja lata, cada fardo com 12?", "24x Cerveja"),
])
def test_packs_are_counted_as_units(sample_bot, message, line):
    assert line in ask(sample_bot, message).text


def test_a_run_on_list_keeps_every_item(sample_bot):
    reply = ask(sample_bot, "vou querer 2 arroz e 3 feijão e também 2 óleo mais 1 açúcar pro almoço de domingo "
                            "que a família vem").text
    for item in ("2x Arroz", "3x Feijão", "2x Óleo", "1x Açúcar"):
        assert item in reply
    assert "Não encontrei" not in reply


def test_the_item_a_chatty_sentence_ends_with_is_kept(sample_bot):
    reply = ask(sample_bot, "oi! domingo a família vem almoçar aqui em casa e eu preciso de 2 kg de picanha "
                            "e 3 coca 2l, quanto fica?").text
    assert "2 kg Picanha" in reply and "3x Refrigerante" in reply
    listed = ask(sample_bot, "vou passar aí amanhã pra pegar 3 pasta de dente e 4 sabonete dove, qual o total?",
                 who="2").text
    assert "3x Creme Dental" in listed and "4x Sabonete" in listed and "abrimos" not in listed


def test_a_list_with_no_separator_between_items(sample_bot):
    reply = ask(sample_bot, "anota ai: 2 óleo de soja 2 arroz e 1 feijão, qto da?").text
    for item in ("2x Óleo", "2x Arroz", "1x Feijão"):
        assert item in reply, reply


def test_levando_n_is_the_quantity_not_part_of_the_name(sample_bot):
    reply = ask(sample_bot, "o papel higiênico neve levando 6 sai quanto cada?").text
    assert "R$ 18,49" in reply and "Não encontrei" not in reply


def test_the_delivery_day_is_the_one_after_the_word(tmp_path):
    clock.freeze(WEDNESDAY_10H)
    bot, conn = store_bot(tmp_path, "store2")      # no deliveries on Sunday
    try:
        assert ask(bot, "se eu pedir sábado às 15h vcs entregam no domingo?").text.startswith("Não")
        assert ask(bot, "vcs entregam no sábado?", who="2").text.startswith("Sim")
    finally:
        conn.close()
        clock.unfreeze()


def test_faq_paraphrases_and_promotions_of_two_sections(sample_bot):
    assert "120 vagas" in ask(sample_bot, "tem onde deixar o carro?").text
    assert "CNPJ" in ask(sample_bot, "dá pra tirar nota no nome da empresa?", who="2").text
    promos = ask(sample_bot, "tem promoção de frios ou laticínios?", who="3").text
    assert "Queijo Mussarela" in promos and "Margarina" in promos and "Picanha" not in promos


def test_a_variant_the_store_lacks_is_said_so(tmp_path):
    bot, conn = store_bot(tmp_path, "store2")
    reply = ask(bot, "tem coca de 600ml?").text
    assert reply.startswith("Não") and "não vendemos" in reply
    conn.close()


def test_complaint_words_only_when_about_a_problem(sample_bot):
    chatty = ask(sample_bot, "boa noite!! desculpa incomodar, meu marido reclamou que eu sempre esqueço o café "
                             "kkkk, quanto tá o café pilão?")
    assert not chatty.handoff and "R$ 16,99" in chatty.text
    real = ask(sample_bot, "comprei ontem e o leite estava vencido, quanto tá o café?", who="2")
    assert real.handoff


def test_an_edit_after_a_quote_answers_with_the_new_quote(sample_bot):
    """Issue 19 item 4: it crashed; now the quote is the customer's cart and the edit re-prices it,
    the wholesale tier reached by the new quantity included."""
    ask(sample_bot, "quanto fica 2 arroz, 3 óleo e 1 sabão em pó?")
    reply = ask(sample_bot, "tira o sabão e aumenta o arroz pra 8")
    assert reply.intent == "order_edit" and "Sabão" not in reply.text.split("Seu carrinho")[1]
    assert "8x Arroz Branco Tipo 1 5kg Tio João: R$ 25,49 cada, atacado = R$ 203,92" in reply.text
    assert "Total: R$ 224,59" in reply.text


# -- bad input --------------------------------------------------------------------------

def test_a_reading_failure_is_logged_counted_and_still_answered(tmp_path, graph, client, monkeypatch, caplog):
    """The worker's real Bot with reading broken: the customer gets the classifier's answer (not the
    apology), the log names the message id, /metrics counts it by reply source, an alert fires."""
    cfg = live_cfg(tmp_path, graph.url)
    conn = db.connect(cfg.db_path)
    import_kb(conn, DATA / "store-sample" / "catalog.csv", DATA / "store-sample" / "store.toml")

    def broken(*_):
        raise AttributeError("'NoneType' object has no attribute 'lines'")
    monkeypatch.setattr(respond, "respond", broken)
    worker = Worker(cfg, conn=conn, bot=build_bot(cfg, conn, preload=False), owner="w")
    enqueue(conn)                                     # "Bom dia! Vocês abrem domingo?"
    with caplog.at_level(logging.ERROR, logger="chatbot.bot"):
        assert worker.run_once() == "answered"
    sent = graph.sends()[0]["body"]["text"]["body"]
    assert sent != BOT_ERROR_REPLY and "domingo" in sent.lower()
    inbox_id = conn.execute("SELECT id FROM inbox").fetchone()[0]
    assert any(f"reading message {inbox_id} failed" in r.getMessage() and r.exc_info for r in caplog.records)
    fams = families(client.get("/metrics").get_data(as_text=True))
    assert sample(fams, "chatbot_messages_handled_total", outcome="answered", source=READING_FAILED) == 1
    from chatbot.ops import rules
    check = {c.name: c for c in rules.observe(conn, cfg)}["reading_failed"]   # and the sysadmin is alerted
    assert check.active and check.value == 1
    conn.close()


def test_delivery_days_times_and_opposite_variants_on_the_second_store(tmp_path):
    clock.freeze(WEDNESDAY_10H)
    try:
        bot, conn = store_bot(tmp_path, "store2")
        assert ask(bot, "entregam no domingo?").text.startswith("Não")          # "Não entregamos aos domingos."
        assert ask(bot, "se eu pedir às 11h chega hoje?", who="2").text.startswith("Sim")   # cut-off 12h
        assert ask(bot, "se eu pedir às 13h chega hoje?", who="3").text.startswith("Não")
        gas = ask(bot, "tem água com gás?", who="4").text
        assert gas.startswith("Não") and "sem Gás" in gas                      # the other one, named as such
        assert ask(bot, "vcs vendem gás?", who="5").text.startswith("Não")
        ask(bot, "quanto custa o café três corações 250g?", who="6")
        assert "R$ 17,90" in ask(bot, "e o de 500g?", who="6").text
        conn.close()
    finally:
        clock.unfreeze()


def test_chatter_around_a_question_is_not_answered(sample_bot):
    reply = ask(sample_bot, "oi boa tarde, tudo bem? to organizando o aniversário do meu filho e queria saber "
                            "quanto tá o refrigerante guaraná").text
    assert "R$ 8,49" in reply and "Não encontrei" not in reply


@pytest.mark.parametrize("message", ["vcs vendem carro?", "tem pilha AA?"])
def test_a_word_two_slips_from_a_product_is_not_that_product(sample_bot, message):
    """"carro" is not a typo of "arroz", nor "pilha" of "Pilão" (difflib rates both 0.8): the bot
    said the rice's or the coffee's price. A thing the store does not sell gets no price."""
    reply = ask(sample_bot, message).text
    assert "R$" not in reply and "não vendemos" in reply.lower(), reply


def test_typos_within_the_slips_a_word_of_its_length_may_have():
    from chatbot.bot import text
    vocab = ("feijao", "arroz", "estacionamento", "desnatado", "mussarela")
    assert [text.correct(w, vocab) for w in ("fejao", "estacionamneto", "mucarela")] == \
        ["feijao", "estacionamento", "mussarela"]
    assert [text.correct(w, vocab) for w in ("carro", "semidesnatado")] == [None, None]


@pytest.mark.parametrize("message,starts,needs", [
    ("domingo umas 3 da tarde vcs tao abertos?", "Não", "12h"),
    ("segunda de manha vcs abrem?", "Não", "12h"),
    ("abre domingo de manha?", "Sim", "8h"),
    ("aceita banricompras?", "Sim", "Banricompras"),
    ("vcs aceitam sodexo?", "Não", "Sodexo"),
    ("com 280 de compra ja fica sem a taxa de entrega?", "Não", "R$ 300,00"),
    ("entrega no passo dareia?", "Sim", "Passo d'Areia"),
    ("qual o pedido minimo pra vcs entregarem?", "O pedido mínimo", "R$ 100,00"),
])
def test_yes_no_on_a_store_the_rules_were_not_written_for(tmp_path, message, starts, needs):
    """The third store (Porto Alegre): its own methods, areas with an apostrophe, a Monday that opens
    at noon; times said "3 da tarde" and parts of the day ("de manhã")."""
    with on_store(tmp_path, "store3") as bot:
        reply = ask(bot, message).text
        assert reply.startswith(starts) and needs in reply, reply


def test_follow_ups_of_the_hours_and_of_the_wholesale_minimum(tmp_path):
    with on_store(tmp_path, "store3") as bot:
        ask(bot, "vcs abrem domingo?")
        assert "12h" in ask(bot, "e ate q horas?").text
        ask(bot, "qto ta o oleo soya?", who="2")
        reply = ask(bot, "e a partir de qtas unidades fica mais barato?", who="2").text
        assert "Óleo de Soja" in reply and "24 unidades" in reply


def test_praise_then_a_question_is_answered_and_a_real_complaint_handed_over(tmp_path):
    with on_store(tmp_path, "store3") as bot:
        praise = ask(bot, "ola! ontem fui muito bem atendido no açougue. nao tenho nenhuma reclamação kkk so "
                          "queria saber o preço do pao sovado")
        assert not praise.handoff and "R$ 8,90" in praise.text
        real = ask(bot, "a picanha q comprei veio cheia de nervo e com cheiro ruim, quero resolver isso", who="2")
        assert real.handoff


def test_the_question_a_long_chatty_message_ends_with(tmp_path):
    with on_store(tmp_path, "store3") as bot:
        reply = ask(bot, "oii, aqui é a dona cida, to organizando a festa junina da igreja e o pessoal ama uma cuca "
                         "né 😂 quanto ta o pao sovado?").text
        assert "Pão Sovado" in reply and "Cuca" not in reply, reply
        told = ask(bot, "boa noite! aqui é o seu raimundo da mercearia, ta todo mundo falando bem, vou passar ai "
                        "amanha cedo mas antes queria saber: quanto ta o pao sovado?", who="2").text
        assert "Pão Sovado" in told and "abrimos" not in told, told


def test_a_problem_supposed_asks_the_policy_and_a_long_question_is_no_cart_command(sample_bot):
    policy = ask(sample_bot, "se um produto vier com defeito, tenho quantos dias pra levar de volta?")
    assert not policy.handoff and "7 dias" in policy.text
    both = ask(sample_bot, "quanto é o frete pro monte castelo e ate que horas tenho q fazer o pedido pra chegar "
                           "no mesmo dia?", who="2").text
    assert "R$ 9,90" in both and "16h" in both and "carrinho" not in both


def test_quote_edits_with_amounts_units_and_words_around(tmp_path):
    """Issue 19, 4 and 20: "põe mais 1 kg de X e 3 kg de Y" is two adds; "troca A por 2 kg de B" takes
    the new amount; "tira 1 kg da Y" takes less of it; "na verdade" and "mesma quantidade" are words around."""
    with on_store(tmp_path, "store2") as bot:
        ask(bot, "orçamento: 1 kg de alcatra e 1 kg de picanha")
        added = ask(bot, "põe mais 1 kg de alcatra e 3 kg de linguiça").text
        assert "2 kg Alcatra" in added and "3 kg Linguiça" in added and "R$ 234,40" in added, added
        ask(bot, "quanto fica 2 kg de picanha, 3 kg de linguiça toscana e 1 kg de alcatra?", who="2")
        edited = ask(bot, "na vdd troca a alcatra por 2 kg de costela e tira 1 kg da linguiça", who="2").text
        assert "2 kg Costela" in edited and "2 kg Linguiça" in edited and "R$ 255,40" in edited, edited


@pytest.mark.parametrize("message,starts,needs", [
    ("tem lenha pra churrasqueira?", "Não", "não vendemos"),         # no FAQ about the barbecue's meat
    ("tenho umas garrafa de cerveja vazia, vcs pegam de volta e desconta na compra?", "Sim", "casco"),
    ("preciso da nota com os dados da minha lanchonete, da pra fazer?", "Sim", "CNPJ"),
    ("vou ai de carro, consigo parar dentro?", "Sim", "estacionamento"),
    ("vcs tem desconto pra quem compra muito?", "📦", "atacado"),
])
def test_faq_by_meaning_only_and_what_a_policy_is_asked_with(tmp_path, message, starts, needs):
    with on_store(tmp_path, "store3") as bot:
        reply = ask(bot, message).text
        assert reply.startswith(starts) and needs in reply, reply


@pytest.mark.parametrize("message,starts,needs", [
    ("se minha compra der uns 300 conto eu ainda pago a taxa de entrega?", "Não", "R$ 280,00"),
    ("compra de 200 reais paga frete?", "Sim", "R$ 11,50"),
])
def test_asked_whether_the_fee_is_paid_the_answer_is_the_other_way_round(tmp_path, message, starts, needs):
    with on_store(tmp_path, "store4") as bot:
        reply = ask(bot, message).text
        assert reply.startswith(starts) and needs in reply, reply


def test_two_questions_joined_by_e_before_a_day_or_a_condition(tmp_path):
    with on_store(tmp_path, "store3") as bot:
        both = ask(bot, "qto ta a cuca de uva e se eu quiser encomendar uma de outro sabor tenho q pedir com "
                        "qtos dias?").text
        assert "R$ 19,90" in both and "2 dias" in both, both
        hours = ask(bot, "quanto ta o pao sovado e sabado vcs vao ate q horas?", who="2").text
        assert "Pão Sovado" in hours and "20h" in hours, hours
        ask(bot, "qto ta o oleo soya?", who="3")
        box = ask(bot, "e levando uma caixa com 24?", who="3").text
        assert "24x Óleo" in box and "R$ 158,16" in box, box
        area = ask(bot, "entregam no sarandi?", who="4").text
        assert "R$ 100,00" in area, area           # the minimum order goes with the yes


def test_a_packaging_the_store_lacks_and_another_brand_in_a_follow_up(tmp_path, sample_bot):
    lata = ask(sample_bot, "qto ta a coca lata?").text          # the sample store sells the 2 L only
    assert lata.startswith("Não encontrei exatamente") and "não vendemos" in lata, lata
    clock.freeze(WEDNESDAY_10H)
    bot, conn = store_bot(tmp_path / "s4", "store4")
    try:
        both = ask(bot, "quanto ta a heineken long neck? e a skol lata?").text
        assert "R$ 5,99" in both and "R$ 3,39" in both, both
    finally:
        conn.close()


def test_what_is_cooked_is_not_an_item_and_an_occasion_is_not_a_section(sample_bot):
    quote = ask(sample_bot, "vou fazer uma lasanha e um arroz pro almoço de domingo, entao me ve 2 kg de carne moida "
                            "e 1 feijao carioca, quanto vai dar?").text
    assert "2 kg Carne Moída" in quote and "1x Feijão" in quote and "Arroz" not in quote and "lasanha" not in quote
    promos = ask(sample_bot, "o que tem de promoção pro churrasco de sábado?", who="2").text
    assert "Picanha" in promos and "Cerveja" in promos, promos      # the drinks too, not the butcher's only


def test_a_chatty_piece_without_an_amount_is_not_read_as_a_typo_of_a_product(tmp_path):
    with on_store(tmp_path, "store4") as bot:
        reply = ask(bot, "to fazendo a compra do mes, vou querer 2 arroz de 5 quilos e 4 feijao carioca, "
                         "ve o total pra mim").text
        assert "Polvilho" not in reply and "2x Arroz" in reply, reply      # "fazendo" is not "azedo"


@pytest.mark.parametrize("message,line", [
    ("3 fardo de coca 2 litros de 6 unidade cada", "18x Refrigerante Cola 2L"),
    ("12 cerveja", "12x Cerveja"),
])
def test_an_amount_and_a_product_alone_is_a_quote(sample_bot, message, line):
    reply = ask(sample_bot, message).text
    assert line in reply and "Total" in reply, reply


def test_the_fifth_stores_kinds_of_message(tmp_path):
    """Eval set 6's kinds, in other words: a double charge is a complaint; "se eu comprar" before a
    service is the FAQ, not the wholesale; a product named in the telling before "quanto tá o kg?"."""
    with on_store(tmp_path, "store5") as bot:
        assert ask(bot, "me cobraram duas vezes no cartao semana passada, preciso que resolvam").handoff
        fish = ask(bot, "se eu comprar a dourada vcs limpam pra mim? cobra a parte?", who="2").text
        assert "sem custo" in fish, fish
        told = ask(bot, "oi! minha sogra veio do interior e so fala do queijo do marajo kkk quanto ta o kg?",
                   who="3").text
        assert "Queijo do Marajó" in told, told
        flour = ask(bot, "quanto ta a farinha d agua?", who="4").text
        assert "Farinha d'Água" in flour, flour


def test_the_cut_off_asked_as_closing_the_order(tmp_path):
    with on_store(tmp_path, "store4") as bot:
        reply = ask(bot, "até que horas tenho q fechar o pedido pra entregar no mesmo dia?").text
        assert "14h" in reply and "Infelizmente" not in reply, reply


def test_less_of_one_a_new_amount_of_the_same_and_a_follow_up_in_its_unit(tmp_path):
    clock.freeze(WEDNESDAY_10H)
    bot, conn = store_bot(tmp_path, "store5")
    try:
        ask(bot, "quanto fica 10 goma de tapioca e 2 manteiga?")
        less = ask(bot, "aumenta a goma pra 12 e tira uma manteiga").text
        assert "12x Goma" in less and "1x Manteiga" in less, less
        ask(bot, "quanto fica 3 sabonete e 1 papel higienico?", who="2")
        same = ask(bot, "troca o papel por 2 pacotes", who="2").text
        assert "2x Papel Higiênico" in same, same
    finally:
        conn.close()
    bot, conn = store_bot(tmp_path / "s4", "store4")
    try:
        ask(bot, "orçamento 2 saco de carvao")
        more = ask(bot, "e se eu levar 5 sacos?").text
        assert "5x Carvão" in more and "R$ 89,50" in more, more
    finally:
        conn.close()
        clock.unfreeze()


@pytest.mark.parametrize("store,context,message,needs", [
    ("store6", [], "quanto sai 2 fardo de amstel latinha de 350 (fardo com 12)", "24x Cerveja Lata 350ml"),
    ("store6", [], "1 fardo de arroz 5kg (vem 6 pacote) quanto fica?", "6x Arroz"),
    ("store6", [], "quanto ta o fardo de agua sem gas com 12 garrafinhas?", "12x Água Mineral sem Gás 500ml"),
    ("store5", [], "a caixa de cerpa latão com 12 quanto sai?", "12x Cerveja Lata 473ml"),
    ("store3", [], "2 caixas de fruki 600 com 12 cada qnt fica", "24x Refrigerante Guaraná 600ml"),
    ("store6", [], "quanto fica 10 pacote de cafe 3 coraçoes e 12 leite condensado?", "10x Café"),
    ("store3", ["quanto ta o salsichão"], "e 2 kg e meio?", "2,5 kg Salsichão"),
    ("store6", ["quanto ta o carvão?"], "e se forem 10 saco?", "10x Carvão"),
    ("store5", [], "me passa 2 litro de açai grosso e 1 polpa de cupuaçu", "2x Açaí Grosso 1L"),
    ("store6", ["quanto fica 4 coca 2l e 2 pacote de arroz 5kg?"], "tira a coca e poe 6 guarana 2l no lugar",
     "6x Refrigerante Guaraná 2L"),
    ("store6", ["qto sai 2 kg de picanha e 1 pacote de carvão"],
     "na vdd troca a picanha por 3 kg de costela, o carvão deixa", "3 kg Costela"),
])
def test_amounts_said_in_packs_litres_and_units_of_the_seventh_set(tmp_path, store, context, message, needs):
    with on_store(tmp_path, store) as bot:
        for earlier in context:
            ask(bot, earlier)
        reply = ask(bot, message).text
        assert needs in reply, reply


def test_a_product_word_an_faq_also_has_is_still_the_product(tmp_path):
    clock.freeze(WEDNESDAY_10H)
    bot, conn = store_bot(tmp_path, "store6")       # an entry about "bolo de arroz e chipa"
    try:
        rice = ask(bot, "tem arroz de 1kg?").text
        assert rice.startswith("Não encontrei exatamente") and "Arroz Branco" in rice, rice
        cake = ask(bot, "vcs fazem bolo de arroz por encomenda?", who="2").text
        assert "bolo de arroz" in cake, cake
    finally:
        conn.close()
        clock.unfreeze()


@pytest.mark.parametrize("message,needs", [
    ("2 fardo de guarana frevo (vem 6 em cada) quanto fica?", "12x Refrigerante Guaraná"),
    ("quero 3 caixas de leite betania, aquelas com 12 cxinhas", "36x Leite"),
    ("uma caixa de itaipava latão, com 12 latas, sai por qnt?", "12x Cerveja Lata 473ml"),
    ("me ve 1 fardo de agua santa joana de 1,5 (6 garrafas) qto é", "6x Água Mineral sem Gás 1,5L"),
    ("2 fardinho de latinha itaipava com 12 cada p o churras de sabado, da quanto?", "24x Cerveja Lata 350ml"),
    ("1 caixa de leite betania, caixa fechada com 12", "12x Leite"),
])
def test_a_pack_and_how_many_it_holds_anywhere_in_its_clause(tmp_path, message, needs):
    with on_store(tmp_path, "store7") as bot:
        reply = ask(bot, message).text
        assert needs in reply and "Total" in reply, reply


def test_the_eighth_sets_kinds_in_other_words(tmp_path, sample_bot):
    """Abbreviated areas ("jd"), installments asked "divide em quantas vezes", a product we lack
    named with a purpose ("carvão pra churrasco"), "pacote de arroz de 5" is one 5 kg pack."""
    lacking = ask(sample_bot, "vcs tem carvao pra churrasco?").text
    assert lacking.startswith("Não encontrei") and "R$" not in lacking, lacking
    clock.freeze(WEDNESDAY_10H)
    bot, conn = store_bot(tmp_path / "s7", "store7")
    try:
        both = ask(bot, "o camarao cinza ta quanto o kilo? e no cartao divide em quantas vezes?").text
        assert "R$ 62,90" in both and "4x" in both, both
        rice = ask(bot, "qro 2 pacote de arroz de 5 e 1 oleo liza", who="2").text
        assert "2x Arroz Branco Tipo 1 5kg" in rice, rice
    finally:
        conn.close()
    bot, conn = store_bot(tmp_path / "s6", "store6")
    try:
        assert ask(bot, "moro no jd das americas, vcs fazem entrega ai?").text.startswith("Sim")
    finally:
        conn.close()


def test_how_many_a_pack_holds_said_after_and_a_kind_an_entry_leaves_out(tmp_path):
    with on_store(tmp_path, "store8") as bot:
        after = ask(bot, "quanto sai 2 fardos de guaraná pureza? o fardo vem com 6").text
        assert "12x Refrigerante Guaraná" in after, after
        each = ask(bot, "2 caixas de suco de uva aurora, cada caixa tem 6 garrafas, qto?", who="2").text
        assert "12x Suco de Uva" in each, each
        cake = ask(bot, "vcs fazem cuca de chocolate?", who="3").text
        assert cake.startswith("Não de chocolate"), cake      # the entry lists banana, uva or farofa
        assert ask(bot, "vcs fazem cuca de banana?", who="4").text.startswith("Sim")


def test_a_size_after_de_is_no_amount_and_methods_asked_together_are_each_answered(tmp_path):
    with on_store(tmp_path, "teststore") as bot:
        paper = ask(bot, "papel higienico de 12 rolos quanto ta").text
        assert "R$ 17,90" in paper and "12x" not in paper, paper
        methods = ask(bot, "aceita pix, cheque ou boleto?", who="2").text
        assert "Não aceitamos cheque" in methods and "boleto" in methods, methods


def test_the_ninth_sets_kinds_in_other_words(tmp_path):
    """A diminutive ("pãozinho"), delivery asked "vocês levam até lá?", "e se entregam" as a second
    question, an item "é só 1,5 kg" and "esquece a água sanitária" as edits."""
    with on_store(tmp_path, "store8") as bot:
        assert "R$ 17,90" in ask(bot, "qto ta o kg do pãozinho frances").text
        assert ask(bot, "moro no saco dos limoes, vcs levam compra ate la?", who="2").text.startswith("Sim")
        both = ask(bot, "me diz quanto sai 2 nata e 1 manteiga, e se entregam no pantanal", who="3").text
        assert "R$ 32,70" in both and "Pantanal" in both, both
        ask(bot, "me faz um orçamento: 2 kg de picanha, 1 kg de linguiça e 1 saco de carvão", who="4")
        less = ask(bot, "na vdd a picanha é só 1,5 kg, o resto mantem", who="4").text
        assert "1,5 kg Picanha" in less and "1 kg Linguiça" in less, less
        ask(bot, "quanto ficaria 10 detergente, 2 sabão em pó tixan e 1 agua sanitaria", who="5")
        edited = ask(bot, "opa, esquece a agua sanitaria e bota mais 14 detergentes", who="5").text
        assert "24x Detergente" in edited and "Água Sanitária" not in edited.split("Seu carrinho")[1], edited


def test_an_faq_asked_with_a_diminutive_and_no_place_made_of_pronouns(tmp_path):
    with on_store(tmp_path, "store8") as bot:
        bags = ask(bot, "o saquinho pra levar as compras é cobrado?").text
        assert "R$ 0,20" in bags, bags
        oysters = ask(bot, "se eu comprar ostra ai o pessoal abre pra mim ou tenho q abrir em casa na faca?",
                      who="2").text
        assert "ainda não entregamos em" not in oysters, oysters      # "pra mim ou tenho..." is no place


@pytest.mark.parametrize("message,needs", [
    # what the list is for ends where the list is led in ("então vou precisar de ...")
    ("pro jantar de sexta la em casa entao vou precisar de 2 kg de costela, 1 nata e tbm meio kg de queijo colonial,"
     " qto fica?", ["2 kg Costela", "0,5 kg Queijo Colonial", "R$ 94,65"]),
    # an item led in by any word that names no product ("anota aí 3kg"), "e tb" before the next one
    ("fim de semana tem visita, anota ai 3kg de tomate e tb 1 cuca de banana", ["3 kg Tomate", "R$ 45,37"]),
    # an article in the chatter ("uma faxina") is no item; "e ainda", "ah e um" go on with the list
    ("vou fazer uma faxina geral kkk ve pra mim 2 detergente e ainda 1 sabao em po, ah e uma nata",
     ["2x Detergente", "1x Sabão em Pó", "1x Nata", "R$ 33,98"]),
    # an item ends where what it is for begins
    ("queria 2 kg de costela pra assar no domingo com a familia, qto fica?", ["2 kg Costela", "R$ 59,80"]),
])
def test_a_run_on_list_keeps_every_item_after_chatter(tmp_path, message, needs):
    with on_store(tmp_path, "store8") as bot:
        reply = ask(bot, message)
        assert reply.intent == "quote" and all(n in reply.text for n in needs), reply.text
        assert "Não encontrei" not in reply.text, reply.text


def test_a_pasted_list_that_ends_with_a_question_gets_both(tmp_path):
    with on_store(tmp_path, "store8") as bot:
        reply = ask(bot, "boa tarde, segue a lista\n2 kg de tomate\n1 nata\n3 detergente\n"
                         "quanto fica tudo? vcs entregam no itacorubi?")
        assert "💰 *Total: R$ 34,65*" in reply.text and "Itacorubi" in reply.text, reply.text


@pytest.mark.parametrize("store,message,needs", [
    # a paraphrase found whatever its diminutive or gender, in an entry that says it in other words
    ("store2", "da pra levar a cachorrinha junto na hora das compras?", "cães-guia"),
    # two words of a topic anywhere in the message ("ostra & abre")
    ("store8", "se eu comprar ostra ai vcs abrem ou tenho q abrir em casa?", "abre as ostras"),
    ("store7", "vcs escamam o peixe ai ou tenho q fazer isso em casa?", "sem custo"),
    ("store7", "tem como tirar dinheiro ai dentro da loja?", "R$ 200,00"),
    ("store6", "vou de bike, tem onde prender ela ai?", "bicicletário"),
    ("store7", "posso pegar as compras ai no balcao em vez de vcs trazerem?", "2 horas"),
    # what was told before the question says which policy is asked
    ("store4", "queria encomendar um empadao daqueles bem grandao pra familia, quanto tempo antes eu tenho que avisar?",
     "3 dias"),
])
def test_an_faq_asked_in_words_it_does_not_use(tmp_path, store, message, needs):
    with on_store(tmp_path, store) as bot:
        reply = ask(bot, message)
        assert needs in reply.text, reply.text


@pytest.mark.parametrize("message,needs", [
    # a pack with no count is one; "N garrafas" after a comma is how many it holds, not the next item
    ("caixa de oleo liza, 20 garrafas, qto fica?", ["20x Óleo de Soja", "R$ 131,80"]),
    ("vou querer 2 caixas de sabonete dove, 12 unidades cada caixa. total?", ["24x Sabonete", "R$ 107,76"]),
    # the product named before the pack ("carvão ..., o fardo com 5 sacos")
    ("carvao da brasa campineira, o fardo com 5 sacos sai quanto?", ["5x Carvão", "R$ 94,50"]),
    # the price asked in a part of its own ("... né? quanto tá o fardo")
    ("o fardo do feijao carioca vem com 10 pacotes ne? quanto ta o fardo", ["10x Feijão Carioca", "R$ 74,90"]),
    # kilos and grams in words
    ("me ve um quilo e trezentos de coxa e sobrecoxa", ["1,3 kg Coxa", "R$ 18,07"]),
])
def test_packs_said_in_other_ways_and_kilos_with_grams(tmp_path, message, needs):
    with on_store(tmp_path, "store10") as bot:
        reply = ask(bot, message)
        assert all(n in reply.text for n in needs), reply.text


def test_a_part_that_only_adds_a_detail_is_read_with_the_question_before(tmp_path):
    with on_store(tmp_path, "store10") as bot:
        early = ask(bot, "feriado vcs abrem cedo? tipo umas 8h").text
        assert early.startswith("Não") and "9h" in early, early
        promo = ask(bot, "tem promo de limpeza e higiene? sabao, sabonete, essas coisas", who="2").text
        assert "Limpeza" in promo and "Higiene" in promo and "Nossas promoções" not in promo, promo
        again = ask(bot, "promocao de limpeza e de higiene, tem alguma?", who="3").text
        assert "Nossas promoções" not in again, again
        area = ask(bot, "vcs levam no taquaral?", who="4").text
        assert area.startswith("Sim") and "Taquaral" in area, area
        little = ask(bot, "compra de 90 conto vcs trazem em casa?", who="5").text
        assert little.startswith("Não") and "R$ 110,00" in little, little


@pytest.mark.parametrize("message,needs", [
    ("tem fila expressa pra quem ta levando poucas coisas?", "15 itens"),
    ("meu pai ja é idoso, tem caixa preferencial?", "4 e 5"),
    ("vcs tem cartao fidelidade? tipo vou juntando as compras e ganho desconto", "Clube Lagoa"),
    ("o paozinho fica pronto em qual horario? gosto dele fresquinho", "17h"),
    ("a mortadela vcs cortam ali na frente da gente?", "na hora"),
    ("queria 3 kg de mussarela fatiadinha, da pra deixar pedido antes?", "1 dia"),
    # two topics: the one said more ways wins ("fila expressa", "pouca coisa" over "passar & pegar")
    ("vou passar so pra pegar pouca coisa, tem fila expressa?", "15 itens"),
])
def test_more_faq_topics_in_words_the_faq_does_not_use(tmp_path, message, needs):
    with on_store(tmp_path, "store10") as bot:
        reply = ask(bot, message)
        assert needs in reply.text, reply.text


def test_discourse_words_a_cut_off_asked_now_and_the_tier_of_the_last_product(tmp_path):
    with on_store(tmp_path, "store10") as bot:
        price = ask(bot, "adorei o atendimento de vcs. enfim, quanto ta o pão de queijo de 400g?").text
        assert "R$ 12,90" in price, price
        both = ask(bot, "qual o pedido minimo? e se eu fechar agora chega que horas?", who="2").text
        assert "R$ 110,00" in both and "14h30" in both and "estamos abertos" not in both, both
        ask(bot, "quanto ta o arroz camil 5kg?", who="3")
        tier = ask(bot, "a partir de quantos pacotes sai mais em conta?", who="3").text
        assert "R$ 26,90" in tier and "6 unidades" in tier and "Feijão" not in tier, tier


def test_a_regional_name_a_dozen_and_promotions_of_the_goods_named(tmp_path):
    with on_store(tmp_path, "store3") as bot:
        # "mexerica" and "galinha" where the store says "Bergamota" and "Frango"
        assert "Bergamota Ponkan" in ask(bot, "qto ta o kg da mexerica?").text
        heart = ask(bot, "2 kg de coração de galinha, quanto fica?", who="2").text
        assert "2 kg Coração de Frango" in heart, heart
    with on_store(tmp_path / "8", "store8") as bot:
        # another name is tried only when each of its words is the product's: "leite moça" is no "Leite UHT"
        assert ask(bot, "quanto ta o leite condensado?", who="3").text.startswith("Não encontrei")
        oysters = ask(bot, "quanto fica duas duzias de ostra e 1 kg de berbigão?").text
        assert "2x Ostra Viva Dúzia" in oysters and "R$ 53,80" in oysters, oysters
    with on_store(tmp_path / "7", "store7") as bot:
        fish = ask(bot, "tem algum peixe ou camarao em promoção?").text
        assert "Cavala" in fish and "Camarão" in fish and "Guaraná" not in fish, fish


def test_a_request_for_the_price_names_no_product(tmp_path):
    """"me passa o valor" names no "uva passa"; two products asked with "e também do"."""
    with on_store(tmp_path, "store4") as bot:
        one = ask(bot, "me passa o valor do quilo do pequi").text
        assert one.startswith("*Pequi kg*") and "Não encontrei" not in one, one
        two = ask(bot, "me passa o valor do pequi e tambem do empadão individual", who="2").text
        assert "Pequi kg" in two and "R$ 14,90" in two, two


@pytest.mark.parametrize("message,needs", [
    # a pack described first, counted after
    ("o fardo da skol latinha vem com 12 ne, vou querer 2 fardos, quanto fica?", ["24x Cerveja Lata", "R$ 74,16"]),
    ("caixa de requeijao batavo c/ 12 copos, me ve 3 caixas, total?", ["36x Requeijão", "R$ 215,64"]),
    # the product named before the pack, and "vou levar" beside a question
    ("carvao, o fardo vem com 4 sacos de 5kg ne? vou levar 3 fardos", ["12x Carvão", "R$ 286,80"]),
    ("detergente ype, aquela caixa fechada com 24 frascos, quanto sai?", ["24x Detergente", "R$ 45,36"]),
])
def test_a_pack_described_first_and_counted_after(tmp_path, message, needs):
    with on_store(tmp_path, "store11") as bot:
        reply = ask(bot, message)
        assert all(n in reply.text for n in needs), reply.text


def test_goods_asked_for_are_never_an_faq_entry_that_shares_a_word(tmp_path):
    """"Vendem gás de cozinha?" is no "o hortifrúti cozinha o pinhão"; "ração de cachorro" is no "garrafa PET"."""
    with on_store(tmp_path, "store11") as bot:
        gas = ask(bot, "vcs vendem gas de cozinha?").text
        assert not gas.startswith("Sim") and "pinhão" not in gas, gas
        food = ask(bot, "tem ração de cachorro ai?", who="2").text
        assert not food.startswith("Sim") and "R$" not in food, food
    with on_store(tmp_path / "2", "store2") as bot:
        dog = ask(bot, "da pra entrar com meu cachorro no colo?").text
        assert "cães-guia" in dog, dog


@pytest.mark.parametrize("message,needs", [
    ("onde eu jogo fora o oleo velho da fritura? vcs recolhem?", "garrafa PET"),
    ("vcs tem brinquedoteca pras criancas brincarem enquanto a gente compra?", "Cantinho do Piá"),
    ("o motoboy sobe ate o apartamento ou tenho que descer?", "portaria"),
    ("minha empresa pode comprar faturado no boleto?", "28 dias"),
    ("queria dar um vale compras de vcs de presente, tem?", "R$ 500,00"),
    ("ate quantos dias depois vcs aceitam produto de volta?", "10 dias"),
    # one word of the delivery's own is the delivery, though an entry says "entregas" too
    ("qual o valor da entrega?", "R$ 11,50"),
])
def test_faq_topics_of_the_eleventh_store_in_other_words(tmp_path, message, needs):
    with on_store(tmp_path, "store11") as bot:
        reply = ask(bot, message)
        assert needs in reply.text, reply.text


def test_a_supposed_order_asks_the_fee_and_a_list_with_sizes_keeps_every_item(tmp_path):
    with on_store(tmp_path, "store11") as bot:
        fee = ask(bot, "se meu pedido der uns 200 reais eu pago frete?").text
        assert fee.startswith("Sim") and "R$ 11,50" in fee, fee
        # "1" is in "Tipo 1" of a name, but "1 manteiga" is no part of any name: a new item
        listed = ask(bot, "2 açucar de 5kg 4 leite integral 1 manteiga, quanto fica?", who="2").text
        assert "4x Leite" in listed and "1x Manteiga" in listed and "Não encontrei" not in listed, listed


def test_a_day_after_the_hours_a_size_said_as_a_number_and_the_same_day_of_a_later_order(tmp_path):
    with on_store(tmp_path, "store11") as bot:
        ask(bot, "qual o horario de vcs no sabado?")
        sunday = ask(bot, "e no domingo?").text        # not the kids' area entry that says "domingo"
        assert "12h30" in sunday and "Cantinho" not in sunday, sunday
        ask(bot, "quanto ta o pierogi de 1kg?", who="2")
        smaller = ask(bot, "e o de 500?", who="2").text
        assert "500g" in smaller and "R$ 17,90" in smaller and "500x" not in smaller, smaller
        late = ask(bot, "amanha se eu fechar o pedido umas 3 da tarde ainda entrega no mesmo dia?", who="3").text
        assert late.startswith("Não") and "13h30" in late and "hoje" not in late.split(".")[0], late


def test_a_section_named_beside_an_occasion_is_the_section_asked(tmp_path):
    with on_store(tmp_path, "store11") as bot:
        meat = ask(bot, "vou fazer churrasco no sabado, o q tem de carne em oferta?").text
        assert "Açougue" in meat and "Refrigerante" not in meat, meat


def test_a_kind_named_by_a_section_word_is_a_variant_the_store_lacks(tmp_path):
    """"tem pierogi de carne?": "carne" names the butcher's section, but here it is the filling asked."""
    with on_store(tmp_path, "store11") as bot:
        reply = ask(bot, "tem pierogi de carne?").text
        assert reply.startswith("Não encontrei") and "Pierogi de Batata" in reply, reply


def test_what_the_store_lacks_in_a_price_question_or_a_list_is_said(tmp_path, sample_bot):
    two = ask(sample_bot, "quanto ta a picanha e a linguiça?").text
    assert "Picanha" in two and "Não encontrei no catálogo: *linguiça*" in two, two
    # "quanto tá?" after the question is the same question, answered once
    once = ask(sample_bot, "vcs tem farinha de mandioca? quanto ta?", who="2").text
    assert once.count("Farinha de Trigo") == 1, once
    none = ask(sample_bot, "me ve 2 kg de feijao verde e 1 kg de queijo coalho", who="3").text
    assert "Não encontrei nenhum desses produtos" in none, none


def test_a_can_asked_where_only_the_bottle_is_sold_is_not_found_in_a_list(sample_bot):
    reply = ask(sample_bot, "me ve 2 fardos de coca lata de 12 e 1 arroz").text
    assert "Refrigerante Cola 2L" not in reply and "coca lata" in reply, reply


def test_counts_in_words_open_items_and_a_single_item_the_store_lacks_is_said(sample_bot):
    listed = ask(sample_bot, "queria dois pacotes de arroz tres de feijao e um oleo, quanto fica").text
    assert "2x Arroz" in listed and "3x Feijão" in listed and "1x Óleo" in listed, listed
    eggs = ask(sample_bot, "me ve 1 duzia de ovos", who="2").text
    assert "Não encontrei" in eggs and "ovos" in eggs, eggs


def test_a_list_of_weights_with_no_separators_keeps_every_item(tmp_path):
    with on_store(tmp_path, "store8") as bot:
        reply = ask(bot, "me ve 2kg de costela 1kg e meio de linguiça meio kg de tomate 2 nata, quanto fica?").text
        assert all(x in reply for x in ("2 kg Costela", "1,5 kg Linguiça", "0,5 kg Tomate", "2x Nata")), reply


def test_payment_and_hours_said_the_way_customers_say_them(tmp_path):
    with on_store(tmp_path, "store13") as bot:
        credit = ask(bot, "aceita banescard no credito?").text       # debit only in the list
        assert credit.startswith("Não") and "débito" in credit, credit
        broke = ask(bot, "to sem dinheiro esse mes, uma compra de 120 reais da pra parcelar?", who="2").text
        assert broke.startswith("Não") and "aceitamos dinheiro" not in broke, broke
        late = ask(bot, "sexta vcs ficam abertos ate 10 da noite?", who="3").text
        assert late.startswith("Sim"), late
        sunday = ask(bot, "domingo vcs abrem de tarde? queria passar ai umas 3h", who="4").text
        assert sunday.startswith("Não") and "15h" in sunday, sunday


def test_installments_in_steps(tmp_path):
    """store13 parcels in steps: 2x from R$ 150, 4x from R$ 400, 8x from R$ 900."""
    with on_store(tmp_path, "store13") as bot:
        assert ask(bot, "uma compra de 500 reais da pra dividir em 4x?").text.startswith("Sim")
        no = ask(bot, "com 200 reais da pra fazer em 4x?", who="2").text
        assert no.startswith("Não") and "R$ 400,00" in no, no
        assert ask(bot, "se eu gastar 100 reais parcela?", who="3").text.startswith("Não")


def test_goods_the_store_lacks_are_named_without_a_price_unless_a_price_was_asked(tmp_path):
    """"Vendem azeite de dendê?": an azeite de oliva is no dendê, so its price beside "não vendemos" would
    read as the price asked; asked "quanto tá", the prices of its kind are what the customer wants."""
    with on_store(tmp_path, "store13") as bot:
        lacking = ask(bot, "vcs vendem azeite de dendê?").text
        assert lacking.startswith("Não encontrei") and "Azeite de Oliva" in lacking and "R$" not in lacking, lacking
        priced = ask(bot, "quanto ta o azeite de dendê?", who="2").text
        assert "Azeite de Oliva" in priced and "R$" in priced, priced


def test_a_brand_the_store_lacks_with_a_container_it_has_and_packs_said_big(tmp_path):
    with on_store(tmp_path, "store13") as bot:
        # no Heineken; "latinha" alone is no product asked: not sold, and the beers the store has (a known brand,
        # notsold.BRAND_KIND, as "skol")
        beer = ask(bot, "tem heineken latinha?").text
        assert beer.startswith("Não encontrei *heineken latinha*") and "Do mesmo tipo" in beer, beer
        soap = ask(bot, "o pacotao de sabonete protex com 12 unidades ta quanto?", who="2").text
        assert "12x Sabonete" in soap and "R$ 40,68" in soap, soap
        bottles = ask(bot, "se eu levar as garrafa vazia de litrao pago menos?", who="3").text
        assert "R$ 1,50" in bottles, bottles


def test_promotions_of_a_kind_of_goods_many_products_are(tmp_path):
    with on_store(tmp_path, "store13") as bot:
        beer = ask(bot, "tem promoção de cerveja?").text
        assert "Cerveja Artesanal" in beer and "R$ 12,90" in beer and "Brahma" not in beer, beer


def test_installments_right_after_a_price_and_the_product_said_in_an_earlier_sentence(tmp_path):
    with on_store(tmp_path, "store13") as bot:
        ask(bot, "a panela de barro de 4 pessoas ta quanto?")
        split = ask(bot, "da pra parcelar?").text
        assert split.startswith("Não") and "R$ 150,00" in split, split
        coffee = ask(bot, "até hoje so tomo cafe conilon, os outros acho fraco. quanto ta o pacote ai", who="2").text
        assert "R$ 16,90" in coffee, coffee


def test_accessibility_and_battery_collection_asked_in_other_words(tmp_path):
    with on_store(tmp_path, "store13") as bot:
        cart = ask(bot, "meu pai tem 80 anos, vcs tem carrinho eletrico pra ele ir sentado?").text
        assert "motorizados" in cart, cart
        batteries = ask(bot, "vcs pegam pilha velha? tenho um monte aqui, tem limite?", who="2").text
        assert "5 kg" in batteries and "Não encontrei" not in batteries, batteries


def test_the_fifteenth_sets_kinds(tmp_path):
    """A flavour the store lacks beside an FAQ entry that names the goods, a voucher asked "vocês pegam?",
    a time written "21:30", and "tem promo de ...?" answered yes with the section's promotions."""
    with on_store(tmp_path, "store14") as bot:
        flavour = ask(bot, "tem erva de terere sabor abacaxi?").text
        assert flavour.startswith("Não encontrei"), flavour
        ticket = ask(bot, "ticket alimentação vcs pegam?", who="2").text
        assert ticket.startswith("Não aceitamos Ticket"), ticket
        late = ask(bot, "sabado da pra chegar ai 21:30 ainda?", who="3").text
        assert late.startswith("Não") and "21h30" in late, late
        drinks = ask(bot, "tem promo de bebida hj?", who="4").text
        assert drinks.startswith("🔥 Sim!"), drinks


def test_a_number_of_something_else_and_a_short_chatter_before_the_question(tmp_path):
    with on_store(tmp_path, "store14") as bot:
        hot = ask(bot, "eita calor de 40 graus hj 🥵 preciso de erva menta e limao pro terere, qto ta?").text
        assert "R$ 16,90" in hot and "Não encontrei" not in hot, hot
        butter = ask(bot, "acordei com vontade de pao com manteiga, qto ta a manteiga aviação?", who="2").text
        assert butter.startswith("*Manteiga"), butter


def test_the_held_out_runs_kinds_after_their_one_run(tmp_path):
    """Kinds the untouched runs of eval10 and eval13 missed, in other words: a list then ", vocês entregam
    em X?", a complaint said without a complaint word, thanks beside a word that names a brand, a typo
    never changes the first letter, "6 e 45", and "polvilho azedo" is goods, not a complaint."""
    with on_store(tmp_path, "store-sample") as bot:
        both = ask(bot, "3 kg de tomate, vcs entregam na parquelandia?").text
        assert "3 kg Tomate" in both and "Parquelândia" in both, both
        late = ask(bot, "o entregador ficou de vir ontem e ate agora nada, ninguem me responde", who="2")
        assert late.handoff, late.text
        wine = ask(bot, "vcs vendem vinho?", who="3").text
        assert "Pinho" not in wine and "não vendemos" in wine, wine
        early = ask(bot, "amanha umas 6 e 45 ja ta aberto?", who="4").text
        assert "6h45" in early, early
    with on_store(tmp_path / "9", "store9") as bot:
        thanks = ask(bot, "obrigada mana, vcs sao demais").text
        assert "R$" not in thanks, thanks
    with on_store(tmp_path / "4", "store4") as bot:
        starch = ask(bot, "qto ta o polvilho azedo?")
        assert not starch.handoff and "R$ 12,90" in starch.text, starch.text


@pytest.mark.parametrize("message,needs", [
    ("o leite italac vem na caixa com 12 ne? qto fica 2 caixas", "R$ 117,36"),
    ("detergente ype na caixa fechada de 24, qto?", "R$ 52,56"),
    ("ninho lata a caixa vem com 12 latas, qto fica a caixa?", "R$ 245,88"),
])
def test_a_pack_whose_product_is_named_before_it_without_a_comma(tmp_path, message, needs):
    with on_store(tmp_path, "store9") as bot:
        reply = ask(bot, message).text
        assert needs in reply, reply


def test_more_of_the_held_out_runs_kinds_after_their_one_run(tmp_path):
    with on_store(tmp_path, "store9") as bot:
        dom = ask(bot, "so 3 pacote de cafe santa clara de 500, entregam na dom pedro?").text
        assert "3x Café" in dom and "Dom Pedro" in dom and "domingo" not in dom, dom      # "dom" is no Sunday here
        meat = ask(bot, "churrasco sabado 2 kg de picanha 3 kg de costela de boi, qto fica?", who="2").text
        assert "2 kg Picanha" in meat and "3 kg Costela" in meat, meat
    with on_store(tmp_path / "12", "store12") as bot:
        fillet = ask(bot, "vcs vendem file de pescada amarela?").text
        assert fillet.startswith("Não encontrei"), fillet
    with on_store(tmp_path / "2", "store2") as bot:
        baskets = ask(bot, "preciso de umas cestas pra firma no fim do ano, vcs fazem? qual a quantidade minima").text
        assert "cestas básicas" in baskets and "atacado" not in baskets, baskets


def test_the_sixteenth_sets_kinds_after_its_one_run(tmp_path):
    with on_store(tmp_path, "store15") as bot:
        each = ask(bot, "queijo coalho, manteiga da terra e nata, qto ta cada um?").text
        assert "Queijo Coalho" in each and "Manteiga da Terra" in each and "Nata" in each, each
        ask(bot, "quanto ta o cafe santa clara?", who="2")
        other = ask(bot, "e o de 250g ta qto?", who="2").text        # that size is of another brand
        assert "250g" in other and "R$ 9,49" in other, other
    with on_store(tmp_path / "3", "store3") as bot:
        cake = ask(bot, "quero uma cuca de doce de leite pro sabado, com quanto tempo tenho q avisar?").text
        assert "2 dias" in cake, cake


def test_the_seventeenth_sets_kinds_after_its_one_run(tmp_path):
    with on_store(tmp_path, "store4") as bot:
        smell = ask(bot, "a costela que comprei ontem tava com um cheiro muito estranho, tive que jogar fora")
        assert smell.handoff, smell.text
        grind = ask(bot, "comprei uma peça de patinho ai, o açougue moe pra mim? cobra?", who="2").text
        assert "sem custo" in grind, grind
        baskets = ask(bot, "minha empresa quer dar cesta basica pros funcionarios, vcs fazem? tem quantidade minima?",
                      who="3").text
        assert "10 cestas" in baskets, baskets
    with on_store(tmp_path / "16", "store16") as bot:
        card = ask(bot, "vcs tem um cartao de credito proprio do supermercado? quanto tempo da pra pagar").text
        assert "40 dias" in card, card


def test_a_heading_before_a_list_is_no_item(tmp_path):
    with on_store(tmp_path, "store17") as bot:
        reply = ask(bot, "limpeza: 1 omo 1,6, 3 detergente ype. qto da?").text
        assert "3x Detergente" in reply and "4x Detergente" not in reply, reply


@pytest.mark.parametrize("store,message,needs", [
    ("store15", "a peixaria descasca o camarão se eu comprar ai? quanto é?", "R$ 5,00"),
    ("store15", "o pessoal deixa a carne de sol em bife pra mim? demora?", "30 minutos"),
    ("store14", "a sopa paraguaia grande vcs preparam? rende quanto?", "2 kg"),
    ("store14", "se eu levar charque vcs deixam no ponto pro carreteiro? cobra?", "sem custo"),
])
def test_a_service_asked_of_goods_an_faq_entry_names_is_that_entry(tmp_path, store, message, needs):
    with on_store(tmp_path, store) as bot:
        reply = ask(bot, message).text
        assert needs in reply, reply


def test_a_service_entry_is_not_the_answer_to_a_price_or_a_kind_it_does_not_name(tmp_path):
    with on_store(tmp_path, "store15") as bot:
        price = ask(bot, "quanto ta o kg do camarão?").text
        assert "R$ 5,00" not in price and "o kg" in price, price
    with on_store(tmp_path / "8", "store8") as bot:
        kind = ask(bot, "vcs fazem cuca de chocolate?").text
        assert not kind.startswith("Sim"), kind


def test_goods_asked_about_in_words_no_product_has_is_the_entry_that_names_them(tmp_path):
    with on_store(tmp_path, "store12") as bot:
        heat = ask(bot, "a polpa de jucara de vcs é tratada contra aquela doença do barbeiro? fico preocupada").text
        # the entry, and nothing for the feeling said after the question ("fico" is not where the store is)
        assert "pasteurizada" in heat and "Av. dos Holandeses" not in heat, heat
        both = ask(bot, "qto ta a jucara? e o endereço", who="2").text
        assert "R$ 21,90" in both and "Av. dos Holandeses" in both, both
    with on_store(tmp_path / "15", "store15") as bot:
        goat = ask(bot, "tem carne de bode? qto o kg? quero fazer guisado").text
        assert "R$ 42,90" in goat and "carne de sol" not in goat, goat


def test_counts_said_after_the_goods_and_um_opening_an_item(sample_bot):
    after = ask(sample_bot, "anota ai: detergente 4, sabonete 3 e oleo 2, macarrao dois").text
    assert all(s in after for s in ("4x Detergente", "3x Sabonete", "2x Óleo", "2x Macarrão")), after
    assert "Não encontrei" not in after, after
    spoken = ask(sample_bot, "me ve dois feijao um acucar e tres leite", who="2").text
    assert all(s in spoken for s in ("2x Feijão", "1x Açúcar", "3x Leite")), spoken
    # a number for whom the list is, not a count of goods
    heading = ask(sample_bot, "janta pra 2: 1 macarrao e 1 oleo", who="3").text
    assert "2x" not in heading and "1x Macarrão" in heading, heading


def test_a_price_of_a_kind_an_entry_prepares_another_kind_of_is_the_product_and_com_quanto_is_one_question(tmp_path):
    with on_store(tmp_path, "store18") as bot:
        black = ask(bot, "quanto ta o feijao preto?").text
        assert black.startswith("Não encontrei") and "encomenda" not in black, black
        kit = ask(bot, "o kit do caruru de setembro eu preciso encomendar com quanto tempo de antecedencia?",
                  who="2").text
        assert "5 dias" in kit, kit


def test_where_the_customer_lives_said_before_the_question(tmp_path):
    with on_store(tmp_path, "store18") as bot:
        far = ask(bot, "moro em itapua perto do farol, chega entrega de vcs aqui?").text
        assert far.startswith("Infelizmente") and "itapua" in far.lower(), far
        near = ask(bot, "moro na pituba, vcs entregam aqui?", who="2").text
        assert near.startswith("Sim") and "Pituba" in near, near


def test_packs_a_bag_holds_and_the_size_of_each_said_after(tmp_path):
    with on_store(tmp_path, "store18") as bot:
        bag = ask(bot, "1 saco de farinha copioba, aquele q vem 10 pacotes de 1kg, sai a quanto?").text
        assert "10x Farinha" in bag and "R$ 69,00" in bag, bag
        rolls = ask(bot, "um fardo de papel higienico personal, q vem 6 pacotes de 12 rolos, qto custa?", who="2").text
        assert "6x Papel" in rolls and "18x" not in rolls, rolls


def test_a_problem_asked_as_a_returns_question_gets_the_policy_and_a_way_to_a_person(tmp_path):
    with on_store(tmp_path, "store18") as bot:
        asked = ask(bot, "comprei arroz ontem e veio com bicho, se eu levar de volta vcs trocam?")
        assert "Trocas em até 7 dias" in asked.text and "*atendente*" in asked.text and not asked.handoff, asked.text
        # a problem word the entry itself uses for the service asked is no problem
        service = ask(bot, "vcs deixam o feijao fradinho quebrado pra mim? tem minimo?", who="2")
        assert "2 kg" in service.text and not service.handoff, service.text
        told = ask(bot, "o peixe que comprei veio estragado!!! quero meu dinheiro de volta", who="3")
        assert told.handoff, told.text


def test_faq_topics_customers_describe_and_occasions_said_before_the_promotions_asked(tmp_path):
    with on_store(tmp_path, "store18") as bot:
        cases = [("o abara e o acaraje da barraquinha saem que dia?", "quinta a sábado"),
                 ("vcs tem aquele isopor grande pra emprestar? quero gelar umas cervejas", "120 litros"),
                 ("acabou o gas aqui, vcs trocam o bujao? qual o valor?", "R$ 112,00"),
                 ("da pra pagar conta de luz ai no mercado?", "8h"),
                 ("na quarta de cinzas vcs abrem que horas?", "meio-dia"),
                 ("vou de carro, tem onde parar? é pago?", "2 horas"),
                 ("to planejando uma moqueca pro domingo. o que ta em oferta?", "R$ 14,90")]
        ask_each(bot, cases)


def test_a_pronoun_for_goods_named_sentences_before_and_a_dish_wanted_before_the_price(tmp_path):
    with on_store(tmp_path, "store18") as bot:
        told = ask(bot, "levei costela ai semana passada, ficou uma delicia!! os meninos adoraram. ela ta saindo "
                        "a quanto o kg hj?").text
        assert told.startswith("*Costela") and "R$ 32,90" in told, told
        dish = ask(bot, "to querendo fazer um cuscuz pra janta, o flocao ta qto?", who="2").text
        assert "R$ 2,79" in dish and "orçamento" not in dish, dish


def test_an_amount_set_aside_after_a_price_and_cheaper_asked_as_its_own_part(sample_bot):
    ask(sample_bot, "qto ta o kg da picanha?")
    kept = ask(sample_bot, "entao separa 1,5 kg pra mim, quanto vai dar?").text
    assert "R$ 104,85" in kept, kept
    ask(sample_bot, "o arroz tipo 1 ta quanto?", who="2")
    cheaper = ask(sample_bot, "e levando 6 pacotes, baixa?", who="2").text
    assert cheaper.startswith("Sim") and "R$ 25,49" in cheaper, cheaper


def test_follow_ups_of_the_twentieth_set_after_its_one_run(tmp_path):
    with on_store(tmp_path, "store19") as bot:
        ask(bot, "qto ta o guarana antarctica 2l?")
        bulk = ask(bot, "com quantas garrafas eu pego o preço de atacado?").text
        assert "Guaraná" in bulk and "R$ 7,89" in bulk and "Brahma" not in bulk, bulk
        ask(bot, "qto o requeijao cremoso?", who="2")
        same = ask(bot, "levando 6 copos o preço cai?", who="2").text
        assert same.startswith("Não"), same
        ask(bot, "vcs entregam em realengo?", who="3")
        fee = ask(bot, "show, e quanto cobram pra trazer?", who="3").text
        assert "R$ 13,50" in fee, fee
        van = ask(bot, "tem algum transporte gratuito pra quem mora longe ir ate o mercado?", who="4").text
        assert "Leva e Traz" in van, van


def test_weights_said_after_the_goods_and_a_total_asked_with_deu(tmp_path):
    with on_store(tmp_path, "store19") as bot:
        listed = ask(bot, "mortadela meio kg, presunto 200g, 2 iogurte de morango e 1 detergente, quanto deu").text
        assert all(s in listed for s in ("0,5 kg Mortadela", "0,2 kg Presunto", "2x Iogurte", "1x Detergente")), listed
        assert "Não encontrei" not in listed, listed
    with on_store(tmp_path / "10", "store9") as bot:      # a size after packaged goods is no amount
        sized = ask(bot, "quanto ta o café santa clara 500g e o açucar?").text
        assert "orçamento" not in sized and "Café" in sized, sized


def test_a_delivery_question_after_a_list_on_one_line_and_what_goods_we_lack_are_for(tmp_path):
    with on_store(tmp_path, "store19") as bot:
        below = ask(bot, "me ve 1 farofa yoki e 2 cafe pilao, vcs levam em realengo?").text
        assert "Realengo" in below and "ainda não chega ao pedido mínimo" in below and "R$ 100,00" in below, below
        lacking = ask(bot, "vcs vendem pipoca doce? é pra revender na porta da escola", who="2").text
        assert lacking.startswith("Não encontrei") and "R$" not in lacking, lacking
    with on_store(tmp_path / "8", "store8") as bot:
        brand = ask(bot, "tem heineken long neck ai?").text
        assert brand.startswith("Não encontrei") and "Eisenbahn" in brand, brand


def test_promotions_asked_as_good_prices_and_for_a_feijoada(tmp_path):
    with on_store(tmp_path, "store19") as bot:
        good = ask(bot, "quais frutas estao com preço bom essa semana?").text
        assert "R$ 3,69" in good and "R$ 4,85" in good, good
        dish = ask(bot, "sabado tem feijoada aqui em casa, o que ta em promoção pra fazer ela?", who="2").text
        assert "R$ 7,99" in dish and "R$ 39,90" in dish and "R$ 5,89" not in dish, dish


def test_an_amount_said_before_a_delivery_question_of_that_size_and_a_pack_after_a_colon(tmp_path):
    with on_store(tmp_path, "store19") as bot:
        small = ask(bot, "pô, so vou gastar uns 70 reais, vcs entregam um pedido nesse valor?").text
        assert small.startswith("Não") and "R$ 100,00" in small and "Pó" not in small, small
    with on_store(tmp_path / "8", "store8") as bot:
        packed = ask(bot, "leite semidesnatado tirol pro cafe da firma: 3 caixas fechadas de 12, qto fica?").text
        assert "36x Leite UHT Semidesnatado" in packed, packed


def test_a_quote_answered_among_the_parts_of_a_message_is_the_cart_an_edit_changes(sample_bot):
    first = ask(sample_bot, "vou fazer um bolo pro lanche de domingo, a familia vem. 2 acucar, 3 leite e 1 manteiga")
    assert "3x Leite" in first.text and first.buttons, first.text
    edited = ask(sample_bot, "errei, leite é so 2, refaz a conta").text
    assert "agora 2x" in edited and "2x Açúcar" in edited and "1x Manteiga" in edited, edited


@pytest.mark.parametrize("message,needs", [
    ("leva guarana pro aniversario: tres fardos de 2L, cada um tem 6 garrafas. total?", "18x Refrigerante Guaraná"),
    ("qto fica 1 fardo de coca 2l? vem 6 em cada", "6x Refrigerante Cola"),
    ("o oleo de 900ml a caixa vem com 20, quanto sai a caixa", "20x Óleo de Soja"),
    ("a cerveja lata vem em caixa com 12 latas? quero uma caixa, quanto fica", "12x Cerveja Lata"),
    ("queria a caixa de creme dental, vem 12 unidades, quanto sai cada e o total?", "12x Creme Dental"),
])
def test_packs_described_around_the_count(sample_bot, message, needs):
    reply = ask(sample_bot, message).text
    assert needs in reply and "Total" in reply, reply


def test_cheaper_says_from_how_many_the_wholesale_price_starts(sample_bot):
    ask(sample_bot, "qto ta o arroz tipo 1?")
    cheaper = ask(sample_bot, "levando 8 sai mais barato?").text
    assert cheaper.startswith("Sim") and "a partir de 6 unidades" in cheaper, cheaper


def test_the_twenty_first_sets_kinds_after_its_one_run(tmp_path):
    with on_store(tmp_path, "store20") as bot:
        cases = [("tem frango assado no domingo? quanto é?", "R$ 32,90"),
                 ("da pra pagar a fatura de agua ai no mercado?", "8h às 18h"),
                 ("sou de intermares, vcs entregam?", "Infelizmente"),
                 ("sou do altiplano, entregam?", "Sim, entregamos em Altiplano"),
                 ("2 omo grande e 1 detergente, quanto fica?", "2x Sabão em Pó 1,6kg"),
                 ("1 kg e 300g de queijo coalho e 2 coca lata, quanto da?", "1,3 kg Queijo Coalho"),
                 ("boa tarde, desculpa a demora pra responder, tava resolvendo umas coisas aqui, mas enfim: o queijo "
                  "coalho ta saindo por quanto?", "R$ 44,90")]
        ask_each(bot, cases)
        ask(bot, "vcs entregam em manaira?", who="fee")
        fee = ask(bot, "e o frete, qto fica?", who="fee").text
        assert "R$ 10,50" in fee and "botijão" not in fee, fee
        listed = ask(bot, "se eu pedir 5 flocao e 1 cafe sao braz vcs entregam no bessa?", who="list").text
        assert "5x Flocão" in listed and "1x Café" in listed and "Bessa" in listed and "pedido mínimo" in listed, listed
    with on_store(tmp_path / "6", "store6") as bot:
        kit = ask(bot, "vou fazer um churras pra 30 pessoas, vcs montam tudo?").text
        assert "1 dia" in kit, kit
        cuts = ask(bot, "vcs fazem aqueles cortes no pintado?", who="2").text
        assert "sem custo" in cuts, cuts


def test_kinds_said_with_em_or_a_scent_brands_known_and_an_alias_inside_a_longer_name(tmp_path):
    with on_store(tmp_path, "store17") as bot:
        bar = ask(bot, "tem doce de leite em barra?").text
        assert bar.startswith("Não encontrei exatamente") and "em barra" in bar, bar
    with on_store(tmp_path / "18", "store18") as bot:
        scent = ask(bot, "vcs tem desinfetante com cheiro de pinho?").text
        assert scent.startswith("Não encontrei"), scent
    with on_store(tmp_path / "15", "store15") as bot:
        brand = ask(bot, "tem o cafe 3 coracoes?").text
        assert brand.startswith("Não encontrei"), brand
    with on_store(tmp_path / "10", "store10") as bot:          # a day of the week is never a product ("sábado")
        day = bot.searcher.search("preciso de mussarela pra pizza de sabado").best
        assert day is not None and "Mussarela" in day.product.name, day


def test_an_item_of_the_goods_before_and_a_count_of_goods_sold_by_the_kilo_each_of_a_weight(tmp_path):
    with on_store(tmp_path, "store9") as bot:
        cakes = ask(bot, "me ve 1 bolo de macaxeira e 2 de cupuaçu, quanto fica?").text
        assert "1x Bolo de Macaxeira" in cakes and "2x Bolo de Cupuaçu" in cakes and "Polpa" not in cakes, cakes
        fish = ask(bot, "2 tambaqui inteiro de uns 3 kg e 5 farinha d agua, total?", who="2").text
        assert "6 kg Tambaqui Inteiro" in fish, fish


def test_a_service_asked_in_the_part_after_the_goods_are_told(tmp_path):
    with on_store(tmp_path, "store14") as bot:
        told = ask(bot, "vou querer uma forma de sopa paraguaia pro niver do meu sogro, tem q avisar com qta "
                        "antecedencia?").text
        assert "1 dia" in told, told


def test_the_twenty_second_sets_kinds_after_its_one_run(tmp_path):
    with on_store(tmp_path, "store21") as bot:
        cases = [("quanto ta a manteiga de garrafa?", "Manteiga de Garrafa"),          # an alias with its "de"
                 ("minha vó tem 70 anos, tem algum desconto pra ela? qual dia?", "5%"),
                 ("ate que horas tem aquele flocao cozido no vapor de manha?", "9h30"),
                 ("quais frios estao com preço baixado?", "R$ 39,90"),
                 ("2 engradado de itaipava 600 com 24 garrafa cada, quanto fica?", "48x Cerveja Garrafa 600ml"),
                 ("aqui é a vizinha do lado kkk vcs sao otimos, sempre compro ai. me diz o preço da massa puba",
                  "R$ 7,90"),
                 ("moro na farolandia, so vou gastar uns 40 reais, vcs levam?", "R$ 65,00")]
        ask_each(bot, cases)
    with on_store(tmp_path / "10", "store10") as bot:
        frios = ask(bot, "tem promoção no balcão dos frios? presunto, queijo...").text
        assert not frios.startswith("Sim") and "Frios" in frios, frios


def test_a_schedule_asked_of_goods_an_entry_names(tmp_path):
    with on_store(tmp_path, "store12") as bot:
        day = ask(bot, "que dia da semana chega caranguejo vivinho ai?").text
        assert "terças" in day and "sextas" in day, day
        hours = ask(bot, "sabado vcs fecham que horas?", who="2").text       # the hours, not an entry "na hora"
        assert "sábado" in hours.lower(), hours


def test_the_twenty_third_sets_kinds_after_its_one_run(tmp_path):
    with on_store(tmp_path, "store22") as bot:
        kind = ask(bot, "polpa de maracuja vcs trabalham?").text           # a flavour an entry's fair is named for
        assert kind.startswith("Não encontrei") and "Arraial" not in kind, kind
        soon = ask(bot, "se eu fechar meu pedido agora chega hoje?", who="2")
        assert not soon.handoff and soon.text.startswith("Sim"), soon.text
        cases = [("tenho mei e vendo na rua, tem preço diferenciado pra comerciante?", "3%"),
                 ("meu filho mora no interior, vcs mandam compra de onibus pra ele?", "R$ 350,00")]
        ask_each(bot, cases, who="c")
    with on_store(tmp_path / "12", "store12") as bot:
        baked = ask(bot, "pão de queijo pra assar em casa, vcs tem?").text
        assert "Fazemos entregas" not in baked and "R$" not in baked, baked
        crabs = ask(bot, "que dia chega os bicho de corda vivo?", who="2")
        assert "terças" in crabs.text and not crabs.handoff, crabs.text
        oil = ask(bot, "a gordura da fritura eu guardo numa garrafa pet, vcs recolhem?", who="3").text
        assert "2 litros" in oil, oil
        kit = ask(bot, "vcs vendem os ingredientes tudo junto pro arroz de cuxá?", who="4").text
        assert "R$ 29,90" in kit, kit
        box = ask(bot, "1 caixa de leite de coco sococo, vem 24 vidrinho, quanto fica", who="5").text
        assert "24x Leite de Coco" in box, box


def test_the_twenty_third_sets_last_failures_read_in_general_words(tmp_path):
    """Session 8, tuned on eval23's failures: a vocative is no goods word ("maninho"); "um de 3 quilos"
    after fish sold by the kilo is 3 kg; "de quilo", "de litro" are the 1 kg and 1 L sizes and a part that
    begins "de ..." is the size of what was just asked; "latinha" the small can; the minimum order asked
    as "quanto tem que dar no mínimo o pedido"; the hour asked of goods an entry names is that entry."""
    with on_store(tmp_path, "store22") as bot:
        fish = ask(bot, "tem tambaqui inteiro maninho? qto o kg").text
        assert fish.startswith("*Tambaqui Inteiro kg*") and "não vendemos" not in fish, fish
        whole = ask(bot, "e se eu levar um de 3 quilos?").text
        assert "R$ 56,70" in whole, whole
        cases = [("2 fardos de arroz de quilo cone sul, o fardo tem 10 pacote", "20x Arroz Branco Tipo 1 1kg"),
                 ("3 skol latinha", "3x Cerveja Lata 350ml"),
                 ("qual o valor do frete e qto tem q dar no minimo o pedido pra vcs levarem?", "R$ 70,00"),
                 ("o tacacá de vcs começa a sair q horas? e domingo a loja abre?", "15h às 19h")]
        ask_each(bot, cases, who="c")
        one = ask(bot, "o açai de vcs tem? de litro", who="d").text
        assert one.startswith("*Açaí Médio 1L*") and "Encontrei estes" not in one, one
        rice = ask(bot, "arroz cone sul de quilo", who="e").text
        assert rice.startswith("*Arroz Branco Tipo 1 1kg*"), rice
        hours = ask(bot, "sabado vcs vao ate q hora?", who="f").text       # no goods named: the store's hours
        assert "20h30" in hours and "açougue" not in hours.lower(), hours


def test_a_days_own_cut_off_and_the_days_without_delivery_are_read_from_the_delivery_text():
    rule = ("Pedidos confirmados até as 13h são entregues no mesmo dia, entre 16h e 20h; depois disso, no dia "
            "seguinte. Aos sábados só entregamos pedidos confirmados até as 11h, e aos domingos e feriados não há "
            "entrega.")
    assert facts.cutoff_minutes(rule) == 13 * 60
    assert facts.cutoff_minutes(rule, "sat") == 11 * 60 and facts.cutoff_minutes(rule, "mon") == 13 * 60
    assert facts.no_delivery_days(rule) == {"sun"}            # not Saturday, named in the clause before
    assert facts.no_delivery_days("Não entregamos aos domingos, feriados e segundas. Pedidos até sábado.") \
        == {"sun", "mon"}


def test_the_twenty_fourth_sets_kinds_after_its_one_run(tmp_path):
    """Session 8, tuned on eval24's failures after its one run: a day's own cut-off checked against the time
    asked; "às 5 e meia ... já estão abertos? ... antes do trabalho" is the morning; "12 garrafinha cada
    fardo"; a price, then "e a partir de quanto o frete fica grátis?"; "vocês ficam até quando?" is the hours,
    not the address; "que época vocês têm?" of goods an entry names, told in the sentence before."""
    with on_store(tmp_path, "store23") as bot:
        late = ask(bot, "sabado umas 3 da tarde se eu mandar a lista ainda entregam no mesmo dia?").text
        assert late.startswith("Não") and "11h" in late, late
        early = ask(bot, "amanha as 5 e meia vcs ja tao abertos? queria passar antes do trabalho", who="2").text
        assert early.startswith("Não") and "5h30" in early, early
        cases = [("domingo entregam no mesmo dia?", "Não, no domingo não fazemos entregas"),
                 ("2 fardo de agua 500ml, 12 garrafinha cada fardo", "24x Água Mineral"),
                 ("quanto ta a picanha e a partir de qto o frete fica gratis?", "R$ 79,90")]
        ask_each(bot, cases, who="c")
    with on_store(tmp_path / "14", "store14") as bot:
        sunday = ask(bot, "ate que horas posso ir hj? e no domingo vcs ficam ate quando?").text
        assert "No domingo abrimos" in sunday and "Avenida" not in sunday, sunday
        season = ask(bot, "queria a frutinha da guavira mesmo, nao a polpa. que epoca vcs tem?", who="2").text
        assert "novembro a janeiro" in season, season


def test_the_twenty_fourth_sets_lists_edits_and_places_after_its_one_run(tmp_path):
    """Session 8, eval24 after its one run: counts written "x2" after the goods; weights in brackets after
    them and a weight said after the goods that ends an item; "com" between two weighed items; the dozens
    said again in units; "vocês levam no <bairro>?" is delivery, though an entry "leva as compras até o
    carro"; "e quanto é a taxa pra lá?" after it; "pensando melhor, só 1 kg e meio de X"; a size the store
    lacks, asked with "preciso ... chegou aí?"; two FAQ entries asked in other words."""
    with on_store(tmp_path, "store23") as bot:
        cases = [("limpeza do mes:\nomo 1,6 x2\ndetergente x6\nagua sanitaria x3\npapel higienico neve x2",
                  "R$ 123,09"),
                 ("qto fica 1 kg e meio de carne de sol com 2 kg de macaxeira?", "R$ 72,33"),
                 ("pia, pro são joão eu quero 2 duzia de milho verde, 24 espiga ne kkk, qto fica?", "24x Milho"),
                 ("vcs levam no farol?", "Sim, entregamos em Farol"),
                 ("sou idosa e nao aguento peso, alguem ai me ajuda a levar as sacolas ate o uber?", "R$ 150,00"),
                 ("tenho uma mercearia no jacintinho, da pra levar a mercadoria e pagar so no fim do mes?",
                  "28 dias")]
        ask_each(bot, cases, who="c")
        ask(bot, "vcs entregam no poço?", who="fee")
        fee = ask(bot, "e qto é a taxa pra la?", who="fee").text
        assert fee.startswith("A taxa de entrega é R$ 7,90"), fee
        ask(bot, "quanto da 2 kg de picanha e 1 kg de costela?", who="edit")
        edit = ask(bot, "pensando melhor, so 1 kg e meio de picanha, e a costela sobe pra 3 kg", who="edit").text
        assert "R$ 197,55" in edit and "Não entendi" not in edit, edit
    with on_store(tmp_path / "14", "store14") as bot:
        meat = ask(bot, "preciso de carne de sol (1,5 kg), linguiça de maracaju (2 kg) e charque (1 kg), qual o "
                        "total?").text
        assert "R$ 173,05" in meat, meat
        size = ask(bot, "preciso do seda grandao, de 700ml, chegou ai?", who="2").text
        assert size.startswith("Não encontrei exatamente *seda 700ml*"), size


def test_the_twenty_fifth_sets_kinds_after_its_one_run(tmp_path):
    """Session 8, eval25 after its one run, whose three invented prices and wrong "Sim" were FAQ entries
    answered beside what was asked: a size the entry does not name ("cajuína de 2 litros" is not the entry
    about gift boxes of cajuína); "a de 15kg" is the size of what was just asked, not an entry's "12 a 15 kg";
    "quanto sai o copinho?" shares one word with an entry's answer, and asks a price; "em quantos dias?"
    right after an entry names none of its own. Then: an entry that tells of more of what was said beats the
    one a paraphrase names; a cart edit "X faz 6 ao invés de 3", "corta a X"; "pra fazer uma maria isabel"
    is no item; goods named whole in chatter before "quanto tá o pote dele?", not a brand word said last."""
    with on_store(tmp_path, "store16") as bot:
        size = ask(bot, "queria cajuína de garrafa de 2 litro, tem?").text
        assert size.startswith("Não encontrei exatamente") and "R$ 4,00" not in size, size
        ask(bot, "me ve 3 omo, 2 desinfetante pinho sol e 1 detergente", who="edit")
        edit = ask(bot, "pode tirar o detergente, e omo faz 6 ao invés de 3", who="edit").text
        assert "R$ 157,74" in edit and "Não entendi" not in edit, edit
        dish = ask(bot, "quero 2 arroz vermelho 1 kg de carne de sol 1 manteiga da terra e 3 cheiro verde pra fazer "
                        "uma maria isabel", who="2").text
        assert "2x Arroz Vermelho" in dish and "R$ 103,28" in dish, dish
    with on_store(tmp_path / "24", "store24") as bot:
        food = ask(bot, "tem ração de cachorro ai? a de 15kg").text
        assert "R$" not in food, food
        cup = ask(bot, "iogurte sabor pessego vcs tem? quanto sai o copinho", who="2").text
        assert "R$ 7,00" not in cup and "garapeira" not in cup, cup
        party = ask(bot, "se sobrar cerveja fechada da festa de casamento posso devolver? em qtos dias", who="3").text
        assert "2 dias" in party and "R$ 54,90" not in party and "7 dias" not in party, party
        cases = [("tem garapa ai? quanto o copo", "R$ 7,00"),
                 ("moro numa rep de estudante da usp, vcs dao algum desconto pra gente?", "5%"),
                 ("da pra eu encostar o carro e vcs trazerem as sacolas ate ele? e o pão frances ta qto o kg",
                  "30 minutos"),
                 ("bom diaaa tudo bem? nossa q calor ta fazendo em ribeirao hj neh, 36 graus ja de manha kkk 🥵 minha "
                  "vó falou q o doce de abobora com coco de vcs é igualzinho o q ela fazia no sitio rs. me fala uma "
                  "coisa, quanto ta o pote dele?", "R$ 12,90")]
        ask_each(bot, cases, who="c")
        ask(bot, "preciso de 1 kg de mussarela, 1 kg de mortadela e 1 kg de pão frances", who="cut")
        cut = ask(bot, "corta a mortadela e o pão faz 2 kg", who="cut").text
        assert "R$ 73,70" in cut, cut


def test_the_twenty_sixth_sets_kinds_after_its_one_run(tmp_path):
    """Session 8, eval26 after its one run: goods named in a sentence, then counted ("vou revender açaí,
    se eu levar 10 pacote do médio") are one item, not eleven (its invented price); the store's closing
    time asked is no entry that says "sábado"; an amount said before "vocês mandam entregar?" is the
    question's; "e nas frutas e verduras?" right after promotions; a section asked after a brand word;
    goods named for an occasion; a tie between entries goes to the one meeting more words; a long sentence
    told before the question whatever day it names, and "quanto tá cada um?" of the goods told; "tem alguém
    cuidando?" asks no person; a size said "de 500" before the next item's count."""
    with on_store(tmp_path, "store25") as bot:
        cases = [("vou revender açai, se eu levar 10 pacote do medio qto fica?", "10x Açaí Médio"),
                 ("sabado fecha q horas?", "No sábado abrimos"),
                 ("queria pedir so umas coisinhas, deu uns 65 reais, vcs mandam entregar assim msm?",
                  "Não, com R$ 65,00"),
                 ("oi, tem oferta em produto de limpeza? e nas frutas e verduras tb?", "Promoções em *Hortifruti*"),
                 ("vai ter marabaixo na nossa rua sabado, o que ta em promoção nas bebidas?", "R$ 10,29"),
                 ("to montando um cafe da manha caprichado pro dia das maes, o q tem em promo de pao, bolo, manteiga "
                  "e cafe?", "R$ 14,90"),
                 ("vai ter ladainha e batuque aqui em casa em maio, vcs preparam um pacote com a bebida de gengibre, "
                  "a carne e a farinha? quanto sai?", "R$ 159,90"),
                 ("boa tarde! minha vó faz 90 anos domingo e ela ama o bolo de macaxeira de vcs, diz que é igualzinho "
                  "o que ela fazia no interior, la no mazagão. ela pediu pra eu levar uns dois. quanto ta cada um?",
                  "R$ 14,90"),
                 ("fiquei meio chateada semana passada pq a fila tava enorme, mas tudo bem, acontece, sei q era "
                  "vespera de feriado. esse inverno ta cheio de carapanã aqui em casa, to precisando de repelente, "
                  "qto ta o de vcs?", "R$ 15,90"),
                 ("aqui no bairro vive faltando luz, ai no mercado se apagar tudo os freezer desligam? tenho medo de "
                  "levar carne estragada", "12 horas"),
                 ("manda o valor de 12 agua de 500 5 leite integral 2 manteiga e 1 papel higienico neve", "R$ 82,73")]
        ask_each(bot, cases, who="c")
    with on_store(tmp_path / "11", "store11") as bot:
        kids = ask(bot, "posso deixar meu piá de 5 anos brincando enquanto faço as compras? tem alguem cuidando?")
        assert not kids.handoff and "40 minutos" in kids.text, kids.text
        ask(bot, "me passa o valor de 5 omo e 1 amaciante comfort", who="edit")
        edit = ask(bot, "faz 6 omo em vez de 5", who="edit").text
        assert "R$ 169,30" in edit, edit


def test_the_twenty_seventh_sets_kinds_after_its_one_run(tmp_path):
    """Session 8, eval27 after its one run: a size said without its unit ("coca de 600") or a can the store
    lacks, however cold it is asked; "..." ends a sentence; goods named after an FAQ's part are priced; an
    amount "fechar em 650"; the amount told before "..." and a free-delivery question; paraphrases for
    foreign money, the farmers' fair, lunch by the kilo; cart edits "pera, a X é 10 e não 4" and "coloca 2
    de açaí no lugar" where a brand of another item in the cart says "Açaí"."""
    with on_store(tmp_path, "store26") as bot:
        cases = [("coca de 600 tem ai?", "Não encontrei exatamente *coca de 600*"),
                 ("égua mana, que calor q ta em bv hj né 🥵 nem da vontade de sair de casa. to pensando em fazer umas "
                  "tapioca pro lanche da tarde dos meninos, eles adoram com queijo coalho e manteiga derretendo... a "
                  "goma ta qto?", "R$ 11,49"),
                 ("dá pra deixar a moto ai na frente? e o matrinxã ta qto o kg", "R$ 27,90"),
                 ("se a compra fechar em 650 consigo parcelar em 6x?", "Sim! Com R$ 650,00"),
                 ("égua, o pedido deu 320 conto... a entrega sai de graça ou nao?", "Não, com R$ 320,00"),
                 ("meu cunhado veio de lethem e so tem dinheiro americano, ele consegue pagar as compras com isso?",
                  "caixa 1"),
                 ("ouvi dizer q tem uns agricultor vendendo verdura ai na frente da loja, que dia que eles vem?",
                  "quintas"),
                 ("da pra comer ai dentro na hora do meio dia? quanto ta o quilo da comida", "R$ 62,90")]
        ask_each(bot, cases, who="c")
        ask(bot, "3 farinha d agua, 4 harina pan e 2 feijão de corda, qto fica?", who="e1")
        harina = ask(bot, "pera, a harina é 10 e nao 4", who="e1").text
        assert "R$ 135,25" in harina, harina
        ask(bot, "orçamento: 1 polpa de cupuaçu, 2 polpa de buriti e 1 kg de pão francês", who="e2")
        acai = ask(bot, "tira o buriti e coloca 2 de açaí no lugar", who="e2").text
        assert "R$ 78,19" in acai, acai
    with on_store(tmp_path / "13", "store13") as bot:
        can = ask(bot, "queria coca lata geladinha, tem?").text
        assert can.startswith("Não encontrei exatamente *coca lata*"), can


def test_the_goods_named_for_an_occasion_are_its_promotions_and_examples_widen_them(tmp_path):
    """Goods named beside an occasion are what is asked ("pro café da manhã ... tem promo de tucumã, queijo
    coalho ou banana pacovã?": those, not the coffee on promotion); with "essas coisas" they are examples
    of the occasion's goods; a store's alias names goods too ("cuscuz" for the flocão)."""
    with on_store(tmp_path, "store9") as bot:
        named = ask(bot, "vou fazer x-caboquinho pro café da manha, tem promo de tucumã, queijo coalho ou banana "
                         "pacovã?").text
        assert "Queijo Coalho" in named and "Café" not in named, named
    with on_store(tmp_path / "12", "store12") as bot:
        alias = ask(bot, "pro cafe da manha aqui de casa (cuscuz, cafe, leite e queijo) tem oq em promocao?").text
        assert "Flocão" in alias, alias
    with on_store(tmp_path / "5", "store5") as bot:
        examples = ask(bot, "tem alguma oferta pro cafe da manha? pão, queijo, essas coisas").text
        assert "R$ 28,90" in examples, examples


def test_the_last_three_sets_kinds_after_their_one_runs(tmp_path):
    """Session 8, eval28 ... eval30 after their one runs: "ainda consigo fazer umas compras aí ou já fechou?"
    and "já dá pra entrar aí?" check the day and time asked (a wrong "Sim" before); a sentence after the
    question that only says why is no question; "funcionando agora?"; goods priced by their jar, not an
    entry that shells them (an invented price before); "meu pedido vai dar uns 320" asks no person; an amount
    checked against the rule just asked; "3 goma com 2 flocão"; "... nessa conta" in a cart edit."""
    with on_store(tmp_path, "store28") as bot:
        late = ask(bot, "sabado la pras 20h30 ainda consigo fazer umas compras ai ou ja fechou?").text
        assert late.startswith("Não") and "20h30" in late, late
        early = ask(bot, "amanha umas 7h da manha ja da pra entrar ai? quero chegar cedo antes do serviço",
                    who="2").text
        assert early.startswith("Não") and "ora-pro-nóbis" not in early, early
    with on_store(tmp_path / "29", "store29") as bot:
        now = ask(bot, "bom dia, vcs ja tao funcionando agr? queria passar ai antes do almoço").text
        assert "Sim, estamos abertos agora" in now, now
    with on_store(tmp_path / "27", "store27") as bot:
        jar = ask(bot, "quanto ta o vidro do pequi?").text
        assert jar.startswith("*Pequi em Conserva 500g*") and "R$ 4,00" not in jar, jar
        ask(bot, "pra peixada: 2 kg de tucunare e 1 kg de pintado, qnto da?", who="edit")
        more = ask(bot, "coloca mais 1 kg de caranha nessa conta", who="edit").text
        assert "Coloquei 1 kg Caranha" in more, more
    with on_store(tmp_path / "17", "store17") as bot:
        free = ask(bot, "meu pedido vai dar uns 320, o frete sai de graça?")
        assert not free.handoff and free.text.startswith("Sim"), free.text
    with on_store(tmp_path / "15", "store15") as bot:
        cases = [("a partir de qto o frete é gratis? 300 reais ja da?", "Sim! Com R$ 300,00"),
                 ("somando 3 goma de tapioca com 2 flocao da qnto? e vcs levam em ponta negra?", "R$ 31,45")]
        ask_each(bot, cases, who="c")


def test_a_can_the_store_lacks_asked_two_ways_and_lists_run_together(tmp_path):
    """Session 8, eval29/eval30 after their runs: "latão ou lata?" and "vem em latinha?" of goods sold only
    in bottles; "1 kg e meio de calabresa" and "café santa clara 500 1 ninho" open the next item; a list
    then "vocês entregam/levam aqui no <bairro>?" with no comma gets both answers ("pedindo às 17h30 vocês
    entregam?" stays one question)."""
    with on_store(tmp_path, "store29") as bot:
        cases = [("vcs tem heineken latão ou lata?", "Não encontrei exatamente *heineken lata*"),
                 ("o guarana curupira vem em latinha tb?", "Não encontrei exatamente"),
                 ("preciso de 12 latinha de cerpa 2 guarana antarctica 2l 3 saco de carvao 1 kg e meio de calabresa e "
                  "2 kg de picanha qto da tudo", "R$ 307,31"),
                 ("se eu pegar 6 arroz 5kg, 10 oleo e 2 omo vcs entregam na aparecida?",
                  "Sim, entregamos em Aparecida")]
        ask_each(bot, cases, who="c")
    with on_store(tmp_path / "9", "store9") as bot:
        listed = ask(bot, "quanto da 1 arroz 5kg 2 acucar 1 cafe santa clara 500 1 ninho e 12 leite de "
                          "caixinha").text
        assert "R$ 145,36" in listed, listed
    with on_store(tmp_path / "17", "store17") as bot:
        both = ask(bot, "se eu pedir só 2 oleo liza e 1 fuba mimoso vcs levam aqui no fundinho?").text
        assert "R$ 18,07" in both and "R$ 90,00" in both, both


def test_the_thirty_first_and_second_sets_kinds_after_their_one_runs(tmp_path):
    """Session 8, eval31/eval32 after their one runs: delivery asked of a place an FAQ entry names is
    delivery (a wrong "Sim" before); "levando quantos?" after a wholesale answer is its detail, not an entry
    (an invented price before); "tenho 2 cachorro aqui em casa" counts no goods and asks no delivery (one
    more); the fee and the minimum asked together; "coisa de 80 reais... vocês levam assim mesmo?"; "a
    tempo"; "rola X?"; "X tem ou só Y?" of one product; "daquelas fechada com 12"; cart edits
    "tira X e faz 6 Y", "desiste do X"."""
    with on_store(tmp_path, "store30") as bot:
        place = ask(bot, "vcs fazem entrega la no alto do moura? moro perto da casa de mestre vitalino").text
        assert place.startswith("Infelizmente") and "alto do moura" in place.lower() and "Encontrei" not in place, place
        food = ask(bot, "vcs vendem ração? tenho 2 cachorro aqui em casa", who="2").text
        assert "R$" not in food, food
        late = ask(bot, "amanha la pelas 20:30 ainda to a tempo de fazer umas compras ai?", who="3").text
        assert late.startswith("Não") and "20h" in late, late
    with on_store(tmp_path / "19", "store19") as bot:
        ask(bot, "me diz o valor do paio", who="paio")
        detail = ask(bot, "tem preço de atacado? levando qtos?", who="paio").text
        assert "R$ 150,00" not in detail and "Leva e Traz" not in detail, detail
        cases = [("heineken latinha tem ou so long neck msm?", "Não encontrei exatamente"),
                 ("rola mate de pêssego aí? 🍑", "Não encontrei exatamente")]
        ask_each(bot, cases, who="c")
        ask(bot, "separa 2 feijao kicaldo, 1 farofa e 3 mate de limao pra mim, qnt fica?", who="edit")
        edit = ask(bot, "tira a farofa e faz 6 mate", who="edit").text
        assert "R$ 57,68" in edit, edit
    with on_store(tmp_path / "31", "store31") as bot:
        cases = [("qual a taxa de entrega e o valor minimo pra pedir?", "R$ 12,50"),
                 ("rapaz so preciso de umas coisinhas, coisa de 80 reais... vcs levam assim mesmo?", "R$ 95,00"),
                 ("uma caixa de leite integral daquelas fechada com 12, qto ta", "R$ 58,68")]
        ask_each(bot, cases, who="c")
        ask(bot, "manda o valor de 2 kg de tomate, 3 kg de banana prata e 1 bolo de macaxeira", who="edit")
        edit = ask(bot, "desiste do bolo e acrescenta 2 kg de pacova", who="edit").text
        assert "R$ 50,93" in edit, edit


def test_the_thirty_third_and_fourth_sets_kinds_after_their_one_runs(tmp_path):
    """Session 8, eval33/eval34 after their one runs: "vou ter que pagar a entrega?" with an amount above the
    free-delivery threshold is no (a wrong "Sim" before); a long chatty sentence that mentions prices is told,
    not answered with an entry (an invented price before); "moro lá no X" names the place; "e a entrega pra
    lá sai quanto?" after the delivery answer is the fee."""
    with on_store(tmp_path, "store33") as bot:
        paid = ask(bot, "fiz as contas aqui e deu 335 conto, vou ter q pagar a entrega?").text
        assert paid.startswith("Não, com R$ 335,00"), paid
        chatty = ask(bot, "oi gente, desculpa incomodar, é q minha vizinha disse q o preço ai ta bom demais e to "
                          "querendo fazer a feira do mes com vcs, ela falou tb q o estacionamento é grande. me diz so "
                          "uma coisa: o requeijão do sertão ta quanto o kg?", who="2").text
        assert "R$ 500,00" not in chatty and "R$ 39,90" in chatty, chatty
        far = ask(bot, "moro la no tomba, vcs fazem entrega pra la? de rocha?", who="3").text
        assert far.startswith("Infelizmente"), far
        minimum = ask(bot, "se eu comprar 100 reais tem entrega?", who="4").text
        assert minimum.startswith("Sim, entregamos um pedido de R$ 100,00"), minimum
    with on_store(tmp_path / "18", "store18") as bot:
        ask(bot, "entregam na pituba?")
        fee = ask(bot, "e a entrega pra la sai qto?").text
        assert fee.startswith("A taxa de entrega é R$ 10,90"), fee


def test_an_amount_said_with_com_before_whether_the_fee_is_paid(tmp_path):
    """"com 300 eu pago a taxa?" is the amount against the free-delivery threshold (it was read as a
    question about payment methods); "caixa com 12" stays a pack, no amount of money."""
    with on_store(tmp_path, "store33") as bot:
        cases = [("com 300 eu pago a taxa?", "Sim, com R$ 300,00 a taxa de entrega é R$ 9,50"),
                 ("com 400 eu pago a taxa?", "Não, com R$ 400,00 você não paga a taxa")]
        ask_each(bot, cases)
    assert slots.money("caixa com 12 da pra entregar") is None


def test_the_thirty_sixth_sets_wrong_yes_after_its_one_run(tmp_path):
    """Session 8, eval36's two wrong "Sim": "sábado à noite, tipo 7h?" is 19h (not "às 10 ... chega hoje à
    tarde": the part of the day right before the hour); "arroz pacotinho de 1 quilo tem?" asks a size of
    goods, not the entry about rice-flour cakes."""
    with on_store(tmp_path, "store6") as bot:
        night = ask(bot, "ocês abrem sabado a noite tipo 7h?").text
        assert night.startswith("Não") and "19h" in night, night
        size = ask(bot, "arroz pacotinho de 1 quilo tem?", who="2").text
        assert size.startswith("Não encontrei exatamente"), size
    assert slots.time_of_day("se eu fechar o pedido hoje as 10 e meia ainda chega hoje a tarde") == 10 * 60 + 30


def test_the_thirty_seventh_and_eighth_sets_kinds_after_their_one_runs(tmp_path):
    """Session 9, eval37's and eval38's failures, asked in other words: thanks with nothing asked (a brand
    named in the greeting is no product asked); a sentence told after the question is not answered beside
    it; a national holiday by its date; "do vale" is no voucher; goods described, not named, as one entry
    tells of them; the customer's own word for a service ("freteiro"); a regional name of the goods in an
    entry ("imbu"); an entry far ahead of the others on the words it shares."""
    with on_store(tmp_path, "store36") as bot:
        thanks = ask(bot, "boa tarde gente do velho chico, so queria agradecer o rapaz do caixa que foi um amor",
                     who="1").text
        assert "R$" not in thanks and thanks.startswith("Por nada"), thanks
        ask_each(bot, [
            ("e aquele vinho tinto do vale ta saindo por quanto?", "R$ 34,90"),
            ("nao tenho carro, tem algum freteiro ai na porta pra levar minhas compras?", "R$ 25,00"),
            ("tem freteiro ai q leva em casa?", "Fazemos entregas"),     # not the goods of the brand "da Casa"
            ("o imbu fresco ja chegou? quando começa a safra", "de janeiro a março"),
            ("motorista de caminhao aqui, da pra encostar a carreta ai e tomar banho?", "22h"),
        ], who="2")
    with on_store(tmp_path, "store22") as bot:
        told = ask(bot, "tem promoção nas carnes? domingo vai ter churrasco e pescaria aqui em casa").text
        assert "400,00" not in told, told
        holiday = ask(bot, "vcs abrem 15 de novembro?", who="3").text
        assert holiday.startswith("Não") and holiday.count("feriados") == 1, holiday
        described = ask(bot, "vcs servem aquela cuia com tucupi quente e jambu? a partir de q horas", who="4").text
        assert "15h" in described, described
    with on_store(tmp_path, "store7") as bot:
        kits = ask(bot, "to querendo fechar umas cestinhas de alimento pra equipe da empresa no natal, vcs "
                        "montam? qual o minimo?").text
        assert "10 cestas" in kits, kits


def test_lists_numbered_on_one_line_counted_after_with_mais_and_by_the_dozen(tmp_path):
    """eval37 and eval38's lists: "1) ... 2) ..." on one line; "leite mais 6" on a line of its own adds six;
    "meia dúzia de sonho" after goods counted opens an item; "a caixinha que vem com 6 tubos" is six."""
    assert quantities.enumerated("1) 2 arroz 2) 3 feijao 3) 1 oleo") == "1) 2 arroz\n2) 3 feijao\n3) 1 oleo"
    assert quantities.enumerated("quero 2) arroz e 5) feijao") == "quero 2) arroz e 5) feijao"   # not in order
    with on_store(tmp_path, "store37") as bot:
        ask_each(bot, [
            ("1) 2 manteiga 2) 1 cafe pilao 3) 4 leite integral", "R$ 65,46"),
            ("manteiga 1\nleite integral 4\nleite integral mais 8", "R$ 69,18"),
            ("vou querer: doze sonho meia duzia de capeletti", "R$ 117,00"),
            ("qto fica 1 caixinha de colgate q vem 6 tubos?", "R$ 27,54"),
            ("me ve duas caixinhas de colgate daquelas que vem com 6 tubos", "R$ 47,88"),     # 12: the tier
        ])


def test_the_thirty_ninth_and_fortieth_sets_kinds_after_their_one_runs(tmp_path):
    """Session 9, eval39's and eval40's failures, asked in other words: where the customer lives, then "vocês
    trazem até aqui?"; "lá" after a list that named the area; "mandam as compras pro X"; an amount against the
    minimum with "levarem"; a dozen quoted; a size or kind the store lacks said with words ("das pequena",
    "de meio quilo"); no promotion on the goods asked is a no; an entry found by meaning over the returns
    policy a paraphrase names; a discount of a payment brand is its entry; an edit "em vez de 5" sets the
    amount; "sai por menos?" is the wholesale tier."""
    with on_store(tmp_path, "store38") as bot:
        ask_each(bot, [
            ("eu moro no salesianos, do lado da igreja, vcs trazem ate aqui?", "Salesianos"),
            ("vcs mandam as compras pro romeirao?", "Romeirão"),
            ("uma duzia de cajuina pro meu pai, qto fica?", "R$ 77,88"),
            ("quanto sai a caixa de rapadura com 20 tabletes?", "R$ 91,80"),
            ("me manda 2 arroz 5kg e 6 cajuina pro triangulo, quanto da e vcs levam la?", "Triângulo"),
        ], who="1")
        place = ask(bot, "moro na vila tres marias, pertinho do posto, vcs entregam la?", who="2").text
        assert "não entregamos" in place and "R$" not in place.split("\n")[0], place
        lata = ask(bot, "tem coca de lata? das pequenininha de 350", who="3").text
        assert lata.startswith("Não encontrei exatamente"), lata
        none = ask(bot, "tem iogurte ou leite na promoção?", who="4").text
        assert none.startswith("Não"), none
        meats = ask(bot, "quero 2,5 kg de picanha 1 kg de linguiça e 6 latinha de skol", who="5").text
        assert "Picanha" in meats and "Linguiça" in meats and "Não encontrei" not in meats, meats
        ask(bot, "8 cajuina e 4 agua de 500", who="6")
        edited = ask(bot, "aumenta a agua pra 12 e a cajuina pra 12 tambem", who="6").text
        assert "R$ 89,76" in edited, edited
    with on_store(tmp_path, "store39") as bot:
        ask_each(bot, [
            ("da pra vcs levarem uma compra de 60 reais?", "Não"),
            ("pagando no banricompras ganha desconto?", "5%"),
            ("vcs vendem pessego em caixa, tipo uns 10 kg de uma vez?", "R$ 64,90"),
        ], who="7")
        half = ask(bot, "erva barao de meio kg vcs tem?", who="8").text
        assert half.startswith("Não encontrei exatamente"), half
    with on_store(tmp_path, "store24") as bot:
        ask_each(bot, [
            ("se eu comprar bebida pra formatura e sobrar umas caixas de cerveja fechada posso devolver depois?",
             "R$ 600,00"),
            ("vcs fazem um porquinho assado pra ceia de natal?", "3 dias"),
        ], who="9")
        ask(bot, "5 arroz 5kg e 2 açucar cristal 5kg", who="10")
        edited = ask(bot, "poe 7 de arroz em vez de 5", who="10").text
        assert "R$ 225,10" in edited, edited
        ask(bot, "quanto ta o carvao brasa mogiana?", who="11")
        cheaper = ask(bot, "e levando 5 sacos sai por menos?", who="11").text
        assert cheaper.startswith("Sim"), cheaper


def test_praise_before_a_question_is_not_answered_beside_it(tmp_path):
    """"parabéns pelo atendimento! qto tá a cajuína?": the praise is no question about the delivery (its
    "atendimento" met the delivery's "bairros atendidos"); praise alone is thanked."""
    with on_store(tmp_path, "store38") as bot:
        price = ask(bot, "parabens pelo atendimento! qto ta a cajuina?").text
        assert price.startswith("*Cajuína 500ml*") and "entrega" not in price, price
        thanks = ask(bot, "vcs sao demais, a moça do caixa foi um amor", who="2").text
        assert thanks.startswith("Por nada") and "R$" not in thanks, thanks


def test_the_forty_first_and_second_sets_kinds_after_their_one_runs(tmp_path):
    """Session 9, eval41's and eval42's failures, asked in other words: tomorrow without delivery is a no;
    "sou péssimo na cozinha" is no complaint and the question after an emoji is the one asked; "já estão
    abertos?" is now; an edit "é 2 kg, não 1"; a list with "2 de cebola 3 kg banana" and "quanto da" after the
    last goods; dozens "12 em cada"; the price "de cada" of the goods named before; a gift wrap and a phone
    charger asked in the customer's words; an order not made yet is no order to see; the price of goods
    sold in the kind named ("em posta") is not an entry's "não de posta"."""
    with on_store(tmp_path, "store41") as bot:
        ask_each(bot, [
            ("amanhã vcs fazem entrega? queria receber o rancho", "Não"),
            ("minha filha faz aniversario amanha, sou pessimo em cozinhar kkk 😅 quanto ta o bolo de aipim?",
             "R$ 12,90"),
            ("vcs ja estao abertos?", "Sim, estamos abertos agora"),
            ("vcs embalam uma lembrancinha?", "sem custo"),
            ("to com o cel descarregando, da pra carregar ai?", "30 minutos"),
        ], who="1")
        ask(bot, "me passa o valor de 1 kg de carne de sol e 2 saco de carvão", who="2")
        edited = ask(bot, "na verdade é 2 kg de carne, não 1", who="2").text
        assert "R$ 135,60" in edited, edited
    with on_store(tmp_path, "store40") as bot:
        ask_each(bot, [
            ("me ve 1 kg de tomate 2 de cebola 3 kg banana e 2 kg mandioca quanto da esse trem", "R$ 42,02"),
            ("quero tres duzias de ovo, 12 em cada", "R$ 27,00"),
        ], who="3")
        each = ask(bot, "costela e linguiça caseira, qto ta o kg de cada?", who="4").text
        assert "R$ 23,90" in each and "R$ 29,90" in each, each
    with on_store(tmp_path, "store25") as bot:
        later = ask(bot, "mana, meu pedido so vou fechar la pras 14h, entrega hoje ainda?").text
        assert later.startswith("Não"), later
    with on_store(tmp_path, "store26") as bot:
        ask(bot, "quanto ta o tambaqui em posta?", who="5")
        more = ask(bot, "e 3 kg?", who="5").text
        assert "R$ 89,70" in more, more


def test_the_forty_third_and_fourth_sets_kinds_after_their_one_runs(tmp_path):
    """Session 9, eval43's and eval44's failures, asked in other words: "o que tá barato" in two sections is
    their promotions (not an entry's price); a payment method's discount asked as "abatimento"; "a taxa pra
    entregar em casa" is the fee; an area named is a delivery question, not an entry on the deliveries;
    returns asked as "levar de volta"; a pack "cada um com 5"; a friendly story before the price ("chegou tudo
    certinho", "faltou troco ... resolveu rapidinho") is no complaint; a list under "pro café da tarde"."""
    with on_store(tmp_path, "store28") as bot:
        cheap = ask(bot, "oq ta baratinho no açougue e no hortifruti essa semana?").text
        assert cheap.startswith("🔥") and "Açougue" in cheap and "Hortifruti" in cheap and "R$ 4,50" not in cheap, \
            cheap
        story = ask(bot, "ontem faltou troco no caixa mas resolveram rapidinho, tudo certo. a goiabada cascao ta "
                         "quanto?", who="2").text
        assert "R$ 10,90" in story, story
    with on_store(tmp_path, "store27") as bot:
        ask_each(bot, [("pagando no pix vcs dao algum abatimento?", "Pix")], who="3")
    with on_store(tmp_path, "store43") as bot:
        ask_each(bot, [
            ("e a taxa pra entregar em casa, qual é?", "R$ 10,50"),
            ("comprei uma coisa errada, posso trazer de volta? ate quantos dias?", "15 dias"),
            ("2 pacote de sabao em barra ype, cada um com 5 barras, quanto fica?", "R$ 21,90"),
            ("a entrega do mes passado atrasou um pouquinho mas chegou tudo certinho. qnt ta a carne de bode?",
             "R$ 39,90"),
        ], who="4")
    with on_store(tmp_path, "store42") as bot:
        area = ask(bot, "vcs fazem entrega la no jardim caramuru?").text
        assert "Jardim Caramuru" in area and "maquininha" not in area, area
        listed = ask(bot, "pro lanche da tarde\n1 kg pao frances\n4 chipa", who="5").text
        assert "Café" not in listed and "4x Chipa" in listed, listed


def test_the_forty_fifth_and_sixth_sets_wrong_yes_after_their_one_runs(tmp_path):
    """Session 9, eval46's two wrong "Sim" and eval45's kinds, asked in other words: "segunda-feira" is the day,
    never the produce market ("feira") an entry is about, so a Monday without delivery is a no; "6 e meia da
    manhã" is 6h30; a check of the hours answers alone; "quanto vou pagar" is the quote's total; "passa o X pra
    N" sets; "passar vergonha" is no complaint."""
    with on_store(tmp_path, "store44") as bot:
        monday = ask(bot, "na segunda-feira tem entrega? so to em casa nesse dia").text
        assert monday.startswith("Não"), monday
        late = ask(bot, "hj vcs vao ate tarde? umas 8 e meia da noite ainda to a tempo?", who="2").text
        assert late.startswith("Sim") and "funcionamos" not in late, late
    with on_store(tmp_path, "store45") as bot:
        early = ask(bot, "depois de amanha as 6 e meia da manha ja tem gente atendendo?").text
        assert early.startswith("Não") and "6h30" in early, early
        ask(bot, "quanto fica 1 sabão omo, 2 arroz 5kg e 1 óleo?", who="3")
        edited = ask(bot, "tira o oleo e passa o arroz pra 6", who="3").text
        assert "6x Arroz" in edited and "Óleo" not in edited.split("Seu carrinho")[-1], edited
    with on_store(tmp_path, "store29") as bot:
        ask_each(bot, [
            ("se eu levar 5 arroz tio joao de 5kg, quanto vou pagar?", "R$ 129,50"),
            ("meu marido foi pescar e voltou sem nada kkkk pra nao passar vergonha vai comprar 😂 a pescada amarela "
             "ta quanto?", "R$ 36,90"),
        ], who="4")


def test_the_forty_seventh_sets_invented_price(tmp_path):
    """Session 9's last untouched run (eval47), asked in other words: what the goods are for, told after the
    question ("é pro cuscuz da lanchonete"), is not answered with the entry it names."""
    with on_store(tmp_path, "store31") as bot:
        told = ask(bot, "qnto fica 10 pacote de flocao gameleira? é pra lanchonete do meu cunhado").text
        assert told.startswith("🧾") and "R$ 14,00" not in told, told


def test_the_forty_seventh_and_eighth_sets_kinds_after_their_runs(tmp_path):
    """Session 10, eval47's and eval48's kinds asked in other words: an entry the retrieval finds on three words or
    more, far ahead of the one a phrase rule picked, is the one asked; "amolar" is to sharpen; "sem fio" knives;
    a day named after the holidays' hours is that day's; "seco" is a kind of wine the store may lack; edits said
    "o X é N", "passa pra N dúzias", "mais 200g nisso" and "bota N X então" (a correction: N in all)."""
    with on_store(tmp_path, "store47") as bot:
        board = ask(bot, "preciso de uma bandeja de salame, copa e queijo fatiado pra 10 pessoa, vcs fazem?").text
        assert "R$ 119,00" in board, board
        days = ask(bot, "feriado vcs abrem? e que horas fecha no sabado?", who="2").text
        assert "20h30" in days and "12h30" in days, days
        dry = ask(bot, "tem vinho colonial seco?", who="3").text
        assert dry.startswith("Não"), dry
        ask(bot, "quanto sai 1 vinho colonial e 2 duzia de ovos", who="4")
        eggs = ask(bot, "os ovos passa pra 6 duzias", who="4").text
        assert "6x Ovos" in eggs, eggs
        ask(bot, "qnto fica 1 kg de queijo colonial", who="5")
        more = ask(bot, "poe mais 200g de salame nisso", who="5").text
        assert "0,2 kg Salame" in more, more
    with on_store(tmp_path, "store32") as bot:
        knives = ask(bot, "a faca do meu pai ta cega, vcs amolam?").text
        assert "3 facas" in knives, knives
        ask(bot, "quanto fica 3 misso e 1 shoyu", who="2")
        fixed = ask(bot, "bota 5 misso entao", who="2").text
        assert "5x Missô" in fixed, fixed
        ask(bot, "faz o orçamento: 2 shoyu e 1 misso", who="3")
        told = ask(bot, "na real o shoyu é 4, e o misso poe 2", who="3").text
        assert "4x Shoyu" in told and "2x Missô" in told, told


def test_the_forty_ninth_and_fiftieth_sets_kinds_after_their_one_runs(tmp_path):
    """Session 10, eval49's and eval50's kinds asked in other words: a weekday said to be a holiday asks the
    holidays' hours; "10 e pouco da noite" is after 22h; a price asked of goods named by two of their words is
    never an FAQ entry's; a question without its mark is asked; the returns policy asked in general is no
    complaint; "desses de 50" is what a bag holds; "d'água" ends an item of a run-on list; "perto da folha 31"
    is a place; "põe N de X" is N in all; an edit's word naming two cart lines is the one named so; a question
    after an emoji and a greeting; "tem preço diferente?"; a count alone after goods; an entry for a message
    no goods answer; a list's title; a pack counted in an edit."""
    with on_store(tmp_path, "store34") as bot:
        holiday = ask(bot, "quinta que vem é feriado, vcs vao abrir?").text
        assert holiday.startswith("Não") and "feriado" in holiday, holiday
    with on_store(tmp_path, "store49") as bot:
        late = ask(bot, "amanha eu so consigo chegar ai umas 10 e pouco da noite, ainda ta aberto?").text
        assert late.startswith("Não"), late
        two = ask(bot, "qto custa a coca 2l e a skol latinha?", who="2").text
        assert "R$ 12,29" in two and "R$ 3,69" in two and "R$ 98,00" not in two, two
        listed = ask(bot, "me ve 2 tucupi 1 farinha d'agua 2 jambu quanto fica", who="3").text
        assert "1x Farinha d'Água" in listed and "2x Tucupi" in listed, listed
        place = ask(bot, "qual o endereço? fica perto da folha 31?", who="4").text
        assert "VP-8" in place, place
        fish = ask(bot, "boa tarde! vou fazer um peixe pro almoço de domingo com a familia toda 😋 o filhote em posta "
                        "ta quanto?", who="5").text
        assert "R$ 54,90" in fish, fish
        net = ask(bot, "a corda da minha rede rasgou 😩 vcs vendem? a de solteiro quanto", who="6").text
        assert "R$ 59,90" in net, net
        thick = ask(bot, "tem açai grosso?", who="7").text
        assert thick.startswith("Não"), thick
        ask(bot, "quanto fica 2 coca 2l e 4 guarana tocantins", who="8")
        water = ask(bot, "tira as coca e coloca 1 fardo de agua 500ml, o de 12", who="8").text
        assert "12x Água" in water, water
    with on_store(tmp_path, "store48") as bot:
        both = ask(bot, "até que horas eu tenho q pedir pra receber hoje, e qual o pedido minimo?").text
        assert "11h" in both and "R$ 120,00" in both, both
        policy = ask(bot, "vcs trocam mercadoria com defeito em quantos dias? e o polvilho azedo ta quanto",
                     who="2").text
        assert "7 dias" in policy and "Sinto muito" not in policy and "Polvilho" in policy, policy
        bags = ask(bot, "quero 2 sacos de laranja pera, daqueles de 50 laranjas", who="3").text
        assert "100x Laranja" in bags, bags
        ask(bot, "quanto fica 1 sabão omo e 3 arroz 5kg", who="4")
        rice = ask(bot, "poe 6 de arroz", who="4").text
        assert "6x Arroz" in rice, rice
        ask(bot, "orçamento: 4 pamonha de sal e 2 kg de queijo meia cura", who="5")
        cheese = ask(bot, "na real o queijo é 1 kg", who="5").text
        assert "1 kg Queijo" in cheese, cheese
        titled = ask(bot, "lista do mercado\n- omo 1,6kg 1\n- detergente 3\n- sabonete 2\nqto fica", who="6").text
        assert "Amaciante" not in titled and "3x Detergente" in titled, titled
    with on_store(tmp_path, "store33") as bot:
        ask(bot, "o licor de jenipapo ta quanto")
        same = ask(bot, "se eu levar 8 tem preço diferente?").text
        assert same.startswith("Não"), same
        coffee = ask(bot, "cafe princesa do sertao, 12 pacotes, qto fica o total", who="2").text
        assert "12x Café" in coffee, coffee


def test_the_fifty_first_and_second_sets_kinds_after_their_one_runs(tmp_path):
    """Session 10, eval51's and eval52's kinds asked in other words: "tem alguém aí que ..." asks a service, not a
    person; "fiquei responsável" asks for nobody; "onde q fica"; ", e outra coisa:" and "me passa o telefone, e
    ..." are two questions; "destrocar"; a beer style the store lacks; "cada saco tem 10"; "e 1kg de Y" in an
    edit; "N dúzias" after goods in a list; "barraca" is no "barra"; "a garrafa" of the goods said before."""
    with on_store(tmp_path, "store51") as bot:
        service = ask(bot, "minha avó so fala alemao, tem alguem ai q conversa com ela?")
        assert not service.handoff, service.text
        salad = ask(bot, "fiquei responsavel pela salada do churrasco. o pepino em conserva ta qto?", who="2")
        assert not salad.handoff and "R$ 9,99" in salad.text, salad.text
        where = ask(bot, "onde q fica a loja de vcs?", who="3").text
        assert "Rua São Paulo, 2960" in where, where
        two = ask(bot, "me manda o telefone de vcs, e outra coisa: aceitam alelo?", who="4").text
        assert "(47) 3328-5174" in two and "Alelo" in two, two
        style = ask(bot, "tem stout da vale europeu?", who="5").text
        assert style.startswith("Não"), style
        beans = ask(bot, "3 sacos de feijao preto, cada saco tem 10 pacotes, quanto fica?", who="6").text
        assert "30x Feijão Preto" in beans, beans
        ask(bot, "faz as contas: 1 kg kassler e 1 chucrute", who="7")
        added = ask(bot, "acrescenta 1 mostarda escura e 1kg de repolho roxo", who="7").text
        assert "Mostarda" in added and "1 kg Repolho" in added, added
    with on_store(tmp_path, "store46") as bot:
        phone = ask(bot, "me passa o telefone da loja, e vcs entregam no centro?").text
        assert "(73) 3613-4286" in phone, phone
    with on_store(tmp_path, "store50") as bot:
        back = ask(bot, "se eu quiser destrocar um produto, tenho quantos dias?").text
        assert "15 dias" in back, back
        eggs = ask(bot, "arroz tio joao - 1\novos - 3 duzias\nqnto fica", who="2").text
        assert "3x Ovos" in eggs, eggs
    with on_store(tmp_path, "store35") as bot:
        ask(bot, "quanto é a cajuina?")
        stall = ask(bot, "e pra revender na barraca, quanto fica no atacado?").text
        assert "Cajuína" in stall and "Sabão" not in stall, stall
    with on_store(tmp_path, "store36") as bot:
        wine = ask(bot, "oi! vou levar o espumante pro casamento da minha filha, o moscatel de vcs é otimo. "
                        "quanto ta a garrafa?").text
        assert "R$ 49,90" in wine, wine


def test_the_fifty_third_and_fourth_sets_kinds_after_their_one_runs(tmp_path):
    """Session 10, eval53's and eval54's two wrong "Sim" and kinds, asked in other words: goods a part names are
    not the entry the rest of the message finds; "vale do X" is a brand, no meal voucher; "desculpa o horário"
    and "caixa fechada" ask no hours; "e me diz se ..."; "passar o X pra N"; complaints about life before a
    price; promotions of a section and goods; "receber as compras em casa" on a day without delivery; a pack
    counted in a line of a list."""
    with on_store(tmp_path, "store53") as bot:
        coal = ask(bot, "tem carvão ai? é pro churrasco de domingo").text
        assert not coal.startswith("Sim"), coal
        brand = ask(bot, "o arroz vale do rio doce tem de 2kg?", who="2").text
        assert "vale-alimentação" not in brand and not brand.startswith("Sim"), brand
        sorry = ask(bot, "desculpa o horario, o suco de uva integral ta quanto?", who="3").text
        assert "funcionamento" not in sorry and "R$ 17,90" in sorry, sorry
        monday = ask(bot, "da pra receber a compra em casa na segunda?", who="4").text
        assert monday.startswith("Não"), monday
    with on_store(tmp_path, "store52") as bot:
        both = ask(bot, "me passa o endereço e me diz se aceitam pix").text
        assert "Av. John Sanford" in both and "Pix" in both, both
        ask(bot, "faz as contas: 1 sabao em po omo e 2 arroz 5kg", who="2")
        edited = ask(bot, "pode tirar o omo e passar o arroz pra 7", who="2").text
        assert "7x Arroz" in edited and "Sabão" not in edited.split("Seu carrinho")[-1], edited
        life = ask(bot, "ta dificil, o aluguel subiu, um absurdo 🙏 me diga uma coisa, o kg do frango ta quanto?",
                   who="3")
        assert not life.handoff and "R$ 9,49" in life.text, life.text
        sale = ask(bot, "tem oferta de carne e de cerveja?", who="4").text
        assert "Açougue" in sale and "R$ 3,29" in sale, sale
        listed = ask(bot, "churrasco:\n- 1 fardo de guarana antarctica (6 garrafas)\n- 2 saco de carvao\nqto fica",
                     who="5").text
        assert "6x Refrigerante Guaraná" in listed and "2x Carvão" in listed, listed


def test_the_fifty_fifth_to_eighth_sets_kinds_after_their_one_runs(tmp_path):
    """Session 10, eval55's to eval58's kinds (and eval57's invented price and wrong "Sim"), asked in other words:
    "queria saber o preço da X" after a long clause; "tem preço melhor se eu levar N?"; "só preciso de N X, o
    resto igual"; "cx"; the delivery's fee and minimum asked together; "N latinha de X" is the can; "me corta N kg"
    after a product is its quote; "tem X pra Y?" is not an entry on Y; "ninguém resolve"; "dá pra vcs levarem a
    compra lá" with a place named like a brand; "na vdd põe N X e M Y"; a swap to the same goods of another
    brand, "msm quantidade"."""
    with on_store(tmp_path, "store55") as bot:
        chatty = ask(bot, "boa tarde, aqui é da lanchonete do terminal, to refazendo os lanches da semana e vou usar "
                          "mais queijo, queria saber o preço da mussarela o kg").text
        assert "R$ 44,90" in chatty, chatty
        both = ask(bot, "qual o valor da entrega e o pedido minimo?", who="2").text
        assert "R$ 10,50" in both and "R$ 85,00" in both, both
        boxes = ask(bot, "3 cx de creme dental colgate com 12 cada, qto fica", who="3").text
        assert "36x Creme Dental" in boxes, boxes
    with on_store(tmp_path, "store54") as bot:
        ask(bot, "a heineken long neck ta qto?")
        better = ask(bot, "tem preço melhor se eu levar 24?").text
        assert better.startswith("Não"), better
        ask(bot, "quanto fica 6 farinha de trigo e 2 fuba?", who="2")
        fewer = ask(bot, "na verdade so preciso de 3 farinha, o resto igual", who="2").text
        assert "3x Farinha" in fewer and "2x Fubá" in fewer, fewer
    with on_store(tmp_path, "store39") as bot:
        cans = ask(bot, "orçamento de 1 kg de costela e 12 latinha de coca").text
        assert "12x Refrigerante Cola Lata" in cans, cans
    with on_store(tmp_path, "store41") as bot:
        ask(bot, "quanto ta o kg da carne de sol?")
        cut = ask(bot, "me corta 1 kg e meio, qto fica?").text
        assert "1,5 kg Carne de Sol" in cut and "R$ 98,00" not in cut, cut
        ask(bot, "quanto fica 5 café 3 corações", who="2")
        swapped = ask(bot, "troca o 3 corações pelo serra do periperi, mesma quantidade", who="2").text
        assert "5x Café Torrado e Moído 500g Café Serra do Periperi" in swapped, swapped
    with on_store(tmp_path, "store56") as bot:
        nappy = ask(bot, "vcs tem fralda pra idoso?").text
        assert not nappy.startswith("Sim"), nappy
        angry = ask(bot, "a compra veio sem o arroz, ja liguei 2 vezes e ninguem resolve", who="2")
        assert angry.handoff, angry.text
    with on_store(tmp_path, "store57") as bot:
        far = ask(bot, "meu irmao mora em pedra preta, da pra vcs levarem as compras dele la?").text
        assert far.startswith("Infelizmente") and "Açúcar" not in far, far
        ask(bot, "ve pra mim 4 agua 1,5 e 2 guarana 2l", who="8")
        both = ask(bot, "na vdd poe 6 aguas e 3 guarana", who="8").text
        assert "6x Água" in both and "3x Refrigerante Guaraná" in both, both


def test_a_place_said_before_the_delivery_asked_of_it_is_checked(tmp_path):
    """eval47's wrong "Sim" (session 9), asked in other words: "e pra X vcs levam?" names the place X, which is
    checked against the areas, not an entry on carrying the shopping upstairs ("levamos até a porta");
    "não tem como vir" told after it is no question."""
    with on_store(tmp_path, "store46") as bot:
        far = ask(bot, "e pro banco raso vcs levam? minha sogra mora la e nao tem como vir no mercado").text
        assert far.startswith("Infelizmente") and "elevador" not in far and "Não encontrei" not in far, far


def test_the_fifty_ninth_to_sixty_second_sets_kinds_after_their_one_runs(tmp_path):
    """Session 10, eval59's to eval62's kinds (eval60's invented price, eval62's wrong "Sim" and invented price),
    asked in other words: a laugh before a price asked; "e se passa X"; "pra revender, levando bastante"; "deixa
    o X de fora"; a kind of goods the catalog has ("açaí fino") is never an entry's other kind; a list with the
    count after each of its goods; "tipo 6 e meia", "la pelas 8 da noite" and a day and time told before "ainda
    pego vcs abertos?"; "tele" is the delivery; "sai mais em conta?" after a quote asks nothing new."""
    with on_store(tmp_path, "store58") as bot:
        laugh = ask(bot, "minha sogra vai fazer doce e é exigente com preço kkk o kg da bergamota ta quanto?").text
        assert "R$ 6,90" in laugh, laugh
        ask(bot, "quanto fica 1 vinho colonial e 1 kg de queijo colonial", who="2")
        out = ask(bot, "deixa o queijo de fora", who="2").text
        assert "Queijo" not in out.split("Seu carrinho")[-1], out
    with on_store(tmp_path, "store59") as bot:
        two = ask(bot, "me diz o preço da polpa de tapereba e se passa vr").text
        assert "R$ 13,90" in two, two
        thin = ask(bot, "tem açai fino? o mais barato", who="2").text
        assert not thin.startswith("Sim") and "R$ 130,00" not in thin, thin
        listed = ask(bot, "detergente 3 pasta de dente 2 sabao omo 1", who="3").text
        assert "3x Detergente" in listed and "2x Creme Dental" in listed and "1x Sabão" in listed, listed
    with on_store(tmp_path, "store43") as bot:
        ask(bot, "quanto ta a cajuina de 500ml?")
        bulk = ask(bot, "e pra revender, levando bastante, sai quanto?").text
        assert "R$ 5,49" in bulk, bulk
    with on_store(tmp_path, "store61") as bot:
        early = ask(bot, "terça bem cedinho, tipo 6 e meia, vcs ja tao abertos?").text
        assert early.startswith("Não"), early
        ask(bot, "preço da agua sanitaria ype", who="2")
        again = ask(bot, "se eu levar 12 compensa? sai mais em conta?", who="2").text
        assert "R$ 1.000,00" not in again, again
    with on_store(tmp_path, "store60") as bot:
        late = ask(bot, "no sabado saio do trampo umas 8 e 15 da noite... ainda pego vcs abertos?").text
        assert late.startswith("Não"), late
        night = ask(bot, "sabado la pelas 9 da noite ainda tem como passar ai?", who="2").text
        assert night.startswith("Não"), night
        small = ask(bot, "da pra pedir tele de uma compra de 50 reais?", who="3").text
        assert small.startswith("Não") and "R$ 94,00" in small, small


def test_the_sixty_third_and_fourth_sets_edits_and_hours_after_their_one_runs(tmp_path):
    """Session 10, eval63's and eval64's kinds asked in other words: "pode esquecer o X" and "o X eu não quero"
    remove it beside another edit; "dá pra ir fazer a compra" at an hour is checked against that day's hours."""
    with on_store(tmp_path, "store62") as bot:
        ask(bot, "quanto fica 2 cafe melitta e 3 feijao carioca?")
        forgot = ask(bot, "pode esquecer o feijao e sobe o cafe pra 4").text
        assert "Tirei Feijão" in forgot and "4x Café" in forgot, forgot
        ask(bot, "quanto fica 2 cafe melitta e 3 feijao carioca?", who="2")
        unwanted = ask(bot, "pensando bem o cafe eu nao quero, e o feijao passa pra 6", who="2").text
        assert "Tirei Café" in unwanted and "6x Feijão" in unwanted, unwanted
        late = ask(bot, "domingo umas 3 da tarde da pra ir fazer as compras ai?", who="3").text
        assert late.startswith("Não"), late


def test_goods_named_one_after_another_are_one_of_each(tmp_path):
    """Session 11, lists of eval65 to eval68 asked in other words: goods named with nothing between them
    ("fubá sagu chimia de figo") are one of each, cut where each span names one product whole; "um" opening
    an item is its count; the first goods led in uncounted ("preciso de café pilão 3 detergente") are one;
    "1 salame de meio quilo" is half a kilo. Two of one kind is one thing described, not a list."""
    with on_store(tmp_path, "store65") as bot:
        run = ask(bot, "anota ai fuba sagu chimia de figo quirera de milho, qto da").text
        assert "R$ 29,17" in run and "4x" not in run, run
        led = ask(bot, "preciso de cafe pilao 3 detergente 2 agua sanitaria quanto fica", who="2").text
        assert "1x Café Torrado e Moído 500g Pilão" in led and "3x Detergente" in led and "R$ 36,35" in led, led
        half = ask(bot, "me separa um creme dental colgate 2 sabonete lux e 1 salame de meio quilo, qto deu",
                   who="3").text
        assert "1x Creme Dental" in half and "2x Sabonete" in half and "0,5 kg Salame" in half \
            and "R$ 45,42" in half, half
        two = ask(bot, "quanto fica o fuba mimoso e o sagu?", who="4").text
        assert "Seu orçamento" not in two and "R$ 4,29" in two, two
    with on_store(tmp_path, "store16") as bot:
        one = ask(bot, "o 3 coraçoes pequeno de 250g ta qto ai?", who="5").text
        assert "Seu orçamento" not in one, one


def test_edits_of_the_sixty_ninth_to_seventy_fourth_sets_after_their_one_runs(tmp_path):
    """Session 11, eval69 to eval74's quote edits asked in other words: "coloca 10 leite" of goods in the cart is
    10 in all; "faz com 8 coca", "o carvão faz 5 saco", "muda o arroz, coloca 6", "sobe o leite pra uma caixa de
    12", "quero 24 brahma, o resto igual", "o carvão eu já tenho, pode deixar de fora", "X tá salgada, troca por
    Y, os mesmos 2 kg", "troca o café pelo 3 corações" (the brand's number no amount)."""
    edits = [
        ("quanto fica 4 leite integral, 2 manteiga e 1 nata?", "tira a nata e coloca 10 leite", ["10x Leite"]),
        ("quanto fica 4 guarana 2l e 3 coca 2l?", "faz com 8 coca entao", ["8x Refrigerante Cola", "4x Refri"]),
        ("quanto fica 2 kg de costela, 1 kg de linguiça toscana e 2 carvao", "pode tirar a costela. e o carvao faz "
         "5 saco", ["5x Carvão", "Tirei Costela"]),
        ("quanto fica 3 arroz 5kg, 2 feijao preto e 1 oleo", "muda o arroz, coloca 6 em vez de 3", ["6x Arroz"]),
        ("quanto fica 6 leite integral e 2 nata", "sobe o leite pra uma caixa de 12", ["12x Leite"]),
        ("quanto fica 6 brahma lata e 2 heineken long neck", "pensando bem quero 24 brahma, o resto igual",
         ["24x Cerveja Lata", "2x Cerveja Long Neck"]),
        ("quanto fica 2 kg de costela, 1 carvao e 12 brahma lata", "o carvao eu ja tenho aqui, pode deixar de fora",
         ["Tirei Carvão", "R$ 88,08"]),
        ("quanto fica 2 kg de costela bovina e 1 kg de linguiça toscana", "costela ta salgada hein troca por "
         "costelinha suina, os mesmos 2 kg", ["2 kg Costelinha Suína", "R$ 69,70"]),
        ("quanto fica 2 kg de costela bovina e 1 kg de linguiça toscana", "a linguiça eu nao quero mais, esquece",
         ["Tirei Linguiça", "R$ 49,80"]),
    ]
    with on_store(tmp_path, "store65") as bot:
        for k, (listed, edit, said) in enumerate(edits):
            ask(bot, listed, who=f"e{k}")
            reply = ask(bot, edit, who=f"e{k}").text
            assert all(s in reply for s in said) and "Não entendi" not in reply, (edit, reply)
    with on_store(tmp_path, "store72") as bot:
        ask(bot, "quanto fica 4 feijao carioca e 3 cafe bico", who="c")
        brand = ask(bot, "troca o cafe pelo 3 coracoes", who="c").text
        assert "3x Café Torrado e Moído 500g 3 Corações" in brand, brand


def test_answers_beside_the_question_of_the_sixty_ninth_to_seventy_fourth_sets(tmp_path):
    """Session 11, the invented prices and wrong "Sim" of eval69 to eval74 asked in other words: a place an entry
    names, asked to be delivered to, is a delivery question; news told as a question ("sabia que ...?") and who
    will cook it ("minha sogra vai fazer moqueca") are told, not asked; "o que tá com desconto na mercearia" is the
    promotions beside an entry on baskets; the container the goods come in is not the entry on water gallons; an
    amount said as "o pedido deu uns 250" is checked against free delivery."""
    with on_store(tmp_path, "store71") as bot:
        there = ask(bot, "passo o verao em olivença, da pra mandar as compras pra la?").text
        assert "artesãs" not in there and "entrega" in there, there
        fish = ask(bot, "quanto ta o peixe vermelho o kg? minha sogra vai fazer moqueca", who="2").text
        assert "R$ 35,90" in fish and "marmita" not in fish, fish
    with on_store(tmp_path, "store55") as bot:
        news = ask(bot, "oi!! sabia que meu menino entrou pra base aerea? to muito orgulhosa, vou fazer um churrasco "
                        "domingo. quanto ta a picanha?", who="3").text
        assert "R$ 82,90" in news and "R$ 600,00" not in news, news
    with on_store(tmp_path, "store69") as bot:
        basket = ask(bot, "vou dar uma cesta de natal pro meu chefe, o que ta com desconto na mercearia?", who="4").text
        assert basket.startswith("🔥") and "R$ 16,70" in basket and "R$ 149,00" not in basket, basket
        wine = ask(bot, "vcs tem vinho colonial rose? em garrafao", who="5").text
        assert "não vendemos" in wine and "kit filó" not in wine, wine
    with on_store(tmp_path, "store56") as bot:
        free = ask(bot, "somei aqui e o pedido deu uns 250, o frete sai de graça?", who="6").text
        assert free.startswith("Não") and "R$ 290,00" in free, free


def test_packs_sizes_and_edits_of_the_seventy_fifth_to_eighth_sets_after_their_one_runs(tmp_path):
    """Session 11, eval75 to eval78's kinds asked in other words: what a pack holds said after the question
    ("são 12 em cada"), in dozens ("com 5 dúzias") or "nela"; a size with its unit none of the goods has; the goods
    praised before "sai quanto?" are priced, not an entry a word of the question shares; the store's one-word city
    in chatter names no brand; edits "bota 5 de cada", "vou querer só 8 X", "a X desce pra 2"."""
    with on_store(tmp_path, "store65") as bot:
        size = ask(bot, "vcs tem agua de 1,5 litro?").text
        assert size.startswith("Não encontrei exatamente") and "Água Sanitária" not in size, size
        held = ask(bot, "quanto sai 3 caixas de pasta colgate? sao 12 em cada", who="2").text
        assert "36x Creme Dental" in held and "R$ 140,04" in held, held
        dozens = ask(bot, "quero 1 caixa de ovo com 5 duzias, qto fica?", who="3").text
        assert "5x Ovos" in dozens and "R$ 56,45" in dozens, dozens
        inside = ask(bot, "me ve uma caixa de omo, vem 6 unidade nela ne? qto da", who="4").text
        assert "6x Sabão em Pó" in inside and "R$ 149,40" in inside, inside
        praised = ask(bot, "a cuca de banana de vcs é a melhor de guarapuava, minha vo adorou kkk vou levar uma pra "
                           "visita de sabado, sai quanto?", who="5").text
        assert "R$ 18,90" in praised, praised
        weather = ask(bot, "ufa q frio hj em guarapuava", who="6").text
        assert "R$" not in weather, weather
        for k, (listed, edit, said) in enumerate([
                ("quanto fica 3 cuca de uva e 2 cuca de banana", "bota 5 de cada", "R$ 194,00"),
                ("quanto fica 10 leite integral e 2 nata", "na vdd vou querer so 8 leite", "R$ 62,92"),
                ("quanto fica 10 leite integral e 4 nata", "a nata desce pra 2", "R$ 73,70")]):
            ask(bot, listed, who=f"e{k}")
            reply = ask(bot, edit, who=f"e{k}").text
            assert said in reply and "Não entendi" not in reply, (edit, reply)
    with on_store(tmp_path, "store76") as bot:
        city = ask(bot, "bom dia! q calor hj em itajai, ta brabo", who="7").text
        assert "R$" not in city, city


def test_prices_of_goods_named_without_commas_and_the_seventy_ninth_to_eighty_fourth_sets(tmp_path):
    """Session 11, eval79 to eval84's kinds asked in other words: the prices of goods named without commas ("a
    batata o tomate e a bergamota", "costela linguiça toscana carvão") are each answered, not an entry on one
    of them; "vcs vendem botijão?" after "o gás lá de casa" asks for goods, not the delivery; a delivery left in
    the rain with items missing and nobody answering is a complaint for a person."""
    with on_store(tmp_path, "store65") as bot:
        veg = ask(bot, "qual o preço da batata o tomate e a bergamota").text
        assert all(p in veg for p in ("R$ 5,99", "R$ 8,49", "R$ 5,49")), veg
        grill = ask(bot, "valor de costela linguiça toscana carvao e salsicha pro churras", who="2").text
        assert all(p in grill for p in ("R$ 24,90", "R$ 19,90", "R$ 22,90")), grill
        dairy = ask(bot, "me ve o valor do leite integral da nata e do queijo colonial", who="3").text
        assert all(p in dairy for p in ("R$ 5,39", "R$ 9,90", "R$ 49,90")), dairy
    with on_store(tmp_path, "store81") as bot:
        gas = ask(bot, "o gas aqui em casa terminou, vcs vendem botijao?", who="4").text
        assert "não vendemos" in gas and "entrega" not in gas, gas
    with on_store(tmp_path, "store79") as bot:
        rain = ask(bot, "a moça da entrega deixou minhas compras na chuva e faltaram 3 itens, ninguem atende o "
                        "telefone", who="5")
        assert rain.handoff and "R$" not in rain.text, rain.text


def test_the_eighty_fifth_to_ninetieth_sets_kinds_after_their_one_runs(tmp_path):
    """Session 11, eval85 to eval90's kinds asked in other words: a product named by its one-word name beside
    what it is for ("o valor da nata, quero fazer um doce") is priced, not an entry; a story that ends in "mas
    enfim," before the price asked is told; "500 g de salame" and "um de sagu" open items of a run-on list; "se
    eu levar 4 o preço abaixa?" of goods with no wholesale price is a no; "o X põe mais 2" adds."""
    with on_store(tmp_path, "store69") as bot:
        cut = ask(bot, "bah, qual o valor do vazio? quero fazer no espeto sabado").text
        assert "R$ 52,35" in cut and "galeto" not in cut, cut
    with on_store(tmp_path, "store65") as bot:
        story = ask(bot, "oi tudo bem? aqui ta uma loucura, meu marido viajou pra feira e eu fiquei com as crianças, "
                         "mas enfim, quanto ta a nata?", who="2").text
        assert "R$ 9,90" in story, story
        grams = ask(bot, "quero 2 leite integral 1 nata 500 g de salame e 300 g de mortadela quanto da", who="3").text
        assert "0,5 kg Salame" in grams and "0,3 kg Mortadela" in grams, grams
        elliptic = ask(bot, "anota ai dois pacote de fuba tres de quirera um de sagu, quanto fica?", who="4").text
        assert "3x Quirera" in elliptic and "1x Sagu" in elliptic, elliptic
        ask(bot, "quanto ta o sagu?", who="5")
        same = ask(bot, "se eu levar 4 pacotes o preço abaixa?", who="5").text
        assert same.startswith("Não"), same
        ask(bot, "quanto fica 2 sabao em po omo e 3 detergente", who="6")
        more = ask(bot, "o sabao em po poe mais 2", who="6").text
        assert "4x Sabão em Pó" in more and "Não entendi" not in more, more


def test_goods_needed_for_something_and_free_delivery_won(tmp_path):
    """Session 11, eval91 to eval96's invented price and wrong "Sim" asked in other words: the goods needed ("tô
    precisando de carvão pra assar uma carne") are what is asked, not what they are for, sold or not; "já ganho o
    frete?" asks whether the amount reaches free delivery."""
    with on_store(tmp_path, "store77") as bot:
        lacked = ask(bot, "to precisando de carvão pra assar uma carne no quintal, tem ai?").text
        assert "R$" not in lacked and "carvão" in lacked, lacked
    with on_store(tmp_path, "store65") as bot:
        sold = ask(bot, "preciso de carvao pra assar uma costela, tem?", who="2").text
        assert "Carvão Vegetal" in sold and "R$ 22,90" in sold and "não vendemos" not in sold, sold
    with on_store(tmp_path, "store94") as bot:
        won = ask(bot, "se eu gastar 280 conto ja ganho o frete?", who="3").text
        assert won.startswith("Não") and "R$ 295,00" in won, won


def test_a_brand_the_store_lacks_and_a_size_said_after_the_question(tmp_path):
    """Session 11, eval97 and eval98's invented price and wrong "Sim" asked in other words: "tem café melitta?"
    where the store sells other coffee is not the entry on its coffee shop; "tamanho G" after a product asked is
    that product's size, not an entry that says "tamanho"."""
    with on_store(tmp_path, "store97") as bot:
        brand = ask(bot, "vcs tem cafe melitta? quanto ta").text
        assert brand.startswith("Não encontrei exatamente") and "R$ 32,00" not in brand, brand
    with on_store(tmp_path, "store96") as bot:
        size = ask(bot, "tem fralda descartavel? tamanho M", who="2").text
        assert "não vendemos" in size and "R$" not in size, size


def test_the_one_hundred_and_third_to_eighth_sets_kinds_after_their_one_runs(tmp_path):
    """Session 11, eval103 to eval108's invented prices and wrong "Sim" asked in other words: "7 e meia" said
    alone is half past seven; goods named by a head word no product has ("ração de peixe") are not sold, not the
    fish; a kind, brand or size the store lacks ("espumante rosé", "café X de 500g") is not an entry naming the
    goods; "aquela de saco grande" after goods asked describes them."""
    with on_store(tmp_path, "store104") as bot:
        early = ask(bot, "amanha 7 e meia vcs ja tao abertos?").text
        assert early.startswith("Não") and "7h45" in early, early
        rose = ask(bot, "queria um espumante rosé pra levar num aniversario, tem?", who="2").text
        assert "não vendemos" in rose and "rolhas" not in rose, rose
    with on_store(tmp_path, "store87") as bot:
        feed = ask(bot, "vcs tem ração de gato pra filhote?", who="3").text
        assert "R$" not in feed, feed
    with on_store(tmp_path, "store103") as bot:
        size = ask(bot, "o cafe galinha choca de 1kg ta qto?", who="4").text
        assert size.startswith("Não encontrei exatamente") and "garrafão" not in size, size
        bag = ask(bot, "tem raçao de passarinho ai? aquela de saco grande", who="5").text
        assert "R$" not in bag, bag


def test_the_one_hundred_and_ninth_to_fourteenth_sets_kinds_after_their_one_runs(tmp_path):
    """Session 11, eval112 and eval113's wrong "Sim" and invented price asked in other words: "fico livre da taxa?"
    asks whether the amount reaches free delivery; "vcs trabalham com ele?" asks of the goods just named, not an
    entry on the store's workers; "vou fazer uma vaca atolada" is the dish, no goods counted in a quote."""
    with on_store(tmp_path, "store111") as bot:
        free = ask(bot, "se o pedido der uns 250 eu fico livre do frete?").text
        assert free.startswith("Não") and "R$ 285,00" in free, free
    with on_store(tmp_path, "store96") as bot:
        milk = ask(bot, "preciso de leite desnatado pro meu pai q é diabetico, vcs trabalham com ele?", who="2").text
        assert "não vendemos" in milk and "ônibus" not in milk, milk
    with on_store(tmp_path, "store112") as bot:
        dish = ask(bot, "opa, quanto ta a costela o kg? vou fazer uma vaca atolada sabado", who="3").text
        assert "R$ 29,90" in dish and "orçamento" not in dish, dish


def test_the_one_hundred_and_fifteenth_to_twentieth_sets_lists_after_their_one_runs(tmp_path):
    """Session 12, eval115 to eval120's lists: goods named one after another with "e" before the last and the
    total asked after them are a quote of one of each; "manteiga requeijão e leite de caixinha" and "a tubaína
    da coca" are two products each, not one the store lacks; "qto sai a caixa?" after the box just counted asks
    of it, it is no box more; "limpeza do mês 🧽" over counted lines is the list's title, no detergent; and
    "pinhão já chegou?" asks of the goods, whose kilos a follow-up then counts."""
    with on_store(tmp_path, "store114") as bot:
        total = ask(bot, "preciso de arroz de 5kg feijão carioca oleo açucar e cafe bocaina quanto da tudo?").text
        assert "R$ 86,14" in total, total
        each = ask(bot, "manteiga requeijao e leite de caixinha, quanto cada?", who="2").text
        assert all(x in each for x in ("R$ 12,85", "R$ 6,95", "R$ 5,15")), each
        sodas = ask(bot, "preço da tubaina da coca e do guarana de 2 litro", who="3").text
        assert all(x in sodas for x in ("R$ 5,45", "R$ 10,35", "R$ 8,75")), sodas
        box = ask(bot, "1 caixa de leite itambé integral com 12 caixinhas, qto sai a caixa?", who="4").text
        assert "12x" in box and "R$ 55,80" in box, box
    with on_store(tmp_path, "store118") as bot:
        cleaning = ask(bot, "limpeza do mes 🧽\n- 6 detergente\n- 2 agua sanitaria\n- 1 omo\n- 4 creme dental\n"
                            "- 1 papel higienico\nqnto da?").text
        assert "6x Detergente" in cleaning and "R$ 88,10" in cleaning, cleaning
    with on_store(tmp_path, "store104") as bot:
        season = ask(bot, "pinhão ja chegou? qto o kg?").text
        assert "R$ 13,90" in season, season
        kilos = ask(bot, "me ve 3 quilos entao, da qto?").text
        assert "R$ 41,70" in kilos, kilos


def test_the_one_hundred_and_fifteenth_to_twentieth_sets_promotions_after_their_one_runs(tmp_path):
    """Session 12, eval116, eval117 and eval119's promotions and chatter: "algum desses tá em promoção?" after goods
    named asks of each of them (and "Não" when none is); "desconto em algum?" after "coisas de limpeza" asks of
    that section, not an entry on a discount for mototaxistas; "vou fazer cuscuz paulista ..." is a plan told, not
    the entry on the store's own cuscuz; "tenho uns 3 leitão em casa" says where the pigs are, no delivery asked."""
    with on_store(tmp_path, "store115") as bot:
        each = ask(bot, "to precisando de pasta de dente, sabonete e papel higienico... algum desses ta em "
                        "promoção?").text
        assert each.startswith("Não") and "R$ 3,99" in each and "Coentro" not in each, each
    with on_store(tmp_path, "store103") as bot:
        cleaning = ask(bot, "sabão, detergente, essas coisa de limpeza... ta tendo desconto em algum?").text
        assert "Limpeza" in cleaning and "mototaxistas" not in cleaning, cleaning
    with on_store(tmp_path, "store119") as bot:
        dish = ask(bot, "vou fazer cuscuz paulista pro almoço de domingo, tem alguma coisa em promoção pra ele?").text
        assert "R$ 5,75" in dish and "R$ 54,90" not in dish, dish
    with on_store(tmp_path, "store116") as bot:
        pigs = ask(bot, "vcs vendem ração pra porco? tenho uns 3 leitão em casa").text
        assert "não vendemos" in pigs and "entrega" not in pigs, pigs


def test_the_one_hundred_and_twenty_first_to_sixth_sets_kinds_after_their_one_runs(tmp_path):
    """Session 12, eval121 to eval126 after their one untouched run: "em casa" is the customer's home, not an
    entry's "casas étnicas"; "moro pra fora, no distrito de santana" and "moro em sooretama ... da pra vcs
    mandarem as compras?" name a place not served, in the store's own spelling when its rules name it; weights
    glued to their numbers ("2kg de aipim 1kg tomate") each open an item; "põe 2kg de cebola no lugar" edits the
    quote; a "grade" of 24, "cada fardo é 12 latas", "um saquinho ... com 10", "o de 12 latinha" and "? o de 6
    garrafas" are packs counted as units."""
    with on_store(tmp_path, "store125") as bot:
        fee = ask(bot, "quanto vcs cobram pra trazer as compras em casa?").text
        assert "R$ 13,90" in fee and "Fenadi" not in fee, fee
        far = ask(bot, "bah eu moro pra fora, no distrito de santana. tem como vcs entregarem la em casa?",
                  who="2").text
        assert "não entregamos em" in far and "Fenadi" not in far, far
        weights = ask(bot, "bota ai 2kg de aipim 1kg tomate 3kg de bergamota 1kg de pinhão e 1 duzia de ovo e soma "
                           "tudo pra mim", who="3").text
        assert "R$ 56,27" in weights, weights
        ask(bot, "separa pra mim 1kg de picanha, 2kg de coração e 1 sal grosso e me fala o valor", who="4")
        edited = ask(bot, "tira a picanha e poe 2kg de costela no lugar dela", who="4").text
        assert "R$ 131,79" in edited, edited
    with on_store(tmp_path, "store122") as bot:
        town = ask(bot, "moro em sooretama, é pertinho de linhares... da pra vcs mandarem as compras pra ca?").text
        assert "não entregamos em sooretama" in town and not town.startswith("Sim"), town
    with on_store(tmp_path, "store124") as bot:
        spelled = ask(bot, "égua, vcs entregam em vitoria do xingu? minha mae mora la").text
        assert "Vitória do Xingu" in spelled, spelled
        crate = ask(bot, "a grade de tijuca 600 com 24 garrafa sai por quanto?", who="2").text
        assert "R$ 182,16" in crate, crate
        each = ask(bot, "2 fardo de cerpinha, cada fardo é 12 latas, da quanto?", who="3").text
        assert "R$ 78,00" in each, each
        bag = ask(bot, "me ve um saquinho de pao careca com 10 unidade, qto da?", who="4").text
        assert "R$ 11,50" in bag, bag
    with on_store(tmp_path, "store110") as bot:
        cans = ask(bot, "quero levar um fardo de coca lata, o de 12 latinha, me passa o preço").text
        assert "R$ 44,28" in cans, cans
    with on_store(tmp_path, "store121") as bot:
        after = ask(bot, "qto ta o fardo da coca de 2 litros? o de 6 garrafas").text
        assert "R$ 59,70" in after, after


def test_the_one_hundred_and_twenty_first_to_sixth_sets_parts_after_their_one_runs(tmp_path):
    """Session 12, eval121 to eval126: "água com gás" is not the "Água sem Gás" (nor "manteiga sem sal" the "com
    Sal"); "o pão sai q horas? e tá qto a unidade?" asks both; the harvest late "aqui na lavoura" is no complaint;
    "daqueles vermelhinho", "saco grande" only describe the goods asked; "as de bebida e tb as de limpeza" asks both
    sections; "e mais 2 pra minha vizinha" is more of the same and "tudo polpa" describes the goods counted."""
    with on_store(tmp_path, "store121") as bot:
        fizzy = ask(bot, "queria uma agua com gas pra minha vó, vcs trabalham com essa?").text
        assert "não vendemos" in fizzy and "R$" not in fizzy, fizzy
        eggs = ask(bot, "tem ovo caipira? daqueles vermelhinho", who="2").text
        assert "não vendemos" in eggs and "R$" not in eggs, eggs
    with on_store(tmp_path, "store124") as bot:
        both = ask(bot, "o pao careca sai q horas? e ta qto a unidade?").text
        assert "11h" in both and "R$ 1,35" in both, both
        more = ask(bot, "6 guaraná arapujá pra mim e mais 2 pra minha vizinha, quanto fica?", who="2").text
        assert "8x" in more and "R$ 38,00" in more and "vizinha" not in more, more
        pulp = ask(bot, "3 cupuaçu e 3 açai grosso, tudo polpa, da qnto?", who="3").text
        assert "R$ 114,30" in pulp, pulp
    with on_store(tmp_path, "store125") as bot:
        harvest = ask(bot, "bah tchê, semana corrida aqui na lavoura, a colheita da soja atrasou com essa chuvarada "
                           "toda... mas bueno, a patroa pediu pra eu ver o preço do vinho colonial de garrafão")
        assert not harvest.handoff and "R$ 39,85" in harvest.text, harvest.text
        sections = ask(bot, "quero saber as ofertas de bebida e tb as de limpeza", who="2").text
        assert "Bebidas" in sections and "R$ 24,95" in sections, sections


def test_the_one_hundred_and_twenty_seventh_to_thirty_second_sets_kinds_after_their_one_runs(tmp_path):
    """Session 12, eval127 to eval132 after their one untouched run: "domingo de tarde vcs abrem? ... fazer a
    feira" is the hours checked, not an entry on the store's "feiras"; "entrega pro mutirão vcs fazem?" and
    "mora em tucuns, da pra vcs levarem a feira dela?" name a place not served; "pedido de 60 reais vcs mandam?"
    checks the minimum; "manda o preço do leite da manteiga do pão careca e do café pilão pfv" is four prices; a
    list "quanto ficou?" is its total; "um saco de flocão fechado, 24 pacotes" is 24; a heading naming the goods
    ("papel higiênico mili: quero 6") is counted; "farinha 2 pct", "coentro 3 molhos" count after the goods;
    "pro meu ponto de suco", "pra bodega" say what for; the cart's "leite" is the milk the quote read so; "troca
    o camarão fresco pelo salgado" is the salted shrimp."""
    with on_store(tmp_path, "store129") as bot:
        sunday = ask(bot, "oxe, e domingo de tarde vcs abrem? queria ir fazer a feira umas 3h da tarde").text
        assert sunday.startswith("Não") and "12h" in sunday, sunday
        bean = ask(bot, "ola! me mudei pra irece mes passado por causa do trabalho no banco, todo mundo me fala q o "
                        "feijao de corda daqui é o melhor da bahia. qual o preço do pacote de 1kg?", who="2").text
        assert "R$ 8,30" in bean and "Arroz" not in bean, bean
        listed = ask(bot, "feira de mainha:\nfarinha 2 pct\nfeijao de corda 2\ncharque 1\nmaxixe 1 kg\ntomate 1 kg",
                     who="3").text
        assert "2x Farinha" in listed, listed
    with on_store(tmp_path, "store126") as bot:
        far = ask(bot, "oi mana, entrega pro mutirão vcs fazem?").text
        assert "não entregamos em Mutirão" in far, far
    with on_store(tmp_path, "store128") as bot:
        town = ask(bot, "minha mae mora em tucuns, da pra vcs levarem a feira dela la?").text
        assert "não entregamos em tucuns" in town, town
        least = ask(bot, "oxe, pedido de 60 reais vcs mandam?", who="2").text
        assert least.startswith("Não") and "R$ 75,00" in least, least
        sack = ask(bot, "queria um saco de flocao fechado, 24 pacotes de 500g. qto fica?", who="3").text
        assert "R$ 52,56" in sack, sack
    with on_store(tmp_path, "store127") as bot:
        four = ask(bot, "manda o preço do leite da manteiga do pao careca e do cafe pilao pfv").text
        assert all(x in four for x in ("R$ 5,45", "R$ 13,20", "R$ 1,25", "R$ 23,90")), four
        total = ask(bot, "bota ai pra mim: detergente, agua sanitaria, sabao em po omo, papel higienico neve e "
                         "creme dental. quanto ficou?", who="2").text
        assert "R$ 59,75" in total, total
        ask(bot, "qual o preço da polpa de cupuaçu", who="3")
        juice = ask(bot, "vou precisar de 15 pro meu ponto de suco, quanto fica cada uma nessa quantidade?", who="3")
        assert "R$ 14,20" in juice.text, juice.text
        ask(bot, "me faz o orçamento: 1 kg de camarao fresco, 2 kg de mapara, 1 pacote de farinha dagua", who="4")
        salted = ask(bot, "troca o camarao fresco pelo salgado", who="4").text
        assert "R$ 93,60" in salted, salted
    with on_store(tmp_path, "store130") as bot:
        headed = ask(bot, "papel higiênico mili: quero 6. quanto vai dar?").text
        assert "R$ 86,94" in headed, headed
        ask(bot, "qto fica 8 leite, 2 leite em po e 1 bebida lactea", who="2")
        more = ask(bot, "bota mais 4 leite ai", who="2").text
        assert "R$ 79,75" in more, more
    with on_store(tmp_path, "store115") as bot:
        herbs = ask(bot, "bode 2 kg, maxixe 1 kg, coentro 3 molhos, cebola 1 kg, tomate 2 kg e uma duzia de ovos, "
                         "qnto da?").text
        assert "3x Coentro" in herbs, herbs
        ask(bot, "qto ta o cafe alto sertao de 500", who="2")
        shop = ask(bot, "comprando pra bodega sai mais barato? de quantos pacote em diante?", who="2").text
        assert "R$ 15,99" in shop and "10" in shop, shop


def test_quotes_beside_a_delivery_asked_of_a_place(tmp_path):
    """Session 12, eval121 to eval132's two questions in one: "1 saco de carvão ces entregam?" ("cês" is
    "vocês"), "... e vcs entregam na baixa verde?" (a place, though "verde" is a kind of goods), "manda 2 café ...
    aqui pra vila nova? quanto fica" and "to no ipanema, vcs conseguem trazer ..." (an area named inside the
    list) answer the quote and the delivery; "quanto tá o litro do açaí e pluxee passa aí?" asks both."""
    with on_store(tmp_path, "store112") as bot:
        coal = ask(bot, "moro no jardim andere. se eu pedir 2 kg de costela e 1 saco de carvão ces entregam? "
                        "quanto fica?", who="1").text
        assert "R$ 77,70" in coal and "Jardim Andere" in coal, coal
    with on_store(tmp_path, "store127") as bot:
        green = ask(bot, "quanto fica 2 kg de camarao fresco e 1 farinha d'agua? e vcs entregam na baixa verde?",
                    who="2").text
        assert "R$ 76,70" in green and "entregamos em Baixa Verde" in green and "R$ 88,00" in green, green
    with on_store(tmp_path, "store128") as bot:
        sent = ask(bot, "manda 2 cafe santa clara e 1 rapadura aqui pra vila nova? quanto fica", who="3").text
        assert "R$ 26,25" in sent and "Vila Nova" in sent and "R$ 75,00" in sent, sent
    with on_store(tmp_path, "store115") as bot:
        here = ask(bot, "to no ipanema, vcs conseguem trazer 10 feijao carioca, 6 arroz 5kg e 2 cafe alto sertao "
                        "500? quanto fica?", who="4").text
        assert "Ipanema" in here and "R$ 251,28" in here, here
    with on_store(tmp_path, "store126") as bot:
        paid = ask(bot, "quanto ta o litro do açai e pluxee passa ai?", who="5").text
        assert "R$ 16,90" in paid and "Pluxee" in paid, paid


def test_dozens_and_a_half_closed_sacks_and_a_better_price_asked(tmp_path):
    """Session 12, eval124 and eval127: "2 dúzia e meia de ovo" is 30 eggs; "o saco de açúcar c/ 10 pacotes" holds
    10; "levando uns 5 sacos melhora o preço?" after the charcoal says yes, at the tier 5 reach."""
    with on_store(tmp_path, "store111") as bot:
        eggs = ask(bot, "2 duzia e meia de ovo qto da").text
        assert "30x" in eggs and "R$ 22,50" in eggs, eggs
    with on_store(tmp_path, "store123") as bot:
        sack = ask(bot, "o saco de açucar c/ 10 pacotes de 1 kg ta qto?", who="2").text
        assert "R$ 41,90" in sack, sack
    with on_store(tmp_path, "store108") as bot:
        ask(bot, "qual o preço do carvão", who="3")
        better = ask(bot, "levando uns 5 sacos melhora o preço?", who="3").text
        assert better.startswith("Sim") and "R$ 17,45" in better, better


def test_the_one_hundred_and_fifteenth_to_twentieth_sets_second_pass(tmp_path):
    """Session 12, a second pass on eval115 to eval120: "preço bom na mercearia e no açougue" and "me fala as
    ofertas da padaria e dos frios" after a plan told ask both sections' promotions; the goods of a list's piece
    before what they are for ("do biscoito de polvilho pra levar de lanche"); "1 kg de picanha" is an amount of
    goods sold by the kilo, not a size the store lacks; "e domingo vai até q horas?" is the store's hours."""
    with on_store(tmp_path, "store114") as bot:
        two = ask(bot, "domingo é dia de tropeiro aqui em casa 😋 o q ta com preço bom na mercearia e no açougue?").text
        assert "Mercearia" in two and "Açougue" in two, two
        told = ask(bot, "vou receber as comadres pra um cafe da tarde, me fala as ofertas da padaria e dos frios",
                   who="2").text
        assert "Padaria" in told and "Frios" in told, told
        snack = ask(bot, "queria saber o valor do pão de queijo congelado, da rosca de leite condensado e do "
                         "biscoito de polvilho pra levar de lanche pra viagem", who="3").text
        assert "R$ 6,15" in snack, snack
    with on_store(tmp_path, "store117") as bot:
        meat = ask(bot, "qnto ta 1 kg de picanha? e vcs entregam no catumbi?", who="4").text
        assert "R$ 79,90" in meat and "Catumbi" in meat, meat
    with on_store(tmp_path, "store118") as bot:
        sunday = ask(bot, "vcs abrem em feriado? e domingo vai ate q horas?", who="5").text
        assert "12h20" in sunday and "chipa" not in sunday, sunday


def test_a_cart_line_set_by_its_container_and_never_twice(tmp_path):
    """Session 12, eval130: "troca pra 12 latinhas" after "4 coca 2l e 6 latinha itaipava" sets the can to 12; goods
    already in the cart, named another way, stay one line."""
    with on_store(tmp_path, "store129") as bot:
        ask(bot, "orçamento: 4 coca 2l e 6 latinha itaipava")
        cans = ask(bot, "troca pra 12 latinhas").text
        assert "R$ 75,20" in cans and cans.count("x Cerveja Lata") == 1, cans


def test_the_month_shopping_is_no_section_and_edits_after_muda(tmp_path):
    """Session 12, eval124 and eval132: "tô fazendo a feira do mês, o que tem de promoção na mercearia?" asks the
    grocery's promotions, not the produce "feira" names; "muda: sem a paleta, espinhaço vai 3 kg e inclui 1 doce"
    is three edits (and "muda o arroz pra 10" still one)."""
    with on_store(tmp_path, "store123") as bot:
        grocery = ask(bot, "to fazendo a feira do mes, o que tem de promoçao na mercearia? arroz feijao cafe essas "
                           "coisas").text
        assert "R$ 10,75" in grocery and "R$ 3,45" not in grocery, grocery
    with on_store(tmp_path, "store131") as bot:
        ask(bot, "2 kg de paleta de ovelha e 1 kg de espinhaço, qto fica?", who="2")
        edited = ask(bot, "muda: sem a paleta, espinhaço vai 3 kg e inclui 1 doce de abobora", who="2").text
        assert "R$ 87,60" in edited, edited


def test_the_one_hundred_and_thirty_ninth_to_forty_fourth_sets_answers_beside_the_question(tmp_path):
    """Session 12, eval140, eval142 and eval143's invented prices and wrong "Sim" on the final code: a sentence
    told before a price asked ("moro numa república com mais 3 meninas ... o flocão sai por quanto?", "queria
    deixar um elogio pra moça do caixa ...") is not asked of an entry a word of it names; "o pintado em posta tá
    qto o kg?" asks a price, not the entry on cutting fish; "minha feira deu 60 reais, manda assim mesmo?" checks
    the minimum; "precisa levar quantas?" right after the wholesale tier is answered by it."""
    with on_store(tmp_path, "store139") as bot:
        flour = ask(bot, "ola! sou caloura do ifrn, moro numa republica com mais 3 meninas e a gente ta se virando "
                         "na cozinha kkkk. cuscuz todo dia pq é barato e enche. o flocão do moinho alto oeste sai "
                         "por quanto?").text
        assert "R$ 1,99" in flour and "R$ 200,00" not in flour, flour
        least = ask(bot, "minha feira deu 60 reais so, manda assim mesmo pra casa?", who="2").text
        assert least.startswith("Não") and "R$ 75,00" in least, least
    with on_store(tmp_path, "store141") as bot:
        fish = ask(bot, "eai parceiro blz? vim de cacoal visitar minha mae aqui em rolim e ela ta fazendo uma "
                        "peixada pro almoço de domingo, mandou eu comprar o peixe. o pintado em posta ta qto o "
                        "kg?").text
        assert "R$ 46,90" in fish and "R$ 3,00" not in fish, fish
        praise = ask(bot, "queria deixar um elogio pra moça do caixa 3 ontem, foi mto atenciosa com minha mae que é "
                          "idosa, ajudou ate a levar as sacola no carro. parabens pra ela! aproveitando, qto ta o "
                          "sabao em barra?", who="2").text
        assert "R$ 9,49" in praise and "R$ 0,20" not in praise, praise
    with on_store(tmp_path, "store142") as bot:
        ask(bot, "oleo soya ta qnto?")
        tier = ask(bot, "no atacado baixa pra qto? precisa levar quantas?").text
        assert "R$ 6,29" in tier and "R$ 12,00" not in tier, tier
