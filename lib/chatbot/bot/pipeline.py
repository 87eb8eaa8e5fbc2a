"""One message in, one reply out (placeholder until the bot issue lands).

``build_bot(cfg, conn)`` returns an object with ``answer(Question) -> Reply``.
"""
from __future__ import annotations

from .types import Question, Reply


class EchoBot:
    def answer(self, q: Question) -> Reply:
        return Reply(text=f"Recebemos sua mensagem: {q.text}", intent="out_of_scope", confidence=0.0,
                     source="template")


def build_bot(cfg, conn):
    return EchoBot()
