"""A real local HTTP server standing in for an OpenAI-compatible transcription
engine (speaches, whisper.cpp's server, LocalAI, vLLM): ``POST
/v1/audio/transcriptions``, multipart ``file``, ``model``, ``language``,
``response_format``; answers ``{"text": "..."}``. It knows the words of the
audio files it was told about (by SHA-256), and can be slow or answer
garbage. No engine with its weights can be installed from a registry, so the
tests use this; it checks the request the way the real servers parse it.
"""
from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import time
from http.server import BaseHTTPRequestHandler

from support.servers import LoopbackServer, send


class WhisperStub(LoopbackServer):
    def __init__(self):
        self.words: dict[str, str] = {}     # sha256 of the audio -> its transcript
        self.requests: list[dict] = []
        self.delay = 0.0
        self.mode = "ok"                    # "ok", "garbage" (HTML), "empty" ({"text": ""}), "error" (500)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, ctype, body = stub._answer(self.path, self.headers.get("Content-Type", ""), raw)
                if stub.delay:
                    time.sleep(stub.delay)
                send(self, status, ctype, body)

        super().__init__(Handler)

    def knows(self, audio: bytes, text: str) -> None:
        self.words[hashlib.sha256(audio).hexdigest()] = text

    def _answer(self, path: str, ctype: str, raw: bytes) -> tuple[int, str, bytes]:
        if path != "/v1/audio/transcriptions":
            return 404, "application/json", b'{"detail": "Not Found"}'
        if not ctype.startswith("multipart/form-data"):
            return 422, "application/json", b'{"detail": "multipart/form-data required"}'
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + raw)
        fields = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[name] = (part.get_filename(), part.get_payload(decode=True))
        self.requests.append({k: v if k == "file" else v[1].decode() for k, v in fields.items()})
        if "file" not in fields or not fields["file"][0] or "model" not in fields:
            return 422, "application/json", b'{"detail": "file (with a filename) and model are required"}'
        if self.mode == "error":
            return 500, "application/json", b'{"detail": "CUDA out of memory"}'
        if self.mode == "garbage":
            return 200, "text/html", b"<html><body>502 Bad Gateway</body></html>"
        if self.mode == "empty":
            return 200, "application/json", b'{"text": ""}'
        text = self.words.get(hashlib.sha256(fields["file"][1]).hexdigest(), "")
        return 200, "application/json", json.dumps({"text": text}, ensure_ascii=False).encode()
