"""``chatbot-backup --list`` and the listing behind it (ops/backup.list_backups):
real archives written by run_backup, newest first, each checked against the
SHA-256 recorded when it was written, the one retention deletes next marked,
and that mark proven by running the retention."""
from __future__ import annotations

import json
import shutil

from chatbot import clock, db
from chatbot.commands.jobs import backup as backup_cmd
from chatbot.ops import backup
from support.configs import make_cfg, toml_of
from support.servers import run

DAY = 86400.0
NOW = 1_780_000_000.0      # 2026-05-28


def take(cfg, days_ago: float) -> dict:
    clock.freeze(NOW - days_ago * DAY)
    try:
        return backup.run_backup(cfg, prune=False)
    finally:
        clock.freeze(NOW)


def config_file(tmp_path, **backup_cfg):
    path = tmp_path / "chatbot.toml"
    data = {"paths": {"state_dir": str(tmp_path / "state")}, "llm": {"enabled": False}}
    if backup_cfg:
        data["backup"] = backup_cfg
    path.write_text(toml_of(data))
    return path


def test_newest_first_with_size_and_verified(tmp_path):
    cfg = make_cfg(tmp_path)
    conn = db.connect(cfg.db_path)
    written = [take(cfg, d) for d in (3, 2, 1)]
    clock.freeze(NOW)
    data = backup.list_backups(cfg, conn)
    assert [a["path"] for a in data["archives"]] == [w["path"] for w in reversed(written)]
    assert [a["size"] for a in data["archives"]] == [w["size"] for w in reversed(written)]
    assert [a["created_at"] for a in data["archives"]] == [int(w["created_at"]) for w in reversed(written)]
    assert all(a["verified"] is True for a in data["archives"])
    assert data["count"] == 3 and data["total_size"] == sum(w["size"] for w in written)
    assert data["archives"][0]["created_utc"].startswith("2026-05-27T")
    # keep_count 14: the oldest goes first, after 30 days and 12 more backups.
    nxt = data["next_to_delete"]
    assert nxt["name"] == data["archives"][-1]["name"] and not nxt["at_next_run"]
    assert nxt["newer_backups_needed"] == 12 and nxt["not_before"] == data["archives"][-1]["created_at"] + 30 * DAY
    assert [a["next_to_delete"] for a in data["archives"]] == [False, False, True]
    assert backup.list_backups(cfg, conn, limit=2)["archives"] == data["archives"][:2]
    conn.close()


