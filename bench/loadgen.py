"""A load generator for the WhatsApp webhook: signed POSTs, as Meta sends them.

Two modes:

* open loop (``--rate R``): request *i* is due at ``start + i/R`` whatever
  happened to the requests before it, and its latency is counted from that
  due time, not from when a free connection finally sent it. A server that
  stalls therefore shows up in the percentiles instead of quietly slowing the
  generator down (no "coordinated omission").
* closed loop (no ``--rate``): ``--connections`` keep-alive connections each
  send the next request as soon as the previous answer is in: the maximum
  throughput.

Every run is bounded by ``--count`` and/or ``--duration``. Each body carries
``--per-batch`` text messages with unique wamids from ``--customers``
distinct senders; a ``--redeliver`` fraction of the requests re-send an
earlier body byte for byte (same signature), as Meta does when it missed our
200. The summary (JSON) gives latency p50/p90/p99/max, throughput, status and
error counts, and how many distinct messages were sent, so a caller can check
that each one landed exactly once.

Stdlib only (threads + http.client), so it runs from any machine with Python.

    python bench/loadgen.py --url http://127.0.0.1:8080/webhook --secret "$WHATSAPP_APP_SECRET" \\
        --rate 200 --duration 30 --redeliver 0.05 --customers 500
    python bench/loadgen.py --url http://127.0.0.1:8080/webhook --connections 8 --duration 10
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import hmac
import http.client
import json
import math
import os
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from chatbot import percentiles

PHONE_NUMBER_ID = "106540352242922"     # the business number of the protocol samples
TEXTS = [
    "Bom dia! Vocês abrem domingo?",
    "Qual o preço do arroz 5kg?",
    "Tem promoção de óleo de soja essa semana?",
    "Vocês entregam no bairro Messejana?",
    "Aceitam cartão de crédito no atacado?",
    "A partir de quantas unidades vale o preço de atacado?",
    "Até que horas fica aberto hoje?",
    "Quero falar com um atendente",
]
REDELIVERY_WINDOW = 1000                # Meta redelivers recent deliveries, not last week's
MAX_CONNECTIONS = 512


def sign(body: bytes, app_secret: str) -> str:
    """X-Hub-Signature-256 as Meta computes it: HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def wamids_in(body: bytes) -> list[str]:
    """The message ids in a webhook body (to check what a server stored)."""
    data = json.loads(body)
    return [m["id"] for e in data.get("entry", []) for ch in e.get("changes", [])
            for m in ch.get("value", {}).get("messages", []) if isinstance(m, dict) and "id" in m]


def percentile(values: list[float], p: float) -> float | None:
    """The ``p``-th percentile (0-100) of ``values``, None when empty."""
    return percentiles.percentile(values, p / 100)


@dataclass
class Options:
    url: str
    app_secret: str = ""
    rate: float | None = None           # requests/s: open loop; None: closed loop
    connections: int = 16
    count: int | None = None            # total requests, redeliveries included
    duration: float | None = None       # seconds
    redeliver: float = 0.0              # fraction of requests that re-send an earlier body
    customers: int = 100
    per_batch: int = 1                  # messages per webhook body
    timeout: float = 10.0               # per request
    seed: int = 1
    phone_number_id: str = PHONE_NUMBER_ID
    run_id: str = ""                    # goes into every wamid; default random

    def check(self) -> None:
        if self.count is None and self.duration is None:
            raise ValueError("give a count and/or a duration: every run must be bounded")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1")
        if self.duration is not None and not 0 < self.duration <= 24 * 3600:
            raise ValueError("duration must be between 0 and 86400 seconds")
        if self.rate is not None and not 0 < self.rate <= 100_000:
            raise ValueError("rate must be between 0 and 100000 requests/s")
        if not 1 <= self.connections <= MAX_CONNECTIONS:
            raise ValueError(f"connections must be between 1 and {MAX_CONNECTIONS}")
        if not 0 <= self.redeliver < 1:
            raise ValueError("redeliver must be a fraction in [0, 1)")
        if self.customers < 1 or not 1 <= self.per_batch <= 1000:
            raise ValueError("customers must be >= 1 and per_batch between 1 and 1000")
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise ValueError("url must be http:// or https://")

    @property
    def planned(self) -> int | None:
        """How many requests an open-loop run will send (closed loop: the count, if any)."""
        if self.rate is None:
            return self.count
        n = math.ceil(self.rate * self.duration) if self.duration is not None else self.count
        return min(n, self.count) if self.count is not None else n


