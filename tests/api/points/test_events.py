"""Custom actions reported by the merchant: once per key, paid by the drain under the task's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models import EventStatus, InboundEvent
from tests.api.conftest import error
from tests.factories import count, events, ledger_of


def test_a_custom_event_is_accepted_once_per_key_and_paid_once(api, make_member, session, run_jobs):
    make_member("oEvt1")
    assert api.put("/point-tasks/custom:birthday", {"name": "生日礼", "points": 88}).status_code == 200
    event = {"openid": "oEvt1", "action": "custom:birthday", "key": "bday-2026-oEvt1"}
    first, second = api.post("/events", event), api.post("/events", event)
    assert (first.status_code, first.get_json()) == (202, {"accepted": True, "duplicate": False})
    assert (second.status_code, second.get_json()) == (202, {"accepted": True, "duplicate": True})
    run_jobs()
    assert count(session, InboundEvent) == 1
    assert ledger_of(session, "oEvt1") == [("custom", 88, "award")]
    assert api.get("/members/oEvt1/ledger").get_json()["items"][0]["note"] == "生日礼"


def test_the_task_rules_decide_and_no_task_means_no_points(api, make_member, session, run_jobs):
    make_member("oEvt2")
    api.put("/point-tasks/custom:signup", {"points": 30, "first_time_only": True})
    at = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    for key in ("a", "b"):
        event = {"openid": "oEvt2", "action": "custom:signup", "key": key, "occurred_at": at}
        assert api.post("/events", event).status_code == 202
    unset = {"openid": "oEvt2", "action": "custom:unset", "key": "c"}
    assert api.post("/events", unset).get_json() == {"accepted": True, "duplicate": False}
    run_jobs()
    assert ledger_of(session, "oEvt2") == [("custom", 30, "award")]
    assert [e.status for e in events(session)] == [EventStatus.DONE.value] * 3


def test_long_keys_that_share_a_prefix_stay_apart(api, make_member, session, run_jobs):
    make_member("oEvt3")
    api.put("/point-tasks/custom:visit", {"points": 1})
    for key in ("k" * 63 + "1", "k" * 63 + "2", "k" * 57 + "x"):
        r = api.post("/events", {"openid": "oEvt3", "action": "custom:visit", "key": key})
        assert r.get_json()["duplicate"] is False, key
    run_jobs()
    assert count(session, InboundEvent) == 3 and len(ledger_of(session, "oEvt3")) == 3


def test_bad_events_are_refused_and_store_nothing(api, make_member, session):
    make_member("oEvt4")
    make_member("oEvt5")
    ok = {"openid": "oEvt4", "action": "custom:birthday", "key": "k1"}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    cases = [
        ({**ok, "action": "birthday"}, 422, "invalid_event"),
        ({**ok, "action": "checkin"}, 422, "invalid_event"),
        ({**ok, "action": "custom:"}, 422, "invalid_event"),
        ({**ok, "action": "custom:a b"}, 422, "invalid_event"),
        ({**ok, "action": 5}, 422, "invalid_event"),
        ({**ok, "key": ""}, 422, "invalid_event"),
        ({**ok, "key": "k" * 65}, 422, "invalid_event"),
        ({**ok, "key": 12}, 422, "invalid_event"),
        ({**ok, "occurred_at": future}, 422, "invalid_event"),
        ({**ok, "occurred_at": "now"}, 422, "invalid_event"),
        ({**ok, "points": 5}, 422, "invalid_event"),
        ({"openid": "oEvt4", "action": "custom:birthday"}, 422, "invalid_event"),
        ({**ok, "openid": "oNobody"}, 404, "unknown_member"),
    ]
    for body, status, code in cases:
        assert error(api.post("/events", body)) == (status, code), body
    assert count(session, InboundEvent) == 0
    assert api.post("/events", ok).status_code == 202
    assert error(api.post("/events", {**ok, "openid": "oEvt5"})) == (409, "event_conflict")
    assert error(api.post("/events", {**ok, "action": "custom:other"})) == (409, "event_conflict")
    assert count(session, InboundEvent) == 1
