"""A week of store traffic written with real inserts, for the web tests, the
browser test and the screenshot in docs/ (test_web_seed.py checks that /stats
reports exactly what was seeded).

``seed(conn, now)`` is deterministic: the same rows for the same ``now``.
"""
from __future__ import annotations

import functools
import json
import math
import random

from chatbot import db

HOSTILE = '<script>alert("xss")</script>'
HOSTILE_NAME = "<img src=x onerror=alert(1)>"
CUSTOMERS = [("5585988880001", "Maria"), ("5585988880002", "João"), ("5585988880003", "Ana"),
             ("5585988880004", "Francisco"), ("5585988880005", HOSTILE_NAME), ("5585988880006", "Raimunda"),
             ("5585988880007", "José"), ("5585988880008", "Antônia"), ("5585988880009", "Paulo"),
             ("5585988880010", "Luzia")]
HUMAN = ("5585988880002", "5585988880006")       # waiting for a person
PNID = "1234567890"
INTENTS = [("store_hours", "Que horas vocês abrem amanhã?", "Abrimos às 7h e fechamos às 21h."),
           ("price", "Quanto está o arroz 5kg?", "O arroz Tio João 5 kg está R$ 27,90."),
           ("promotions", "Tem promoção de carne hoje?", "Hoje a alcatra está R$ 39,90 o kg."),
           ("delivery", "Vocês entregam no Benfica?", "Entregamos, sim: taxa de R$ 8,00."),
           ("payment", "Aceita pix?", "Aceitamos Pix, cartões e dinheiro."),
           ("wholesale", "Qual o mínimo para preço de atacado?", "A partir de 6 unidades do mesmo item."),
           ("out_of_scope", "Qual o resultado do jogo?", "Posso ajudar com preços, horários e entregas.")]
INTENT_WEIGHTS = [30, 40, 15, 10, 8, 6, 4]


def _hourly_rate(ts: float) -> float:
    """Messages per hour: quiet at night, busy at 10h and 18h (store time, UTC-3)."""
    hour = ((ts / 3600) - 3) % 24
    return 2 + 28 * max(0.0, math.sin(math.pi * (hour - 6) / 15)) + 10 * math.exp(-((hour - 18) ** 2) / 4)


