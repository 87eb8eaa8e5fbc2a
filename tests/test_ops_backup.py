"""Backups taken while another process writes, restored into a fresh state;
damaged and crafted archives refused; retention never loses the newest good one."""
from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatbot import clock, db, events
from chatbot.commands.jobs import backup as backup_cmd
from chatbot.commands.jobs import restore as restore_cmd
from chatbot.ops import backup, restore
from support.configs import make_cfg, toml_of
from support.disk import fill_disk
from support.servers import ROOT, readable_by_others, run
from support.waiting import wait_until

WRITER = r"""
import os, sys, time
sys.path.insert(0, sys.argv[3])
from chatbot import db, events
conn = db.connect(sys.argv[1])
deadline = time.monotonic() + 120          # bounded, whatever happens to the test
while time.monotonic() < deadline and not os.path.exists(sys.argv[2]):
    with db.transaction(conn):
        events.record(conn, intent="writer", source="test", error="w" * 100)
    # A breath between commits, as the worker takes: a writer that re-takes the
    # lock the instant it lets go starves every other writer's busy handler.
    time.sleep(0.001)
"""


def max_id(path) -> int:
    c = sqlite3.connect(str(path))
    try:
        return c.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    finally:
        c.close()


def prefill(conn, rows: int) -> None:
    with db.transaction(conn):
        conn.executemany("INSERT INTO events (ts, intent, source, success, error) VALUES (?, 'old', 'test', 1, ?)",
                         [(clock.now(), "p" * 200) for _ in range(rows)])


@pytest.mark.slow
def test_backup_while_another_process_writes_then_restore_into_fresh_state(tmp_path):
    cfg = make_cfg(tmp_path)
    conn = db.connect(cfg.db_path)
    prefill(conn, 60_000)                                       # ~20 MB: the copy takes a while
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(cfg.db_path), str(stop), str(ROOT / "lib")])
    try:
        wait_until(lambda: max_id(cfg.db_path) >= 60_000 + 50, 30, 0.02, what="")
        committed_before = max_id(cfg.db_path)                  # every row up to here is committed
        summary = backup.run_backup(cfg)
        committed_after = max_id(cfg.db_path)
        # Refused while the writer has the database open, and nothing was touched.
        with pytest.raises(backup.BackupError, match=r"still running .*has the database open"):
            restore.restore(cfg, summary["path"])
    finally:
        stop.touch()
        writer.wait(timeout=30)
    assert committed_after > committed_before > 60_000, "the writer must have been writing during the backup"
    assert summary["tables"]["events"] >= committed_before

    fresh = make_cfg(tmp_path / "fresh", migrated=False)
    plan = restore.restore(fresh, summary["path"])
    assert plan["safety_backup"] is None                        # nothing was there to keep
    c = sqlite3.connect(str(fresh.db_path))
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = {r[0] for r in c.execute("SELECT id FROM events WHERE id <= ?", (committed_before,))}
    assert ids == set(range(1, committed_before + 1))
    assert c.execute("SELECT count(*) FROM events").fetchone()[0] == summary["tables"]["events"]
    c.close()
    assert oct(os.stat(summary["path"]).st_mode & 0o777) == "0o600"


