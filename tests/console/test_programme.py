# ruff: noqa: F811  (the API fixtures, imported, are parameters of the tests)
"""积分规则 in the console: tasks, tiers and settings saved through the API's models and services;
bad input refused field by field with nothing stored, as the API refuses it; roles decide who saves."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import api, error  # noqa: F401  (the account's API, to compare answers)

CHECKIN = "/console/programme/tasks/checkin"


def field_errors(html: str, name: str) -> list[str]:
    """The error lines shown right after the input named `name` (up to the next input)."""
    found = re.search(
        rf'name="{re.escape(name)}"[^>]*>(.*?)(?=<input|<select|<textarea|<h3|</fieldset)', html, re.S
    )
    assert found, f"no field {name}"
    return re.findall(r'<div class="field-error">([^<]+)</div>', found.group(1))


def task(api, action):  # noqa: F811
    return next(t for t in api.get("/point-tasks").get_json()["items"] if t["action"] == action)


def checkin_form(**changes):
    form = {
        "name": "每日签到",
        "points": "10",
        "daily_cap": "1",
        "weekly_cap": "",
        "lifetime_cap": "",
        "hold_days": "0",
        "starts_at": "",
        "ends_at": "",
        "enabled": "on",
    }
    return {k: v for k, v in (form | changes).items() if v is not None}


def test_a_task_is_saved_and_the_api_sees_it(app, sign_in, api):  # noqa: F811
    owner = sign_in("operator", "运营小吴")
    page = owner.get(CHECKIN)
    assert page.status_code == 200 and "每天最多次数" in page.text and 'value="10"' in page.text
    form = checkin_form(
        points="15", weekly_cap="5", starts_at="2027-01-01T09:00", target_tiers=["gold", "silver"]
    )
    r = owner.post(CHECKIN, form)
    assert r.status_code == 302 and r.headers["Location"].endswith("/console/programme#tasks")
    saved = task(api, "checkin")
    assert (saved["points"], saved["daily_cap"], saved["weekly_cap"]) == (15, 1, 5)
    assert saved["target_tiers"] == ["gold", "silver"] and saved["enabled"] is True
    assert saved["starts_at"].startswith("2027-01-01T09:00:00+08:00")
    shown = owner.get(CHECKIN).text
    assert 'value="2027-01-01T09:00"' in shown and 'value="gold" checked' in shown
    owner.post(CHECKIN, checkin_form(points="15", enabled=None))  # the box unticked: off
    assert task(api, "checkin")["enabled"] is False


@pytest.mark.parametrize(
    ("changes", "field", "api_body", "words"),
    [
        ({"points": "-1"}, "points", {"points": -1}, "不能小于 0"),
        ({"points": "十"}, "points", {"points": "十"}, "请填写整数"),
        ({"daily_cap": "0"}, "daily_cap", {"daily_cap": 0}, "不能小于 1"),
        ({"hold_days": "400"}, "hold_days", {"hold_days": 400}, "不能大于 365"),
        ({"name": ""}, "name", {"name": ""}, "不能为空"),
        (
            {"daily_cap": "5", "weekly_cap": "3"},
            "daily_cap",
            {"daily_cap": 5, "weekly_cap": 3},
            "每天最多次数(5)不能超过每周最多次数(3)",
        ),
        (
            {"starts_at": "2027-02-01T00:00", "ends_at": "2027-01-01T00:00"},
            "starts_at",
            {"starts_at": "2027-02-01T00:00:00+08:00", "ends_at": "2027-01-01T00:00:00+08:00"},
            "开始时间须早于结束时间",
        ),
        ({"target_tiers": ["platinum"]}, "target_tiers", {"target_tiers": ["platinum"]}, "没有等级 platinum"),
    ],
)
def test_a_bad_task_is_refused_by_field_and_nothing_is_stored(sign_in, api, changes, field, api_body, words):  # noqa: F811
    before = task(api, "checkin")
    owner = sign_in("owner")
    owner.get(CHECKIN)
    r = owner.post(CHECKIN, checkin_form(**({"points": "99"} | changes)))
    assert r.status_code == 422
    if field == "target_tiers":
        assert words in r.text
    else:
        assert words in field_errors(r.text, field)
    assert task(api, "checkin") == before  # not even the good fields (points 99) were stored
    refused = api.put("/point-tasks/checkin", api_body)  # the API refuses the same input
    assert refused.status_code == 422 and any(field in d for d in refused.get_json()["error"]["details"])


def test_review_and_purchase_tasks_show_their_own_fields(sign_in, api):  # noqa: F811
    owner = sign_in("owner")
    review = owner.get("/console/programme/tasks/review").text
    assert "评价最少字数" in review and "每消费 1 元得积分" not in review
    owner.post(
        "/console/programme/tasks/review",
        checkin_form(name="写评价", points="20", min_length="30", min_rating="4"),
    )
    saved = task(api, "review")
    assert (saved["min_length"], saved["min_rating"]) == (30, 4)
    purchase = owner.get("/console/programme/tasks/purchase").text
    assert "每消费 1 元得积分" in purchase
    r = owner.post(
        "/console/programme/tasks/purchase",
        checkin_form(name="消费积分", points="0", daily_cap="", per_yuan="2000"),
    )
    assert r.status_code == 422 and "不能大于 1000" in field_errors(r.text, "per_yuan")
    assert task(api, "purchase")["per_yuan"] == 1


def tiers_form(rows):
    form = {}
    for i, (code, name, threshold, benefits) in enumerate(rows):
        form |= {
            f"tier-{i}-code": code,
            f"tier-{i}-name": name,
            f"tier-{i}-threshold": threshold,
            f"tier-{i}-benefits": benefits,
        }
    return form


def test_tiers_and_their_benefits_are_saved(sign_in, api):  # noqa: F811
    owner = sign_in("owner")
    owner.get("/console/programme")
    rows = [("normal", "普通会员", "0", ""), ("gold", "金卡会员", "1000", "生日双倍积分,饮品 9 折")]
    r = owner.post("/console/programme/tiers", tiers_form(rows))
    assert r.status_code == 302
    assert api.get("/tiers").get_json()["tiers"] == [
        {"code": "normal", "name": "普通会员", "threshold": 0, "benefits": None},
        {"code": "gold", "name": "金卡会员", "threshold": 1000, "benefits": "生日双倍积分,饮品 9 折"},
    ]
    assert "生日双倍积分,饮品 9 折" in owner.get("/console/programme").text


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ([("normal", "普通", "0", ""), ("gold", "金卡", "0", "")], "须有且只有一个等级的门槛为 0"),
        ([("normal", "普通", "0", ""), ("金卡", "金卡", "100", "")], "只能用字母、数字"),
        ([("normal", "普通", "0", ""), ("gold", "金卡", "一百", "")], "请填写整数"),
        ([("normal", "普通", "0", "长" * 201)], "最多 200 个字"),
    ],
)
def test_a_bad_ladder_is_refused_and_nothing_is_stored(sign_in, api, rows, words):  # noqa: F811
    before = api.get("/tiers").get_json()
    owner = sign_in("owner")
    owner.get("/console/programme")
    r = owner.post("/console/programme/tiers", tiers_form(rows))
    assert r.status_code == 422 and words in r.text
    assert api.get("/tiers").get_json() == before
    body = {
        "tiers": [
            {"code": c, "name": n, "threshold": int(t) if t.isdigit() else t, "benefits": b or None}
            for c, n, t, b in rows
        ]
    }
    assert error(api.put("/tiers", body)) == (422, "invalid_tiers")


def settings_form(owner):
    """The settings form as the page fills it in."""
    html = owner.get("/console/programme").text.split('id="settings"')[1]
    form = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    form |= {
        name: value
        for name, value in re.findall(
            r'<select[^>]*name="([^"]+)".*?<option value="([^"]*)" selected', html, re.S
        )
    }
    if re.search(r'name="review_approval" checked', html):
        form["review_approval"] = "on"
    form.pop("csrf_token", None)
    return form


def test_settings_are_saved_as_the_api_saves_them(sign_in, api):  # noqa: F811
    owner = sign_in("owner")
    form = settings_form(owner)
    assert form["streak-0-a"] == "7" and form["burst-a"] == "5" and form["weight-referrals"] == "10"
    form |= {
        "review_approval": "on",
        "makeup_cost": "",
        "expiry_mode": "year_end",
        "streak-0-a": "3",
        "streak-0-b": "20",
        "ladder-0-a": "",
        "ladder-0-b": "",
        "tier_basis": "spend",
        "kol_threshold": "12.5",
        "kol_min_score": "5",
        "kol_min_evidence": "1",
        "weight-shares": "0",
    }
    r = owner.post("/console/programme/settings", form)
    assert r.status_code == 302, r.text
    saved = api.get("/programme").get_json()
    assert (
        saved["review_approval"] is True
        and saved["makeup_cost"] is None
        and saved["expiry_mode"] == "year_end"
    )
    assert saved["streak_bonuses"] == [[3, 20], [30, 300]]
    assert saved["referral_ladder"] == [[10, 200], [50, 1000]]
    assert (saved["tier_basis"], saved["kol_threshold"], saved["kol_weights"]["shares"]) == (
        "spend",
        12.5,
        0.0,
    )
    assert (saved["kol_min_score"], saved["kol_min_evidence"]) == (5.0, 1)
    again = settings_form(owner)
    assert (
        again["makeup_cost"] == "" and again["review_approval"] == "on" and again["expiry_mode"] == "year_end"
    )


@pytest.mark.parametrize(
    ("changes", "field", "words", "api_body"),
    [
        ({"expiry_days": "0"}, "expiry_days", "不能小于 1", {"expiry_days": 0}),
        ({"makeup_cost": "abc"}, "makeup_cost", "请填写整数", {"makeup_cost": "abc"}),
        ({"referral_hold_days": "31"}, "referral_hold_days", "不能大于 30", {"referral_hold_days": 31}),
        (
            {"streak-1-a": "7"},
            "streak_bonuses",
            "连续 7 天填了不止一次",
            {"streak_bonuses": [[7, 50], [7, 300]]},
        ),
        ({"streak-0-a": "1"}, "streak_bonuses", "天数须为 2–365", {"streak_bonuses": [[1, 50]]}),
        ({"burst-a": "1"}, "referral_burst", "人数须为 2–10000", {"referral_burst": [1, 10]}),
        ({"weight-shares": "2000"}, "kol_weights", "不能大于 1000", {"kol_weights": {"shares": 2000}}),
        ({"kol_threshold": "0"}, "kol_threshold", "须大于 0", {"kol_threshold": 0}),
        ({"kol_min_evidence": "-1"}, "kol_min_evidence", "不能小于 0", {"kol_min_evidence": -1}),
    ],
)
def test_bad_settings_are_refused_by_field_and_nothing_is_stored(
    sign_in, api, changes, field, words, api_body
):  # noqa: F811
    before = api.get("/programme").get_json()
    owner = sign_in("owner")
    form = settings_form(owner) | {"review_approval": "on"} | changes  # a good change goes with the bad one
    r = owner.post("/console/programme/settings", form)
    assert r.status_code == 422 and words in r.text
    assert re.search(rf'<div class="field-error">[^<]*{re.escape(words)}', r.text)
    assert api.get("/programme").get_json() == before
    refused = api.patch("/programme", api_body)
    assert refused.status_code == 422 and any(field in d for d in refused.get_json()["error"]["details"])


@pytest.mark.parametrize("role", ["cashier", "viewer"])
def test_cashiers_and_viewers_read_but_never_change(sign_in, api, role):  # noqa: F811
    before = (api.get("/programme").get_json(), api.get("/tiers").get_json(), task(api, "checkin"))
    person = sign_in(role)
    page = person.get("/console/programme")
    assert page.status_code == 200 and "保存设置" not in page.text and "只能查看" in page.text
    assert person.get(CHECKIN).status_code == 200
    assert person.post(CHECKIN, checkin_form(points="99")).status_code == 403
    assert person.post("/console/programme/tiers", tiers_form([("x", "x", "0", "")])).status_code == 403
    assert person.post("/console/programme/settings", {"expiry_days": "5"}).status_code == 403
    assert (api.get("/programme").get_json(), api.get("/tiers").get_json(), task(api, "checkin")) == before


def test_the_birthday_task_is_listed_and_edited_without_caps(app, sign_in, api):  # noqa: F811
    owner = sign_in("operator", "运营小吴")
    listing = owner.get("/console/programme").text
    assert "生日礼" in listing and "/console/programme/tasks/birthday" in listing
    page = owner.get("/console/programme/tasks/birthday").text
    assert "每年生日所在月份自动获得一次积分" in page and 'name="daily_cap"' not in page
    form = {"name": "生日礼", "points": "188", "hold_days": "0", "enabled": "on"}
    assert owner.post("/console/programme/tasks/birthday", form).status_code == 302
    saved = task(api, "birthday")
    assert (saved["points"], saved["daily_cap"], saved["first_time_only"]) == (188, None, False)
