"""A real local HTTP server standing in for an OpenAI-compatible engine
(llama-server, vLLM, Ollama): POST /v1/chat/completions answers after
``delay`` seconds, several requests at once, like an engine with parallel
slots. It records when each request started and ended and how many ran at once."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from chatbot import db
from chatbot.bot import pipeline
from chatbot.bot.store import knowledge
from support.catalog import STORE
from support.configs import make_cfg
from support.servers import LoopbackServer, free_port, send

# Plain small talk with no number, price or link: the LLM guard lets it through.
REPLY = "Tudo bem por aqui, obrigado por perguntar! Posso ajudar com mais alguma coisa do mercado?"


class LLMStub(LoopbackServer):
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
                send(self, 200, "application/json", data)

        super().__init__(Handler)

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


class ChatServer:
    """A real HTTP server answering POST /v1/chat/completions with a scripted reply."""

    def __init__(self):
        self.requests: list[dict] = []
        self.content = "Olá! Sou o assistente virtual do Atacarejo Bom Preço. Como posso ajudar?"
        self.echo_system = 0        # > 0: answer with that many characters of the system prompt
        self.status = 200
        self.error_body = b'{"error": "boom"}'
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if server.echo_system:
                    server.content = body["messages"][0]["content"][:server.echo_system]
                payload = {"id": "chatcmpl-1", "object": "chat.completion", "model": body.get("model"),
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": server.content}}],
                           "usage": {"prompt_tokens": 321, "completion_tokens": 17, "total_tokens": 338}}
                raw = json.dumps(payload).encode() if server.status == 200 else server.error_body
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_port}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def openai_bot(tmp_path, base_url, **llm_extra):
    cfg = make_cfg(tmp_path, llm={"enabled": True, "backend": "openai", "base_url": base_url, "model": "qwen2.5-3b",
                                  "api_key": "sk-test-123", "timeout_seconds": 5.0, **llm_extra})
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
    return pipeline.build_bot(cfg, conn), conn