def test_manifest_lists_every_file_with_checksums_and_no_secret(tmp_path):
    password = "smtp-pass-never-in-manifest"
    cfg_path = tmp_path / "chatbot.toml"
    cfg_path.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "state")}, "llm": {"enabled": False},
                                 "smtp": {"host": "mail.example", "username": "u"}}))
    from chatbot import config
    cfg = config.load(str(cfg_path))
    import dataclasses
    cfg = dataclasses.replace(cfg, smtp=dataclasses.replace(cfg.smtp, password=password))
    (cfg.kb_sources_dir / "sub").mkdir(parents=True)
    (cfg.kb_sources_dir / "catalog.csv").write_text("sku;nome\n1;Arroz 5kg\n")
    (cfg.kb_sources_dir / "sub" / "faq.md").write_text("# Horário\n")
    db.connect(cfg.db_path).close()
    summary = backup.run_backup(cfg)
    with tarfile.open(summary["path"]) as tar:
        raw = tar.extractfile("manifest.json").read().decode()
        manifest = json.loads(raw)
        names = sorted(tar.getnames())
    assert names == ["config/chatbot.toml", "db/chatbot.db", "kb/catalog.csv", "kb/sub/faq.md", "manifest.json"]
    assert [f["path"] for f in manifest["files"]] == ["db/chatbot.db", "config/chatbot.toml", "kb/catalog.csv",
                                                      "kb/sub/faq.md"]
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in manifest["files"])
    assert manifest["integrity_check"] == "ok" and manifest["version"] and manifest["created_at"].endswith("+00:00")
    assert "0003_ops" in manifest["migrations"] and manifest["tables"]["events"] == 0
    assert password not in raw
    assert Path(summary["path"]).name.startswith("chatbot-backup-") and summary["path"].endswith("Z.tar.gz")
    assert backup.last_backup(db.connect(cfg.db_path))["sha256"] == summary["sha256"]


def test_restore_takes_a_safety_backup_and_puts_database_and_kb_back(tmp_path, runner):
    cfg_path = tmp_path / "chatbot.toml"
    cfg_path.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "state")}, "llm": {"enabled": False}}))
    from chatbot import config
    cfg = config.load(str(cfg_path))
    cfg.kb_sources_dir.mkdir(parents=True)
    (cfg.kb_sources_dir / "catalog.csv").write_text("v1\n")
    conn = db.connect(cfg.db_path)
    prefill(conn, 10)
    good = backup.run_backup(cfg)["path"]
    prefill(conn, 5)                                           # the state moves on...
    (cfg.kb_sources_dir / "catalog.csv").write_text("v2\n")
    conn.close()

    dry = runner.invoke(restore_cmd, ["--config", str(cfg_path), "--dry-run", good], catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert "would replace database" in dry.output and max_id(cfg.db_path) == 15

    result = runner.invoke(restore_cmd, ["--config", str(cfg_path), "--yes", good], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert max_id(cfg.db_path) == 10
    assert (cfg.kb_sources_dir / "catalog.csv").read_text() == "v1\n"
    assert [p.read_text() for p in cfg.state_dir.glob("kb.pre-restore-*/catalog.csv")] == ["v2\n"]
    (safety,) = cfg.backup_dir.glob("chatbot-backup-*-pre-restore.tar.gz")
    assert "safety backup of the previous state: " + str(safety) in result.output
    with tarfile.open(safety) as tar:
        assert json.loads(tar.extractfile("manifest.json").read())["tables"]["events"] == 15
    (from_backup,) = cfg.state_dir.glob("config-from-backup-*.toml")      # /etc stays the operator's
    assert from_backup.read_text() == cfg_path.read_text()
    assert not Path(str(cfg.db_path) + ".restoring").exists()
    assert sorted(p.name for p in cfg.state_dir.iterdir() if p.name.startswith(".restore-")) == []


def test_restore_refuses_while_the_worker_beats(tmp_path):
    cfg = make_cfg(tmp_path)
    conn = db.connect(cfg.db_path)
    path = backup.run_backup(cfg)["path"]
    with db.transaction(conn):
        events.heartbeat(conn, "worker", 4242, "host:4242")
    with pytest.raises(backup.BackupError) as info:
        restore.restore(cfg, path)
    assert "chatbot-worker heartbeat" in str(info.value)
    assert "sudo systemctl stop chatbot-web chatbot-worker" in str(info.value)
    assert restore.restore(cfg, path, force=True)["safety_backup"].endswith("-pre-restore.tar.gz")


# -- archives that must be refused -----------------------------------------------------------
def _archive_before(tmp_path) -> tuple:
    cfg = make_cfg(tmp_path)
    conn = db.connect(cfg.db_path)
    prefill(conn, 2000)
    conn.close()
    return cfg, Path(backup.run_backup(cfg)["path"])


def _refused(cfg, archive, match):
    before = max_id(cfg.db_path)
    with pytest.raises(backup.BackupError, match=match):
        restore.restore(cfg, archive, force=True)
    assert max_id(cfg.db_path) == before                       # nothing replaced
    assert not list(cfg.backup_dir.glob("*pre-restore*"))     # refused before the safety backup


def test_corrupted_archive_is_refused_in_one_line(tmp_path):
    cfg, good = _archive_before(tmp_path)
    data = bytearray(good.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 64):
        data[i] ^= 0x5A
    bad = tmp_path / "damaged.tar.gz"
    bad.write_bytes(bytes(data))
    _refused(cfg, bad, r"damaged")
    cfg_path = tmp_path / "chatbot.toml"
    cfg_path.write_text(toml_of({"paths": {"state_dir": str(cfg.state_dir)}, "llm": {"enabled": False}}))
    proc = run("chatbot-restore", cfg_path, "--yes", str(bad))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "damaged" in proc.stderr
    # The good archive onto a machine with no state yet: nothing to keep, no empty safety copy.
    fresh = tmp_path / "fresh.toml"
    fresh.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "new-state")}, "llm": {"enabled": False}}))
    proc = run("chatbot-restore", fresh, "--yes", str(good))
    assert proc.returncode == 0, proc.stderr
    assert "safety backup of the previous state: none (no database)" in proc.stdout
    assert max_id(tmp_path / "new-state" / "chatbot.db") == 2000
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _refused(cfg, truncated, r"damaged")


