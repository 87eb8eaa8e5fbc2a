"""The durable inbox: store once, per-customer order, leases, recovery."""
from chatbot import clock
from chatbot.whatsapp import inbox
from chatbot.whatsapp.webhook import Batch, Inbound


def msg(i, wa="5585900000001", pnid="pn1", body=None, t=None):
    return Inbound(wamid=f"wamid.{i}", phone_number_id=pnid, wa_id=wa, msg_type="text",
                   body=body or f"m{i}", sent_at=t, contact_name=None, raw={"id": f"wamid.{i}"})


def store(conn, *msgs):
    return inbox.store_batch(conn, Batch(messages=list(msgs)))


def test_store_is_idempotent(conn):
    assert store(conn, msg(1), msg(2))["stored"] == 2
    r = store(conn, msg(1), msg(2), msg(3))
    assert (r["stored"], r["duplicates"]) == (1, 2)


def test_one_customer_in_order_others_in_parallel(conn):
    store(conn, msg(1, wa="A"), msg(2, wa="A"), msg(3, wa="B"))
    first = inbox.claim(conn, "w1", 60)
    second = inbox.claim(conn, "w2", 60)
    assert (first["wamid"], second["wamid"]) == ("wamid.1", "wamid.3")
    assert inbox.claim(conn, "w3", 60) is None          # A's second waits for A's first
    inbox.finish(conn, first["id"], "answered")
    assert inbox.claim(conn, "w3", 60)["wamid"] == "wamid.2"


def test_same_customer_on_two_business_numbers_is_independent(conn):
    store(conn, msg(1, wa="A", pnid="p1"), msg(2, wa="A", pnid="p2"))
    assert inbox.claim(conn, "w1", 60)["wamid"] == "wamid.1"
    assert inbox.claim(conn, "w2", 60)["wamid"] == "wamid.2"


def test_expired_lease_before_sending_is_requeued(conn):
    clock.freeze(1_000_000)
    store(conn, msg(1))
    m = inbox.claim(conn, "dead", 60)
    inbox.prepare(conn, m, "dead", {"type": "text"})
    clock.advance(61)
    assert inbox.recover_expired(conn) == {"requeued": 1, "unknown": 0}
    again = inbox.claim(conn, "w2", 60)
    assert again["id"] == m["id"] and again["attempts"] == 2
    assert inbox.outbox_for(conn, m["id"])["state"] == "prepared"


def test_expired_lease_mid_send_is_parked_unknown(conn):
    clock.freeze(1_000_000)
    store(conn, msg(1), msg(2))
    m = inbox.claim(conn, "dead", 60)
    oid = inbox.prepare(conn, m, "dead", {"type": "text"})
    assert inbox.mark_sending(conn, m["id"], oid, "dead")
    clock.advance(61)
    assert inbox.recover_expired(conn) == {"requeued": 0, "unknown": 1}
    row = conn.execute("SELECT status, error FROM inbox WHERE id=?", (m["id"],)).fetchone()
    assert row["status"] == "unknown" and "not resent" in row["error"]
    # The customer's next message is not blocked by the parked one.
    assert inbox.claim(conn, "w2", 60)["wamid"] == "wamid.2"


def test_stale_worker_cannot_act_after_losing_its_lease(conn):
    clock.freeze(1_000_000)
    store(conn, msg(1))
    m = inbox.claim(conn, "slow", 60)
    clock.advance(61)
    inbox.recover_expired(conn)
    inbox.claim(conn, "fresh", 60)
    assert inbox.prepare(conn, m, "slow", {"type": "text"}) is None


def test_release_gives_back_leases_but_not_in_flight(conn):
    store(conn, msg(1, wa="A"), msg(2, wa="B"))
    a = inbox.claim(conn, "w", 60)
    b = inbox.claim(conn, "w", 60)
    oid = inbox.prepare(conn, b, "w", {"type": "text"})
    inbox.mark_sending(conn, b["id"], oid, "w")
    assert inbox.release(conn, "w") == 1
    assert conn.execute("SELECT status FROM inbox WHERE id=?", (a["id"],)).fetchone()[0] == "queued"


def test_requeue_parked(conn):
    store(conn, msg(1))
    m = inbox.claim(conn, "w", 60)
    inbox.finish(conn, m["id"], "failed", error="x")
    assert inbox.requeue(conn, status="failed") == 1
    assert inbox.claim(conn, "w", 60)["id"] == m["id"]


def test_queue_depth_and_age(conn):
    clock.freeze(1_000_000)
    store(conn, msg(1))
    clock.advance(30)
    store(conn, msg(2, wa="B"))
    depth, age = inbox.queue_depth_and_age(conn)
    assert depth == 2 and age == 30


def status(wamid, state, code=None):
    from chatbot.whatsapp.webhook import Status
    return Status(wamid=wamid, status=state, recipient="A", ts=None, error_code=code,
                  error="falhou" if code else None)


def test_a_large_batch_is_stored_whole_across_statements(conn):
    n = 1234                      # more rows than one multi-row INSERT takes
    r = store(conn, *[msg(i) for i in range(n)])
    assert (r["stored"], r["duplicates"]) == (n, 0)
    r = store(conn, *[msg(i) for i in range(n - 10, n + 5)])
    assert (r["stored"], r["duplicates"]) == (5, 10)
    assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT wamid) FROM inbox").fetchone()[:] == (n + 5, n + 5)


def test_several_batches_one_commit_totals(conn):
    parts = [inbox.rows(Batch(messages=[msg(1), msg(2)]), None, 1.0),
             inbox.rows(Batch(messages=[msg(2), msg(3, pnid="other")]), ["pn1"], 1.0),
             inbox.rows(Batch(statuses=[status("wamid.out", "sent")]), None, 1.0)]
    assert inbox.store_rows(conn, parts) == {"stored": 2, "duplicates": 1, "foreign": 1, "statuses": 1}


def _sent_reply(conn):
    store(conn, msg(1))
    m = inbox.claim(conn, "w", 60)
    oid = inbox.prepare(conn, m, "w", {"type": "text"}, sending=True)
    return m, oid


def test_statuses_move_delivery_forward_only_even_within_one_batch(conn):
    m, oid = _sent_reply(conn)
    inbox.mark_sent(conn, m["id"], oid, "wamid.out")
    store_statuses = lambda *s: inbox.store_batch(conn, Batch(statuses=list(s)))  # noqa: E731
    store_statuses(status("wamid.out", "read"), status("wamid.out", "delivered"))
    assert inbox.outbox_for(conn, m["id"])["delivery"] == "read"
    store_statuses(status("wamid.out", "delivered"), status("wamid.out", "sent"))   # repeats: ignored
    assert inbox.outbox_for(conn, m["id"])["delivery"] == "read"
    assert conn.execute("SELECT COUNT(*) FROM statuses").fetchone()[0] == 3
    store_statuses(status("wamid.out", "failed", 131047))
    row = inbox.outbox_for(conn, m["id"])
    assert (row["delivery"], row["error_code"], row["error"]) == ("failed", 131047, "falhou")


def test_a_status_that_came_before_the_reply_id_is_applied_when_it_is_recorded(conn):
    m, oid = _sent_reply(conn)
    # Meta's 'delivered' overtook our own bookkeeping: nothing to apply it to yet.
    inbox.store_batch(conn, Batch(statuses=[status("wamid.out", "delivered")]))
    assert inbox.outbox_for(conn, m["id"])["delivery"] is None
    inbox.mark_sent(conn, m["id"], oid, "wamid.out")
    assert inbox.outbox_for(conn, m["id"])["delivery"] == "delivered"
