"""Sensor descriptions: `Radar`, `LaunchDetector`, and the `Network` that shares their reports.

SI units, angles in radians. The physics each field feeds is described in the package docstring
(`shieldsim.sensors`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


FIELDS = ("fixed", "full")
PLATFORMS = ("land", "ship")
REFRACTION_MODELS = ("atmosphere", "4/3-earth", "none")
"""Values of `Radar.refraction` (the index is the kernels' R_MODEL code)."""

SURFACE_REFRACTIVITY = 315.0
"""N0 (N units, (n - 1) x 1e6) of the exponential reference atmosphere N(h) = N0 exp(-h / h0):
the mean global value of ITU-R Recommendation P.453 (also used in ITU-R P.834). Not verified
against the original Recommendation texts (stored copies not readable here)."""
REFRACTIVITY_SCALE_HEIGHT = 7350.0
"""h0 (m) of the exponential reference atmosphere (ITU-R P.453; see SURFACE_REFRACTIVITY)."""
ATMOSPHERE_TOP = 100e3
"""Height (m) above which rays are straight (N < 4e-4 N units there; the bending a ray would
still gather above it is below 1e-8 rad)."""


@dataclass(frozen=True)
class Radar:
    """A ground- or ship-based radar. SI units, angles in radians.

    Attributes:
        name: label used in outputs.
        lat, lon: geodetic site position, rad.
        antenna_height: antenna phase centre above the site ground (ship: above sea level), m.
        field: ``"fixed"`` (one face, boresight +- half_width) or ``"full"`` (all azimuths).
        boresight: azimuth of the face normal, rad clockwise from north (ignored for "full").
        half_width: half-width of the azimuth field of regard, rad (ignored for "full").
        min_elevation, max_elevation: elevation limits (refracted elevation), rad.
        max_range: maximum instrumented slant range, m.
        reference_range: detection range against ``reference_rcs``, m.
        reference_rcs: radar cross-section the reference range refers to, m^2.
        revisit: time between looks at a detected target while searching, s.
        hits_for_track: number of hits needed to form a track (>= 1).
        fire_control: whether its tracks are good enough to fire an interceptor on.
        refraction_k: effective-Earth-radius factor of the "4/3-earth" model (4/3 standard).
        source: public source of the figures.
        platform: ``"land"`` or ``"ship"``.
        site_altitude: ground height of the site above the model surface, m (0 for a ship).
        cued_revisit: revisit once cued, s (None: revisit / 4 for a fixed face, else revisit).
        cued_hits: hits needed once cued (None: hits_for_track).
        refraction: ``"atmosphere"`` (rays bent only in the exponential reference atmosphere,
            straight above it), ``"4/3-earth"`` (effective Earth of ``refraction_k`` along the
            whole path) or ``"none"`` (straight rays). See the package docstring.
    """

    name: str
    lat: float
    lon: float
    antenna_height: float
    field: str
    boresight: float
    half_width: float
    min_elevation: float
    max_elevation: float
    max_range: float
    reference_range: float
    reference_rcs: float
    revisit: float
    hits_for_track: int
    fire_control: bool
    refraction_k: float = 4.0 / 3.0
    source: str = ""
    platform: str = "land"
    site_altitude: float = 0.0
    cued_revisit: float | None = None
    cued_hits: int | None = None
    refraction: str = "atmosphere"

    def __post_init__(self):
        if self.refraction not in REFRACTION_MODELS:
            raise ValueError(f"radar {self.name!r}: refraction must be one of {REFRACTION_MODELS}, "
                             f"got {self.refraction!r}")
        if self.refraction == "atmosphere" and self.max_elevation < 0:
            raise ValueError(f"radar {self.name!r}: max_elevation must be >= 0 with refraction 'atmosphere'")
        if self.field not in FIELDS:
            raise ValueError(f"radar {self.name!r}: field must be one of {FIELDS}, got {self.field!r}")
        if self.platform not in PLATFORMS:
            raise ValueError(f"radar {self.name!r}: platform must be one of {PLATFORMS}, got {self.platform!r}")
        if not (-math.pi / 2 <= self.min_elevation < self.max_elevation <= math.pi / 2):
            raise ValueError(f"radar {self.name!r}: need -90 deg <= min_elevation < max_elevation <= 90 deg")
        if self.field == "fixed" and not (0.0 < self.half_width <= math.pi):
            raise ValueError(f"radar {self.name!r}: half_width must be in (0, 180] deg")
        for key in ("max_range", "reference_range", "reference_rcs", "revisit", "refraction_k"):
            if not getattr(self, key) > 0:
                raise ValueError(f"radar {self.name!r}: {key} must be > 0, got {getattr(self, key)}")
        if self.antenna_height < 0:
            raise ValueError(f"radar {self.name!r}: antenna_height must be >= 0")
        if int(self.hits_for_track) < 1:
            raise ValueError(f"radar {self.name!r}: hits_for_track must be >= 1")
        if self.cued_revisit is not None and not self.cued_revisit > 0:
            raise ValueError(f"radar {self.name!r}: cued_revisit must be > 0")
        if self.cued_hits is not None and int(self.cued_hits) < 1:
            raise ValueError(f"radar {self.name!r}: cued_hits must be >= 1")

    @classmethod
    def at_sea(cls, name: str, lat: float, lon: float, antenna_height: float, **kwargs) -> Radar:
        """A ship-borne radar: the site is at sea level (height 0 on the model surface)."""
        return cls(name, lat, lon, antenna_height, platform="ship", site_altitude=0.0, **kwargs)

    def detection_range(self, rcs) -> np.ndarray:
        """Detection range (m) against a cross-section ``rcs`` (m^2): R_ref (rcs/rcs_ref)^(1/4)."""
        return self.reference_range * (np.asarray(rcs, dtype=float) / self.reference_rcs) ** 0.25

    @property
    def track_delay(self) -> float:
        """Seconds from first detection to track when searching: (hits - 1) * revisit."""
        return (int(self.hits_for_track) - 1) * self.revisit

    @property
    def cued_track_delay(self) -> float:
        """Seconds from detectable-and-cued to track: (cued hits - 1) * cued revisit."""
        hits = int(self.cued_hits) if self.cued_hits is not None else int(self.hits_for_track)
        if self.cued_revisit is not None:
            revisit = self.cued_revisit
        else:
            revisit = self.revisit / 4.0 if self.field == "fixed" else self.revisit
        return (hits - 1) * revisit


@dataclass(frozen=True)
class LaunchDetector:
    """Space-based infrared early warning: sees a boost phase above ``min_altitude`` (m) and
    reports it ``latency`` (s) after first sight; a cue, never a fire-control track."""

    name: str
    min_altitude: float
    latency: float
    source: str = ""

    def __post_init__(self):
        if self.latency < 0:
            raise ValueError(f"launch detector {self.name!r}: latency must be >= 0")

    fire_control = False


@dataclass(frozen=True)
class Network:
    """Sensors whose reports are shared after ``latency`` seconds.

    ``home`` names the sensors of the weapon system that uses the fused track (connected to its
    fire-control node and to each other without the network latency); every other report
    reaches them, and the fire-control node, ``latency`` seconds after it is made.
    """

    name: str
    sensors: list
    latency: float
    home: tuple = ()

    def __post_init__(self):
        if self.latency < 0:
            raise ValueError(f"network {self.name!r}: latency must be >= 0")
        names = [s.name for s in self.sensors]
        if len(set(names)) != len(names):
            raise ValueError(f"network {self.name!r}: sensor names must be unique, got {names}")
        unknown = set(self.home) - set(names)
        if unknown:
            raise ValueError(f"network {self.name!r}: home sensors {sorted(unknown)} are not in the network")
