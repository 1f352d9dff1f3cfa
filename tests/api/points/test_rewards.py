"""The rewards catalogue: add, list (withdrawn ones too), change; what does not hold is refused."""

from __future__ import annotations

from sqlalchemy import select

from models import Reward
from tests.api.conftest import error
from tests.factories import count

COFFEE = {"name": "美式咖啡券", "kind": "coupon", "points_price": 300, "stock": 50}


def test_a_reward_is_added_listed_and_changed(api, session):
    r = api.post("/rewards", {**COFFEE, "description": "门店通用"})
    assert r.status_code == 201
    created = r.get_json()
    assert {k: created[k] for k in (*COFFEE, "description", "enabled")} == {
        **COFFEE,
        "description": "门店通用",
        "enabled": True,
    }
    bag = {"name": "帆布袋", "kind": "gift", "points_price": 800, "stock": 0, "enabled": False}
    assert api.post("/rewards", bag).status_code == 201
    listed = api.get("/rewards").get_json()
    assert listed["total"] == 2 and [i["name"] for i in listed["items"]] == ["美式咖啡券", "帆布袋"]
    changed = api.patch(f"/rewards/{created['id']}", {"stock": 10, "points_price": 250, "enabled": False})
    assert changed.status_code == 200
    assert (changed.get_json()["stock"], changed.get_json()["points_price"]) == (10, 250)
    session.expire_all()
    row = session.get(Reward, created["id"])
    assert (row.stock, row.points_price, row.enabled, row.name) == (10, 250, False, "美式咖啡券")


def test_bad_rewards_are_422_and_nothing_is_stored(api, session):
    cases = [
        {**COFFEE, "name": ""},
        {**COFFEE, "name": "长" * 61},
        {**COFFEE, "kind": "cash"},
        {**COFFEE, "points_price": 0},
        {**COFFEE, "points_price": 12.5},
        {**COFFEE, "points_price": True},
        {**COFFEE, "stock": -1},
        {**COFFEE, "stock": "5"},
        {**COFFEE, "enabled": "yes"},
        {**COFFEE, "description": "长" * 201},
        {**COFFEE, "colour": "red"},
        {"name": "美式咖啡券"},
    ]
    for body in cases:
        r = api.post("/rewards", body)
        assert error(r) == (422, "invalid_reward"), body
        assert r.get_json()["error"]["details"]
    assert count(session, Reward) == 0


def test_a_bad_change_is_422_and_leaves_the_reward_as_it_was(api, session):
    reward_id = api.post("/rewards", COFFEE).get_json()["id"]
    for body in ({"stock": -5}, {"points_price": "free"}, {"kind": "cash"}, {"id": 7}, {"stock": 5, "x": 1}):
        assert error(api.patch(f"/rewards/{reward_id}", body)) == (422, "invalid_reward"), body
    assert error(api.patch("/rewards/999999", {"stock": 1})) == (404, "unknown_reward")
    assert api.patch(f"/rewards/{2**40}", {"stock": 1}).status_code == 404  # beyond the id column
    session.expire_all()
    assert session.scalars(select(Reward.stock)).all() == [50]
