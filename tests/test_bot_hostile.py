"""Hostile customer text (issue 10, item 1): any text up to WhatsApp's 4,096
characters goes through the template path with bounded work. The text
functions are driven with long hostile strings (hypothesis, with a per-example
deadline far above what they need now and far below what they took before);
the pipeline answers every shape of tests/support/hostile.py well under a
loose wall-clock bound (the real target, p99 < 50 ms, is in the benchmark)."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatbot import db
from chatbot.bot import pipeline, text
from chatbot.bot.answering import product_replies
from chatbot.bot.store import knowledge
from chatbot.bot.types import Question
from support import hostile
from support.catalog import STORE
from support.configs import make_cfg

LOOSE_SECONDS = 2.0      # today: milliseconds; before the fix: seconds to minutes at this length

# Pieces that made the old code slow (nested quantifiers, every span of every length, typo
# correction of every word) or that normalization treats specially.
PIECES = ["a1", "1a", "a", "1", " ", "  ", "\n", "R$", "reais", "real", "centavos", "h", "12h", ":30", ",", ".",
          "kg", "5 kg", "litros", "ção", "feijão", "preto", "Boa", "Vista", "de", "o", "pro", "vc", "qto", "bommm",
          "😀", "👨‍👩‍👧", "e\u0301", "ß", "日本", "\u200b", "wi-fi", "-", "/", "$", "%", "aaaaaaaa", "entrega", "no",
          "em", "atacado", "promoção", "e o", ", ", "quanto custa", "estacionamento", "Rio Vermelho"]
hostile_texts = st.lists(st.sampled_from(PIECES), min_size=200, max_size=1400).map("".join).map(
    lambda s: s[:hostile.WHATSAPP_MAX])
LONG = settings(max_examples=25, deadline=timedelta(seconds=1), suppress_health_check=[HealthCheck.too_slow,
                                                                                       HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    cfg = make_cfg(tmp_path_factory.mktemp("hostile"), llm={"enabled": False})
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
    return pipeline.build_bot(cfg, conn)


# -- the text functions ---------------------------------------------------------------------

@LONG
@given(s=hostile_texts, phrase=st.lists(st.sampled_from(["a1", "feijao", "preto", "boa", "vista", "5kg", "1"]),
                                         min_size=1, max_size=8).map(" ".join))
def test_text_functions_on_long_hostile_strings(s, phrase):
    toks = text.tokens(s)
    assert " ".join(toks) == text.normalize(s)
    text.stems(s)
    text.content_words(s)
    text.has_phrase(text.normalize(s), "quanto custa")
    found = text.original_span(s, phrase)
    if found is not None:       # a run of the customer's words that reads as the phrase
        assert found in " ".join(re.findall(r"[\w$]+(?:[.,]\d+)*", s))
        assert [text.stem(t) for t in text.tokens(found) if t not in text.STOPWORDS] == \
            [text.stem(t) for t in phrase.split()]
    typos = text.fuzzy_words(toks)
    assert len(typos) <= text.MAX_FUZZY_WORDS
    for w in list(typos)[:4]:
        text.correct(w, ("feijao", "arroz", "estacionamento"))


@LONG
@given(s=hostile_texts)
def test_named_product_never_echoes_money_or_hours_and_stays_short(s):
    words = text.content_words(s)[:product_replies.MAX_NAMED_WORDS]
    named = product_replies._named(words, s)
    assert named == "esse produto" or len(named) <= product_replies.MAX_NAMED_CHARS + 2
    assert "R$" not in named and not re.search(r"\d\S*\s*(?:reais|real|centavos?)\b", named, re.I)
    assert not re.search(r"\b\d{1,2}:\d{2}\b", named)


def _reference_span(original: str, normalized_phrase: str) -> str | None:
    """The old exhaustive search (every span of every length): cubic, the reference on short texts."""
    words = re.findall(r"[\w$]+(?:[.,]\d+)*", original)
    target = [text.stem(t) for t in normalized_phrase.split()]
    for length in range(1, len(words) + 1):
        for i in range(len(words) - length + 1):
            span = words[i:i + length]
            if [text.stem(t) for t in text.tokens(" ".join(span)) if t not in text.STOPWORDS] == target:
                return " ".join(span)
    return None


@settings(max_examples=400, deadline=None)
@given(words=st.lists(st.sampled_from(["Boa", "Vista", "feijão", "Feijões", "preto", "de", "o", "vc", "arroz",
                                       "Tio", "João", "a1", "São", "Caetano", "pra", "bom", "dia", "R$", "kg"]),
                      min_size=1, max_size=10),
       sep=st.sampled_from([" ", ", ", "-", "\n"]), data=st.data())
def test_original_span_finds_what_the_exhaustive_search_found(words, sep, data):
    a = data.draw(st.integers(0, len(words) - 1))
    b = data.draw(st.integers(a, len(words) - 1))
    phrase = " ".join(text.content_words(" ".join(words[a:b + 1])))
    if phrase:
        original = sep.join(words)
        assert text.original_span(original, phrase) == _reference_span(original, phrase)


# -- the pipeline -------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", list(hostile.SHAPES))
def test_every_hostile_shape_is_answered_quickly_from_templates(bot, shape):
    message = hostile.SHAPES[shape]()
    assert 4000 <= len(message) <= hostile.WHATSAPP_MAX
    started = time.monotonic()
    reply = bot.answer(Question(text=message, wa_id=f"hostile-{len(shape)}"))
    elapsed = time.monotonic() - started
    assert elapsed < LOOSE_SECONDS, f"{shape}: {elapsed:.1f}s"
    assert reply.source == "template" and reply.text
    # A reply WhatsApp can deliver: a long quote goes out as several messages, each within the limit.
    assert all(len(part) <= hostile.WHATSAPP_MAX for part in reply.messages())
    assert message[100:400] not in reply.text           # a pasted text is not echoed back


def test_the_issue_message_that_took_minutes(bot):
    message = "quanto custa o " + "a1" * ((hostile.WHATSAPP_MAX - 16) // 2) + "?"
    started = time.monotonic()
    reply = bot.answer(Question(text=message, wa_id="issue"))
    assert time.monotonic() - started < LOOSE_SECONDS
    assert reply.intent == "product_price" and "Não encontrei esse produto" in reply.text


def test_a_long_shopping_list_keeps_its_question(bot):
    """The question at the end of a 60-line list is answered (the delivery area), and a list
    that asks for the total is priced whole, not cut silently."""
    reply = bot.answer(Question(text=hostile.shopping_list(), wa_id="list-1"))
    assert "entregamos em Rio Vermelho" in reply.text
    rows = ["2 kg feijão preto", "1 pacote arroz tio joão", "3 óleo de soja", "1 café santa clara",
            "2 leite integral", "1 margarina"] * 10
    reply = bot.answer(Question(text="Boa tarde, segue a lista:\n" + "\n".join(rows) + "\nquanto fica tudo?",
                                wa_id="list-2"))
    # Priced as a quote (issue 12): every line, the total last, in messages WhatsApp can deliver.
    assert reply.intent == "quote" and "Óleo de Soja" in reply.text and "Margarina" in reply.text
    parts = reply.messages()
    # (then the next step's question with its buttons, in a message of its own: orders)
    assert all(len(part) <= hostile.WHATSAPP_MAX for part in parts) and "*Total:" in parts[-1 - len(reply.follow_up)]


def test_ordinary_questions_still_get_their_typos_corrected(bot):
    reply = bot.answer(Question(text="vcs tem estacionamneto?", wa_id="typo-1"))
    assert reply.intent == "faq" and "estacionamento" in reply.text
    reply = bot.answer(Question(text="qto ta o fejao preto", wa_id="typo-2"))
    assert "R$ 8,99" in reply.text
