"""Offline maps of Europe with matplotlib: borders, sites, radar fields, defended areas.

Borders are Natural Earth 1:10m admin-0 polygons (public domain) read by
:mod:`shieldsim.geography`, clipped to the map and simplified once per process. Map
projections are done in plain NumPy (no cartopy): a Lambert conformal conic (default,
standard parallels at 1/6 and 5/6 of the latitude span, so shapes and bearings are
faithful across Europe) or a plain equirectangular one. Everything is drawn with
matplotlib's object API on an Agg canvas, so no display and no global ``pyplot`` state is
involved; import this module lazily (inside functions) because it imports matplotlib.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies); gained/lost areas use blue/orange, never red/green.

Typical use::

    m = europe_map(extent=(-15, 60, 25, 70), title="EPAA 2018")
    add_mask(m, lat, lon, defended, label="Defended")
    add_radar_field(m, 38.3, 37.8, 1000.0, boresight_deg=110, half_width_deg=60, label="AN/TPY-2")
    add_sites(m, [40.3], [-3.0], ["Rota"], label="Aegis ships")
    finish(m)
    save(m.fig, "out/coverage")
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .geography import EARTH_RADIUS_KM, EUROPE_EXTENT, _natural_earth
from .units import wrap_lon_deg, wrap_pi

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
"""Okabe & Ito (2008) colour-blind-safe palette."""

LAND_COLOUR = "#F2F2EE"
SEA_COLOUR = "#FFFFFF"
BORDER_COLOUR = "#8C8C8C"
BORDERS_SOURCE = "Borders: Natural Earth 1:10m (public domain)"


# --------------------------------------------------------------------------- projection


@dataclass(frozen=True)
class Projection:
    """A map projection from (lon, lat) degrees to plane coordinates in km.

    Attributes:
        kind: ``"lcc"`` (Lambert conformal conic on the sphere) or ``"equirectangular"``.
        lon0: central meridian, degrees.
        lat0: latitude of the origin, degrees.
        lat1, lat2: standard parallels for ``"lcc"``, degrees (``lat1`` is also the
            parallel of true scale for ``"equirectangular"``).
    """

    kind: str
    lon0: float
    lat0: float
    lat1: float
    lat2: float

    def __call__(self, lon_deg, lat_deg) -> tuple[np.ndarray, np.ndarray]:
        lon = np.radians(np.asarray(lon_deg, dtype=float))
        lat = np.radians(np.asarray(lat_deg, dtype=float))
        dlon = wrap_pi(lon - math.radians(self.lon0))
        if self.kind == "equirectangular":
            k = math.cos(math.radians(self.lat1))
            return EARTH_RADIUS_KM * dlon * k, EARTH_RADIUS_KM * (lat - math.radians(self.lat0))
        if self.kind != "lcc":
            raise ValueError(f"unknown projection {self.kind!r}; use 'lcc' or 'equirectangular'")
        p1, p2, p0 = (math.radians(v) for v in (self.lat1, self.lat2, self.lat0))

        def t(p):
            return np.tan(np.pi / 4 + np.asarray(p) / 2)

        if abs(p1 - p2) < 1e-9:
            n = math.sin(p1)
        else:
            n = math.log(math.cos(p1) / math.cos(p2)) / math.log(float(t(p2) / t(p1)))
        f = math.cos(p1) * float(t(p1)) ** n / n
        lat_c = np.clip(lat, -np.pi / 2 + 1e-9, np.pi / 2 - 1e-9)
        rho = EARTH_RADIUS_KM * f / t(lat_c) ** n
        rho0 = EARTH_RADIUS_KM * f / float(t(p0)) ** n
        return rho * np.sin(n * dlon), rho0 - rho * np.cos(n * dlon)


def projection_for(extent=EUROPE_EXTENT, kind: str = "lcc") -> Projection:
    """Projection centred on a (lon_min, lon_max, lat_min, lat_max) box, degrees."""
    lon0, lon1, lat0, lat1 = (float(v) for v in extent)
    span = lat1 - lat0
    mid_lon = 0.5 * (lon0 + lon1)
    if kind == "equirectangular":
        mid = 0.5 * (lat0 + lat1)
        return Projection(kind, mid_lon, mid, mid, mid)
    return Projection(kind, mid_lon, 0.5 * (lat0 + lat1), lat0 + span / 6, lat1 - span / 6)


# --------------------------------------------------------------------------- borders


@lru_cache(maxsize=8)
def _border_rings(box: tuple[float, float, float, float], tolerance_deg: float):
    """Simplified polygon rings (lon, lat arrays) of all countries clipped to ``box``.

    Returns (exteriors, all_rings): lists of (n, 2) arrays in degrees.
    """
    import shapely

    lon0, lon1, lat0, lat1 = box
    geoms = np.array([c.geometry for c in _natural_earth()], dtype=object)
    b = shapely.bounds(geoms)
    near = (b[:, 0] <= lon1) & (b[:, 2] >= lon0) & (b[:, 1] <= lat1) & (b[:, 3] >= lat0)
    clipped = shapely.clip_by_rect(geoms[near], lon0, lat0, lon1, lat1)
    simple = shapely.simplify(clipped, tolerance_deg, preserve_topology=True)
    exteriors, rings = [], []
    for g in simple:
        for poly in shapely.get_parts(g):
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            ext = np.asarray(poly.exterior.coords)
            if ext.shape[0] < 4:
                continue
            exteriors.append(ext)
            rings.append(ext)
            rings.extend(np.asarray(r.coords) for r in poly.interiors)
    return exteriors, rings


@lru_cache(maxsize=8)
def _projected_rings(box: tuple[float, float, float, float], tolerance_deg: float, proj: Projection):
    """`_border_rings` projected by ``proj`` (plane km, (n, 2) arrays, read-only): computed once
    per map box, tolerance and projection (the maps of one report share them), each ring once."""
    exteriors, rings = _border_rings(box, tolerance_deg)
    xy = {}
    for r in rings:  # every exterior is among the rings
        x, y = proj(r[:, 0], r[:, 1])
        xy[id(r)] = np.column_stack((x, y))
        xy[id(r)].flags.writeable = False
    return tuple(xy[id(r)] for r in exteriors), tuple(xy[id(r)] for r in rings)


def _densify_box(extent, n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    lon0, lon1, lat0, lat1 = extent
    s = np.linspace(0.0, 1.0, n)
    lon = np.concatenate([lon0 + (lon1 - lon0) * s, np.full(n, lon1), lon1 - (lon1 - lon0) * s, np.full(n, lon0)])
    lat = np.concatenate([np.full(n, lat0), lat0 + (lat1 - lat0) * s, np.full(n, lat1), lat1 - (lat1 - lat0) * s])
    return lon, lat


# --------------------------------------------------------------------------- the map


@dataclass
class Map:
    """A map being drawn: the figure, its axes, the projection and the legend entries.

    ``xy(lon_deg, lat_deg)`` projects to the axes' plane coordinates (km).
    """

    fig: object
    ax: object
    projection: Projection
    extent: tuple[float, float, float, float]
    handles: list = field(default_factory=list)

    def xy(self, lon_deg, lat_deg) -> tuple[np.ndarray, np.ndarray]:
        return self.projection(lon_deg, lat_deg)


def europe_map(ax=None, extent=EUROPE_EXTENT, projection: str = "lcc", title: str | None = None,
               figsize=(9.0, 7.5), simplify_deg: float | None = None, graticule_deg: float = 10.0) -> Map:
    """Draw land, country borders and a graticule for a (lon_min, lon_max, lat_min, lat_max) box.

    Args:
        ax: matplotlib Axes to draw into; ``None`` makes a new Agg-backed Figure.
        extent: map box, degrees.
        projection: ``"lcc"`` (default) or ``"equirectangular"``.
        title: axes title.
        figsize: inches, for a new figure.
        simplify_deg: border simplification tolerance, degrees; default scales with the
            box (span / 700, at least 0.01), i.e. below one pixel at the default size.
        graticule_deg: spacing of meridians/parallels, degrees (0 = none).

    Returns:
        :class:`Map` to pass to the ``add_*`` helpers, :func:`finish` and :func:`save`.
    """
    from matplotlib.collections import LineCollection, PolyCollection

    if ax is None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    extent = tuple(float(v) for v in extent)
    lon0, lon1, lat0, lat1 = extent
    if not (lon0 < lon1 and -90.0 <= lat0 < lat1 <= 90.0):
        raise ValueError("extent must be (lon_min, lon_max, lat_min, lat_max) with min < max")
    proj = projection_for(extent, projection)
    m = Map(fig, ax, proj, extent)

    bx, by = proj(*_densify_box(extent))
    xmin, xmax, ymin, ymax = bx.min(), bx.max(), by.min(), by.max()
    # Borders are clipped to a box larger than the extent, so the corners of the rectangular
    # view of a conic map are filled too.
    span = max(lon1 - lon0, lat1 - lat0)
    margin = 0.25 * span
    box = (max(lon0 - margin, -180.0), min(lon1 + margin, 180.0), max(lat0 - margin, -90.0), min(lat1 + margin / 2, 90.0))
    tol = simplify_deg if simplify_deg is not None else max(0.01, span / 700.0)
    exteriors, rings = _projected_rings(tuple(round(v, 6) for v in box), round(float(tol), 6), proj)
    ax.set_facecolor(SEA_COLOUR)
    ax.add_collection(PolyCollection(list(exteriors), facecolors=LAND_COLOUR, edgecolors="none", zorder=0))
    ax.add_collection(LineCollection(list(rings), colors=BORDER_COLOUR, linewidths=0.5, zorder=3))
    if graticule_deg > 0:
        _graticule(m, graticule_deg)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return m


def _graticule(m: Map, step: float) -> None:
    lon0, lon1, lat0, lat1 = m.extent
    lons = np.arange(math.ceil(lon0 / step) * step, lon1 + 1e-9, step)
    lats = np.arange(math.ceil(lat0 / step) * step, lat1 + 1e-9, step)
    dense_lat = np.linspace(lat0 - step, min(lat1 + step, 90.0), 100)
    dense_lon = np.linspace(lon0 - step, lon1 + step, 200)
    style = dict(color="#BBBBBB", linewidth=0.4, linestyle=":", zorder=1)
    text = dict(fontsize=7, color="#666666", clip_on=True, zorder=6)
    for lon in lons:
        x, y = m.xy(np.full(dense_lat.size, lon), dense_lat)
        m.ax.plot(x, y, **style)
        tx, ty = m.xy(lon, lat0)
        m.ax.text(float(tx), float(ty), f"{abs(lon):g}°{'E' if lon >= 0 else 'W'}",
                  ha="center", va="bottom", **text)
    for lat in lats:
        x, y = m.xy(dense_lon, np.full(dense_lon.size, lat))
        m.ax.plot(x, y, **style)
        tx, ty = m.xy(lon0, lat)
        m.ax.text(float(tx), float(ty), f" {abs(lat):g}°{'N' if lat >= 0 else 'S'}",
                  ha="left", va="bottom", **text)


# --------------------------------------------------------------------------- overlays


def _halo():
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.5, foreground="white")]


def add_sites(m: Map, lat_deg, lon_deg, labels=None, label: str | None = None,
              color: str = OKABE_ITO["black"], marker: str = "^", size: float = 7.0) -> None:
    """Mark sites (radars, batteries, launch points) with markers and optional name labels.

    Args:
        lat_deg, lon_deg: arrays of positions, degrees.
        labels: one text per site (None = no text).
        label: legend entry for this group of sites.
    """
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=float))
    lon = np.atleast_1d(np.asarray(lon_deg, dtype=float))
    x, y = m.xy(lon, lat)
    (line,) = m.ax.plot(x, y, linestyle="none", marker=marker, markersize=size, color=color,
                        markeredgecolor="white", markeredgewidth=0.8, zorder=8, label=label)
    if label:
        m.handles.append(line)
    if labels is not None:
        for xi, yi, text in zip(x, y, labels):
            m.ax.annotate(str(text), (xi, yi), xytext=(4, 4), textcoords="offset points", fontsize=8,
                          zorder=9, path_effects=_halo(), annotation_clip=True)


def add_cities(m: Map, min_population: float = 2e6, max_labels: int = 20,
               color: str = "#444444") -> None:
    """Dot and name the largest de-duplicated GeoNames cities inside the map box, for
    orientation (at most ``max_labels``, most populous first)."""
    from .geography import cities

    c = cities(m.extent)
    keep = np.nonzero(c.population >= min_population)[0][:max_labels]
    if keep.size == 0:
        return
    x, y = m.xy(c.lon_deg[keep], c.lat_deg[keep])
    m.ax.plot(x, y, linestyle="none", marker="o", markersize=3, color=color, zorder=6)
    for xi, yi, name in zip(x, y, c.name[keep]):
        m.ax.annotate(str(name), (xi, yi), xytext=(3, -3), textcoords="offset points", fontsize=7,
                      va="top", color=color, zorder=6, path_effects=_halo(), annotation_clip=True)


def destination(lat_deg, lon_deg, bearing_deg, distance_km):
    """Point reached from (lat, lon) along a great circle: degrees, degrees clockwise from
    north, km on the 6 371 km sphere. Broadcasts; returns (lat_deg, lon_deg)."""
    p1 = np.radians(lat_deg)
    l1 = np.radians(lon_deg)
    th = np.radians(bearing_deg)
    d = np.asarray(distance_km, dtype=float) / EARTH_RADIUS_KM
    p2 = np.arcsin(np.clip(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(th), -1, 1))
    l2 = l1 + np.arctan2(np.sin(th) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return np.degrees(p2), wrap_lon_deg(np.degrees(l2))


def radar_field_outline(lat_deg: float, lon_deg: float, range_km: float, boresight_deg: float | None = None,
                        half_width_deg: float | None = None, n: int = 121) -> tuple[np.ndarray, np.ndarray]:
    """Ground outline of a radar's field of regard: a wedge (fixed face) or a full circle.

    Args:
        lat_deg, lon_deg: radar position, degrees.
        range_km: ground range drawn, km.
        boresight_deg: face azimuth, degrees clockwise from north; None (or half-width
            >= 180) = full circle.
        half_width_deg: azimuth half-width of the face, degrees.

    Returns:
        (lat_deg, lon_deg) arrays of a closed outline.
    """
    if boresight_deg is None or half_width_deg is None or half_width_deg >= 180.0:
        az = np.linspace(0.0, 360.0, n)
        return destination(lat_deg, lon_deg, az, range_km)
    az = np.linspace(boresight_deg - half_width_deg, boresight_deg + half_width_deg, n)
    lat, lon = destination(lat_deg, lon_deg, az, range_km)
    return (np.concatenate([[lat_deg], lat, [lat_deg]]), np.concatenate([[lon_deg], lon, [lon_deg]]))


def add_radar_field(m: Map, lat_deg: float, lon_deg: float, range_km: float, boresight_deg: float | None = None,
                    half_width_deg: float | None = None, label: str | None = None,
                    color: str = OKABE_ITO["reddish_purple"], fill_alpha: float = 0.08) -> None:
    """Draw a radar's field of regard (see :func:`radar_field_outline`) with a light fill."""
    from matplotlib.patches import Polygon

    lat, lon = radar_field_outline(lat_deg, lon_deg, range_km, boresight_deg, half_width_deg)
    x, y = m.xy(_unwrap_deg(lon), lat)
    m.ax.add_patch(Polygon(np.column_stack((x, y)), closed=True, facecolor=color, alpha=fill_alpha,
                           edgecolor="none", zorder=4))
    (line,) = m.ax.plot(x, y, color=color, linewidth=1.2, linestyle="--", zorder=5, label=label)
    if label and label not in [h.get_label() for h in m.handles]:
        m.handles.append(line)


