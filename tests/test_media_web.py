"""What staff see and send: each message as what it is in the conversation's
JSON and page, the inbox's last line, files served only to logged-in staff
with their sniffed type, and files and quotes staff send, exactly once."""
import json
import re

import pytest

from chatbot import accounts, db
from chatbot.web.app import create_app
from chatbot.whatsapp import inbox, media, webhook
from chatbot.whatsapp.graph_api import GraphClient
from chatbot.worker import Worker
from support.configs import ACCESS_TOKEN, make_cfg
from support.media_samples import CUSTOMER, PW, conversation_messages, message, png, webhook as hook
from support.web import login
from support.worker import FixedBot

JSON = {"Accept": "application/json"}


def seed_conversation(conn, cfg, graph, photo: bytes | None = None) -> dict:
    """A customer who sent one of each type; the files fetched from the stand-in."""
    msgs = conversation_messages(graph, photo)
    inbox.store_batch(conn, webhook.parse(hook(*msgs)))
    client = GraphClient(cfg.whatsapp)
    for row in conn.execute("SELECT * FROM inbox ORDER BY id").fetchall():
        if media.note(conn, row):
            media.fetch(conn, client, cfg, media.for_inbox(conn, row["id"]))
    aud = media.for_inbox(conn, 2)
    media.set_transcript(conn, aud["id"], "quero dois quilos de alcatra", None)
    conn.execute("UPDATE inbox SET status='answered'")
    return {m["id"]: m for m in msgs}


@pytest.fixture
def shop(tmp_path, graph):
    graph.token = ACCESS_TOKEN
    cfg = make_cfg(tmp_path, whatsapp={"app_secret": "s", "access_token": ACCESS_TOKEN, "api_base_url": graph.url,
                                       "request_timeout_seconds": 2.0, "max_message_age_minutes": 0})
    conn = db.connect(cfg.db_path)
    accounts.add(conn, "ana", "operator", PW)
    seed_conversation(conn, cfg, graph)
    app = create_app(cfg)
    yield cfg, conn, app
    conn.close()


def operator(app):
    c = app.test_client()
    assert login(c, token=PW, name="ana").status_code == 303
    page = c.get(f"/conversations/{CUSTOMER}", headers={"Accept": "text/html"}).get_data(as_text=True)
    c.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    c.page = page
    return c


def test_conversation_json_gives_each_message_its_type_and_file(shop):
    cfg, conn, app = shop
    c = operator(app)
    msgs = c.get(f"/conversations/{CUSTOMER}", headers=JSON).get_json()["messages"]
    by_type = {}
    for m in msgs:
        by_type.setdefault(m["type"], []).append(m)
    img = by_type["image"][0]
    assert img["text"] == "a carne veio assim" and img["media"]["mime"] == "image/png"
    assert img["media"]["url"] == f"/media/{img['media']['id']}" and img["media"]["size"] == len(png(8, 6))
    assert img["media"]["caption"] == "a carne veio assim"
    assert img["reaction"]["emoji"] == "😡"                   # shown on the message it reacts to
    assert "reaction" not in by_type                          # ...not as a message of its own
    aud = by_type["audio"][0]["media"]
    assert aud["transcript"] == "quero dois quilos de alcatra" and aud["duration"] == "0:14"
    assert by_type["document"][0]["media"]["mime"] == "application/pdf"
    assert by_type["image"][1]["media"]["mime"] == "application/octet-stream"
    loc = by_type["location"][0]["location"]
    assert loc["lat"] == -13.0094 and "openstreetmap.org" in loc["map_url"]
    assert by_type["contacts"][0]["contacts"][0]["phones"] == ["+55 85 99999-1234"]
    assert by_type["text"][0]["quoted"]["text"] == "a carne veio assim"
    bots = [m for m in msgs if m["who"] != "customer"]
    assert all(m["type"] in ("text", "interactive", "image", "document", "template") for m in bots)


def test_conversation_page_shows_each_type(shop):
    cfg, conn, app = shop
    page = operator(app).page
    assert "[image]" not in page and "[audio]" not in page
    assert re.search(r'<a class="thumb" href="/media/\d+"[^>]*><img src="/media/\d+"', page)
    assert re.search(r'<audio controls preload="none" src="/media/\d+">', page)
    assert "quero dois quilos de alcatra" in page and "🎤 0:14" in page
    assert 'class="download" href="/media/' in page
    assert "openstreetmap.org" in page and "João Entregador" in page
    assert 'class="quoted"' in page and 'class="reaction"' in page


def test_inbox_last_line_names_the_type(shop):
    cfg, conn, app = shop
    c = operator(app)
    inbox.store_batch(conn, webhook.parse(hook(message("audio", n=20))))
    row = conn.execute("SELECT * FROM inbox ORDER BY id DESC LIMIT 1").fetchone()
    media.note(conn, row)
    conn.execute("UPDATE media SET duration_seconds=14 WHERE inbox_id=?", (row["id"],))
    recent = c.get("/inbox.json").get_json()["recent"]
    assert recent[0]["last_text"] == "🎤 Áudio (0:14)"
    inbox.store_batch(conn, webhook.parse(hook(message("location", n=21))))
    assert c.get("/inbox.json").get_json()["recent"][0]["last_text"] == "📍 Localização"
    inbox.store_batch(conn, webhook.parse(hook(message("image", n=22))))
    assert c.get("/inbox.json").get_json()["recent"][0]["last_text"] == "📷 Foto"


