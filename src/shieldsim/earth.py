"""Earth models, rotation, and conversions between geodetic and Earth-fixed coordinates.

Two models are provided: ``SPHERE`` (radius 6 371.0 km) and ``WGS84`` (the ellipsoid of the
World Geodetic System 1984). Both use point-mass gravity with GM = 398 600.4418 km^3/s^2;
shieldsim's free flight is two-body motion, so the oblateness of the ellipsoid shapes the
surface a missile lands on and the local vertical, not the gravity field.

All functions take SI units (metres, radians) and NumPy arrays of any shape; positions are
Earth-centred Earth-fixed (ECEF) in metres with a trailing axis of length 3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .series import ASIN_SMALL_MAX, SINCOS_SMALL_MAX, asin_small, sincos_small
from .units import wrap_pi

GM_EARTH = 3.986004418e14
"""Earth's gravitational parameter, m^3/s^2 (WGS84 value, used by both models)."""

OMEGA_EARTH = 7.2921159e-5
"""Earth's sidereal rotation rate, rad/s."""


@dataclass(frozen=True)
class Earth:
    """An Earth model: an ellipsoid of revolution (a sphere when ``flattening`` is 0).

    Attributes:
        name: short name recorded in every output (``"sphere"`` or ``"wgs84"``).
        equatorial_radius: semi-major axis a, metres.
        flattening: f = (a - b) / a, dimensionless.
        gm: gravitational parameter, m^3/s^2.
        rotation_rate: sidereal rotation rate about +z, rad/s.
    """

    name: str
    equatorial_radius: float
    flattening: float
    gm: float = GM_EARTH
    rotation_rate: float = OMEGA_EARTH

    @property
    def polar_radius(self) -> float:
        """Semi-minor axis b, metres."""
        return self.equatorial_radius * (1.0 - self.flattening)

    @property
    def eccentricity_squared(self) -> float:
        """First eccentricity squared e^2 = f (2 - f)."""
        return self.flattening * (2.0 - self.flattening)

    @property
    def mean_radius(self) -> float:
        """Mean radius (2a + b) / 3, metres: the radius used for great-circle distances."""
        return (2.0 * self.equatorial_radius + self.polar_radius) / 3.0


SPHERE = Earth("sphere", 6_371_000.0, 0.0)
WGS84 = Earth("wgs84", 6_378_137.0, 1.0 / 298.257223563)

EARTH_MODELS = {"sphere": SPHERE, "wgs84": WGS84}


def earth_model(name: str) -> Earth:
    """Return the Earth model called ``name`` ('sphere' or 'wgs84')."""
    try:
        return EARTH_MODELS[name]
    except KeyError:
        raise ValueError(f"earth must be one of {sorted(EARTH_MODELS)}, got {name!r}") from None


def to_ecef(lat, lon, alt, earth: Earth = WGS84) -> np.ndarray:
    """Geodetic latitude, longitude (radians) and height above the model surface (m) to ECEF (m).

    Returns an array of shape ``broadcast(lat, lon, alt).shape + (3,)``.
    """
    lat, lon, alt = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (lat, lon, alt)))
    a, e2 = earth.equatorial_radius, earth.eccentricity_squared
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    n = a / np.sqrt(1.0 - e2 * sin_lat**2)  # prime-vertical radius of curvature
    x = (n + alt) * cos_lat * np.cos(lon)
    y = (n + alt) * cos_lat * np.sin(lon)
    z = (n * (1.0 - e2) + alt) * sin_lat
    return np.stack([x, y, z], axis=-1)


