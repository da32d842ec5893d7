"""The explorer without a browser: controls become the edited scenario (what the TOML download
holds), bad input names its control, the engine's battery switch gives what removing the battery
gives, and the server serves no file outside its assets and survives bad requests."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import numpy as np
import pytest

from shieldsim import scenario as scen
from shieldsim import study
from shieldsim.explore import controls as ctl


def built(**kw) -> ctl.Built:
    return ctl.build(ctl.parse(kw), ctl.Uploads())


def test_out_of_range_or_non_numeric_values_name_their_control():
    for data, control in (({"speed_percent": 1000}, "speed_percent"), ({"grid_deg": "x"}, "grid_deg"),
                          ({"launch_delay_s": -1}, "launch_delay_s"), ({"grid_deg": float("nan")}, "grid_deg"),
                          ({"batteries_off": "redzikowo"}, "batteries_off")):
        with pytest.raises(ctl.ControlError) as err:
            ctl.parse(data)
        assert err.value.control == control and "allowed" in err.value.message


def test_unknown_names_are_refused_with_the_allowed_ones():
    for data, control, allowed in (({"scenario": "nope"}, "scenario", "epaa-2018"),
                                   ({"batteries_off": ["nope"]}, "batteries_off", "redzikowo"),
                                   ({"radars_off": ["nope"]}, "radars_off", "kurecik-tpy2"),
                                   ({"threat_area": "nope"}, "threat_area", "tabriz"),
                                   ({"profile": "nope"}, "profile", "independent"),
                                   ({"option": "nope"}, "option", "NATO alone")):
        with pytest.raises(ctl.ControlError) as err:
            built(**data)
        assert err.value.control == control and allowed in err.value.message


def test_a_battery_switched_off_leaves_the_scenario_on_screen_only():
    b = built(batteries_off=["redzikowo"])
    assert "redzikowo" in b.full.batteries and "redzikowo" not in b.shown.batteries
    again = scen.loads(b.toml)
    assert again == b.shown and "batteries switched off: redzikowo" in again.description


def test_a_radar_switched_off_leaves_every_network_and_own_radar_list():
    b = built(radars_off=["kurecik-tpy2"])
    assert "kurecik-tpy2" not in b.full.radars
    assert all("kurecik-tpy2" not in n.members for n in b.full.networks.values())
    with pytest.raises(ctl.ControlError) as err:
        built(radars_off=["spy1-redzikowo"], scenario="epaa-2018")
    assert err.value.control == "radars_off" and "redzikowo" in err.value.message


def test_speed_and_delay_scale_every_interceptor_and_are_recorded_with_a_source():
    b = built(speed_percent=50, launch_delay_s=90)
    base = scen.interceptors(scen.load("epaa-2018"))
    now = scen.interceptors(b.shown)
    for name, icpt in base.items():
        match = [v for k, v in now.items() if k.startswith(name)]
        assert match and np.isclose(match[0].burnout_speed, 0.5 * icpt.burnout_speed)
        assert match[0].launch_delay == 90.0
    assert b.shown.assumptions.profile == "explore"
    assert all("shieldsim explore" in o.source for o in b.shown.assumptions.overrides)
    assert scen.loads(b.toml) == b.shown


def test_a_profile_and_the_speed_together_keep_both_records():
    b = built(profile="independent", speed_percent=80)
    assert b.shown.assumptions.profile == "independent-explore"
    paths = [o.path for o in b.shown.assumptions.overrides]
    assert "interceptor_types.sm3-ia.sspk" in paths and "interceptor_types.*.burnout_speed_kms" in paths


def test_a_speed_pushing_a_figure_out_of_its_range_is_an_error_on_the_speed_control():
    with pytest.raises(ctl.ControlError) as err:
        built(scenario="epaa-phase4", speed_percent=300)  # 5.5 km/s x 3 > 11 km/s allowed
    assert err.value.control == "speed_percent" and "burnout_speed_kms" in err.value.message


def test_an_invalid_upload_gives_the_messages_of_validate(tmp_path):
    text = 'extends = "epaa-2018"\n[batteries.redzikowo]\ninventory = -3\n'
    with pytest.raises(ctl.ControlError) as err:
        ctl.Uploads().add(text)
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(scen.ScenarioError) as expected:
        scen.load(path)
    assert err.value.control == "upload"
    assert [str(i) for i in expected.value.issues][0] in err.value.message


def test_an_upload_may_extend_only_a_builtin_so_the_server_reads_no_file(tmp_path):
    secret = tmp_path / "secret.toml"
    secret.write_text('name = "secret"\n')
    for parent in (str(secret), "../secret.toml"):
        with pytest.raises(ctl.ControlError) as err:
            ctl.Uploads().add(f'extends = "{parent}"\n')
        assert "only a built-in" in err.value.message
    key = ctl.Uploads().add('extends = "epaa-2011"\nname = "mine"\n')
    assert len(key) == 16


def test_a_cooperation_option_counts_nato_europe_with_the_first_options_year():
    b = built(option="Sectors of responsibility")
    assert b.shown.name == "sectoral-2010" and b.year == scen.load("epaa-2018").year != b.shown.year


@pytest.mark.slow
def test_switching_a_battery_off_gives_what_removing_it_from_the_scenario_gives():
    from shieldsim.explore.engine import Engine

    engine = Engine()
    c = {"threat_area": "tabriz", "grid_deg": 5}
    full = engine.compute(built(**c))
    off = engine.compute(built(**c, batteries_off=["redzikowo"]))
    direct = study.coverage(study.Architecture.from_scenario(off.built.shown), ["tabriz"], 5)
    assert off.nato_europe() == direct.nato_europe("all")
    assert np.array_equal(off.footprint.defended, direct.footprints["all"].defended)
    assert off.nato_europe()["nato_europe"]["population_defended"] < full.nato_europe()["nato_europe"]["population_defended"]
    assert engine.compute(built(**c)) is full  # going back: the cached result


@pytest.mark.slow
def test_flights_flown_on_a_dask_cluster_give_the_in_process_figures():
    from shieldsim.explore.engine import Engine
    from shieldsim.parallel import executor

    c = built(threat_area="tabriz", grid_deg=5)
    here = Engine().compute(c)
    with executor(workers=1) as ex:
        engine = Engine(executor=ex)
        there = engine.compute(c)
    assert engine.stats.flown == 3 and there.nato_europe() == here.nato_europe()
    assert np.array_equal(there.footprint.defended, here.footprint.defended)


def test_explore_refuses_workers_with_a_scheduler(capsys):
    from shieldsim.cli import main

    with pytest.raises(SystemExit) as ex:
        main(["explore", "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786", "--no-browser"])
    assert ex.value.code == 2 and "--workers" in capsys.readouterr().err


def test_a_batterys_interceptor_choice_is_in_the_downloaded_scenario_and_names_its_control():
    b = built(interceptors={"redzikowo": "sm3-iib"}, speed_percent=80)
    assert b.shown.batteries["redzikowo"].interceptor == "sm3-iib"
    assert "redzikowo fires sm3-iib" in b.shown.description
    assert scen.loads(b.toml) == b.shown
    nominal = scen.interceptors(built(interceptors={"redzikowo": "sm3-iib"}).shown)["sm3-iib"]
    assert np.isclose(scen.interceptors(b.shown)["sm3-iib"].burnout_speed, 0.8 * nominal.burnout_speed)  # the speed reaches it
    for choice, allowed in (({"redzikowo": "nope"}, "sm3-iia"), ({"nope": "sm3-ib"}, "redzikowo")):
        with pytest.raises(ctl.ControlError) as err:
            built(interceptors=choice)
        assert err.value.control == "interceptors" and allowed in err.value.message
    with pytest.raises(ctl.ControlError) as err:
        ctl.parse({"interceptors": ["sm3-ib"]})
    assert err.value.control == "interceptors"


@pytest.mark.slow
def test_interceptor_and_radar_changes_reengage_only_what_changed_and_match_coverage():
    from shieldsim.explore.engine import Engine

    engine, c = Engine(), {"threat_area": "tabriz", "grid_deg": 5}
    engine.compute(built(**c))
    flights = engine.stats.engaged_pairs // 4
    for change, detected, engaged in (({"interceptors": {"redzikowo": "sm3-ia"}}, 0, flights),  # one column
                                      ({"speed_percent": 80}, 0, 4 * flights),  # the tracks are reused
                                      ({"radars_off": ["kurecik-tpy2"]}, 3, None),
                                      # back under the first sensors: their columns were kept
                                      ({"interceptors": {"redzikowo": "sm3-iib"}}, 0, flights)):
        res = engine.compute(built(**c, **change))
        assert engine.stats.flown == 0 and engine.stats.detected == detected
        assert engaged is None or engine.stats.engaged_pairs == engaged
        direct = study.coverage(study.Architecture.from_scenario(res.built.shown), ["tabriz"], 5)
        assert res.nato_europe() == direct.nato_europe("all")
        assert np.array_equal(res.footprint.defended, direct.footprints["all"].defended)


def test_a_track_crossing_the_antimeridian_stays_continuous_and_ends_at_its_impact_longitude():
    from shieldsim.explore.deterrent_view import drawn_longitudes, pieces

    lon = drawn_longitudes(np.array([100.0, 150.0, -170.0, -120.0]))  # Siberia over the Bering Strait
    assert np.allclose(lon, [-260.0, -210.0, -170.0, -120.0])
    assert np.allclose(drawn_longitudes(np.array([35.0, 0.0, -60.0])), [35.0, 0.0, -60.0])
    lat = np.array([70.0, 84.5, 86.0, 80.0, 60.0])  # over the pole: cut where the map ends
    assert pieces(lat, np.zeros(5), np.ones(5, bool)) == [[[80.0, 0.0], [60.0, 0.0]]]


def deterrent_pairs(flights, sc, variant: str) -> np.ndarray:
    """(N, B) engageable of the flights against ``sc``'s batteries as ``shieldsim deterrent`` computes
    its matrix (`deterrent.deterrent_matrix` on `study.variant_tracks`)."""
    from shieldsim import deterrent as det

    arch = study.Architecture.from_scenario(sc)
    tr = study.variant_tracks(arch, flights.traj, variant)
    return det.deterrent_matrix(flights.traj, arch.batteries, tr.track_time, flights.base, flights.threat,
                                flights.aim_point, min_speed=False, intercept_window=tr.intercept_window).engageable


@pytest.mark.slow
def test_the_deterrent_view_draws_every_track_and_the_pairs_the_deterrent_matrix_finds_engageable():
    from shieldsim.explore import deterrent_view as dv

    sc = dv.deterrent_scenario()
    traj, base, threat, aim, _ = study.deterrent_flights(study.Architecture.from_scenario(sc), areas=["barents-sea"],
                                                         aim_names=["washington", "new-york"])
    flights = dv.Flights(traj, base, threat, aim)
    shown = built(interceptors={"redzikowo": "sm3-iib"}).shown
    for variant in ("cue-as-track", "scenario"):
        out = dv.view(flights, shown, variant)
        expected = deterrent_pairs(flights, shown, variant)
        assert out["flights"] == len(traj) == len(out["tracks"]) and out["pairs_engageable"] == int(expected.sum())
        assert sorted((p["flight"], p["battery"]) for p in out["pairs"]) == \
            sorted((int(i), list(shown.batteries)[j]) for i, j in zip(*np.nonzero(expected)))
        assert out["fraction_engageable"]["any"] == expected.any(axis=1).mean()
    first = out["tracks"][0]["pieces"][0][0]  # a track starts at its launch point
    assert abs(first[0] - np.degrees(traj.launch_lat[0])) < 0.01 and {b["name"] for b in out["bases"]} == set(base)
    assert all(abs(p[0]) <= dv.MAX_LAT_DEG for t in out["tracks"] for piece in t["pieces"] for p in piece)
    with pytest.raises(ValueError, match="allowed: scenario"):
        dv.view(flights, shown, "nope")


@pytest.mark.slow
def test_a_city_timeline_gives_the_reports_events_for_each_area():
    from shieldsim.explore.timeline import city_timeline

    out = city_timeline(built(threat_area="tabriz", grid_deg=5), "Bucharest", 44.43, 26.10)
    (case,) = out["cases"]
    events = [e["event"] for e in case["events"]]
    assert case["reached"] and case["threat"].endswith("-> Bucharest")
    assert events[0] == "launch" and "fire-control track" in events and "impact" in events
    assert case["figure"].startswith("data:image/svg+xml;base64,")


@pytest.fixture(scope="module")
def server():
    from shieldsim.explore.server import Server

    s = Server(grid_deg=5).start()
    yield s
    s.stop()


def fetch(url: str, body=None) -> tuple[int, bytes]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST" if data else "GET")) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_the_server_binds_to_this_machine_and_serves_no_file_outside_its_assets(server):
    assert server.url.startswith("http://127.0.0.1:")
    for path in ("static/../../../../etc/passwd", "static/%2e%2e/%2e%2e/server.py", "static/%2e%2e%2fserver.py",
                 "etc/passwd", "static/", "download/0123/scenario.toml", "api/job/x"):
        status, body = fetch(server.url + path)
        assert status in (403, 404), (path, status)
        assert b"root:" not in body and b"import" not in body
    status, body = fetch(server.url + "static/vendor/leaflet/leaflet.js")
    assert status == 200 and b"Leaflet" in body[:2000]


def test_bad_requests_are_answered_and_the_server_keeps_serving(server):
    status, body = fetch(server.url + "api/compute", b"{not json")
    assert status == 200 and json.loads(body) == {"status": "invalid", "control": "request",
                                                  "message": json.loads(body)["message"]}
    status, body = fetch(server.url + "api/compute", {"scenario": "nope"})
    assert json.loads(body)["control"] == "scenario"
    status, body = fetch(server.url + "api/upload", b"\xff\xfe")
    assert json.loads(body)["control"] == "upload"
    status, body = fetch(server.url + "api/options")
    assert status == 200 and "epaa-2018" in json.loads(body)["scenarios"]


def test_explore_refuses_an_unknown_scenario_and_a_busy_port(capsys):
    from shieldsim.cli import main

    with pytest.raises(SystemExit) as ex:
        main(["explore", "nope", "--no-browser"])
    assert ex.value.code == 2 and "SCENARIO" in capsys.readouterr().err
    with pytest.raises(SystemExit) as ex:
        main(["explore", "--no-browser", "--threat-area", "nope"])
    assert ex.value.code == 2 and "tabriz" in capsys.readouterr().err
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        with pytest.raises(SystemExit) as ex:
            main(["explore", "--no-browser", "--port", str(busy.getsockname()[1])])
        err = capsys.readouterr().err
        assert ex.value.code == 2 and "--port" in err and len(err.strip().splitlines()) == 1
    finally:
        busy.close()


def test_a_radar_reference_range_is_set_through_the_profile_and_checked():
    b = built(radar_ranges_km={"kurecik-tpy2": 700})
    assert b.shown.radars["kurecik-tpy2"].reference_range_km == 700.0
    assert "radars.kurecik-tpy2.reference_range_km" in [o.path for o in b.shown.assumptions.overrides]
    for ranges, words in (({"nope": 500}, "unknown radar"), ({"kurecik-tpy2": -5}, "out of range")):
        with pytest.raises(ctl.ControlError) as err:
            built(radar_ranges_km=ranges)
        assert err.value.control == "radar_ranges_km" and words in err.value.message
