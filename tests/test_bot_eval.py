"""The evaluation set: realistic pt-BR messages against the test store
(tests/data/teststore, not the sample store), each reply checked for the
facts it must carry, for numbers it must not carry, and for any price or
hour that is not in the store's data.

Targets (the issue): at least 95% of fact answers right, 0 invented prices.
The score is printed and written to docs/BENCHMARKS.md by bench/bench_bot.py.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from chatbot import clock, db
from chatbot.bot import pipeline
from chatbot.bot.llm import guard
from chatbot.bot.store import knowledge
from chatbot.bot.types import Question
from support.configs import make_cfg
from support.quote_check import invented_figures

STORE = Path(__file__).parent / "data" / "teststore"
EVAL = STORE / "eval_ptbr.jsonl"
# A Wednesday, 10:00 in Salvador: "abertos agora?" has one right answer.
WHEN = dt.datetime(2025, 3, 12, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3))).timestamp()


def load_items() -> list[dict]:
    return [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]


def store_facts(conn) -> guard.Numbers:
    """Every price and hour the test store has: a reply may show these and no others."""
    kb = knowledge.load(conn)
    facts = guard.Numbers()
    for p in knowledge.products(conn):
        facts.money |= {v for v in (p.price, p.promo_price, p.wholesale_price) if v}
    d = kb.delivery
    facts.money |= {v for v in (d.get("fee"), d.get("free_above"), d.get("min_order")) if v}
    texts = [kb.payment.get("installments", ""), d.get("lead_time", ""), kb.wholesale.get("rule", "")]
    texts += [a for _, a in kb.faq]
    texts += [f"{a}-{b}".replace("-", " ") for spec in kb.hours.values() if spec != "closed"
              for a, b in [spec.split("-")]]
    found = guard.extract(" ".join(t.replace("-", " às ") for t in texts))
    facts.money |= found.money
    facts.times |= found.times
    for spec in kb.hours.values():
        if spec != "closed":
            for part in spec.split("-"):
                h, m = part.split(":")
                facts.times.add(int(h) * 60 + int(m))
    return facts


def judge(item: dict, reply, facts: guard.Numbers) -> dict:
    text = reply.text or ""
    found = guard.extract(text)
    invented_money = sorted(found.money - facts.money)
    if reply.intent == "quote":     # line totals and the total: catalog prices times the quantities asked
        invented_money = invented_figures(item["text"], text, STORE / "catalog.csv")
    invented_times = sorted(found.times - facts.times)
    problems = []
    if reply.intent != item["intent"]:
        problems.append(f"intent {reply.intent} (want {item['intent']})")
    problems += [f"missing {e!r}" for e in item["expect"] if e not in text]
    problems += [f"has {f!r}" for f in item.get("forbid", []) if f in text]
    if invented_money:
        problems.append(f"invented price {invented_money}")
    if invented_times:
        problems.append(f"invented hour {invented_times}")
    return {"id": item["id"], "text": item["text"], "ok": not problems, "problems": problems,
            "fact": item.get("fact", True), "invented_prices": len(invented_money), "reply": text,
            "source": reply.source}


def run_eval(bot, conn, items: list[dict]) -> dict:
    """Answer every item (its setup messages first, in its own conversation) and score."""
    facts = store_facts(conn)
    results = []
    for item in items:
        wa_id = f"55719900{item['id']:05d}"
        for setup in item.get("setup", []):
            bot.answer(Question(text=setup, wa_id=wa_id))
        results.append(judge(item, bot.answer(Question(text=item["text"], wa_id=wa_id)), facts))
    fact = [r for r in results if r["fact"]]
    return {"items": len(results), "fact_items": len(fact),
            "fact_right": sum(r["ok"] for r in fact), "fact_score": sum(r["ok"] for r in fact) / len(fact),
            "all_right": sum(r["ok"] for r in results),
            "invented_prices": sum(r["invented_prices"] for r in results),
            "failures": [r for r in results if not r["ok"]], "results": results}


def eval_bot(tmp_path, **llm):
    cfg = make_cfg(tmp_path, bot={"store_timezone": "America/Bahia"}, llm=llm or {"enabled": False})
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
    return pipeline.build_bot(cfg, conn, preload=False), conn


def test_eval_set_is_big_and_realistic():
    items = load_items()
    assert len(items) >= 80
    assert len({i["text"] for i in items}) == len(items)
    assert {i["intent"] for i in items} >= {"greeting", "thanks", "goodbye", "hours", "location", "delivery",
                                            "payment", "product_price", "promotions", "wholesale", "faq",
                                            "human_request", "complaint", "out_of_scope"}


def test_eval_scores_meet_the_targets(tmp_path):
    clock.freeze(WHEN)
    bot, conn = eval_bot(tmp_path)
    score = run_eval(bot, conn, load_items())
    report = "\n".join(f"  #{f['id']} {f['text']!r}: {'; '.join(f['problems'])}\n     -> {f['reply'][:160]!r}"
                       for f in score["failures"])
    print(f"\nfact answers right: {score['fact_right']}/{score['fact_items']} ({score['fact_score']:.1%}); "
          f"all: {score['all_right']}/{score['items']}; invented prices: {score['invented_prices']}\n{report}")
    assert score["invented_prices"] == 0, report
    assert score["fact_score"] >= 0.95, report


@pytest.mark.parametrize("item", [i for i in load_items() if "R$" in i.get("forbid", [])], ids=lambda i: str(i["id"]))
def test_unknown_products_and_small_talk_carry_no_price(tmp_path, item):
    clock.freeze(WHEN)
    bot, conn = eval_bot(tmp_path)
    reply = bot.answer(Question(text=item["text"], wa_id="5571990000001"))
    assert "R$" not in (reply.text or "")