def to_geodetic(position, earth: Earth = WGS84) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ECEF position (m, trailing axis 3) to geodetic latitude, longitude (rad) and height (m).

    Uses Bowring's method refined by one fixed-point iteration: accurate to well below a
    millimetre from 1,000 km below the surface to beyond 10,000 km above it.
    """
    p = np.asarray(position, dtype=float)
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    a, b, e2 = earth.equatorial_radius, earth.polar_radius, earth.eccentricity_squared
    lon = np.arctan2(y, x)
    rho = np.hypot(x, y)
    if e2 == 0.0:
        lat = np.arctan2(z, rho)
        alt = np.sqrt(rho**2 + z**2) - a
        return lat, lon, alt
    ep2 = (a**2 - b**2) / b**2
    beta = np.arctan2(a * z, b * rho)
    lat = np.arctan2(z + ep2 * b * np.sin(beta) ** 3, rho - e2 * a * np.cos(beta) ** 3)
    beta = np.arctan2((1.0 - earth.flattening) * np.sin(lat), np.cos(lat))
    lat = np.arctan2(z + ep2 * b * np.sin(beta) ** 3, rho - e2 * a * np.cos(beta) ** 3)
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    n = a / np.sqrt(1.0 - e2 * sin_lat**2)
    # Height along the normal; this form is well conditioned at all latitudes.
    alt = rho * cos_lat + z * sin_lat - a**2 / n
    return lat, lon, alt


def surface_lat_lon(position, earth: Earth = WGS84) -> tuple[np.ndarray, np.ndarray]:
    """Geodetic latitude and longitude (rad) of points lying on the model surface (ECEF m).

    Exact in closed form for surface points: tan(lat) = z / ((1 - e^2) rho).
    """
    p = np.asarray(position, dtype=float)
    rho = np.hypot(p[..., 0], p[..., 1])
    return np.arctan2(p[..., 2], (1.0 - earth.eccentricity_squared) * rho), np.arctan2(p[..., 1], p[..., 0])


def enu_basis(lat, lon) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors east, north and up (along the ellipsoid normal) at geodetic lat, lon (rad).

    Each returned array has shape ``broadcast(lat, lon).shape + (3,)`` in ECEF axes.
    """
    lat, lon = np.broadcast_arrays(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float))
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    zero = np.zeros_like(lat)
    east = np.stack([-so, co, zero], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl], axis=-1)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    return east, north, up


def local_velocity(speed, flight_path_angle, heading, lat, lon) -> np.ndarray:
    """ECEF velocity vector (m/s) from speed (m/s), flight-path angle above the local
    horizontal and heading clockwise from north (radians) at geodetic lat, lon (rad)."""
    east, north, up = enu_basis(lat, lon)
    speed = np.asarray(speed, dtype=float)[..., None]
    g = np.asarray(flight_path_angle, dtype=float)[..., None]
    h = np.asarray(heading, dtype=float)[..., None]
    horizontal = np.cos(g) * (np.sin(h) * east + np.cos(h) * north)
    return speed * (horizontal + np.sin(g) * up)


def gaussian_radius(lat, earth: Earth = WGS84):
    """Gaussian mean radius of curvature sqrt(M N) (m) of the model surface at geodetic latitude
    ``lat`` (rad): the radius of the sphere that best fits the surface around that point in every
    direction (M meridional, N prime-vertical radius of curvature). Equals the radius on the sphere."""
    a, e2 = earth.equatorial_radius, earth.eccentricity_squared
    w = 1.0 - e2 * np.sin(lat) ** 2
    return np.sqrt(a * (1.0 - e2) / w**1.5 * a / np.sqrt(w))


def surface_radius(geocentric_sin_lat, earth: Earth = WGS84):
    """Distance (m) from the Earth's centre to the model surface at a geocentric latitude,
    given as its sine (so it applies to any ECEF direction: sin = z / |r|)."""
    s2 = np.asarray(geocentric_sin_lat, dtype=float) ** 2
    a, b = earth.equatorial_radius, earth.polar_radius
    return a * b / np.sqrt(b**2 * (1.0 - s2) + a**2 * s2)


def rotate_about_z(position, angle) -> np.ndarray:
    """Rotate vectors (trailing axis 3) by ``angle`` (rad, right-handed) about the z axis.

    Converting an inertial position at time t to Earth-fixed axes is a rotation by -omega t.
    """
    p = np.asarray(position, dtype=float)
    c, s = np.cos(angle), np.sin(angle)
    x, y = p[..., 0], p[..., 1]
    return np.stack([c * x - s * y, s * x + c * y, p[..., 2]], axis=-1)


