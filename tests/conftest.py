"""Fixtures in the style of Flask's tutorial: ``cfg``, ``app``, ``client``,
``runner`` on a temporary database, plus the Graph API stand-in."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from chatbot import clock, config, db
from chatbot.whatsapp.webhook import sign
from support.graph_stub import SAMPLES, GraphStub

APP_SECRET = "test-app-secret-3f9a"
VERIFY_TOKEN = "test-verify-token-77"
ACCESS_TOKEN = "test-access-token-EAAG1234"
ADMIN_TOKEN = "test-admin-token-abcdef0123"


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
