"""Journeys through the merchant API: the seeded defaults, a new one checked, switched off."""

from __future__ import annotations

from tests.api.conftest import error


def test_defaults_are_listed_and_a_journey_is_added_and_switched_off(api):
    listed = api.get("/journeys").get_json()["items"]
    assert [j["trigger"] for j in listed] == ["follow", "follow", "streak_at_risk", "inactive"]
    assert all(j["enabled"] and j["sent"] == 0 for j in listed)
    made = api.post(
        "/journeys",
        {
            "name": "升级祝贺",
            "trigger": "tier_up",
            "title": "恭喜升级",
            "summary": "新等级的权益已开通",
            "audience": {"stages": ["deep", "iron"]},
        },
    )
    assert made.status_code == 201 and made.get_json()["trigger"] == "tier_up"
    off = api.patch(f"/journeys/{made.get_json()['id']}", {"enabled": False})
    assert off.status_code == 200 and off.get_json()["enabled"] is False
    assert len(api.get("/journeys").get_json()["items"]) == 5


def test_bad_journeys_are_422_and_unknown_ones_404(api):
    bad = api.post("/journeys", {"name": "x", "trigger": "inactive", "title": "t", "summary": "s"})
    assert error(bad) == (422, "invalid_journey")
    assert "inactive needs trigger_days, 1-365" in bad.get_json()["error"]["details"]
    assert error(api.patch("/journeys/999", {"enabled": False})) == (404, "unknown_journey")
    assert error(api.patch("/journeys/999", {"enabled": "no"})) == (422, "invalid_journey")
    assert api.patch(f"/journeys/{2**40}", {"enabled": False}).status_code == 404  # beyond the id column
    worse = api.post("/journeys", {"name": "", "trigger": ["follow"], "title": "x" * 70, "summary": "s"})
    assert error(worse) == (422, "invalid_journey")
    details = worse.get_json()["error"]["details"]
    assert any(d.startswith("name: ") for d in details) and any(d.startswith("trigger: ") for d in details)
    assert "title: must be at most 64 characters" in details
    script = {
        "name": "n",
        "trigger": "follow",
        "title": "t",
        "summary": "s",
        "cover_url": "javascript:alert(1)",
    }
    assert error(api.post("/journeys", script)) == (422, "invalid_journey")
