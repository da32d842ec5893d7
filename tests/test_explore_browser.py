"""The explorer in a real browser: headless Chromium (Debian's package) through Playwright drives
the page served by `shieldsim.explore.server` (in this process, on 127.0.0.1, a 2-degree
grid and one threat area to keep CI short). Every request is recorded; any leaving the server is refused and fails the
test. Screenshots are kept as test artefacts (test-artifacts/explore-*.png, used by docs/explore.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_report_browser import ARGS, ARTIFACTS, CHROMIUM

pytestmark = pytest.mark.browser

GRID_DEG = 2.0
AREA = "tabriz"  # one threat area keeps CI short; at 2 degrees the three cooperation options differ there
TIMEOUT_MS = 600_000  # the first computation flies every threat (minutes when the machine is busy)


@pytest.fixture(scope="module")
def page():
    """The explorer's page, loaded and computed, with the list of outside requests refused."""
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium not installed at /usr/bin/chromium (Debian package 'chromium')")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    from shieldsim.explore.server import Server

    server = Server(host="127.0.0.1", port=0, grid_deg=GRID_DEG, threat_area=AREA).start()
    refused: list[str] = []
    seen: list[str] = []

    def route(r):
        seen.append(r.request.url)
        if r.request.url.startswith(server.url):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 950}, accept_downloads=True)
            context.route("**/*", route)
            pg = context.new_page()
            pg.set_default_timeout(TIMEOUT_MS)
            pg.refused, pg.seen, pg.server = refused, seen, server
            pg.goto(server.url, wait_until="load")
            wait_ready(pg)
            yield pg
        finally:
            browser.close()
            server.stop()


def wait_ready(pg, previous_key: str | None = None) -> str:
    """Wait until the page shows an up-to-date result (other than ``previous_key``); its key."""
    pg.wait_for_function(
        "(prev) => { const s = document.getElementById('status');"
        " return s.dataset.state === 'ready' && s.dataset.key && s.dataset.key !== prev; }",
        arg=previous_key, timeout=TIMEOUT_MS)
    return pg.locator("#status").get_attribute("data-key")


def defended(pg) -> int:
    return int(pg.locator("#nato-defended").get_attribute("data-value"))


def shot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"explore-{name}.png"
    pg.screenshot(path=str(path))
    return path


def cli_json(args: list[str], capsys) -> dict:
    """Run a shieldsim command in this process (sharing its warm caches); its JSON output."""
    from shieldsim.cli import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as ex:
        main(args)
    out = capsys.readouterr().out
    assert ex.value.code == 0, out
    return json.loads(out)


def test_page_loads_offline_and_a_battery_switched_off_reduces_the_defended_population(page):
    before = defended(page)
    assert before > 0 and page.locator("#countries tbody tr").count() > 10
    assert page.locator("#batteries input[type=checkbox]").count() == 4
    assert shot(page, "map").stat().st_size > 20_000
    key = page.locator("#status").get_attribute("data-key")
    page.locator("#battery-redzikowo").uncheck()
    wait_ready(page, key)
    assert defended(page) < before
    shot(page, "battery-off")
    page.locator("#battery-redzikowo").check()
    wait_ready(page)
    assert defended(page) == before  # back: the cached result
    assert page.refused == [] and all(u.startswith(page.server.url) for u in page.seen)
    assert page.server.url.startswith("http://127.0.0.1:")


def test_a_batterys_interceptor_choice_changes_the_defended_population(page):
    before = defended(page)
    select = page.locator("#interceptor-redzikowo")
    own = select.input_value()
    assert own == "sm3-iia" and select.locator("option").count() >= 6
    key = page.locator("#status").get_attribute("data-key")
    select.select_option("sm3-ia")  # the shorter-reach Block IA instead of the IIA
    wait_ready(page, key)
    assert defended(page) < before
    shot(page, "interceptor")
    key = page.locator("#status").get_attribute("data-key")
    select.select_option(own)
    wait_ready(page, key)
    assert defended(page) == before
    assert page.refused == []


