"""The track a battery fires on and the track that guides its interceptor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .detection import Timeline, _earliest


TRACK_MODES = ("own", "remote")
"""Values of a battery's ``launch_on`` / ``engage_on`` (see `interceptor.Battery`)."""


@dataclass
class BatteryTrack:
    """What one battery may fire on, per threat (N); times in s after the threat's launch.

    Attributes:
        track_time: (N,) when the battery may launch on a fire-control track (NaN = never).
        track_sensor: (N,) index (into ``Timeline.sensor_names``) of the sensor whose track that
            is, -1 if none.
        intercept_window: (N, 2) earliest and latest intercept time the guidance allows
            (-inf, +inf = unconstrained; +inf, -inf = no guidance track, no intercept).
    """

    track_time: np.ndarray
    track_sensor: np.ndarray
    intercept_window: np.ndarray


def _own_columns(timeline: Timeline, own) -> np.ndarray:
    """Indices of the fire-control radars of ``timeline`` named in ``own`` (None: its home)."""
    names = set(timeline.home if own is None else own)
    return np.array([j for j, name in enumerate(timeline.sensor_names)
                     if name in names and timeline.sensor_kinds[j] == "radar" and bool(timeline.fire_control[j])],
                    dtype=np.int64)


def own_track_window(timeline: Timeline, own=None) -> np.ndarray:
    """(N, 2) span during which one of the battery's own fire-control radars holds a track:
    from a radar's track time (`Timeline.sensor_track_time`, cues included) to the end of the
    detection interval that time lies in; over several own radars the hull of their spans
    (earliest start, latest end -- exact with one own radar or overlapping spans). Rows with no
    own track are (+inf, -inf). ``own`` names the radars (None: the timeline's home sensors);
    launch detectors and radars without fire-control quality never count."""
    n = len(timeline)
    cols = _own_columns(timeline, own)
    out = np.empty((n, 2))
    out[:, 0], out[:, 1] = np.inf, -np.inf
    if cols.size == 0 or n == 0:
        return out
    t = timeline.sensor_track_time[:, cols]  # (N, k)
    start, end = timeline.detect_start[:, cols, :], timeline.detect_end[:, cols, :]  # (N, k, K)
    tol = 1e-6  # the track is formed inside its interval to within the interval search's 1e-9 s
    inside = (start <= t[..., None] + tol) & (t[..., None] <= end + tol)
    stop = np.fmax.reduce(np.where(inside, end, np.nan), axis=-1, initial=np.nan) if end.shape[-1] else \
        np.full(t.shape, np.nan)
    held = np.isfinite(t) & np.isfinite(stop)
    lo = np.where(held, t, np.inf).min(axis=1)
    hi = np.where(held, np.maximum(stop, t), -np.inf).max(axis=1)
    out[:, 0], out[:, 1] = lo, hi
    return out


def battery_track(timeline: Timeline, own=None, launch_on: str = "remote", engage_on: str = "remote") -> BatteryTrack:
    """The track a battery fires on and the intercept window its guidance allows.

    Args:
        timeline: `detect` output for the battery's network.
        own: names of the battery's own radars (None: the network's home sensors); only
            fire-control radars among them count.
        launch_on: ``"remote"`` -- the network's fused fire-control track (`Timeline.track_time`,
            reports of non-home sensors after the network latency); ``"own"`` -- the earliest
            track of an own fire-control radar (cues from other sensors included), which reaches
            the battery without latency.
        engage_on: ``"remote"`` -- no constraint on the intercept time; ``"own"`` -- the
            intercept must fall in `own_track_window`.

    Returns:
        A `BatteryTrack` with (N,) track time and sensor and the (N, 2) intercept window.
    """
    for key, value in (("launch_on", launch_on), ("engage_on", engage_on)):
        if value not in TRACK_MODES:
            raise ValueError(f"{key} must be one of {TRACK_MODES}, got {value!r}")
    n = len(timeline)
    if launch_on == "remote":
        track, sensor = np.asarray(timeline.track_time, dtype=float), np.asarray(timeline.track_sensor, dtype=np.int64)
    else:
        cols = _own_columns(timeline, own)
        track, k = _earliest(timeline.sensor_track_time[:, cols] if cols.size else np.full((n, 0), np.nan))
        sensor = np.where(k >= 0, cols[np.maximum(k, 0)] if cols.size else -1, -1).astype(np.int64)
    if engage_on == "remote":
        window = np.empty((n, 2))
        window[:, 0], window[:, 1] = -np.inf, np.inf
    else:
        window = own_track_window(timeline, own)
    return BatteryTrack(track, sensor, window)
