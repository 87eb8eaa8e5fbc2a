"""The body limit is enforced by waitress itself, before it buffers a body:
the real server from chatbot-web's factory, on a free port, over raw sockets."""
from __future__ import annotations

import os
import socket
import stat
import threading
import time

import pytest

from chatbot.web.app import create_app
from chatbot.web.serve import create_server
from support.configs import make_cfg
from support.servers import free_port, wait_http

LIMIT = 1_048_576


@pytest.fixture
def server(tmp_path):
    cfg = make_cfg(tmp_path, web={"max_body_bytes": LIMIT})
    port = free_port()
    srv = create_server(create_app(cfg), cfg, "127.0.0.1", port)
    threading.Thread(target=srv.run, daemon=True).start()
    wait_http(f"http://127.0.0.1:{port}/webhook")
    yield port
    from waitress import wasyncore
    srv.close()
    srv.task_dispatcher.shutdown(cancel_pending=True, timeout=2)
    wasyncore.close_all(srv._map)


def _status_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0]


def test_declared_huge_content_length_is_refused_at_once(server):
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 300000000\r\n\r\n")
        started = time.monotonic()
        line = _status_line(sock)          # times out (5 s) when nobody answers
        assert b" 413 " in line, line
        assert time.monotonic() - started < 2


def test_body_of_exactly_the_limit_is_not_refused_by_size(server):
    body = b"x" * LIMIT
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
        assert b" 400 " in _status_line(sock)      # read and parsed: not JSON


def _open_temp_files() -> dict[tuple[int, int], int]:
    """The unlinked regular files this process has open, (device, inode) -> size:
    waitress's body buffer is an unlinked temporary file, visible only through
    /proc/self/fd. (Other tests of the same process may hold big files open:
    databases, archives; those have names, and are not counted.)"""
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            st = os.stat(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_nlink == 0:
            found[(st.st_dev, st.st_ino)] = st.st_size
    return found


def _largest_open_temp_file(before=frozenset()) -> int:
    """The biggest unlinked file opened since ``before`` (keys of _open_temp_files)."""
    return max((size for key, size in _open_temp_files().items() if key not in before), default=0)


def test_streamed_large_body_is_cut_off_without_a_big_temp_file(server):
    seen = [0]
    stop = threading.Event()
    before = frozenset(_open_temp_files())

    def sample():
        while not stop.is_set():
            seen[0] = max(seen[0], _largest_open_temp_file(before))
            time.sleep(0.005)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    chunk = b"y" * 65536
    sent = 0
    try:
        with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
            sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            try:
                while sent < 64 * 1024 * 1024:
                    sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                    sent += len(chunk)
                sock.sendall(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass                       # the server answered and closed mid-upload
            try:
                line = _status_line(sock)
            except ConnectionResetError:
                line = b"reset"
    finally:
        stop.set()
        sampler.join()
    assert sent < 64 * 1024 * 1024 or b" 413 " in line, line
    assert seen[0] < 4 * LIMIT, f"a {seen[0]:,}-byte temporary file for a {LIMIT:,}-byte limit"
