"""The channel planner and the audience checks, as plain functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules.campaigns.audience import audience_problems
from rules.campaigns.planner import Facts, Rules, in_quiet_hours, plan, split_variant

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
R = Rules()


def facts(**kw):
    base = dict(
        following=True,
        message_at=None,
        message_used=0,
        event_at=None,
        event_used=0,
        sent_today=0,
        sent_week=0,
        mass_month=0,
    )
    return Facts(**{**base, **kw})


def test_the_open_window_takes_customer_service_else_mass_else_held():
    assert plan(facts(message_at=NOW - timedelta(hours=47)), NOW, False, R) == ("kf", None)
    assert plan(facts(message_at=NOW - timedelta(hours=49)), NOW, False, R) == ("mass", None)
    assert plan(facts(message_at=NOW - timedelta(hours=1), message_used=5), NOW, False, R) == ("mass", None)
    assert plan(facts(event_at=NOW - timedelta(seconds=30), event_used=2), NOW, False, R) == ("kf", None)
    assert plan(facts(event_at=NOW - timedelta(seconds=61)), NOW, False, R) == ("mass", None)
    assert plan(facts(mass_month=4), NOW, False, R) == (None, "mass_quota")


def test_held_back_with_the_first_reason_that_applies():
    assert plan(facts(following=False, sent_today=9), NOW, True, R) == (None, "unfollowed")
    assert plan(facts(), NOW, True, R) == (None, "quiet_hours")
    assert plan(facts(sent_today=1), NOW, False, R) == (None, "daily_cap")
    assert plan(facts(sent_week=3), NOW, False, R) == (None, "weekly_cap")
    assert plan(facts(sent_today=1), NOW, False, Rules(daily_cap=2)) == ("mass", None)  # a setting


def test_quiet_hours_wrap_past_midnight():
    at = lambda h, m=0: datetime(2026, 11, 26, h, m)  # noqa: E731
    assert in_quiet_hours(at(23), 22 * 60, 8 * 60) and in_quiet_hours(at(7, 59), 22 * 60, 8 * 60)
    assert not in_quiet_hours(at(8), 22 * 60, 8 * 60) and not in_quiet_hours(at(12), 22 * 60, 8 * 60)
    assert in_quiet_hours(at(13), 12 * 60, 14 * 60) and not in_quiet_hours(at(3), 0, 0)


def test_variants_split_stably_and_near_the_percentages():
    splits = [("A", 70), ("B", 30)]
    got = [split_variant(m, 7, splits) for m in range(1, 10_001)]
    assert abs(got.count("A") / len(got) - 0.7) < 0.02
    assert got == [split_variant(m, 7, splits) for m in range(1, 10_001)]


def test_audiences_are_checked_against_the_account_and_their_range():
    assert audience_problems({"tiers": ["gold"], "stages": ["iron"], "kol": True}, {"gold"}) == []
    assert audience_problems({"tiers": ["platinum"], "points_min": 9, "points_max": 3}, {"gold"}) == [
        "tiers: no tier 'platinum'",
        "points_min cannot exceed points_max",
    ]
    assert audience_problems({"points_min": 3, "points_max": 3}, set()) == []