def _rebuild(good: Path, out: Path, change) -> Path:
    """Re-pack a good archive through ``change(name, data) -> [(name, data, TarInfo-kwargs)]``."""
    with tarfile.open(good) as src, tarfile.open(out, "w:gz") as dst:
        for m in src.getmembers():
            for name, data, extra in change(m.name, src.extractfile(m).read()):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                for k, v in extra.items():
                    setattr(info, k, v)
                dst.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return out


def test_checksum_mismatch_is_refused(tmp_path):
    cfg, good = _archive_before(tmp_path)

    def flip(name, data):
        if name == "db/chatbot.db":
            data = data[:-100] + bytes(100)
        return [(name, data, {})]
    _refused(cfg, _rebuild(good, tmp_path / "edited.tar.gz", flip), r"checksum mismatch for db/chatbot.db")


@pytest.mark.parametrize("evil", ["../evil.txt", "db/../../evil.txt", "/tmp/evil.txt", "kb/../../evil.txt"])
def test_archive_with_unsafe_paths_is_refused(tmp_path, evil):
    cfg, good = _archive_before(tmp_path)

    def add_evil(name, data):
        out = [(name, data, {})]
        if name == "manifest.json":
            out.append((evil, b"owned\n", {}))
        return out
    _refused(cfg, _rebuild(good, tmp_path / "evil.tar.gz", add_evil), r"unsafe path")
    assert not (tmp_path / "evil.txt").exists() and not (cfg.state_dir.parent / "evil.txt").exists()


def test_archive_with_a_symlink_is_refused(tmp_path):
    cfg, good = _archive_before(tmp_path)

    def add_link(name, data):
        out = [(name, data, {})]
        if name == "manifest.json":
            out.append(("kb/passwd", b"", {"type": tarfile.SYMTYPE, "linkname": "/etc/passwd"}))
        return out
    _refused(cfg, _rebuild(good, tmp_path / "link.tar.gz", add_link), r"link or device")


# -- the CLI --------------------------------------------------------------------------------
def test_backup_command_prints_where_and_a_summary(tmp_path):
    cfg_path = tmp_path / "chatbot.toml"
    cfg_path.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "state")}, "llm": {"enabled": False}}))
    proc = run("chatbot-backup", cfg_path)
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith(f"backup written: {tmp_path}/state/backups/chatbot-backup-")
    assert "sha256 " in proc.stdout and "retention: kept 1" in proc.stdout
    log_lines = proc.stderr.strip().splitlines()
    assert len(log_lines) == 1 and "backup ok in" in log_lines[0]
    as_json = run("chatbot-backup", cfg_path, "--json")
    data = json.loads(as_json.stdout)
    assert data["status"] == "ok" and data["job"] == "backup" and os.path.exists(data["path"])