def fixed_state(r, v, t, omega: float) -> tuple[np.ndarray, np.ndarray]:
    """Inertial states r (m), v (m/s), each (N, 3), at times t (s, scalar or (N,)) to Earth-fixed
    position and Earth-relative velocity in Earth-fixed axes, each (N, 3).

    The inertial frame coincides with Earth-fixed axes at t = 0 and the Earth turns about +z at
    ``omega`` (rad/s; 0 for a non-rotating Earth): the Earth-relative velocity is v - omega x r,
    and both vectors are rotated by -omega t. `fixed_state_one` is the compiled scalar twin.
    """
    r = np.atleast_2d(r)
    v = np.atleast_2d(v)
    v_rel = v - np.cross(np.array([0.0, 0.0, omega]), r)
    ang = -omega * np.asarray(t, dtype=float)
    return rotate_about_z(r, ang), rotate_about_z(v_rel, ang)


def inertial_velocity(position, velocity, omega: float) -> np.ndarray:
    """Inertial velocity (m/s, (N, 3)) of Earth-fixed points ``position`` (m) moving at
    ``velocity`` (m/s) relative to an Earth turning at ``omega`` (rad/s) about +z, in the inertial
    frame that coincides with Earth-fixed axes at that instant: v + omega x r."""
    return velocity + np.cross(np.array([0.0, 0.0, omega]), position)


def great_circle_distance(lat1, lon1, lat2, lon2, radius: float = SPHERE.equatorial_radius):
    """Great-circle distance (m) on a sphere of ``radius`` (m) between points given in radians.

    Uses the haversine-stable Vincenty formula, exact for antipodal and coincident points.
    """
    dlon = np.asarray(lon2) - np.asarray(lon1)
    s1, c1, s2, c2 = np.sin(lat1), np.cos(lat1), np.sin(lat2), np.cos(lat2)
    num = np.hypot(c2 * np.sin(dlon), c1 * s2 - s1 * c2 * np.cos(dlon))
    den = s1 * s2 + c1 * c2 * np.cos(dlon)
    return radius * np.arctan2(num, den)


def surface_distance(lat1, lon1, lat2, lon2, earth: Earth = WGS84) -> np.ndarray:
    """Distance (m) along the model surface between points given in radians.

    On the sphere this is the great-circle distance; on WGS84 it is the geodesic distance
    computed by pyproj (Karney's algorithm).
    """
    if earth.flattening == 0.0:
        return great_circle_distance(lat1, lon1, lat2, lon2, earth.equatorial_radius)
    return geodesic_inverse(lat1, lon1, lat2, lon2, earth)[0]


def geodesic_inverse(lat1, lon1, lat2, lon2, earth: Earth = WGS84):
    """Distance (m) and initial heading (rad, clockwise from north) from point 1 to point 2.

    Points in radians. Sphere: great circle; ellipsoid: pyproj's geodesic.
    """
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (lat1, lon1, lat2, lon2))
    )
    if earth.flattening == 0.0:
        dlon = lon2 - lon1
        heading = np.arctan2(
            np.sin(dlon) * np.cos(lat2),
            np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon),
        )
        return great_circle_distance(lat1, lon1, lat2, lon2, earth.equatorial_radius), heading
    geod = _geod(earth)
    az, _, dist = geod.inv(
        np.degrees(lon1).ravel(), np.degrees(lat1).ravel(),
        np.degrees(lon2).ravel(), np.degrees(lat2).ravel(),
    )
    return np.reshape(dist, lat1.shape), np.reshape(np.radians(az), lat1.shape)



def geodesic_inverse_compiled(lat1, lon1, lat2, lon2, earth: Earth = WGS84):
    """`geodesic_inverse` of 1-D arrays (rad) in one compiled pass: (distance m, initial heading
    rad clockwise from north, in (-pi, pi]), NaN where an input is NaN. Ellipsoid: Vincenty's
    inverse formula (1975), within 1 mm of pyproj's (Karney's) distance and 1e-9 rad of its
    heading (tests/test_earth.py), pyproj where Vincenty does not converge (nearly antipodal
    points); ~10 times cheaper than pyproj for the batches `aim` measures. Sphere: as
    `geodesic_inverse`."""
    lat1, lon1, lat2, lon2 = (np.ascontiguousarray(x, dtype=float) for x in np.broadcast_arrays(lat1, lon1, lat2, lon2))
    if earth.flattening == 0.0 or lat1.ndim != 1:
        return geodesic_inverse(lat1, lon1, lat2, lon2, earth)
    dist, heading = np.empty(lat1.shape), np.empty(lat1.shape)
    if _vincenty_inverse_batch(lat1, lon1, lat2, lon2, earth.equatorial_radius, earth.flattening, dist, heading):
        redo = np.isnan(dist) & np.isfinite(lat1 + lon1 + lat2 + lon2)
        dist[redo], heading[redo] = geodesic_inverse(lat1[redo], lon1[redo], lat2[redo], lon2[redo], earth)
    return dist, heading

