"""Members' tags through the merchant API: hand-set tags, rule tags left alone, every tag with its
WeChat twin, and what the mirror job makes of it all."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select

from models import MemberTag
from tasks.tags import mirror_account
from tests.api.conftest import conforms, error
from tests.conftest import APPID


def rule_tag(session, member_id, account_id, tag, source="rule"):
    session.add(MemberTag(account_id=account_id, member_id=member_id, tag=tag, source=source))
    session.commit()


def test_a_hand_set_tag_is_listed_removed_and_set_again(api, make_member):
    make_member("oTagApi0001")

    created = api.put("/members/oTagApi0001/tags/" + quote("老客户"))
    assert created.status_code == 201
    assert created.get_json() | {"created_at": None} == {
        "tag": "老客户",
        "source": "manual",
        "created_at": None,
        "mirrored_at": None,
        "removed_at": None,
    }
    assert api.put("/members/oTagApi0001/tags/老客户").status_code == 200  # carried already
    listed = api.get("/members/oTagApi0001/tags").get_json()
    assert listed["openid"] == "oTagApi0001"
    assert [(t["tag"], t["source"]) for t in listed["items"]] == [("老客户", "manual")]

    removed = api.call("DELETE", "/members/oTagApi0001/tags/老客户")
    assert removed.status_code == 200 and removed.get_json()["removed_at"] is not None
    assert api.get("/members/oTagApi0001/tags").get_json()["items"] == []
    assert error(api.call("DELETE", "/members/oTagApi0001/tags/老客户")) == (404, "unknown_tag")
    assert api.put("/members/oTagApi0001/tags/老客户").status_code == 201  # back again


@pytest.mark.parametrize(
    "tag", ["%20%20", "x" * 31, "阶段:铁关系", "RFM:重要价值", "等级:金卡", "KOL候选", "阶段：铁关系"]
)
def test_empty_long_and_rule_tags_cannot_be_set_by_hand(api, make_member, tag):
    make_member("oTagApi0002")

    assert error(api.put(f"/members/oTagApi0002/tags/{tag}")) == (422, "invalid_tag")


def test_thirty_characters_and_slashes_are_fine(api, make_member):
    make_member("oTagApi0003")

    assert api.put("/members/oTagApi0003/tags/" + "字" * 30).status_code == 201
    assert api.put("/members/oTagApi0003/tags/一楼/收银台").get_json()["tag"] == "一楼/收银台"
    assert api.call("DELETE", "/members/oTagApi0003/tags/一楼/收银台").status_code == 200


def test_unknown_members_are_404(api):
    assert error(api.get("/members/oNobody0001/tags")) == (404, "unknown_member")
    assert error(api.put("/members/oNobody0001/tags/VIP")) == (404, "unknown_member")
    assert error(api.call("DELETE", "/members/oNobody0001/tags/VIP")) == (404, "unknown_member")


def test_rule_tags_cannot_be_removed_by_hand_but_channel_tags_can(api, make_member, session, account):
    member_id = make_member("oTagApi0004")
    rule_tag(session, member_id, account.id, "阶段:铁关系")
    rule_tag(session, member_id, account.id, "门店A", source="channel")

    assert error(api.call("DELETE", "/members/oTagApi0004/tags/阶段:铁关系")) == (409, "rule_tag")
    assert api.put("/members/oTagApi0004/tags/门店A").status_code == 200  # carried already, still a channel's
    assert api.call("DELETE", "/members/oTagApi0004/tags/门店A").get_json()["source"] == "channel"
    assert [t["tag"] for t in api.get("/members/oTagApi0004/tags").get_json()["items"]] == ["阶段:铁关系"]


def test_another_merchants_members_are_not_found(api, other_api, make_member):
    make_member("oTagApi0005")

    assert error(other_api.put("/members/oTagApi0005/tags/VIP")) == (404, "unknown_member")


def test_tags_list_counts_and_follows_the_mirror(api, make_member, simulator, session, account):
    for openid in ("oTagApi0006", "oTagApi0007"):
        make_member(openid)
        simulator.state.put_user(APPID, openid, subscribe=1)
        api.put(f"/members/{openid}/tags/VIP")
    rule_tag(session, make_member("oTagApi0008"), account.id, "VIP", source="channel")
    api.put("/members/oTagApi0006/tags/老客户")
    api.call("DELETE", "/members/oTagApi0006/tags/老客户")

    before = api.get("/tags").get_json()["items"]
    assert before == [
        {
            "tag": "VIP",
            "members": 3,
            "sources": ["channel", "manual"],
            "wechat_id": None,
            "pending": 3,
            "mirrored": False,
        }
    ]

    report = mirror_account(account.id)

    assert (report["tagged"], report["refused"]) == (2, 1)  # oTagApi0008 never followed on WeChat
    [after] = api.get("/tags").get_json()["items"]
    assert (after["pending"], after["mirrored"]) == (0, True)
    assert after["wechat_id"] == simulator.state.tags.listed(APPID)[1]["id"]
    assert api.get("/members/oTagApi0006/tags").get_json()["items"][0]["mirrored_at"] is not None

    api.call("DELETE", "/members/oTagApi0007/tags/VIP")
    assert mirror_account(account.id)["untagged"] == 1
    session.expire_all()
    assert [m.tag for m in session.scalars(select(MemberTag).where(MemberTag.removed_at.is_not(None)))] == []
    assert simulator.state.tags.dump(APPID)[APPID]["members"] == {"oTagApi0006": [after["wechat_id"]]}


def test_the_responses_are_exactly_what_their_schemas_say(api, make_member):
    doc = api.client.get("/api/v1/openapi.json").get_json()
    make_member("oTagApi0009")
    samples = {
        "MemberTag": api.put("/members/oTagApi0009/tags/VIP").get_json(),
        "MemberTags": api.get("/members/oTagApi0009/tags").get_json(),
        "Tags": api.get("/tags").get_json(),
    }
    samples["TagSummary"] = samples["Tags"]["items"][0]
    for name, sample in samples.items():
        conforms(doc, name, sample)
