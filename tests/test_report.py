"""The report layer: index.html is complete, self-contained and says the same numbers as
summary.json; missing sections are reported, not hidden."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from matplotlib.figure import Figure

from shieldsim import report
from shieldsim.report import (
    Assessment, Assumption, ClaimRow, ClaimsResult, CooperationOption, CooperationResult, CountryRow, CoverageResult,
    DataFile, DeterrentPair, DeterrentResult, EngagementCase, Plot, Provenance, RegionPopulation, TimelineEvent,
)

SCENARIO_TEXT = '''name = "synthetic"
[radars.kurecik]
lat_deg = 38.35
source = "Kurecik site, see https://example.org/kurecik and //cdn.example.net/x.js <script>alert(1)</script>"
'''


def small_figure(kind: str = "line", title: str = "plot"):
    fig = Figure(figsize=(4, 2.5))
    ax = fig.subplots()
    if kind == "mesh":
        ax.pcolormesh(np.arange(12).reshape(3, 4))
    else:
        t = np.linspace(0, 600, 50)
        ax.plot(t, 300 * np.sin(np.pi * t / 600), label="threat")
        ax.axvspan(200, 300, alpha=0.3, label="intercept window")
        ax.legend()
    ax.set_title(title)
    return fig


def synthetic_assessment(**overrides) -> Assessment:
    """An assessment with every section filled with made-up numbers (not physics)."""
    coverage = [
        CoverageResult("north-western Iran", population_protected=123_456_789, population_total=600_000_000,
                       countries=[CountryRow("Romania", 19_000_000, 19_100_000, 19_050_000, True),
                                  CountryRow("Poland", 0, 38_000_000, 0, True),
                                  CountryRow("Russia", 4_456_789, 60_000_000, 9_000_000, False)],
                       threats=["MRBM-2000"], defended_area_km2=2.5e6,
                       map=Plot(small_figure("mesh", "Defended area"), caption="Defended area, north-western Iran"),
                       population_threatened=400_000_000,
                       nato_europe=RegionPopulation(450_000_000, 300_000_000, 110_000_000, ["ROU", "POL"],
                                                    membership_year=2018, membership_year_from="scenario"),
                       rest_of_region=RegionPopulation(150_000_000, 100_000_000, 13_456_789, ["RUS"])),
        CoverageResult("central Iran", population_protected=98_765_432.0, population_total=600_000_000.0,
                       countries=[CountryRow("Turkey", 50_000_000, 85_000_000)], threats=["IRBM-3500"],
                       map=small_figure("mesh", "Defended area 2")),
    ]
    engagement = [EngagementCase(
        "central Iran", "IRBM-3500 from Qom to Rome",
        events=[TimelineEvent(0.0, "launch"), TimelineEvent(95.5, "cue", "SBIRS"),
                TimelineEvent(180.25, "fire-control track", "kurecik-tpy2"),
                TimelineEvent(410.0, "first intercept opportunity", "deveselu", "altitude 250 km"),
                TimelineEvent(1100.0, "impact")],
        figures=[Plot(small_figure(title="Altitude against time"), caption="Threat and interceptor altitude")],
        engageable=True, shots=2, kill_probability=0.9375)]
    pairs = [DeterrentPair("Kozelsk", "Washington", "redzikowo", False, -312.5, 9.1),
             DeterrentPair("Kozelsk", "New York", "redzikowo", True, 20.0, 4.2),
             DeterrentPair("Teykovo", "Washington", "deveselu", False, float("nan"), None),
             DeterrentPair("Teykovo", "New York", "deveselu", False, -801.0, None)]
    deterrent = DeterrentResult(pairs=pairs, speed_figure=Plot(small_figure(title="Fraction vs speed"),
                                                               caption="Fraction engageable against speed"),
                                published=["Butt and Postol (2011): placeholder for comparison."])
    cooperation = CooperationResult(
        options=[CooperationOption("NATO alone", "epaa-2018", 200_000_000, 600_000_000,
                                   nato_europe=RegionPopulation(450e6, 300e6, 180e6, ["ROU", "POL"], [], 2018, "scenario")),
                 CooperationOption("Separate systems sharing data", "cooperation-2011", 230_000_000, 600_000_000,
                                   description="Armavir and Gabala radars share tracks",
                                   nato_europe=RegionPopulation(450e6, 300e6, 190e6, ["ROU", "POL"], [], 2018, "scenario")),
                 CooperationOption("Sectors", "sectoral-2010", 150_000_000, 600_000_000)],
        threat_area="central Iran", difference_map=Plot(small_figure("mesh", "Difference"), caption="Difference map"))
    def result(holds, figure, margin, unit="fraction", reason="made up"):
        return {"holds": holds, "figure": figure, "margin": margin, "unit": unit, "reason": reason}

    claims = ClaimsResult(
        profiles=["scenario", "independent"], grid_deg=2.0,
        profile_titles={"scenario": "the scenario as written", "independent": "Open critiques <made up>"},
        claims=[ClaimRow("phase-claim", "A <claimant>", "US/NATO", "2011-09-15", "Phase 2 expands coverage.",
                         "quotation", "https://fact-sheet.invalid/page (checked)", "coverage-difference: > 0",
                         {"scenario": result(True, 56_263_229, 56_263_229, "people"),
                          "independent": result(False, -1_500.0, -1_500.0, "people")}, ["independent"]),
                 ClaimRow("untestable", "Someone", "independent", "2013", "Cannot be tested.", "paraphrase",
                          "not verified against the original", "cannot be tested: no model",
                          {"scenario": result(None, None, None, "", "no model"),
                           "independent": result(None, None, None, "", "no model")})],
        headlines={p: {"all": RegionPopulation(565_000_000, 386_000_000, d, ["POL", "ROU"], membership_year=2018,
                                               membership_year_from="scenario"),
                       "tabriz": RegionPopulation(565_000_000, 378_000_000, d + 1, ["POL", "ROU"])}
                   for p, d in (("scenario", 175_463_462), ("independent", 170_000_000))})
    fields = dict(
        scenario="synthetic", scenario_text=SCENARIO_TEXT, claims=claims,
        provenance=Provenance(version="9.9.9", models={"earth": "wgs84", "rotation": True, "drag": False}, seed=7,
                              command="shieldsim assess synthetic --grid-deg 2", timestamp="2026-01-01T00:00:00+00:00",
                              extra={"grid_deg": 2.0, "wall_time_s": np.float64(12.5)}),
        title="Synthetic <architecture> & test", description="Made-up numbers for a test.",
        key_findings=["Finding one: 20.6 % of people protected.", "Finding <two>"],
        assumptions=[Assumption("SM-3 Block IIA", "burnout speed", "4.5 km/s", "published spread 4.5-5.5 km/s; https://x.y")],
        coverage=coverage, engagement=engagement, deterrent=deterrent, cooperation=cooperation,
        data_files=[DataFile("coverage.nc", "defended grid"), DataFile("deterrent.csv", "all cases")],
    )
    fields.update(overrides)
    return Assessment(**fields)


class _Collector(HTMLParser):
    """Collects element ids, data-key/data-value cells, and every URL-bearing attribute."""

    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.cells: list[tuple[str, str]] = []
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.append(a["id"])
        if "data-key" in a:
            self.cells.append((a["data-key"], a["data-value"]))
        for name in ("href", "src", "xlink:href", "action", "poster", "srcset"):
            if name in a:
                self.urls.append((tag, name, a[name]))


def parse(path) -> _Collector:
    c = _Collector()
    c.feed(path.read_text(encoding="utf-8"))
    return c


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    index = report.write_report(out, synthetic_assessment())
    return out, index


def test_every_section_id_is_present_and_listed_in_the_contents(written):
    _, index = written
    c = parse(index)
    for sid in report.SECTIONS:
        assert sid in c.ids
    hrefs = [v for tag, name, v in c.urls if tag == "a" and v.startswith("#")]
    assert hrefs[: len(report.SECTIONS)] == [f"#{s}" for s in report.SECTIONS]


def test_the_page_references_nothing_outside_itself(written):
    _, index = written
    text = index.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert 'src="//' not in text and "url(//" not in text and "@import" not in text
    assert "<script" not in text.lower() and "<link" not in text.lower()
    for tag, name, value in parse(index).urls:
        # anchors, inline data and the report's own data files only
        assert value.startswith(("#", "data:")) or (tag == "a" and re.fullmatch(r"[\w.-]+", value)), (tag, name, value)


def test_text_is_escaped_and_urls_in_sources_stay_readable(written):
    _, index = written
    text = index.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Synthetic &lt;architecture&gt; &amp; test" in text
    assert "https&#58;//example.org/kurecik" in text  # displays as https://..., is not a link


def test_figures_are_inline_svg_with_unique_ids(written):
    _, index = written
    text = index.read_text(encoding="utf-8")
    c = parse(index)
    # 2 coverage maps + 1 engagement + 1 speed + 1 difference map
    assert c.tags.count("svg") == 5
    assert len(c.ids) == len(set(c.ids))
    assert "<text" not in text  # glyphs drawn as paths: no font needed


def test_summary_json_numbers_are_the_assessment_numbers(written):
    out, _ = written
    s = json.loads((out / "summary.json").read_text())
    a = synthetic_assessment()
    assert s["scenario"] == "synthetic" and s["version"] == "9.9.9" and s["seed"] == 7
    assert s["models"] == a.provenance.models and s["provenance"]["extra"]["wall_time_s"] == 12.5
    for got, want in zip(s["coverage"], a.coverage):
        assert got["population_protected"] == want.population_protected
        assert got["population_total"] == want.population_total
        assert got["fraction_protected"] == pytest.approx(want.population_protected / want.population_total)
        assert [r["population_protected"] for r in got["countries"]] == [r.population_protected for r in want.countries]
    det = s["deterrent"]
    assert det["pairs_total"] == 4 and det["pairs_engageable"] == 1 and det["fraction_engageable_all"] == 0.25
    assert det["fraction_engageable"] == {"redzikowo": 0.5, "deveselu": 0.0}
    assert det["pairs"][2]["margin_s"] is None  # NaN is written as null
    assert [o["population_protected"] for o in s["cooperation"]["options"]] == [2e8, 2.3e8, 1.5e8]
    assert s["engagement"][0]["events"][2]["time_s"] == 180.25
    assert s["key_findings"] == a.key_findings
    assert s["data_files"][0] == {"path": "coverage.nc", "format": "netCDF", "description": "defended grid"}


def test_every_number_in_the_page_is_the_number_in_summary_json(written):
    out, index = written
    s = json.loads((out / "summary.json").read_text())
    cells = parse(index).cells
    assert len(cells) > 40
    keys = {k for k, _ in cells}
    for pointer in ("/coverage/0/population_protected", "/deterrent/fraction_engageable_all",
                    "/deterrent/fraction_engageable/redzikowo", "/cooperation/options/2/fraction_protected",
                    "/engagement/0/kill_probability"):
        assert pointer in keys
    for key, raw in cells:
        assert json.loads(raw) == report.resolve_pointer(s, key), key


def test_displayed_figures_are_formatted_from_the_same_values(written):
    _, index = written
    text = index.read_text(encoding="utf-8")
    assert ">123,456,789</td>" in text and ">20.6 %</td>" in text  # 123456789 / 6e8
    assert ">-312.5</td>" in text and ">9.10</td>" in text


def test_missing_sections_render_a_clear_note(tmp_path):
    a = synthetic_assessment(coverage=None, deterrent=None, engagement=None, cooperation=None, assumptions=[],
                             claims=None, not_computed={"deterrent": "the scenario has no strategic bases"})
    index = report.write_report(tmp_path, a)
    text = index.read_text(encoding="utf-8")
    c = parse(index)
    for sid in report.SECTIONS:
        assert sid in c.ids
    for sid in ("coverage", "engagement", "deterrent", "cooperation", "claims"):
        assert f'data-missing="{sid}"' in text
    assert "Not computed in this run: the scenario has no strategic bases" in text
    assert "Not computed in this run: Defended areas and population, Engagement timelines, The deterrent" in text
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["coverage"] is None and s["sections"] == dict.fromkeys(
        ("coverage", "engagement", "deterrent", "cooperation", "claims"), False)
    assert s["claims"] is None and s["profiles"] is None
    assert s["not_computed"]["deterrent"] == "the scenario has no strategic bases"


def test_fractions_per_battery_given_by_the_caller_are_kept(tmp_path):
    a = synthetic_assessment()
    a.deterrent.fraction_engageable = {"redzikowo": 0.4, "deveselu": 0.1}
    report.write_report(tmp_path, a)
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["deterrent"]["fraction_engageable"] == {"redzikowo": 0.4, "deveselu": 0.1}


def test_figures_from_files_text_and_png_bytes_are_embedded(tmp_path):
    fig = small_figure()
    fig.savefig(tmp_path / "a.svg")
    fig.savefig(tmp_path / "b.png")
    png = (tmp_path / "b.png").read_bytes()
    a = synthetic_assessment()
    a.engagement[0].figures = [tmp_path / "a.svg", str(tmp_path / "b.png"), png,
                               (tmp_path / "a.svg").read_text(), Plot(fig, fmt="png")]
    index = report.write_report(tmp_path / "out", a)
    c = parse(index)
    assert c.tags.count("img") == 3 and c.tags.count("svg") == 4 + 2
    assert len(c.ids) == len(set(c.ids))
    assert "https://" not in index.read_text()


def test_an_unknown_figure_type_is_a_clear_error(tmp_path):
    a = synthetic_assessment()
    a.engagement[0].figures = [object()]
    with pytest.raises(TypeError, match="matplotlib Figure"):
        report.write_report(tmp_path, a)


def test_large_svg_falls_back_to_png(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "SVG_LIMIT_BYTES", 1000)
    a = synthetic_assessment(engagement=None, deterrent=None, cooperation=None)
    index = report.write_report(tmp_path, a)
    c = parse(index)
    assert c.tags.count("svg") == 0 and c.tags.count("img") == 2


def test_summary_lines_lead_with_nato_europe_then_the_rest_and_the_whole_grid():
    lines = report.summary_lines(report.summary_dict(synthetic_assessment()))
    rows = dict(lines)
    assert lines[0] == ("NATO Europe (2018 membership), threats from north-western Iran",
                        "110,000,000 of 300,000,000 threatened (36.7 %)")
    assert rows["Rest of the region, threats from north-western Iran"] == "13,456,789 of 100,000,000 threatened (13.5 %)"
    assert rows["Whole grid, people defended, threats from north-western Iran"] == "123,456,789 of 600,000,000 (20.6 %)"
    assert rows["Deterrent cases engageable (base x aim point x battery)"] == "1 of 4 (25.0 %)"
    assert rows["Cooperation: NATO alone (epaa-2018)"] == (
        "NATO Europe 180,000,000 of 300,000,000 threatened (60.0 %); 200,000,000 protected on the whole grid (33.3 %)")
    assert rows["Cooperation: Sectors (sectoral-2010)"] == "150,000,000 protected on the whole grid (25.0 %)"


def test_summary_json_coverage_entries_carry_nato_europe_and_the_rest_of_the_region(written):
    out, _ = written
    s = json.loads((out / "summary.json").read_text())
    first, second = s["coverage"]
    assert first["nato_europe"] == {
        "membership_year": 2018, "membership_year_from": "scenario", "members": ["ROU", "POL"],
        "population_total": 450_000_000, "population_threatened": 300_000_000, "population_defended": 110_000_000,
        "fraction_defended_of_threatened": pytest.approx(110 / 300)}
    assert first["rest_of_region"]["countries"] == ["RUS"]
    assert first["rest_of_region"]["fraction_defended_of_threatened"] == pytest.approx(13_456_789 / 100_000_000)
    assert first["population_threatened"] == 400_000_000 and first["population_defended"] == 123_456_789
    romania = first["countries"][0]
    assert romania["nato_europe"] is True and romania["population_threatened"] == 19_050_000
    assert romania["population_defended"] == romania["population_protected"] == 19_000_000
    assert romania["fraction_defended_of_threatened"] == pytest.approx(19_000_000 / 19_050_000)
    assert first["countries"][1]["fraction_defended_of_threatened"] == 0.0  # nobody threatened in Poland
    # an entry without the split says so with nulls rather than made-up figures
    assert second["nato_europe"] is None and second["population_threatened"] is None
    assert second["countries"][0]["fraction_defended_of_threatened"] is None
    assert s["cooperation"]["options"][1]["nato_europe"]["population_defended"] == 190e6
    assert s["cooperation"]["options"][2]["nato_europe"] is None


def test_fraction_defended_of_threatened_is_zero_not_nan_when_nobody_is_threatened():
    nobody = RegionPopulation(5_000_000, 0, 0, ["ISL"], [], 2011, "scenario")
    assert nobody.fraction_defended_of_threatened == 0.0
    assert RegionPopulation(5_000_000, None, 0).fraction_defended_of_threatened is None
    assert RegionPopulation(5_000_000, 4_000_000, 1_000_000).fraction_defended_of_threatened == 0.25
    assert CountryRow("Iceland", 0, 360_000, 0).fraction_defended_of_threatened == 0.0
    entry = CoverageResult("x", 0, 1_000, population_threatened=0, nato_europe=nobody)
    s = report.summary_dict(synthetic_assessment(coverage=[entry]))
    assert s["coverage"][0]["nato_europe"]["fraction_defended_of_threatened"] == 0.0
    assert s["coverage"][0]["fraction_defended_of_threatened"] == 0.0


def test_the_page_leads_with_nato_europe_and_marks_each_number_with_its_key(written):
    out, index = written
    text = index.read_text(encoding="utf-8")
    keys = [k for k, _ in parse(index).cells]
    headline = [k for k in keys if k.startswith("/coverage/")][:2]
    assert headline == ["/coverage/0/nato_europe/population_defended",
                        "/coverage/0/nato_europe/fraction_defended_of_threatened"]
    for pointer in ("/coverage/0/nato_europe/population_threatened", "/coverage/0/rest_of_region/population_defended",
                    "/coverage/0/countries/0/population_threatened", "/coverage/0/countries/0/population_defended",
                    "/coverage/0/countries/0/nato_europe", "/cooperation/options/0/nato_europe/population_defended"):
        assert pointer in keys
    assert ">110,000,000</td>" in text and ">36.7 %</td>" in text
    assert "NATO's European members in 2018: Romania, Poland." in text


def test_provenance_now_records_version_and_utc_time():
    p = Provenance.now({"earth": "wgs84"}, seed=3, command="shieldsim assess", grid_deg=0.5)
    from shieldsim import __version__

    assert p.version == __version__ and p.timestamp.endswith("+00:00") and p.extra == {"grid_deg": 0.5}


def test_compare_report_puts_both_scenarios_side_by_side_with_differences(tmp_path):
    a = synthetic_assessment()
    b = synthetic_assessment(scenario="other", deterrent=None)
    b.coverage[0].population_protected = 200_000_000
    index = report.compare_reports(tmp_path, a, b, [Plot(small_figure("mesh"), caption="Where B defends and A does not")])
    c = parse(index)
    text = index.read_text(encoding="utf-8")
    for sid in report.COMPARE_SECTIONS:
        assert sid in c.ids
    assert len(c.ids) == len(set(c.ids))
    assert "http://" not in text and "https://" not in text
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["scenario_a"] == "synthetic" and s["scenario_b"] == "other"
    assert s["differences"]["coverage"][0]["difference"] == 200_000_000 - 123_456_789
    assert s["differences"]["deterrent"] is None
    assert ">+76,543,211</td>" in text
    assert 'data-missing="deterrent"' in text  # B has no deterrent section
    for key, raw in c.cells:
        assert json.loads(raw) == report.resolve_pointer(s, key), key


def test_assumptions_from_a_builtin_scenario_list_every_figure_with_its_source():
    from shieldsim import scenario

    sc = scenario.load("epaa-2018")
    rows = report.assumptions_from_scenario(sc)
    by = {(r.object, r.figure): r for r in rows}
    assert by[("radars.kurecik-tpy2", "reference range")].value == "1,500 km"
    assert by[("batteries.redzikowo", "lat")].value == "54.48 deg"
    iia = [r for r in rows if r.object == "interceptor SM-3 Block IIA"]
    assert {"burnout speed", "max range", "sspk"} <= {r.figure for r in iia}
    assert any(r.object.startswith("missile ") and r.figure == "published range" for r in rows)
    assert all(r.source.strip() for r in rows)
    figures = len(scenario.sourced_figures(sc.model_dump(mode="python", exclude_none=True)))
    posture = [r for r in rows if r.figure in ("launch on", "engage on")]
    assert len([r for r in rows if not r.object.startswith(("missile ", "interceptor "))]) <= figures + len(posture)


def test_assumptions_show_each_battery_posture_after_its_figures_with_its_source():
    from shieldsim import scenario

    # the built-in batteries all engage on remote; one set to its own radar shows the other wording
    sc = scenario.loads('name = "strict-ship"\nextends = "epaa-2018"\n'
                        '[batteries.aegis-east-med]\nengage_on = "own"\n')
    rows = report.assumptions_from_scenario(sc)
    for name, b in sc.batteries.items():
        mine = [k for k, r in enumerate(rows) if r.object == f"batteries.{name}"]
        posture = {rows[k].figure: rows[k] for k in mine[-2:]}
        assert set(posture) == {"launch on", "engage on"}, name  # right after the battery's figures
        assert all(r.source == b.source for r in posture.values())
        for key in ("launch on", "engage on"):
            mode = b.launch_on if key == "launch on" else b.engage_on
            text = posture[key].value
            assert text.startswith("own radar (" + ", ".join(b.own_radars)) if mode == "own" else "network nato" in text
    by = {(r.object, r.figure): r.value for r in rows}
    assert by[("batteries.aegis-east-med", "engage on")] == "own radar (spy1-east-med)"
    assert by[("batteries.redzikowo", "engage on")].startswith("any fire-control track of network nato")


def test_repeated_sources_are_shown_once_per_object(tmp_path):
    rows = [Assumption("radar A", "lat", "1 deg", "Source A"), Assumption("radar A", "lon", "2 deg", "Source A"),
            Assumption("radar B", "lat", "3 deg", "Source B")]
    text = report.write_report(tmp_path, synthetic_assessment(assumptions=rows)).read_text()
    assert text.count("Source A") == 1 and text.count("Source B") == 1
    row_a = re.search(r"<tr><td>radar A</td>(.*?)</tr>", text).group(1)
    assert "lat" in row_a and "lon" in row_a and "1 deg" in row_a and "2 deg" in row_a


@pytest.fixture(scope="module")
def real_engagement():
    """One intermediate-range threat from Qom to Bucharest against the EPAA phase 3 batteries."""
    from shieldsim import engagement, scenario, sensors, trajectory

    sc = scenario.load("epaa-2018")
    launch, targets = scenario.launch_points(sc, "central-iran"), scenario.aim_points(sc)
    k = targets.names.index("bucharest")
    threat = trajectory.aim(launch.lat[0], launch.lon[0], targets.lat[k], targets.lon[k],
                            scenario.missiles(sc)["irbm"], scenario.models(sc), labels=["irbm Qom-Bucharest"])
    timeline = sensors.detect(threat, {n.name: n for n in scenario.networks(sc)}["nato"])
    batteries = scenario.batteries(sc)
    return threat, timeline, engagement.engage(threat, batteries, timeline.track_time), batteries


def test_engagement_case_lists_the_events_of_the_engagement_in_time_order(real_engagement, tmp_path):
    threat, timeline, result, batteries = real_engagement
    case = report.engagement_case(threat, result, batteries, 0, timeline.cue_time[0], timeline.track_time[0],
                                  "cue-sensor", "track-sensor", threat_area="central-iran")
    times = [e.time_s for e in case.events]
    assert times == sorted(times) and all(np.isfinite(times))
    assert case.threat == "irbm Qom-Bucharest"
    assert times[-1] == pytest.approx(threat.impact_time[0]) and case.events[0].event == "launch"
    firsts = {e.actor: e.time_s for e in case.events if e.event == "first intercept opportunity"}
    engaging = [n for j, n in enumerate(result.battery_names) if result.engageable[0, j]]
    assert sorted(firsts) == sorted(engaging)
    for j, name in enumerate(result.battery_names):
        if name in firsts:
            assert firsts[name] == result.intercept_first[0, j]
    assert case.engageable == bool(result.engageable[0].any())
    assert case.kill_probability == pytest.approx(result.kill_probability[0].max())
    track = [e for e in case.events if e.event == "fire-control track"]
    assert track[0].time_s == timeline.track_time[0] and track[0].actor == "track-sensor"
    a = synthetic_assessment(engagement=[case])
    index = report.write_report(tmp_path, a)
    assert "first intercept opportunity" in index.read_text() and parse(index).tags.count("svg") == 5


def test_engagement_table_says_when_the_track_was_formed_on_the_missile_body(real_engagement, tmp_path):
    threat, timeline, result, batteries = real_engagement
    assert timeline.track_on[0] in ("body", "warhead")
    case = report.engagement_case(threat, result, batteries, 0, timeline.cue_time[0], timeline.track_time[0],
                                  "cue-sensor", "track-sensor", figure=False, track_on="body")
    track = [e for e in case.events if e.event == "fire-control track"][0]
    assert "missile body" in track.detail
    text = report.write_report(tmp_path, synthetic_assessment(engagement=[case])).read_text()
    assert "formed on the missile body" in text


def test_csv_tables_hold_the_numbers_of_summary_json(written):
    import csv

    out, index = written
    s = json.loads((out / "summary.json").read_text())
    listed = {d["path"] for d in s["data_files"]}
    for name, _, _columns in report.TABLES.values():
        assert name in listed and (out / name).exists()
    with open(out / "deterrent-pairs.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == s["deterrent"]["pairs_total"]
    assert [r["engageable"] == "True" for r in rows] == [p["engageable"] for p in s["deterrent"]["pairs"]]
    assert [float(r["margin_s"]) if r["margin_s"] else None for r in rows] == [p["margin_s"] for p in s["deterrent"]["pairs"]]
    with open(out / "coverage-countries.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    want = [(c["threat_area"], r["country"], r["population_protected"]) for c in s["coverage"] for r in c["countries"]]
    assert [(r["threat_area"], r["country"], float(r["population_protected"])) for r in rows] == want
    assert 'href="deterrent-pairs.csv"' in index.read_text()


def test_no_tables_for_sections_not_computed(tmp_path):
    report.write_report(tmp_path, synthetic_assessment(deterrent=None, cooperation=None, claims=None, data_files=[]))
    assert (tmp_path / "coverage-countries.csv").exists() and not (tmp_path / "deterrent-pairs.csv").exists()
    s = json.loads((tmp_path / "summary.json").read_text())
    assert [d["path"] for d in s["data_files"]] == ["coverage-countries.csv", "coverage-nato-europe.csv",
                                                    "engagement-events.csv"]


def test_coverage_result_carries_the_protected_population_figures(tmp_path):
    from shieldsim import geography

    lat, lon = np.arange(36.0, 72.0, 3.0), np.arange(-21.0, 45.0, 3.0)
    mask = np.zeros((lat.size, lon.size), bool)
    mask[4:9, 8:14] = True
    protected = geography.protected_population(lat, lon, mask)
    entry = report.coverage_result("test-area", protected, threats=["irbm"])
    d = protected.as_dict()
    assert entry.population_protected == d["population_protected"] and entry.population_total == d["population_total"]
    assert 0 < entry.fraction_protected < 1
    assert len(entry.countries) == len(d["by_country"])
    assert sum(r.population_protected for r in entry.countries) == pytest.approx(entry.population_protected, rel=1e-6)
    germany = [r for r in entry.countries if r.country.endswith("(DEU)")]
    assert germany and germany[0].population_total > 5e7
    index = report.write_report(tmp_path, synthetic_assessment(coverage=[entry]))
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["coverage"][0]["population_protected"] == d["population_protected"]
    assert "(DEU)" in index.read_text()


def test_speed_sensitivity_figure_draws_one_line_per_label_in_percent():
    speeds = np.arange(3.0, 7.01, 0.5)
    fig = report.speed_sensitivity_figure(speeds, {"phase 3": np.linspace(0, 0.5, speeds.size),
                                                   "phase 4": np.linspace(0, 1.0, speeds.size)},
                                          nominal_kms={"phase 3": 4.5, "phase 4": 5.5})
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_label() in ("phase 3", "phase 4")]
    assert len(lines) == 2 and lines[1].get_ydata()[-1] == pytest.approx(100.0)
    assert list(lines[0].get_xdata()) == list(speeds)
    assert "<svg" in report._Figures().html(fig)


def test_svg_text_cannot_bring_scripts_handlers_or_outside_references(tmp_path):
    hostile = ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" viewBox="0 0 10 10">'
               '<script>alert(2)</script><a href="javascript:alert(3)"><rect id="r" width="5" height="5"/></a>'
               "<image xlink:href='https://example.org/x.png'/><use href=\"#r\"/>"
               '<rect style="fill: url(https://example.org/p.svg#g)" width="1" height="1"/></svg>')
    a = synthetic_assessment(scenario_text="", engagement=[EngagementCase("x", "y", figures=[Plot(hostile, caption="hostile")])])
    text = report.write_report(tmp_path, a).read_text()
    assert "alert" not in text and "javascript" not in text.lower() and "example.org" not in text
    assert 'href="#f3-r"' in text  # the internal reference survives, with its id prefixed


def test_numpy_scalars_are_written_as_plain_json_numbers(tmp_path):
    a = synthetic_assessment()
    a.engagement[0].engageable = np.bool_(True)
    a.engagement[0].shots = np.int64(3)
    a.engagement[0].kill_probability = np.float32(0.5)
    a.coverage[0].population_protected = np.float64(1e8)
    report.write_report(tmp_path, a)
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["engagement"][0]["engageable"] is True and s["engagement"][0]["shots"] == 3
    assert s["coverage"][0]["population_protected"] == 1e8


def test_deterrent_matrix_counts_engageable_aim_points_per_base_and_battery(written):
    out, index = written
    s = json.loads((out / "summary.json").read_text())
    assert s["deterrent"]["by_base"] == {
        "Kozelsk": {"redzikowo": {"engageable": 1, "cases": 2}, "deveselu": {"engageable": 0, "cases": 0}},
        "Teykovo": {"redzikowo": {"engageable": 0, "cases": 0}, "deveselu": {"engageable": 0, "cases": 2}}}
    assert "/deterrent/by_base/Kozelsk/redzikowo/engageable" in {k for k, _ in parse(index).cells}
    assert ">1 of 2</td>" in index.read_text()


def test_deterrent_flight_shapes_are_shown_side_by_side_and_match_summary(tmp_path):
    pairs = [DeterrentPair("Kozelsk", "Washington", "redzikowo", True, 20.0, 4.2)]
    by_shape = {"minimum-energy": {"redzikowo": 0.25, "any": 0.25}, "depressed": {"redzikowo": 0.125, "any": 0.125},
                "lofted": {"redzikowo": 0.0, "any": 0.0}}
    det = DeterrentResult(pairs=pairs, by_shape=by_shape, flights_by_shape={"minimum-energy": 8, "depressed": 8,
                                                                             "lofted": 6},
                          shape_note="Depressed at 0.5, lofted at 1.5 times the minimum-energy apogee.")
    index = report.write_report(tmp_path, synthetic_assessment(deterrent=det))
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["deterrent"]["fraction_engageable_by_shape"] == by_shape
    assert s["deterrent"]["flights_by_shape"] == {"minimum-energy": 8, "depressed": 8, "lofted": 6}
    cells = dict(parse(index).cells)
    for shape, row in by_shape.items():
        for b, f in row.items():
            assert json.loads(cells[f"/deterrent/fraction_engageable_by_shape/{shape}/{b}"]) == f
    text = index.read_text()
    assert "lofted (6 flights)" in text and "Depressed at 0.5" in text
    # without shapes the table is left out
    index = report.write_report(tmp_path / "plain", synthetic_assessment())
    assert "per flight shape" not in index.read_text()


def test_deterrent_result_from_command_records_keeps_one_variant():
    records = [{"variant": "scenario", "base": "kozelsk", "threat": "icbm-liquid", "aim_point": "washington",
                "battery": "redzikowo", "engageable": True, "margin_s": -12.0, "min_speed_kms": 4.2, "extra": 1},
               {"variant": "cue-as-track", "base": "kozelsk", "threat": "icbm-liquid", "aim_point": "washington",
                "battery": "redzikowo", "engageable": True, "margin_s": -80.0, "min_speed_kms": 3.9}]
    det = report.deterrent_result(records, {"redzikowo": 1.0}, variant="scenario")
    assert len(det.pairs) == 1 and det.pairs[0].margin_s == -12.0 and det.pairs[0].threat == "icbm-liquid"
    assert len(report.deterrent_result(records).pairs) == 2


def test_inline_svg_path_data_is_rounded_to_a_hundredth_and_transforms_are_kept():
    svg = ('<svg viewBox="0 0 10 10"><defs><path id="g" d="M 1.234567 2.5\n L 3.14159 -0.000123 z" '
           'transform="scale(0.015625)"/></defs><use href="#g" x="1.23456"/></svg>')
    out = report._inline_svg(svg, "p-", "alt")
    assert 'd="M 1.23 2.5 L 3.14 -0.00 z"' in out
    assert 'transform="scale(0.015625)"' in out and 'x="1.23456"' in out and 'href="#p-g"' in out


def test_each_interceptor_launch_event_names_the_sensor_whose_track_it_uses():
    """The engagement case of a flight from Qom to Bucharest in epaa-2018 through the study
    path (`study.engage_flights`): every 'earliest interceptor launch' event says whose track
    the battery launched on (`Tracks.track_sensor`)."""
    from shieldsim import scenario, study

    arch = study.Architecture.from_scenario(scenario.load("epaa-2018"))
    traj, _, _ = study.scenario_flights(arch, threat="irbm", area="central-iran", target="bucharest")
    e, tracks = study.engage_flights(arch, traj)
    case = report.engagement_case(traj, e, arch.batteries, 0, figure=False, launch_sensors=list(tracks.track_sensor[0]))
    launches = {ev.actor: ev.detail for ev in case.events if ev.event == "earliest interceptor launch"}
    engaging = [n for j, n in enumerate(e.battery_names) if e.engageable[0, j]]
    assert engaging and sorted(launches) == sorted(engaging)
    for j, name in enumerate(e.battery_names):
        if name in launches:
            assert launches[name] == f"on the track of {tracks.track_sensor[0, j]}"


def test_coverage_result_splits_nato_europe_of_the_scenario_year_from_the_rest(tmp_path):
    import tomllib
    from importlib.resources import files

    from shieldsim import geography

    lat, lon = np.arange(36.0, 72.0, 3.0), np.arange(-21.0, 45.0, 3.0)
    LAT, LON = np.meshgrid(lat, lon, indexing="ij")
    threatened = LAT < 50.0
    defended = threatened & (LON > 15.0)
    pop = geography.protected_population(lat, lon, defended, threatened_mask=threatened)
    entry = report.coverage_result("test-area", pop, threats=["irbm"], year=2011)
    data = tomllib.loads(files("shieldsim").joinpath("data/nato_members.toml").read_text(encoding="utf-8"))
    members = {m["iso3"] for m in data["member"] if m["european"] and m["joined"].year <= 2011}
    codes = members | {t["iso3"] for t in data["territory"] if t["member"] in members}
    code = {r.country: r.country[-4:-1] for r in entry.countries}
    assert {r.country for r in entry.countries if r.nato_europe} == {r.country for r in entry.countries if code[r.country] in codes}
    nato_rows = [r for r in entry.countries if code[r.country] in codes]
    assert entry.nato_europe.population_total == sum(r.population_total for r in nato_rows)
    assert entry.nato_europe.population_threatened == sum(r.population_threatened for r in nato_rows)
    assert entry.nato_europe.population_defended == sum(r.population_defended for r in nato_rows)
    assert entry.nato_europe.membership_year == 2011 and "MNE" not in entry.nato_europe.countries
    assert entry.rest_of_region.population_defended == sum(r.population_defended for r in entry.countries
                                                           if code[r.country] not in codes)
    assert entry.population_threatened == round(pop.threatened)
    report.write_report(tmp_path, synthetic_assessment(coverage=[entry]))
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["coverage"][0]["nato_europe"]["population_defended"] == entry.nato_europe.population_defended
    with open(tmp_path / "coverage-nato-europe.csv", newline="") as fh:
        import csv

        groups = {r["group"]: r for r in csv.DictReader(fh)}
    assert int(groups["NATO Europe"]["population_defended"]) == entry.nato_europe.population_defended
    assert groups["NATO Europe"]["membership_year"] == "2011"
    assert int(groups["whole grid"]["population_total"]) == entry.population_total


def test_claims_section_shows_the_ledger_and_the_headline_per_profile(written):
    """Claims and assumptions: every verdict, figure and margin per profile and the NATO-Europe
    headline under each profile are summary.json numbers; the flips are named; the CSV tables
    hold the same rows."""
    import csv

    out, index = written
    s = json.loads((out / "summary.json").read_text())
    a = synthetic_assessment()
    assert s["sections"]["claims"] is True
    assert [c["id"] for c in s["claims"]] == ["phase-claim", "untestable"]
    first = s["claims"][0]
    assert first["results"]["scenario"] == {"holds": True, "figure": 56_263_229, "margin": 56_263_229,
                                            "unit": "people", "reason": "made up"}
    assert first["results"]["independent"]["holds"] is False and first["flipped_by"] == ["independent"]
    assert all(r["holds"] is None for r in s["claims"][1]["results"].values())
    assert list(s["profiles"]) == ["scenario", "independent"]
    head = s["profiles"]["independent"]
    assert head["grid_deg"] == 2.0 and head["title"] == "Open critiques <made up>"
    assert head["nato_europe"]["all"]["population_defended"] == a.claims.headlines["independent"]["all"].population_defended
    assert head["nato_europe"]["all"]["fraction_defended_of_threatened"] == pytest.approx(170e6 / 386e6)
    keys = {k for k, _ in parse(index).cells}
    for pointer in ("/claims/0/results/scenario/holds", "/claims/0/results/independent/figure",
                    "/claims/0/results/independent/margin", "/claims/1/results/scenario/holds",
                    "/profiles/scenario/nato_europe/all/population_defended",
                    "/profiles/independent/nato_europe/tabriz/fraction_defended_of_threatened"):
        assert pointer in keys, pointer
    text = index.read_text(encoding="utf-8")
    section = text[text.index('<section id="claims">'):text.index('<section id="assumptions">')]
    assert ">does not hold</td>" in section and ">not testable</td>" in section and "Open critiques &lt;made up&gt;" in section
    assert "<td>independent</td></tr>" in section  # the flipped-by column
    with open(out / "claims-ledger.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["id"], r["profile"], r["holds"]) for r in rows] == [
        ("phase-claim", "scenario", "True"), ("phase-claim", "independent", "False"),
        ("untestable", "scenario", ""), ("untestable", "independent", "")]
    with open(out / "profiles-nato-europe.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["profile"], r["threat_area"], int(r["population_defended"])) for r in rows] == [
        ("scenario", "all", 175_463_462), ("scenario", "tabriz", 175_463_463),
        ("independent", "all", 170_000_000), ("independent", "tabriz", 170_000_001)]


def test_templates_and_css_are_declared_package_data():
    """Every file the page is rendered from is matched by pyproject's package-data globs, so an
    installed (non-editable) shieldsim can write the report."""
    import fnmatch
    import tomllib
    from importlib.resources import files
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["shieldsim"]
    package = Path(str(files("shieldsim")))
    shipped = [p.relative_to(package).as_posix() for p in (package / "report").rglob("*")
               if p.is_file() and p.suffix in (".j2", ".css")]
    assert any(p.endswith("page.html.j2") for p in shipped) and "report/style.css" in shipped
    for p in shipped:
        assert any(fnmatch.fnmatch(p, g) for g in globs), p


def test_how_sure_section_says_how_many_ensemble_members_failed_and_the_first_error(tmp_path):
    from shieldsim import ensemble as E
    from shieldsim import sensitivity as S
    from shieldsim import uncertainty as U
    from shieldsim.report import UncertaintyResult

    def refuses_high_x1(values):
        if values["x1"] > 1.0:
            raise ValueError("no minimum-energy burn")
        return S.ishigami(values)

    figs = [U.Figure(n, 0.0, -np.pi, np.pi, source="t") for n in ("x1", "x2", "x3")]
    ens = E.run(refuses_high_x1, figs, E.design(figs, 5 * 8, 1, "sobol"))
    assert ens.failed
    index = report.write_report(tmp_path, synthetic_assessment(uncertainty=UncertaintyResult(ens.as_dict())))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", index.read_text(encoding="utf-8")))
    assert f"{len(ens.failed)} of 40 members failed" in text
    assert f"first: member {min(ens.failed)}, ValueError: no minimum-energy burn" in text
    assert f"over the {40 - len(ens.failed)} members that finished" in text and "indices are not computed" in text


def test_a_figure_rendered_ahead_embeds_as_the_figure_itself_in_svg_and_in_png():
    from shieldsim.report.svg import rendered

    def figure():
        fig = Figure(figsize=(3, 2))
        fig.add_subplot().plot(np.arange(200.0), np.sin(np.arange(200.0)))
        return fig

    for limit in (report.svg.SVG_LIMIT_BYTES, 1000):  # kept as SVG; over the limit, so PNG
        ahead = rendered(Plot(figure(), caption="c", alt="a"), limit)
        assert isinstance(ahead.figure, bytes if limit == 1000 else str)
        assert (ahead.caption, ahead.alt) == ("c", "a")
        assert report.svg._Figures(limit).html(ahead) == report.svg._Figures(limit).html(Plot(figure(), "c", "a"))
    assert rendered(None) is None and rendered(Plot("<svg/>")).figure == "<svg/>"


def test_an_svg_cleaned_ahead_gets_the_ids_prefix_of_its_place_in_the_page():
    """`report.svg.InlineSvg` (what `rendered` sends between processes) holds the cleaned SVG
    with a slot for the id prefix: placed at any position it equals the SVG inlined there at
    once, also after a round trip through pickle; an SVG holding the slot character itself
    keeps it and still gets its ids prefixed."""
    import pickle

    from shieldsim.report.svg import _ID_SLOT, InlineSvg, _placed

    svg = ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><!-- c --><defs><path id="g" '
           'd="M 1.23456 2 L 3 4"/><clipPath id="c1"><rect/></clipPath></defs><use xlink:href="#g"/>'
           '<g clip-path="url(#c1)" onclick="x()"><use href="#other"/></g></svg>')
    ahead = pickle.loads(pickle.dumps(InlineSvg.of(svg)))
    assert isinstance(ahead, InlineSvg) and ahead.slotted
    for prefix in ("f1-", "f12-"):
        placed = _placed(ahead, prefix, "alt")
        assert placed == report._inline_svg(svg, prefix, "alt")
        assert f'id="{prefix}g"' in placed and f'xlink:href="#{prefix}g"' in placed
        assert f'url(#{prefix}c1)' in placed and 'href="#other"' in placed
        assert _ID_SLOT not in placed and "onclick" not in placed and 'd="M 1.23 2 L 3 4"' in placed
    odd = f'<svg><path id="a" d="M 0 0"/><desc>{_ID_SLOT}</desc><use href="#a"/></svg>'
    kept = pickle.loads(pickle.dumps(InlineSvg.of(odd)))
    assert not kept.slotted
    placed = _placed(kept, "p-", "alt")
    assert placed == report._inline_svg(odd, "p-", "alt") and placed.count(_ID_SLOT) == 1
    assert 'id="p-a"' in placed and 'href="#p-a"' in placed
