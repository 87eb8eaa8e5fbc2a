"""Fuzz the webhook: 10,000+ generated bodies and headers (wrong types, huge
strings, deep nesting, invalid UTF-8, duplicate keys, missing fields).

Never a 500; every answer is one of the documented statuses; a valid message
in the same batch as garbage is still stored; and whatever got stored, the
worker can process without crash-looping (poisoned entries end parked)."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatbot import db
from chatbot.bot.types import Reply
from chatbot.web.app import create_app
from chatbot.worker import Worker
from support.configs import APP_SECRET, make_cfg, signed_headers

ALLOWED = {200, 400, 403, 413}

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=False), st.text(max_size=50), st.text(min_size=5000, max_size=6000),
                    # every code point, lone surrogates included (valid JSON, not storable as UTF-8)
                    st.text(st.characters(blacklist_categories=()), max_size=20))
json_values = st.recursive(scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.sampled_from(
        ["entry", "changes", "value", "messages", "statuses", "metadata", "id", "from", "type", "text",
         "body", "phone_number_id", "timestamp", "errors", "contacts", "wa_id", "status", "x"]), kids, max_size=5)),
    max_leaves=25)


def good_message(i):
    return {"from": "5585900000001", "id": f"wamid.fuzz.{i}", "timestamp": "1764100000", "type": "text",
            "text": {"body": "oi"}}


def shaped(junk_messages, junk_value_fields):
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "pn1"},
             "messages": junk_messages, **junk_value_fields}
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"value": value}]}]}


bodies = st.one_of(
    st.binary(max_size=300),                                             # raw bytes, invalid UTF-8
    json_values.map(lambda v: json.dumps(v).encode()),                   # any JSON
    st.builds(shaped, st.lists(json_values, max_size=4),
              st.dictionaries(st.sampled_from(["statuses", "errors", "contacts", "metadata"]), json_values,
                              max_size=3)).map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=50, max_value=3000).map(lambda d: (b'{"entry":' + b"[" * d + b"]" * d + b"}")),
    st.just(b'{"entry": [], "entry": {"dup": 1}}'),                    # duplicate keys
)
# (the test client refuses CR/LF in a header value before it could be sent)
headers = st.one_of(st.none(), st.text(max_size=80).filter(lambda t: "\r" not in t and "\n" not in t),
                    st.just("sha256="), st.binary(max_size=40).map(lambda b: "sha256=" + b.hex()))


def _app(tmp_path_factory, **sections):
    cfg = make_cfg(tmp_path_factory.mktemp("fuzz"), **sections)
    return cfg, create_app(cfg).test_client()


@pytest.mark.slow
def test_fuzz_signed_bodies_never_500(tmp_path_factory):
    cfg, client = _app(tmp_path_factory, whatsapp={"app_secret": APP_SECRET})
    seen = set()

    @settings(max_examples=6000, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(bodies)
    def check(body):
        r = client.post("/webhook", data=body, headers=signed_headers(body))
        seen.add(r.status_code)
        assert r.status_code in ALLOWED, (r.status_code, body[:200])

    check()
    assert 200 in seen and 400 in seen
    # Whatever was stored, the worker gets through it without crash-looping.
    conn = db.connect(cfg.db_path)

    class Bot:
        def answer(self, q):
            return Reply(text="ok", intent="x")

    w = Worker(cfg, conn=conn, bot=Bot(), owner="fuzz")
    for _ in range(10000):
        if w.run_once() is None:
            break
    left = conn.execute("SELECT COUNT(*) FROM inbox WHERE status IN ('queued','processing')").fetchone()[0]
    assert left == 0


@pytest.mark.slow
def test_fuzz_headers_and_unsigned_bodies_are_403(tmp_path_factory):
    cfg, client = _app(tmp_path_factory, whatsapp={"app_secret": APP_SECRET})

    @settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(bodies, headers)
    def check(body, header):
        h = {"Content-Type": "application/json"}
        if header is not None:
            try:
                header.encode("latin-1")
            except UnicodeEncodeError:
                header = header.encode("utf-8", "replace").decode("latin-1")
            h["X-Hub-Signature-256"] = header
        r = client.post("/webhook", data=body, headers=h)
        assert r.status_code in (403, 413), r.status_code

    check()
    assert db.connect(cfg.db_path).execute("SELECT COUNT(*) FROM inbox").fetchone()[0] == 0


@pytest.mark.slow
def test_fuzz_garbage_beside_a_valid_message_keeps_it(tmp_path_factory):
    cfg, client = _app(tmp_path_factory, whatsapp={"app_secret": APP_SECRET})
    counter = iter(range(10**6))
    expected = set()

    @settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.lists(json_values, max_size=3), st.integers(min_value=0, max_value=3))
    def check(junk, pos):
        i = next(counter)
        msgs = list(junk)
        msgs.insert(min(pos, len(msgs)), good_message(i))
        body = json.dumps(shaped(msgs, {})).encode()
        r = client.post("/webhook", data=body, headers=signed_headers(body))
        assert r.status_code == 200
        expected.add(f"wamid.fuzz.{i}")

    check()
    stored = {r[0] for r in db.connect(cfg.db_path).execute("SELECT wamid FROM inbox")}
    assert expected <= stored
