"""`trajectory.minimum_energy`: closed form against independent two-body formulas, and the
iterated solution on WGS84 / rotating Earth against `fly`."""

import json
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from shieldsim.cli import main
from shieldsim.earth import SPHERE, WGS84
from shieldsim.trajectory import Models, fly, minimum_energy

R = SPHERE.equatorial_radius
GM = SPHERE.gm
CASES = [(100e3, 0.0), (300e3, 30e3), (1300e3, 100e3), (3500e3, 200e3), (10_000e3, 300e3), (15_000e3, 150e3)]


def independent(ground_range, h):
    """Minimum-energy arc from the free-flight equation
        r1/r2 = (1 - cos psi) / (nu cos^2 g) + cos(g + psi) / cos g,   nu = v^2 r1 / GM,
    minimised over g: d/dg [cos g (rho cos g - cos(g + psi))] = 0  <=>  sin(2g + psi) = rho sin 2g
    (rho = r1/r2); time of flight by Lagrange's equation for a = s/2; apogee from the energy and
    angular momentum."""
    psi = ground_range / R
    r1, r2 = R + h, R
    rho = r1 / r2
    g = brentq(lambda x: math.sin(2 * x + psi) - rho * math.sin(2 * x), -0.5, math.pi / 2 - 1e-9, xtol=1e-15)
    nu = (1 - math.cos(psi)) / (math.cos(g) * (rho * math.cos(g) - math.cos(g + psi)))
    v = math.sqrt(nu * GM / r1)
    c = math.sqrt(r1**2 + r2**2 - 2 * r1 * r2 * math.cos(psi))
    s = (r1 + r2 + c) / 2
    a = s / 2
    beta = 2 * math.asin(math.sqrt((s - c) / s))
    if psi > math.pi:
        beta = -beta
    tof = math.sqrt(a**3 / GM) * (math.pi - beta + math.sin(beta))
    energy = v * v / 2 - GM / r1
    h_ang = r1 * v * math.cos(g)
    a_e = -GM / (2 * energy)
    e = math.sqrt(1 + 2 * energy * h_ang**2 / GM**2)
    return v, g, tof, a_e * (1 + e) - R


@pytest.mark.parametrize("ground_range,h", CASES)
def test_closed_form_agrees_with_independent_two_body_formulas(ground_range, h):
    me = minimum_energy(ground_range, h)
    v, g, tof, apo = independent(ground_range, h)
    assert me.method == "closed-form"
    assert me.burnout_speed[0] == pytest.approx(v, rel=1e-6)
    assert me.gamma[0] == pytest.approx(g, rel=1e-6)
    assert me.flight_time[0] == pytest.approx(tof, rel=1e-6)
    assert me.apogee_alt[0] == pytest.approx(apo, rel=1e-6)


def test_short_flat_arc_tends_to_45_degrees_and_v_squared_equals_g_range():
    me = minimum_energy(1e3, 0.0)
    assert math.degrees(me.gamma[0]) == pytest.approx(45.0, abs=0.01)
    assert me.burnout_speed[0] ** 2 == pytest.approx(GM / R**2 * 1e3, rel=1e-3)


def test_closed_form_burnout_state_flown_by_fly_lands_at_the_range():
    rng = np.array([c[0] for c in CASES])
    h = np.array([c[1] for c in CASES])
    me = minimum_energy(rng, h)
    f = fly(0.3, 0.2, h, me.burnout_speed, me.gamma, 1.1, Models(SPHERE, False, False))
    assert np.allclose(f.ground_range, rng, rtol=1e-6)
    assert np.allclose(f.flight_time, me.flight_time, rtol=1e-6)
    assert np.allclose(f.apogee_alt, me.apogee_alt, rtol=1e-6)


def test_iterated_solution_reproduces_the_closed_form_on_the_sphere():
    rng, h = np.array([500e3, 4000e3]), np.array([50e3, 250e3])
    closed = minimum_energy(rng, h)
    it = minimum_energy(rng, h, iterate=True)
    assert it.method == "iterated"
    assert np.allclose(it.burnout_speed, closed.burnout_speed, rtol=1e-9)
    assert np.allclose(it.gamma, closed.gamma, rtol=1e-5)
    assert np.allclose(it.flight_time, closed.flight_time, rtol=1e-5)


def test_rotating_wgs84_solution_reaches_the_range_at_the_angle_of_greatest_range():
    models = Models(WGS84, True, False)
    lat, lon, heading = math.radians(35.0), math.radians(51.0), math.radians(300.0)
    me = minimum_energy(2000e3, 120e3, models, lat, lon, heading)
    assert me.method == "iterated"
    f = fly(lat, lon, 120e3, me.burnout_speed, me.gamma, heading, models)
    assert f.ground_range[0] == pytest.approx(2000e3, rel=1e-7)
    # at fixed speed, the minimum-energy angle is the angle of greatest range
    side = fly(lat, lon, 120e3, me.burnout_speed[0], me.gamma[0] + np.array([-0.02, 0.02]), heading, models)
    assert np.all(side.ground_range < f.ground_range[0])
    # rotation matters: the non-rotating answer differs
    assert abs(me.burnout_speed[0] - minimum_energy(2000e3, 120e3).burnout_speed[0]) > 10.0


def run(args, capsys):
    with pytest.raises(SystemExit) as ex:
        main(args)
    out = capsys.readouterr()
    return ex.value.code, out.out, out.err


def test_cli_min_energy_json(capsys):
    code, out, _ = run(["min-energy", "--range-km", "1300", "--burnout-alt-km", "100", "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    v, g, tof, apo = independent(1300e3, 100e3)
    assert d["burnout_speed_kms"] == pytest.approx(v / 1e3, rel=1e-6)
    assert d["gamma_deg"] == pytest.approx(math.degrees(g), rel=1e-6)
    assert d["flight_time_s"] == pytest.approx(tof, rel=1e-6)
    assert d["apogee_km"] == pytest.approx(apo / 1e3, rel=1e-6)
    assert d["models"] == {"earth": "sphere", "rotation": False, "drag": False} and d["version"]


def test_cli_min_energy_bad_input_is_one_line_exit_2(capsys):
    code, _, err = run(["min-energy", "--range-km", "-5", "--burnout-alt-km", "100"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--range-km" in err
