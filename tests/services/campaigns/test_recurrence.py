"""Recurring campaigns: which expressions are accepted and which occurrence is due (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.campaigns.recurring import due_occurrence, recurrence_problems

TZ = "Asia/Shanghai"
# Monday 23 November 2026, 10:00 in Shanghai
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("expression", ["0 10 * * 1", "30 9 * * *", "0 */2 * * *", "0 20 1 * *"])
def test_cron_expressions_firing_at_most_hourly_are_accepted(expression):
    assert recurrence_problems(expression) == []


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("*/30 * * * *", "at most once an hour"),
        ("* * * * *", "at most once an hour"),
        ("0 10 * *", "five fields"),
        ("0 25 * * *", "not a valid"),
        (7, "five fields"),
        ("0 10 * * 1 " + "x" * 40, "five fields"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression, problem):
    problems = recurrence_problems(expression)
    assert len(problems) == 1 and problem in problems[0]


def test_the_occurrence_is_due_in_the_accounts_time_zone():
    since = MONDAY_10 - timedelta(days=3)
    assert due_occurrence("0 10 * * 1", TZ, since, None, MONDAY_10 - timedelta(minutes=1)) is None
    assert due_occurrence("0 10 * * 1", TZ, since, None, MONDAY_10) == MONDAY_10
    assert due_occurrence("0 10 * * 1", TZ, since, None, MONDAY_10 + timedelta(minutes=4)) == MONDAY_10


def test_an_occurrence_made_already_is_not_due_again():
    since = MONDAY_10 - timedelta(days=3)
    later = MONDAY_10 + timedelta(hours=5)
    assert due_occurrence("0 10 * * 1", TZ, since, MONDAY_10, later) is None
    assert due_occurrence(
        "0 10 * * 1", TZ, since, MONDAY_10, MONDAY_10 + timedelta(days=7)
    ) == MONDAY_10 + timedelta(days=7)


def test_after_downtime_only_the_latest_missed_occurrence_is_due():
    since = MONDAY_10 - timedelta(days=10)
    three_days_late = MONDAY_10 + timedelta(days=3, hours=1)
    expected = MONDAY_10 + timedelta(days=3)
    assert due_occurrence("0 10 * * *", TZ, since, MONDAY_10 - timedelta(days=1), three_days_late) == expected


def test_nothing_fired_before_the_campaign_was_started_is_due():
    assert (
        due_occurrence(
            "0 10 * * 1", TZ, MONDAY_10 + timedelta(minutes=5), None, MONDAY_10 + timedelta(hours=1)
        )
        is None
    )
