"""When each timer job runs next, from the timer units (the one place a schedule is written).

Where systemd runs (it is PID 1 and has the timer loaded), systemd is asked:
``systemctl show -p NextElapseUSecRealtime chatbot-JOB.timer``, which knows
drop-ins, ``systemctl edit`` and whether the timer is stopped. Otherwise
``systemd-analyze calendar`` (installed with systemd, it needs no running
systemd) evaluates the ``OnCalendar=`` lines of the timer's unit file, the
first found in ``UNIT_DIRS``:

1. ``/etc/systemd/system``, where install.sh installs the units (with any
   ``chatbot-JOB.timer.d/*.conf`` drop-ins there);
2. the copy of the repository's ``systemd/*.timer`` shipped in the package
   (``chatbot/units``: a link to ``systemd/`` in a checkout, files in an
   installed wheel), so a host without systemd still shows a schedule.

Every entry says where its answer came from (``next_run_source``). Where
neither answers (no systemd-analyze), ``next_run`` is None: the dashboard
shows "—".
"""
from __future__ import annotations

import os
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from .. import clock

PACKAGED_UNITS = Path(__file__).resolve().parent.parent / "units"
UNIT_DIRS: tuple[Path, ...] = (Path("/etc/systemd/system"), PACKAGED_UNITS)
SYSTEMCTL_TIMEOUT = 3.0
SYSTEMD_ANALYZE = "systemd-analyze"


def timer_unit(job: str) -> str:
    return f"chatbot-{job}.timer"


def systemd_running() -> bool:
    """systemd is PID 1 (the test sd_booted() uses)."""
    return os.path.isdir("/run/systemd/system")


def parse_show(text: str) -> dict[str, dict[str, str]]:
    """``systemctl show`` output for several units (blocks split by a blank line) -> Id -> properties."""
    out: dict[str, dict[str, str]] = {}
    for block in text.strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if props.get("Id"):
            out[props["Id"]] = props
    return out


def parse_timestamp(value: str) -> float | None:
    """A timestamp as ``systemctl show`` prints it under TZ=UTC (``Wed 2026-12-02 05:00:00 UTC``),
    or as ``--timestamp=unix`` would (``@1764651600``); None when empty, ``n/a`` or unreadable."""
    value = value.strip()
    try:
        if value.startswith("@"):
            return float(value[1:])
        m = re.fullmatch(r"[A-Za-z]{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", value)
        if m:
            return datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        pass
    return None


def from_systemd(units: list[str]) -> dict[str, dict]:
    """Unit -> {next_run, last_trigger, active} for each timer systemd has loaded; {} without systemd."""
    if not units or not systemd_running():
        return {}
    try:
        # TZ=UTC: systemctl prints timestamps in the caller's zone, with only its abbreviation.
        res = subprocess.run(["systemctl", "show", "-p",
                              "Id,LoadState,ActiveState,NextElapseUSecRealtime,LastTriggerUSec", *units],
                             capture_output=True, text=True, timeout=SYSTEMCTL_TIMEOUT,
                             env={**os.environ, "TZ": "UTC", "LC_ALL": "C"})
    except (OSError, subprocess.SubprocessError):
        return {}
    if res.returncode != 0:
        return {}
    out = {}
    for unit, props in parse_show(res.stdout).items():
        if props.get("LoadState") != "loaded":
            continue
        out[unit] = {"next_run": parse_timestamp(props.get("NextElapseUSecRealtime", "")),
                     "last_trigger": parse_timestamp(props.get("LastTriggerUSec", "")),
                     "timer_active": props.get("ActiveState") == "active"}
    return out


def on_calendar(unit: str, dirs=UNIT_DIRS) -> tuple[list[str], Path] | None:
    """The ``OnCalendar=`` values of ``unit`` and the file they came from, or None if no dir has it.

    Drop-ins (``UNIT.d/*.conf`` beside the file) apply in name order; an
    empty ``OnCalendar=`` clears the list, as in systemd.
    """
    for d in dirs:
        path = Path(d) / unit
        if not path.is_file():
            continue
        values: list[str] = []
        for f in [path, *sorted((Path(d) / f"{unit}.d").glob("*.conf"))]:
            section = ""
            for line in f.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line.startswith("["):
                    section = line
                elif section == "[Timer]" and line.split("=", 1)[0].strip() == "OnCalendar" and "=" in line:
                    value = line.split("=", 1)[1].strip()
                    values = values + [value] if value else []
        return values, path
    return None


def _elapse_blocks(text: str) -> list[float | None]:
    """``systemd-analyze calendar`` output -> each expression's next elapse (None: never), in order."""
    out: list[float | None] = []
    for block in text.split("\n\n"):
        if "Next elapse:" not in block:
            continue
        # The next elapse in the caller's zone, then "(in UTC): ..." unless that zone is UTC.
        stamps = [parse_timestamp(v) for v in re.findall(r"(?:Next elapse|\(in UTC\)): (.+)", block)]
        out.append(stamps[-1])
    return out


def calendar_next(values: list[str], now: float) -> tuple[dict[str, float | None], dict[str, str]]:
    """The next elapse after ``now`` of each ``OnCalendar=`` value, as systemd computes it (the
    host's zone for a value that names none), and the values it refused with its reason.
    ({}, {}) where ``systemd-analyze`` is not installed."""
    values = list(dict.fromkeys(values))
    if not values:
        return {}, {}

    def analyze(exprs: list[str]):
        try:
            return subprocess.run([SYSTEMD_ANALYZE, "calendar", f"--base-time=@{int(now)}", "--iterations=1",
                                   "--", *exprs], capture_output=True, text=True, timeout=SYSTEMCTL_TIMEOUT,
                                  env={**os.environ, "LC_ALL": "C"})
        except (OSError, subprocess.SubprocessError):
            return None

    res = analyze(values)
    if res is None:
        return {}, {}
    times = _elapse_blocks(res.stdout)
    if res.returncode == 0 and len(times) == len(values):
        return dict(zip(values, times)), {}
    # Some value was refused (its block is missing): ask for each one alone to tell which.
    found, refused = {}, {}
    for value in values:
        res = analyze([value])
        if res is None:
            return {}, {}
        times = _elapse_blocks(res.stdout)
        if res.returncode == 0 and len(times) == 1:
            found[value] = times[0]
        else:
            refused[value] = (res.stderr.strip().splitlines() or ["not understood"])[-1]
    return found, refused


def _from_file(unit: str, dirs) -> dict:
    """The entry for ``unit`` with its ``OnCalendar=`` values, before any evaluation."""
    try:
        found = on_calendar(unit, dirs)
    except OSError as exc:          # an unreadable unit file: say so, show the rest
        return {"on_calendar": [], "next_run": None, "next_run_source": None,
                "schedule_error": f"cannot read the timer unit: {exc.strerror or exc}"}
    if found is None:
        return {"on_calendar": [], "next_run": None, "next_run_source": None,
                "schedule_error": f"no {unit} in " + ", ".join(str(d) for d in dirs)}
    values, path = found
    return {"on_calendar": values, "unit_file": str(path), "next_run_source": None, "next_run": None}


def _evaluate(entry: dict, times: dict[str, float | None], refused: dict[str, str]) -> dict:
    """``entry`` with the next run systemd-analyze gave its values (left None where it could not run)."""
    values = entry["on_calendar"]
    errors = [refused[v] for v in values if v in refused]
    if errors:
        entry.update(next_run_source="unit file", schedule_error="; ".join(errors))
    elif values and all(v in times for v in values):
        upcoming = [times[v] for v in values if times[v] is not None]
        entry.update(next_run_source="unit file", next_run=min(upcoming) if upcoming else None)
    return entry


def next_from_file(unit: str, now: float, dirs=UNIT_DIRS) -> dict:
    entry = _from_file(unit, dirs)
    return _evaluate(entry, *calendar_next(entry["on_calendar"], now))


def job_schedules(jobs, now: float | None = None, dirs=UNIT_DIRS, ask_systemd: bool = True) -> dict[str, dict]:
    """job -> {unit, on_calendar, next_run, next_run_source, ...} for each job name."""
    now = clock.now() if now is None else now
    units = {job: timer_unit(job) for job in jobs}
    live = from_systemd(list(units.values())) if ask_systemd else {}
    entries = {job: {"unit": unit, **_from_file(unit, dirs)} for job, unit in units.items()}
    # One systemd-analyze for every timer systemd itself did not answer for.
    asked = [v for job, e in entries.items() if units[job] not in live for v in e["on_calendar"]]
    times, refused = calendar_next(asked, now)
    out = {}
    for job, unit in units.items():
        entry = entries[job]
        if unit in live:
            entry.update(live[unit], next_run_source="systemd")
        else:
            _evaluate(entry, times, refused)
        out[job] = entry
    return out
