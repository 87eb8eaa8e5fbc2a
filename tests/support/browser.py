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


# A phone as staff hold it: the pages must fit its width.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "pt-BR"}


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
