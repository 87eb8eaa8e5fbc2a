"""The evaluation sets of issue 19 (tests/data/eval3/ ... eval36/): messages written by helpers who
never read the bot's code, on 35 stores (tests/data/store-sample, store2 ... store35: other cities,
areas, fees, hours, payment methods, FAQs and products with variants), in eval3's format
(eval3/README.md). Eval set 3 has a tune half and a held-out half; each later set is held out whole
and was written on a new store. Every held-out set was run once, untouched, before its failures were
read (docs/BENCHMARKS.md, "Bot: reading on stores it never saw", records those runs); after that run
it is tuning material like the rest, and its floor here only keeps what was gained. A new set that
nobody has looked at is the only honest measure of messages the bot has not seen.

Each item is asked through the real code path (``Bot.answer``, LLM off, real SQLite
file) on its store, after the item's ``context`` messages from the same customer, with
the clock frozen on a Wednesday at 10:00 in the store's zone. Checked: every
must_contain present, no must_not_contain, no price where none may be given, every
quote figure from the catalog (support/quote_check.py), the handoff, and yes/no: a "no"
never starts with "Sim" and says no; a "yes" says yes. Per-kind scores go to
tests/artifacts/<set>-<half>_score.json; ``pytest tests/test_bot_eval3.py -q -s`` prints
the table. Also: every stored evaluation set goes through the bot with no exception.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from chatbot import clock, db
from chatbot.bot.pipeline import build_bot
from chatbot.bot.store.knowledge import import_kb
from chatbot.bot.types import Question, Reply
from support.configs import make_cfg
from support.quote_check import MONEY, invented_figures

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SETS = tuple(DATA / f"eval{n}" for n in range(3, 145))
# Held-out sets run once, on session 12's final code, and not tuned on: the next session's material; only checked
# to answer without an exception here (their scores are in their READMEs and docs/BENCHMARKS.md).
UNTUNED = range(145, 151)
STORES = {name: DATA / name for name in ("store-sample", "store2", "store3", "store4", "store5", "store6", "store7",
                                         "store8", "store9", "store10", "store11", "store12", "store13", "store14",
                                         "store15", "store16", "store17", "store18", "store19", "store20",
                                         "store21", "store22", "store23", "store24", "store25", "store26", "store27",
                                         "store28", "store29", "store30", "store31",
                                         "store32", "store33", "store34", "store35", "store36", "store37", "store38",
                                         "store39", "store40", "store41", "store42", "store43",
                                         "store44", "store45", "store46", "store47", "store48", "store49", "store50",
                                         "store51", "store52", "store53", "store54", "store55",
                                         "store56", "store57", "store58", "store59",
                                         "store60", "store61", "store62", "store63",
                                         "store64", "store65", "store66", "store67",
                                         *(f"store{n}" for n in range(68, 150)))}
# Wednesday 2026-12-02, 10:00 in the zone the bot is configured with (UTC-3; the sets are judged at 10:00 in each
# store's own zone, store26's Boa Vista included): a weekday morning, before any cut-off.
WEDNESDAY_10H = dt.datetime(2026, 12, 2, 13, 0, tzinfo=dt.timezone.utc).timestamp()
TARGET = {"eval3-tune": 0.97, "eval3-heldout": 0.97, "eval4-tune": 0.92, "eval4-heldout": 0.90,
          "eval5-heldout": 0.96, "eval6-heldout": 0.97, "eval7-heldout": 0.97, "eval8-heldout": 0.97,
          "eval9-heldout": 0.96, "eval10-heldout": 0.92, "eval11-tune": 0.96, "eval12-tune": 0.96,
          "eval13-heldout": 0.91, "eval14-tune": 0.95, "eval15-tune": 0.93, "eval16-heldout": 0.91,
          "eval17-heldout": 0.88, "eval18-heldout": 0.89, "eval19-tune": 0.93, "eval20-heldout": 0.97,
          "eval21-heldout": 0.97, "eval22-heldout": 0.97, "eval23-heldout": 0.93,
          "eval24-heldout": 0.97,
          "eval25-heldout": 0.97,
          "eval26-heldout": 0.97,
          "eval27-heldout": 0.97,
          "eval28-heldout": 0.89, "eval29-heldout": 0.94, "eval30-heldout": 0.89,
          "eval31-heldout": 0.88, "eval32-heldout": 0.96,
          "eval33-heldout": 0.93, "eval34-heldout": 0.94,
          "eval35-heldout": 0.96, "eval36-heldout": 0.95,
          "eval37-heldout": 0.98, "eval38-heldout": 0.98,
          "eval39-heldout": 0.98, "eval40-heldout": 0.98,
          "eval41-heldout": 0.98, "eval42-heldout": 0.95,
          "eval43-heldout": 0.94, "eval44-heldout": 0.96,
          "eval45-heldout": 0.94, "eval46-heldout": 0.95,
          "eval47-heldout": 0.95, "eval48-heldout": 0.98,
          "eval49-heldout": 0.96, "eval50-heldout": 0.96,
          "eval51-heldout": 0.90, "eval52-heldout": 0.92,
          "eval53-heldout": 0.95, "eval54-heldout": 0.94,
          "eval55-heldout": 0.95, "eval56-heldout": 0.98,
          "eval57-heldout": 0.95, "eval58-heldout": 0.97,
          "eval59-heldout": 0.95, "eval60-heldout": 0.92,
          "eval61-heldout": 0.91, "eval62-heldout": 0.95,
          "eval63-heldout": 0.94, "eval64-heldout": 0.95,
          "eval65-heldout": 0.93, "eval66-heldout": 0.98,
          "eval67-heldout": 0.95, "eval68-heldout": 0.94,
          "eval69-heldout": 0.95, "eval70-heldout": 0.95, "eval71-heldout": 0.95, "eval72-heldout": 0.92,
          "eval73-heldout": 0.88, "eval74-heldout": 0.92, "eval75-heldout": 0.92, "eval76-heldout": 0.92,
          "eval77-heldout": 0.97, "eval78-heldout": 0.95, "eval79-heldout": 0.90, "eval80-heldout": 0.92,
          "eval81-heldout": 0.95, "eval82-heldout": 0.93, "eval83-heldout": 0.95, "eval84-heldout": 0.96,
          "eval85-heldout": 0.96, "eval86-heldout": 0.91, "eval87-heldout": 0.98, "eval88-heldout": 0.93,
          "eval89-heldout": 0.95, "eval90-heldout": 0.96,
          "eval91-heldout": 0.90, "eval92-heldout": 0.91, "eval93-heldout": 0.93, "eval94-heldout": 0.90,
          "eval95-heldout": 0.94, "eval96-heldout": 0.91, "eval97-heldout": 0.93, "eval98-heldout": 0.94,
          "eval99-heldout": 0.95, "eval100-heldout": 0.91, "eval101-heldout": 0.91, "eval102-heldout": 0.97,
          "eval103-heldout": 0.92, "eval104-heldout": 0.93, "eval105-heldout": 0.92, "eval106-heldout": 0.85,
          "eval107-heldout": 0.91, "eval108-heldout": 0.90, "eval109-heldout": 0.96, "eval110-heldout": 0.90,
          "eval111-heldout": 0.92, "eval112-heldout": 0.93, "eval113-heldout": 0.91, "eval114-heldout": 0.90,
          "eval115-heldout": 0.94, "eval116-heldout": 0.95, "eval117-heldout": 0.95, "eval118-heldout": 0.95,
          "eval119-heldout": 0.97, "eval120-heldout": 0.95, "eval121-heldout": 0.92, "eval122-heldout": 0.94,
          "eval123-heldout": 0.95, "eval124-heldout": 0.98, "eval125-heldout": 0.92, "eval126-heldout": 0.99,
          "eval127-heldout": 0.95, "eval128-heldout": 0.95, "eval129-heldout": 0.93, "eval130-heldout": 0.97,
          "eval131-heldout": 0.94, "eval132-heldout": 0.96,
          "eval133-heldout": 0.95, "eval134-heldout": 0.94, "eval135-heldout": 0.90, "eval136-heldout": 0.93,
          "eval137-heldout": 0.96, "eval138-heldout": 0.90, "eval139-heldout": 0.94, "eval140-heldout": 0.90,
          "eval141-heldout": 0.96, "eval142-heldout": 0.95, "eval143-heldout": 0.95, "eval144-heldout": 0.90}
# Invented prices and wrong "Sim" a set may have: none is the bar; these are floors while it is open.
INVENTED_ALLOWED: dict[str, int] = {"eval17-heldout": 1}
WRONG_SIM_ALLOWED: dict[str, int] = {}
_GREETING = re.compile(r"^\s*(?:ol[áa][^.!?\n]*[!.]\s*(?:👋)?\s*)", re.IGNORECASE)
_YES = re.compile(r"^(?:sim\b|temos\b|aceitamos\b|entregamos\b|abrimos\b|fazemos\b|emitimos\b|montamos\b|pode\b"
                  r"|podemos\b|dá\b|da sim\b|claro\b)", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
_NO = re.compile(r"\b(?:não|nao|infelizmente)\b", re.IGNORECASE)


def _norm(text: str | None) -> str:
    return (text or "").replace("\u00a0", " ").replace("\u202f", " ")


def set_files() -> list[Path]:
    return [p for folder in SETS for p in sorted(folder.glob("*.jsonl"))]


def set_name(path: Path) -> str:
    """"eval4-tune" for tests/data/eval4/tune.jsonl."""
    return f"{path.parent.name}-{path.stem}"


def load_items(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def first_sentence(reply: str) -> str:
    body = _GREETING.sub("", _norm(reply)).lstrip(" 🚚💳🕒📍✅😕🔥📦🧾")
    return re.split(r"(?<=[.!?])\s|\n", body, maxsplit=1)[0]


def yes_no_problem(expected: str | None, reply: str) -> str | None:
    if expected not in ("yes", "no"):
        return None
    first = first_sentence(reply)
    if expected == "no":
        if first.lower().startswith("sim"):
            return "wrong Sim"
        return None if _NO.search(first) else "does not say no"
    return None if _YES.search(first) and not _NO.search(first) else "does not say yes"


def _said(expected: str, text: str) -> bool:
    """An expected substring in the reply; a time written as the store files write it ("07:00")
    is also found as customers read it ("7h", "12h30"): the same fact, in the bot's format."""
    if _norm(expected) in text:
        return True
    m = _CLOCK.match(expected)
    if not m:
        return False
    spoken = f"{int(m.group(1))}h" + (m.group(2) if m.group(2) != "00" else "")
    return re.search(rf"(?<!\d){spoken}(?!\d)", text) is not None


