"""A real local HTTP server standing in for Meta's Graph API.

It records every request, answers sends with ``send_ok.json`` (a fresh
wamid each time) and fails on demand: a fixed script of responses, a
failure rate, or a delay per send so a kill can land mid-request.
"""
from __future__ import annotations

import json
import random
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Meta's payload and response shapes, copied into the repository (tests/data/whatsapp/README.md).
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "whatsapp"


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


ERRORS = {
    500: (500, {"error": {"message": "An unknown error occurred", "type": "OAuthException", "code": 131000}}),
    "500-bare": (500, None),
    131026: (400, {"error": {"message": "(#131026) Message Undeliverable", "type": "OAuthException",
                             "code": 131026}}),
    429: (429, None),
    130429: (400, None),   # filled from the samples below
    131056: (400, None),
    190: (401, None),
    131047: (400, None),
}


def error_response(kind) -> tuple[int, dict | None]:
    files = {130429: "graph-api/error_rate_limit_130429.json", 131056: "graph-api/error_pair_rate_131056.json",
             190: "graph-api/error_token_expired_190.json", 131047: "graph-api/error_reengagement_131047.json"}
    if kind in files:
        return ERRORS[kind][0], sample(files[kind])
    if kind == 429:
        return 429, sample(files[130429])
    return ERRORS[kind]


class GraphStub:
    def __init__(self, delay: float = 0.0, fail_rate: float = 0.0, fail_kinds=(500,), seed: int = 1,
                 mix: dict | None = None):
        self.requests: list[dict] = []
        self.sent: list[dict] = []          # accepted sends: {"wamid", "to", "body", "path"}
        self.script: list = []              # responses to use first: error kinds or "ok"
        self.delay = delay
        self.read_delay = 0.0               # seconds before answering a mark-as-read (+ typing) request
        self.fail_rate = fail_rate
        self.fail_kinds = list(fail_kinds)
        self.mix = dict(mix or {})          # error kind -> probability, instead of fail_rate/fail_kinds
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True   # headers and body are two writes: avoid 40 ms delayed ACKs

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                status, resp = stub._respond(self.path, dict(self.headers), body)
                data = json.dumps(resp).encode() if resp is not None else b"<html>error</html>"
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if resp is not None else "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A client killed mid-request (the fault tests do that) is expected, not news.
        self.server.handle_error = lambda request, address: None
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def _respond(self, path, headers, body):
        is_send = isinstance(body, dict) and "to" in body
        if is_send and self.delay:
            time.sleep(self.delay)
        if not is_send and self.read_delay:
            time.sleep(self.read_delay)
        with self.lock:
            self.requests.append({"path": path, "headers": headers, "body": body, "t": time.time()})
            if not is_send:
                return 200, {"success": True}
            kind = self.script.pop(0) if self.script else None
            if kind is None and self.mix:
                r, acc = self.rng.random(), 0.0
                for k, prob in self.mix.items():
                    acc += prob
                    if r < acc:
                        kind = k
                        break
            elif kind is None and self.fail_rate and self.rng.random() < self.fail_rate:
                kind = self.rng.choice(self.fail_kinds)
            if kind not in (None, "ok"):
                return error_response(kind)
            wamid = "wamid.stub." + uuid.uuid4().hex
            self.sent.append({"wamid": wamid, "to": body.get("to"), "body": body, "path": path})
            ok = sample("graph-api/send_ok.json")
            ok["messages"][0]["id"] = wamid
            ok["contacts"][0]["wa_id"] = ok["contacts"][0]["input"] = body.get("to")
            return 200, ok

    def sends(self) -> list[dict]:
        with self.lock:
            return list(self.sent)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
