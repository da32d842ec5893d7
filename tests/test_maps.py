"""Tests for shieldsim.maps: projection, outlines, and offline PNG/SVG output."""

import re

import numpy as np
import pytest

from shieldsim import maps

URL = re.compile(r"(?:https?|ftp|file):[^\s\"'<>)]*")
HREF = re.compile(r"""(?:href|src)\s*=\s*["']([^"']*)["']""")


def _external_refs(svg_text: str) -> list[str]:
    """URLs in the SVG other than XML namespace declarations (names, never fetched), and
    links that are neither in-document (#id) nor inline data."""
    without_ns = re.sub(r'xmlns(?::\w+)?="[^"]*"', "", svg_text)
    without_data = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]*", "data:", without_ns)
    links = [h for h in HREF.findall(without_data) if not h.startswith(("#", "data:"))]
    return URL.findall(without_data) + links


@pytest.fixture(scope="module")
def full_map(tmp_path_factory):
    lat = np.arange(30.25, 72.0, 0.5)
    lon = np.arange(-14.75, 50.0, 0.5)
    LAT, LON = np.meshgrid(lat, lon, indexing="ij")
    before = (LAT - 50.0) ** 2 + (LON - 15.0) ** 2 < 80.0
    after = (LAT - 48.0) ** 2 + (LON - 20.0) ** 2 < 80.0
    m = maps.europe_map(extent=(-15.0, 50.0, 30.0, 72.0), title="Test map")
    maps.add_difference(m, lat, lon, before, after)
    maps.add_mask(m, lat, lon, before & after, label="Defended")
    maps.add_radar_field(m, 38.35, 37.79, 1500.0, boresight_deg=110.0, half_width_deg=60.0, label="Fixed face")
    maps.add_radar_field(m, 54.5, 16.9, 800.0, label="Full circle")
    maps.add_sites(m, [44.08, 54.48], [24.35, 16.98], ["Deveselu", "Redzikowo"], label="Sites")
    maps.add_tracks(m, np.array([[35.0, 40.0, 45.0, np.nan], [34.0, 38.0, 43.0, 47.0]]),
                    np.array([[50.0, 40.0, 30.0, np.nan], [52.0, 45.0, 35.0, 25.0]]), label="Tracks")
    maps.add_cities(m, min_population=3e6)
    maps.finish(m, note="synthetic data")
    paths = maps.save(m.fig, tmp_path_factory.mktemp("maps") / "sub" / "coverage")
    return m, paths


def test_map_is_saved_as_non_empty_png_and_svg(full_map):
    _, (png, svg) = full_map
    assert png.name == "coverage.png" and svg.name == "coverage.svg"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and "</svg>" in text
    assert len(text) > 20_000


def test_svg_contains_no_external_urls(full_map):
    m, (_, svg) = full_map
    assert _external_refs(svg.read_text(encoding="utf-8")) == []
    inline = maps.svg_string(m.fig, standalone=False)
    assert inline.lstrip().startswith("<svg")
    assert _external_refs(inline) == []


def test_external_url_detector_would_catch_matplotlib_defaults(full_map):
    import io

    m, _ = full_map
    buf = io.StringIO()
    m.fig.savefig(buf, format="svg")
    assert _external_refs(buf.getvalue())  # the DOCTYPE/metadata URLs we strip


def test_legend_and_title_list_every_overlay(full_map):
    m, _ = full_map
    legend = m.ax.get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    for expected in ["Gained", "Lost", "Defended in both", "Defended", "Fixed face", "Full circle",
                     "Sites", "Tracks"]:
        assert expected in labels
    assert m.ax.get_title() == "Test map"


def test_largest_cities_are_named(full_map):
    m, _ = full_map
    texts = {t.get_text() for t in m.ax.texts}
    assert {"London", "Berlin", "Madrid"} <= texts
    assert "Warsaw" not in texts  # below the 3 M threshold used in the fixture


