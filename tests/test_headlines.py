"""Flat headline numbers of the study commands (`shieldsim.headlines`), as ensemble members see them."""

import pytest

from shieldsim import headlines


@pytest.mark.slow
def test_the_assessment_flying_coverage_and_options_once_gives_the_numbers_of_running_them_apart():
    together = headlines.assessment(grid_deg=8.0, deterrent_phases=False)
    apart = {**headlines.coverage(grid_deg=8.0), **headlines.options(grid_deg=8.0)}
    assert together == apart
    assert "coverage/nato_europe_fraction/all" in together
    assert "cooperation/nato_europe_defended/Sectors of responsibility" in together


@pytest.mark.slow
def test_deterrent_headlines_without_the_sweeps_are_the_study_with_them():
    from shieldsim import scenario as scen
    from shieldsim import study

    arch = study.Architecture.from_scenario(scen.load("deterrent"))
    full = study.deterrent_study(arch, speeds_kms=(4.5,), delays_s=(0.0,), variants=("scenario",),
                                 phases=("epaa-2015", "epaa-phase4"), sweep_variants=("scenario",),
                                 ship_interceptor=None, min_speed=False, areas=("kozelsk",))
    heads = headlines.deterrent(phases=("epaa-2015", "epaa-phase4"), areas=("kozelsk",))
    expected = {f"deterrent/fraction_engageable/{ph}/{b}": f for ph, by_var in full.phase_matrices.items()
                for b, f in by_var["scenario"].fraction_engageable().items()}
    assert heads == expected and len(heads) >= 4
