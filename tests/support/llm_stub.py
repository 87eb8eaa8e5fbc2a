"""A real local HTTP server standing in for an OpenAI-compatible engine
(llama-server, vLLM, Ollama): POST /v1/chat/completions answers after
``delay`` seconds, several requests at once, like an engine with parallel
slots. It records when each request started and ended and how many ran at once."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Plain small talk with no number, price or link: the LLM guard lets it through.
REPLY = "Tudo bem por aqui, obrigado por perguntar! Posso ajudar com mais alguma coisa do mercado?"


class LLMStub:
    def __init__(self, delay: float = 1.0, reply=REPLY):
        """``reply``: the text of every answer, or a function of the request's messages that writes it."""
        self.delay = delay
        self.reply = reply
        self.calls: list[dict] = []          # {"start", "end", "question"}
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(n) or b"{}")
                data = json.dumps(stub._complete(body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def _complete(self, body: dict) -> dict:
        question = (body.get("messages") or [{}])[-1].get("content", "")
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            call = {"start": time.monotonic(), "end": None, "question": question}
            self.calls.append(call)
        try:
            time.sleep(self.delay)
        finally:
            with self.lock:
                self.in_flight -= 1
                call["end"] = time.monotonic()
        return {"id": "chatcmpl-stub", "object": "chat.completion", "model": body.get("model", "stub"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": self._text(body)}}],
                "usage": {"prompt_tokens": 300, "completion_tokens": 20, "total_tokens": 320}}

    def _text(self, body: dict) -> str:
        return self.reply(body.get("messages") or []) if callable(self.reply) else self.reply

    def start(self) -> "LLMStub":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
