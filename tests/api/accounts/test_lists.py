"""GET /members (the search), /orders and /redemptions: filters, the cursor, one account's data only."""

from __future__ import annotations

from sqlalchemy import update

from models import Member, MemberScore, MemberTag, Order, Redemption, Reward, utcnow
from tests.api.conftest import error


def _score(session, member_id, account_id, stage, rfm=None):
    session.add(
        MemberScore(member_id=member_id, account_id=account_id, stage=stage, rfm_segment=rfm, influence=1.5)
    )


def _people(api, make_member, session):
    """Six members of the test account with phones, tiers, stages, segments and a tag."""
    ids = {o: make_member(o) for o in ("oA", "oB", "oC", "oD", "oE", "oF")}
    phones = {"oA": "13800001111", "oB": "13800002222", "oC": "13912345678", "oD": None}
    for openid, phone in phones.items():
        session.execute(update(Member).where(Member.id == ids[openid]).values(phone=phone))
    session.execute(update(Member).where(Member.id == ids["oB"]).values(tier_code="silver"))
    session.execute(update(Member).where(Member.id == ids["oE"]).values(following=False))
    aid = api.account.id
    _score(session, ids["oA"], aid, "iron", "important_value")
    _score(session, ids["oB"], aid, "deep", "important_value")
    _score(session, ids["oC"], aid, "light", "general_retain")
    session.add(MemberTag(account_id=aid, member_id=ids["oC"], tag="老客", source="manual"))
    session.add(
        MemberTag(account_id=aid, member_id=ids["oD"], tag="老客", source="manual", removed_at=utcnow())
    )
    session.commit()
    return ids


def openids(r):
    assert r.status_code == 200, r.get_json()
    return [m["openid"] for m in r.get_json()["items"]]


def test_each_filter_finds_its_members_newest_first(api, make_member, session):
    _people(api, make_member, session)
    assert openids(api.get("/members")) == ["oF", "oE", "oD", "oC", "oB", "oA"]
    assert openids(api.get("/members?openid=oC")) == ["oC"]
    assert openids(api.get("/members?phone=13800002222")) == ["oB"]
    assert openids(api.get("/members?phone=138")) == ["oB", "oA"]
    assert openids(api.get("/members?q=139")) == ["oC"]
    assert openids(api.get("/members?q=oD")) == ["oD"]
    assert openids(api.get("/members?q=nobody")) == []
    assert openids(api.get("/members?tag=老客")) == ["oC"]  # oD's tag was removed
    assert openids(api.get("/members?stage=iron")) == ["oA"]
    assert openids(api.get("/members?rfm=important_value")) == ["oB", "oA"]
    assert openids(api.get("/members?rfm=important_value&stage=deep")) == ["oB"]
    assert openids(api.get("/members?tier=silver")) == ["oB"]
    assert openids(api.get("/members?following=false")) == ["oE"]
    assert "oE" not in openids(api.get("/members?following=true"))
    one = api.get("/members?openid=oA").get_json()["items"][0]
    assert one["phone"] == "13800001111" and one["stage"] == "iron" and one["influence"] == 1.5
    assert one["rfm_segment"] == "important_value" and one["balance"] == 0


def test_the_cursor_pages_back_without_repeats(api, make_member, session):
    _people(api, make_member, session)
    first = api.get("/members?limit=4").get_json()
    assert [m["openid"] for m in first["items"]] == ["oF", "oE", "oD", "oC"]
    assert first["next_before"] == first["items"][-1]["id"]
    second = api.get(f"/members?limit=4&before={first['next_before']}").get_json()
    assert [m["openid"] for m in second["items"]] == ["oB", "oA"] and second["next_before"] is None
    paged = api.get("/members?rfm=important_value&limit=1").get_json()
    assert [m["openid"] for m in paged["items"]] == ["oB"]
    assert openids(api.get(f"/members?rfm=important_value&limit=1&before={paged['next_before']}")) == ["oA"]
    tagged = api.get("/members?tag=老客&limit=1").get_json()
    assert openids(api.get(f"/members?tag=老客&before={tagged['next_before']}")) == []


def test_bad_filters_are_refused_by_name(api):
    for query, field in (
        ("stage=gold", "stage"),
        ("rfm=best", "rfm"),
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("before=0", "before"),
        ("phone=12", "phone"),
        ("phone=abc123", "phone"),
        ("following=maybe", "following"),
    ):
        r = api.get(f"/members?{query}")
        assert error(r) == (422, "invalid_query"), query
        assert any(d.startswith(field) for d in r.get_json()["error"]["details"]), query


def test_another_accounts_members_orders_and_redemptions_never_show(api, other_api, make_member, session):
    mine = make_member("oMine")
    theirs = make_member("oTheirs", other_api.account.id)
    make_member("oMine", other_api.account.id)  # the same openid in the other account
    _score(session, theirs, other_api.account.id, "iron", "important_value")
    session.add(MemberTag(account_id=other_api.account.id, member_id=theirs, tag="老客", source="manual"))
    now = utcnow()
    for account_id, member_id, no in ((api.account.id, mine, "A-1"), (other_api.account.id, theirs, "B-1")):
        session.add(
            Order(account_id=account_id, member_id=member_id, order_no=no, amount_fen=100, paid_at=now)
        )
        reward = Reward(account_id=account_id, name=f"奖品{no}", points_price=10, stock=5, kind="gift")
        session.add(reward)
        session.flush()
        session.add(
            Redemption(
                account_id=account_id,
                reward_id=reward.id,
                member_id=member_id,
                points=10,
                code="C",
                request_key=no,
            )
        )
    session.commit()
    assert openids(api.get("/members")) == ["oMine"]
    assert openids(api.get("/members?q=oTheirs")) == []
    assert openids(api.get("/members?stage=iron")) == [] and openids(api.get("/members?tag=老客")) == []
    assert [o["order_no"] for o in api.get("/orders").get_json()["items"]] == ["A-1"]
    assert api.get("/orders?openid=oTheirs").get_json()["items"] == []
    assert [r["reward_name"] for r in api.get("/redemptions").get_json()["items"]] == ["奖品A-1"]
    assert api.get("/redemptions?openid=oTheirs").get_json()["items"] == []
    assert [o["order_no"] for o in other_api.get("/orders").get_json()["items"]] == ["B-1"]


def test_orders_newest_first_with_refunds_by_member_and_cursor(api, make_member, session, run_jobs):
    make_member("oX")
    make_member("oY")
    for no, openid in (("SO-1", "oX"), ("SO-2", "oY"), ("SO-3", "oX")):
        assert api.post("/orders", {"order_no": no, "openid": openid, "amount_fen": 1000}).status_code == 201
    assert api.post("/orders/SO-1/refunds", {"refund_no": "R1", "refund_fen": 300}).status_code == 201
    r = api.get("/orders")
    assert r.status_code == 200
    assert [o["order_no"] for o in r.get_json()["items"]] == ["SO-3", "SO-2", "SO-1"]
    by_x = api.get("/orders?openid=oX").get_json()["items"]
    assert [o["order_no"] for o in by_x] == ["SO-3", "SO-1"]
    assert by_x[1]["refunds"][0]["refund_fen"] == 300 and by_x[1]["refunded_fen"] == 300
    page = api.get("/orders?limit=2").get_json()
    assert page["next_before"] == page["items"][-1]["id"]
    rest = api.get(f"/orders?limit=2&before={page['next_before']}").get_json()
    assert [o["order_no"] for o in rest["items"]] == ["SO-1"] and rest["next_before"] is None


def test_redemptions_newest_first_by_member(api, make_member, session):
    ids = {o: make_member(o) for o in ("oR1", "oR2")}
    reward = Reward(account_id=api.account.id, name="拿铁一杯", points_price=100, stock=9, kind="gift")
    session.add(reward)
    session.flush()
    for i, openid in enumerate(("oR1", "oR2", "oR1")):
        session.add(
            Redemption(
                account_id=api.account.id,
                reward_id=reward.id,
                member_id=ids[openid],
                points=100,
                code=f"K{i}",
                request_key=f"k{i}",
            )
        )
    session.commit()
    r = api.get("/redemptions")
    assert "拿铁一杯" in r.text  # Chinese left unescaped
    assert [x["code"] for x in r.get_json()["items"]] == ["K2", "K1", "K0"]
    assert [x["code"] for x in api.get("/redemptions?openid=oR1").get_json()["items"]] == ["K2", "K0"]
    page = api.get("/redemptions?limit=2").get_json()
    assert [x["code"] for x in api.get(f"/redemptions?before={page['next_before']}").get_json()["items"]] == [
        "K0"
    ]


def test_a_member_is_found_by_their_member_number(api, other_api, make_member):
    member_id = make_member("oNumbered1")
    make_member("oNumbered2")
    number = f"{member_id:08d}"
    found = api.get(f"/members?q={number}").get_json()["items"]
    assert [(m["openid"], m["member_number"]) for m in found] == [("oNumbered1", number)]
    assert api.get(f"/members?q={number[:4]} {number[4:]}").get_json()["items"][0]["openid"] == "oNumbered1"
    assert other_api.get(f"/members?q={number}").get_json()["items"] == []  # another account's number


def test_member_numbers_are_read_as_typed():
    from rules.accounts.member_numbers import member_id_of, member_number

    assert member_number(42) == "00000042" and member_id_of("0000 0042") == 42
    assert (
        member_id_of("1234567") is None and member_id_of("00000000") is None and member_id_of("abc") is None
    )


def test_a_member_is_found_by_their_nickname_or_its_first_characters(api, other_api, make_member, session):
    ids = {o: make_member(o) for o in ("oNick1", "oNick2", "oNick3", "oNick4")}
    names = {"oNick1": "小王", "oNick2": "小王子", "oNick3": "王小", "oNick4": "50%_off"}
    for openid, name in names.items():
        session.execute(update(Member).where(Member.id == ids[openid]).values(nickname=name))
    session.commit()
    assert openids(api.get("/members?nickname=小王")) == ["oNick2", "oNick1"]
    assert openids(api.get("/members?q=小王子")) == ["oNick2"]
    assert openids(api.get("/members?q=王")) == ["oNick3"]  # a prefix, not anywhere in the name
    assert openids(api.get("/members?q=50%25")) == ["oNick4"]  # % and _ are literal characters
    assert openids(api.get("/members?q=5_")) == []
    assert api.get("/members?openid=oNick1").get_json()["items"][0]["nickname"] == "小王"
    assert other_api.get("/members?q=小王").get_json()["items"] == []  # another account's members
    too_long = api.get("/members?nickname=" + "长" * 21)
    assert too_long.status_code == 422 and too_long.get_json()["error"]["details"][0].startswith("nickname:")


def test_nicknames_are_kept_as_typed_and_masked_in_public():
    from rules.accounts.nicknames import clean_nickname, masked_nickname

    assert clean_nickname("  小  王 ") == "小 王" and clean_nickname("ＡＢ１") == "AB1"
    assert clean_nickname("") is None and clean_nickname("   ") is None and clean_nickname("长" * 21) is None
    assert clean_nickname("坏\x00人") is None and clean_nickname("a\u202eb") is None
    assert masked_nickname("小王子") == "小*子" and masked_nickname("王") == "王*"
    assert masked_nickname("Alexander") == "A***r" and masked_nickname(None) == "会员"
