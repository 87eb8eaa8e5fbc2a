"""The worker's tests' parts: a bot with a fixed reply, a config that sends to the Graph API
stand-in, a sample message stored in the inbox."""
from __future__ import annotations

from chatbot.bot.types import Reply
from chatbot.whatsapp import inbox, webhook
from support.configs import ACCESS_TOKEN, APP_SECRET, load_sample, make_cfg


class FixedBot:
    def __init__(self, text="Abrimos domingo das 7h às 13h."):
        self.text = text
        self.seen = []

    def answer(self, q):
        self.seen.append(q)
        if isinstance(self.text, Exception):
            raise self.text
        return Reply(text=self.text, intent="hours", confidence=0.9, source="template")


def live_cfg(tmp_path, graph_url, **extra):
    wa = {"app_secret": APP_SECRET, "access_token": ACCESS_TOKEN, "api_base_url": graph_url,
          "request_timeout_seconds": 2.0, "max_message_age_minutes": 0}
    wa.update(extra.pop("whatsapp", {}))
    worker = {"retry_base_seconds": 1.0, "max_attempts": 4, **extra.pop("worker", {})}
    return make_cfg(tmp_path, whatsapp=wa, worker=worker, **extra)


def enqueue(conn, sample="webhooks/text.json", **changes):
    batch = webhook.parse(load_sample(sample))
    for m in batch.messages:
        for k, v in changes.items():
            setattr(m, k, v)
    inbox.store_batch(conn, batch)
    return batch.messages[0]


def status_of(conn, wamid):
    return conn.execute("SELECT * FROM inbox WHERE wamid=?", (wamid,)).fetchone()
