"""Responsiveness of `shieldsim explore`: headless Chromium (Debian's package, through Playwright)
drives the page at a 1-degree grid and times each control change until the page shows the new
result (status "ready" with a new result key, then one animation frame: the headline, table and
map are redrawn by then).

    python benchmarks/bench_explore.py [--grid-deg 1] [--scenario epaa-2018] [--deterrent]

The first load computes everything (flights, reach tables, compiled kernels) and is reported
as ``cold_s``; then, warm, each change from the state the previous one left:

- ``battery_off_s``: Redzikowo switched off (only the engagements' battery mask changes);
- ``back_s``: switched on again (the cached result);
- ``radar_off_s``: the forward radar (Kurecik TPY-2) switched off (tracks detected again, the
  pairs whose track changed re-engaged: here nearly all);
- ``radar_back_s``: on again (the cached result);
- ``interceptor_s``: Redzikowo given the SM-3 IIB (one battery's column re-engaged);
- ``speed_s``: interceptor speed 80 % (every battery's column re-engaged, tracks reused);
- ``delay_s``: launch delay 60 s (likewise);
- with ``--deterrent``: ``deterrent_cold_s`` (the deterrent view switched on: every ICBM flown)
  and ``deterrent_warm_s`` (its timeline changed: the flights kept, tracked and engaged again).

Each line prints ``ratio_to_target`` (time / 3 s, the target of issue 18 for a warm control
change), ``server_cpu_s`` (CPU seconds of this process, every thread, meanwhile: what the change
costs whatever the load) and what the engine recomputed (``engaged`` and ``reused`` flight x
battery pairs). Prints ``load_average`` before and after because the machine is shared.
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


def timed(page, action) -> tuple[float, float]:
    """Seconds from ``action()`` until the page shows a new result and has painted it, and the
    CPU seconds this process (the server, every thread) spent meanwhile."""
    key = page.locator("#status").get_attribute("data-key")
    t0, c0 = time.perf_counter(), time.process_time()
    action()
    page.wait_for_function(READY, arg=key, timeout=1_800_000, polling="raf")
    page.evaluate("() => new Promise((ok) => requestAnimationFrame(() => ok()))")
    return time.perf_counter() - t0, time.process_time() - c0


def change_number(page, selector: str, value: str):
    def act():
        page.locator(selector).fill(value)
        page.locator(selector).dispatch_event("change")
    return act


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid-deg", type=float, default=1.0)
    ap.add_argument("--scenario", default="epaa-2018")
    ap.add_argument("--deterrent", action="store_true", help="also time the deterrent view")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from shieldsim.explore.server import Server

    load_before = os.getloadavg()
    server = Server(port=0, scenario=args.scenario, grid_deg=args.grid_deg).start()
    engine = server.state.engine
    rows = []

    def step(name, page, action):
        seconds, cpu = timed(page, action)
        rows.append((name, seconds, f"server_cpu_s={cpu:.2f} engaged={engine.stats.engaged_pairs} "
                                    f"reused={engine.stats.reused_pairs}"))

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 950})
            page.set_default_timeout(1_800_000)
            t0 = time.perf_counter()
            page.goto(server.url)
            page.wait_for_function(READY, arg=None, timeout=1_800_000)
            rows.append(("cold_s", time.perf_counter() - t0, f"engaged={engine.stats.engaged_pairs}"))
            step("battery_off_s", page, lambda: page.locator("#battery-redzikowo").uncheck())
            step("back_s", page, lambda: page.locator("#battery-redzikowo").check())
            step("radar_off_s", page, lambda: page.locator("#radar-kurecik-tpy2").uncheck())
            step("radar_back_s", page, lambda: page.locator("#radar-kurecik-tpy2").check())
            step("interceptor_s", page, lambda: page.locator("#interceptor-redzikowo").select_option("sm3-iib"))
            step("speed_s", page, change_number(page, "#speed_percent", "80"))
            step("delay_s", page, change_number(page, "#launch_delay_s", "60"))
            if args.deterrent:
                ready = "() => document.getElementById('deterrent-summary').dataset.state === 'ready'"
                t0 = time.perf_counter()
                page.locator("#deterrent").check()
                page.wait_for_function(ready, timeout=1_800_000)
                rows.append(("deterrent_cold_s", time.perf_counter() - t0, ""))
                t0 = time.perf_counter()
                page.locator("#deterrent_variant").select_option("no-space-cueing")
                page.wait_for_function("() => { const s = document.getElementById('deterrent-summary');"
                                       " return s.dataset.state === 'ready' && s.dataset.variant === 'no-space-cueing'; }",
                                       timeout=1_800_000)
                rows.append(("deterrent_warm_s", time.perf_counter() - t0, ""))
            cells = page.evaluate("() => document.querySelectorAll('#countries tbody tr').length")
            browser.close()
    finally:
        server.stop()
    print(f"scenario={args.scenario} grid_deg={args.grid_deg} country_rows={cells} cpus={os.cpu_count()} "
          f"load_average_before={' '.join(f'{x:.1f}' for x in load_before)} "
          f"load_average_after={' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for name, seconds, note in rows:
        print(f"{name}={seconds:.2f} ratio_to_target={seconds / TARGET_S:.2f} {note}".rstrip())


if __name__ == "__main__":
    main()
