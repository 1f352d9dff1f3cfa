"""Point tasks: list, create and change; a task that does not hold is refused whole."""

from __future__ import annotations

from sqlalchemy import select

from models import PointTaskRow
from tests.api.conftest import error
from tests.factories import count


def task_row(session, action):
    session.expire_all()
    return session.scalar(select(PointTaskRow).where(PointTaskRow.action == action))


def test_the_default_tasks_are_listed_with_every_field(api):
    r = api.get("/point-tasks?per_page=100")
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] == 9 and (body["page"], body["per_page"]) == (1, 100)
    by_action = {t["action"]: t for t in body["items"]}
    assert set(by_action) == {
        "follow",
        "checkin",
        "review",
        "share",
        "share_read",
        "referral",
        "referee",
        "purchase",
        "birthday",
    }
    assert by_action["purchase"] == {
        "action": "purchase",
        "name": "消费积分",
        "points": 0,
        "per_yuan": 1,
        "daily_cap": None,
        "weekly_cap": None,
        "lifetime_cap": None,
        "first_time_only": False,
        "starts_at": None,
        "ends_at": None,
        "target_tiers": [],
        "enabled": True,
        "hold_days": 7,
        "min_length": 0,
        "min_rating": 1,
    }


def test_a_partial_change_keeps_the_other_fields_and_reaches_the_replies(app, api, account, session):
    app.extensions["tiefen"].programmes.get(account.id)  # cached before the change
    r = api.put("/point-tasks/checkin", {"points": 15, "weekly_cap": 5})
    assert r.status_code == 200
    got = r.get_json()
    assert (got["points"], got["daily_cap"], got["name"]) == (15, 1, "每日签到")
    row = task_row(session, "checkin")
    assert (row.points, row.daily_cap, row.weekly_cap) == (15, 1, 5)
    assert app.extensions["tiefen"].programmes.get(account.id).tasks["checkin"].points == 15


def test_a_custom_task_is_created_with_a_window_and_tiers(api, session):
    body = {
        "name": "生日礼",
        "points": 88,
        "lifetime_cap": 1,
        "starts_at": "2026-01-01T00:00:00+08:00",
        "ends_at": "2027-01-01T00:00:00+08:00",
        "target_tiers": ["gold", "silver"],
    }
    r = api.put("/point-tasks/custom:birthday", body)
    assert r.status_code == 200
    got = r.get_json()
    assert got["action"] == "custom:birthday" and got["target_tiers"] == ["gold", "silver"]
    assert got["starts_at"] == "2026-01-01T00:00:00+08:00"
    assert task_row(session, "custom:birthday").points == 88
    listed = api.get("/point-tasks?per_page=100").get_json()
    assert listed["total"] == 10 and "custom:birthday" in {t["action"] for t in listed["items"]}


def test_a_task_that_does_not_hold_is_422_with_its_problems_and_nothing_saved(api, session):
    cases = [
        ("checkin", {"points": -1}, "points: must be at least 0"),
        ("checkin", {"points": 100_001}, "points: must be at most 100000"),
        ("checkin", {"points": None}, "points: must be a whole number"),
        ("checkin", {"daily_cap": 5, "weekly_cap": 2}, "daily_cap (5) cannot exceed weekly_cap (2)"),
        ("follow", {"lifetime_cap": 3}, "first_time_only pays once, so lifetime_cap must be empty or 1"),
        ("checkin", {"per_yuan": 2}, "per_yuan is for purchases only"),
        (
            "share",
            {"starts_at": "2026-02-01T00:00Z", "ends_at": "2026-01-01T00:00Z"},
            "starts_at must be before ends_at",
        ),
        ("custom:has space", {"points": 5}, "unknown action 'custom:has space'"),
        ("dance", {"points": 5}, "unknown action 'dance'"),
        ("checkin", {"bogus": 1}, "unknown field 'bogus'"),
        ("checkin", {"points": "10"}, "points: must be a whole number"),
        ("checkin", {"points": 10.5}, "points: must be a whole number"),
        ("checkin", {"enabled": "yes"}, "enabled: must be true or false"),
        ("checkin", {"points": True}, "points: must be a whole number"),
        ("checkin", {"daily_cap": 10**30}, "daily_cap: must be at most 2147483647"),
        ("checkin", {"starts_at": "tomorrow"}, "starts_at: must be an ISO 8601 time"),
        ("checkin", {"starts_at": "2026-01-01T00:00:00"}, "starts_at: must be an ISO 8601 time"),
        ("checkin", {"target_tiers": "gold"}, "target_tiers: must be a list"),
        ("checkin", {"target_tiers": ["platinum"]}, "target_tiers: no tier 'platinum'"),
        ("checkin", {"name": ""}, "name: must not be empty"),
        ("checkin", {"name": "长" * 61}, "name: must be at most 60 characters"),
        ("birthday", {"daily_cap": 1}, "birthday pays once a year, in the birthday month"),
        ("birthday", {"first_time_only": True}, "birthday pays once a year, in the birthday month"),
    ]
    before = [(r.action, r.points, r.daily_cap) for r in session.scalars(select(PointTaskRow))]
    for action, body, problem in cases:
        r = api.put(f"/point-tasks/{action}", body)
        assert error(r) == (422, "invalid_task"), (action, body)
        assert any(d.startswith(problem) for d in r.get_json()["error"]["details"]), (body, r.get_json())
    session.expire_all()
    assert [(r.action, r.points, r.daily_cap) for r in session.scalars(select(PointTaskRow))] == before
    assert count(session, PointTaskRow) == 9
