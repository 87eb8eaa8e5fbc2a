"""Fixtures in the style of Flask's tutorial: ``cfg``, ``app``, ``client``,
``runner`` on a temporary database, plus the Graph API stand-in and the browser.

Helpers a test imports live in ``tests/support/``, never in another test module
(``support.configs``: make_cfg, toml_of, live_config, the secrets; ``support.waiting``:
wait_until; ``support.web``: login, BEARER; ...)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import flask
import jinja2
import pytest
from click.testing import CliRunner

from chatbot import accounts, clock, db
from support.browser import ARGS, CHROMIUM

# Until every branch written before the helpers moved to tests/support/ is merged, their
# old names still import from here; new tests import from support.*.
from support.configs import (  # noqa: F401
    ACCESS_TOKEN,
    ADMIN_TOKEN,
    APP_SECRET,
    VERIFY_TOKEN,
    live_config,
    load_sample,
    make_cfg,
    signed_headers,
    toml_of,
)
from support.disk import fill_disk  # noqa: F401
from support.graph_stub import GraphStub
from support.servers import server_context  # noqa: F401
from support.waiting import wait_drained  # noqa: F401

# Passwords hashed at scrypt's cheapest cost here and in every process the tests start
# (0.1 s each at the production cost; test_accounts checks that cost without this).
os.environ[accounts.TEST_COST_ENV] = "16"


class _CompiledTemplates(jinja2.BytecodeCache):
    """Each test makes its own app, and each app its own Jinja environment: the templates are
    compiled once per test process instead of once per app (keyed by their source's checksum)."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


flask.Flask.jinja_options = {**flask.Flask.jinja_options, "bytecode_cache": _CompiledTemplates()}


@pytest.fixture(autouse=True)
def _real_clock():
    yield
    clock.unfreeze()


@pytest.fixture(autouse=True)
def _no_notice_retries_left():
    """The follow-up round keeps, per handoff id, when to retry a notice the mail server refused; each test's
    database numbers its handoffs from 1, so a retry another test left must not hold this test's notice back."""
    from chatbot.ops import handoff_followup
    handoff_followup._next_try.clear()
    yield
    handoff_followup._next_try.clear()


@pytest.fixture(autouse=True)
def _unspaced_logins(monkeypatch):
    """chatbot-web spaces the password checks of logins from unknown places 0.2 s apart (the
    flood test runs the real command, in the slow tier); in this process tests log in back to
    back, each with a lane of its own."""
    from chatbot.web import admin, throttle
    monkeypatch.setattr(admin, "_other_lane", throttle.Lane(queue=1, patience=0.5))


@pytest.fixture
def cfg(tmp_path):
    return make_cfg(tmp_path)


@pytest.fixture
def conn(cfg):
    c = db.connect(cfg.db_path)
    yield c
    c.close()


@pytest.fixture
def shop(cfg, conn):
    """The order store (tests/data/orderstore) with order 0001 placed through the real pipeline."""
    from support.orders import open_shop
    return open_shop(cfg, conn)


@pytest.fixture(autouse=True)
def _close_web_connections():
    """Each test's database is its own file: the web layer's per-thread connections to it are
    closed after the test (Flask's test client runs the app in this thread)."""
    yield
    from chatbot.web import db as web_db
    web_db.close_thread_connections()


@pytest.fixture
def app(cfg):
    from chatbot.web.app import create_app
    return create_app(cfg)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def graph():
    stub = GraphStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def small_fs(tmp_path):
    """A 4 MB tmpfs: a disk that really fills up (needs root, as CI has)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mnt)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.fixture(scope="session")
def cert(tmp_path_factory):
    """A self-signed certificate for localhost and 127.0.0.1: (cert.pem, key.pem)."""
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command is needed to make the test certificate (.ci/run installs it)")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return d / "cert.pem", d / "key.pem"



@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright, one per test module."""
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
