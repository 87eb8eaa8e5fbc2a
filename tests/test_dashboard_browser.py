"""The dashboard in a real headless browser (Debian's chromium driven by
Playwright) against the real waitress on seeded data: it logs in through the
form, draws its charts with no console error (a CSP violation would be one),
refreshes in place, shows hostile text as text, fits a phone's screen.
Screenshots land in tests/artifacts/ (docs/dashboard.png is a copy of one)."""
from __future__ import annotations

import re
import time

import pytest

from chatbot import clock, db, events
from chatbot.ops import backup, jobs
from chatbot.web.app import create_app
from support.browser import ARTIFACTS, watch
from support.configs import ADMIN_TOKEN
from support.seed import HOSTILE, HOSTILE_NAME, seed
from support.servers import ThreadedWaitress

pytestmark = pytest.mark.slow


@pytest.fixture
def site(cfg):
    conn = db.connect(cfg.db_path)
    now = time.time()
    expect = seed(conn, now)
    for ago in (2 * 86400, 86400, 3600):        # real archives for the "Últimos backups" table
        clock.freeze(now - ago)
        backup.run_backup(cfg, prune=False)
    clock.unfreeze()
    srv = ThreadedWaitress(create_app(cfg)).start()
    yield srv, conn, expect
    srv.stop()
    conn.close()


def log_in(page, url: str) -> None:
    page.goto(url + "/login?next=/dashboard")
    page.fill("#password", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")


def test_without_the_token_the_browser_gets_the_login_form(browser, site):
    srv, _, _ = site
    page = browser.new_page()
    resp = page.goto(srv.url + "/dashboard")
    assert resp.status == 401
    assert page.locator("#password").is_visible() and page.locator("svg").count() == 0
    page.fill("#password", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    assert page.locator("svg.chart").count() == 4


def test_dashboard_in_a_real_browser(browser, site):
    srv, conn, _ = site
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="pt-BR")
    seen = watch(page)
    log_in(page, srv.url)
    charts = page.locator("svg.chart")
    assert charts.count() == 4
    for i in range(4):
        box = charts.nth(i).bounding_box()
        assert box["width"] > 300 and box["height"] > 60
    assert page.locator("svg.chart rect.s-ok").count() > 20          # answered bars
    assert page.locator("svg.chart path.line").count() >= 5          # p50, p95, cpu, memory, disk
    assert page.locator(".tile").first.inner_text().startswith("Mensagens recebidas")
    # Each job's next run (from the timer units) and the last backups, the oldest marked.
    next_runs = page.locator("table.jobs td.next-run").all_inner_texts()
    assert len(next_runs) == len(jobs.JOBS) and all(re.search(r"\d\d/\d\d \d\d:\d\d", t) for t in next_runs)
    assert page.locator("table.backups tbody tr").count() == 3
    assert page.locator("table.backups tbody tr").last.inner_text().count("próximo a ser apagado") == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    # auto-refresh: new failures appear without a reload
    page.evaluate("window.__sameDocument = 'yes'")
    before = page.locator(".tile.bad .value").first.inner_text() if page.locator(".tile.bad").count() else "0"
    with db.transaction(conn):
        for _ in range(37):
            events.record(conn, intent="price", latency_ms=900, success=False, error="graph api error 131047")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")     # refresh now, not in 30 s
    page.wait_for_function("(b) => { const t = [...document.querySelectorAll('.tile')]"
                           ".find(x => x.innerText.startsWith('Falhas'));"
                           " return t && t.querySelector('.value').innerText !== b; }", arg=before, timeout=15000)
    assert page.evaluate("window.__sameDocument") == "yes"
    after = [t for t in page.locator(".tile").all_inner_texts() if t.startswith("Falhas")][0]
    assert str(int(before.replace(".", "")) + 37) in after.replace(".", "")
    assert page.locator("svg.chart").count() == 4

    page.click("text=Últimos 7 dias")
    page.wait_for_url("**/dashboard?hours=168")
    assert page.locator("svg.chart").count() == 4
    assert seen == {"console": [], "errors": [], "dialogs": []}


def test_hostile_text_is_text_in_the_browser(browser, site):
    srv, _, _ = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = watch(page)
    log_in(page, srv.url)
    page.goto(srv.url + "/conversations")
    assert page.get_by_text(HOSTILE_NAME).count() >= 1                # the customer's name, literally
    links = page.locator("table.conversations a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    shown = False
    for href in links:
        page.goto(srv.url + href)
        shown = shown or HOSTILE in page.locator("main").inner_text()
        assert page.locator("main img").count() == 0
        assert page.locator("main script:not([type='application/json'])").count() == 0   # JSON data only
    assert shown
    assert seen == {"console": [], "errors": [], "dialogs": []}


def test_dashboard_fits_a_phone(browser, site):
    srv, _, _ = site
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                            has_touch=True)
    seen = watch(page)
    log_in(page, srv.url)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = page.locator("svg.chart").first.bounding_box()
    assert 300 < box["width"] <= 390
    jobs_table = page.locator("table.jobs")
    assert page.locator("table.jobs td.next-run").first.is_visible()
    assert jobs_table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")     # not cut off
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
    page.locator("table.jobs").screenshot(path=str(ARTIFACTS / "dashboard-phone-jobs.png"))
    assert seen == {"console": [], "errors": [], "dialogs": []}
