"""Each timer job's next run (ops/schedule.py): read from the timer unit files
(the one place a schedule is written) and evaluated by ``systemd-analyze
calendar``, or asked of systemd where it runs; "—" where neither can answer."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from chatbot.ops import jobs, schedule

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, 15, 57, tzinfo=timezone.utc).timestamp()

# The unit-file answers come from systemd-analyze, which the system's systemd package installs.
pytestmark = pytest.mark.skipif(shutil.which(schedule.SYSTEMD_ANALYZE) is None,
                                reason="systemd-analyze not installed (package systemd)")


def utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def test_the_package_ships_the_repositorys_timer_files():
    for path in sorted((ROOT / "systemd").glob("*.timer")):
        assert (schedule.PACKAGED_UNITS / path.name).read_text() == path.read_text()
    assert {schedule.timer_unit(j) for j in jobs.JOBS} <= {p.name for p in schedule.PACKAGED_UNITS.glob("*.timer")}


def test_next_run_of_every_job_from_the_unit_files():
    plan = schedule.job_schedules(jobs.JOBS, NOW, dirs=(schedule.PACKAGED_UNITS,), ask_systemd=False)
    assert set(plan) == set(jobs.JOBS)
    for job, entry in plan.items():
        text = (ROOT / "systemd" / f"chatbot-{job}.timer").read_text()
        assert entry["on_calendar"] == re.findall(r"^OnCalendar=(.+)$", text, re.M)
        assert entry["next_run_source"] == "unit file" and entry["unit"] == f"chatbot-{job}.timer"
        assert NOW < entry["next_run"] <= NOW + jobs.JOBS[job]
    assert utc(plan["backup"]["next_run"]) == "2026-12-02 05:00:00"         # 05:00 UTC daily
    assert utc(plan["cleanup"]["next_run"]) == "2026-12-06 06:30:00"        # Sunday 06:30 UTC


def test_an_installed_unit_wins_over_the_packaged_copy_and_drop_ins_apply(tmp_path):
    etc = tmp_path / "etc-systemd-system"
    etc.mkdir()
    (etc / "chatbot-backup.timer").write_text(
        "[Unit]\nDescription=x\n[Timer]\n# an operator moved it\nOnCalendar=*-*-* 04:00:00 UTC\nPersistent=true\n")
    dirs = (etc, schedule.PACKAGED_UNITS)
    entry = schedule.next_from_file("chatbot-backup.timer", NOW, dirs)
    assert entry["unit_file"] == str(etc / "chatbot-backup.timer")
    assert utc(entry["next_run"]) == "2026-12-02 04:00:00"
    # A drop-in that clears the list and sets two times: the earlier next one counts.
    (etc / "chatbot-backup.timer.d").mkdir()
    (etc / "chatbot-backup.timer.d" / "override.conf").write_text(
        "[Timer]\nOnCalendar=\nOnCalendar=*-*-* 23:00:00 UTC\nOnCalendar=*-*-* 17:30:00 UTC\n")
    entry = schedule.next_from_file("chatbot-backup.timer", NOW, dirs)
    assert entry["on_calendar"] == ["*-*-* 23:00:00 UTC", "*-*-* 17:30:00 UTC"]
    assert utc(entry["next_run"]) == "2026-12-01 17:30:00"
    # The other jobs still come from the packaged copy.
    other = schedule.next_from_file("chatbot-cleanup.timer", NOW, dirs)
    assert Path(other["unit_file"]).parent == schedule.PACKAGED_UNITS


def test_a_missing_or_unreadable_timer_is_said_not_raised(tmp_path):
    entry = schedule.job_schedules(["nosuchjob"], NOW, dirs=(tmp_path,), ask_systemd=False)["nosuchjob"]
    assert entry["next_run"] is None and "no chatbot-nosuchjob.timer in" in entry["schedule_error"]
    (tmp_path / "chatbot-bad.timer").write_text("[Timer]\nOnCalendar=every tuesday-ish\n")
    entry = schedule.job_schedules(["bad"], NOW, dirs=(tmp_path,), ask_systemd=False)["bad"]
    assert entry["next_run"] is None and "every" in entry["schedule_error"]
    assert entry["next_run_source"] == "unit file"


SHOW = """Id=chatbot-backup.timer
LoadState=loaded
ActiveState=active
NextElapseUSecRealtime=Wed 2025-12-03 05:00:00 UTC
LastTriggerUSec=Tue 2025-12-02 05:00:00 UTC

Id=chatbot-cleanup.timer
LoadState=loaded
ActiveState=inactive
NextElapseUSecRealtime=
LastTriggerUSec=n/a

Id=chatbot-healthcheck.timer
LoadState=not-found
ActiveState=inactive
NextElapseUSecRealtime=
LastTriggerUSec=
"""


def test_systemctl_show_output_is_read_per_unit():
    """The format of ``TZ=UTC systemctl show -p ... A B C`` (systemd 252)."""
    props = schedule.parse_show(SHOW)
    assert set(props) == {"chatbot-backup.timer", "chatbot-cleanup.timer", "chatbot-healthcheck.timer"}
    assert schedule.parse_timestamp(props["chatbot-backup.timer"]["NextElapseUSecRealtime"]) == \
        datetime(2025, 12, 3, 5, tzinfo=timezone.utc).timestamp()
    assert schedule.parse_timestamp(props["chatbot-backup.timer"]["LastTriggerUSec"]) == 1764651600
    assert schedule.parse_timestamp("@1764651600") == 1764651600
    assert schedule.parse_timestamp("Wed 2025-12-03 02:00:00 -03") is None      # only UTC is unambiguous
    assert schedule.parse_timestamp(props["chatbot-cleanup.timer"]["NextElapseUSecRealtime"]) is None
    assert schedule.parse_timestamp("n/a") is None and schedule.parse_timestamp("@x") is None


def test_without_systemd_nothing_is_asked(monkeypatch):
    monkeypatch.setattr(schedule, "systemd_running", lambda: False)
    assert schedule.from_systemd(["chatbot-backup.timer"]) == {}
    plan = schedule.job_schedules(["backup"], NOW, dirs=(schedule.PACKAGED_UNITS,))
    assert plan["backup"]["next_run_source"] == "unit file"


def test_systemd_analyze_reads_every_timer_the_package_ships():
    values = [v for path in schedule.PACKAGED_UNITS.glob("*.timer")
              for v in schedule.on_calendar(path.name, (schedule.PACKAGED_UNITS,))[0]]
    times, refused = schedule.calendar_next(values, NOW)
    assert len(values) == len(jobs.JOBS) and not refused
    assert all(NOW < t <= NOW + 7 * 86400 for t in times.values())


def test_a_value_without_a_zone_is_in_the_hosts_zone_as_systemd_reads_it(monkeypatch):
    monkeypatch.setenv("TZ", "America/Sao_Paulo")
    times, _ = schedule.calendar_next(["*-*-* 05:00:00", "*-*-* 05:00:00 UTC"], NOW)
    assert utc(times["*-*-* 05:00:00"]) == "2026-12-02 08:00:00"        # 05:00 at UTC-3
    assert utc(times["*-*-* 05:00:00 UTC"]) == "2026-12-02 05:00:00"
    # Spring forward in Berlin: 02:30 does not exist on 2027-03-28, so the next is the day after.
    monkeypatch.setenv("TZ", "Europe/Berlin")
    times, _ = schedule.calendar_next(["*-*-* 02:30"], datetime(2027, 3, 27, 12, tzinfo=timezone.utc).timestamp())
    assert utc(times["*-*-* 02:30"]) == "2027-03-29 00:30:00"


def test_a_value_that_never_elapses_again_has_no_next_run(tmp_path):
    (tmp_path / "chatbot-once.timer").write_text("[Timer]\nOnCalendar=2020-01-01 00:00:00 UTC\n")
    entry = schedule.next_from_file("chatbot-once.timer", NOW, (tmp_path,))
    assert entry["next_run"] is None and entry["next_run_source"] == "unit file" and "schedule_error" not in entry


def test_without_systemd_analyze_the_next_run_is_unknown_not_guessed(monkeypatch):
    """No systemd here at all: the dashboard shows "—" (next_run None) and no error line."""
    monkeypatch.setattr(schedule, "SYSTEMD_ANALYZE", "/nonexistent/systemd-analyze")
    monkeypatch.setattr(schedule, "systemd_running", lambda: False)
    plan = schedule.job_schedules(jobs.JOBS, NOW, dirs=(schedule.PACKAGED_UNITS,))
    for entry in plan.values():
        assert entry["next_run"] is None and entry["next_run_source"] is None, entry
        assert entry["on_calendar"] and "schedule_error" not in entry


def test_a_built_package_carries_the_timers_as_files(tmp_path):
    """What pip installs: setuptools' build copies systemd/*.timer (through the units link) into
    chatbot/units as plain files, and the schedule reads them from there."""
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "var", "tests", "bench", "docs", "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    res = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(tmp_path / "lib")],
                         cwd=src, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    units = tmp_path / "lib" / "chatbot" / "units"
    assert not units.is_symlink()
    assert sorted(p.name for p in units.iterdir()) == sorted(p.name for p in (ROOT / "systemd").glob("*.timer"))
    for p in units.iterdir():
        assert not p.is_symlink() and p.read_text() == (ROOT / "systemd" / p.name).read_text()
    code = ("import json, sys\nfrom chatbot.ops import jobs, schedule\n"
            "plan = schedule.job_schedules(jobs.JOBS, float(sys.argv[1]), dirs=(schedule.PACKAGED_UNITS,),"
            " ask_systemd=False)\nprint(json.dumps([str(schedule.PACKAGED_UNITS), plan]))")
    res = subprocess.run([sys.executable, "-c", code, str(NOW)], capture_output=True, text=True, timeout=60,
                         cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "lib"), "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr
    where, plan = json.loads(res.stdout)
    assert where == str(units)
    assert utc(plan["backup"]["next_run"]) == "2026-12-02 05:00:00"
    assert all(Path(e["unit_file"]).parent == units for e in plan.values())
