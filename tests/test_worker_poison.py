"""A message that keeps failing is parked, dead workers' leases come back at
once, and the heartbeat beats only while the work moves (issue 10)."""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from chatbot import clock, db, owners
from chatbot.ops import alerts, rules
from chatbot.whatsapp import inbox
from chatbot.worker import BOT_ERROR_REPLY, Worker
from support.configs import make_cfg
from support.worker import FixedBot, enqueue, live_cfg, status_of


def crash_while_handling(conn, cfg, times: int, owner="otherhost:1"):
    """What a worker killed mid-message (SIGKILL, the watchdog) leaves behind, ``times`` times."""
    for _ in range(times):
        assert inbox.claim(conn, owner, cfg.worker.lease_seconds) is not None
        clock.advance(cfg.worker.lease_seconds + 1)
        assert inbox.recover_expired(conn) == {"requeued": 1, "unknown": 0}


def test_message_that_keeps_crashing_the_worker_is_parked_with_an_apology(tmp_path, graph):
    clock.freeze(2_000_000_000)
    cfg = live_cfg(tmp_path, graph.url, whatsapp={"mark_read": False})
    conn = db.connect(cfg.db_path)
    bot = FixedBot()
    w = Worker(cfg, conn=conn, bot=bot, owner="w")
    poison = enqueue(conn, wamid="wamid.poison", body="x" * 4000)
    later = enqueue(conn, wamid="wamid.later", body="vocês abrem domingo?")
    crash_while_handling(conn, cfg, cfg.worker.max_attempts)

    assert w.run_once() == "failed"
    assert bot.seen == []                                  # not handed to the bot again
    row = status_of(conn, poison.wamid)
    assert row["status"] == "failed" and row["error"].startswith("gave up after 4 attempts")
    assert [s["body"]["text"]["body"] for s in graph.sends()] == [BOT_ERROR_REPLY]
    assert inbox.outbox_for(conn, row["id"])["state"] == "sent"
    # The customer's next message is not held back by it.
    assert w.run_once() == "answered"
    assert status_of(conn, later.wamid)["status"] == "answered"
    assert [q.text for q in bot.seen] == ["vocês abrem domingo?"]

    # ... and the alert fires on the next check (no pending time), then resolves.
    cfg_alerts = make_cfg(tmp_path, alerts={"check_web": False, "worker_stale_seconds": 1e9,
                                            "job_grace_minutes": 1e9})
    by = {c.name: c for c in rules.observe(conn, cfg_alerts)}
    assert by["poison"].active and by["poison"].value == 1
    assert alerts.apply(conn, cfg_alerts, [by["poison"]])[0]["event"] == "firing"
    clock.advance(cfg_alerts.alerts.window_minutes * 60 + 1)
    by = {c.name: c for c in rules.observe(conn, cfg_alerts)}
    assert not by["poison"].active and by["poison"].cleared


def test_a_message_under_the_cap_is_tried_again(tmp_path, graph):
    clock.freeze(2_000_000_000)
    cfg = live_cfg(tmp_path, graph.url, whatsapp={"mark_read": False})
    conn = db.connect(cfg.db_path)
    w = Worker(cfg, conn=conn, bot=FixedBot(), owner="w")
    m = enqueue(conn)
    crash_while_handling(conn, cfg, cfg.worker.max_attempts - 1)
    assert w.run_once() == "answered"
    assert status_of(conn, m.wamid)["attempts"] == cfg.worker.max_attempts


def test_error_at_the_last_attempt_parks_with_an_apology(tmp_path, graph):
    """An exception outside the bot (here: the reply cannot be encoded) on the last try."""
    clock.freeze(2_000_000_000)
    cfg = live_cfg(tmp_path, graph.url, whatsapp={"mark_read": False})
    conn = db.connect(cfg.db_path)
    w = Worker(cfg, conn=conn, bot=FixedBot(text=object()), owner="w")
    m = enqueue(conn)
    crash_while_handling(conn, cfg, cfg.worker.max_attempts - 1)
    assert w.run_once() == "failed"
    assert status_of(conn, m.wamid)["error"].startswith("gave up after 4 attempts: internal error")
    assert [s["body"]["text"]["body"] for s in graph.sends()] == [BOT_ERROR_REPLY]


def dead_owner() -> str:
    """The lease name of a worker process that has exited."""
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
    started = owners._stat(p.pid)[1]
    p.wait()
    return f"{socket.gethostname()}:{p.pid}:{started}"