def _unwrap_deg(lon) -> np.ndarray:
    return np.degrees(np.unwrap(np.radians(np.asarray(lon, dtype=float))))


def _blend(color: str, alpha: float, background: str = LAND_COLOUR) -> tuple:
    """Opaque colour equal to ``color`` at ``alpha`` over ``background`` (opaque cells leave
    no seams between neighbouring grid cells, unlike translucent ones)."""
    from matplotlib.colors import to_rgb

    c = np.array(to_rgb(color))
    b = np.array(to_rgb(background))
    return tuple(alpha * c + (1.0 - alpha) * b)


def _mesh(m: Map, lat_grid_deg, lon_grid_deg):
    from .geography import cell_edges

    lat_e, lon_e = cell_edges(lat_grid_deg, lon_grid_deg)
    LAT, LON = np.meshgrid(lat_e, lon_e, indexing="ij")
    return m.xy(LON, LAT)


def add_mask(m: Map, lat_grid_deg, lon_grid_deg, mask, label: str = "Defended area",
             color: str = OKABE_ITO["blue"], alpha: float = 0.45) -> None:
    """Shade the True cells of a boolean (nlat, nlon) grid given by its cell centres."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    mk = np.asarray(mask, dtype=bool)
    X, Y = _mesh(m, lat_grid_deg, lon_grid_deg)
    data = np.ma.masked_where(~mk, np.ones(mk.shape))
    shade = _blend(color, alpha)
    m.ax.pcolormesh(X, Y, data, cmap=ListedColormap([shade]), vmin=0, vmax=1,
                    shading="flat", zorder=2, edgecolors="none", antialiased=False, rasterized=True)
    m.handles.append(Patch(facecolor=shade, edgecolor=color, label=label))


def add_difference(m: Map, lat_grid_deg, lon_grid_deg, before, after,
                   labels: tuple[str, str, str] = ("Gained", "Lost", "Defended in both"),
                   colors: tuple[str, str, str] = (OKABE_ITO["blue"], OKABE_ITO["orange"], "#BBBBBB"),
                   alpha: float = 0.6) -> None:
    """Shade cells defended only in ``after`` (gained), only in ``before`` (lost) and in both."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    a = np.asarray(before, dtype=bool)
    b = np.asarray(after, dtype=bool)
    if a.shape != b.shape:
        raise ValueError("before and after masks must have the same shape")
    code = np.zeros(a.shape)
    code[b & ~a] = 1.0
    code[a & ~b] = 2.0
    code[a & b] = 3.0
    X, Y = _mesh(m, lat_grid_deg, lon_grid_deg)
    shades = [_blend(c, alpha) for c in colors]
    cmap = ListedColormap(shades)
    norm = BoundaryNorm([0.5, 1.5, 2.5, 3.5], cmap.N)
    m.ax.pcolormesh(X, Y, np.ma.masked_equal(code, 0.0), cmap=cmap, norm=norm, shading="flat",
                    zorder=2, edgecolors="none", antialiased=False, rasterized=True)
    for c, shade, lab in zip(colors, shades, labels):
        m.handles.append(Patch(facecolor=shade, edgecolor=c, label=lab))


