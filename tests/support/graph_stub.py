"""A real local HTTP server standing in for Meta's Graph API.

It records every request, answers sends with ``send_ok.json`` (a fresh
wamid each time) and fails on demand: a fixed script of responses, a
failure rate, or a delay per send so a kill can land mid-request.

Media, in Meta's two steps: ``add_media(media_id, data, ...)`` makes
``GET /{version}/{media_id}`` answer ``media_url_response.json``'s shape
with a URL on this server that works for ``url_ttl`` seconds (or once, then
it is expired), and ``GET`` on that URL (with the token) gives the bytes;
``mode`` makes the download misbehave (stall, cut off, send more than
declared). ``POST /{phone_number_id}/media`` (multipart) answers a new id.
"""
from __future__ import annotations

import hashlib
import json
import random
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from support.servers import LoopbackServer, send

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
    131009: (400, {"error": {"message": "(#131009) Parameter value is not valid", "type": "OAuthException",
                             "code": 131009}}),
}


def error_response(kind) -> tuple[int, dict | None]:
    files = {130429: "graph-api/error_rate_limit_130429.json", 131056: "graph-api/error_pair_rate_131056.json",
             190: "graph-api/error_token_expired_190.json", 131047: "graph-api/error_reengagement_131047.json"}
    if kind in files:
        return ERRORS[kind][0], sample(files[kind])
    if kind == 429:
        return 429, sample(files[130429])
    return ERRORS[kind]


class GraphStub(LoopbackServer):
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
        self.token = ""                     # when set, media GETs must carry "Bearer <token>"
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.media: dict[str, dict] = {}    # media id -> {"data", "mime", "declared_size", "mode", ...}
        self.urls: dict[str, dict] = {}     # download token -> {"media_id", "until", "uses"}
        self.downloads: list[str] = []      # media ids whose bytes were served in full
        self.uploads: list[dict] = []       # POST /media: {"id", "type", "filename", "data"}
        self.download_delay = 0.0           # seconds between the two halves of a file (a kill lands mid-download)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True   # headers and body are two writes: avoid 40 ms delayed ACKs

            def log_message(self, *a):
                pass

            def do_GET(self):
                stub._get(self)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                if self.path.endswith("/media"):
                    return stub._upload(self, raw)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                status, resp = stub._respond(self.path, dict(self.headers), body)
                data = json.dumps(resp).encode() if resp is not None else b"<html>error</html>"
                send(self, status, "application/json" if resp is not None else "text/html", data)

        super().__init__(Handler)

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

    # -- media ---------------------------------------------------------------------------
    def add_media(self, media_id: str, data: bytes, mime: str = "image/jpeg", *, declared_size: int | None = None,
                  mode: str = "ok", url_ttl: float = 300.0, expire_first: int = 0, sha256: str | None = None):
        """Serve ``data`` as ``media_id``. ``mode``: "ok", "stall" (stop mid-way), "cut" (close
        mid-way), "more" (send more than file_size says); ``expire_first``: that many
        downloads find their URL expired (404) first; ``mime``: what Meta says it is."""
        self.media[media_id] = {"data": data, "mime": mime, "mode": mode, "url_ttl": url_ttl,
                                "declared_size": len(data) if declared_size is None else declared_size,
                                "expire_first": expire_first,
                                "sha256": sha256 or hashlib.sha256(data).hexdigest()}

    def _reply(self, h, status: int, body: bytes, ctype: str, length: int | None = None):
        send(h, status, ctype, body, length)

    def _get(self, h):
        path = h.path.split("?")[0]
        with self.lock:
            self.requests.append({"path": h.path, "headers": dict(h.headers), "body": None, "t": time.time(),
                                  "method": "GET"})
        if h.headers.get("Authorization") != f"Bearer {self.token}" and self.token:
            return self._reply(h, 401, json.dumps({"error": {"message": "Invalid OAuth access token",
                                                             "code": 190}}).encode(), "application/json")
        if path.startswith("/download/"):
            return self._download(h, path.rsplit("/", 1)[-1])
        media_id = path.rsplit("/", 1)[-1]
        m = self.media.get(media_id)
        if m is None:
            return self._reply(h, 404, json.dumps({"error": {
                "message": "Unsupported get request. Object with ID does not exist", "type": "GraphMethodException",
                "code": 100, "error_subcode": 33}}).encode(), "application/json")
        token = uuid.uuid4().hex
        self.urls[token] = {"media_id": media_id, "until": time.time() + m["url_ttl"]}
        info = sample("graph-api/media_url_response.json")
        info.update(url=f"{self.url}/download/{token}", mime_type=m["mime"], sha256=m["sha256"],
                    file_size=m["declared_size"], id=media_id)
        return self._reply(h, 200, json.dumps(info).encode(), "application/json")

    def _download(self, h, token: str):
        u = self.urls.get(token)
        m = self.media.get(u["media_id"]) if u else None
        if m is not None and m["expire_first"] > 0:
            m["expire_first"] -= 1
            u = None
        if u is None or time.time() > u["until"]:
            return self._reply(h, 404, b"URL signature expired", "text/plain")
        data, mode = m["data"], m["mode"]
        if mode == "ok" and self.download_delay:
            # Half the bytes, a pause (a kill lands mid-download), the rest.
            h.send_response(200)
            h.send_header("Content-Type", "application/octet-stream")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            time.sleep(self.download_delay)
            h.wfile.write(data[len(data) // 2:])
            with self.lock:
                self.downloads.append(u["media_id"])
        elif mode == "ok":
            with self.lock:          # counted before the body goes out: the client may finish first
                self.downloads.append(u["media_id"])
            self._reply(h, 200, data, "application/octet-stream")
        elif mode == "more":
            self._reply(h, 200, data, "application/octet-stream")
        elif mode == "cut":
            h.send_response(200)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            h.close_connection = True
        elif mode == "stall":
            h.send_response(200)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            time.sleep(30)

    def _upload(self, h, raw: bytes):
        import email.parser
        import email.policy
        ctype = h.headers.get("Content-Type", "")
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + raw)
        fields = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[name] = {"filename": part.get_filename(), "data": part.get_payload(decode=True),
                            "type": part.get_content_type()}
        media_id = str(random.randint(10 ** 15, 10 ** 16))
        with self.lock:
            self.requests.append({"path": h.path, "headers": dict(h.headers), "body": None, "t": time.time(),
                                  "method": "POST"})
            self.uploads.append({"id": media_id,
                                 "messaging_product": (fields.get("messaging_product") or {}).get("data"),
                                 "type": (fields.get("type") or {}).get("data"),
                                 "filename": (fields.get("file") or {}).get("filename"),
                                 "data": (fields.get("file") or {}).get("data")})
        return self._reply(h, 200, json.dumps({"id": media_id}).encode(), "application/json")

    def sends(self) -> list[dict]:
        with self.lock:
            return list(self.sent)
