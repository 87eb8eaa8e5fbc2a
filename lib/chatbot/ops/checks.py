"""What one look at a part of the system returns, shared by the health check
(``health``), the alert rules (``rules``) and the metrics job (``metrics``).

It sits below all three so none of them imports another for these pieces:
a component's verdict (``component``, ``RANK``), an alert rule's
observation (``Check``), and the live readings more than one of them takes
(the watched filesystem, the web service's ``/health``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

RANK = {"ok": 0, "warning": 1, "critical": 2}


def component(status: str, detail: str, **extra) -> dict:
    return {"status": status, "detail": detail, **extra}


@dataclass
class Check:
    """One rule observed now."""
    name: str                 # state key: 'disk', 'job_overdue:backup', ...
    title: str                # 'disk usage'
    severity: str             # 'warning' or 'critical'
    value: float | None
    active: bool              # the trigger condition holds
    cleared: bool             # the value is past the clear threshold
    summary: str              # 'disk usage 93% (fires at 90%, clears below 85%)'
    short: str                # for the subject: 'disk usage 93%'
    pending_seconds: float
    help: str = ""            # what it means and what to do


def disk_path(cfg) -> str:
    path = cfg.alerts.disk_path or str(cfg.state_dir)
    # The state dir may not exist yet on a fresh install: measure its parent.
    while path and not os.path.exists(path):
        parent = os.path.dirname(path.rstrip("/")) or "/"
        if parent == path:
            break
        path = parent
    return path or "/"


def check_web(cfg, url: str | None = None, timeout: float = 5.0) -> dict:
    """Does chatbot-web answer /health? (Not part of ``evaluate``: the web
    service calls that itself.) Any HTTP answer means it is up; its own
    verdict is in the body."""
    import requests

    from .. import http
    url = url or cfg.web.local_url + "/health"
    try:
        with http.session(pool_size=1) as s:
            resp = s.get(url, timeout=timeout)
    except requests.RequestException as exc:
        return component("critical", f"{url} does not answer ({type(exc).__name__})", url=url)
    try:
        verdict = resp.json().get("status", "?")
    except ValueError:
        verdict = "?"
    return component("ok", f"{url} answers HTTP {resp.status_code} ({verdict})", url=url,
                     http_status=resp.status_code)
