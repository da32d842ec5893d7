"""The analyst guide cannot rot: the tutorial runs from start to finish, every command and
built-in scenario has its page, pages that call a command available name only options that
command has, scenario pages name only objects the scenario has, and relative links resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
COMMANDS = ("fly", "aim", "min-energy", "missiles", "detect", "reach", "engage", "validate", "scenarios", "show",
            "sector", "coverage", "deterrent", "raid", "sweep", "assess", "compare")
STATUS = re.compile(r"^\*\*Status:\*\* (available|planned \(issue \d+\))", re.M)


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def registered_commands() -> dict:
    from typer.main import get_command

    from shieldsim.cli import app

    return dict(get_command(app).commands)


def test_tutorial_runs_from_start_to_finish(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks((DOCS / "tutorial.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 6
    namespace: dict = {"__name__": "tutorial"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/tutorial.md block {i + 1}", "exec"), namespace)
    index = tmp_path / "tutorial-report" / "index.html"
    assert index.exists() and (tmp_path / "tutorial-report" / "summary.json").exists()


def test_every_command_has_a_page_with_a_status():
    for name in set(COMMANDS) | set(registered_commands()):
        page = DOCS / "commands" / f"{name}.md"
        assert page.exists(), f"docs/commands/{name}.md is missing"
        text = page.read_text(encoding="utf-8")
        assert text.startswith(f"# shieldsim {name}\n"), page
        assert STATUS.search(text), f"{page} has no '**Status:** available|planned (issue N)' line"


def test_command_pages_say_available_exactly_when_the_command_exists():
    registered = registered_commands()
    for page in sorted((DOCS / "commands").glob("*.md")):
        status = STATUS.search(page.read_text(encoding="utf-8")).group(1)
        if status == "available":
            assert page.stem in registered, f"{page.name} says available but `shieldsim {page.stem}` does not exist"
        else:
            assert page.stem not in registered, (
                f"`shieldsim {page.stem}` exists now: update docs/commands/{page.name} from its --help "
                "and mark it available")


def test_options_named_on_available_command_pages_exist():
    registered = registered_commands()
    for page in sorted((DOCS / "commands").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        if STATUS.search(text).group(1) != "available":
            continue
        known = {"--help"}
        for param in registered[page.stem].params:
            known.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
        # options on this command's example lines and in the first column of option tables
        lines = [ln for ln in text.splitlines() if ln.startswith(f"shieldsim {page.stem}")]
        lines += re.findall(r"^\| ([^|]*) \|", text, flags=re.M)
        named = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", "\n".join(lines)))
        assert named, f"{page.name} shows no option of `shieldsim {page.stem}`"
        assert named <= known, f"{page.name} names options `shieldsim {page.stem}` lacks: {sorted(named - known)}"


def test_every_builtin_scenario_has_a_page_naming_only_its_objects():
    from shieldsim import scenario

    names = scenario.builtin_names()
    pages = {p.stem for p in (DOCS / "scenarios").glob("*.md")}
    assert pages == set(names)
    tables = ("radars", "launch_detectors", "networks", "interceptors", "batteries", "threats", "launch_areas",
              "aim_points", "sectors")
    for name in names:
        sc = scenario.load(name)
        objects = set().union(*(set(getattr(sc, t) or {}) for t in tables))
        text = (DOCS / "scenarios" / f"{name}.md").read_text(encoding="utf-8")
        first_cells = re.findall(r"^\| ([^|]*`[^|]*) \|", text, flags=re.M)
        named = {n for cell in first_cells for n in re.findall(r"`([^`]+)`", cell)}
        assert named, f"scenarios/{name}.md has no object table"
        assert named <= objects, f"scenarios/{name}.md names objects {name} lacks: {sorted(named - objects)}"


@pytest.mark.parametrize("page", sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")))
def test_relative_links_resolve(page):
    path = DOCS / page
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        assert (path.parent / target).exists(), f"{page}: broken link {target}"