def test_a_changed_or_unknown_archive_does_not_verify(tmp_path):
    cfg = make_cfg(tmp_path)
    conn = db.connect(cfg.db_path)
    first, second, third = (take(cfg, d) for d in (3, 2, 1))
    # Same size, one byte different: only the SHA-256 tells.
    raw = bytearray(open(first["path"], "rb").read())
    raw[len(raw) // 2] ^= 0xFF
    open(first["path"], "wb").write(bytes(raw))
    with open(second["path"], "ab") as fh:         # grown
        fh.write(b"junk")
    copied = cfg.backup_dir / "chatbot-backup-20260101T050000Z.tar.gz"
    shutil.copyfile(third["path"], copied)         # copied in by hand: no record
    by_path = {a["path"]: a for a in backup.list_backups(cfg, conn)["archives"]}
    assert by_path[third["path"]]["verified"] is True
    assert by_path[first["path"]]["verified"] is False and "SHA-256 differs" in by_path[first["path"]]["check"]
    assert by_path[second["path"]]["verified"] is False and "size" in by_path[second["path"]]["check"]
    assert by_path[str(copied)]["verified"] is None
    assert all(a["verified"] is None for a in backup.list_backups(cfg, None)["archives"])
    conn.close()


def test_the_marked_archive_is_the_one_retention_deletes(tmp_path):
    cfg = make_cfg(tmp_path, backup={"keep_count": 2, "keep_days": 1})
    conn = db.connect(cfg.db_path)
    written = [take(cfg, d) for d in (6, 5, 4, 0.5)]
    clock.freeze(NOW)
    data = backup.list_backups(cfg, conn)
    doomed = [a["name"] for a in data["archives"] if a["retention"] == "delete at next run"]
    marked = [a["name"] for a in data["archives"] if a["next_to_delete"]]
    assert len(doomed) == 2 and marked == [doomed[-1]] and data["next_to_delete"]["at_next_run"]
    kept, deleted = backup.apply_retention(cfg, conn)
    assert sorted(deleted) == sorted(doomed)
    # Now two remain, both kept: the older one is next, once a newer backup exists and it is a day old.
    data = backup.list_backups(cfg, conn)
    assert [a["path"] for a in data["archives"]] == [written[3]["path"], written[2]["path"]]
    nxt = data["next_to_delete"]
    assert nxt["name"] == data["archives"][1]["name"] and nxt["newer_backups_needed"] == 1
    take(cfg, 0.1)
    kept, deleted = backup.apply_retention(cfg, conn)
    assert deleted == [nxt["name"]]
    conn.close()


def test_a_single_backup_is_never_marked(tmp_path):
    cfg = make_cfg(tmp_path)
    conn = db.connect(cfg.db_path)
    take(cfg, 1)
    data = backup.list_backups(cfg, conn)
    assert data["next_to_delete"] is None and not data["archives"][0]["next_to_delete"]
    assert backup.list_backups(make_cfg(tmp_path / "empty"), None)["archives"] == []
    conn.close()


def test_list_command_prints_a_table_and_json_and_takes_no_backup(tmp_path, runner):
    path = config_file(tmp_path)
    cfg = make_cfg(tmp_path)
    conn = db.connect(cfg.db_path)
    written = [take(cfg, d) for d in (2, 1)]
    runs_before = conn.execute("SELECT count(*) FROM job_runs").fetchone()[0]
    result = runner.invoke(backup_cmd, ["--config", str(path), "--list"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"backups in {cfg.backup_dir} (retention: the newest 14")
    assert lines[1].split() == ["TIME", "(UTC)", "SIZE", "VERIFIED", "ARCHIVE"]
    rows = lines[2:4]
    assert [r.split()[-1] if "<-" not in r else r.split()[5] for r in rows] == \
        [w["path"].rsplit("/", 1)[1] for w in reversed(written)]
    assert all(" yes " in r for r in rows)
    assert "<- next to delete: after" in rows[1] and "<-" not in rows[0]
    assert lines[-1].startswith("2 backup(s), ")
    result = runner.invoke(backup_cmd, ["--config", str(path), "--list", "--json"], catch_exceptions=False)
    data = json.loads(result.output)
    assert [a["name"] for a in data["archives"]] == [w["path"].rsplit("/", 1)[1] for w in reversed(written)]
    assert data["archives"][1]["next_to_delete"] is True
    assert len(list(cfg.backup_dir.glob("*.tar.gz"))) == 2          # no backup taken
    assert conn.execute("SELECT count(*) FROM job_runs").fetchone()[0] == runs_before
    conn.close()


def test_list_command_as_a_real_process(tmp_path):
    path = config_file(tmp_path)
    proc = run("chatbot-backup", path, "--list")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "no backups" and proc.stderr == ""
    assert run("chatbot-backup", path).returncode == 0
    proc = run("chatbot-backup", path, "--list")
    assert proc.returncode == 0 and " yes " in proc.stdout and "1 backup(s)" in proc.stdout


def test_a_damaged_database_still_lists_the_archives(tmp_path, runner):
    path = config_file(tmp_path)
    cfg = make_cfg(tmp_path)
    db.connect(cfg.db_path).close()
    take(cfg, 1)
    for suffix in ("-wal", "-shm"):
        (cfg.state_dir / f"chatbot.db{suffix}").unlink(missing_ok=True)
    cfg.db_path.write_bytes(b"this is not a database" * 100)
    proc = run("chatbot-backup", path, "--list")
    assert proc.returncode == 0, proc.stderr
    assert " unknown " in proc.stdout and "1 backup(s)" in proc.stdout
    assert "cannot read the backup records" in proc.stderr and "Traceback" not in proc.stderr
