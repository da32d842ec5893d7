"""The assessment pipeline every report starts from: what does this architecture do?

`assess(arch, data_dir, ...)` runs, stage by stage, coverage for each threat area (defended
footprint, and the people of NATO's European members threatened and defended -- the headline --
with the rest of the region and the whole grid), the engagement timeline of a representative
threat per area, the deterrent question (the built-in ``deterrent`` bases and aim points against
this architecture's batteries and sensors), the comparison of the 2010-2011 cooperation options
and the claims ledger under every assumption profile; it writes the data files (footprints,
deterrent JSON) under ``data_dir`` and returns an `AssessmentRun`: the `report.Assessment`
(`report.write_report` writes the page) and the `study.CoverageResult`.

``shieldsim assess`` and ``shieldsim compare`` parse options, call `assess` and print. Layer: above
`report` (whose builders make the assessment's rows) and `claims`, below `cli`; it cannot live in
`study` because it runs the claims ledger, which sits above `study`.

``progress(prefix)`` (optional) returns a context manager yielding a ``(stage, done, total)``
callback, e.g. `cli.output.StageProgress`; without it nothing is reported.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ALL_AREAS = "all threat areas together"
"""How the combined footprint (defended against every launch area at once) is labelled."""

DETERRENT_SCENARIO = "deterrent"
"""Built-in scenario whose strategic bases and North American aim points assess uses."""


def _stage(progress, prefix: str):
    """The progress context of one stage (a no-op reporter without ``progress``)."""
    if progress is None:
        return contextlib.nullcontext(lambda *a: None)
    return progress(prefix)


@dataclass
class AssessmentRun:
    """What `assess` returns: the report's `report.Assessment` and the `study.CoverageResult`
    of the assessed architecture (None without launch areas)."""

    assessment: object
    coverage: object = None


@dataclass
class _Sections:
    """The sections computed so far and why the others were not."""

    not_computed: dict = field(default_factory=dict)
    files: list = field(default_factory=list)


def assess(arch, data_dir: Path, grid_deg: float | None = None, cooperation: bool = True, deterrent: bool = True,
           workers: int | None = None, load: Callable | None = None, claims: bool = False, claims_scenario=None,
           profile=None, claims_skipped: str = "skipped (--no-claims)", progress=None,
           report_dir: Path | None = None, concurrent: bool = False, aside=None) -> AssessmentRun:
    """Every stage of the assessment of ``arch`` (a `study.Architecture`); data files go under
    ``data_dir`` and are listed relative to ``report_dir`` (default its parent). ``load(name)``
    reads the other scenarios the assessment uses (cooperation options, the deterrent bases) --
    `scenario.load` by default; pass `assumptions.loader` of the profile ``arch`` was built under
    so that they share it. ``grid_deg``: coverage grid (default the scenario's); ``workers``:
    local Dask processes for coverage and claims (0/None in this process).

    With ``claims``, the claims ledger (`claims_section`) under the scenario alone, every built-in
    profile and ``profile`` (the `assumptions.Profile` ``arch`` was built under, if any), with
    the headline of ``claims_scenario`` (the assessed scenario as written, before any profile;
    default ``arch.scenario``) under each; without, the section is not computed, for the reason
    ``claims_skipped``. Flights aimed by one section are reused by the others
    (`study.flight_cache`; with ``concurrent``, within the second process and within the claims
    ledger: the coverage here aims no flight twice and keeps none).

    With ``concurrent``, the deterrent section (which does not need the coverage) runs in a
    second, spawned process (`background.background`) while this one computes the claims ledger,
    the coverage and the engagement cases; that process draws the deterrent section's figures,
    then takes coverage batches from the back of each list while this one takes them from the
    front (`background.HelpedExecutor`), then the footprint files and maps, the engagement cases
    and the page's figures likewise; same results, about half the wall time on two cores. It stays serial on
    one core, with ``workers`` (Dask) or when ``load`` cannot be pickled.
    ``aside``: that second process already started by the caller (`second_process`, so that its
    start-up overlaps the caller's), which then also decides ``concurrent`` and leaves its block
    after writing the page; None to start one here when ``concurrent``."""
    import matplotlib

    matplotlib.use("Agg")
    from . import scenario as scen
    from .study import flight_cache

    load = load or scen.load
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if aside is not None:  # started by the caller, who checked `_can_run_aside`
        aside.start(side_sections, *_side_args(arch, data_dir, deterrent, load))
        return _assess(arch, data_dir, grid_deg, cooperation, deterrent, workers, load, claims, claims_scenario,
                       profile, claims_skipped, progress, report_dir, aside)
    side = _side_args(arch, data_dir, deterrent, load) if concurrent and _can_run_aside(workers, load, deterrent or claims) else None
    if side is None:
        with flight_cache.sharing():  # sections aim the same flights: once for the whole run
            return _assess(arch, data_dir, grid_deg, cooperation, deterrent, workers, load, claims, claims_scenario,
                           profile, claims_skipped, progress, report_dir)
    from .background import background
    from .compile_ahead import cache_saves_locked

    # Here only the coverage and the engagement cases, which aim no flight twice: no flight cache
    # (it would keep every coverage batch's flights: ~0.9 GB of fresh memory, never read again).
    # Both processes may compile kernels missing from a partly warm cache into one folder.
    with cache_saves_locked(), background(side_sections, *side) as aside:
        return _assess(arch, data_dir, grid_deg, cooperation, deterrent, workers, load, claims, claims_scenario,
                       profile, claims_skipped, progress, report_dir, aside)


def _prepare_second_process() -> None:
    """The second process's first work, before its sections arrive: the Agg backend and the
    modules `side_sections` needs, imported while the caller loads its scenarios."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot

    from . import claims, deterrent, plots, report, study  # noqa: F401


@contextlib.contextmanager
def second_process(workers, load, work: bool, concurrent: bool = True):
    """The second process of a concurrent `assess` (pass it as ``aside``), started at once so that
    its start-up (`_prepare_second_process`) overlaps the caller's loads; None where the
    run stays serial (not ``concurrent``, or see `_can_run_aside`). Leaving the block waits for
    the child's exit (or ends it if its work is unfinished): leave it after writing the page.
    The cache-save lock (`compile_ahead.cache_saves_locked`) is held throughout."""
    if not (concurrent and _can_run_aside(workers, load, work)):
        yield None
        return
    from .background import background
    from .compile_ahead import cache_saves_locked

    with cache_saves_locked(), background(prepare=_prepare_second_process) as child:
        yield child


def _assess(arch, data_dir: Path, grid_deg, cooperation, deterrent, workers, load, claims, claims_scenario, profile,
            claims_skipped, progress, report_dir, aside=None) -> AssessmentRun:
    """`assess` once its arguments are settled; ``aside()``, if given, returns what `side_sections`
    computed in the second process (the deterrent section)."""
    done = _Sections()
    options, coop_archs = _cooperation_archs(arch, load, done) if cooperation else ([], [])
    helped = aside.executor(wrap=_cache_locked) if aside is not None else None  # the child joins when free
    # concurrently the ledger first, while the child computes the deterrent section: the coverage's many
    # batches after it keep both processes busy to the end
    ledger_result = _ledger_helped(arch, claims_scenario, profile, grid_deg, progress, helped) \
        if claims and helped is not None else None
    by_name, cov, coverage_entries, engagement_cases, diff_figs = _coverage(
        arch, coop_archs, grid_deg, workers, progress, data_dir, report_dir or data_dir.parent, done, helped, options)
    side = _wait_aside(aside, progress) if aside is not None else None
    if side is not None:
        det_result, det_summary, det_skipped, _ = side
        if det_skipped is not None:
            done.not_computed["deterrent"] = det_skipped
    elif deterrent:
        det_result, det_summary = _deterrent(arch, data_dir, progress, load, done)
    else:
        det_result, det_summary = None, None
    if not deterrent:
        done.not_computed["deterrent"] = "skipped (--no-deterrent)"
    coop = _cooperation(arch, options, by_name, diff_figs) if options else None
    if not options and "cooperation" not in done.not_computed:
        done.not_computed["cooperation"] = "skipped (--no-cooperation)"
    claims_grid = _claims_grid(arch, grid_deg) if claims else None
    if side is None:
        ledger_result = claims_section(claims_scenario or arch.scenario, profile, claims_grid, progress,
                                       workers) if claims else None
    if not claims:
        done.not_computed["claims"] = claims_skipped
    assessment = _assessment(arch, grid_deg, claims_grid, coverage_entries, engagement_cases, det_result, coop,
                             ledger_result, done)
    assessment.key_findings = key_findings(cov, det_summary, coop) + claims_findings(ledger_result)
    if helped is not None:  # the page's figures drawn here and in the second process, not here alone
        _render_figures(assessment, helped)
    return AssessmentRun(assessment, cov)


def _ledger_helped(arch, claims_scenario, profile, grid_deg, progress, helped):
    """The claims ledger of a concurrent run, computed here while the second process works on the
    deterrent section; its coverage batches go to ``helped`` (the child takes them from the back
    once free). Its flights are shared within the ledger (`study.flight_cache`), as serially."""
    from .study import flight_cache

    with flight_cache.sharing():
        return claims_section(claims_scenario or arch.scenario, profile, _claims_grid(arch, grid_deg), progress,
                              executor=helped)


def _claims_grid(arch, grid_deg) -> float:
    """The claims ledger's grid, degrees: the coverage grid, at least `CLAIMS_MIN_GRID_DEG`."""
    return max(grid_deg or arch.scenario.defended.grid_deg, CLAIMS_MIN_GRID_DEG)


def _can_run_aside(workers, load, work: bool) -> bool:
    """Whether the deterrent section and the claims ledger can go to a second process: there is
    such work, two cores or more, no Dask cluster (``workers``), a picklable ``load`` and no
    ``SHIELDSIM_SERIAL=1`` in the environment."""
    import os
    import pickle

    from .parallel import cores

    if not work or workers or cores() < 2 or os.environ.get("SHIELDSIM_SERIAL", "") not in ("", "0"):
        return False
    try:
        pickle.dumps(load)
    except Exception:  # a closure or lambda: it cannot cross to another process
        return False
    return True


def _side_args(arch, data_dir: Path, deterrent: bool, load) -> tuple:
    """The arguments of `side_sections` for a concurrent run: the deterrent section alone (the
    claims ledger runs in the first process, sharing its coverage batches with the second)."""
    return arch, data_dir, deterrent, load, None


def side_sections(arch, data_dir: Path, deterrent: bool, load, claims_args):
    """The sections that do not need the coverage, as the second process of a concurrent `assess`
    computes them (no progress bars): (deterrent `report` section or None, its JSON summary or
    None, why it was not computed or None, `report.ClaimsResult` or None). ``claims_args``:
    (scenario, profile, grid_deg) of `claims_section`, or None for no ledger."""
    import matplotlib

    matplotlib.use("Agg")
    from .compile_ahead import cache_saves_locked
    from .study import flight_cache

    done = _Sections()
    with flight_cache.sharing(), cache_saves_locked():
        det_result, det_summary = _deterrent(arch, data_dir, None, load, done) if deterrent else (None, None)
        ledger = claims_section(*claims_args) if claims_args is not None else None
        if det_result is not None:
            _rendered(det_result)
    return det_result, det_summary, done.not_computed.get("deterrent"), ledger


def _cache_locked(fn, item):
    """``fn(item)`` holding the cache-save lock (`compile_ahead.cache_saves_locked`): the coverage
    batches the second process takes on."""
    from .compile_ahead import cache_saves_locked

    with cache_saves_locked():
        return fn(item)


def _rendered(section) -> None:
    """Render the figures of a deterrent section (and of its homeland question) as the page will
    embed them (`report.svg.rendered`), in place: the second process draws them, not the first."""
    from .report.svg import rendered

    section.speed_figure = rendered(section.speed_figure)
    section.figures = [rendered(f) for f in section.figures]
    if section.homeland is not None:
        section.homeland.figures = [rendered(f) for f in section.homeland.figures]


def _figure_slots(obj, slots: list, seen: set) -> None:
    """Append ``(set(value), figure or Plot)`` for every matplotlib figure (bare or in a
    `report.Plot`) in the lists and dataclass fields under ``obj``."""
    from dataclasses import fields, is_dataclass
    from functools import partial

    from .results import Plot

    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, list):
        items, setter = list(enumerate(obj)), obj.__setitem__
    elif is_dataclass(obj) and not isinstance(obj, type):
        items, setter = [(f.name, getattr(obj, f.name)) for f in fields(obj)], partial(setattr, obj)
    else:
        return
    for key, value in items:
        if hasattr(value.figure if isinstance(value, Plot) else value, "savefig"):
            slots.append((partial(setter, key), value))
        else:
            _figure_slots(value, slots, seen)


def _render_figures(assessment, ex) -> None:
    """Draw every matplotlib figure of ``assessment`` as the page embeds it (`report.svg.rendered`),
    on ``ex`` (the `background.HelpedExecutor` of a concurrent run), in place; the page is the same."""
    from .report.svg import rendered

    slots: list = []
    _figure_slots(assessment, slots, set())
    for k, plot in ex.as_completed(rendered, [value for _, value in slots]):
        slots[k][0](plot)


def _wait_aside(aside, progress):
    """What the second process computed (`side_sections`), waiting for it under a progress line."""
    with _stage(progress, "") as bar:
        bar("deterrent (second process)", 0, 1)
        side = aside()
        bar("deterrent (second process)", 1, 1)
    return side


def _cooperation_archs(arch, load, done: _Sections) -> tuple[list, list]:
    """The cooperation options (label, scenario name) and their architectures, or none (with the
    reason) when they face other threats than ``arch``."""
    from . import study

    options = list(study.COOPERATION_OPTIONS)
    coop_archs = [arch if name == arch.name else study.Architecture.from_scenario(load(name)) for _, name in options]
    try:
        study.same_threats([arch] + coop_archs)
    except ValueError as err:
        done.not_computed["cooperation"] = f"the cooperation scenarios face other threats than {arch.name}: {err}"
        return [], []
    return options, coop_archs


def _coverage(arch, coop_archs, grid_deg, workers, progress, data_dir: Path, report_dir: Path, done: _Sections,
              helped=None, options=()):
    """Coverage of ``arch`` and the cooperation architectures (one pass over shared flights), then
    the footprint files and maps, the engagement cases (`representative_engagement` of each launch
    area) and the difference maps of the cooperation ``options`` (label, scenario name; the
    architectures ``coop_archs``) against the first: one list of work items, so a concurrent
    run's two processes share it. Returns (results by scenario name, ``arch``'s
    `study.CoverageResult` or None, report entries, engagement cases, difference maps).
    ``helped``: the `background.HelpedExecutor` of a concurrent run (else one for ``workers``)."""
    from functools import partial

    from . import report, study
    from .parallel import InProcessExecutor, executor

    areas = list(arch.scenario.launch_areas)
    together = [arch] + [a for a in coop_archs if a is not arch]
    with _stage(progress, "coverage: ") as bar, (helped or executor(workers)) as ex:
        results = study.coverage_many(together, areas, grid_deg, progress=bar, executor=ex) if areas else []
    if not areas:
        done.not_computed["coverage"] = f"scenario {arch.name!r} has no launch areas"
    by_name = {a.name: r for a, r in zip(together, results)}
    cov = by_name.get(arch.name)
    items = list(cov.footprints.items()) if cov is not None else []
    work = [("footprint", item) for item in items] + [("case", area) for area in areas]
    work += [("difference", (option_arch, by_name[options[0][1]].footprints["all"], by_name[name].footprints["all"],
                             label, options[0][0]))
             for (label, name), option_arch in zip(options[1:], coop_archs[1:])]
    made = [None] * len(work)  # each footprint's (files, map), each area's case: on either process if helped
    with _stage(progress, "engagements: ") as bar:
        cases_done = 0
        for k, out in (helped or InProcessExecutor()).as_completed(
                partial(_after_coverage, arch, data_dir, helped is not None), work):
            made[k] = out
            if work[k][0] == "case":
                cases_done += 1
                bar("timelines", cases_done, len(areas))
    entries = []
    for (name, fp), (paths, fig) in zip(items, made):
        for path in paths:
            done.files.append(report.DataFile(str(path.relative_to(report_dir)), f"footprint against {name}"))
        label = ALL_AREAS if name == "all" else name
        entries.append(report.coverage_result(
            label, cov.population[name], threats=fp.threat_classes, map=_map_plot(fig, label),
            notes=f"{fp.attrs.get('flights')} flights; launch points: {', '.join(fp.launch_points)}",
            year=arch.scenario.year))
    cases = [case for case in made[len(items):len(items) + len(areas)] if case is not None]  # none: reaches no aim
    return by_name, cov, entries, cases, made[len(items) + len(areas):]


def _after_coverage(arch, data_dir: Path, draw: bool, work: tuple):
    """One work item after the coverage: ``("footprint", (name, footprint))`` -> its files and map
    (`_footprint_outputs`), ``("case", area)`` -> the area's engagement case or None
    (`representative_engagement`), ``("difference", (option architecture, first option's
    footprint, this option's footprint, label, first label))`` -> the difference map
    (`_difference_plot`); with ``draw`` the figures drawn as the page embeds them
    (`report.svg.rendered`), so that the process computing them can send them back."""
    from .report.svg import rendered

    kind, item = work
    if kind == "footprint":
        return _footprint_outputs(arch, data_dir, draw, item)
    if kind == "difference":
        plot = _difference_plot(*item)
        return rendered(plot) if draw else plot
    case = representative_engagement(arch, item)
    if draw and case is not None:
        case.figures = [rendered(f) for f in case.figures]
    return case


def _difference_plot(option_arch, base_fp, fp, label: str, base_label: str):
    """The report's `report.Plot` of the cells ``label`` gains and loses against ``base_label``
    (footprints against all threat areas together), with the option's sites."""
    from . import plots, report

    return report.Plot(plots.difference_figure(option_arch, base_fp, fp, f"{label} compared with {base_label}"),
                       caption=f"Cells gained (blue) and lost (orange) by '{label}', with its sites")


def _map_plot(fig, label: str):
    """The report's `report.Plot` of a footprint map (a figure, or one drawn as the page embeds it)."""
    from . import report

    if isinstance(fig, report.Plot):
        return fig
    return report.Plot(fig, caption=f"Defended (blue) and threatened but undefended (orange) cells against {label}")


def _footprint_outputs(arch, data_dir: Path, draw: bool, item) -> tuple:
    """The data files of one footprint ``item`` (name, `coverage.Footprint`), written, and its map:
    (file paths, figure), or with ``draw`` the map drawn as the page embeds it (`report.svg.rendered`,
    so that the process computing it can send it back)."""
    from . import plots

    name, fp = item
    paths = list(fp.write(data_dir / f"footprint-{name}"))
    fig = plots.footprint_figure(arch, fp)
    if draw:
        from .report.svg import rendered

        fig = rendered(_map_plot(fig, ALL_AREAS if name == "all" else name))
    return paths, fig


def _deterrent(arch, data_dir: Path, progress, load, done: _Sections):
    """`deterrent_section` with the homeland question (`homeland_section`) when it applies, or
    (None, None) with the reason when the deterrent scenario does not fit."""
    try:
        det_result, det_summary = deterrent_section(arch, data_dir, progress, load)
    except (ValueError, KeyError) as err:
        done.not_computed["deterrent"] = str(err)
        return None, None
    det_result.homeland = homeland_section(arch, data_dir, progress, load)
    return det_result, det_summary


def _cooperation(arch, options, by_name, diff_figs):
    """The report's `report.CooperationResult`: people defended under each option (one NATO
    membership year, the assessed scenario's), with ``diff_figs``, the difference maps of the
    other options against the first (`_difference_plot`)."""
    from . import report, study
    from .geography import nato_europe_population

    comparison = study.OptionsComparison([label for label, _ in options], [name for _, name in options],
                                         [by_name[name] for _, name in options])
    year = arch.scenario.year
    return report.CooperationResult(
        options=[report.CooperationOption(option=row["option"], scenario=row["scenario"],
                                          population_protected=row["population_protected"],
                                          population_total=comparison.results[i].population["all"]
                                          .as_dict()["population_total"],
                                          nato_europe=report.region_population(nato_europe_population(
                                              comparison.results[i].population["all"], year)["nato_europe"]))
                 for i, row in enumerate(comparison.table())],
        difference_map=diff_figs[0] if diff_figs else None, figures=diff_figs[1:],
        notes="Same threats and grid for every option, and the same NATO membership (the assessed scenario's "
              "year). Sectors: a battery engages only where its first intercept opportunity lies over a sector "
              "its side is responsible for.")


def _assessment(arch, grid_deg, claims_grid, coverage_entries, engagement_cases, det_result, coop, ledger_result,
                done: _Sections):
    """The `report.Assessment` of the computed sections, with its provenance."""
    from . import assumptions, report, study
    from . import scenario as scen

    sc = arch.scenario
    provenance = report.Provenance.now(
        {**arch.models.as_dict(), "refraction": scen.refraction_summary(sc)},
        command="shieldsim " + " ".join(sys.argv[1:]) if sys.argv and "shieldsim" in sys.argv[0] else "shieldsim assess",
        grid_deg=grid_deg or sc.defended.grid_deg, threat_step_s=study.DEFAULT_STEP_S,
        rules=study.provenance(arch)["rules"], deterrent_scenario=DETERRENT_SCENARIO,
        assumptions=assumptions.record(sc), claims_grid_deg=claims_grid)
    return report.Assessment(
        scenario=arch.name, scenario_text=scen.dump(sc), provenance=provenance, title=sc.title or arch.name,
        description=getattr(sc, "description", "") or "", assumptions=report.assumptions_from_scenario(sc),
        coverage=coverage_entries or None, engagement=engagement_cases or None, deterrent=det_result,
        cooperation=coop, claims=ledger_result, data_files=done.files, not_computed=done.not_computed)


CLAIMS_MIN_GRID_DEG = 2.0
"""The claims ledger runs on the assessment's coverage grid, but never finer than this (degrees):
it repeats every study under each assumption profile, so it stays coarse to stay quick."""


def claims_section(scenario, profile, grid_deg: float, progress=None, workers: int | None = None, executor=None):
    """The claims ledger (`claims.evaluate` of the shipped catalogue) under the scenario alone,
    every built-in assumption profile and ``profile`` (if given and not a built-in), with the
    NATO-Europe headline of ``scenario`` (as written) under each, on ``grid_deg``; as a
    `report.ClaimsResult`. Coverage batches run on ``executor`` if given, else on
    ``parallel.executor(workers)``."""
    from . import claims as ledger_mod
    from .assumptions import builtin_profiles
    from .parallel import executor as make_executor

    builtins = builtin_profiles()
    profiles = [None] + builtins + ([profile] if profile is not None and profile.name not in builtins else [])
    with _stage(progress, "claims: ") as bar, (executor or make_executor(workers)) as ex:
        ledger = ledger_mod.evaluate(ledger_mod.load_claims(), profiles, grid_deg=grid_deg, executor=ex,
                                     progress=bar, extra_coverage=[scenario])
    return claims_result(ledger, scenario.name)


def claims_result(ledger, scenario: str):
    """A `claims.Ledger` as the report's `report.ClaimsResult`, with ``scenario``'s headlines."""
    from . import report

    flips = ledger.flips()
    rows = [report.ClaimRow(id=c.id, claimant=c.claimant, side=c.side, date=c.date,
                            statement=" ".join(c.statement.split()), statement_kind=c.statement_kind,
                            source=" ".join(c.source.split()), check=c.describe_check(),
                            results={p: ledger.results[c.id][p].as_dict() for p in ledger.profiles},
                            flipped_by=flips.get(c.id, [])) for c in ledger.claims]
    headlines = {p: {area: report.region_population(g) for area, g in by_area.items()}
                 for p, by_area in ledger.headlines(scenario).items()}
    return report.ClaimsResult(
        profiles=list(ledger.profiles), claims=rows, headlines=headlines, grid_deg=ledger.attrs["grid_deg"],
        profile_titles=ledger.attrs.get("profile_titles", {}),
        notes=f"Ledger computed in {ledger.attrs.get('seconds')} s on a {ledger.attrs['grid_deg']:g}-degree grid. "
              "A claim's reading (how its words become the predicate) is shieldsim's and is stated with its "
              "test; see docs/claims.md.")


def claims_findings(c) -> list[str]:
    """One key finding on the claims ledger (none when it was not computed)."""
    if c is None or not c.claims:
        return []
    first = c.profiles[0]
    verdicts = [r.results[first]["holds"] for r in c.claims]
    flipped = [r.id for r in c.claims if r.flipped_by]
    text = (f"Claims ledger: of {len(verdicts) - verdicts.count(None)} claims of the dispute shieldsim can test, "
            f"{verdicts.count(True)} hold and {verdicts.count(False)} do not under the scenarios as written "
            f"({verdicts.count(None)} cannot be tested); ")
    text += (f"the assumption profiles change the verdict of {len(flipped)} ({', '.join(flipped)})."
             if flipped else "no assumption profile changes any verdict.")
    return [text]


def representative_engagement(arch, area: str):
    """The engagement case of one threat from ``area``: the area's longest-range class flown
    from its first launch point to the scenario aim point at the median range among those it
    reaches (None if it reaches none)."""
    import numpy as np

    from . import report, study
    from . import scenario as scen

    sc = arch.scenario
    pts = scen.launch_points(sc, area)
    targets = scen.aim_points(sc)
    if not len(pts.names) or not len(targets.names):
        return None
    classes = sorted(sc.launch_areas[area].threats, key=lambda c: arch.missiles[c].published_range)
    cls = classes[-1]
    n = len(targets.names)
    flights, kept, _ = study.fly_within_reach(arch, cls, np.full(n, pts.lat[0]), np.full(n, pts.lon[0]),
                                              targets.lat, targets.lon)
    if flights is None:
        return None
    from .earth import surface_distance

    dist = surface_distance(pts.lat[0], pts.lon[0], targets.lat[kept], targets.lon[kept], arch.models.earth)
    k = int(np.argsort(dist)[kept.size // 2])
    label = f"{cls} {pts.names[0]} -> {targets.names[kept[k]]}"
    traj = flights.subset(slice(k, k + 1))
    traj.labels = np.array([label], dtype=object)
    e, tr = study.engage_flights(arch, traj)
    return report.engagement_case(traj, e, arch.batteries, 0, threat_area=area, threat=label,
                                  **study.first_flight_facts(tr))


def deterrent_section(arch, data: Path, progress=None, load=None):
    """The deterrent study of the built-in strategic bases and aim points (read with ``load``,
    default `scenario.load`) against this architecture's batteries and sensors; (report section,
    JSON summary)."""
    import json

    from . import scenario as scen
    from . import study
    from .jsonout import json_safe

    det = (load or scen.load)(DETERRENT_SCENARIO)
    combined = det.model_copy(update={
        "name": f"{arch.name}+{DETERRENT_SCENARIO}", "radars": arch.scenario.radars,
        "launch_detectors": arch.scenario.launch_detectors, "networks": arch.scenario.networks,
        "interceptors": arch.scenario.interceptors, "batteries": arch.scenario.batteries,
        "models": arch.scenario.models, "sectors": {}})
    det_arch = study.Architecture.from_scenario(combined)
    with _stage(progress, "deterrent: ") as bar:  # every flight shape, shown side by side
        result = study.deterrent_shapes(det_arch, shapes=study.FLIGHT_SHAPES, phases=(),
                                        variants=("scenario", "cue-as-track"), ship_interceptor=None, progress=bar)
    summary = json.loads(json.dumps(json_safe(result.as_dict()), allow_nan=False))  # as `jsonout.to_json` reads back
    (data / "deterrent.json").write_text(json.dumps(summary, indent=1))
    return result.to_report(variant="scenario"), summary


def homeland_section(arch, data: Path, progress=None, load=None):
    """The homeland question (`homeland.homeland_study` of the built-in ``homeland`` scenario,
    read with ``load``) when ``arch`` is a phase-4 architecture (`homeland.applies`), else None;
    its JSON goes to ``data/homeland.json``. A 3-degree ship sweep keeps it quick."""
    import json

    from . import homeland as hl
    from . import scenario as scen
    from . import study
    from .jsonout import to_json

    if not hl.applies(arch):
        return None
    with _stage(progress, "homeland: ") as bar:
        res = hl.homeland_study(study.Architecture.from_scenario((load or scen.load)(hl.HOMELAND_SCENARIO)),
                                ship_step_deg=3.0, progress=bar)
    (data / "homeland.json").write_text(json.dumps(json.loads(to_json(res.as_dict())), indent=1))
    return res.to_report()


def _millions(people: float) -> str:
    """People in millions as a finding states them: '237 million', '4.2 million'."""
    m = people / 1e6
    return f"{m:,.0f} million" if m >= 10 else f"{m:,.1f} million"


def nato_europe_finding(nato: dict, threat: str) -> str:
    """The headline sentence: people of NATO's European members threatened by ``threat`` (e.g.
    "launches from central-iran") and how many of them are defended, with the membership year."""
    year = nato["membership_year"]
    whose = (f"membership of {year}, shieldsim's default year: the scenario gives none"
             if nato["membership_year_from"] == "default" else f"membership of {year}")
    if not nato["population_threatened"]:
        return f"No one in NATO's European members ({whose}) is threatened by {threat}."
    return (f"{_millions(nato['population_defended'])} of the {_millions(nato['population_threatened'])} people in "
            f"NATO's European members threatened by {threat} are defended "
            f"({nato['fraction_defended_of_threatened']:.0%}; {whose}, {len(nato['members'])} members with "
            f"{_millions(nato['population_total'])} people on the grid).")


def key_findings(cov, det_summary, coop) -> list[str]:
    """Plain-language headline findings from the computed figures, led by the people of NATO's
    European members threatened and defended (all threat areas together, then per area), then
    the rest of the region and the whole grid."""
    out = []
    if cov is not None:
        d = cov.as_dict()
        out.append(nato_europe_finding(d["nato_europe"], "launches from all threat areas together"))
        for area, a in d["threat_areas"].items():
            out.append(nato_europe_finding(a["nato_europe"], f"launches from {area}"))
        rest = d["rest_of_region"]
        if rest["population_threatened"]:
            out.append(f"Rest of the region (the other countries on the grid, reported apart): "
                       f"{_millions(rest['population_defended'])} of the {_millions(rest['population_threatened'])} "
                       f"people threatened by launches from all threat areas together are defended "
                       f"({rest['fraction_defended_of_threatened']:.0%}).")
        out.append(f"Whole grid (everyone in the defended region's box, threatened or not): "
                   f"{_millions(d['population_protected'])} of {_millions(d['population_total'])} people defended "
                   f"against all threat areas together ({d['fraction_protected']:.0%}).")
    if det_summary is not None:
        fr = {k: v for k, v in (det_summary.get("fraction_engageable") or {}).items() if v is not None and k != "any"}
        if fr and max(fr.values()) > 0:
            best = max(fr.items(), key=lambda kv: kv[1])
            out.append(f"Deterrent question: the most capable battery ({best[0]}) can engage "
                       f"{best[1]:.0%} of the Russian ICBM and SLBM flights to North America with the scenario's "
                       "sensors and interceptor speeds.")
        elif fr:
            out.append("Deterrent question: no battery can engage any of the Russian ICBM or SLBM flights to North "
                       "America with the scenario's sensors and interceptor speeds.")
    if coop is not None:
        rows = coop.options
        base = rows[0]
        for r in rows[1:]:
            diff = r.population_protected - base.population_protected
            if r.nato_europe is not None and base.nato_europe is not None:
                nato = r.nato_europe.population_defended - base.nato_europe.population_defended
                out.append(f"{r.option} ({r.scenario}): {nato / 1e6:+,.1f} million people of NATO's European members "
                           f"defended compared with {base.option} (whole grid: {diff / 1e6:+,.1f} million).")
            else:
                out.append(f"{r.option} ({r.scenario}): {diff / 1e6:+,.1f} million people protected compared "
                           f"with {base.option}.")
    return out
