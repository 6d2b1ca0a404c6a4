"""GET /api/v1/robots/{rid}/telemetry: time windows, both time formats, agencies, pages."""

from __future__ import annotations

import pytest

from fleet.api.timestamps import iso_utc, parse_moment
from fleet.store.telemetry import compact_telemetry
from tests.fleet_api import START, Fleet
from tests.fleet_records import add_readings, add_robot

NOW = START.timestamp()
URL = "/api/v1/robots/{rid}/telemetry"


@pytest.fixture
def robot(fleet: Fleet) -> str:
    db = fleet.context.db()
    add_robot(db, fleet.agency_a, "r-a1")
    add_readings(db, "r-a1", NOW - 3600, 120)  # the last hour, every 30 s
    return "r-a1"


def test_the_last_day_by_default_oldest_first_with_iso_and_epoch(fleet: Fleet, robot: str) -> None:
    response = fleet.client.get(URL.format(rid=robot), headers=fleet.headers("caregiver@a.example"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["since"] == "2026-11-22T09:00:00Z"
    points = body["points"]
    assert len(points) == 120 and body["next_since"] is None
    first = points[0]
    assert first["ts"] == "2026-11-23T08:00:00Z" and first["epoch"] == NOW - 3600
    assert first["battery_pct"] == 90 and first["charging"] is False
    assert first["cpu_temp_c"] == 40 and first["uptime_s"] == 0
    assert first["samples"] == 1 and first["downsampled"] is False
    assert [p["epoch"] for p in points] == sorted(p["epoch"] for p in points)


def test_since_takes_iso_8601_or_epoch_seconds(fleet: Fleet, robot: str) -> None:
    headers = fleet.headers("admin@a.example")
    for since in (
        "2026-11-23T08:30:00Z",
        "2026-11-23T11:30:00+03:00",
        "2026-11-23T08:30:00",  # no zone: UTC
        str(NOW - 1800),
    ):
        response = fleet.client.get(URL.format(rid=robot), params={"since": since}, headers=headers)
        assert response.status_code == 200, (since, response.text)
        points = response.json()["points"]
        assert len(points) == 60 and points[0]["epoch"] == NOW - 1800, since


def test_until_is_exclusive_and_limit_pages_with_next_since(fleet: Fleet, robot: str) -> None:
    headers = fleet.headers("admin@a.example")
    window = {"since": iso_utc(NOW - 3600), "until": iso_utc(NOW - 3000), "limit": 15}
    page = fleet.client.get(URL.format(rid=robot), params=window, headers=headers).json()
    assert len(page["points"]) == 15 and page["next_since"] == NOW - 3600 + 15 * 30
    rest = fleet.client.get(
        URL.format(rid=robot), params={**window, "since": page["next_since"]}, headers=headers
    ).json()
    assert len(rest["points"]) == 5 and rest["next_since"] is None
    assert rest["points"][-1]["epoch"] == NOW - 3000 - 30


def test_a_bad_since_is_a_422_that_says_why(fleet: Fleet, robot: str) -> None:
    headers = fleet.headers("admin@a.example")
    for since, message in (
        ("yesterday", "neither ISO 8601"),
        ("2026-13-45T00:00:00Z", "neither ISO 8601"),
        ("1795424400000", "looks like milliseconds"),
        ("-5", "non-negative"),
        ("nan", "non-negative finite"),
    ):
        response = fleet.client.get(URL.format(rid=robot), params={"since": since}, headers=headers)
        assert response.status_code == 422, since
        (error,) = response.json()["detail"]
        assert error["loc"] == ["query", "since"] and message in error["msg"], error


def test_until_before_since_and_a_silly_limit_are_422(fleet: Fleet, robot: str) -> None:
    headers = fleet.headers("admin@a.example")
    url = URL.format(rid=robot)
    backwards = fleet.client.get(url, params={"since": NOW, "until": NOW - 10}, headers=headers)
    assert backwards.status_code == 422 and "later than" in backwards.json()["detail"]
    assert fleet.client.get(url, params={"limit": 0}, headers=headers).status_code == 422
    assert fleet.client.get(url, params={"limit": 10**6}, headers=headers).status_code == 422


def test_another_agencys_robot_and_an_unknown_one_are_not_found(fleet: Fleet, robot: str) -> None:
    other = fleet.headers("admin@b.example")
    assert fleet.client.get(URL.format(rid=robot), headers=other).status_code == 404
    mine = fleet.headers("admin@a.example")
    missing = fleet.client.get(URL.format(rid="r-nobody"), headers=mine)
    assert missing.status_code == 404 and missing.json()["detail"] == "robot r-nobody not found"
    assert fleet.client.get(URL.format(rid=robot)).status_code == 401


def test_older_times_come_downsampled_and_merge_with_raw(fleet: Fleet) -> None:
    db = fleet.context.db()
    add_robot(db, fleet.agency_a, "r-old")
    eight_days = 8 * 86_400
    add_readings(db, "r-old", NOW - eight_days, 20)  # 10 minutes: two 5-minute buckets
    add_readings(db, "r-old", NOW - 60, 2)
    compact_telemetry(db, NOW, fleet.context.settings)
    response = fleet.client.get(
        URL.format(rid="r-old"),
        params={"since": NOW - eight_days - 1},
        headers=fleet.headers("operator@a.example"),
    )
    points = response.json()["points"]
    assert [(p["downsampled"], p["samples"]) for p in points] == [
        (True, 10),
        (True, 10),
        (False, 1),
        (False, 1),
    ]
    first = points[0]
    assert first["battery_pct"] == pytest.approx(90 - 0.45)
    assert first["battery_min"] == pytest.approx(89.1) and first["cpu_temp_c"] == 44


def test_parse_moment_accepts_numbers_and_text() -> None:
    assert parse_moment(1795424400) == parse_moment("1795424400.0") == NOW
    assert parse_moment(" 2026-11-23T09:00:00z ") == NOW
    assert parse_moment("2026-11-23") == NOW - 9 * 3600
    with pytest.raises(ValueError, match="boolean"):
        parse_moment(True)
    assert iso_utc(NOW + 0.25) == "2026-11-23T09:00:00.250000Z"