def seed(conn, now: float, days: int = 7, rng_seed: int = 7) -> dict:
    """Insert ``days`` of traffic ending at ``now``; return what was inserted."""
    rows, expect, samples = _week(now, days, rng_seed)
    with db.transaction(conn):
        conn.executemany(
            "INSERT INTO inbox (id, wamid, phone_number_id, wa_id, contact_name, msg_type, body, payload, sent_at,"
            " received_at, status, attempts, finished_at, error, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows["inbox"])
        conn.executemany(
            "INSERT INTO outbox (inbox_id, phone_number_id, wa_id, body, state, wamid, delivery, created_at,"
            " sent_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", rows["outbox"])
        conn.executemany(
            "INSERT INTO events (ts, inbox_id, phone_number_id, wa_id, intent, confidence, source, processing_ms,"
            " latency_ms, success, handoff, error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows["events"])
        _seed_ops(conn, now, samples)
    return dict(expect, intents=dict(expect["intents"]), inbox=list(rows["inbox"]))


@functools.lru_cache(maxsize=4)
def _week(now: float, days: int, rng_seed: int) -> tuple[dict, dict, list]:
    """The rows ``seed`` inserts, drawn once per test process (0.05 s of CPU each time otherwise)."""
    rng = random.Random(rng_seed)
    inbox, outbox, events = [], [], []
    expect = {"received": 0, "answered": 0, "failed": 0, "handoffs": 0, "intents": {}}
    msg_id = 0
    hostile_done = False
    t = now - days * 86400
    while t < now - 60:
        t += rng.expovariate(_hourly_rate(t) / 3600)
        if t >= now - 60:
            break
        msg_id += 1
        wa_id, name = rng.choice(CUSTOMERS)
        k = rng.choices(range(len(INTENTS)), INTENT_WEIGHTS)[0]
        intent, question, answer = INTENTS[k]
        if not hostile_done and t > now - 3 * 3600:     # recent: on the first page of its conversation
            question, hostile_done = HOSTILE, True
        latency = rng.lognormvariate(math.log(1800), 0.5)
        handoff = int(rng.random() < 0.02)
        failed = rng.random() < 0.04
        status = "failed" if failed else "answered"
        done = t + latency / 1000
        inbox.append((msg_id, f"wamid.seed.{msg_id}", PNID, wa_id, name, "text", question,
                      json.dumps({"type": "text", "text": {"body": question}}), t, t, status, 1, done,
                      "(#131047) Re-engagement message" if failed else None, done))
        reply = {"messaging_product": "whatsapp", "to": wa_id, "type": "text", "text": {"body": answer}}
        outbox.append((msg_id, PNID, wa_id, json.dumps(reply, ensure_ascii=False), "failed" if failed else "sent",
                       None if failed else f"wamid.out.{msg_id}", None if failed else "read", t, done, done))
        events.append((done, msg_id, PNID, wa_id, intent, 0.9, "template", latency * 0.2, latency,
                       int(not failed), handoff, "graph api error 131047" if failed else None))
        expect["received"] += 1
        expect["failed" if failed else "answered"] += 1
        expect["handoffs"] += handoff
        expect["intents"][intent] = expect["intents"].get(intent, 0) + 1
    samples = []
    t = now - days * 86400
    while t < now:
        hour = ((t / 3600) - 3) % 24
        cpu = 8 + 30 * max(0.0, math.sin(math.pi * (hour - 6) / 15)) + rng.random() * 6
        samples.append((t, cpu, 52 + rng.random() * 4 + 3 * math.sin(t / 40000), 61 + (t - now) / (days * 86400) * 2,
                        cpu / 40))
        t += 300
    return {"inbox": tuple(inbox), "outbox": tuple(outbox), "events": tuple(events)}, expect, tuple(samples)


def _seed_ops(conn, now: float, samples) -> None:
    """Host samples, jobs, an alert, a backup, errors, customers waiting for a person."""
    conn.executemany("INSERT INTO metrics (ts, cpu_percent, memory_percent, disk_percent, load1) VALUES (?,?,?,?,?)",
                     samples)
    runs = [("collect-metrics", now - 140, "ok", "sampled"), ("check-alerts", now - 400, "ok", "1 firing"),
            ("backup", now - 6 * 3600, "ok", "backup written"), ("healthcheck", now - 1800, "ok", "healthy"),
            ("cleanup", now - 2 * 86400, "failed", "database is locked by another process (try again later)")]
    for job, started, status, message in runs:
        conn.execute("INSERT INTO job_runs (job, started_at, finished_at, status, message) VALUES (?,?,?,?,?)",
                     (job, started - 86400, started - 86400 + 2, "ok", "earlier run"))
        conn.execute("INSERT INTO job_runs (job, started_at, finished_at, status, message) VALUES (?,?,?,?,?)",
                     (job, started, started + 3, status, message))
    conn.execute("INSERT INTO alert_state (name, state, severity, title, summary, value, pending_since, firing_since,"
                 " updated_at) VALUES ('job_failed:cleanup', 'firing', 'warning', 'job failed',"
                 " 'cleanup failed: database is locked', 1, ?, ?, ?)", (now - 2 * 86400, now - 2 * 86400, now))
    conn.execute("INSERT INTO backups (created_at, path, size, sha256, duration_s, tables) VALUES (?,?,?,?,?,?)",
                 (now - 6 * 3600, "/var/lib/chatbot/backups/chatbot-backup-seed.tar.gz", 48_300_000, "0" * 64, 4.2,
                  "{}"))
    for i, (code, msg) in enumerate([(131047, "Re-engagement message"), (130429, "Rate limit hit"),
                                     (131047, "Re-engagement message")]):
        conn.execute("INSERT INTO api_errors (ts, code, http_status, message, retryable) VALUES (?,?,?,?,?)",
                     (now - 3600 * (i + 1), code, 400, msg, int(code == 130429)))
    conn.execute("INSERT INTO webhook_rejects (ts, reason, detail) VALUES (?, 'bad signature', '')", (now - 7200,))
    for i, wa_id in enumerate(HUMAN):
        conn.execute("INSERT INTO conversations (phone_number_id, wa_id, mode, mode_since, handoff_reason, last_seen)"
                     " VALUES (?,?, 'human', ?, ?, ?)",
                     (PNID, wa_id, now - 600 * (i + 1), "human_request" if i == 0 else "complaint", now - 300))
        conn.execute("INSERT INTO handoffs (phone_number_id, wa_id, reason, message, created_at) VALUES (?,?,?,?,?)",
                     (PNID, wa_id, "human_request" if i == 0 else "complaint", "quero falar com alguém",
                      now - 600 * (i + 1)))
    conn.execute("INSERT INTO heartbeats (name, pid, ts, info) VALUES ('worker', 4242, ?, 'seed')", (now - 4,))


NOW = 1_760_000_000.0          # fixed, so buckets and expectations are reproducible