def test_files_only_for_staff_with_their_sniffed_type(shop):
    cfg, conn, app = shop
    ids = {r["inbox_id"]: r["id"] for r in conn.execute("SELECT id, inbox_id FROM media")}
    anon = app.test_client()
    assert anon.get(f"/media/{ids[1]}", headers=JSON).status_code == 401
    assert anon.get(f"/media/{ids[1]}", headers={"Accept": "text/html"}).status_code in (302, 303, 401)
    c = operator(app)
    img = c.get(f"/media/{ids[1]}")
    assert img.status_code == 200 and img.mimetype == "image/png" and img.data == png(8, 6)
    assert img.headers["X-Content-Type-Options"] == "nosniff" and "attachment" not in img.headers.get(
        "Content-Disposition", "")
    html = c.get(f"/media/{ids[4]}")
    assert html.mimetype == "application/octet-stream" and html.headers["Content-Disposition"].startswith("attachment")
    assert "text/html" not in html.headers["Content-Type"]
    doc = c.get(f"/media/{ids[3]}")
    assert doc.mimetype == "application/pdf" and doc.headers["Content-Disposition"].startswith("attachment")
    aud = c.get(f"/media/{ids[2]}")
    assert aud.mimetype == "audio/ogg" and "attachment" not in aud.headers.get("Content-Disposition", "")
    assert c.get("/media/99999").status_code == 404


def test_staff_attach_a_photo_quoting_the_customer_sent_once(shop, graph):
    cfg, conn, app = shop
    c = operator(app)
    data = png(20, 10)
    resp = c.post(f"/conversations/{CUSTOMER}/attach", headers=JSON,
                  data={"csrf_token": c.csrf, "caption": "É esta?", "reply_to": "in-1",
                        "file": (__import__("io").BytesIO(data), "foto.png")}, content_type="multipart/form-data")
    assert resp.status_code == 202, resp.get_data(as_text=True)
    w = Worker(cfg, conn=conn, bot=FixedBot(), owner="t")
    graph.script = [500]                                   # the send fails once after the upload
    assert w.send_staff_message() == "queued"
    conn.execute("UPDATE outbox SET next_attempt_at=0")
    assert w.send_staff_message() == "sent"
    assert len(graph.uploads) == 1                         # the retry reused Meta's media id
    up = graph.uploads[0]
    assert up["data"] == data and up["type"] == b"image/png" and up["messaging_product"] == b"whatsapp"
    (sent,) = graph.sends()
    shape = json.loads((__import__("pathlib").Path(__file__).parent / "data/whatsapp/graph-api/send_image_request.json")
                       .read_text())
    assert sent["body"]["type"] == "image" and set(sent["body"]["image"]) == set(shape["image"])
    assert sent["body"]["image"] == {"caption": "É esta?", "id": up["id"]}
    assert sent["body"]["context"] == {"message_id": "wamid.media.image.1"}
    msgs = c.get(f"/conversations/{CUSTOMER}", headers=JSON).get_json()["messages"]
    mine = [m for m in msgs if m["who"] == "staff"][0]
    assert mine["type"] == "image" and mine["media"]["url"] and mine["quoted"]["text"] == "a carne veio assim"


def test_attach_refuses_what_is_not_a_photo_or_pdf(shop):
    cfg, conn, app = shop
    c = operator(app)
    for data, name in ((b"<html>hi</html>", "x.png"), (b"", "vazio.pdf")):
        resp = c.post(f"/conversations/{CUSTOMER}/attach", headers=JSON, content_type="multipart/form-data",
                      data={"csrf_token": c.csrf, "file": (__import__("io").BytesIO(data), name)})
        assert resp.status_code == 400
    assert conn.execute("SELECT COUNT(*) FROM outbox WHERE inbox_id IS NULL").fetchone()[0] == 0
    anon = app.test_client().post(f"/conversations/{CUSTOMER}/attach", headers=JSON)
    assert anon.status_code == 401


def test_text_reply_quoting_a_customer_message(shop):
    cfg, conn, app = shop
    c = operator(app)
    resp = c.post(f"/conversations/{CUSTOMER}/reply", headers={**JSON, "X-CSRF-Token": c.csrf},
                  json={"text": "Vamos trocar, desculpe!", "reply_to": "in-1"})
    assert resp.status_code == 202
    body = json.loads(conn.execute("SELECT body FROM outbox WHERE inbox_id IS NULL").fetchone()[0])
    assert body["context"] == {"message_id": "wamid.media.image.1"}
    bad = c.post(f"/conversations/{CUSTOMER}/reply", headers={**JSON, "X-CSRF-Token": c.csrf},
                 json={"text": "x", "reply_to": "in-999"})
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_quote"


def test_a_form_post_without_the_csrf_token_is_refused(shop):
    cfg, conn, app = shop
    c = operator(app)
    resp = c.post(f"/conversations/{CUSTOMER}/attach", content_type="multipart/form-data",
                  data={"file": (__import__("io").BytesIO(png()), "x.png")})
    assert resp.status_code == 403
    assert conn.execute("SELECT COUNT(*) FROM media WHERE inbox_id IS NULL").fetchone()[0] == 0