def store_figures(folder: Path) -> set[Decimal]:
    """The money of the store's facts (delivery fee, thresholds): a reply may state them too."""
    with (folder / "store.toml").open("rb") as fh:
        facts = tomllib.load(fh)
    d = facts.get("delivery", {})
    out = {Decimal(str(d[k])).quantize(Decimal("0.01")) for k in ("fee", "free_above", "min_order") if d.get(k)}
    for raw in MONEY.findall(facts.get("payment", {}).get("installments", "")):
        out.add(Decimal(raw.replace(".", "").replace(",", ".")))
    return out


def check(item: dict, reply, catalog: Path) -> list[str]:
    text = _norm(reply.text)
    problems = [f"missing {s!r}" for s in item["must_contain"] if not _said(s, text)]
    problems += [f"contains {s!r}" for s in item.get("must_not_contain", []) if _norm(s) in text]
    if item["must_not_contain_price"] and "R$" in text:
        problems.append("price given (R$)")
    if item.get("check_figures"):
        said = "\n".join(item.get("context", []) + [item["text"]])
        facts = store_figures(catalog.parent)
        # a figure the expectation itself names is not invented ("e um quilo e duzentos dá quanto?": 1,2 kg,
        # a quantity in words that message_quantities does not read)
        problems += [f"figure {f} not from the catalog" for f in invented_figures(said, text, catalog)
                     if Decimal(f.removeprefix("R$ ").replace(".", "").replace(",", ".")) not in facts
                     and f not in item["must_contain"]]
    if bool(reply.handoff) != bool(item["handoff"]):
        problems.append(f"handoff={reply.handoff}, expected {item['handoff']}")
    wrong = yes_no_problem(item.get("yes_no"), reply.text or "")
    if wrong:
        problems.append(wrong)
    return problems