def geodesic_direct(lat, lon, heading, distance, earth: Earth = WGS84):
    """Point (lat, lon in radians) reached by going ``distance`` metres from (lat, lon) along
    the surface geodesic that starts at ``heading`` (rad clockwise from north)."""
    lat, lon, heading, distance = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (lat, lon, heading, distance))
    )
    if earth.flattening == 0.0:
        d = distance / earth.equatorial_radius
        lat2 = np.arcsin(np.sin(lat) * np.cos(d) + np.cos(lat) * np.sin(d) * np.cos(heading))
        lon2 = lon + np.arctan2(
            np.sin(heading) * np.sin(d) * np.cos(lat), np.cos(d) - np.sin(lat) * np.sin(lat2)
        )
        return lat2, wrap_pi(lon2)
    lon2, lat2, _ = _geod(earth).fwd(
        np.degrees(lon).ravel(), np.degrees(lat).ravel(),
        np.degrees(heading).ravel(), distance.ravel(),
    )
    return np.reshape(np.radians(lat2), lat.shape), np.reshape(np.radians(lon2), lat.shape)


_GEODS: dict = {}


def _geod(earth: Earth):
    """pyproj.Geod for an Earth model (cached; pyproj imported on first use)."""
    if earth not in _GEODS:
        from pyproj import Geod

        _GEODS[earth] = Geod(a=earth.equatorial_radius, f=earth.flattening)
    return _GEODS[earth]


# ---------------------------------------------------------------------------------------------
# Scalar kernels for compiled loops elsewhere (Numba). Each mirrors a NumPy function above and
# is tested against it; pyproj stays the reference for geodesics.


@njit(cache=True)
def ecef_one(lat, lon, alt, a, e2, out):
    """Scalar `to_ecef`: geodetic lat, lon (rad), height (m) -> out[0:3] ECEF (m)."""
    sl, cl = math.sin(lat), math.cos(lat)
    n = a / math.sqrt(1.0 - e2 * sl * sl)
    out[0] = (n + alt) * cl * math.cos(lon)
    out[1] = (n + alt) * cl * math.sin(lon)
    out[2] = (n * (1.0 - e2) + alt) * sl


@njit(cache=True)
def surface_radius_one(z_over_r, a, b):
    """Scalar `surface_radius`: distance (m) from the centre to the ellipsoid (semi-axes a, b in
    m) along a direction whose geocentric latitude has sine ``z_over_r``."""
    s2 = z_over_r * z_over_r
    return a * b / math.sqrt(b * b * (1.0 - s2) + a * a * s2)


@njit(cache=True)
def radial_height_one(r, a, b):
    """Height (m) of the point r (ECEF or inertial m; first three items used) above the
    ellipsoid (semi-axes a, b in m), measured along the geocentric radius: |r| minus the surface
    radius in that direction. Within metres of the geodetic height below 100 km, and cheaper;
    the drag, boost and radar kernels use it."""
    rn = math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2])
    return rn - surface_radius_one(r[2] / rn, a, b)


@njit(cache=True)
def fixed_state_one(r, v, t, omega, pos_out, vel_out):
    """Inertial state (r m, v m/s; first three items of each are used) at time ``t`` (s) to
    Earth-fixed position and Earth-relative velocity (Earth-fixed axes), written to
    pos_out[0:3] and vel_out[0:3].

    The inertial frame coincides with Earth-fixed axes at t = 0 and the Earth turns about +z at
    ``omega`` (rad/s): velocity relative to the Earth is v - omega x r, and both vectors are
    rotated by -omega t. Scalar twin of `fixed_state` for compiled loops.
    """
    fixed_state_turned(r, v, math.cos(-omega * t), math.sin(-omega * t), omega, pos_out, vel_out)


