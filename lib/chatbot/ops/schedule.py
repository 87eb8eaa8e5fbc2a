"""When each timer job runs next, from the timer units (the one place a schedule is written).

Where systemd runs (it is PID 1 and has the timer loaded), systemd is asked:
``systemctl show -p NextElapseUSecRealtime chatbot-JOB.timer``, which knows
drop-ins, ``systemctl edit`` and whether the timer is stopped. Otherwise the
next run is computed (ops/oncalendar.py) from the ``OnCalendar=`` lines of
the timer's unit file, the first found in ``UNIT_DIRS``:

1. ``/etc/systemd/system``, where install.sh installs the units (with any
   ``chatbot-JOB.timer.d/*.conf`` drop-ins there);
2. the copy of the repository's ``systemd/*.timer`` shipped in the package
   (``chatbot/units``: a link to ``systemd/`` in a checkout, files in an
   installed wheel), so a host without systemd still shows a schedule.

Every entry says where its answer came from (``next_run_source``).
"""
from __future__ import annotations

import os
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from .. import clock
from . import oncalendar

PACKAGED_UNITS = Path(__file__).resolve().parent.parent / "units"
UNIT_DIRS: tuple[Path, ...] = (Path("/etc/systemd/system"), PACKAGED_UNITS)
SYSTEMCTL_TIMEOUT = 3.0


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


def next_from_file(unit: str, now: float, dirs=UNIT_DIRS) -> dict:
    found = on_calendar(unit, dirs)
    if found is None:
        return {"on_calendar": [], "next_run": None, "next_run_source": None,
                "schedule_error": f"no {unit} in " + ", ".join(str(d) for d in dirs)}
    values, path = found
    entry = {"on_calendar": values, "unit_file": str(path), "next_run_source": "unit file", "next_run": None}
    try:
        times = [t for t in (oncalendar.parse(v).next_after(now) for v in values) if t is not None]
    except oncalendar.CalendarError as exc:
        entry["schedule_error"] = str(exc)
        return entry
    entry["next_run"] = min(times) if times else None
    return entry


def job_schedules(jobs, now: float | None = None, dirs=UNIT_DIRS, ask_systemd: bool = True) -> dict[str, dict]:
    """job -> {unit, on_calendar, next_run, next_run_source, ...} for each job name."""
    now = clock.now() if now is None else now
    units = {job: timer_unit(job) for job in jobs}
    live = from_systemd(list(units.values())) if ask_systemd else {}
    out = {}
    for job, unit in units.items():
        try:
            entry = {"unit": unit, **next_from_file(unit, now, dirs)}
        except OSError as exc:          # an unreadable unit file: say so, show the rest
            entry = {"unit": unit, "on_calendar": [], "next_run": None, "next_run_source": None,
                     "schedule_error": f"cannot read the timer unit: {exc.strerror or exc}"}
        if unit in live:
            entry.update(live[unit], next_run_source="systemd")
        out[job] = entry
    return out