class Plan:
    """The bodies to send, in order: new messages, and now and then an old body again."""

    def __init__(self, opts: Options):
        self.opts = opts
        self.rng = random.Random(opts.seed)
        self.run_id = opts.run_id or os.urandom(4).hex()
        self.seq = 0                     # messages created so far
        self.recent = collections.deque(maxlen=REDELIVERY_WINDOW)
        self.wamids: list[str] = []      # every distinct message sent, in order
        self.redeliveries = 0

    def next(self) -> tuple[bytes, str, bool]:
        """(body, signature, is_redelivery)."""
        if self.recent and self.opts.redeliver and self.rng.random() < self.opts.redeliver:
            self.redeliveries += 1
            body, sig = self.rng.choice(self.recent)
            return body, sig, True
        body = self._body()
        sig = sign(body, self.opts.app_secret) if self.opts.app_secret else ""
        self.recent.append((body, sig))
        return body, sig, False

    def customer(self, n: int) -> tuple[str, str]:
        return f"55859{n:08d}", f"Cliente {n}"

    def _body(self) -> bytes:
        now = str(int(time.time()))
        messages, contacts = [], {}
        for _ in range(self.opts.per_batch):
            wa_id, name = self.customer(self.seq % self.opts.customers)
            wamid = f"wamid.load.{self.run_id}.{self.seq}"
            self.seq += 1
            self.wamids.append(wamid)
            contacts[wa_id] = {"profile": {"name": name}, "wa_id": wa_id}
            messages.append({"from": wa_id, "id": wamid, "timestamp": now, "type": "text",
                             "text": {"body": self.rng.choice(TEXTS)}})
        pnid = self.opts.phone_number_id
        payload = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
            "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "558533334444", "phone_number_id": pnid},
                "contacts": list(contacts.values()), "messages": messages}}]}]}
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class Record:
    due: float          # when the request should have started (perf_counter)
    start: float        # when it did
    end: float
    status: int         # HTTP status; 0 on a transport error
    error: str = ""
    redelivery: bool = False


@dataclass
class Result:
    opts: Options
    records: list[Record]
    wamids: list[str]                   # distinct messages sent (redeliveries not repeated)
    redeliveries: int
    wall_seconds: float
    cpu_seconds: float                  # this process's CPU time: is the generator the bottleneck?
    run_id: str
    interrupted: bool = False
    summary_cache: dict = field(default_factory=dict, repr=False)

    def summary(self) -> dict:
        if self.summary_cache:
            return self.summary_cache
        recs = self.records
        statuses = collections.Counter(str(r.status) for r in recs if r.status)
        errors = collections.Counter(r.error for r in recs if r.error)
        ok = statuses.get("200", 0)
        if recs:
            span = max(r.end for r in recs) - min(r.start for r in recs)
        else:
            span = 0.0
        latency = sorted((r.end - r.due) * 1000 for r in recs)
        out = {
            "mode": "open" if self.opts.rate is not None else "closed",
            "url": self.opts.url,
            "rate": self.opts.rate,
            "connections": self.opts.connections,
            "requests": len(recs),
            "ok": ok,
            "failed": len(recs) - ok,
            "statuses": dict(sorted(statuses.items())),
            "errors": dict(errors),
            "seconds": round(span, 3),
            "throughput_rps": round(len(recs) / span, 1) if span > 0 else None,
            "ok_rps": round(ok / span, 1) if span > 0 else None,
            "latency_ms": _dist(latency),
            "messages": {"distinct": len(self.wamids), "redeliveries": self.redeliveries,
                         "per_batch": self.opts.per_batch, "customers": self.opts.customers},
            "loadgen_cpu_percent": round(100 * self.cpu_seconds / self.wall_seconds, 1)
            if self.wall_seconds > 0 else None,
            "run_id": self.run_id,
            "interrupted": self.interrupted,
        }
        if self.opts.rate is not None:
            # Open loop: the latency above counts from the due time; these
            # split it into the server's part and the generator's lateness.
            out["service_ms"] = _dist(sorted((r.end - r.start) * 1000 for r in recs))
            out["start_lag_ms"] = _dist(sorted((r.start - r.due) * 1000 for r in recs))
        self.summary_cache.update(out)
        return out


def _dist(values: list[float]) -> dict:
    pick = {"p50": 50, "p90": 90, "p99": 99}
    out = {k: _r(percentile(values, p)) for k, p in pick.items()}
    out["max"] = _r(values[-1] if values else None)
    out["mean"] = _r(sum(values) / len(values) if values else None)
    return out


def _r(v):
    return None if v is None else round(v, 2)


