"""A stopped worker ends cleanly: SIGTERM finishes the work in hand, gives
the leases back, and the process exits 0 with nothing of the interpreter's
teardown after that.

On a real systemd the worker died with SIGSEGV in the model's teardown at
interpreter exit, after every clean stop ("code=killed, status=11/SEGV",
the unit marked failed). The crash depends on what llama.cpp's threads are
doing at that moment, so the first test puts a crash of the same kind
(a NULL read in a finalizer at teardown) into the worker's interpreter, and
the process must end before it can run. The second stops a worker that has
the bundled model loaded and generating. tests/test_install_systemd.py
checks the same under systemd: the unit is ``inactive``, not ``failed``,
and the journal has no SEGV.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from support.configs import live_config
from chatbot import db
from support.servers import command

# Imported at interpreter start (it is on PYTHONPATH); its object's finalizer runs at teardown,
# when module globals are cleared, and reads address 0: SIGSEGV, as the model's teardown did.
CRASH_AT_TEARDOWN = '''
import ctypes


class CrashAtTeardown:
    def __del__(self):
        ctypes.string_at(0)


crash = CrashAtTeardown()
'''


def start_and_stop(tmp_path, cfg_path, env=None, ready="worker running", timeout=120.0) -> tuple[int, str]:
    """Start bin/chatbot-worker, wait for ``ready`` in its log, SIGTERM it: (exit status, log)."""
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        proc = command("chatbot-worker", cfg_path, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + timeout
        while ready not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    return status, log.read_text()


def test_the_process_ends_after_a_clean_stop_before_any_teardown_can_crash(tmp_path, graph):
    cfg_path, _port = live_config(tmp_path, graph.url)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(CRASH_AT_TEARDOWN)
    status, log = start_and_stop(tmp_path, cfg_path, env={"PYTHONPATH": str(site)})
    assert status == 0, f"exit status {status} (-11 is SIGSEGV)\n{log}"
    assert "worker stopped after" in log
    # What the stop must leave behind: no message held.
    conn = db.connect(tmp_path / "state" / "chatbot.db")
    assert conn.execute("SELECT COUNT(*) FROM inbox WHERE status='processing'").fetchone()[0] == 0


def test_the_injected_crash_does_crash_an_ordinary_exit(tmp_path):
    """The stand-in above is a real teardown crash: a process that exits the ordinary way dies of it."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(CRASH_AT_TEARDOWN)
    res = subprocess.run([sys.executable, "-c", "print('done')"], capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert res.stdout.strip() == "done" and res.returncode == -signal.SIGSEGV


@pytest.mark.slow
def test_a_worker_with_the_bundled_model_stops_with_status_zero(tmp_path, graph):
    """The model loaded, its warm-up generation running or done: SIGTERM ends the worker with 0."""
    cfg_path, _port = live_config(tmp_path, graph.url)
    cfg_path.write_text(cfg_path.read_text().replace("[llm]\nenabled = false", "[llm]\nenabled = true"))
    assert "enabled = true" in cfg_path.read_text()
    status, log = start_and_stop(tmp_path, cfg_path, ready="worker running: fast lane + 1 LLM lane")
    assert "model SmolLM2" in log
    assert status == 0, f"exit status {status} (-11 is SIGSEGV)\n{log}"
