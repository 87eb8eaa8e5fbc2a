"""Fixtures in the style of Flask's tutorial: ``cfg``, ``app``, ``client``,
``runner`` on a temporary database, plus the Graph API stand-in."""
from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess

import pytest
from click.testing import CliRunner

from chatbot import accounts, clock, config, db
from chatbot.whatsapp.webhook import sign
from support.graph_stub import SAMPLES, GraphStub
from support.servers import free_port

# Passwords hashed at scrypt's cheapest cost here and in every process the tests start
# (0.1 s each at the production cost; test_accounts checks that cost without this).
os.environ[accounts.TEST_COST_ENV] = "16"

APP_SECRET = "test-app-secret-3f9a"
VERIFY_TOKEN = "test-verify-token-77"
ACCESS_TOKEN = "test-access-token-EAAG1234"
ADMIN_TOKEN = "test-admin-token-abcdef0123-4567-89ab-cdef"


def make_cfg(tmp_path, **sections):
    """A Config on a temporary state dir; ``sections`` override tables."""
    data = {"paths": {"state_dir": str(tmp_path / "state")},
            "whatsapp": {"verify_token": VERIFY_TOKEN},
            "llm": {"enabled": False},
            "admin": {"token": ADMIN_TOKEN},
            "web": {"secure_cookies": False}}
    for name, table in sections.items():
        data.setdefault(name, {}).update(table)
    return config.from_dict(data, path=str(tmp_path / "chatbot.toml"), env={})


def toml_of(cfg_dict: dict) -> str:
    """A minimal TOML writer for test configs (strings, numbers, bools, lists)."""
    out = []
    for section, table in cfg_dict.items():
        out.append(f"[{section}]")
        for k, v in table.items():
            out.append(f"{k} = {json.dumps(v)}")
    return "\n".join(out) + "\n"


def live_config(tmp_path, graph_url: str, **sections):
    """A config file for the real processes: signed webhooks, live sends to
    the Graph API stand-in, short leases, LLM off. Returns (path, port)."""
    port = free_port()
    data = {"paths": {"state_dir": str(tmp_path / "state")},
            "web": {"host": "127.0.0.1", "port": port},
            "whatsapp": {"app_secret": APP_SECRET, "access_token": ACCESS_TOKEN, "api_base_url": graph_url,
                         "max_message_age_minutes": 0},
            "worker": {"lease_seconds": 3, "poll_interval_seconds": 0.05},
            "llm": {"enabled": False}}
    for name, table in sections.items():
        data.setdefault(name, {}).update(table)
    path = tmp_path / "chatbot.toml"
    path.write_text(toml_of(data))
    return path, port


def wait_drained(conn, timeout: float = 120.0) -> int:
    """Wait until no message is queued or in hand; return how many still are."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        left = conn.execute("SELECT COUNT(*) FROM inbox WHERE status IN ('queued','processing')").fetchone()[0]
        if left == 0 or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


@pytest.fixture(autouse=True)
def _real_clock():
    yield
    clock.unfreeze()


@pytest.fixture
def cfg(tmp_path):
    return make_cfg(tmp_path)


@pytest.fixture
def conn(cfg):
    c = db.connect(cfg.db_path)
    yield c
    c.close()


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


def load_sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def signed_headers(body: bytes, secret: str = APP_SECRET) -> dict:
    return {"X-Hub-Signature-256": sign(body, secret), "Content-Type": "application/json"}


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


def fill_disk(folder):
    """Fill the filesystem under ``folder``; remove the returned file to give the space back."""
    filler = folder / "filler"
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    return filler


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


def server_context(cert) -> ssl.SSLContext:
    """A TLS server context presenting the ``cert`` fixture's certificate."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx
