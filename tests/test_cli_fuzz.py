"""Command-line fuzzing: every command, its options and its file arguments -- regular files,
missing ones, directories, FIFOs, /dev/zero, binary, huge and unreadable files -- end with exit
code 0 or 2, never a traceback, and an error names the option or the file it is about.

Commands run in this process (`shieldsim.cli.main`), each example under an alarm so that a hang
(a FIFO read, say) fails the test instead of stopping the suite. Commands whose success takes
minutes (coverage, assess, deterrent, compare, engage, detect) always get a scenario file that
cannot be loaded, so they end early; raid and sweep may succeed (a few trials of a small raid).
"""

from __future__ import annotations

import itertools
import os
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shieldsim import files
from shieldsim.cli import main

BAD_FILES = ("regular", "empty", "missing", "directory", "fifo", "dev-zero", "binary", "huge", "unreadable",
             "garbage-toml")
RAID_FILES = BAD_FILES + ("valid-raid", "valid-raid-json")
NUMBERS = ("0", "-1", "1", "3", "2.5", "nan", "inf", "-inf", "1e999", "", "abc", "100000000000")
SCHEDULERS = ("", "garbage", "tcp://", "tcp://127.0.0.1", "host:0", "x:99999", "tcp://a b:1", " ")
WORKERS = ("0", "-1", "abc", "nan", "")  # a positive number would start a local cluster (seconds)
SETS = ("trials=1,2", "doctrine.kind=one-shot,salvo", "x", "=", "trials=1:3:1", "raid.wave.0.count=1,2",
        "trials=nan", "trials=1,1", "raid.wave.9.count=1", "doctrine.salvo_size=0,1", "engagement.battery.0.sspk=2")
ARGUMENT_NAMES = ("SCENARIO", "SCENARIO_A", "SCENARIO_B", "NAME", "FILE")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """One file of every kind, made once."""
    from test_battle import RAID_TOML

    root = tmp_path_factory.mktemp("fuzz-inputs")
    made = {"missing": root / "missing.toml", "dev-zero": Path("/dev/zero")}
    made["regular"] = root / "regular.toml"
    made["regular"].write_text("x = 1\n")
    made["empty"] = root / "empty.toml"
    made["empty"].write_text("")
    made["directory"] = root / "directory.toml"
    made["directory"].mkdir()
    made["fifo"] = root / "fifo.toml"
    os.mkfifo(made["fifo"])
    made["binary"] = root / "binary.toml"
    made["binary"].write_bytes(bytes(range(256)) * 8)
    made["huge"] = root / "huge.toml"
    with open(made["huge"], "wb") as fh:
        fh.truncate(files.MAX_INPUT_BYTES + 1)
    made["unreadable"] = root / "unreadable.toml"
    made["unreadable"].write_text("[raid]\n")
    made["unreadable"].chmod(0)
    made["garbage-toml"] = root / "garbage.toml"
    made["garbage-toml"].write_text("[raid\nname = 'x\n")
    made["valid-raid"] = root / "raid.toml"
    made["valid-raid"].write_text(RAID_TOML.format(count=3))
    import json
    import tomllib

    made["valid-raid-json"] = root / "raid.json"
    made["valid-raid-json"].write_text(json.dumps(tomllib.loads(RAID_TOML.format(count=3))))
    damaged = root / "damaged-run"
    damaged.mkdir()
    (damaged / "manifest.json").write_text("{not json")
    made["damaged-run"] = damaged
    made["root"] = root
    return made


def output_dir(kind: str, inputs: dict, counter=itertools.count()) -> str:
    """An --out folder: new, or an existing file, device, FIFO or foreign folder."""
    if kind == "new":
        return str(inputs["root"] / f"out-{next(counter)}")
    if kind == "foreign":
        return str(inputs["root"])  # holds the input files: not a shieldsim folder
    return str(inputs[{"file": "regular", "device": "dev-zero", "fifo": "fifo", "empty-name": "missing"}[kind]]) \
        if kind != "empty-name" else ""


OUT_KINDS = ("new", "new", "file", "device", "fifo", "foreign", "empty-name")