def run_set(tmp_path, items: list[dict]) -> list[dict]:
    """Every item answered on its store; one bot and database per store."""
    results = []
    clock.freeze(WEDNESDAY_10H)
    try:
        for store, folder in STORES.items():
            mine = [(n, it) for n, it in enumerate(items) if it["store"] == store]
            if not mine:
                continue
            cfg = make_cfg(tmp_path / store, bot={"store_timezone": "America/Fortaleza"})
            Path(cfg.db_path).parent.mkdir(parents=True, exist_ok=True)
            conn = db.connect(cfg.db_path)
            try:
                import_kb(conn, folder / "catalog.csv", folder / "store.toml")
                bot = build_bot(cfg, conn, preload=False)
                for n, item in mine:
                    wa_id = f"55319{n + 1:08d}"      # one customer per item, its context first
                    for earlier in item.get("context", []):
                        bot.answer(Question(text=earlier, wa_id=wa_id))
                        clock.advance(20)
                    try:
                        reply = bot.answer(Question(text=item["text"], wa_id=wa_id))
                        problems = check(item, reply, folder / "catalog.csv")
                    except Exception as exc:      # scored as a failure; the test below forbids it
                        reply, problems = Reply(text=None, intent="error"), [f"raised {exc!r}"]
                    clock.advance(20)
                    results.append({"id": item["id"], "kind": item["kind"], "store": store, "text": item["text"],
                                    "got_intent": reply.intent, "reply": reply.text, "handoff": reply.handoff,
                                    "problems": problems})
            finally:
                conn.close()
    finally:
        clock.unfreeze()
    return results


