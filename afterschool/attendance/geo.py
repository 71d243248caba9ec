"""Distance on the earth and coordinate checks for the check-in geofence. Pure maths: no Django, no database.

Positions are WGS-84 latitude/longitude in degrees (what a phone's navigator.geolocation reports). The distance
is the great-circle (haversine) distance on a sphere of the mean earth radius; over the few hundred metres of a
school's check-in area it differs from the ellipsoidal distance by well under a metre.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

EARTH_RADIUS_M = 6371008.8  # mean earth radius (IUGG), metres
METRES_PER_DEGREE_LATITUDE = EARTH_RADIUS_M * math.pi / 180  # ≈ 111,195 m
COORDINATE_PLACES = Decimal("0.000001")  # what the database keeps (decimal_places=6, about 0.1 m)

Number = Decimal | float | int


def distance_m(lat1: Number, lng1: Number, lat2: Number, lng2: Number) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    d_phi = phi2 - phi1
    d_lambda = math.radians(float(lng2) - float(lng1))
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, max(0.0, h))))


def latitude_north_of(latitude: Number, metres: float) -> float:
    """The latitude `metres` due north (negative: south) of `latitude`, on the same sphere as distance_m."""
    return float(latitude) + metres / METRES_PER_DEGREE_LATITUDE


def as_number(value: object) -> Decimal | None:
    """A finite number from a Decimal, float, int or numeric string; None for anything else (text, NaN, ∞, bool)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int | float):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def latitude_error(value: object) -> str | None:
    """Why `value` is not a latitude (−90..90 degrees), or None when it is one."""
    number = as_number(value)
    if number is None:
        return "纬度须是数字"
    if not Decimal(-90) <= number <= Decimal(90):
        return "纬度须在 -90 到 90 之间"
    return None


def longitude_error(value: object) -> str | None:
    """Why `value` is not a longitude (−180..180 degrees), or None when it is one."""
    number = as_number(value)
    if number is None:
        return "经度须是数字"
    if not Decimal(-180) <= number <= Decimal(180):
        return "经度须在 -180 到 180 之间"
    return None


def as_coordinate(value: object) -> Decimal:
    """A checked coordinate rounded to what the database keeps (6 decimal places). Call after the *_error check."""
    number = as_number(value)
    if number is None:
        raise ValueError("not a number")
    return number.quantize(COORDINATE_PLACES)
