"""Every figure shieldsim draws, in one module: matplotlib figures built from plain arrays and
the dataclasses of the layers below (`maps` holds the map projection and overlays they use).

Callers own the figures (save, embed in the report, close). Figures of the report and maps are
`matplotlib.figure.Figure` objects without pyplot state; the command-line plots
(`detection_timeline_figure`, `engagement_timeline_figure`, `plot_flyout_fan`) use pyplot as
they did in their commands, so the files written are unchanged.

Layer: above `scenario` and the physics modules, below `study` (which fills the report's
figures) and `report`; see docs/architecture.md.
"""

from __future__ import annotations

import math

import numpy as np

from . import scenario as scen
from .deterrent import DeterrentMatrix, ground_track
from .interceptor import Battery, FlyoutFan


def _finite(x) -> bool:
    return x is not None and math.isfinite(float(x))


# ---------------------------------------------------------------------------------------------
# maps of an architecture (coverage, cooperation)


def draw_architecture(arch, m, rcs_m2: float = 0.1) -> None:
    """Overlay the architecture (a `study.Architecture`) on a `maps.Map`: radar fields of regard (detection range
    against ``rcs_m2``, capped at the instrumented range), radar sites, batteries and launch
    points."""
    from . import maps

    radars = scen.radars(arch.scenario)
    for k, r in enumerate(radars):
        rng_km = min(float(r.detection_range(rcs_m2)), r.max_range) / 1e3
        fixed = r.field == "fixed"
        maps.add_radar_field(m, math.degrees(r.lat), math.degrees(r.lon), rng_km,
                             math.degrees(r.boresight) if fixed else None,
                             math.degrees(r.half_width) if fixed else None,
                             label=f"Radar fields (detection range vs {rcs_m2:g} m²)" if k == 0 else None)
    if radars:
        maps.add_sites(m, [math.degrees(r.lat) for r in radars], [math.degrees(r.lon) for r in radars],
                       labels=[r.name for r in radars], label="Radars", marker="o", color=maps.OKABE_ITO["reddish_purple"])
    bats = arch.batteries
    if bats:
        maps.add_sites(m, [math.degrees(b.lat) for b in bats], [math.degrees(b.lon) for b in bats],
                       labels=[f"{b.name} ({b.interceptor.name})" for b in bats], label="Interceptor batteries",
                       marker="^", color=maps.OKABE_ITO["black"])
    lat, lon = [], []
    for area in arch.scenario.launch_areas:
        pts = scen.launch_points(arch.scenario, area)
        lat += list(np.degrees(pts.lat))
        lon += list(np.degrees(pts.lon))
    if lat:
        maps.add_sites(m, lat, lon, label="Launch points", marker="x", color=maps.OKABE_ITO["vermillion"], size=5)


def footprint_figure(arch, fp, title: str | None = None):
    """Map of a footprint: threatened and defended cells with the architecture."""
    from . import maps

    m = maps.europe_map(extent=_extent(arch))
    maps.add_mask(m, fp.lat_deg, fp.lon_deg, fp.threatened & ~fp.defended, label="Threatened, not defended",
                  color=maps.OKABE_ITO["orange"], alpha=0.35)
    maps.add_mask(m, fp.lat_deg, fp.lon_deg, fp.defended, label="Defended")
    draw_architecture(arch, m)
    maps.finish(m, title or f"{arch.name}: defended area against {fp.threat_area}",
                note=f"shieldsim {fp.attrs.get('version', '')}; grid {fp.attrs.get('grid_deg', '')} deg; "
                     f"models {arch.models.as_dict()}")
    return m.fig


def difference_figure(arch, before, after, title: str, labels=("Gained", "Lost", "Defended in both")):
    """Map of cells gained and lost between two footprints on the same grid."""
    from . import maps

    m = maps.europe_map(extent=_extent(arch))
    maps.add_difference(m, before.lat_deg, before.lon_deg, before.defended, after.defended, labels=labels)
    draw_architecture(arch, m)
    maps.finish(m, title)
    return m.fig


def _extent(arch):
    d = arch.scenario.defended
    return (d.lon_min_deg, d.lon_max_deg, d.lat_min_deg, d.lat_max_deg)


