"""Flights shared by content within one run (`study.flight_cache`): the same flights as aiming
afresh, relabelled for a class that differs only in radar cross-section, bounded, and only
inside `sharing`."""

import dataclasses

import numpy as np
import pytest

from shieldsim import scenario, study
from shieldsim.study import flight_cache


@pytest.fixture(scope="module")
def arch():
    return study.Architecture.from_scenario(scenario.load("epaa-2018"))


def _pairs(arch):
    pts = scenario.launch_points(arch.scenario, "tabriz")
    aims = scenario.aim_points(arch.scenario)
    n = len(aims.names)
    return np.full(n, pts.lat[0]), np.full(n, pts.lon[0]), aims.lat, aims.lon


def _same(a, b):
    assert type(a) is type(b)
    for name, value in vars(a).items():
        other = getattr(b, name)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, other, err_msg=name)
        else:
            assert value == other, name


def test_a_repeated_flight_comes_from_the_cache_and_equals_aiming_afresh(arch):
    lat, lon, tlat, tlon = _pairs(arch)
    fresh = study.fly(arch, "irbm", lat, lon, tlat, tlon, unreachable="skip")
    with flight_cache.sharing() as cache:
        first = study.fly(arch, "irbm", lat, lon, tlat, tlon, unreachable="skip")
        again = study.fly(arch, "irbm", lat, lon, tlat, tlon, unreachable="skip")
        other_shape = study.fly(arch, "irbm", lat, lon, tlat, tlon, kind="depressed", apogee=200e3,
                                unreachable="skip")
    assert (cache.hits, cache.misses) == (1, 2)
    assert again is not first
    _same(first, fresh)
    _same(again, fresh)
    assert not np.array_equal(other_shape.apogee_alt, fresh.apogee_alt)
    assert flight_cache.current() is None  # nothing is shared outside the block


def test_a_class_differing_only_in_radar_cross_section_shares_the_flights_with_its_own_labels(arch):
    lat, lon, tlat, tlon = _pairs(arch)
    small = dataclasses.replace(arch, missiles={**arch.missiles, "irbm": dataclasses.replace(
        arch.missiles["irbm"], rcs=0.01, body_rcs=0.5)})
    fresh = study.fly(small, "irbm", lat, lon, tlat, tlon, unreachable="skip")
    with flight_cache.sharing() as cache:
        study.fly(arch, "irbm", lat, lon, tlat, tlon, unreachable="skip")
        shared = study.fly(small, "irbm", lat, lon, tlat, tlon, unreachable="skip")
    assert cache.hits == 1
    _same(shared, fresh)
    assert np.all(shared.rcs == 0.01) and np.all(shared.body_rcs == 0.5)


def test_the_cache_keeps_at_most_its_bound_dropping_the_least_recently_used(arch):
    lat, lon, tlat, tlon = _pairs(arch)
    one = study.fly(arch, "irbm", lat[:2], lon[:2], tlat[:2], tlon[:2])
    size = flight_cache._nbytes(one)
    cache = flight_cache.FlightCache(max_bytes=4 * size + 1)
    keys = [("k", i) for i in range(6)]
    for k in keys[:4]:
        cache.put(k, one)
    assert len(cache) == 4
    cache.get(keys[0], arch.missiles["irbm"])  # now the most recently used
    cache.put(keys[4], one)
    assert len(cache) == 4 and cache.get(keys[1], arch.missiles["irbm"]) is None
    assert cache.get(keys[0], arch.missiles["irbm"]) is not None
    tiny = flight_cache.FlightCache(max_bytes=size)  # larger than a quarter of the bound: not kept
    tiny.put(keys[5], one)
    assert len(tiny) == 0
