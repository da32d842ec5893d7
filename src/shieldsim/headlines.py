"""The headline numbers of each study command, flat, for uncertainty ensembles.

Each function runs one whole study under an assumption profile (an ensemble member,
`uncertainty.member_profile`, or None for the nominal run) and returns ``{headline: number}``
with stable names (``/``-separated), so members can be stacked and ranked:

- `coverage`: ``coverage/nato_europe_defended/AREA`` (people of NATO's European members defended)
  and ``coverage/nato_europe_fraction/AREA`` (defended of threatened), per launch area and ``all``;
- `options`: ``cooperation/nato_europe_defended/OPTION`` for the 2010-2011 cooperation options;
- `deterrent`: ``deterrent/fraction_engageable/PHASE/BATTERY`` (share of the strategic flights the
  battery of that EPAA phase can engage, scenario sensors; battery ``any``: by some battery);
- `raid`: ``raid/p_raid_defeated``, ``raid/mean_leakers`` and ``raid/p_any_leaker/AIM``;
- `claims`: ``claims/holds/ID`` (1 holds, 0 does not, NaN untestable) and ``claims/figure/ID``;
- `assessment`: coverage, options and deterrent of `shieldsim assess`.

They are top-level functions of keyword arguments, so ``functools.partial`` of them can be sent
to Dask workers (`ensemble.scenario_study`).
"""

from __future__ import annotations

import math

from . import scenario as scen


def _load(profile):
    """``load(name)`` applying ``profile`` (None: the scenario alone)."""
    from .assumptions import loader

    return loader(profile)


def coverage(profile=None, *, scenario: str = scen.DEFAULT, areas=None, grid_deg: float | None = None) -> dict:
    """NATO-Europe people defended and fraction defended, per launch area and all together."""
    from . import study

    arch = study.Architecture.from_scenario(_load(profile)(scenario))
    return coverage_of(study.coverage(arch, list(areas) if areas else None, grid_deg))


def coverage_of(result) -> dict:
    """The coverage headlines of a `study.CoverageResult`."""
    out = {}
    for area in list(result.population):
        nato = result.nato_europe(area)["nato_europe"]
        out[f"coverage/nato_europe_defended/{area}"] = float(nato["population_defended"])
        out[f"coverage/nato_europe_fraction/{area}"] = float(nato["fraction_defended_of_threatened"])
    return out


def options(profile=None, *, areas=None, grid_deg: float | None = None) -> dict:
    """NATO-Europe people defended under each cooperation option (`study.compare_options`)."""
    from . import study

    cmp = study.compare_options(areas=list(areas) if areas else None, grid_deg=grid_deg, load=_load(profile))
    return options_of(cmp)


def options_of(comparison) -> dict:
    """The cooperation headlines of a `study.OptionsComparison`."""
    return {f"cooperation/nato_europe_defended/{row['option']}": float(row["nato_europe_population_defended"])
            for row in comparison.table()}


def deterrent(profile=None, *, scenario: str = "deterrent", phases=None, areas=None, kind: str | None = None,
              apogee: float | None = None, apogee_fraction: float | None = None) -> dict:
    """Share of the strategic flights each phase's batteries can engage (scenario sensors, the
    phase's own interceptor figures; no speed, delay or ship sweeps, no minimum speeds or
    latest-launch margins: the fractions read only which pairs are engageable). ``areas`` (launch areas,
    default all), ``kind`` (flight shape, default the scenario's), ``apogee`` (m) and
    ``apogee_fraction`` as in `study.deterrent_study`."""
    from . import study

    load = _load(profile)
    arch = study.Architecture.from_scenario(load(scenario))
    res = study.deterrent_study(arch, speeds_kms=(4.5,), delays_s=(0.0,), variants=("scenario",),
                                phases=tuple(phases or study.DETERRENT_PHASES), sweep_variants=("scenario",),
                                ship_interceptor=None, min_speed=False, sweeps=False, margins=False, load=load,
                                areas=tuple(areas) if areas else None, kind=kind, apogee=apogee,
                                apogee_fraction=apogee_fraction)
    out = {}
    for phase, by_var in res.phase_matrices.items():
        for battery, frac in by_var["scenario"].fraction_engageable().items():
            out[f"deterrent/fraction_engageable/{phase}/{battery}"] = float(frac)
    return out


def raid(profile=None, *, scenario: str, document: dict, trials: int, seed: int) -> dict:
    """Leak probabilities of a raid whose engagement table is computed from ``scenario`` under
    the member's figures (the raid's trials and seed as given: every member sees the same random
    numbers)."""
    import copy

    from .battle import Raid, simulate_document
    from .study import Architecture, scenario_engagement_table

    doc = copy.deepcopy(document)
    arch = Architecture.from_scenario(_load(profile)(scenario))
    doc["engagement"] = scenario_engagement_table(arch, Raid.from_dict(doc["raid"]))
    doc["trials"], doc["seed"] = trials, seed
    result, _ = simulate_document(doc)
    s = result.summary()
    out = {"raid/p_raid_defeated": float(s["p_raid_defeated"]), "raid/mean_leakers": float(s["mean_leakers"])}
    for aim, a in s["aim_points"].items():
        out[f"raid/p_any_leaker/{aim}"] = float(a["p_any_leaker"])
    return out


def claims(profile=None, *, claim_ids=None, grid_deg: float = 2.0, catalogue=None) -> dict:
    """Whether each claim holds (1/0; NaN when it cannot be tested) and its figure (``catalogue``:
    a claims TOML file, default the shipped one)."""
    from . import claims as ledger

    items = ledger.load_claims(catalogue)
    if claim_ids:
        items = [c for c in items if c.id in set(claim_ids)]
    res = ledger.evaluate(items, profiles=(profile,), grid_deg=grid_deg)
    out = {}
    for cid, by_profile in res.results.items():
        r = next(iter(by_profile.values()))
        out[f"claims/holds/{cid}"] = math.nan if r.holds is None else float(r.holds)
        if r.figure is not None:
            out[f"claims/figure/{cid}"] = float(r.figure)
    return out


def assessment(profile=None, *, scenario: str = scen.DEFAULT, grid_deg: float | None = None,
               cooperation: bool = True, deterrent_phases: bool = True) -> dict:
    """The headlines of `shieldsim assess`: coverage of ``scenario`` per area, the cooperation
    options and the deterrent fractions per phase and battery.

    When ``scenario`` is one of the cooperation options (the default, epaa-2018, is the first)
    its coverage is the options comparison's row for it: the flights are flown and engaged once
    for both (the same numbers as `coverage` and `options` run one after the other)."""
    from . import study

    option_names = [name for _, name in study.COOPERATION_OPTIONS]
    if cooperation and scenario in option_names:
        cmp = study.compare_options(grid_deg=grid_deg, load=_load(profile))
        out = coverage_of(cmp.results[option_names.index(scenario)])
        out.update(options_of(cmp))
    else:
        out = coverage(profile, scenario=scenario, grid_deg=grid_deg)
        if cooperation:
            out.update(options(profile, grid_deg=grid_deg))
    if deterrent_phases:
        out.update(deterrent(profile))
    return out
