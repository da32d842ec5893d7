"""The report in a real browser: headless Chromium (Debian's package) opens index.html,
every request other than the page itself is recorded and refused, the key sections are
visible, and a screenshot is kept as a test artefact (test-artifacts/report.png)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shieldsim import report

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def open_offline(path: Path, screenshot: Path | None = None):
    """Load ``path`` in headless Chromium with every other request refused. Returns the list
    of refused URLs and a dict of section id -> visible, and saves a screenshot if asked."""
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium not installed at /usr/bin/chromium (Debian package 'chromium')")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    page_url = path.resolve().as_uri()
    refused: list[str] = []

    def route(r):
        if r.request.url == page_url:
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
            context.route("**/*", route)
            page = context.new_page()
            page.on("request", lambda req: None if req.url == page_url or req.url in refused else refused.append(req.url))
            page.goto(page_url, wait_until="load")
            visible = {}
            ids = report.SECTIONS if "comparison" not in page.title() else report.COMPARE_SECTIONS
            for sid in ids:
                loc = page.locator(f"section#{sid}")
                if loc.count() != 1:
                    visible[sid] = False
                    continue
                loc.scroll_into_view_if_needed()
                visible[sid] = loc.is_visible() and loc.locator("h2").first.is_visible()
            figures = page.locator("figure.plot").count()
            boxes = [page.locator("figure.plot").nth(i).bounding_box() for i in range(figures)]
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(screenshot))
        finally:
            browser.close()
    return refused, visible, boxes


@pytest.fixture
def synthetic():
    from test_report import synthetic_assessment

    return synthetic_assessment


def test_report_opens_offline_with_every_section_visible(tmp_path, synthetic):
    index = report.write_report(tmp_path, synthetic())
    refused, visible, boxes = open_offline(index, screenshot=ARTIFACTS / "report.png")
    assert refused == []
    assert all(visible.values()), visible
    assert len(boxes) == 5 and all(b is not None and b["width"] > 100 and b["height"] > 50 for b in boxes)
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_compare_report_opens_offline(tmp_path, synthetic):
    index = report.compare_reports(tmp_path, synthetic(), synthetic(scenario="other"), [])
    refused, visible, _ = open_offline(index, screenshot=ARTIFACTS / "compare.png")
    assert refused == []
    assert all(visible.values()), visible


def test_the_request_guard_catches_an_outside_request(tmp_path):
    """The guard itself must be able to fail: a page that loads an outside image is caught."""
    page = tmp_path / "index.html"
    page.write_text('<!DOCTYPE html><html><head><title>t</title></head><body>'
                    '<section id="summary"><h2>x</h2><img src="https://example.invalid/a.png"></section></body></html>')
    refused, visible, _ = open_offline(page)
    assert visible["summary"] and not visible["coverage"]
    assert refused and refused[0].startswith("https://example.invalid/")

