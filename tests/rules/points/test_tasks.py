from datetime import UTC, date, datetime, timedelta

import pytest

from rules.points.tasks import (
    Award,
    PointTask,
    Refusal,
    Usage,
    decide,
    is_valid_action,
    purchase_points,
    refund_reversal,
    task_problems,
    week_of,
)

NOW = datetime(2026, 11, 26, 8, tzinfo=UTC)


def test_a_plain_task_awards_its_points_under_the_given_key():
    assert decide(PointTask("checkin", points=10, hold_days=2), Usage(), NOW, None, "k1") == Award(
        10, "k1", 2
    )


@pytest.mark.parametrize(
    ("task", "usage", "reason"),
    [
        (PointTask("review", points=20, enabled=False), Usage(), "disabled"),
        (PointTask("review", points=20, starts_at=NOW + timedelta(days=1)), Usage(), "not_started"),
        (PointTask("review", points=20, ends_at=NOW), Usage(), "ended"),
        (PointTask("review", points=20, target_tiers=frozenset({"gold"})), Usage(), "tier"),
        (PointTask("review", points=20, daily_cap=1), Usage(today=1, this_week=1, lifetime=1), "daily_cap"),
        (PointTask("review", points=20, weekly_cap=3), Usage(today=0, this_week=3, lifetime=9), "weekly_cap"),
        (PointTask("review", points=20, lifetime_cap=5), Usage(lifetime=5), "lifetime_cap"),
        (PointTask("follow", points=50, first_time_only=True), Usage(lifetime=1), "lifetime_cap"),
        (PointTask("share", points=0), Usage(), "zero"),
    ],
)
def test_refusals_name_their_reason(task, usage, reason):
    assert decide(task, usage, NOW, "silver", "k") == Refusal(reason)


def test_no_task_configured_is_disabled():
    assert decide(None, Usage(), NOW, None, "k") == Refusal("disabled")


def test_a_targeted_task_pays_the_targeted_tier():
    task = PointTask("review", points=20, target_tiers=frozenset({"gold"}))
    assert isinstance(decide(task, Usage(), NOW, "gold", "k"), Award)


def test_usage_counts_up():
    assert Usage(1, 2, 3).plus_one() == Usage(2, 3, 4)


@pytest.mark.parametrize(
    ("task", "fragment"),
    [
        (PointTask("teleport", points=1), "unknown action"),
        (
            PointTask("review", points=1, daily_cap=5, weekly_cap=3),
            "daily_cap (5) cannot exceed weekly_cap (3)",
        ),
        (
            PointTask("review", points=1, weekly_cap=10, lifetime_cap=4),
            "weekly_cap (10) cannot exceed lifetime_cap",
        ),
        (PointTask("follow", points=1, first_time_only=True, lifetime_cap=3), "first_time_only"),
        (PointTask("review", points=1, starts_at=NOW, ends_at=NOW), "starts_at must be before"),
        (PointTask("checkin", points=1, per_yuan=2), "per_yuan is for purchases"),
    ],
)
def test_contradictory_or_absurd_tasks_are_explained(task, fragment):
    assert any(fragment in p for p in task_problems(task))


def test_a_sound_task_has_no_problems():
    assert (
        task_problems(PointTask("purchase", per_yuan=2, daily_cap=3, weekly_cap=10, lifetime_cap=100)) == []
    )


@pytest.mark.parametrize(
    ("action", "ok"),
    [
        ("custom:birthday", True),
        ("custom:", False),
        ("custom:a b", False),
        ("share_read", True),
        ("Follow", False),
    ],
)
def test_actions(action, ok):
    assert is_valid_action(action) is ok


def test_purchase_points_per_whole_yuan():
    task = PointTask("purchase", per_yuan=2)
    assert purchase_points(task, 12_345) == 246  # 123 yuan, 45 fen dropped
    assert purchase_points(PointTask("purchase", points=30), 99) == 30


@pytest.mark.parametrize(
    ("awarded", "amount", "refunded", "back"),
    [
        (100, 10_000, 10_000, 100),
        (100, 10_000, 2_500, 25),
        (99, 10_000, 100, 1),
        (0, 100, 100, 0),
        (50, 1000, 5000, 50),
    ],
)
def test_refunds_take_back_their_share_rounded_up(awarded, amount, refunded, back):
    assert refund_reversal(awarded, amount, refunded) == back


def test_weeks_start_on_monday():
    assert week_of(date(2026, 11, 26)) == date(2026, 11, 23)  # a Thursday
    assert week_of(date(2026, 11, 23)) == date(2026, 11, 23)


def test_a_custom_action_is_valid_exactly_when_the_apis_pattern_says_so():
    import re

    from rules.points.tasks import CUSTOM_ACTION, is_valid_action

    for action in ("custom:-", "custom:_", "custom:a-b_c", "custom:" + "x" * 32, "custom:", "custom:a b"):
        assert is_valid_action(action) == (re.match(CUSTOM_ACTION, action) is not None), action
