"""Orders at the till name their member by exactly one of openid, member code (会员码) or phone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from models import InboundEvent, Member, Order, utcnow
from rules.accounts.member_codes import issue
from tests.api.conftest import error
from tests.factories import count


def _code(app, account_id, member_id, minutes_ago=0):
    return issue(app.config["SECRET_KEY"], account_id, member_id, utcnow() - timedelta(minutes=minutes_ago))


def _phone(session, member_id, phone):
    session.execute(update(Member).where(Member.id == member_id).values(phone=phone))
    session.commit()


def _details(response):
    return response.get_json()["error"]["details"]


def test_an_order_by_member_code_or_phone_goes_to_that_member_once(app, api, make_member, session, run_jobs):
    mid = make_member("oCode1")
    make_member("oCode2")
    _phone(session, mid, "13900001111")
    by_code = api.post(
        "/orders", {"order_no": "C-1", "member_code": _code(app, api.account.id, mid), "amount_fen": 800}
    )
    assert by_code.status_code == 201 and by_code.get_json()["openid"] == "oCode1"
    again = {"order_no": "C-1", "member_code": _code(app, api.account.id, mid, 1), "amount_fen": 800}
    assert api.post("/orders", again).get_json()["duplicate"] is True  # last minute's code, the same order
    by_phone = api.post("/orders", {"order_no": "C-2", "phone": "13900001111", "amount_fen": 500})
    assert by_phone.status_code == 201 and by_phone.get_json()["openid"] == "oCode1"
    run_jobs()
    assert count(session, Order, Order.member_id == mid) == 2 and count(session, InboundEvent) == 2
    assert api.post("/orders/C-1/refunds", {"refund_no": "R-1", "refund_fen": 800}).status_code == 201


def test_exactly_one_way_of_naming_the_member(app, api, make_member, session):
    mid = make_member("oCode3")
    code = _code(app, api.account.id, mid)
    base = {"order_no": "C-3", "amount_fen": 100}
    none = api.post("/orders", base)
    assert error(none) == (422, "invalid_order") and _details(none) == [
        "openid: required, or member_code or phone instead"
    ]
    several = api.post("/orders", {**base, "openid": "oCode3", "member_code": code})
    assert error(several) == (422, "invalid_order")
    assert _details(several) == [
        "openid: give only one of openid, member_code or phone",
        "member_code: give only one of openid, member_code or phone",
    ]
    for bad in ({"member_code": "12345"}, {"member_code": code + "x"}, {"phone": "1234"}, {"phone": None}):
        r = api.post("/orders", {**base, **bad})
        assert error(r) == (422, "invalid_order") and _details(r)[0].startswith(next(iter(bad))), bad
    assert count(session, Order) == 0


def test_an_expired_or_forged_code_or_an_unknown_phone_stores_nothing(
    app, api, other_api, make_member, session
):
    mid = make_member("oCode4")
    other = make_member("oCode5")
    _phone(session, mid, "13900002222")
    _phone(session, other, "13900002222")  # two members bound one phone
    base = {"order_no": "C-4", "amount_fen": 100}
    expired = api.post("/orders", {**base, "member_code": _code(app, api.account.id, mid, minutes_ago=3)})
    assert error(expired) == (422, "invalid_order") and _details(expired)[0].startswith(
        "member_code: expired"
    )
    real = _code(app, api.account.id, mid)
    forged = real[:-1] + str((int(real[-1]) + 1) % 10)
    refused = api.post("/orders", {**base, "member_code": forged})
    assert error(refused) == (422, "invalid_order") and "not a valid member code" in _details(refused)[0]
    foreign = other_api.post("/orders", {**base, "member_code": real})  # this account's code elsewhere
    assert error(foreign) == (422, "invalid_order")
    nobody = api.post("/orders", {**base, "phone": "13900009999"})
    assert error(nobody) == (404, "unknown_member") and "13900009999" in nobody.get_json()["error"]["message"]
    shared = api.post("/orders", {**base, "phone": "13900002222"})
    assert error(shared) == (422, "invalid_order") and _details(shared)[0].startswith(
        "phone: several members"
    )
    assert count(session, Order) == 0 and count(session, InboundEvent) == 0


def test_the_member_search_finds_a_member_by_their_current_code_only(app, api, other_api, make_member):
    mid = make_member("oCode6")
    make_member("oCode7")
    code = _code(app, api.account.id, mid)
    found = api.get(f"/members?q={code}").get_json()["items"]
    assert [(m["openid"], m["member_number"]) for m in found] == [("oCode6", f"{mid:08d}")]
    assert api.get(f"/members?q={_code(app, api.account.id, mid, 5)}").get_json()["items"] == []  # expired
    assert api.get(f"/members?q={code[:-1]}{(int(code[-1]) + 1) % 10}").get_json()["items"] == []  # forged
    assert other_api.get(f"/members?q={code}").get_json()["items"] == []