def test_the_deterrent_view_shows_the_icbm_tracks_and_the_engageable_pairs(page):
    from test_explore import deterrent_pairs

    from shieldsim.explore.controls import build, parse

    page.locator("#deterrent").check()
    summary = page.locator("#deterrent-summary")
    page.wait_for_function("() => document.getElementById('deterrent-summary').dataset.state === 'ready'",
                           timeout=TIMEOUT_MS)  # the first time flies every ICBM and SLBM
    flights, pairs = int(summary.get_attribute("data-flights")), int(summary.get_attribute("data-pairs"))
    assert flights > 100 and int(summary.get_attribute("data-drawn")) == pairs
    drawn = page.evaluate("() => layers.deterrent.getLayers().filter((l) => l instanceof L.Polyline).length")
    assert drawn == flights + pairs  # every track, and every engageable part over it
    shot(page, "deterrent")
    (held,) = page.server.state.deterrent.flights.values()  # the flights the server flew
    shown = build(parse({"threat_area": AREA, "grid_deg": GRID_DEG}), None).shown
    assert pairs == int(deterrent_pairs(held, shown, "cue-as-track").sum()) > 0
    page.locator("#deterrent").uncheck()
    assert page.evaluate("() => layers.deterrent.getLayers().length") == 0
    assert page.refused == []


def test_a_click_on_a_city_shows_its_engagement_timeline(page):
    box = page.locator("#map").bounding_box()
    x, y = page.evaluate("""() => {
        const m = layers.cities.getLayers().find((c) => c.getTooltip().getContent().startsWith("Bucharest"));
        map.setView(m.getLatLng(), map.getZoom(), { animate: false });  // pan the city to the centre
        const p = map.latLngToContainerPoint(m.getLatLng()); return [p.x, p.y]; }""")
    assert 0 < x < box["width"] and 0 < y < box["height"]
    page.mouse.click(box["x"] + x, box["y"] + y)
    timeline = page.locator("#timeline")
    timeline.wait_for(state="visible")
    assert timeline.get_attribute("data-city") == "Bucharest"
    assert "fire-control track" in timeline.inner_text() and "first intercept opportunity" in timeline.inner_text()
    assert timeline.locator("img.timeline-figure").count() >= 1
    shot(page, "timeline")
    page.locator("#timeline-close").click()
    assert not page.locator("#timeline").is_visible()
    assert page.refused == []


def test_the_cooperation_option_changes_the_figure_as_compare_options_says(page, capsys, tmp_path):
    shown = {}
    for label in ("Separate systems sharing data", "Sectors of responsibility", "NATO alone"):
        key = page.locator("#status").get_attribute("data-key")
        page.locator("#option").select_option(label)
        wait_ready(page, key)
        shown[label] = defended(page)
    shot(page, "options")
    rows = cli_json(["coverage", "--compare-options", "--threat-area", AREA, "--grid-deg", str(GRID_DEG), "--json", "--no-progress",
                     "--out", str(tmp_path / "cov")], capsys)["cooperation_options"]
    said = {r["option"]: r["nato_europe_population_defended"] for r in rows}
    assert shown == said
    assert len(set(shown.values())) > 1


def test_the_downloaded_toml_run_through_coverage_gives_the_figure_on_the_page(page, capsys, tmp_path):
    page.locator("#scenario").select_option("epaa-2018")
    wait_ready(page)
    key = page.locator("#status").get_attribute("data-key")
    page.locator("#battery-deveselu").uncheck()
    wait_ready(page, key)
    key = page.locator("#status").get_attribute("data-key")
    page.locator("#speed_percent").fill("80")
    page.locator("#speed_percent").dispatch_event("change")
    wait_ready(page, key)
    on_page = defended(page)
    with page.expect_download() as info:
        page.locator("#dl-toml").click()
    toml = tmp_path / "explored.toml"
    info.value.save_as(toml)
    text = toml.read_text()
    assert "[assumptions]" in text and "[batteries.deveselu]" not in text and "[batteries.redzikowo]" in text
    figures = cli_json(["coverage", str(toml), "--threat-area", AREA, "--grid-deg", str(GRID_DEG), "--json", "--no-progress",
                        "--out", str(tmp_path / "cov")], capsys)
    assert figures["nato_europe"]["population_defended"] == on_page
    with page.expect_download() as info:
        page.locator("#dl-csv").click()
    csv_path = tmp_path / "figures.csv"
    info.value.save_as(csv_path)
    assert "nato_europe,,NATO's European members" in csv_path.read_text() and str(on_page) in csv_path.read_text()


def test_an_invalid_upload_shows_its_field_error_next_to_the_control(page, tmp_path):
    bad = tmp_path / "bad-scenario.toml"
    bad.write_text('extends = "epaa-2018"\n[batteries.redzikowo]\ninventory = -3\n')
    page.locator("#upload").set_input_files(str(bad))
    error = page.locator("#error-upload")
    error.wait_for(state="visible")
    assert "batteries.redzikowo.inventory = -3" in error.inner_text()
    assert "greater than or equal to 0" in error.inner_text()
    shot(page, "upload-error")
    assert page.refused == []
