"""Sensors: what radars and space-based launch detectors can see, and when a threat is tracked.

Physics and modelling assumptions (public, textbook level):

* **Radar horizon and refraction** -- per radar, ``refraction``:

  - ``"atmosphere"`` (default): rays bend only inside the atmosphere. The refractive index
    follows the exponential reference atmosphere N(h) = N0 exp(-h / h0), N0 = 315 N units,
    h0 = 7.35 km (ITU-R P.453 / P.834 reference profile, h above the model surface), over the
    site's local sphere (radius sqrt(M N), the Gaussian mean radius of curvature at the site);
    above `ATMOSPHERE_TOP` (100 km) rays are straight. A ray leaving the antenna at elevation e
    keeps Bouguer's invariant c = n r cos(e) and reaches radius r at the central angle
    theta(r) = acos(c / (n r)) - e + tau(r), where tau(r) = integral of -(n'/n) c / sqrt((n r)^2 - c^2) dr
    is the bending gathered so far (computed here by Gauss-Legendre quadrature in
    x = sqrt(r - r_low), which removes the inverse square root at a turning point; tabulated
    per radar for its two limiting rays). A target is in sight when it lies between the ray
    leaving at the lowest usable elevation (``min_elevation``, or the ray grazing the surface
    if that is higher) and the ray at ``max_elevation``: a target far above the air is seen
    down to the geometric horizon plus the total bending tau of that ray (0.76 deg for a ray
    leaving a sea-level antenna horizontally, 0.50 deg at 1 deg, 0.19 deg at 5 deg; checked by
    an independent scipy ray integration in the tests, and within 6 % (0-10 deg) of the closed-form
    approximation of ITU-R P.834 as commonly quoted, 1 / (1.314 + 0.6437 e + 0.02869 e^2) deg at
    sea level, e in deg -- that formula quoted from memory, not verified against the
    Recommendation's text, which could not be read here). Below the
    antenna's height (short, low paths) the effective-Earth test below is used with the factor
    k = 1 / (1 + R dn/dh) of the profile's gradient at the antenna (1.38 at sea level).
    `look_angles` solves the apparent elevation by bisection on the ray.
  - ``"4/3-earth"``: refraction bends rays so that they travel in straight lines above an
    Earth whose radius is ``refraction_k`` times the local sphere's, along the whole path (the
    standard model for targets inside the troposphere; it over-bends rays to targets far above
    the air). A target at height h above the model surface and central angle theta from the
    site is placed at central angle theta / k over a sphere of radius k R, and its apparent
    elevation is the straight-line elevation in that picture. A target is seen when this
    elevation is at least ``min_elevation`` and the straight ray clears the effective Earth (so
    with a mask at 0 deg a target at height h first shows at ground range
    k R acos((k R + a) / (k R + h)); with no mask, at the grazing-ray range
    k R [acos(k R / (k R + a)) + acos(k R / (k R + h))] for an antenna at height a).
  - ``"none"``: straight rays (k = 1), pure geometry.
* **Field of regard** — a ``"fixed"`` face sees azimuths within ``half_width`` of its boresight
  (geometric azimuth at the site, clockwise from north); a ``"full"`` radar sees all azimuths.
  Both see elevations in [``min_elevation``, ``max_elevation``] and slant ranges up to
  ``max_range`` (the instrumented range).
* **Detection range** -- the radar range equation at fixed power, aperture, dwell and
  detection threshold gives a detection range proportional to sigma^(1/4):
  R_det = reference_range * (sigma / reference_rcs)^(1/4). What the radar sees depends on the
  phase of flight (`phase_rcs`): until the re-entry vehicle separates (at burnout unless the
  trajectory says otherwise) it sees the missile body (``Trajectory.body_rcs``, of order
  1-10 m^2; `missile.BODY_RCS` = 1 m^2 by default), afterwards the re-entry vehicle (``rcs``,
  0.01-0.1 m^2). A track formed before separation is a track on the body (`Timeline.track_on`);
  a detection interval that spans separation ends there if the warhead is beyond the range.
  Spent stages are not tracked as separate objects; aspect dependence is not modelled.
* **Track formation** — a radar revisits a detectable target every ``revisit`` seconds; the
  first detection is the first moment the target is detectable (the search frame is assumed to
  land on it then) and a track exists after ``hits_for_track`` hits, i.e. at
  first detection + (hits_for_track - 1) * revisit, provided the target stays detectable over
  that whole time; otherwise the count restarts in the next detectable interval.
* **Cueing** — a cue (any shared report of the threat: a launch-detector warning or another
  radar's track) tells a radar where to look, so it can put a dedicated track-initiation dwell
  on a small volume instead of waiting for its search frame: once cued, it forms its track
  ``cued_hits`` hits at ``cued_revisit`` spacing after the later of the cue arrival and the
  moment the target becomes detectable, provided the target stays detectable over that time.
  Default: for a fixed face, ``cued_revisit`` = revisit / 4 and ``cued_hits`` = hits_for_track
  (a modelling assumption, not a published figure; set the fields for a sourced value); a
  ``"full"`` radar gains nothing by default. A cue never extends what a radar can detect.
* **Launch detection** — space-based infrared early warning sees the hot plume during boost
  only: from the moment the threat climbs above ``min_altitude`` (cloud tops) until burnout,
  with global coverage; its report (a cue, never a fire-control track) arrives ``latency``
  seconds after first sight.
* **Data sharing** — in a `Network` every report reaches the other sensors and the fire-control
  node after the network ``latency``, except between sensors listed in ``home`` (one weapon
  system's own sensors, connected without that latency). The fused cue is the earliest report
  of any sensor; the fused track the earliest fire-control-quality radar track.

Times are seconds after each threat's launch (the `Trajectory` clock); NaN means never.
Interval ends and starts are refined between samples by bisection on the cubic Hermite
interpolant of the sampled positions and velocities.

A package by job; every public name is re-exported here (``from shieldsim.sensors import
detect``):

| module | holds |
|---|---|
| `devices` | `Radar`, `LaunchDetector`, `Network`, the refraction constants |
| `refraction` | ray kernels through the reference atmosphere (packed ``RAY_*``), `surface_k`, `ray_bending` |
| `kernels` | compiled sight, status and interval refinement kernels (packed radar rows ``R_*``) |
| `sweep` | the compiled coverage sweep of sampled flights, skipping samples whose status is proved unchanged |
| `geometry` | radar rows packed for the kernels, `look_angles`, `coverage_status` |
| `detection` | `Timeline`, `detect`, `phase_rcs` |
| `fire_control` | `BatteryTrack`, `battery_track`, `own_track_window`, `TRACK_MODES` |

Inner layers (import-linter): `fire_control` > `detection` > `geometry` | `sweep` > `kernels` >
`refraction` > `devices`.
"""

from __future__ import annotations

from .detection import CoverageMemo, Timeline, detect, phase_rcs
from .devices import (
    ATMOSPHERE_TOP,
    FIELDS,
    PLATFORMS,
    REFRACTION_MODELS,
    REFRACTIVITY_SCALE_HEIGHT,
    SURFACE_REFRACTIVITY,
    LaunchDetector,
    Network,
    Radar,
)
from .fire_control import TRACK_MODES, BatteryTrack, battery_track, own_track_window
from .geometry import coverage_status, look_angles
from .refraction import ray_bending, surface_k

__all__ = [
    "ATMOSPHERE_TOP", "FIELDS", "PLATFORMS", "REFRACTION_MODELS", "REFRACTIVITY_SCALE_HEIGHT", "SURFACE_REFRACTIVITY",
    "TRACK_MODES", "BatteryTrack", "CoverageMemo", "LaunchDetector", "Network", "Radar", "Timeline", "battery_track",
    "coverage_status", "detect", "look_angles", "own_track_window", "phase_rcs", "ray_bending", "surface_k",
]
