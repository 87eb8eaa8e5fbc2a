"""Debian's chromium driven by Playwright: how it is started, and what must not happen on a page."""
from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = os.environ.get("CHATBOT_TEST_CHROMIUM", "/usr/bin/chromium")


ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def watch(page) -> dict:
    """Collect what must not happen: console errors, uncaught errors, alert() dialogs."""
    seen = {"console": [], "errors": [], "dialogs": []}
    page.on("console", lambda m: m.type == "error" and seen["console"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))

    def dialog(d):
        seen["dialogs"].append(d.message)
        d.dismiss()
    page.on("dialog", dialog)
    return seen
