#!/usr/bin/env python3
"""Which way of finding FAQ entries and store facts by meaning, measured on
the held-out sets (tests/data/teststore/heldout*_ptbr.jsonl) and the
evaluation set: every question whose expected reply is one FAQ answer or one
kind of store fact, and every question that must get none of them (products
not sold, questions the store's data cannot answer).

Methods compared (the README says which was chosen and why):
* the rule-based FAQ matcher the classifier had (word overlap with typo
  tolerance; FAQ entries only, no store facts);
* BM25 (retrieval.py) on the light plural stemmer of text.py;
* BM25 on the Snowball Portuguese stemmer;
* BM25 on Snowball plus the small synonym table (retrieval.SYNONYMS): the one in use.

    .venv/bin/python bench/bench_retrieval.py
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lib"), str(ROOT / "tests")]

from chatbot import db  # noqa: E402
from chatbot.bot.store import knowledge, retrieval  # noqa: E402
from chatbot.bot import text  # noqa: E402

STORE = ROOT / "tests" / "data" / "teststore"
SETS = ["heldout_ptbr.jsonl", "heldout2_ptbr.jsonl", "eval_ptbr.jsonl"]
FACT_KINDS = ("location", "hours", "delivery", "payment")


def labelled(kb) -> list[tuple[str, object, str]]:
    """(message, expected document or None, set) for the questions about the store's data."""
    out = []
    for name in SETS:
        for line in (STORE / name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            want = item.get("must_contain", item.get("expect", []))
            if item["intent"] == "faq":
                hits = [i for i, (q, a) in enumerate(kb.faq) if want and all(w in a for w in want)]
                if len(hits) == 1:
                    out.append((item["text"], ("faq", hits[0]), name))
            elif item["intent"] in ("location", "payment") and not item.get("setup"):
                out.append((item["text"], (item["intent"], None), name))
            elif item["intent"] in ("out_of_scope", "product_price") and item.get("must_not_contain_price", False):
                out.append((item["text"], None, name))
    return out


def score(find, items) -> dict:
    right = confident_wrong = none_right = nones = wanted = 0
    for message, want, _ in items:
        got = find(message)
        if want is None:
            nones += 1
            none_right += got is None
        else:
            wanted += 1
            right += got == want
            confident_wrong += got is not None and got != want
    return {"right": right, "wanted": wanted, "wrong": confident_wrong, "none_right": none_right, "nones": nones}


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        conn = db.connect(Path(d) / "kb.db")
        knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
        kb = knowledge.load(conn)
        items = labelled(kb)
        # The rule-based FAQ matcher it was first measured against is gone from the code (issue 24);
        # its row stays in docs/BENCHMARKS.md as measured then.
        def bm25(message, r):
            hit = r.best(message)
            return (hit.kind, hit.index) if hit and hit.confidence >= retrieval.THRESHOLD else None

        saved = retrieval._stem, retrieval.SYNONYMS
        variants = [("BM25, light plural stemmer (text.stem)", text.stem, {}),
                    ("BM25, Snowball stemmer", saved[0], {}),
                    ("BM25, Snowball stemmer + synonyms (in use)", saved[0], saved[1])]
        rows = []
        for label, stem, syn in variants:
            retrieval._stem, retrieval.SYNONYMS = stem, syn
            r = retrieval.Retriever(kb)
            rows.append((label, score(lambda m, r=r: bm25(m, r), items)))
        retrieval._stem, retrieval.SYNONYMS = saved
    print(f"{len(items)} labelled questions from {', '.join(SETS)}\n")
    print("| method | right document | confident and wrong | no answer when none fits |")
    print("|---|---:|---:|---:|")
    for label, s in rows:
        print(f"| {label} | {s['right']}/{s['wanted']} | {s['wrong']} | {s['none_right']}/{s['nones']} |")


if __name__ == "__main__":
    main()
