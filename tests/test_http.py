"""chatbot.http.KeepAlive, the worker's lean HTTP(S) client for the Graph API,
against real local servers: connection reuse, a server that closes idle
connections, refused connections, read timeouts, TLS verification."""
import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chatbot import http
from support.servers import free_port, server_context


class Recorder:
    """An HTTP/1.1 JSON server that notes which client connection each request came on."""

    def __init__(self, delay=0.0, close_after=False, tls=None, idle_timeout=None):
        self.peers, self.bodies, self.delay = [], [], delay
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = idle_timeout          # a connection idle this long is closed by the server

            def do_POST(self):
                outer.peers.append(self.client_address)
                outer.bodies.append((self.path, dict(self.headers),
                                     json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
                time.sleep(outer.delay)
                out = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                if close_after:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda *a: None      # a peer gone at the idle timeout is expected
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_address[1]}/base"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder(request):
    servers = []

    def make(**kw):
        servers.append(Recorder(**kw))
        return servers[-1]
    yield make
    for s in servers:
        s.stop()


def test_one_connection_carries_many_calls_with_our_headers(recorder):
    srv = recorder()
    c = http.KeepAlive(srv.url, timeout=5)
    for i in range(3):
        assert c.post_json("/v21.0/1/messages", {"n": i, "text": "olá"}, {"Authorization": "Bearer t"}) \
            == (200, "OK", b'{"ok": true}')
    assert len(set(srv.peers)) == 1
    path, headers, body = srv.bodies[-1]
    assert path == "/base/v21.0/1/messages" and body == {"n": 2, "text": "olá"}
    assert headers["Authorization"] == "Bearer t" and headers["User-Agent"] == http.USER_AGENT
    assert headers["Content-Type"] == "application/json"


def test_a_connection_the_server_closes_is_replaced_not_an_error(recorder):
    srv = recorder(close_after=True)
    c = http.KeepAlive(srv.url, timeout=5)
    for _ in range(3):
        assert c.post_json("/x", {}, {})[0] == 200
    assert len(set(srv.peers)) == 3


def test_an_idle_connection_dropped_by_the_server_is_reopened(recorder):
    srv = recorder(idle_timeout=0.2)
    c = http.KeepAlive(srv.url, timeout=5)
    assert c.post_json("/x", {}, {})[0] == 200
    time.sleep(0.6)
    assert c.post_json("/x", {}, {})[0] == 200
    assert len(set(srv.peers)) == 2


def test_refused_connection_was_never_sent():
    c = http.KeepAlive(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(http.TransportError) as exc:
        c.post_json("/x", {}, {})
    assert exc.value.never_sent


def test_read_timeout_may_have_been_sent(recorder):
    srv = recorder(delay=1.5)
    c = http.KeepAlive(srv.url, timeout=0.5)
    with pytest.raises(http.TransportError) as exc:
        c.post_json("/x", {"a": 1}, {})
    assert not exc.value.never_sent
    assert srv.bodies                # it did arrive: exactly why it must not be resent on a guess


def test_tls_certificate_is_verified(recorder, cert):
    srv = recorder(tls=server_context(cert))
    with pytest.raises(http.TransportError) as exc:      # a certificate nobody vouches for
        http.KeepAlive(srv.url, timeout=5).post_json("/x", {}, {})
    assert exc.value.never_sent and not srv.bodies
    trusting = ssl.create_default_context(cafile=str(cert[0]))
    c = http.KeepAlive(srv.url, timeout=5, context=trusting)
    assert c.post_json("/x", {"a": 1}, {})[0] == 200
    assert c.post_json("/x", {"a": 2}, {})[0] == 200
    assert len(set(srv.peers)) == 1 and srv.bodies[-1][2] == {"a": 2}


def test_only_http_urls():
    with pytest.raises(ValueError):
        http.KeepAlive("ftp://example.com", timeout=1)
