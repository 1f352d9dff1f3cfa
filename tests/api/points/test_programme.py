"""Programme settings and the tier ladder: read, change, refuse what does not hold."""

from __future__ import annotations

from sqlalchemy import select

from models import Programme, TierRow
from tests.api.conftest import error

DEFAULTS = {
    "expiry_mode": "days",
    "expiry_days": 365,
    "review_approval": False,
    "makeup_cost": 20,
    "streak_bonuses": [[7, 50], [30, 300]],
    "tier_basis": "points",
    "tier_grace_days": 30,
    "tier_template_id": None,
    "referral_hold_days": 3,
    "referral_ladder": [[3, 50], [10, 200], [50, 1000]],
    "referral_burst": [5, 10],
    "active_days": 30,
    "loyal_orders": 2,
    "loyal_streak": 7,
    "rfm_window_days": 365,
    "kol_weights": {
        "activity": 1.0,
        "good_reviews": 5.0,
        "review_likes": 2.0,
        "shares": 3.0,
        "share_reads": 1.0,
        "share_follows": 10.0,
        "referrals": 10.0,
        "second_degree": 4.0,
        "downstream_activity": 0.2,
    },
    "kol_top_n": 20,
    "kol_threshold": None,
    "kol_min_score": 10.0,
    "kol_min_evidence": 3,
}
LADDER = [
    {"code": "normal", "name": "普通会员", "threshold": 0, "benefits": None},
    {"code": "silver", "name": "银卡会员", "threshold": 500, "benefits": None},
    {"code": "gold", "name": "金卡会员", "threshold": 2000, "benefits": None},
    {"code": "diamond", "name": "钻石会员", "threshold": 10000, "benefits": None},
]


def stored(session):
    session.expire_all()
    return session.scalar(select(Programme))


def tiers(session):
    session.expire_all()
    return [(t.code, t.threshold) for t in session.scalars(select(TierRow).order_by(TierRow.threshold))]


def test_the_settings_start_at_the_defaults(api):
    r = api.get("/programme")
    assert r.status_code == 200 and r.get_json() == DEFAULTS


def test_a_patch_changes_what_it_names_and_reaches_the_rules(app, api, account, session):
    app.extensions["tiefen"].programmes.get(account.id)
    changes = {
        "expiry_mode": "year_end",
        "review_approval": True,
        "makeup_cost": None,
        "streak_bonuses": [[30, 300], [3, 10]],
        "tier_basis": "spend",
        "tier_template_id": "TPL-tier-1",
        "referral_hold_days": 7,
        "referral_ladder": [[10, 100], [5, 20]],
        "referral_burst": [20, 5],
    }
    r = api.patch("/programme", changes)
    assert r.status_code == 200
    sorted_pairs = {"streak_bonuses": [[3, 10], [30, 300]], "referral_ladder": [[5, 20], [10, 100]]}
    assert r.get_json() == {**DEFAULTS, **changes, **sorted_pairs}
    row = stored(session)
    assert (row.expiry_mode, row.makeup_cost, row.review_approval) == ("year_end", None, True)
    prog = app.extensions["tiefen"].programmes.get(account.id)
    assert prog.review_approval and prog.makeup_cost is None and prog.streak_bonuses == ((3, 10), (30, 300))
    assert (prog.referral_hold_days, prog.referral_ladder, prog.referral_burst) == (
        7,
        ((5, 20), (10, 100)),
        (20, 5),
    )


def test_settings_that_do_not_hold_are_422_and_nothing_changes(api, session):
    cases = [
        {"expiry_mode": "weekly"},
        {"expiry_days": 0},
        {"expiry_days": "30"},
        {"review_approval": 1},
        {"makeup_cost": -5},
        {"makeup_cost": 1.5},
        {"streak_bonuses": []},
        {"streak_bonuses": [[7, 50], [7, 60]]},
        {"streak_bonuses": [[7]]},
        {"streak_bonuses": [[7, "50"]]},
        {"streak_bonuses": "7:50"},
        {"tier_basis": "visits"},
        {"tier_grace_days": 400},
        {"tier_template_id": ""},
        {"referral_hold_days": 31},
        {"referral_ladder": [[3, 50], [3, 60]]},
        {"referral_ladder": [[0, 50]]},
        {"referral_burst": [1, 10]},
        {"referral_burst": [5]},
        {"kol_weights": {"fame": 3}},
        {"kol_weights": {"shares": -1}},
        {"kol_top_n": 0},
        {"kol_threshold": 0},
        {"kol_min_score": -1},
        {"kol_min_evidence": 1.5},
        {"active_days": "30"},
        {"colour": "red"},
        {"expiry_mode": "monthly", "tier_grace_days": -1},
    ]
    for body in cases:
        r = api.patch("/programme", body)
        assert error(r) == (422, "invalid_programme"), body
        assert len(r.get_json()["error"]["details"]) == len(body), body
    assert api.get("/programme").get_json() == DEFAULTS


def test_the_ladder_is_listed_lowest_first(api):
    r = api.get("/tiers")
    assert r.status_code == 200 and r.get_json() == {"tiers": LADDER}


def test_the_ladder_is_replaced_whole_in_any_order(app, api, account, session):
    new = [
        {"code": "vip", "name": "贵宾", "threshold": 3000, "benefits": "生日双倍积分"},
        {"code": "normal", "name": "会员", "threshold": 0},
        {"code": "silver", "name": "银卡会员", "threshold": 800},
    ]
    r = api.put("/tiers", {"tiers": new})
    assert r.status_code == 200
    assert [t["code"] for t in r.get_json()["tiers"]] == ["normal", "silver", "vip"]
    assert r.get_json()["tiers"][2]["benefits"] == "生日双倍积分"
    assert tiers(session) == [("normal", 0), ("silver", 800), ("vip", 3000)]
    prog = app.extensions["tiefen"].programmes.get(account.id)
    assert [(t.code, t.threshold) for t in prog.tiers] == [("normal", 0), ("silver", 800), ("vip", 3000)]


def test_a_ladder_that_does_not_hold_is_422_and_the_old_one_stays(api, session):
    base = {"code": "normal", "name": "会员", "threshold": 0}

    def t(code, threshold):
        return {"code": code, "name": code.upper(), "threshold": threshold}

    cases = [
        ([], "tiers: must have at least 1 items"),
        ([base, t("normal", 10)], "tier codes must be unique"),
        ([{**base, "threshold": 5}], "exactly one tier must have threshold 0"),
        ([base, t("b", 0)], "exactly one tier must have threshold 0"),
        ([base, t("b", 9), t("c", 9)], "thresholds must all differ"),
        ([base] + [t(f"t{i}", i) for i in range(1, 11)], "tiers: must have at most 10 items"),
        ([{**base, "threshold": -1}], "tiers[0].threshold"),
        ([{**base, "threshold": "0"}], "tiers[0].threshold"),
        ([{**base, "code": "has space"}], "tiers[0].code"),
        ([{**base, "name": ""}], "tiers[0].name"),
        ([{**base, "colour": "red"}], "tiers[0]: unknown field 'colour'"),
        ([base, "silver"], "tiers[1]: must be an object"),
        ("normal", "tiers: must be a list"),
    ]
    for ladder, problem in cases:
        r = api.put("/tiers", {"tiers": ladder})
        assert error(r) == (422, "invalid_tiers"), ladder
        assert any(d.startswith(problem) for d in r.get_json()["error"]["details"]), (ladder, r.get_json())
    assert error(api.put("/tiers", {"ladder": []})) == (422, "invalid_tiers")
    assert error(api.put("/tiers", {})) == (422, "invalid_tiers")
    assert error(api.patch("/programme", {"expiry_mode": {}})) == (422, "invalid_programme")
    assert tiers(session) == [("normal", 0), ("silver", 500), ("gold", 2000), ("diamond", 10000)]
