"""End to end through the real processes: a signed webhook with a document
goes through chatbot-web, chatbot-worker starts downloading it from the Graph
API stand-in and is killed with SIGKILL halfway through the bytes. After the
restart the file is fetched once, stored whole under its SHA-256, nothing
half-written is left, and the customer got exactly one reply."""
import hashlib
import os
import signal
import time

import pytest

from support.configs import ACCESS_TOKEN, APP_SECRET, live_config
from chatbot import db
from chatbot.whatsapp import sendtest
from support.media_samples import message, webhook
from support.servers import command, wait_http


def wait(cond, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow       # a real worker killed mid-download, then another
def test_sigkill_mid_download_loses_nothing_and_fetches_once(tmp_path, graph):
    data = b"%PDF-1.4\n" + os.urandom(400_000)
    graph.token = ACCESS_TOKEN
    graph.add_media("doc-1", data, "application/pdf")
    graph.download_delay = 4.0
    cfg_path, port = live_config(tmp_path, graph.url)
    state = tmp_path / "state"
    web = command("chatbot-web", cfg_path)
    worker = None
    try:
        wait_http(f"http://127.0.0.1:{port}/webhook")
        assert sendtest.post(f"http://127.0.0.1:{port}/webhook", webhook(message("document")), APP_SECRET) == 200
        worker = command("chatbot-worker", cfg_path)
        downloads = lambda: [r for r in graph.requests if r["path"].startswith("/download/")]  # noqa: E731
        assert wait(lambda: downloads() and list((state / "media").glob(".download.*")))
        time.sleep(0.3)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        conn = db.connect(state / "chatbot.db")
        assert conn.execute("SELECT state FROM media").fetchone()[0] == "pending"
        graph.download_delay = 0.0
        worker = command("chatbot-worker", cfg_path)
        assert wait(lambda: conn.execute("SELECT state FROM media").fetchone()[0] == "stored")
        row = conn.execute("SELECT * FROM media").fetchone()
        sha = hashlib.sha256(data).hexdigest()
        assert row["sha256"] == sha and row["size"] == len(data) and row["mime"] == "application/pdf"
        assert (state / "media" / sha).read_bytes() == data
        assert [p.name for p in (state / "media").iterdir()] == [sha]     # the partial file was swept
        assert len(downloads()) == 2 and graph.downloads.count("doc-1") >= 1
        assert wait(lambda: conn.execute("SELECT status FROM inbox").fetchone()[0] == "answered")
        assert len(graph.sends()) == 1
    finally:
        for p in (worker, web):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(30)
