"""Responsiveness of `shieldsim explore`: headless Chromium (Debian's package, through Playwright)
drives the page at a 1-degree grid and times each control change until the page shows the new
result (status "ready" with a new result key, then one animation frame: the headline, table and
map are redrawn by then).

    python benchmarks/bench_explore.py [--grid-deg 1] [--scenario epaa-2018]

The first load computes everything (flights, reach tables, compiled kernels) and is reported
as ``cold_s``; then, warm: a battery switched off (``battery_off_s``: only the engagements'
battery mask changes), switched on again (``back_s``: the cached result), a radar switched off
(``radar_off_s``: the flights are reused, every battery re-engages), the interceptor speed set to
80 % (``speed_s``, likewise). Each line also prints ``ratio_to_target`` (time / 3 s, the target
of issue 18 for a warm control change). Prints ``load_average`` because the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

TARGET_S = 3.0
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
READY = ("(prev) => { const s = document.getElementById('status');"
         " return s.dataset.state === 'ready' && s.dataset.key && s.dataset.key !== prev; }")


def timed(page, action) -> float:
    """Seconds from ``action()`` until the page shows a new result and has painted it."""
    key = page.locator("#status").get_attribute("data-key")
    t0 = time.perf_counter()
    action()
    page.wait_for_function(READY, arg=key, timeout=1_800_000, polling="raf")
    page.evaluate("() => new Promise((ok) => requestAnimationFrame(() => ok()))")
    return time.perf_counter() - t0


def change_number(page, selector: str, value: str):
    def act():
        page.locator(selector).fill(value)
        page.locator(selector).dispatch_event("change")
    return act


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid-deg", type=float, default=1.0)
    ap.add_argument("--scenario", default="epaa-2018")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from shieldsim.explore.server import Server

    server = Server(port=0, scenario=args.scenario, grid_deg=args.grid_deg).start()
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 950})
            page.set_default_timeout(1_800_000)
            t0 = time.perf_counter()
            page.goto(server.url)
            page.wait_for_function(READY, arg=None, timeout=1_800_000)
            rows.append(("cold_s", time.perf_counter() - t0))
            rows.append(("battery_off_s", timed(page, lambda: page.locator("#battery-redzikowo").uncheck())))
            rows.append(("back_s", timed(page, lambda: page.locator("#battery-redzikowo").check())))
            rows.append(("radar_off_s", timed(page, lambda: page.locator("#radar-kurecik-tpy2").uncheck())))
            rows.append(("speed_s", timed(page, change_number(page, "#speed_percent", "80"))))
            cells = page.evaluate("() => document.querySelectorAll('#countries tbody tr').length")
            browser.close()
    finally:
        server.stop()
    print(f"scenario={args.scenario} grid_deg={args.grid_deg} country_rows={cells} "
          f"load_average={' '.join(f'{x:.1f}' for x in os.getloadavg())} cpus={os.cpu_count()}")
    for name, seconds in rows:
        print(f"{name}={seconds:.2f} ratio_to_target={seconds / TARGET_S:.2f}")


if __name__ == "__main__":
    main()