def score_of(results: list[dict]) -> dict:
    kinds: dict[str, list[int]] = {}
    for r in results:
        k = kinds.setdefault(r["kind"], [0, 0])
        k[0] += not r["problems"]
        k[1] += 1
    right = sum(not r["problems"] for r in results)
    return {
        "items": len(results),
        "right": right,
        "score": round(right / len(results), 4) if results else None,
        "invented_prices": sum(any(p == "price given (R$)" or p.startswith("figure ") for p in r["problems"])
                               for r in results),
        "wrong_sim": sum("wrong Sim" in r["problems"] for r in results),
        "by_kind": {k: {"right": v[0], "items": v[1]} for k, v in sorted(kinds.items())},
        "by_store": {s: sum(not r["problems"] for r in results if r["store"] == s) for s in STORES},
        "failures": [r for r in results if r["problems"]],
    }


def _short(s: str | None, width: int) -> str:
    s = " ".join(_norm(s).split()) if s is not None else "<None>"
    return s if len(s) <= width else s[: width - 1] + "…"


@pytest.mark.parametrize("path", set_files(), ids=set_name)
def test_eval_set_score(tmp_path, path):
    half = set_name(path)
    score = score_of(run_set(tmp_path, load_items(path)))
    out = HERE / "artifacts" / f"{half}_score.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(score, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\n{half}: {score['right']}/{score['items']} = {score['score']:.1%}; invented prices "
          f"{score['invented_prices']}; wrong Sim {score['wrong_sim']}")
    for kind, k in score["by_kind"].items():
        print(f"  {kind:<16} {k['right']:>3}/{k['items']:<3}")
    for r in score["failures"]:
        print(f"{r['id']:<7} {r['kind']:<14} {_short(r['text'], 50):<50} {_short('; '.join(r['problems']), 50):<50} "
              f"{_short(r['reply'], 200)}")
    assert score["invented_prices"] <= INVENTED_ALLOWED.get(half, 0)
    assert score["wrong_sim"] <= WRONG_SIM_ALLOWED.get(half, 0)
    assert score["score"] >= TARGET.get(half, 0.90), f"{half}: {score['score']:.1%}"


def stored_sets() -> list[tuple[str, Path]]:
    """Every evaluation set kept in tests/data, with the store its messages are about."""
    out = [(str(p.relative_to(DATA)), DATA / "teststore") for p in sorted((DATA / "teststore").glob("*.jsonl"))]
    for p in set_files():
        out.append((str(p.relative_to(DATA)), None))
    # the sets run once and not yet tuned on (no floor in TARGET): no exception in them either
    for n in UNTUNED:
        out.append((f"eval{n}/heldout.jsonl", None))
    return out


@pytest.mark.parametrize("name,store", stored_sets(), ids=[n for n, _ in stored_sets()])
def test_every_stored_set_answers_without_an_exception(tmp_path, name, store, caplog):
    """Bad input (issue 19): no message of any stored set makes the bot raise, and none is
    answered by the recovery path (reading failed, logged and counted) either."""
    items = load_items(DATA / name)
    clock.freeze(WEDNESDAY_10H)
    try:
        for folder in ([store] if store else [STORES[s] for s in sorted({i["store"] for i in items})]):
            cfg = make_cfg(tmp_path / folder.name)
            Path(cfg.db_path).parent.mkdir(parents=True, exist_ok=True)
            conn = db.connect(cfg.db_path)
            try:
                import_kb(conn, folder / "catalog.csv", folder / "store.toml")
                bot = build_bot(cfg, conn, preload=False)
                for n, item in enumerate(items):
                    if store is None and STORES[item["store"]] != folder:
                        continue
                    for message in item.get("context", []) + [item["text"]]:
                        caplog.clear()
                        reply = bot.answer(Question(text=message, wa_id=f"55319{n + 1:08d}"))
                        assert reply.source != "template_after_error", (name, message)
                        failed = [r.getMessage() for r in caplog.records if r.exc_info]
                        assert not failed, (name, message, failed)
            finally:
                conn.close()
    finally:
        clock.unfreeze()