def test_backup_of_a_missing_database_fails_cleanly(tmp_path, runner):
    cfg_path = tmp_path / "chatbot.toml"
    cfg_path.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "state")}, "llm": {"enabled": False}}))
    cfg = make_cfg(tmp_path)
    result = runner.invoke(backup_cmd, ["--config", str(cfg_path), "--json"], catch_exceptions=False)
    # The command itself creates the database (to record the run), so it succeeds;
    # the library refuses to back up a database that is not there.
    assert result.exit_code == 0
    with pytest.raises(backup.BackupError, match="no database at"):
        backup.run_backup(make_cfg(tmp_path / "other", migrated=False))
    assert cfg.backup_dir.exists()


# -- retention ---------------------------------------------------------------------------------
DAY = 86400.0
NOW = 1_750_000_000.0


def archives_from(spec):
    return [{"name": f"b{i:03d}", "created_at": NOW - age * 3600, "good": good}
            for i, (age, good) in enumerate(spec)]


@settings(max_examples=300, deadline=None)
@given(spec=st.lists(st.tuples(st.integers(0, 24 * 120), st.booleans()), max_size=40),
       keep_count=st.integers(1, 20), keep_days=st.integers(0, 60))
def test_retention_never_deletes_the_newest_good_backup(spec, keep_count, keep_days):
    archives = archives_from(spec)
    keep, delete = backup.plan_retention(archives, NOW, keep_count, keep_days)
    assert sorted(a["name"] for a in keep + delete) == sorted(a["name"] for a in archives)
    good = sorted((a for a in archives if a["good"]), key=backup._age_key, reverse=True)
    kept = {a["name"] for a in keep}
    if not good:
        assert delete == []                                    # nothing good: nothing deleted
        return
    assert good[0]["name"] in kept
    assert {a["name"] for a in good[:keep_count]} <= kept       # the newest keep_count good ones
    assert all(a["name"] in kept for a in good if NOW - a["created_at"] <= keep_days * DAY)
    assert all(not a["good"] or (NOW - a["created_at"] > keep_days * DAY) for a in delete)


def test_retention_on_disk_keeps_count_and_age_and_the_newest(tmp_path):
    clock.freeze(NOW)
    cfg = make_cfg(tmp_path, backup={"keep_count": 3, "keep_days": 10})
    conn = db.connect(cfg.db_path)
    cfg.backup_dir.mkdir(parents=True)
    names = []
    for days in (0.5, 1.5, 2.5, 5, 9, 12, 40, 80):
        name = f"chatbot-backup-{backup.utc_stamp(NOW - days * DAY)}.tar.gz"
        (cfg.backup_dir / name).write_bytes(b"x" * 10)
        names.append(name)
    (cfg.backup_dir / "unrelated.txt").write_text("keep me")
    kept, deleted = backup.apply_retention(cfg, conn)
    assert kept == names[:5] and deleted == names[5:]           # 3 newest + all younger than 10 days
    assert sorted(p.name for p in cfg.backup_dir.iterdir() if not p.name.startswith(".")) == \
        sorted(names[:5] + ["unrelated.txt"])
    # Months without a backup: the old ones stay, whatever their age.
    clock.advance(365 * DAY)
    kept, deleted = backup.apply_retention(cfg, conn)
    assert kept == names[:3] and deleted == names[3:5]


# -- a full disk ---------------------------------------------------------------------------------
def test_full_disk_fails_cleanly_and_keeps_older_backups(tmp_path, small_fs):
    cfg_path = tmp_path / "chatbot.toml"
    cfg_path.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "state"), "backup_dir": str(small_fs)},
                                 "llm": {"enabled": False}, "backup": {"keep_count": 1, "keep_days": 0}}))
    from chatbot import config
    cfg = config.load(str(cfg_path))
    conn = db.connect(cfg.db_path)
    older = Path(backup.run_backup(cfg)["path"])
    with db.transaction(conn):                                   # 8 MB that will not compress
        conn.executemany("INSERT INTO events (ts, success, error) VALUES (?, 1, ?)",
                         [(clock.now(), os.urandom(4000).hex()) for _ in range(1000)])
    conn.close()
    proc = run("chatbot-backup", cfg_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "disk is full while writing the backup" in line and "older backups were kept" in line
    assert sorted(p.name for p in small_fs.iterdir()) == [".lock", older.name]   # no partial left
    conn = db.connect(cfg.db_path)
    assert jobs_status(conn) == "failed"
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_fs)], check=True)
    again = run("chatbot-backup", cfg_path)
    assert again.returncode == 0, again.stderr
    # Retention (keep 1) removes the older one only now that a newer good one exists.
    (left,) = small_fs.glob("*.tar.gz")
    assert not older.exists()
    assert str(left) == backup.last_backup(conn)["path"]


def jobs_status(conn) -> str:
    from chatbot.ops import jobs
    return jobs.last_runs(conn)["backup"]["status"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: checks what `sudo chatbot-backup` does")
@pytest.mark.skipif(not readable_by_others(sys.base_prefix, sys.prefix, ROOT),
                    reason="this Python or checkout is not readable by other users (e.g. under /root)")
def test_sudo_backup_runs_as_the_owner_of_the_state_dir():
    import tempfile
    top = Path(tempfile.mkdtemp(prefix="chatbot-sudo-", dir="/tmp"))
    try:
        top.chmod(0o755)
        state = top / "state"
        state.mkdir()
        nobody = 65534
        os.chown(state, nobody, nobody)
        cfg_path = top / "chatbot.toml"
        cfg_path.write_text(toml_of({"paths": {"state_dir": str(state)}, "llm": {"enabled": False}}))
        proc = run("chatbot-backup", cfg_path, "--json")
        assert proc.returncode == 0, proc.stderr
        archive = Path(json.loads(proc.stdout)["path"])
        for p in (archive, archive.parent, archive.parent / ".lock", state / "chatbot.db"):
            assert p.stat().st_uid == nobody, p
    finally:
        import shutil
        shutil.rmtree(top)


# -- decompression bombs and wrong manifests ---------------------------------------------------
def _bomb(good: Path, out: Path, inflated: int, honest_manifest: bool) -> Path:
    """The good archive with db/chatbot.db replaced by ``inflated`` zero bytes
    (a few hundred KB compressed); the manifest either keeps the real size or
    claims the inflated one."""
    with tarfile.open(good) as src:
        manifest = json.loads(src.extractfile("manifest.json").read())
        others = [(m, src.extractfile(m).read()) for m in src.getmembers()
                  if m.isfile() and m.name not in ("manifest.json", "db/chatbot.db")]
    if honest_manifest:
        for f in manifest["files"]:
            if f["path"] == "db/chatbot.db":
                f["size"] = inflated
    with tarfile.open(out, "w:gz") as dst:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        dst.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("db/chatbot.db")
        info.size = inflated

        class Zeros(io.RawIOBase):
            left = inflated

            def readinto(self, b):
                n = min(len(b), self.left)
                b[:n] = bytes(n)
                self.left -= n
                return n
        dst.addfile(info, Zeros())
        for m, data in others:
            dst.addfile(m, io.BytesIO(data))
    return out


def _biggest_file_under(folder: Path) -> int:
    return max((p.stat().st_size for p in folder.rglob("*") if p.is_file()), default=0)


@pytest.mark.parametrize("honest_manifest", [False, True])
def test_decompression_bomb_is_refused_before_it_is_unpacked(tmp_path, small_fs, honest_manifest):
    """The state directory on a 4 MB disk, an archive that inflates to 64 MB:
    refused with one line, and nothing ever written. A size that disagrees
    with the manifest is refused at the member's header; an honest size, by
    its checksum, streamed before anything is written."""
    cfg, good = _archive_before(tmp_path)
    bomb = _bomb(good, tmp_path / "bomb.tar.gz", 64 << 20, honest_manifest)
    assert bomb.stat().st_size < 1 << 20
    small = make_cfg(small_fs)
    db.connect(small.db_path).close()
    used = shutil.disk_usage(small_fs).used
    match = r"checksum mismatch for db/chatbot.db" if honest_manifest else r"67,108,864 bytes in the archive but"
    for dry_run in (True, False):
        with pytest.raises(backup.BackupError, match=match):
            restore.restore(small, bomb, dry_run=dry_run, force=True)
        assert shutil.disk_usage(small_fs).used <= used + 65536
    assert not [p for p in small.state_dir.iterdir() if p.name.startswith(".restore-")]


def test_an_archive_bigger_than_the_free_space_is_refused_before_unpacking(tmp_path, small_fs):
    cfg, good = _archive_before(tmp_path)
    small = make_cfg(small_fs)
    db.connect(small.db_path).close()
    fill_disk(small_fs)
    with pytest.raises(backup.BackupError, match=r"unpacking it needs .* MB free"):
        restore.restore(small, good, force=True)


def test_dry_run_writes_nothing_under_the_state_directory(tmp_path):
    cfg, good = _archive_before(tmp_path)
    def files():   # (looking for writers opens the database, which may add its -wal/-shm)
        return sorted(p.name for p in cfg.state_dir.rglob("*") if not p.name.endswith(("-wal", "-shm")))
    before = files()
    seen = []
    real_verify = restore.verify_archive

    def verify(archive, work, **kw):
        out = real_verify(archive, work, **kw)
        seen.append((work, sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())))
        return out
    restore.verify_archive = verify
    try:
        plan = restore.restore(cfg, good, dry_run=True)
    finally:
        restore.verify_archive = real_verify
    assert plan["dry_run"] and plan["tables"]
    (work, written), = seen
    assert cfg.state_dir not in work.parents
    assert written == ["db/chatbot.db"]                         # the rest was only hashed
    assert files() == before


@pytest.mark.parametrize("manifest", [b"[]", b"{}", b'{"files": {}}', b'{"files": [1]}', b'"x"',
                                      b'{"files": [{"path": "db/chatbot.db", "size": "12", "sha256": "x"}]}'])
def test_manifest_of_the_wrong_shape_is_one_line(tmp_path, manifest):
    cfg, good = _archive_before(tmp_path)

    def replace(name, data):
        return [(name, manifest if name == "manifest.json" else data, {})]
    bad = _rebuild(good, tmp_path / "shape.tar.gz", replace)
    _refused(cfg, bad, r"manifest.json has the wrong shape")
    cfg_path = tmp_path / "chatbot.toml"
    cfg_path.write_text(toml_of({"paths": {"state_dir": str(cfg.state_dir)}, "llm": {"enabled": False}}))
    proc = run("chatbot-restore", cfg_path, "--dry-run", str(bad))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "wrong shape" in proc.stderr


def test_backup_and_restore_write_through_new_files_never_a_planted_link(tmp_path):
    """Fixed temporary names (.NAME.partial, NAME.restoring) in directories the
    service user owns would let it point root's writes anywhere."""
    clock.freeze(NOW)
    cfg, good = _archive_before(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    stamp = backup.utc_stamp(NOW)
    os.symlink(victim, cfg.backup_dir / f".chatbot-backup-{stamp}-2.tar.gz.partial")
    os.symlink(victim, cfg.db_path.with_name("chatbot.db.restoring"))
    second = backup.run_backup(cfg)
    assert second["path"].endswith(f"{stamp}-2.tar.gz")
    restore.restore(cfg, second["path"], force=True)
    assert victim.read_text() == "precious\n"
    assert max_id(cfg.db_path) == 2000
