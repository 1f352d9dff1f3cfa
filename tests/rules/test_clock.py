from datetime import UTC, date, datetime

import pytest

from rules.clock import business_date, from_create_time, timestamp_fresh


def test_create_time_is_utc():
    assert from_create_time(0) == datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("utc", "tz", "day"),
    [
        (
            datetime(2026, 11, 25, 16, 30, tzinfo=UTC),
            "Asia/Shanghai",
            date(2026, 11, 26),
        ),  # 00:30 in Shanghai
        (datetime(2026, 11, 25, 15, 59, tzinfo=UTC), "Asia/Shanghai", date(2026, 11, 25)),
        (datetime(2026, 11, 26, 3, 0, tzinfo=UTC), "America/New_York", date(2026, 11, 25)),
    ],
)
def test_business_date_is_the_accounts_local_day(utc, tz, day):
    assert business_date(utc, tz) == day


@pytest.mark.parametrize(
    ("ts", "fresh"), [(1000, True), (700, True), (699, False), (1300, True), (1301, False)]
)
def test_timestamp_window(ts, fresh):
    assert timestamp_fresh(ts, now=1000, window=300) is fresh
