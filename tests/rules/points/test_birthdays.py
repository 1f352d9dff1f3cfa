"""Birthdays: what may be given, and the award in the birthday month only, once a year by its key."""

from datetime import UTC, date, datetime

import pytest

from rules.points.birthdays import birthday_key, birthday_problem, decide_birthday
from rules.points.tasks import Award, PointTask, Refusal, task_problems

TASK = PointTask("birthday", points=100)
AT = datetime(2026, 5, 10, 2, tzinfo=UTC)
TODAY = date(2026, 5, 10)
GOLD_ONLY = PointTask("birthday", points=100, target_tiers=frozenset({"gold"}))


def test_the_birthday_month_pays_under_a_key_for_the_year():
    assert decide_birthday(TASK, 42, date(1990, 5, 28), TODAY, AT, None) == Award(100, "birthday:2026:42")
    assert birthday_key(42, 2027) == "birthday:2027:42"


@pytest.mark.parametrize(
    ("task", "birthday", "tier", "reason"),
    [
        (TASK, date(1990, 6, 1), None, "not_birthday_month"),
        (TASK, date(1990, 4, 30), None, "not_birthday_month"),
        (None, date(1990, 5, 1), None, "disabled"),
        (PointTask("birthday", points=100, enabled=False), date(1990, 5, 1), None, "disabled"),
        (PointTask("birthday", points=0), date(1990, 5, 1), None, "zero"),
        (GOLD_ONLY, date(1990, 5, 1), "normal", "tier"),
        (PointTask("birthday", points=100, ends_at=AT), date(1990, 5, 1), None, "ended"),
    ],
)
def test_no_award_outside_the_month_or_the_tasks_rules(task, birthday, tier, reason):
    assert decide_birthday(task, 42, birthday, TODAY, AT, tier) == Refusal(reason)


def test_a_birthday_is_not_in_the_future_nor_absurdly_old():
    assert birthday_problem(date(1990, 5, 28), TODAY) is None
    assert birthday_problem(TODAY, TODAY) is None
    assert birthday_problem(date(2026, 5, 11), TODAY) == "生日不能晚于今天"
    assert birthday_problem(date(1905, 1, 1), TODAY) == "请选择正确的出生年份"


def test_caps_make_no_sense_for_a_birthday_task():
    assert task_problems(TASK) == []
    capped = PointTask("birthday", points=100, daily_cap=1)
    once = PointTask("birthday", points=100, first_time_only=True)
    for task in (capped, once):
        assert task_problems(task) == [
            "birthday pays once a year, in the birthday month: no caps, no first_time_only"
        ]