def test_owner_liveness():
    assert not owners.is_dead(owners.this_process())
    assert owners.is_dead(dead_owner())
    me = os.getpid()
    assert owners.is_dead(f"{socket.gethostname()}:{me}:12345")             # pid reused by a later process
    assert not owners.is_dead(f"another-host:{me + 100000}:1")              # cannot tell: alive
    # The start tick comes from /proc/PID/stat, not psutil (its boot time needs /proc/stat,
    # which the units hide with ProcSubset=pid).
    assert owners.this_process().split(":")[2] == str(owners._stat(me)[1]) != "0"
    assert not owners.is_dead("test-worker") and not owners.is_dead(None)


def test_dead_owners_leases_are_recovered_at_once(tmp_path, graph):
    cfg = live_cfg(tmp_path, graph.url, whatsapp={"mark_read": False})
    conn = db.connect(cfg.db_path)
    w = Worker(cfg, conn=conn, bot=FixedBot(), owner=owners.this_process())
    a = enqueue(conn, wamid="wamid.a", wa_id="5585000000001")
    b = enqueue(conn, wamid="wamid.b", wa_id="5585000000002")
    c = enqueue(conn, wamid="wamid.c", wa_id="5585000000003")
    gone, alive = dead_owner(), f"{socket.gethostname()}:{os.getppid()}:{owners._stat(os.getppid())[1]}"
    inbox.claim(conn, gone, 120)
    mb = inbox.claim(conn, gone, 120)
    inbox.prepare(conn, mb, gone, {"type": "text", "to": mb["wa_id"]}, sending=True)   # died mid-send
    inbox.claim(conn, alive, 120)
    assert w.recover(dead_only=True) == {"requeued": 1, "unknown": 1}
    assert status_of(conn, a.wamid)["status"] == "queued"
    assert status_of(conn, b.wamid)["status"] == "unknown"           # never resent on a guess
    assert status_of(conn, c.wamid)["status"] == "processing"        # its owner is still running
    assert w.run_once() == "answered" and w.run_once() is None
    assert status_of(conn, a.wamid)["status"] == "answered"
    assert len(graph.sends()) == 1


class SlowBot(FixedBot):
    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds
        self.entered = threading.Event()

    def answer(self, q, **kw):
        self.entered.set()
        time.sleep(self.seconds)
        return super().answer(q)


def watchdog_pings(bot_seconds: float, stall_seconds: float, tmp_path, graph) -> list[float]:
    """Run the worker on one message that takes ``bot_seconds`` and return when
    systemd would have heard WATCHDOG=1 (a real notify socket)."""
    cfg = live_cfg(tmp_path, graph.url, whatsapp={"mark_read": False},
                   worker={"heartbeat_seconds": 0.1, "stall_seconds": stall_seconds, "poll_interval_seconds": 0.05})
    conn = db.connect(cfg.db_path)
    bot = SlowBot(bot_seconds)
    w = Worker(cfg, conn=conn, bot=bot, owner="w")
    enqueue(conn)
    path = os.path.join(tempfile.mkdtemp(dir="/tmp"), "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.05)
    pings = []
    old = os.environ.get("NOTIFY_SOCKET")
    os.environ["NOTIFY_SOCKET"] = path
    try:
        t = threading.Thread(target=w.run, kwargs={"max_idle_seconds": 0.3})
        t.start()
        assert bot.entered.wait(10)
        start = time.monotonic()
        while t.is_alive():
            try:
                if b"WATCHDOG=1" in sock.recv(256):
                    pings.append(time.monotonic() - start)
            except TimeoutError:
                pass
        t.join()
    finally:
        if old is None:
            os.environ.pop("NOTIFY_SOCKET", None)
        else:
            os.environ["NOTIFY_SOCKET"] = old
        sock.close()
    return [p for p in pings if p < bot_seconds]


def test_heartbeat_continues_through_long_bounded_work(tmp_path, graph):
    pings = watchdog_pings(1.5, stall_seconds=10, tmp_path=tmp_path, graph=graph)
    # Beats every 0.1 s while the message is worked on, not only between messages.
    assert len(pings) >= 8 and max(b - a for a, b in zip([0] + pings, pings + [1.5])) < 0.6, pings


@pytest.mark.slow       # a bot stuck for 2.5 s
def test_heartbeat_stops_when_the_worker_is_stuck(tmp_path, graph):
    pings = watchdog_pings(2.5, stall_seconds=0.5, tmp_path=tmp_path, graph=graph)
    # Nothing after the stall bound: systemd's watchdog would kill the stuck worker.
    assert pings and max(pings) < 0.8, pings