def test_borders_are_drawn_inside_the_view(full_map):
    from matplotlib.collections import LineCollection

    m, _ = full_map
    borders = [c for c in m.ax.collections if isinstance(c, LineCollection) and c.get_zorder() == 3]
    assert borders and len(borders[0].get_segments()) > 100
    x0, x1 = m.ax.get_xlim()
    y0, y1 = m.ax.get_ylim()
    px, py = m.xy(2.35, 48.86)  # Paris is on this map
    assert x0 < px < x1 and y0 < py < y1


def test_lambert_conformal_projection_is_conformal():
    proj = maps.projection_for((-15.0, 50.0, 30.0, 72.0))
    lat, lon, h = 55.0, 30.0, 1e-4
    x0, y0 = proj(lon, lat)
    xe, ye = proj(lon + h, lat)
    xn, yn = proj(lon, lat + h)
    east = np.array([xe - x0, ye - y0]) / (h * np.cos(np.radians(lat)))
    north = np.array([xn - x0, yn - y0]) / h
    assert abs(np.dot(east, north)) < 1e-6 * np.dot(east, east)
    assert np.linalg.norm(east) == pytest.approx(np.linalg.norm(north), rel=1e-6)
    # Scale is true on the standard parallels.
    for lat_s in (proj.lat1, proj.lat2):
        xa, ya = proj(lon, lat_s)
        xb, yb = proj(lon, lat_s + h)
        assert np.hypot(xb - xa, yb - ya) == pytest.approx(np.radians(h) * 6371.0, rel=1e-5)


def test_radar_wedge_outline_has_the_range_and_the_face():
    lat, lon = maps.radar_field_outline(38.35, 37.79, 1000.0, boresight_deg=90.0, half_width_deg=60.0)
    assert (lat[0], lon[0]) == (38.35, 37.79) and (lat[-1], lon[-1]) == (38.35, 37.79)
    arc_lat, arc_lon = np.radians(lat[1:-1]), np.radians(lon[1:-1])
    p0, l0 = np.radians(38.35), np.radians(37.79)
    d = 6371.0 * np.arccos(np.sin(p0) * np.sin(arc_lat) + np.cos(p0) * np.cos(arc_lat) * np.cos(arc_lon - l0))
    assert np.allclose(d, 1000.0, rtol=1e-9)
    assert np.all(lon[1:-1] > 37.79)  # an east-facing face lies east of the radar
    circle_lat, _ = maps.radar_field_outline(38.35, 37.79, 1000.0)
    assert circle_lat.max() == pytest.approx(38.35 + np.degrees(1000.0 / 6371.0), abs=1e-6)


def test_equirectangular_projection_and_existing_axes():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 2, 2)
    m = maps.europe_map(ax=ax, extent=(0.0, 30.0, 40.0, 60.0), projection="equirectangular")
    assert m.fig is fig and m.ax is ax
    x, y = m.xy([0.0, 30.0], [50.0, 50.0])
    assert y[0] == pytest.approx(y[1])


def test_bad_extent_is_rejected():
    with pytest.raises(ValueError):
        maps.europe_map(extent=(30.0, 0.0, 40.0, 60.0))


def test_maps_of_one_box_share_the_projected_borders_and_draw_them_as_projected_alone():
    """The maps of a report (same box) project the country rings once; each map draws exactly the
    rings of `_border_rings` projected one by one, the land being their exteriors."""
    extent = (-10.0, 40.0, 35.0, 65.0)
    maps._projected_rings.cache_clear()
    first, second = maps.europe_map(extent=extent), maps.europe_map(extent=extent)
    assert maps._projected_rings.cache_info().hits == 1
    box = (-22.5, 52.5, 22.5, 71.25)  # the extent with a quarter of its 50-degree span around (an eighth above)
    exteriors, rings = maps._border_rings(box, round(50.0 / 700.0, 6))

    def projected(r):
        return np.column_stack(first.projection(r[:, 0], r[:, 1])).tolist()

    for m in (first, second):
        land, borders = m.ax.collections[:2]
        assert [s.tolist() for s in borders.get_segments()] == [projected(r) for r in rings]
        assert [p.vertices[:len(r)].tolist() for p, r in zip(land.get_paths(), exteriors)] == \
            [projected(r) for r in exteriors]
    assert len(exteriors) > 10
