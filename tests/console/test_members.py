"""The members pages: search filters, a member's page, points adjusted once per form, tags."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from models import AuditEntry, LedgerEntry, Member, MemberScore, MemberTag
from tests.api.conftest import make_member  # noqa: F401
from tests.factories import count


def _key(html):
    return re.search(r'name="key" value="([0-9a-f]{32})"', html).group(1)


def _setup(session, account, make_member):  # noqa: F811
    ids = {o: make_member(o) for o in ("oAlpha", "oBeta", "oGamma")}
    session.execute(update(Member).where(Member.id == ids["oAlpha"]).values(phone="13800001234"))
    session.execute(
        update(Member).where(Member.id == ids["oBeta"]).values(phone="13912345678", tier_code="silver")
    )
    session.add(
        MemberScore(
            member_id=ids["oAlpha"],
            account_id=account.id,
            stage="iron",
            rfm_segment="important_value",
            r=5,
            f=4,
            m=3,
            influence=42.0,
            parts={"referrals": 30.0, "shares": 12.0},
        )
    )
    session.add(
        MemberScore(member_id=ids["oBeta"], account_id=account.id, stage="deep", rfm_segment="general_keep")
    )
    session.add(MemberTag(account_id=account.id, member_id=ids["oGamma"], tag="咖啡控", source="manual"))
    session.commit()
    return ids


def shown(html):
    return re.findall(r'class="openid" title="(o\w+)"', html)


def test_the_list_filters_by_each_field_and_masks_phones(sign_in, session, account, make_member):  # noqa: F811
    _setup(session, account, make_member)
    c = sign_in("viewer")
    r = c.get("/console/members")
    assert r.status_code == 200 and shown(r.text) == ["oGamma", "oBeta", "oAlpha"]
    assert "138****1234" in r.text and "13800001234" not in r.text
    assert shown(c.get("/console/members?q=138").text) == ["oAlpha"]
    assert shown(c.get("/console/members?q=oBeta").text) == ["oBeta"]
    assert shown(c.get("/console/members?tag=咖啡控").text) == ["oGamma"]
    assert shown(c.get("/console/members?stage=iron").text) == ["oAlpha"]
    assert shown(c.get("/console/members?rfm=general_keep").text) == ["oBeta"]
    assert shown(c.get("/console/members?tier=silver").text) == ["oBeta"]
    assert shown(c.get("/console/members?following=true").text) == ["oGamma", "oBeta", "oAlpha"]
    bad = c.get("/console/members?stage=gold")
    assert bad.status_code == 422 and "不是可选的值" in bad.text


def test_the_list_pages_back_by_cursor(sign_in, make_member):  # noqa: F811
    for i in range(23):
        make_member(f"oPage{i:02d}")
    c = sign_in("viewer")
    first = c.get("/console/members")
    assert len(shown(first.text)) == 20 and shown(first.text)[0] == "oPage22"
    older = re.search(r'href="([^"]+before=\d+[^"]*)">更早', first.text).group(1).replace("&amp;", "&")
    assert shown(c.get(older).text) == ["oPage02", "oPage01", "oPage00"]


def test_the_member_page_shows_each_part(sign_in, session, account, make_member):  # noqa: F811
    _setup(session, account, make_member)
    c = sign_in("operator")
    r = c.get("/console/members/oAlpha")
    assert r.status_code == 200
    for part in (
        "资料",
        "积分余额",
        "冻结中",
        "可用",
        "累计获得",
        "积分明细",
        "签到",
        "评价",
        "推荐关系",
        "标签",
    ):
        assert part in r.text, part
    assert "铁关系" in r.text and "重要价值" in r.text and "42.0" in r.text
    assert "直接邀请" in r.text and "分享" in r.text and "138****1234" in r.text
    assert c.get("/console/members/nobody").status_code == 404


def test_adjusting_points_is_audited_and_counts_once_per_form(sign_in, session, account, make_member):  # noqa: F811
    ids = _setup(session, account, make_member)
    c = sign_in("operator", "小李")
    key = _key(c.get("/console/members/oAlpha").text)
    form = {"points": "120", "reason": "线下活动补发", "key": key}
    assert c.post("/console/members/oAlpha/adjust", form).status_code == 302
    assert c.post("/console/members/oAlpha/adjust", form).status_code == 302  # a double submit
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.member_id == ids["oAlpha"])).all()
    assert [(e.delta, e.kind, e.action, e.note) for e in rows] == [(120, "award", "manual", "线下活动补发")]
    session.expire_all()
    alpha = session.get(Member, ids["oAlpha"])
    assert alpha.points_balance == 120 and alpha.points_earned == 0
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "members_adjust")).all()
    assert audit and audit[0].actor == "小李" and audit[0].after["request"]["reason"] == "线下活动补发"
    page = c.get("/console/members/oAlpha")
    assert "线下活动补发" in page.text and "这次调整已经提交过" in page.text
    take = {"points": "-20", "reason": "误发", "key": _key(page.text)}
    assert c.post("/console/members/oAlpha/adjust", take).status_code == 302
    session.expire_all()
    assert session.get(Member, ids["oAlpha"]).points_balance == 100


def test_bad_adjustments_name_the_field_and_store_nothing(sign_in, session, account, make_member):  # noqa: F811
    ids = _setup(session, account, make_member)
    c = sign_in("operator")
    key = _key(c.get("/console/members/oBeta").text)
    cases = (
        ({"points": "1.5", "reason": "x"}, "须为整数"),
        ({"points": "abc", "reason": "x"}, "须为整数"),
        ({"points": "0", "reason": "x"}, "不能为 0"),
        ({"points": "", "reason": "x"}, "须为整数"),
        ({"points": "10", "reason": "  "}, "不能为空"),
        ({"points": "2000000", "reason": "x"}, "不能大于"),
        ({"points": "-5", "reason": "扣多了"}, "积分不足"),  # never below zero
        ({"points": "5", "reason": "x", "key": "not-a-key"}, "页面已过期"),
    )
    before = count(session, AuditEntry)
    for form, said in cases:
        r = c.post("/console/members/oBeta/adjust", {"key": key} | form)
        assert r.status_code == 422, form
        assert said in r.text and 'class="field-error"' in r.text, form
    assert count(session, LedgerEntry, LedgerEntry.member_id == ids["oBeta"]) == 0
    assert count(session, AuditEntry) == before


def test_viewers_and_cashiers_cannot_adjust_or_tag(sign_in, session, account, make_member):  # noqa: F811
    _setup(session, account, make_member)
    for role in ("viewer", "cashier"):
        c = sign_in(role, f"{role}-x")
        page = c.get("/console/members/oAlpha")
        assert page.status_code == 200 and "调整积分" not in page.text
        r = c.post("/console/members/oAlpha/adjust", {"points": "5", "reason": "x", "key": "a" * 32})
        assert r.status_code == 403
        assert c.post("/console/members/oAlpha/tags", {"tag": "VIP"}).status_code == 403
    assert count(session, LedgerEntry) == 0 and count(session, MemberTag, MemberTag.tag == "VIP") == 0


def test_tags_are_added_and_removed_by_hand(sign_in, session, account, make_member):  # noqa: F811
    ids = _setup(session, account, make_member)
    session.add(MemberTag(account_id=account.id, member_id=ids["oAlpha"], tag="阶段:铁", source="rule"))
    session.commit()
    c = sign_in("operator")
    c.get("/console/members/oAlpha")
    assert c.post("/console/members/oAlpha/tags", {"tag": "VIP"}).status_code == 302
    assert "VIP" in c.get("/console/members/oAlpha").text
    active = MemberTag.removed_at.is_(None)
    assert count(session, MemberTag, MemberTag.tag == "VIP", active) == 1
    assert c.post("/console/members/oAlpha/tags/remove", {"tag": "VIP"}).status_code == 302
    assert count(session, MemberTag, MemberTag.tag == "VIP", active) == 0
    c.post("/console/members/oAlpha/tags", {"tag": " "})
    assert "标签不能为空" in c.get("/console/members/oAlpha").text
    c.post("/console/members/oAlpha/tags/remove", {"tag": "阶段:铁"})
    assert "不能手动移除" in c.get("/console/members/oAlpha").text
    assert count(session, MemberTag, MemberTag.tag == "阶段:铁", active) == 1


def test_a_cashier_finds_a_member_by_their_number_and_sees_it_on_their_page(sign_in, make_member):  # noqa: F811
    member_id = make_member("oConsoleNo1")
    make_member("oConsoleNo2")
    cashier = sign_in("cashier")
    listed = cashier.get(f"/console/members?q={member_id:08d}").text
    assert "oConsoleNo1"[-8:] in listed and "oConsoleNo2"[-8:] not in listed
    assert f"会员号 {member_id:08d}" in cashier.get("/console/members/oConsoleNo1").text


def test_a_member_is_found_by_nickname_and_shown_by_it(sign_in, session, account, make_member):  # noqa: F811
    ids = _setup(session, account, make_member)
    session.execute(update(Member).where(Member.id == ids["oBeta"]).values(nickname="咖啡小王"))
    session.commit()
    c = sign_in("viewer")
    found = c.get("/console/members?q=咖啡")
    assert shown(found.text) == ["oBeta"] and ">咖啡小王</a>" in found.text
    assert "<h1>咖啡小王</h1>" in c.get("/console/members/oBeta").text
    assert "<h1>未设置昵称</h1>" in c.get("/console/members/oAlpha").text
