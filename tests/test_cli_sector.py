"""`shieldsim sector`: which side answers for intercepts over a point, under sectoral-2010's
sectors as on Russia's 2012 map (Baltic states, north-eastern Poland, Norway north of 62 N,
Finland and Sweden north of 58 N in Russia's sector; the rest of the Allies in NATO's)."""

import json

import pytest

from shieldsim.cli import main


def run(args, capsys):
    with pytest.raises(SystemExit) as ex:
        main(args)
    out = capsys.readouterr()
    return ex.value.code, out.out, out.err


def answer(at, capsys, scenario="sectoral-2010"):
    code, out, err = run(["sector", scenario, "--at", at, "--json"], capsys)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("place, at, country, sector, side", [
    ("Vilnius", "54.687,25.280", "LTU", "russia_baltic", "Russia"),
    ("Tallinn", "59.437,24.745", "EST", "russia_baltic", "Russia"),
    ("Riga", "56.949,24.105", "LVA", "russia_baltic", "Russia"),
    ("Minsk", "53.900,27.567", "BLR", "russia", "Russia"),
    ("Kaliningrad", "54.710,20.510", "RUS", "russia", "Russia"),
    ("Bialystok", "53.133,23.164", "POL", "russia_poland", "Russia"),
    ("Suwalki", "54.102,22.930", "POL", "russia_poland", "Russia"),
    ("Olsztyn", "53.778,20.480", "POL", "russia_poland", "Russia"),
    # Tromso and Hammerfest lie on islands Natural Earth's 1:10m coastline leaves out: they are
    # Norway's through the 12-nautical-mile belt of territorial sea.
    ("Tromso", "69.650,18.956", "NOR", "russia_norway", "Russia"),
    ("Hammerfest", "70.663,23.682", "NOR", "russia_norway", "Russia"),
    ("Trondheim", "63.430,10.395", "NOR", "russia_norway", "Russia"),
    ("Helsinki", "60.170,24.938", "FIN", "russia_nordic", "Russia"),
    ("Stockholm", "59.329,18.069", "SWE", "russia_nordic", "Russia"),
    ("Warsaw", "52.230,21.012", "POL", "nato", "NATO"),
    ("Gdansk", "54.352,18.646", "POL", "nato", "NATO"),
    ("Redzikowo", "54.479,17.098", "POL", "nato", "NATO"),
    ("Oslo", "59.913,10.752", "NOR", "nato", "NATO"),
    ("Bergen", "60.392,5.324", "NOR", "nato", "NATO"),
    ("Berlin", "52.520,13.405", "DEU", "nato", "NATO"),
    ("Deveselu", "44.080,24.350", "ROU", "nato", "NATO"),
])
def test_sectoral_2010_puts_each_place_in_the_sector_of_the_2012_map(place, at, country, sector, side, capsys):
    d = answer(at, capsys)
    assert (d["country"], d["sector"], d["side"]) == (country, sector, side), place


@pytest.mark.parametrize("place, at, country", [
    ("central Baltic Sea", "57.0,19.0", None),
    ("North Sea", "56.0,3.0", None),
    ("Gothenburg: Sweden south of 58 N", "57.709,11.975", "SWE"),
    ("Vienna: Austria, not an Ally", "48.208,16.373", "AUT"),
])
def test_a_point_in_no_sector_has_no_side_and_any_side_may_engage(place, at, country, capsys):
    d = answer(at, capsys)
    assert (d["country"], d["sector"], d["side"]) == (country, None, None), place
    assert "any side may engage" in d["note"]


def test_json_carries_the_point_and_the_provenance(capsys):
    d = answer("54.687,25.280", capsys)
    assert (d["lat_deg"], d["lon_deg"], d["scenario"]) == (54.687, 25.28, "sectoral-2010")
    refraction = d["models"].pop("refraction")
    assert d["version"] and d["models"] == {"earth": "wgs84", "rotation": True, "drag": False}
    assert refraction and set(refraction.values()) == {"atmosphere"}  # each radar's model, default
    assert set(d) == {"lat_deg", "lon_deg", "country", "sector", "side", "note", "scenario", "version",
                      "models", "seed"}


def test_text_output_names_sector_side_and_country(capsys):
    code, out, _ = run(["sector", "sectoral-2010", "--at", "54.687,25.280"], capsys)
    assert code == 0
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert lines["Sector"] == "russia_baltic" and lines["Side"] == "Russia" and "in LTU" in lines["Point"]
    code, out, _ = run(["sector", "sectoral-2010", "--at", "57,19"], capsys)
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert lines["Sector"] == "none" and lines["Side"].startswith("none") and "at sea" in lines["Point"]


def test_a_scenario_without_sectors_answers_no_side_with_a_note_and_exit_0(capsys):
    d = answer("54.687,25.280", capsys, scenario="epaa-2018")
    assert (d["country"], d["sector"], d["side"]) == ("LTU", None, None)
    assert "no sectors" in d["note"]


@pytest.mark.parametrize("at", ["54.7", "54.7,25.3,0", "north,east", "nan,25", "54.7,nan", "95,25", "-91,0",
                                "54.7,400", "inf,0"])
def test_bad_at_is_one_line_naming_the_option_with_exit_2(at, capsys):
    code, out, err = run(["sector", "sectoral-2010", "--at", at], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--at" in err and "Traceback" not in err


def test_an_unknown_scenario_is_one_line_naming_it_with_exit_2(capsys):
    code, _, err = run(["sector", "no-such-scenario", "--at", "54.7,25.3"], capsys)
    assert code == 2 and err.count("\n") == 1 and "SCENARIO" in err and "sectoral-2010" in err


def test_the_documented_variant_without_the_nordic_sector_leaves_finland_and_sweden_to_no_one(tmp_path, capsys):
    path = tmp_path / "no-nordic.toml"
    path.write_text('name = "sectoral-2010-no-nordic"\nextends = "sectoral-2010"\nremove = ["sectors.russia_nordic"]\n',
                    encoding="utf-8")
    stockholm = answer("59.329,18.069", capsys, scenario=str(path))
    assert (stockholm["country"], stockholm["sector"], stockholm["side"]) == ("SWE", None, None)
    vilnius = answer("54.687,25.280", capsys, scenario=str(path))
    assert (vilnius["sector"], vilnius["side"], vilnius["scenario"]) == ("russia_baltic", "Russia", "sectoral-2010-no-nordic")