@njit(cache=True)
def fixed_state_turned(r, v, c, s, omega, pos_out, vel_out):
    """`fixed_state_one` with the cosine c and sine s of the Earth's turn -omega t given (for
    callers that have them already): inertial r (m), v (m/s) (first three items of each) to
    Earth-fixed position and Earth-relative velocity in pos_out[0:3], vel_out[0:3]."""
    wx = v[0] + omega * r[1]
    wy = v[1] - omega * r[0]
    pos_out[0] = c * r[0] - s * r[1]
    pos_out[1] = s * r[0] + c * r[1]
    pos_out[2] = r[2]
    vel_out[0] = c * wx - s * wy
    vel_out[1] = s * wx + c * wy
    vel_out[2] = v[2]


@njit(cache=True)
def geodetic_height_one(x, y, z, a, f):
    """Scalar `to_geodetic`: (latitude rad, height m) of an ECEF point (Bowring + one refinement)."""
    b = a * (1.0 - f)
    e2 = f * (2.0 - f)
    rho = math.hypot(x, y)
    if e2 == 0.0:
        return math.atan2(z, rho), math.sqrt(rho * rho + z * z) - a
    ep2 = (a * a - b * b) / (b * b)
    beta = math.atan2(a * z, b * rho)
    lat = math.atan2(z + ep2 * b * math.sin(beta) ** 3, rho - e2 * a * math.cos(beta) ** 3)
    beta = math.atan2((1.0 - f) * math.sin(lat), math.cos(lat))
    lat = math.atan2(z + ep2 * b * math.sin(beta) ** 3, rho - e2 * a * math.cos(beta) ** 3)
    sl, cl = math.sin(lat), math.cos(lat)
    n = a / math.sqrt(1.0 - e2 * sl * sl)
    return lat, rho * cl + z * sl - a * a / n


@njit(cache=True)
def surface_distance_one(lat1, lon1, lat2, lon2, a, f):
    """Scalar `surface_distance` (m) between points in radians.

    Sphere (f = 0): great circle. Ellipsoid: Vincenty's inverse formula (1975), accurate to
    0.5 mm; returns NaN where it does not converge (nearly antipodal points), for which callers
    fall back to pyproj. (`geodesic_distance_sc` on the sines and cosines of the arguments.)
    """
    dlon = lon2 - lon1
    return geodesic_distance_sc(math.sin(lat1), math.cos(lat1), math.sin(lat2), math.cos(lat2), dlon,
                                math.sin(dlon), math.cos(dlon), a, f)


@njit(cache=True, inline="always")
def vincenty_reduced(sin_lat1, cos_lat1, sin_lat2, cos_lat2, f):
    """Products of the sines and cosines of the reduced latitudes u1, u2 of two points given by
    the sines and cosines of their geodetic latitudes (flattening f), as Vincenty's iteration
    uses them: (sin u1 sin u2, cos u1 cos u2, cos u1 sin u2, sin u1 cos u2, cos u2)."""
    g1, g2 = (1.0 - f) * sin_lat1, (1.0 - f) * sin_lat2
    t1 = 1.0 / math.sqrt(g1 * g1 + cos_lat1 * cos_lat1)
    t2 = 1.0 / math.sqrt(g2 * g2 + cos_lat2 * cos_lat2)
    su1, cu1 = g1 * t1, cos_lat1 * t1
    su2, cu2 = g2 * t2, cos_lat2 * t2
    return su1 * su2, cu1 * cu2, cu1 * su2, su1 * cu2, cu2


@njit(cache=True, inline="always")
def vincenty_sigma(sl, cl, susu, cucu, cusu, sucu, cu2):
    """(sin sigma, cos sigma) of Vincenty's iteration at the auxiliary longitude with sine sl and
    cosine cl (the products of `vincenty_reduced`)."""
    p = cu2 * sl
    q = cusu - sucu * cl
    return math.sqrt(p * p + q * q), susu + cucu * cl