# ---------------------------------------------------------------------------------------------
# the deterrent question


def speed_figure(speeds_kms, curves: dict, title: str, nominal: dict | None = None, styles: dict | None = None):
    """Line plot of fraction of flights engageable (0-1) against interceptor burnout speed
    (km/s); ``curves`` maps a legend label to (S,) fractions; ``nominal`` marks speeds;
    ``styles`` maps a label to (colour index, line style index)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    from . import maps

    dashes = ["-", "--", "-.", ":"]
    colours = [maps.OKABE_ITO[c] for c in ("orange", "sky_blue", "bluish_green", "vermillion", "blue",
                                           "reddish_purple", "black")]
    for k, (label, frac) in enumerate(curves.items()):
        c, d = (styles or {}).get(label, (k, k))
        ax.plot(speeds_kms, frac, dashes[d % 4], color=colours[c % len(colours)], marker="o", markersize=3,
                label=label)
    for label, v in (nominal or {}).items():
        ax.axvline(v, color="#999999", linewidth=0.8)
        ax.annotate(label, (v, 1.0), rotation=90, fontsize=7, va="top", ha="right", color="#555555")
    ax.set_xlabel("Interceptor burnout speed (km/s)")
    ax.set_ylabel("Fraction of base x aim point flights engageable")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    ax.legend(fontsize=7)
    return fig


TRACK_EXTENT = (-125.0, 110.0, 28.0, 89.0)
"""Map box of the strategic tracks (Russia over the Arctic to North America), degrees."""


def tracks_figure(trajectories, matrix: DeterrentMatrix, batteries: list[Battery], title: str, note: str = ""):
    """Map of the flights' ground tracks with the battery sites; over each track, in a colour per
    battery, the part between that battery's first and last intercept opportunity."""
    from . import maps

    lat, lon = ground_track(trajectories)
    m = maps.europe_map(extent=TRACK_EXTENT, figsize=(10.0, 7.0), graticule_deg=15.0)
    maps.add_tracks(m, lat, lon, label="ICBM ground tracks (launch to impact)", color="#777777", linewidth=0.6)
    colours = [maps.OKABE_ITO[c] for c in ("vermillion", "blue", "bluish_green", "orange", "reddish_purple",
                                           "sky_blue", "yellow")]
    t = trajectories.time
    for j, b in enumerate(batteries):
        la_seg, lo_seg = [], []
        for i in np.flatnonzero(matrix.engageable[:, j]):
            sel = (t >= matrix.intercept_first[i, j] - 1e-9) & (t <= matrix.intercept_last[i, j] + 1e-9)
            la_seg.append(lat[i, sel])
            lo_seg.append(lon[i, sel])
        if la_seg:
            maps.add_tracks(m, la_seg, lo_seg, label=f"reachable by {b.name}", color=colours[j % len(colours)],
                            linewidth=2.2, alpha=0.9)
    maps.add_sites(m, [math.degrees(b.lat) for b in batteries], [math.degrees(b.lon) for b in batteries],
                   labels=[b.name for b in batteries], label="Interceptor sites", marker="^")
    bases = {}
    for i, name in enumerate(matrix.base):
        bases.setdefault(name, (math.degrees(trajectories.launch_lat[i]), math.degrees(trajectories.launch_lon[i])))
    maps.add_sites(m, [v[0] for v in bases.values()], [v[1] for v in bases.values()], labels=list(bases),
                   label="ICBM bases", marker="X", color=maps.OKABE_ITO["vermillion"], size=7)
    maps.finish(m, title, note=note or None)
    return m.fig


def ships_figure(lat_deg, lon_deg, counts, n_bases: int, title: str, note: str = ""):
    """Map of ship stations (sea points, degrees) marked by how many of ``n_bases`` bases'
    flights a ship there can engage (at least one aim point); grey where none."""
    from matplotlib.lines import Line2D

    from . import maps

    lat_deg, lon_deg, counts = (np.asarray(x) for x in (lat_deg, lon_deg, counts))
    m = maps.europe_map(extent=(-12.0, 62.0, 28.0, 80.0), figsize=(9.0, 7.5))
    palette = ["#BBBBBB"] + [maps.OKABE_ITO[c] for c in ("sky_blue", "blue", "bluish_green", "orange", "vermillion",
                                                         "reddish_purple")]
    for lev in range(n_bases + 1):
        sel = counts == lev
        if not sel.any():
            continue
        x, y = m.xy(lon_deg[sel], lat_deg[sel])
        colour = palette[min(lev, len(palette) - 1)]
        m.ax.scatter(x, y, s=18 if lev else 8, marker="s", color=colour, zorder=5, linewidths=0)
        label = "engages no base's flights" if lev == 0 else f"engages flights from {lev} of {n_bases} bases"
        m.handles.append(Line2D([], [], linestyle="none", marker="s", color=colour, label=label))
    maps.finish(m, title, note=note or None)
    return m.fig


def ships_by_base_figure(lat_deg, lon_deg, engageable: dict, title: str, note: str = ""):
    """One small map per base: the sea points (degrees) from which a ship can engage at least
    one of that base's flights (``engageable``: base -> (P,) bool), the others in grey."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from . import maps

    lat_deg, lon_deg = np.asarray(lat_deg), np.asarray(lon_deg)
    n = max(len(engageable), 1)
    cols = min(3, n)
    rows = int(math.ceil(n / cols))
    fig = Figure(figsize=(4.2 * cols, 3.9 * rows + 0.4), layout="constrained")
    FigureCanvasAgg(fig)
    for k, (base, ok) in enumerate(engageable.items()):
        ax = fig.add_subplot(rows, cols, k + 1)
        m = maps.europe_map(ax=ax, extent=(-12.0, 62.0, 28.0, 80.0), graticule_deg=20.0)
        ok = np.asarray(ok, dtype=bool)
        for sel, colour, size in ((~ok, "#BBBBBB", 5), (ok, maps.OKABE_ITO["blue"], 10)):
            if sel.any():
                x, y = m.xy(lon_deg[sel], lat_deg[sel])
                ax.scatter(x, y, s=size, marker="s", color=colour, zorder=5, linewidths=0)
        ax.set_title(f"{base}: {int(ok.sum())} of {ok.size} positions", fontsize=9)
    fig.legend(handles=[Line2D([], [], linestyle="none", marker="s", color=maps.OKABE_ITO["blue"],
                               label="ship here can engage some flight from the base"),
                        Line2D([], [], linestyle="none", marker="s", color="#BBBBBB", label="cannot")],
               loc="outside lower center", ncols=2, fontsize=8)
    fig.suptitle(title + (f"\n{note}" if note else ""), fontsize=9)
    return fig


# ---------------------------------------------------------------------------------------------
# engagement and detection timelines


def altitude_figure(trajectories, engagement, batteries, index: int = 0, cue_time: float | None = None,
                    track_time: float | None = None):
    """A matplotlib Figure (no pyplot state): threat ``index``'s altitude against time after
    its launch, each engaging battery's fastest interceptor arc to its first opportunity
    (`engagement.interceptor_altitude`), the intercept windows shaded, cue and track marked."""
    import numpy as np
    from matplotlib.figure import Figure

    from .earth import to_geodetic
    from .engagement import interceptor_altitude

    i = index
    pos = trajectories.position[i]
    ok = np.isfinite(pos[:, 0])
    fig = Figure(figsize=(8.0, 4.8), layout="constrained")
    ax = fig.subplots()
    if ok.any():
        alt = to_geodetic(pos[ok], trajectories.models.earth)[2]
        ax.plot(trajectories.time[ok], alt / 1e3, color="black", lw=2, label="threat")
    colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
    for j, battery in enumerate(batteries):
        if not engagement.engageable[i, j]:
            continue
        c = colours[j % len(colours)]
        first, last = engagement.intercept_first[i, j], engagement.intercept_last[i, j]
        ax.axvspan(first, last, color=c, alpha=0.15)
        t_i, h_i = interceptor_altitude(trajectories, battery, i, None, first)
        ax.plot(t_i, h_i / 1e3, color=c, lw=1.5, ls="--",
                label=f"{battery.name}: window {first:,.0f}-{last:,.0f} s, {engagement.shots[i, j]} shot(s)")
    for t, text, style in ((cue_time, "cue", ":"), (track_time, "track", "-.")):
        if _finite(t):
            ax.axvline(t, color="0.4", ls=style, lw=1, label=f"{text} {t:,.0f} s")
    ax.set_xlabel("time after threat launch, s")
    ax.set_ylabel("altitude, km")
    ax.set_ylim(bottom=0)
    fig.legend(loc="outside lower center", ncols=2, fontsize="small", frameon=False)
    return fig


def speed_sensitivity_figure(speeds_kms, fractions: dict, nominal_kms: dict | None = None,
                             title: str | None = None):
    """A matplotlib Figure of the fraction of deterrent cases engageable (0-1, drawn in %)
    against interceptor burnout speed (km/s), one line per label of ``fractions`` (e.g. per
    phase or battery: label -> (S,) array over ``speeds_kms``); ``nominal_kms`` marks each
    label's assumed speed."""
    import numpy as np
    from matplotlib.figure import Figure

    v = np.asarray(speeds_kms, dtype=float)
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
    for k, (label, f) in enumerate(fractions.items()):
        c = colours[k % len(colours)]
        ax.plot(v, 100.0 * np.asarray(f, dtype=float), marker="o", ms=3, color=c, label=str(label))
        if nominal_kms and label in nominal_kms and _finite(nominal_kms[label]):
            ax.axvline(float(nominal_kms[label]), color=c, ls=":", lw=1)
    ax.set_xlabel("interceptor burnout speed, km/s")
    ax.set_ylabel("cases engageable, %")
    ax.set_ylim(-2, 102)
    if title:
        ax.set_title(title)
    if fractions:
        ax.legend(fontsize="small")
    return fig


