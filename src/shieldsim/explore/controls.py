"""The explorer's controls and the scenario they stand for.

`Controls` is what the page sends (JSON); `parse` checks it one control at a time and `build`
turns it into the edited scenario, so that the TOML offered for download is exactly what the page
shows and ``shieldsim coverage`` of that file reproduces the page's figures.

Edits, in this order (each a public mechanism of shieldsim, nothing private to the explorer):

1. the base scenario: a built-in name, an uploaded TOML (validated by `scenario.loads`, the
   messages of ``shieldsim validate``), or a cooperation option (`study.COOPERATION_OPTIONS`: the
   built-in scenario ``shieldsim coverage --compare-options`` uses for it);
2. the interceptor each battery fires, where the user chose another (a catalogue type or one of
   the scenario's own), recorded in the description -- before the profile, so that the profile's
   catalogue overrides (speed, delay) reach the chosen type too;
3. one assumption profile (`assumptions.apply`): the chosen built-in profile's overrides followed
   by the explorer's own -- interceptor speed as a factor on every interceptor's
   ``burnout_speed_kms`` and launch delay as a value of ``launch_delay_s`` -- each with a
   ``source`` saying it was set in the explorer, so the downloaded file records them;
4. radars switched off: removed from ``radars``, from every network's ``members``/``home`` and
   from batteries' ``own_radars`` (a battery left with no own radar is an error on that control);
5. batteries switched off: removed from ``batteries``.

Bad input raises `ControlError` naming the control and the reason (the page shows it next to that
control); the server never stops on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from .. import assumptions, scenario as scen, study

GRID_RANGE_DEG = (0.25, 5.0)
SPEED_RANGE_PERCENT = (10.0, 300.0)
DELAY_RANGE_S = (0.0, 3600.0)
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
EXPLORER_SOURCE = ("set by the user in shieldsim explore: a what-if value, not a published figure "
                   "(the scenario's own figure and its source are in the record's 'old' value and the base scenario)")


class ControlError(ValueError):
    """Bad input on one control: ``control`` (the control's id on the page) and ``message``."""

    def __init__(self, control: str, message: str):
        self.control = control
        self.message = message
        super().__init__(f"{control}: {message}")


@dataclass(frozen=True)
class Controls:
    """The page's controls.

    ``scenario``: a built-in name or ``upload:<id>`` (an uploaded file, see `Uploads`);
    ``option``: '' or a label of `study.COOPERATION_OPTIONS` (replaces the scenario by that
    option's built-in); ``threat_area``: 'all' or a launch area; ``profile``: '' or a built-in
    assumption profile; ``batteries_off``/``radars_off``: names switched off; ``speed_percent``:
    interceptor burnout speed, percent of the scenario's (profile applied); ``launch_delay_s``:
    None (the scenario's) or seconds from track to launch for every interceptor; ``grid_deg``:
    grid spacing, degrees; ``radar_ranges_km``: (radar, reference_range_km) pairs replacing those
    radars' detection range against their reference RCS (still capped at ``max_range_km``);
    ``interceptors``: (battery, interceptor) pairs changing the interceptor those batteries fire
    (a catalogue name, `interceptor.catalogue`, or an interceptor defined in the scenario).
    """

    scenario: str = scen.DEFAULT
    option: str = ""
    threat_area: str = "all"
    profile: str = ""
    batteries_off: tuple[str, ...] = ()
    radars_off: tuple[str, ...] = ()
    speed_percent: float = 100.0
    launch_delay_s: float | None = None
    grid_deg: float = 1.0
    radar_ranges_km: tuple[tuple[str, float], ...] = ()
    interceptors: tuple[tuple[str, str], ...] = ()


@dataclass
class Uploads:
    """Uploaded scenario texts by id (the SHA-256 of the text, first 16 hex digits); at most
    ``limit`` kept, the oldest dropped."""

    limit: int = 32
    texts: dict = field(default_factory=dict)

    def add(self, text: str) -> str:
        """Check and keep an uploaded scenario text; returns its id. Raises `ControlError` on the
        ``upload`` control with the messages of ``shieldsim validate``."""
        load_upload(text)
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        self.texts[key] = text
        while len(self.texts) > self.limit:
            self.texts.pop(next(iter(self.texts)))
        return key


def _number(data: dict, key: str, default, lo: float, hi: float, unit: str, optional: bool = False):
    value = data.get(key, default)
    if value is None or value == "":
        if optional:
            return None
        raise ControlError(key, f"missing; allowed: a number in [{lo:g}, {hi:g}] {unit}")
    if isinstance(value, bool):
        raise ControlError(key, f"{value!r} is not a number; allowed: [{lo:g}, {hi:g}] {unit}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ControlError(key, f"{value!r} is not a number; allowed: [{lo:g}, {hi:g}] {unit}") from None
    if not (lo <= number <= hi):  # also refuses NaN
        raise ControlError(key, f"{value!r} is out of range; allowed: [{lo:g}, {hi:g}] {unit}")
    return number


def _names(data: dict, key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ControlError(key, "allowed: a list of names")
    return tuple(dict.fromkeys(value))


def _ranges(data: dict, key: str = "radar_ranges_km") -> tuple[tuple[str, float], ...]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ControlError(key, "allowed: an object of radar name -> reference range in km")
    out = []
    for name in sorted(value):
        try:
            out.append((str(name), _number(value, name, None, 1.0, 50_000.0, "km")))
        except ControlError as err:
            raise ControlError(key, f"radar {name!r}: {err.message}") from None
    return tuple(out)


def _choices(data: dict, key: str = "interceptors") -> tuple[tuple[str, str], ...]:
    value = data.get(key) or {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ControlError(key, "allowed: an object of battery name -> interceptor name")
    return tuple(sorted(value.items()))


def parse(data: dict) -> Controls:
    """`Controls` from the page's JSON object; `ControlError` names the first bad control. Names
    (scenario, areas, batteries...) are checked against the scenario by `build`."""
    if not isinstance(data, dict):
        raise ControlError("controls", "allowed: a JSON object")
    for key in ("scenario", "option", "threat_area", "profile"):
        if not isinstance(data.get(key, ""), str):
            raise ControlError(key, "allowed: a name (text)")
    return Controls(
        scenario=data.get("scenario") or scen.DEFAULT,
        option=data.get("option") or "",
        threat_area=data.get("threat_area") or "all",
        profile=data.get("profile") or "",
        batteries_off=_names(data, "batteries_off"),
        radars_off=_names(data, "radars_off"),
        speed_percent=_number(data, "speed_percent", 100.0, *SPEED_RANGE_PERCENT, "percent"),
        launch_delay_s=_number(data, "launch_delay_s", None, *DELAY_RANGE_S, "s", optional=True),
        grid_deg=_number(data, "grid_deg", 1.0, *GRID_RANGE_DEG, "degrees"),
        radar_ranges_km=_ranges(data),
        interceptors=_choices(data),
    )


def _one_line(err: Exception) -> str:
    return str(err).strip()


def load_upload(text: str) -> scen.Scenario:
    """Validate an uploaded scenario text as ``shieldsim validate`` does (same messages). Its
    ``extends`` may only name a built-in scenario: the server reads no file on the client's say."""
    import tomllib

    if len(text.encode("utf-8")) > MAX_UPLOAD_BYTES:
        raise ControlError("upload", f"the file is larger than {MAX_UPLOAD_BYTES // 1024} KiB; allowed: a scenario TOML file")
    try:
        parent = tomllib.loads(text).get("extends")
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        parent = None  # scen.loads reports the syntax error with its usual message
    if parent is not None and not (isinstance(parent, str) and parent in scen.builtin_names()):
        raise ControlError("upload", f"upload: 1 error\n  extends = {parent!r}: in the explorer only a built-in "
                                     f"scenario may be extended; allowed: {', '.join(scen.builtin_names())}")
    try:
        return scen.loads(text, origin="upload")
    except scen.ScenarioError as err:
        raise ControlError("upload", _one_line(err)) from None


def base_scenario(controls: Controls, uploads: Uploads) -> scen.Scenario:
    """The scenario the controls start from (before profile and switches)."""
    if controls.option:
        options = dict(study.COOPERATION_OPTIONS)
        if controls.option not in options:
            raise ControlError("option", f"unknown cooperation option {controls.option!r}; allowed: {', '.join(options)}")
        return scen.load(options[controls.option])
    name = controls.scenario
    if name.startswith("upload:"):
        text = uploads.texts.get(name[len("upload:"):])
        if text is None:
            raise ControlError("scenario", "the uploaded scenario is no longer held by the server; upload it again")
        return load_upload(text)
    if name not in scen.builtin_names():
        raise ControlError("scenario", f"unknown scenario {name!r}; allowed: {', '.join(scen.builtin_names())} "
                                       "or an uploaded TOML file")
    return scen.load(name)


def explorer_profile(sc: scen.Scenario, controls: Controls) -> assumptions.Profile | None:
    """The profile `build` applies: the chosen built-in profile's overrides, then the explorer's
    speed factor and launch delay (for catalogue types and the scenario's inline interceptors)."""
    base = None
    if controls.profile:
        if controls.profile not in assumptions.builtin_profiles():
            raise ControlError("profile", f"unknown profile {controls.profile!r}; allowed: "
                                          f"{', '.join(assumptions.builtin_profiles())}")
        base = assumptions.load_profile(controls.profile)
    extra = []
    inline = list(sc.interceptors)
    if controls.speed_percent != 100.0:
        factor = controls.speed_percent / 100.0
        extra += [assumptions.Override(path=p, factor=factor, source=EXPLORER_SOURCE) for p in
                  ["interceptor_types.*.burnout_speed_kms"] + [f"interceptors.{n}.burnout_speed_kms" for n in inline]]
    if controls.launch_delay_s is not None:
        extra += [assumptions.Override(path=p, value=float(controls.launch_delay_s), source=EXPLORER_SOURCE) for p in
                  ["interceptor_types.*.launch_delay_s"] + [f"interceptors.{n}.launch_delay_s" for n in inline]]
    for radar, km in controls.radar_ranges_km:
        if radar not in sc.radars:
            raise ControlError("radar_ranges_km", f"unknown radar {radar!r}; allowed: {', '.join(sc.radars)}")
        extra.append(assumptions.Override(path=f"radars.{radar}.reference_range_km", value=km, source=EXPLORER_SOURCE))
    if not extra:
        return base
    name = f"{base.name}-explore" if base else "explore"
    title = (f"{base.title} + " if base else "") + "values set in shieldsim explore"
    return assumptions.Profile(name=name[:64], title=title[:400],
                               description=base.description if base else "",
                               override=[*(base.overrides if base else []), *extra])


def interceptor_choices(sc: scen.Scenario) -> list[str]:
    """The interceptors a battery of ``sc`` may fire: the catalogue's types, then the scenario's own."""
    from ..interceptor import catalogue

    return list(dict.fromkeys([*catalogue(), *sc.interceptors]))


def _with_interceptors(sc: scen.Scenario, chosen: tuple[tuple[str, str], ...]) -> scen.Scenario:
    """The scenario with each (battery, interceptor) of ``chosen`` firing that interceptor."""
    changes = [(b, i) for b, i in chosen if b in sc.batteries and sc.batteries[b].interceptor != i]
    unknown = [b for b, _ in chosen if b not in sc.batteries]
    if unknown:
        raise ControlError("interceptors", f"unknown battery {unknown[0]!r}; allowed: {', '.join(sc.batteries)}")
    allowed = interceptor_choices(sc)
    for b, i in changes:
        if i not in allowed:
            raise ControlError("interceptors", f"battery {b!r}: unknown interceptor {i!r}; allowed: {', '.join(allowed)}")
    if not changes:
        return sc
    data = sc.model_dump(mode="python")
    for b, i in changes:
        data["batteries"][b]["interceptor"] = i
    note = "interceptors chosen: " + ", ".join(f"{b} fires {i}" for b, i in changes)
    data["description"] = (data["description"].rstrip() + "\n\n" if data.get("description") else "") + \
        f"Edited in shieldsim explore ({note})."
    return _validated(data, sc.name, "interceptors")


def _without_radars(sc: scen.Scenario, off: tuple[str, ...]) -> scen.Scenario:
    unknown = [r for r in off if r not in sc.radars]
    if unknown:
        raise ControlError("radars_off", f"unknown radar {unknown[0]!r}; allowed: {', '.join(sc.radars)}")
    if not off:
        return sc
    data = sc.model_dump(mode="python")
    for r in off:
        del data["radars"][r]
    for net in data["networks"].values():
        net["members"] = [m for m in net["members"] if m not in off]
        net["home"] = [m for m in net.get("home") or [] if m not in off]
    for name, bat in data["batteries"].items():
        own = bat.get("own_radars")
        if own is not None:
            kept = [r for r in own if r not in off]
            if not kept:
                raise ControlError("radars_off", f"battery {name!r} has no own radar left ({', '.join(own)}); "
                                                 "switch the battery off too, or keep one of its radars on")
            bat["own_radars"] = kept
    return _validated(data, sc.name, "radars_off")


def _without_batteries(sc: scen.Scenario, off: tuple[str, ...]) -> scen.Scenario:
    unknown = [b for b in off if b not in sc.batteries]
    if unknown:
        raise ControlError("batteries_off", f"unknown battery {unknown[0]!r}; allowed: {', '.join(sc.batteries)}")
    if not off:
        return sc
    data = sc.model_dump(mode="python")
    for b in off:
        del data["batteries"][b]
    return _validated(data, sc.name, "batteries_off")


def _validated(data: dict, origin: str, control: str) -> scen.Scenario:
    try:
        return scen.validate(data, origin)
    except scen.ScenarioError as err:
        raise ControlError(control, _one_line(err)) from None


def _noted(sc: scen.Scenario, controls: Controls) -> scen.Scenario:
    """The scenario with a closing paragraph of its description saying what the explorer switched off."""
    parts = []
    if controls.radars_off:
        parts.append("radars switched off: " + ", ".join(controls.radars_off))
    if controls.batteries_off:
        parts.append("batteries switched off: " + ", ".join(controls.batteries_off))
    if not parts:
        return sc
    text = (sc.description.rstrip() + "\n\n" if sc.description else "") + \
        "Edited in shieldsim explore (" + "; ".join(parts) + ")."
    return sc.model_copy(update={"description": text})


@dataclass(frozen=True)
class Built:
    """What `build` gives: ``full`` the edited scenario with every battery (the engagements are
    computed once for it), ``shown`` the scenario on screen (batteries switched off removed: the
    TOML offered for download), ``areas`` the launch areas to fly, ``grid_deg``, ``year`` the
    NATO membership year of the NATO-Europe figures: the scenario's, or with a cooperation option
    the first option's, as ``coverage --compare-options`` counts every option (None: the default)."""

    full: scen.Scenario
    shown: scen.Scenario
    areas: tuple[str, ...]
    grid_deg: float
    year: int | None = None

    @property
    def toml(self) -> str:
        """The TOML text of the scenario on screen (`scenario.dump`)."""
        return scen.dump(self.shown)


def build(controls: Controls, uploads: Uploads) -> Built:
    """The edited scenario the controls stand for (see the module docstring); `ControlError`
    names the control at fault."""
    try:
        sc = base_scenario(controls, uploads)
    except scen.ScenarioError as err:
        raise ControlError("option" if controls.option else "scenario", _one_line(err)) from None
    if controls.threat_area != "all" and controls.threat_area not in sc.launch_areas:
        raise ControlError("threat_area", f"unknown threat area {controls.threat_area!r}; allowed: all, "
                                          f"{', '.join(sc.launch_areas)}")
    sc = _with_interceptors(sc, controls.interceptors)
    profile = explorer_profile(sc, controls)
    if profile is not None:
        try:
            sc = assumptions.apply(sc, profile)
        except scen.ScenarioError as err:
            control = "speed_percent" if "burnout_speed" in str(err) else \
                "launch_delay_s" if "launch_delay" in str(err) else \
                "radar_ranges_km" if "reference_range_km" in str(err) else "profile"
            raise ControlError(control, _one_line(err)) from None
    full = _without_radars(sc, controls.radars_off)
    shown = _without_batteries(full, controls.batteries_off)
    # the battery switches are left out of `full`'s note: its engagements serve every switch setting
    full, shown = _noted(full, replace(controls, batteries_off=())), _noted(shown, controls)
    areas = tuple(sc.launch_areas) if controls.threat_area == "all" else (controls.threat_area,)
    year = scen.load(study.COOPERATION_OPTIONS[0][1]).year if controls.option else shown.year
    return Built(full, shown, areas, float(controls.grid_deg), year)