@njit(cache=True, inline="always")
def vincenty_alpha(sl, sin_sigma, cos_sigma, susu, cucu):
    """(sin alpha, cos^2 alpha, cos 2 sigma_m) of Vincenty's iteration (sin sigma > 0; cos 2
    sigma_m is 0 on an equatorial line, where cos^2 alpha = 0)."""
    sin_alpha = cucu * sl / sin_sigma
    cos2_alpha = 1.0 - sin_alpha * sin_alpha
    cos_2sm = cos_sigma - 2.0 * susu / cos2_alpha if cos2_alpha != 0.0 else 0.0
    return sin_alpha, cos2_alpha, cos_2sm


@njit(cache=True, inline="always")
def vincenty_next(dlon, f, sigma, sin_sigma, cos_sigma, sin_alpha, cos2_alpha, cos_2sm):
    """Vincenty's next auxiliary longitude (rad) from the parts of the current iterate."""
    c = f / 16.0 * cos2_alpha * (4.0 + f * (4.0 - 3.0 * cos2_alpha))
    return dlon + (1.0 - c) * f * sin_alpha * (
        sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)))


@njit(cache=True, inline="always")
def vincenty_near(sin_dlon, cos_dlon, d):
    """(sin, cos) of dlon + d from those of dlon and the series of d (|d| <= SINCOS_SMALL_MAX)."""
    sd, cd = sincos_small(d)
    return sin_dlon * cd + cos_dlon * sd, cos_dlon * cd - sin_dlon * sd


@njit(cache=True, inline="always")
def vincenty_length(a, f, sigma, sin_sigma, cos_sigma, cos2_alpha, cos_2sm):
    """Length (m) of the geodesic on the ellipsoid (a m, flattening f) from the converged parts
    of Vincenty's iteration."""
    b = a * (1.0 - f)
    u2_ = cos2_alpha * (a * a - b * b) / (b * b)
    big_a = 1.0 + u2_ / 16384.0 * (4096.0 + u2_ * (-768.0 + u2_ * (320.0 - 175.0 * u2_)))
    big_b = u2_ / 1024.0 * (256.0 + u2_ * (-128.0 + u2_ * (74.0 - 47.0 * u2_)))
    d_sigma = big_b * sin_sigma * (cos_2sm + big_b / 4.0 * (
        cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)
        - big_b / 6.0 * cos_2sm * (-3.0 + 4.0 * sin_sigma * sin_sigma) * (-3.0 + 4.0 * cos_2sm * cos_2sm)))
    return b * big_a * (sigma - d_sigma)


