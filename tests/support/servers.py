"""Start the real services for tests: waitress in a thread, or the real
commands as subprocesses with a config file."""
from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import requests

from support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 20.0) -> None:
    """Until ``url`` answers at all (any status); TimeoutError if it never does."""
    if not wait_until(lambda: requests.get(url, timeout=1) is not None, timeout, what=""):
        raise TimeoutError(f"{url} did not answer within {timeout}s")


class LoopbackServer:
    """A real HTTP server on a free loopback port, its requests answered by ``handler`` on daemon
    threads; a client killed mid-request (the fault tests do that) is expected, not news. Polls for
    ``stop`` every 0.05 s. The stand-ins for the Graph API and the engines are made of it."""

    def __init__(self, handler):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def send(h, status: int, ctype: str, body: bytes, length: int | None = None) -> None:
    """Answer a request of handler ``h``: status, type, length (the body's unless told) and body."""
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body) if length is None else length))
    h.end_headers()
    h.wfile.write(body)


class ThreadedWaitress:
    """The real waitress server on a free port, in this process."""

    def __init__(self, app, threads: int = 4):
        import waitress
        self.port = free_port()
        # A socket map of its own: with waitress's global one, every server of the test
        # process (and each one's loop thread) shares one map, and a server closed by an
        # earlier test leaves dead channels in the loops of the next ones.
        self.server = waitress.create_server(app, host="127.0.0.1", port=self.port, threads=threads, map={})
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        wait_http(self.url + "/webhook")
        return self

    def stop(self):
        from waitress import wasyncore
        self.server.close()
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=2)
        wasyncore.close_all(self.server._map)        # ends this server's loop thread


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def command(name: str, config: Path, *args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    """Start ``bin/<name>`` with this interpreter and the given config."""
    e = dict(os.environ, CHATBOT_CONFIG=str(config), PYTHONUNBUFFERED="1")
    e.pop("JOURNAL_STREAM", None)
    e.update(env or {})
    return subprocess.Popen([sys.executable, str(BIN / name), *args], env=e, **kw)


def run(name: str, config: Path, *args: str, env: dict | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess:
    e = dict(os.environ, CHATBOT_CONFIG=str(config))
    e.pop("JOURNAL_STREAM", None)
    e.update(env or {})
    return subprocess.run([sys.executable, str(BIN / name), *args], env=e, capture_output=True, text=True,
                          timeout=timeout)


def readable_by_others(*paths) -> bool:
    """Can another user (the service user a root command drops to) read these paths (by
    default this checkout and this venv)? Not under /root, nor in a mode-0700 directory
    such as mktemp -d makes."""
    import sys

    def world_readable(path) -> bool:
        q = Path(path).resolve()
        return all(d.stat().st_mode & 0o005 == 0o005 for d in [q, *q.parents])
    return all(world_readable(p) for p in (paths or (sys.prefix, ROOT)))


def server_context(cert) -> ssl.SSLContext:
    """A TLS server context presenting the ``cert`` fixture's certificate."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx
