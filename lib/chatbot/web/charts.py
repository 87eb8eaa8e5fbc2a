"""Server-side SVG charts for the dashboard: no JavaScript library, no CDN.

Each function returns markup safe to embed in a Jinja page. Colours come
from CSS classes (``s-ok``, ``s-fail``, ...) in static/app.css and nothing
uses a ``style`` attribute, so a Content-Security-Policy can forbid inline
styles and scripts. Every label goes through ``escape``: an intent name or
any other text is never markup.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, tzinfo

from markupsafe import Markup, escape

from .. import clock
from ..formats import number as num, span

W, H = 640, 230
LEFT, RIGHT, TOP, BOTTOM = 58, 12, 30, 26
# Spacing of the time axis labels, the smallest giving at most 7 labels.
_LABEL_STEPS = (3600, 7200, 10800, 14400, 21600, 43200, 86400, 172800, 604800)


@dataclass
class Series:
    label: str
    values: list
    css: str            # class giving the colour, e.g. "s-ok"


def nice_max(v: float, ticks: int = 4, integer: bool = False) -> float:
    """The smallest top of the axis at or above v whose ``ticks`` steps are
    round numbers (1, 2, 2.5, 5 x 10^k; for counts, whole 1-2-2.5-3-4-5-6-8 x 10^k)."""
    if v <= 0:
        return float(ticks) if integer else 1.0
    raw = v / ticks
    exp = 10 ** math.floor(math.log10(raw))
    for m in ((1, 2, 2.5, 3, 4, 5, 6, 8, 10) if integer else (1, 2, 2.5, 5, 10)):
        step = m * exp
        if integer and (step < 1 or not float(step).is_integer()):
            continue
        if step * ticks >= v - 1e-9:
            return step * ticks
    return 10 * exp * ticks


def _x_labels(t: list[float], step: int, tz: tzinfo) -> list[tuple[int, str]]:
    if not t:
        return []
    span = len(t) * step
    every = next((s for s in _LABEL_STEPS if span / s <= 7 and s >= step), _LABEL_STEPS[-1])
    fmt = "%H:%M" if every < 86400 else "%d/%m"
    out = []
    for i, ts in enumerate(t):
        local = datetime.fromtimestamp(ts, tz)
        offset = local.utcoffset().total_seconds() if local.utcoffset() else 0
        if (ts + offset) % every == 0:
            out.append((i, local.strftime(fmt)))
    return out


def _frame(title: str, legend: list[Series], y_top: float, fmt, t, step, tz, plot_w, n) -> list[str]:
    parts = [f'<svg class="chart" viewBox="0 0 {W} {H}" xmlns="http://www.w3.org/2000/svg" role="img"'
             f' aria-label="{escape(title)}"><title>{escape(title)}</title>']
    x = LEFT
    for s in legend:
        parts.append(f'<rect class="{s.css}" x="{x}" y="8" width="10" height="10" rx="2"/>'
                     f'<text class="legend" x="{x + 14}" y="17">{escape(s.label)}</text>')
        x += 30 + 10 * len(s.label)     # room for the larger font on phones
    plot_h = H - TOP - BOTTOM
    for k in range(5):
        v = y_top * k / 4
        y = TOP + plot_h - plot_h * k / 4
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(v))}</text>')
    bw = plot_w / max(n, 1)
    for i, label in _x_labels(t, step, tz):
        xi = LEFT + i * bw
        parts.append(f'<line class="grid" x1="{xi:.1f}" x2="{xi:.1f}" y1="{TOP}" y2="{TOP + plot_h}"/>'
                     f'<text class="tick" x="{xi:.1f}" y="{H - 6}" text-anchor="middle">{escape(label)}</text>')
    return parts


def _empty(parts: list[str], text: str = "Sem dados no período") -> None:
    parts.append(f'<text class="empty" x="{(LEFT + W - RIGHT) / 2}" y="{H / 2}" text-anchor="middle">'
                 f'{escape(text)}</text>')


def bars(title: str, t: list[float], step: int, tz: tzinfo, series: list[Series],
         fmt=num, when=None) -> Markup:
    """Stacked bars, one per time bucket; hovering a bucket shows its numbers."""
    n = len(t)
    totals = [sum((s.values[i] or 0) for s in series) for i in range(n)]
    y_top = nice_max(max(totals, default=0), integer=True)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    parts = _frame(title, series, y_top, fmt, t, step, tz, plot_w, n)
    bw = plot_w / max(n, 1)
    gap = 1 if bw > 3 else 0
    for i in range(n):
        if not totals[i]:
            continue
        x = LEFT + i * bw
        base = TOP + plot_h
        tip = [when(t[i]) if when else ""] + [f"{s.label}: {fmt(s.values[i] or 0)}" for s in series]
        parts.append(f'<g class="bucket"><title>{escape(" · ".join(p for p in tip if p))}</title>')
        for s in series:
            v = s.values[i] or 0
            if v <= 0:
                continue
            h = plot_h * v / y_top
            base -= h
            parts.append(f'<rect class="{s.css}" x="{x:.2f}" y="{base:.2f}" width="{max(bw - gap, 0.5):.2f}"'
                         f' height="{h:.2f}"/>')
        parts.append("</g>")
    if not any(totals):
        _empty(parts)
    parts.append("</svg>")
    return Markup("".join(parts))


def lines(title: str, t: list[float], step: int, tz: tzinfo, series: list[Series],
          fmt=num, y_max: float | None = None) -> Markup:
    """One line per series; a missing value (None) breaks the line."""
    n = len(t)
    present = [v for s in series for v in s.values if v is not None]
    y_top = y_max if y_max is not None else nice_max(max(present, default=0))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    parts = _frame(title, series, y_top, fmt, t, step, tz, plot_w, n)
    bw = plot_w / max(n, 1)
    for s in series:
        d, pen_down, points = [], False, []
        for i, v in enumerate(s.values):
            if v is None:
                pen_down = False
                continue
            x = LEFT + (i + 0.5) * bw
            y = TOP + plot_h - plot_h * min(v, y_top) / y_top
            d.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
            points.append((x, y))
            pen_down = True
        if d:
            parts.append(f'<path class="line {s.css}" d="{" ".join(d)}"/>')
            if len(points) <= 2:     # a lone sample would be invisible as a line
                parts.extend(f'<circle class="{s.css}" cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>' for x, y in points)
    if not present:
        _empty(parts)
    parts.append("</svg>")
    return Markup("".join(parts))


def hbars(title: str, items: list[tuple[str, float]], css: str = "s-intent", fmt=num) -> Markup:
    """Horizontal bars with their labels (top intents)."""
    row, label_w = 28, 190
    height = max(len(items), 1) * row + 10
    top = max((v for _, v in items), default=0)
    plot_w = W - label_w - 70
    parts = [f'<svg class="chart hbars" viewBox="0 0 {W} {height}" xmlns="http://www.w3.org/2000/svg"'
             f' role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, v) in enumerate(items):
        y = 5 + i * row
        w = plot_w * v / top if top else 0
        parts.append(f'<text class="label" x="{label_w - 8}" y="{y + 18}" text-anchor="end">'
                     f'{escape(_shorten(label, 18))}</text>'
                     f'<rect class="{css}" x="{label_w}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row - 9}"'
                     f' rx="2"><title>{escape(label)}: {escape(fmt(v))}</title></rect>'
                     f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + 18}">{escape(fmt(v))}</text>')
    if not items:
        parts.append(f'<text class="empty" x="{W / 2}" y="20" text-anchor="middle">Sem dados no período</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _shorten(text: str, n: int) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


# -- pt-BR formatting for the pages (Jinja filters) ------------------------------

def when(ts, tz: tzinfo, fmt: str = "%d/%m %H:%M") -> str:
    return "–" if ts is None else datetime.fromtimestamp(ts, tz).strftime(fmt)


def ago(seconds) -> str:
    """How long, for staff: "45 s", "12 min", "2,5 h", "3 dias"."""
    return "–" if seconds is None else span(seconds, "pt")


def duration_ms(v) -> str:
    if v is None:
        return "–"
    if v < 1000:
        return f"{v:.0f} ms"
    if v < 60000:
        return f"{num(v / 1000, 1)} s"
    return f"{num(v / 60000, 1)} min"


def percent(v, nd: int = 0) -> str:
    return "–" if v is None else f"{num(v, nd)}%"


def size(v) -> str:
    if v is None:
        return "–"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if v >= scale:
            return f"{num(v / scale, 1)} {unit}"
    return f"{v} B"


def register_filters(app) -> None:
    from flask import g

    def tz():
        return clock.store_zone(g.cfg.bot.store_timezone)

    app.add_template_filter(num, "num")
    app.add_template_filter(ago, "ago")
    app.add_template_filter(duration_ms, "ms")
    app.add_template_filter(percent, "pct")
    app.add_template_filter(size, "size")
    app.add_template_filter(lambda ts, fmt="%d/%m %H:%M": when(ts, tz(), fmt), "when")
    app.add_template_global(tz, "store_tz")
    app.add_template_global(lambda d: dashboard_charts(d, tz()), "charts_for")


def dashboard_charts(d: dict, tz: tzinfo) -> dict:
    """The dashboard's charts from ``stats.dashboard`` data."""
    t, step, s = d["t"], d["bucket_seconds"], d.get("series") or {}

    def span(ts):
        return f"{when(ts, tz)}–{when(ts + step, tz, '%H:%M')}"

    def secs(v):
        return f"{num(v, 1 if v < 10 else 0)} s"

    out = {}
    if "answered" in s:
        out["messages"] = bars("Mensagens: respondidas e falhas", t, step, tz,
                               [Series("Respondidas", s["answered"], "s-ok"), Series("Falhas", s["failed"], "s-fail")],
                               when=span)
        def to_s(vs):
            return [None if v is None else v / 1000 for v in vs]
        out["latency"] = lines("Latência de resposta (p50 e p95)", t, step, tz,
                               [Series("p50", to_s(s["latency_p50_ms"]), "s-p50"),
                                Series("p95", to_s(s["latency_p95_ms"]), "s-p95")], fmt=secs)
    if "cpu_percent" in s:
        out["system"] = lines("Servidor: CPU, memória e disco (máximo por intervalo)", t, step, tz,
                              [Series("CPU", s["cpu_percent"], "s-cpu"),
                               Series("Memória", s["memory_percent"], "s-mem"),
                               Series("Disco", s["disk_percent"], "s-disk")], fmt=percent, y_max=100)
    out["intents"] = hbars("Principais intenções", [(i["intent"], i["count"]) for i in d.get("intents") or []])
    return out