@st.composite
def command_lines(draw, inputs):
    """(argv, [paths given]) of one command."""
    pick = lambda values: draw(st.sampled_from(values))  # noqa: E731
    file = lambda kinds=BAD_FILES: str(inputs[pick(kinds)])  # noqa: E731
    sometimes = lambda: draw(st.integers(0, 3)) == 0  # noqa: E731  -- one time in four
    maybe = lambda option, values: [option, pick(values)] if sometimes() else []  # noqa: E731
    raid_file = lambda: file(("valid-raid", "valid-raid-json") if not sometimes() else RAID_FILES)  # noqa: E731
    command = pick(("validate", "show", "detect", "engage", "coverage", "assess", "deterrent", "compare", "raid",
                    "raid-resume", "sweep"))
    if command == "validate":
        argv = ["validate", file()]
    elif command == "show":
        argv = ["show", file()] + (["--raw"] if draw(st.booleans()) else [])
    elif command == "detect":
        argv = ["detect", "--scenario", file()] + maybe("--step-s", NUMBERS) + maybe("--max-flights", NUMBERS)
    elif command == "engage":
        argv = ["engage", "--scenario", file()] + maybe("--kill-assessment-s", NUMBERS) + maybe("--step-s", NUMBERS)
    elif command in ("coverage", "assess", "deterrent"):
        argv = [command, file(), "--out", output_dir(pick(OUT_KINDS), inputs)]
        argv += maybe("--grid-deg", NUMBERS) if command != "deterrent" else maybe("--ship-step-deg", NUMBERS)
        argv += maybe("--workers", WORKERS) if command != "deterrent" else []
        argv += maybe("--scheduler", SCHEDULERS) if command == "coverage" else []
    elif command == "compare":
        argv = ["compare", file(), file(), "--out", output_dir(pick(OUT_KINDS), inputs)]
    elif command == "raid":
        argv = ["raid", "--raid", raid_file(), "--trials", pick(("1", "7", "40")) if not sometimes() else
                pick(("0", "-3", "nan", "x")), "--no-progress"]
        argv += ["--engagement", raid_file()] if sometimes() else []
        argv += maybe("--seed", NUMBERS) + maybe("--max-looks", NUMBERS) + maybe("--salvo-size", NUMBERS)
        argv += maybe("--doctrine", ("one-shot", "salvo", "shoot-look-shoot", "none", ""))
        argv += maybe("--chunk-trials", NUMBERS) + maybe("--scheduler", SCHEDULERS) + maybe("--workers", WORKERS)
        argv += ["--out", output_dir(pick(OUT_KINDS), inputs)] if sometimes() else []
    elif command == "raid-resume":
        argv = ["raid", "--resume", str(inputs[pick(("missing", "regular", "directory", "damaged-run", "fifo"))]),
                "--no-progress"]
    else:
        argv = ["sweep", "--raid", raid_file(), "--trials", pick(("1", "5")) if not sometimes() else
                pick(("0", "nan")), "--workers", "0", "--no-progress"]
        sets = SETS[:2] if not sometimes() else SETS
        argv += [x for s in draw(st.lists(st.sampled_from(sets), min_size=1, max_size=2)) for x in ("--set", s)]
        argv += ["--out", output_dir(pick(OUT_KINDS), inputs)] if sometimes() else []
    if command in ("coverage", "assess", "engage", "raid", "compare") and sometimes():
        argv += ["--assumptions", file()]
    return argv


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def run(argv, capsys) -> tuple[int, str, str]:
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(30)
    try:
        with pytest.raises(SystemExit) as ex:
            main(argv)
    except Hang:
        pytest.fail(f"`shieldsim {' '.join(map(repr, argv))}` did not end within 30 s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    captured = capsys.readouterr()
    return ex.value.code, captured.out, captured.err


def names_what_it_is_about(err: str, argv: list[str]) -> bool:
    """The error names an option, argument or file of the command line."""
    options = [a for a in argv if a.startswith("--")]
    paths = [a for a in argv if "/" in a]
    return any(f"'{o}'" in err or o in err for o in options) or any(n in err for n in ARGUMENT_NAMES) or \
        any(p in err for p in paths)


def test_every_command_line_ends_with_0_or_2_and_errors_name_their_option_or_file(inputs, capsys):
    seen = {}

    @settings(max_examples=400, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(command_lines(inputs))
    def check(argv):
        code, out, err = run(argv, capsys)
        seen.setdefault(argv[0], []).append(code)
        if os.environ.get("SHIELDSIM_FUZZ_LOG"):
            with open(os.environ["SHIELDSIM_FUZZ_LOG"], "a") as log:
                log.write(f"{code} {argv} {err.strip()[:300]!r}\n")
        assert code in (0, 2), (argv, code, err[-2000:])
        assert "Traceback" not in err and "Traceback" not in out, (argv, err[-2000:])
        if code == 2:
            assert names_what_it_is_about(err, argv), (argv, err)
            if argv[0] not in ("validate", "show"):  # those list every problem of a scenario
                lines = [ln for ln in err.splitlines() if ln.strip()]
                assert len(lines) == 1, (argv, err)

    check()
    assert set(seen) == {"validate", "show", "detect", "engage", "coverage", "assess", "deterrent", "compare", "raid",
                         "sweep"}, seen
    assert 0 in seen["raid"] and 0 in seen["sweep"], "no command line of the fuzz succeeded"