def plot_flyout_fan(fan: FlyoutFan, ax=None):
    """Draw the fan: filled contours of earliest arrival, one contour line per fan time.
    Returns the matplotlib Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5))
    r_km = fan.ground_range / 1e3
    a_km = fan.altitude / 1e3
    e = np.where(np.isfinite(fan.earliest), fan.earliest, np.nan)
    if np.isfinite(e).any():
        levels = np.unique(np.concatenate([[0.0], fan.times]))
        cs = ax.contourf(r_km, a_km, e.T, levels=levels, cmap="viridis_r", extend="neither")
        ax.contour(r_km, a_km, e.T, levels=fan.times, colors="k", linewidths=0.6)
        plt.colorbar(cs, ax=ax, label="earliest arrival after launch (s)")
    ax.set_xlabel("ground range from site (km)")
    ax.set_ylabel("altitude (km)")
    ax.set_title(f"{fan.interceptor} fly-out fan (heading {math.degrees(fan.heading):.0f} deg)")
    ax.set_xlim(0, r_km.max())
    ax.set_ylim(0, a_km.max())
    return ax


def detection_timeline_figure(th: dict, title: str):
    """Timeline chart of one flight: per sensor, geometric coverage (light) and detectable
    (dark) bars, first detection (triangle) and track (circle; filled = fire control);
    vertical lines at the fused cue, fused track, burnout and impact. ``th`` is one flight's
    record of ``shieldsim detect --json`` (times in seconds after launch). A pyplot figure."""
    import matplotlib.pyplot as plt

    rows = th["sensors"]
    fig, ax = plt.subplots(figsize=(10, 2.4 + 0.6 * len(rows)))
    for y, r in enumerate(reversed(rows)):
        for a, b in r["visible_s"]:
            ax.barh(y, b - a, left=a, height=0.6, color="#c6dbef", edgecolor="none")
        for a, b in r["detectable_s"]:
            ax.barh(y, max(b - a, 1.0), left=a, height=0.6, color="#2171b5" if r["kind"] == "radar" else "#fd8d3c",
                    edgecolor="none")
        t = r["first_detection_s"]
        if t == t and t is not None:
            ax.plot(t, y, marker="v", color="black", ms=8, ls="none")
        t = r["track_time_s"] if r["kind"] == "radar" else r["report_time_s"]
        if t == t and t is not None:
            filled = r["kind"] == "radar" and r["fire_control"]
            ax.plot(t, y, marker="o", ms=9, ls="none", color="#cb181d" if filled else "white",
                    markeredgecolor="#cb181d", markeredgewidth=2)
    lines = [("burnout_time_s", "grey", ":", "burnout"), ("impact_time_s", "black", "-", "impact"),
             ("cue_time_s", "#fd8d3c", "--", "fused cue"), ("track_time_s", "#cb181d", "--", "fused track")]
    marks = sorted(((th[key], color, style, label) for key, color, style, label in lines
                    if th[key] is not None and th[key] == th[key]), key=lambda m: m[0])
    for level, (t, color, style, label) in enumerate(marks):
        ax.axvline(t, color=color, ls=style, lw=1.5)
        ax.annotate(f"{label} {t:.0f} s", xy=(t, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(0, 4 + 11 * (level % 4)), textcoords="offset points", ha="center", va="bottom",
                    fontsize=8, color=color)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{r['sensor']}" + ("" if r["kind"] == "radar" else " (IR)") for r in reversed(rows)])
    ax.set_ylim(-0.6, len(rows) - 0.2)
    end = th["impact_time_s"] if th["impact_time_s"] == th["impact_time_s"] else None
    ax.set_xlim(0, (end or ax.get_xlim()[1]) * 1.02)
    ax.set_xlabel("time after launch, s")
    ax.set_title(title, fontsize=10, pad=52)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color="#c6dbef", label="in coverage"), Patch(color="#2171b5", label="detectable"),
                       Patch(color="#fd8d3c", label="boost seen (IR)"),
                       Line2D([], [], marker="v", color="black", ls="none", label="first detection"),
                       Line2D([], [], marker="o", color="#cb181d", ls="none", label="fire-control track"),
                       Line2D([], [], marker="o", color="white", markeredgecolor="#cb181d", ls="none",
                              label="cue / cue-quality track")],
              loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.9 / (2.4 + 0.6 * len(rows))), ncol=6, fontsize=8,
              frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def engagement_timeline_figure(trajectories, batteries, e, per_net: dict):
    """Threat altitude against time for flight 0, each battery's first interceptor arc, the
    intercept windows shaded, cue and track marked. ``e``: the `engagement.Engagement`;
    ``per_net``: network name -> ((N,) cue, (N,) track) seconds after launch. A pyplot figure."""
    import matplotlib.pyplot as plt

    from .earth import to_geodetic
    from .engagement import interceptor_altitude

    traj = trajectories

    i = 0
    pos = traj.position[i]
    ok = np.isfinite(pos[:, 0])
    alt = np.full(pos.shape[0], np.nan)
    alt[ok] = to_geodetic(pos[ok], traj.models.earth)[2]
    fig, ax = plt.subplots(figsize=(9, 5))
    ax.plot(traj.time[ok], alt[ok] / 1e3, color="k", lw=2, label=f"threat: {traj.labels[i]}")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for j, b in enumerate(batteries):
        if not e.engageable[i, j]:
            continue
        c = colors[j % len(colors)]
        ax.axvspan(e.intercept_first[i, j], e.intercept_last[i, j], color=c, alpha=0.15)
        # the fastest arc to the first opportunity (launched as late as that allows)
        t_i, h_i = interceptor_altitude(traj, b, i, None, e.intercept_first[i, j])
        if t_i.size:
            ax.plot(t_i, h_i / 1e3, color=c, lw=1.5,
                    label=f"{b.name} ({b.interceptor.name}): launch {t_i[0]:.0f} s, window "
                          f"{e.intercept_first[i, j]:.0f}-{e.intercept_last[i, j]:.0f} s, {e.shots[i, j]} shot(s)")
    for name, (cue, track) in per_net.items():
        if np.isfinite(cue[i]):
            ax.axvline(cue[i], color="0.5", ls=":", lw=1)
            ax.text(cue[i], ax.get_ylim()[1] * 0.97, f" cue ({name})", fontsize=7, va="top", color="0.4")
        if np.isfinite(track[i]):
            ax.axvline(track[i], color="0.3", ls="--", lw=1)
            ax.text(track[i], ax.get_ylim()[1] * 0.9, f" track ({name})", fontsize=7, va="top", color="0.2")
    ax.set_xlabel("time after threat launch (s)")
    ax.set_ylabel("altitude (km)")
    ax.set_ylim(bottom=0)
    ax.set_title("Engagement timeline (shaded: intercept windows)")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig
