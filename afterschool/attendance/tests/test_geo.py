"""Great-circle distance and coordinate checks (pure maths)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from afterschool.attendance import geo

R = geo.EARTH_RADIUS_M


def test_given_one_degree_of_latitude_then_about_111195_metres() -> None:
    assert geo.distance_m(0, 0, 1, 0) == pytest.approx(111195.08, abs=0.01)
    assert geo.distance_m(39.959, 116.298, 40.959, 116.298) == pytest.approx(111195.08, abs=0.01)
    assert round(geo.METRES_PER_DEGREE_LATITUDE, 2) == 111195.08


def test_given_quarter_and_half_of_the_equator_then_pi_r_over_two_and_pi_r() -> None:
    assert geo.distance_m(0, 0, 0, 90) == pytest.approx(math.pi * R / 2, abs=0.01)
    assert geo.distance_m(0, 0, 0, 180) == pytest.approx(math.pi * R, abs=0.01)
    assert geo.distance_m(90, 0, -90, 0) == pytest.approx(math.pi * R, abs=0.01)


def test_given_known_city_pairs_then_known_great_circle_distances() -> None:
    # London (Big Ben) – New York (Statue of Liberty): 5,574.8 km on the mean sphere.
    assert geo.distance_m(51.5007, -0.1246, 40.6892, -74.0445) == pytest.approx(5_574_848, abs=50)
    # Beijing – Shanghai city centres: about 1,067 km.
    assert geo.distance_m(39.9042, 116.4074, 31.2304, 121.4737) / 1000 == pytest.approx(1067.3, abs=0.5)


def test_given_a_longitude_degree_at_latitude_60_then_half_of_the_equators() -> None:
    assert geo.distance_m(60, 10, 60, 10.001) == pytest.approx(111195.08 * 0.001 * 0.5, abs=0.01)


def test_given_decimal_float_and_int_inputs_then_same_distance_and_symmetric() -> None:
    a = geo.distance_m(Decimal("39.959000"), Decimal("116.298000"), Decimal("39.961698"), Decimal("116.298000"))
    b = geo.distance_m(39.959, 116.298, 39.961698, 116.298)
    assert a == pytest.approx(b) and a == pytest.approx(300.0, abs=0.1)
    assert geo.distance_m(39.961698, 116.298, 39.959, 116.298) == pytest.approx(a)
    assert geo.distance_m(39.959, 116.298, 39.959, 116.298) == 0.0


def test_given_a_distance_north_then_the_point_is_that_far() -> None:
    for metres in (1, 100, 300, 301, 5000):
        lat = geo.latitude_north_of(Decimal("39.959"), metres)
        assert geo.distance_m(39.959, 116.298, lat, 116.298) == pytest.approx(metres, abs=1e-6)


def test_given_latitude_values_then_range_checked() -> None:
    for good in (0, 90, -90, Decimal("39.959000"), 45.5, "12.5"):
        assert geo.latitude_error(good) is None
    assert geo.latitude_error(90.000001) == "纬度须在 -90 到 90 之间"
    assert geo.latitude_error(Decimal("-90.1")) == "纬度须在 -90 到 90 之间"
    for bad in ("abc", "", None, float("nan"), float("inf"), True, [1]):
        assert geo.latitude_error(bad) == "纬度须是数字"


def test_given_longitude_values_then_range_checked() -> None:
    for good in (0, 180, -180, 116.298):
        assert geo.longitude_error(good) is None
    assert geo.longitude_error(180.5) == "经度须在 -180 到 180 之间"
    assert geo.longitude_error(-181) == "经度须在 -180 到 180 之间"
    assert geo.longitude_error("NaN") == "经度须是数字"
    assert geo.longitude_error("-Infinity") == "经度须是数字"


def test_given_a_coordinate_then_rounded_to_six_places() -> None:
    assert geo.as_coordinate(39.95912345678) == Decimal("39.959123")
    assert geo.as_coordinate("116.2980004") == Decimal("116.298000")
    with pytest.raises(ValueError):
        geo.as_coordinate("x")