@njit(cache=True)
def geodesic_distance_sc(sin_lat1, cos_lat1, sin_lat2, cos_lat2, dlon, sin_dlon, cos_dlon, a, f):
    """`surface_distance_one` (m) for points given by the sines and cosines of their geodetic
    latitudes and their longitude difference ``dlon`` (rad) with its sine and cosine. Sphere
    (f = 0): the great circle, with no trigonometric call but one atan2. Ellipsoid (a m,
    flattening f): Vincenty's inverse formula (1975) with the reduced latitudes in closed form
    and one Aitken extrapolation of its longitude iteration after the second step (which
    converges linearly at a rate of about f), so about 3.3 instead of 5.1 iterations; same
    tolerance (1e-13 rad) and accuracy (0.5 mm against Karney's geodesic). No trigonometric call
    after the first iteration: the longitude moves from ``dlon`` by less than pi f, so its sine
    and cosine come from those of dlon and `series.sincos_small` of the move, and the arc sigma
    moves from the previous iterate's by the small angle whose sine is
    sin sigma cos sigma_prev - cos sigma sin sigma_prev (`series.asin_small`); the library
    functions where either step is not small. The parts (`vincenty_reduced`, `vincenty_sigma`,
    ...) are shared with the block version, `trajectory.blocks.vincenty_lanes`. NaN where it does
    not converge (nearly antipodal points)."""
    if f == 0.0:
        p = cos_lat2 * sin_dlon
        q = cos_lat1 * sin_lat2 - sin_lat1 * cos_lat2 * cos_dlon
        return a * math.atan2(math.sqrt(p * p + q * q), sin_lat1 * sin_lat2 + cos_lat1 * cos_lat2 * cos_dlon)
    susu, cucu, cusu, sucu, cu2 = vincenty_reduced(sin_lat1, cos_lat1, sin_lat2, cos_lat2, f)
    lam = dlon
    lam_before = dlon
    sl, cl = sin_dlon, cos_dlon
    sin_sigma = cos_sigma = sigma = cos2_alpha = cos_2sm = 0.0
    for it in range(200):
        if it:
            d = lam - dlon
            sl, cl = vincenty_near(sin_dlon, cos_dlon, d) if abs(d) <= SINCOS_SMALL_MAX else (
                math.sin(lam), math.cos(lam))
        ss_prev, cs_prev = sin_sigma, cos_sigma
        sin_sigma, cos_sigma = vincenty_sigma(sl, cl, susu, cucu, cusu, sucu, cu2)
        if sin_sigma == 0.0:
            return 0.0
        x_num = sin_sigma * cs_prev - cos_sigma * ss_prev  # sin of sigma's change
        x_den = cos_sigma * cs_prev + sin_sigma * ss_prev
        if it and x_den > 0.0 and abs(x_num) <= ASIN_SMALL_MAX:
            sigma += asin_small(x_num)
        else:
            sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha, cos2_alpha, cos_2sm = vincenty_alpha(sl, sin_sigma, cos_sigma, susu, cucu)
        lam_prev = lam
        lam = vincenty_next(dlon, f, sigma, sin_sigma, cos_sigma, sin_alpha, cos2_alpha, cos_2sm)
        if abs(lam - lam_prev) < 1e-13:
            break
        if it == 1:  # Aitken's delta-squared on the three iterates so far
            d2 = lam - 2.0 * lam_prev + lam_before
            if d2 != 0.0:
                step = lam - lam_prev
                lam -= step * step / d2
        lam_before = lam_prev
    else:
        return math.nan
    return vincenty_length(a, f, sigma, sin_sigma, cos_sigma, cos2_alpha, cos_2sm)


@njit(cache=True, nogil=True)
def _vincenty_inverse_batch(lat1, lon1, lat2, lon2, a, f, dist, heading):
    """Vincenty's inverse formula (tolerance 1e-13 rad of the auxiliary longitude, as
    `geodesic_distance_sc`) for each pair of points (rad, arrays (N,)) on the ellipsoid (a m,
    flattening f): distance (m) and initial heading (rad) into dist, heading (N,). NaN where an
    input is NaN or the iteration does not converge; returns how many did not converge."""
    failed = 0
    for i in range(lat1.shape[0]):
        dlon = lon2[i] - lon1[i]
        dist[i] = heading[i] = math.nan
        if math.isnan(dlon + lat1[i] + lat2[i]):
            continue
        susu, cucu, cusu, sucu, cu2 = vincenty_reduced(math.sin(lat1[i]), math.cos(lat1[i]), math.sin(lat2[i]),
                                                       math.cos(lat2[i]), f)
        lam = dlon
        for _ in range(200):
            sl, cl = math.sin(lam), math.cos(lam)
            sin_sigma, cos_sigma = vincenty_sigma(sl, cl, susu, cucu, cusu, sucu, cu2)
            if sin_sigma == 0.0:  # coincident points
                dist[i], heading[i] = 0.0, 0.0
                break
            sigma = math.atan2(sin_sigma, cos_sigma)
            sin_alpha, cos2_alpha, cos_2sm = vincenty_alpha(sl, sin_sigma, cos_sigma, susu, cucu)
            lam_prev = lam
            lam = vincenty_next(dlon, f, sigma, sin_sigma, cos_sigma, sin_alpha, cos2_alpha, cos_2sm)
            if abs(lam - lam_prev) < 1e-13:
                dist[i] = vincenty_length(a, f, sigma, sin_sigma, cos_sigma, cos2_alpha, cos_2sm)
                heading[i] = math.atan2(cu2 * math.sin(lam), cusu - sucu * math.cos(lam))
                break
        else:
            failed += 1
    return failed