def add_tracks(m: Map, lat_deg, lon_deg, label: str | None = None, color: str = OKABE_ITO["vermillion"],
               linewidth: float = 1.0, alpha: float = 0.8) -> None:
    """Draw ground tracks: arrays (T,) or (N, T) of lat/lon degrees (NaN = no point), or
    lists of 1-D arrays. Tracks crossing the antimeridian are broken there."""
    from matplotlib.collections import LineCollection

    lats = [np.asarray(v, dtype=float) for v in (lat_deg if _is_list_of_tracks(lat_deg) else [lat_deg])]
    lons = [np.asarray(v, dtype=float) for v in (lon_deg if _is_list_of_tracks(lon_deg) else [lon_deg])]
    segments = []
    for la_set, lo_set in zip(lats, lons):
        la2 = np.atleast_2d(la_set)
        lo2 = np.atleast_2d(lo_set)
        for la, lo in zip(la2, lo2):
            jump = np.abs(np.diff(lo)) > 180.0
            pieces = np.split(np.arange(la.size), np.nonzero(jump)[0] + 1)
            for idx in pieces:
                ok = idx[np.isfinite(la[idx]) & np.isfinite(lo[idx])]
                if ok.size >= 2:
                    x, y = m.xy(lo[ok], la[ok])
                    segments.append(np.column_stack((x, y)))
    lc = LineCollection(segments, colors=color, linewidths=linewidth, alpha=alpha, zorder=7, label=label)
    m.ax.add_collection(lc)
    if label:
        m.handles.append(lc)


