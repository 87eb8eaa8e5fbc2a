"""Customers' files fetched by the worker from the Graph API stand-in, in
Meta's two steps, with every way a download goes wrong: nothing lost, nothing
served as what it is not, retried with the outbox's rules."""
import hashlib
import os

import pytest

from support.configs import ACCESS_TOKEN, make_cfg
from support.disk import fill_disk
from chatbot import clock, db
from chatbot.whatsapp import inbox, media, webhook
from chatbot.whatsapp.graph_api import GraphClient
from support.media_samples import message, ogg_opus, pdf, png, webhook as hook


def cfg_for(tmp_path, graph, **media_cfg):
    wa = {"app_secret": "s", "access_token": ACCESS_TOKEN, "api_base_url": graph.url,
          "request_timeout_seconds": 1.0, "max_message_age_minutes": 0}
    graph.token = ACCESS_TOKEN
    return make_cfg(tmp_path, whatsapp=wa, worker={"retry_base_seconds": 1.0, "max_attempts": 4},
                    media={"download_seconds": 5.0, **media_cfg})


@pytest.fixture
def env(tmp_path, graph):
    cfg = cfg_for(tmp_path, graph)
    conn = db.connect(cfg.db_path)
    yield cfg, conn, GraphClient(cfg.whatsapp)
    conn.close()


def arrive(conn, m: dict):
    inbox.store_batch(conn, webhook.parse(hook(m)))
    row = conn.execute("SELECT * FROM inbox WHERE wamid=?", (m["id"],)).fetchone()
    media.note(conn, row)
    return media.for_inbox(conn, row["id"])


def again(conn, row):
    return media.get(conn, row["id"])


def test_two_step_download_stored_by_sha256(env, graph):
    cfg, conn, client = env
    data = png()
    graph.add_media("img-1", data, "image/png")
    row = arrive(conn, message("image", caption="olha a carne"))
    assert media.fetch_due(conn, client, cfg) == "stored"
    row = again(conn, row)
    sha = hashlib.sha256(data).hexdigest()
    assert (row["state"], row["mime"], row["size"], row["sha256"], row["caption"]) == \
        ("stored", "image/png", len(data), sha, "olha a carne")
    assert (cfg.media_dir / sha).read_bytes() == data
    gets = [r for r in graph.requests if r.get("method") == "GET"]
    assert [r["path"].split("/")[-1] for r in gets][0] == "img-1" and gets[1]["path"].startswith("/download/")
    assert all(r["headers"]["Authorization"] == f"Bearer {ACCESS_TOKEN}" for r in gets)
    assert list(cfg.media_dir.glob(".*")) == []          # no temporary file left
    assert media.fetch_due(conn, client, cfg) is None    # nothing else due


def test_media_id_that_404s_is_expired_not_retried(env, graph):
    cfg, conn, client = env
    row = arrive(conn, message("image", id="never-existed"))
    assert media.fetch_due(conn, client, cfg) == "expired"
    assert "media URL" in again(conn, row)["error"]


def test_expired_url_asks_meta_for_a_new_one(env, graph):
    cfg, conn, client = env
    graph.add_media("img-1", png(), "image/png", expire_first=1)
    row = arrive(conn, message("image"))
    assert media.fetch_due(conn, client, cfg) == "pending"     # the URL had run out: retry later
    r = again(conn, row)
    assert r["attempts"] == 1 and r["next_attempt_at"] > clock.now()
    clock.freeze(r["next_attempt_at"] + 1)
    assert media.fetch_due(conn, client, cfg) == "stored"
    assert graph.downloads == ["img-1"]


@pytest.mark.parametrize("mode, why", [("cut", "download"), ("stall", "download")])
def test_cut_off_or_stalled_download_is_retried_and_leaves_nothing(env, graph, mode, why):
    cfg, conn, client = env
    graph.add_media("img-1", png(64, 64) * 20, "image/png", mode=mode)
    row = arrive(conn, message("image"))
    assert media.fetch_due(conn, client, cfg) == "pending"
    assert again(conn, row)["error"].startswith(why)
    assert [p for p in cfg.media_dir.iterdir()] == []


def test_larger_than_declared_or_than_allowed_is_refused(tmp_path, graph):
    cfg = cfg_for(tmp_path, graph, max_bytes=1000)
    conn = db.connect(cfg.db_path)
    client = GraphClient(cfg.whatsapp)
    graph.add_media("img-1", png(), "image/png", declared_size=10)        # more bytes than Meta said
    graph.add_media("img-2", b"\xff\xd8\xff" + b"\0" * 5000, "image/jpeg")  # declared honestly, over max_bytes
    graph.add_media("img-3", b"\xff\xd8\xff" + b"\0" * 5000, "image/jpeg", declared_size=500)  # lies, and too big
    r1, r2, r3 = (arrive(conn, message("image", n=i)) for i in (1, 2, 3))
    assert media.fetch(conn, client, cfg, r1) == "pending"
    assert "Meta said 10" in again(conn, r1)["error"]
    assert media.fetch(conn, client, cfg, r2) == "failed"
    assert "max_bytes" in again(conn, r2)["error"]
    assert media.fetch(conn, client, cfg, r3) == "failed"
    assert list(cfg.media_dir.iterdir()) == []


def test_html_sent_as_an_image_is_kept_as_an_opaque_file(env, graph):
    cfg, conn, client = env
    graph.add_media("img-1", b"<html><script>alert(1)</script></html>", "image/jpeg")
    row = arrive(conn, message("image"))
    assert media.fetch_due(conn, client, cfg) == "stored"
    r = again(conn, row)
    assert r["declared_mime"] == "image/jpeg" and r["mime"] == "application/octet-stream"
    assert not media.inline(r["mime"])


def test_zip_bomb_as_a_document_is_stored_never_opened(env, graph):
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bomb.txt", b"\0" * (50 * 1024 * 1024))       # 50 MB of zeros in ~50 KB
    cfg, conn, client = env
    graph.add_media("doc-1", buf.getvalue(), "application/pdf")
    row = arrive(conn, message("document"))
    assert media.fetch_due(conn, client, cfg) == "stored"
    r = again(conn, row)
    assert r["mime"] == "application/zip" and r["size"] == len(buf.getvalue()) < 1024 * 1024
    assert not media.inline(r["mime"])


def test_seven_days_later_the_row_says_expired_without_asking(env, graph):
    cfg, conn, client = env
    graph.add_media("img-1", png(), "image/png")
    arrive(conn, message("image"))
    clock.freeze(clock.now() + 8 * 86400)
    assert media.fetch_due(conn, client, cfg) == "expired"
    assert graph.requests == []


def test_retries_follow_the_outbox_rules_then_give_up(env, graph):
    cfg, conn, client = env
    graph.add_media("img-1", png(), "image/png", mode="cut")
    row = arrive(conn, message("image"))
    states = []
    for _ in range(cfg.worker.max_attempts):
        r = again(conn, row)
        clock.freeze(max(clock.now(), r["next_attempt_at"]) + 1)
        states.append(media.fetch_due(conn, client, cfg))
    assert states == ["pending"] * (cfg.worker.max_attempts - 1) + ["failed"]
    assert "gave up after 4 attempts" in again(conn, row)["error"]


def test_disk_full_keeps_the_row_and_retries_without_using_attempts(tmp_path, graph, small_fs):
    cfg = cfg_for(tmp_path, graph)
    conn = db.connect(cfg.db_path)
    client = GraphClient(cfg.whatsapp)
    cfg.media_dir.symlink_to(small_fs)                # the files' disk fills; the database's does not
    data = os.urandom(600_000)
    graph.add_media("doc-1", data, "application/pdf")
    row = arrive(conn, message("document"))
    filler = fill_disk(small_fs)
    try:
        assert media.fetch_due(conn, client, cfg) == "pending"
        r = again(conn, row)
        assert r["attempts"] == 0 and "cannot write" in r["error"]
        assert [p for p in small_fs.iterdir()] == [filler]
    finally:
        filler.unlink()
    clock.freeze(again(conn, row)["next_attempt_at"] + 1)
    assert media.fetch_due(conn, client, cfg) == "stored"


def test_disk_full_for_the_database_too_the_worker_goes_on(tmp_path, graph, small_fs):
    from chatbot.worker import Worker
    from support.worker import FixedBot
    cfg = make_cfg(tmp_path, paths={"state_dir": str(small_fs)},
                   whatsapp={"app_secret": "s", "access_token": ACCESS_TOKEN, "api_base_url": graph.url,
                             "request_timeout_seconds": 2.0}, media={"download_seconds": 5.0})
    graph.token = ACCESS_TOKEN
    conn = db.connect(cfg.db_path)
    graph.add_media("doc-1", os.urandom(600_000), "application/pdf")
    row = arrive(conn, message("document"))
    w = Worker(cfg, conn=conn, bot=FixedBot(), owner="t")
    filler = fill_disk(small_fs)
    try:
        assert w.fetch_media_once() is None            # logged; nothing half-written, the row untouched
        assert again(conn, row)["state"] == "pending"
        assert w.fetch_media_once() is None and len([r for r in graph.requests if r.get("method")]) == 2
    finally:
        filler.unlink()
    w._media_pause_until = 0
    assert w.fetch_media_once() == "stored"


def test_purge_deletes_old_files_and_keeps_the_rows(env, graph):
    cfg, conn, client = env
    graph.add_media("aud-1", ogg_opus(14), "audio/ogg")
    row = arrive(conn, message("audio"))
    conn.execute("UPDATE inbox SET status='answered'")
    assert media.fetch_due(conn, client, cfg) == "stored"
    r = again(conn, row)
    assert r["duration_seconds"] == pytest.approx(14)
    out = media.purge(conn, cfg.media_dir, clock.now() + 1)
    assert out["media_files_deleted"] == 1 and not (cfg.media_dir / r["sha256"]).exists()
    assert again(conn, row)["state"] == "expired"


def test_sandbox_never_calls_out(tmp_path, graph):
    cfg = make_cfg(tmp_path)
    conn = db.connect(cfg.db_path)
    row = arrive(conn, message("image"))
    assert media.fetch_due(conn, GraphClient(cfg.whatsapp), cfg) == "failed"
    assert "sandbox" in media.get(conn, row["id"])["error"]
    assert pdf()    # the sample helpers build real files


@pytest.mark.parametrize("include", [False, True])
def test_backups_keep_the_rows_and_the_files_only_when_asked(tmp_path, graph, include):
    import tarfile

    from chatbot.ops import backup, restore
    cfg = make_cfg(tmp_path, backup={"include_media": include},
                   whatsapp={"app_secret": "s", "access_token": ACCESS_TOKEN, "api_base_url": graph.url})
    graph.token = ACCESS_TOKEN
    conn = db.connect(cfg.db_path)
    data = png(30, 20)
    graph.add_media("img-1", data, "image/png")
    arrive(conn, message("image"))
    assert media.fetch_due(conn, GraphClient(cfg.whatsapp), cfg) == "stored"
    sha = hashlib.sha256(data).hexdigest()
    conn.close()
    path = backup.run_backup(cfg)["path"]
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert (f"media/{sha}" in names) is include
    (cfg.media_dir / sha).unlink()
    restore.restore(cfg, path, force=True)
    assert (cfg.media_dir / sha).exists() is include
    conn = db.connect(cfg.db_path)
    assert conn.execute("SELECT sha256 FROM media").fetchone()[0] == sha      # the row is always kept


def test_cleanup_deletes_files_past_keep_days(tmp_path, graph):
    from chatbot.ops import maintenance
    cfg = cfg_for(tmp_path, graph, keep_days=90)
    conn = db.connect(cfg.db_path)
    graph.add_media("img-1", png(), "image/png")
    row = arrive(conn, message("image"))
    assert media.fetch_due(conn, GraphClient(cfg.whatsapp), cfg) == "stored"
    sha = again(conn, row)["sha256"]
    clock.freeze(clock.now() + 89 * 86400)
    assert maintenance.purge(conn, cfg)["media_files"] == 0 and (cfg.media_dir / sha).exists()
    clock.freeze(clock.now() + 2 * 86400)
    assert maintenance.purge(conn, cfg)["media_files"] == 1 and not (cfg.media_dir / sha).exists()
    assert again(conn, row)["state"] == "expired"
