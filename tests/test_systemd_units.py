"""The unit files under systemd/, checked by systemd's own tools.

``systemd-analyze verify`` parses every unit and checks that its ExecStart
exists (the units name /opt/chatbot/venv/bin/..., so a temporary copy points
them at the venv running these tests, which has the same console scripts).
``systemd-analyze security --offline=yes`` scores the sandboxing; the scores
are recorded in docs/RELIABILITY.md and this test keeps that table true.
What every service shares is one drop-in, ``systemd/chatbot-.service.d/``,
which systemd applies to every ``chatbot-*.service`` (both tools read it
beside the unit, as systemd does). The real boot-and-run test is
tests/test_install_systemd.py.
"""
from __future__ import annotations

import configparser
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chatbot import config

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "systemd"
INSTALLED_BIN = "/opt/chatbot/venv/bin"
VENV_BIN = Path(sys.executable).parent
RELIABILITY = ROOT / "docs" / "RELIABILITY.md"

SERVICES = sorted(p.name for p in UNITS.glob("*.service"))
SHARED = UNITS / "chatbot-.service.d" / "10-common.conf"
TIMERS = sorted(p.name for p in UNITS.glob("*.timer"))
JOBS = sorted(t.removesuffix(".timer") + ".service" for t in TIMERS)
LONG_RUNNING = ["chatbot-web.service", "chatbot-worker.service"]
FAILED_TEMPLATE = "chatbot-job-failed@.service"

# Directives that sandbox a unit: each must carry a comment saying why.
HARDENING = {
    "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "DevicePolicy",
    "PrivateMounts", "CapabilityBoundingSet", "AmbientCapabilities", "ProtectKernelTunables",
    "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname",
    "ProtectProc", "ProcSubset", "RestrictAddressFamilies", "PrivateNetwork", "RestrictNamespaces",
    "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality", "MemoryDenyWriteExecute",
    "SystemCallArchitectures", "SystemCallFilter", "SystemCallErrorNumber", "RemoveIPC", "PrivateUsers",
    "UMask", "StateDirectoryMode", "ReadWritePaths", "IPAddressDeny", "IPAddressAllow", "MemoryMax", "TasksMax",
}

needs_systemd_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                           reason="systemd-analyze not installed (package systemd)")


def read_unit(name: str, shared: bool = True) -> configparser.ConfigParser:
    """The unit as systemd sees it: its file, then (for a service) the shared drop-in, which is
    read after it and so wins. Repeated keys (SystemCallFilter=) are legal in units: keep the
    last, we only read single values."""
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read([UNITS / name, *([SHARED] if shared and name.endswith(".service") else [])])
    return parser


def directives(name: str | Path) -> list[tuple[int, str, str]]:
    """(line index, key, value) for every directive of a unit or drop-in file, repeated keys included."""
    out = []
    for i, line in enumerate((UNITS / name).read_text().splitlines()):
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, value = line.split("=", 1)
            out.append((i, key.strip(), value.strip()))
    return out


def analyze(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def unit_copy(tmp_path_factory) -> Path:
    """The units with ExecStart pointed at this venv's console scripts."""
    dest = tmp_path_factory.mktemp("units")
    for src in UNITS.iterdir():
        if src.suffix in (".service", ".timer"):
            (dest / src.name).write_text(src.read_text().replace(INSTALLED_BIN, str(VENV_BIN)))
    shutil.copytree(SHARED.parent, dest / SHARED.parent.name)
    return dest


def test_units_exist_for_every_job_and_service():
    assert "chatbot-web.service" in SERVICES and "chatbot-worker.service" in SERVICES
    assert FAILED_TEMPLATE in SERVICES
    from chatbot.ops import jobs
    # ops/jobs.JOBS is the one list of timer jobs: a timer for each, and nothing else.
    assert {t.removesuffix(".timer") for t in TIMERS} == {f"chatbot-{job}" for job in jobs.JOBS}
    for job in JOBS:
        assert job in SERVICES, f"{job} has a timer but no service"


@pytest.mark.parametrize("name", SERVICES)
def test_exec_start_is_an_installed_console_script(name):
    """ExecStart runs the venv's console script itself (no shell: NotifyAccess=main)."""
    exec_start = read_unit(name)["Service"]["ExecStart"]
    binary = exec_start.split()[0]
    assert binary.startswith(INSTALLED_BIN + "/"), exec_start
    script = binary.rsplit("/", 1)[1]
    assert (VENV_BIN / script).exists(), f"{script} is not a console script of this project (setup.py)"
    assert "sh" not in script.split("-")


@pytest.mark.parametrize("name", SERVICES)
def test_every_unit_shares_user_state_and_secrets(name):
    svc = read_unit(name)["Service"]
    assert svc["User"] == "chatbot" and svc["Group"] == "chatbot"
    assert "DynamicUser" not in svc
    assert svc["StateDirectory"] == "chatbot"
    assert svc["ConfigurationDirectory"] == "chatbot"
    assert svc["EnvironmentFile"] == "/etc/chatbot/secrets.env"
    assert svc["Environment"] == "CHATBOT_CONFIG=/etc/chatbot/chatbot.toml"
    # Database and backups: nothing for other users.
    assert int(svc["UMask"], 8) & 0o007 == 0o007
    assert svc["SyslogIdentifier"] == name.split("@")[0].removesuffix(".service")


@pytest.mark.parametrize("name", SERVICES + [SHARED])
def test_every_hardening_line_has_a_comment(name):
    lines = (UNITS / name).read_text().splitlines()
    for i, key, _value in directives(name):
        if key in HARDENING:
            assert lines[i - 1].startswith("#"), f"{name}:{i + 1}: {key}= needs a comment saying why"


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_gets_the_shared_sandbox(name):
    """systemd applies chatbot-.service.d/ to every unit named chatbot-*.service."""
    assert name.startswith("chatbot-") and SHARED.parent.name == "chatbot-.service.d"
    svc = read_unit(name)["Service"]
    assert {"NoNewPrivileges", "ProtectSystem", "SystemCallFilter", "CapabilityBoundingSet"} <= set(svc)


@pytest.mark.parametrize("name", SERVICES)
def test_no_unit_sets_what_the_shared_drop_in_sets(name):
    """A drop-in is read after the unit file, so a unit's own value of a shared key would be
    silently replaced: each key lives in one place."""
    shared = {key for _i, key, _v in directives(SHARED)}
    own = {key for _i, key, _v in directives(name)}
    assert not own & shared, f"{name} sets {sorted(own & shared)}, which chatbot-.service.d/ sets again"


def test_the_shared_drop_in_holds_only_service_settings():
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.read(SHARED)
    assert parser.sections() == ["Service"]


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_has_memory_and_task_limits(name):
    """A runaway parse, a leak or a thread storm is stopped in its own cgroup, not by the host."""
    svc = read_unit(name, shared=False)["Service"]
    assert re.fullmatch(r"\d+[MG]", svc["MemoryMax"]), svc.get("MemoryMax")
    assert 8 <= int(svc["TasksMax"]) <= 256


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_notify_and_restart(name):
    svc = read_unit(name)["Service"]
    assert svc["Type"] == "notify" and svc["NotifyAccess"] == "main"
    assert svc["Restart"] == "on-failure"
    assert read_unit(name)["Install"]["WantedBy"] == "multi-user.target"


def test_worker_watchdog_allows_missed_heartbeats():
    svc = read_unit("chatbot-worker.service")["Service"]
    watchdog = int(svc["WatchdogSec"].removesuffix("s"))
    assert watchdog >= 3 * config.Worker().heartbeat_seconds


@pytest.mark.parametrize("name", JOBS + [FAILED_TEMPLATE])
def test_oneshots_have_a_start_timeout(name):
    """A oneshot has no start timeout by default, and a hung run blocks every later one."""
    svc = read_unit(name)["Service"]
    assert svc["Type"] == "oneshot"
    assert svc.get("TimeoutStartSec", "infinity") not in ("infinity", "0")


@pytest.mark.parametrize("name", JOBS)
def test_jobs_report_failure_to_the_recorder(name):
    assert read_unit(name)["Unit"]["OnFailure"] == "chatbot-job-failed@%N.service"
    assert "%i" in read_unit(FAILED_TEMPLATE)["Service"]["ExecStart"]
    assert "OnFailure" not in read_unit(FAILED_TEMPLATE)["Unit"], "a failing recorder must not loop"


def test_only_the_metrics_job_sees_system_wide_proc():
    for name in SERVICES:
        has_subset = read_unit(name)["Service"].get("ProcSubset") == "pid"
        assert has_subset == (name != "chatbot-collect-metrics.service"), name


@pytest.mark.parametrize("name", TIMERS)
def test_timers_are_persistent_calendar_timers(name):
    timer = read_unit(name)
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == "timers.target"


def elapses(expr: str, n: int) -> list[datetime]:
    """The next ``n`` times systemd would fire ``expr``, as aware UTC datetimes."""
    res = analyze("calendar", f"--iterations={n}", expr, env={"TZ": "UTC"})
    assert res.returncode == 0, res.stderr
    stamps = re.findall(r"(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", res.stdout)
    assert len(stamps) == n, res.stdout
    return [datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc) for s in stamps]


@needs_systemd_analyze
def test_timer_periods_match_what_the_health_check_expects():
    """The dead man's switch flags a job overdue after its period: the timers must agree."""
    from chatbot.ops import jobs  # the project's own: a failure to import fails, never skips
    for name in TIMERS:
        job = name.removeprefix("chatbot-").removesuffix(".timer")
        times = elapses(read_unit(name)["Timer"]["OnCalendar"], 6)
        gaps = {(b - a).total_seconds() for a, b in zip(times, times[1:])}
        assert gaps == {jobs.JOBS[job]}, f"{name} fires every {gaps}s, the health check expects {jobs.JOBS[job]}s"


@needs_systemd_analyze
def test_backup_runs_at_two_in_the_morning_store_time_every_day():
    """Written in UTC: no DST night can skip it or run it twice, whatever the host's zone."""
    store = ZoneInfo(config.Bot().store_timezone)
    times = elapses(read_unit("chatbot-backup.timer")["Timer"]["OnCalendar"], 400)
    assert all(b - a == timedelta(days=1) for a, b in zip(times, times[1:]))
    assert {t.astimezone(store).strftime("%H:%M") for t in times} == {"02:00"}


@needs_systemd_analyze
def test_cleanup_runs_after_that_nights_backup():
    backup = elapses(read_unit("chatbot-backup.timer")["Timer"]["OnCalendar"], 1)[0]
    for cleanup in elapses(read_unit("chatbot-cleanup.timer")["Timer"]["OnCalendar"], 4):
        same_night = backup.replace(year=cleanup.year, month=cleanup.month, day=cleanup.day)
        assert timedelta(0) < cleanup - same_night < timedelta(hours=3)


@needs_systemd_analyze
@pytest.mark.parametrize("name", SERVICES + TIMERS)
def test_systemd_analyze_verify(unit_copy, name):
    unit = unit_copy / (name.replace("@.", "@chatbot-backup.service.") if name == FAILED_TEMPLATE else name)
    if name == FAILED_TEMPLATE:
        shutil.copy(unit_copy / name, unit)
    res = analyze("verify", str(unit))
    # verify exits 0 on unknown keys and bad values, only warning: any output is a finding.
    assert res.returncode == 0 and not res.stderr.strip() and not res.stdout.strip(), res.stderr + res.stdout


@needs_systemd_analyze
def test_verify_output_check_catches_a_bad_unit(tmp_path):
    """The check above can fail: a misspelt key and a bad value are reported."""
    bad = tmp_path / "chatbot-web.service"
    bad.write_text((UNITS / "chatbot-web.service").read_text().replace(INSTALLED_BIN, str(VENV_BIN))
                   .replace("ProcSubset=pid", "ProcSubset=perhaps").replace("NotifyAccess=", "NotifyAcess="))
    res = analyze("verify", str(bad))
    assert "subset mode" in res.stderr and "perhaps" in res.stderr
    assert "NotifyAcess" in res.stderr
    # ...and so is a bad line of the shared drop-in, read beside the unit.
    shared = tmp_path / SHARED.parent.name
    shared.mkdir()
    (shared / SHARED.name).write_text(SHARED.read_text().replace("ProtectHome=yes", "ProtectHome=perhaps"))
    res = analyze("verify", str(bad))
    assert "ProtectHome" in res.stderr or "protect home" in res.stderr.lower()


def exposure(name: str, threshold: int = 100) -> tuple[int, float]:
    res = analyze("security", "--offline=yes", f"--threshold={threshold}", str(UNITS / name))
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d)", res.stdout)
    assert m, res.stdout + res.stderr
    return res.returncode, float(m.group(1))


@needs_systemd_analyze
@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_score_two_or_better(name):
    rc, score = exposure(name, threshold=20)
    assert rc == 0 and score <= 2.0, f"{name}: exposure {score}"


@needs_systemd_analyze
def test_reliability_doc_records_every_units_score():
    """docs/RELIABILITY.md's table holds the score systemd gives each unit today."""
    doc = RELIABILITY.read_text()
    recorded = dict(re.findall(r"^\| `([\w@.-]+\.service)` \| (\d+\.\d) \|", doc, re.M))
    measured = {name: f"{exposure(name)[1]:.1f}" for name in SERVICES}
    assert recorded == measured


# ---- the example configuration and secrets that install.sh puts in /etc/chatbot ----

EXAMPLE = ROOT / "etc" / "chatbot" / "chatbot.toml"
SECRETS_EXAMPLE = ROOT / "etc" / "chatbot" / "secrets.env.example"


def test_example_config_loads_as_defaults_with_absolute_state_dir():
    data = tomllib.loads(EXAMPLE.read_text())
    cfg = config.from_dict(data, path=str(EXAMPLE), env={})
    assert cfg == config.from_dict({"paths": {"state_dir": "/var/lib/chatbot"}}, path=str(EXAMPLE), env={})
    assert cfg.whatsapp.sandbox, "the embedded default is sandbox mode"


def test_example_config_documents_every_key_with_its_default():
    """Every key of every section appears (commented out) with its default and a comment above it."""
    lines = EXAMPLE.read_text().splitlines()
    section, shown = None, {}
    for i, line in enumerate(lines):
        if m := re.fullmatch(r"\[(\w+)\]", line):
            section = m.group(1)
        elif m := re.fullmatch(r"#? ?(\w+) = (.+)", line):
            value = tomllib.loads(f"v = {m.group(2)}")["v"]
            shown[(section, m.group(1))] = value
            assert lines[i - 1].startswith("#"), f"{EXAMPLE.name}:{i + 1}: {m.group(1)} has no comment"
    expected = {}
    for f in dataclasses.fields(config.Config):
        if f.name == "path":
            continue
        default = f.default_factory()
        for ff in dataclasses.fields(default):
            expected[(f.name, ff.name)] = getattr(default, ff.name)
    expected[("paths", "state_dir")] = "/var/lib/chatbot"
    missing = sorted(set(expected) - set(shown))
    assert not missing, f"keys missing from {EXAMPLE}: {missing}"
    assert not set(shown) - set(expected), "keys the program does not know"
    wrong = {k: (shown[k], v) for k, v in expected.items() if shown[k] != v}
    assert not wrong, f"shown default differs from config.py: {wrong}"


def test_secrets_example_names_every_secret_variable():
    text = SECRETS_EXAMPLE.read_text()
    for var in config.SECRET_ENV.values():
        assert re.search(rf"^#?{var}=$", text, re.M), var
    # install.sh fills these three in with fresh random tokens.
    for var in ("CHATBOT_ADMIN_TOKEN", "WHATSAPP_VERIFY_TOKEN", "CHATBOT_METRICS_TOKEN"):
        assert re.search(rf"^{var}=$", text, re.M), var


def test_install_script_is_valid_bash():
    res = subprocess.run(["bash", "-n", str(ROOT / "install.sh")], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    assert os.access(ROOT / "install.sh", os.X_OK)