def _is_list_of_tracks(v) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and np.ndim(v[0]) >= 1


def finish(m: Map, title: str | None = None, legend_loc: str = "lower left", note: str | None = None) -> None:
    """Add the title, a legend of everything labelled, and a source note."""
    if title:
        m.ax.set_title(title)
    if m.handles:
        leg = m.ax.legend(handles=m.handles, loc=legend_loc, fontsize=8, framealpha=0.9)
        leg.set_zorder(20)
    caption = BORDERS_SOURCE if note is None else f"{note}\n{BORDERS_SOURCE}"
    m.ax.text(0.995, 0.005, caption, transform=m.ax.transAxes, ha="right", va="bottom", fontsize=6,
              color="#555555", zorder=20, path_effects=_halo())


# --------------------------------------------------------------------------- output

_SVG_PROLOG = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*", re.S)
_SVG_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def svg_string(fig, standalone: bool = True) -> str:
    """The figure as SVG text with no external reference.

    Matplotlib's DOCTYPE (a URL to the SVG DTD) and RDF metadata block (URLs to Dublin Core
    and Creative Commons vocabularies) are removed; only the XML namespace declarations
    (``xmlns``, which are names, never fetched) remain. ``standalone=False`` also drops the
    XML declaration for inlining in HTML.
    """
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = _SVG_METADATA.sub("", buf.getvalue())
    text = _SVG_PROLOG.sub("", text)
    if standalone:
        text = '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n' + text
    return text


def save(fig, path_without_suffix, dpi: int = 150) -> tuple[Path, Path]:
    """Write ``<path>.png`` and ``<path>.svg`` (parents created). Returns both paths."""
    base = Path(path_without_suffix)
    base.parent.mkdir(parents=True, exist_ok=True)
    png = base.with_name(base.name + ".png")
    svg = base.with_name(base.name + ".svg")
    fig.savefig(png, format="png", dpi=dpi, metadata={"Software": None})
    svg.write_text(svg_string(fig), encoding="utf-8")
    return png, svg