class _Connection:
    """One keep-alive HTTP connection, reopened after any transport error."""

    def __init__(self, url: str, timeout: float):
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.netloc = parts.netloc
        self.timeout = timeout
        self.conn = None

    def post(self, body: bytes, signature: str) -> int:
        if self.conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self.conn = cls(self.host, self.port, timeout=self.timeout)
        headers = {"Content-Type": "application/json", "Host": self.netloc,
                   "User-Agent": "facebookexternalua"}
        if signature:
            headers["X-Hub-Signature-256"] = signature
        try:
            self.conn.request("POST", self.path, body, headers)
            resp = self.conn.getresponse()
            resp.read()
            if resp.will_close:
                self.close()
            return resp.status
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Runner:
    def __init__(self, opts: Options):
        opts.check()
        self.opts = opts
        self.plan = Plan(opts)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.issued = 0
        self.records: list[Record] = []
        self.limit = opts.planned       # None: closed loop bounded by duration only
        self.t0 = 0.0
        self.deadline = math.inf

    def _claim(self):
        """The next request to send: (index, body, signature, redelivery), or None when done."""
        with self.lock:
            if self.stop.is_set() or (self.limit is not None and self.issued >= self.limit):
                return None
            if self.opts.rate is None and time.perf_counter() >= self.deadline:
                return None
            i = self.issued
            self.issued += 1
            return (i, *self.plan.next())

    def _loop(self):
        conn = _Connection(self.opts.url, self.opts.timeout)
        mine = []
        try:
            while True:
                job = self._claim()
                if job is None:
                    break
                i, body, sig, again = job
                if self.opts.rate is not None:
                    due = self.t0 + i / self.opts.rate
                    wait = due - time.perf_counter()
                    if wait > 0 and self.stop.wait(wait):
                        break
                start = time.perf_counter()
                if self.opts.rate is None:
                    due = start
                status, error = 0, ""
                try:
                    status = conn.post(body, sig)
                except (OSError, http.client.HTTPException) as exc:
                    error = type(exc).__name__
                mine.append(Record(due, start, time.perf_counter(), status, error, again))
        finally:
            conn.close()
            with self.lock:
                self.records.extend(mine)

    def run(self) -> Result:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        self.t0 = time.perf_counter() + 0.05    # let every thread reach its first wait
        if self.opts.duration is not None:
            self.deadline = self.t0 + self.opts.duration
        threads = [threading.Thread(target=self._loop, name=f"loadgen-{n}", daemon=True)
                   for n in range(self.opts.connections)]
        for t in threads:
            t.start()
        interrupted = False
        # Bounded join: the schedule's length plus one request timeout, then give up waiting.
        span = self.opts.duration if self.opts.duration is not None else self.limit / self.opts.rate \
            if self.opts.rate else math.inf
        hard_stop = self.t0 + span + self.opts.timeout + 5
        try:
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
                    if time.perf_counter() > hard_stop:
                        self.stop.set()
                        t.join(self.opts.timeout + 1)
                        break
        except KeyboardInterrupt:
            interrupted = True
            self.stop.set()
            for t in threads:
                t.join(self.opts.timeout + 1)
        self.records.sort(key=lambda r: r.due)
        return Result(self.opts, self.records, list(self.plan.wamids), self.plan.redeliveries,
                      wall_seconds=time.perf_counter() - wall0, cpu_seconds=time.process_time() - cpu0,
                      run_id=self.plan.run_id, interrupted=interrupted or self.stop.is_set())


def run(opts: Options) -> Result:
    """Send the load described by ``opts`` and return what happened."""
    return Runner(opts).run()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="Send signed WhatsApp webhook deliveries to a URL and print latency and "
                    "throughput as JSON.",
        epilog="examples:\n"
               "  loadgen.py --url http://127.0.0.1:8080/webhook --rate 200 --duration 30\n"
               "  loadgen.py --url http://127.0.0.1:8080/webhook --connections 8 --count 5000\n"
               "  loadgen.py --url URL --rate 35 --count 21000 --redeliver 0.05 "
               "--customers 2000 --wamids-out sent.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="the webhook URL")
    p.add_argument("--secret", default=os.environ.get("WHATSAPP_APP_SECRET", ""),
                   help="app secret for X-Hub-Signature-256 (default $WHATSAPP_APP_SECRET)")
    p.add_argument("--rate", type=float, help="open loop at this many requests/s (default: closed loop)")
    p.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    p.add_argument("--count", type=int, help="total requests, redeliveries included")
    p.add_argument("--duration", type=float, help="seconds to run")
    p.add_argument("--redeliver", type=float, default=0.0, help="fraction of requests that re-send an "
                   "earlier body byte for byte (default 0)")
    p.add_argument("--customers", type=int, default=100, help="distinct senders (default 100)")
    p.add_argument("--per-batch", type=int, default=1, help="messages per webhook body (default 1)")
    p.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, s (default 10)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--phone-number-id", default=PHONE_NUMBER_ID)
    p.add_argument("--wamids-out", metavar="FILE", help="write every distinct wamid sent, one a line")
    a = p.parse_args(argv)
    opts = Options(url=a.url, app_secret=a.secret, rate=a.rate, connections=a.connections, count=a.count,
                   duration=a.duration, redeliver=a.redeliver, customers=a.customers, per_batch=a.per_batch,
                   timeout=a.timeout, seed=a.seed, phone_number_id=a.phone_number_id)
    try:
        opts.check()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = run(opts)
    if a.wamids_out:
        with open(a.wamids_out, "w", encoding="utf-8") as fh:
            fh.writelines(w + "\n" for w in result.wamids)
    print(json.dumps(result.summary(), indent=2))
    s = result.summary()
    return 0 if s["requests"] and s["failed"] == 0 and not s["interrupted"] else 1


if __name__ == "__main__":
    sys.exit(main())
