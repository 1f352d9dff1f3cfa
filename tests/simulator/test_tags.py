"""User tags through wechatpy's client.tag: create, list, rename, delete, batch (un)tagging, a tag's
followers page by page, a follower's tag ids, and WeChat's errcodes for each limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from simulator import SimulatorState
from simulator.errors import ApiError
from simulator.tags import DELETE_FANS_MAX
from tests.simulator.helpers import APPID, SimWeChatClient

STAR = {"id": 2, "name": "星标组", "count": 0}


def followers(state: SimulatorState, *openids: str) -> list[str]:
    for openid in openids:
        state.put_user(APPID, openid, subscribe=1)
    return list(openids)


def errcode(call: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    with pytest.raises(WeChatClientException) as caught:
        call(*args, **kwargs)
    return int(caught.value.errcode)


def test_create_list_rename_delete(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    made = wechat.tag.create("广东")

    assert made == {"id": 100, "name": "广东"}
    assert wechat.tag.create("VIP")["id"] == 101
    assert wechat.tag.get() == [
        STAR,
        {"id": 100, "name": "广东", "count": 0},
        {"id": 101, "name": "VIP", "count": 0},
    ]
    assert wechat.tag.update(100, "广东人")["errcode"] == 0
    assert wechat.tag.delete(101)["errcode"] == 0
    assert [t["name"] for t in wechat.tag.get()] == ["星标组", "广东人"]
    assert wechat.tag.create("again")["id"] == 102  # ids are never reused
    [call] = sim_state.calls("/cgi-bin/tags/create")[:1]
    assert call.json == {"tag": {"name": "广东"}}


@pytest.mark.parametrize(
    ("name", "code"),
    [("", 45157), ("   ", 45157), ("星标组", 45157), ("taken", 45157), ("字" * 31, 45158)],
)
def test_create_refuses_bad_names(wechat: SimWeChatClient, name: Any, code: int) -> None:
    wechat.tag.create("taken")

    assert errcode(wechat.tag.create, name) == code


def test_thirty_characters_is_the_longest_name(wechat: SimWeChatClient) -> None:
    assert wechat.tag.create("字" * 30)["name"] == "字" * 30


def test_an_account_holds_100_tags_and_the_cap_is_per_account(
    wechat: SimWeChatClient, sim_state: SimulatorState
) -> None:
    for i in range(100):
        wechat.tag.create(f"t{i}")

    assert errcode(wechat.tag.create, "one more") == 45056
    assert len(wechat.tag.get()) == 101  # and the star group
    sim_state.tags.create("wxanother", "one more")  # another account still may
    wechat.tag.delete(100)
    assert wechat.tag.create("one more")["id"] == 200


def test_system_tags_cannot_be_changed_and_unknown_ids_are_invalid(wechat: SimWeChatClient) -> None:
    for tag_id in (0, 1, 2):
        assert errcode(wechat.tag.update, tag_id, "mine") == 45058
        assert errcode(wechat.tag.delete, tag_id) == 45058
    assert errcode(wechat.tag.delete, 999) == 45159
    assert errcode(wechat.tag.update, 999, "x") == 45159
    made = wechat.tag.create("a")["id"]
    wechat.tag.create("b")
    assert errcode(wechat.tag.update, made, "b") == 45157
    assert errcode(wechat.tag.update, made, "x" * 31) == 45158
    assert wechat.tag.update(made, "a")["errcode"] == 0  # its own name


def test_batch_tagging_and_untagging(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    people = followers(sim_state, "oTagAlice01", "oTagBob0002", "oTagCarol03")
    vip = wechat.tag.create("VIP")["id"]

    assert wechat.tag.tag_user(vip, people)["errcode"] == 0
    assert wechat.tag.tag_user(vip, people[0])["errcode"] == 0  # again: nothing changes
    assert wechat.tag.get()[1]["count"] == 3
    assert wechat.tag.get_user_tag("oTagAlice01") == [vip]
    assert wechat.user.get("oTagAlice01")["tagid_list"] == [vip]
    assert wechat.tag.untag_user(vip, ["oTagAlice01", "oTagAlice01"])["errcode"] == 0
    assert wechat.tag.get_user_tag("oTagAlice01") == []
    assert wechat.tag.untag_user(vip, "oTagAlice01")["errcode"] == 0  # not carrying it is no error
    assert list(wechat.tag.iter_tag_users(vip)) == ["oTagBob0002", "oTagCarol03"]
    assert sim_state.calls("/cgi-bin/tags/members/batchtagging")[0].json == {
        "tagid": vip,
        "openid_list": people,
    }


def test_star_group_can_be_tagged(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    followers(sim_state, "oTagStar001")

    wechat.tag.tag_user(2, "oTagStar001")

    assert wechat.tag.get()[0] == {**STAR, "count": 1}


def test_batch_errors_change_nothing(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    people = followers(sim_state, *(f"oTagMany{i:03d}" for i in range(51)))
    sim_state.put_user(APPID, "oTagGone001", subscribe=0)
    vip = wechat.tag.create("VIP")["id"]

    assert errcode(wechat.tag.tag_user, vip, people) == 40032  # 51
    assert errcode(wechat.tag.tag_user, vip, []) == 40032
    assert errcode(wechat.tag.tag_user, 999, people[:2]) == 45159
    assert errcode(wechat.tag.tag_user, 1, people[:2]) == 45159  # the blacklist has its own API
    assert errcode(wechat.tag.tag_user, vip, [people[0], "oTagGone001"]) == 40003  # unfollowed
    assert errcode(wechat.tag.tag_user, vip, [people[0], "oTagNeverMet"]) == 40003
    assert errcode(wechat.tag.tag_user, vip, [people[0], "bad openid!"]) == 40003
    assert errcode(wechat.tag.untag_user, vip, ["oTagGone001"]) == 40003
    assert wechat.tag.get()[1]["count"] == 0
    assert wechat.tag.tag_user(vip, people[:50])["errcode"] == 0
    assert [c.errcode for c in sim_state.calls("/cgi-bin/tags/members/batchtagging")][-1] == 0


def test_a_follower_carries_at_most_20_tags(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    followers(sim_state, "oTagFull001", "oTagRoom001")
    ids = [wechat.tag.create(f"t{i}")["id"] for i in range(21)]
    for tag_id in ids[:20]:
        wechat.tag.tag_user(tag_id, "oTagFull001")

    assert errcode(wechat.tag.tag_user, ids[20], ["oTagRoom001", "oTagFull001"]) == 45059
    assert wechat.tag.get_user_tag("oTagRoom001") == []  # the whole call was refused
    assert wechat.tag.tag_user(ids[0], "oTagFull001")["errcode"] == 0  # one it has already
    wechat.tag.untag_user(ids[0], "oTagFull001")
    assert wechat.tag.tag_user(ids[20], "oTagFull001")["errcode"] == 0
    assert len(wechat.tag.get_user_tag("oTagFull001")) == 20


def test_deleting_a_tag_takes_it_off_its_followers(
    wechat: SimWeChatClient, sim_state: SimulatorState
) -> None:
    followers(sim_state, "oTagDel0001")
    a, b = (wechat.tag.create(name)["id"] for name in ("a", "b"))
    wechat.tag.tag_user(a, "oTagDel0001")
    wechat.tag.tag_user(b, "oTagDel0001")

    wechat.tag.delete(a)

    assert wechat.tag.get_user_tag("oTagDel0001") == [b]
    assert errcode(wechat.tag.tag_user, a, "oTagDel0001") == 45159
    assert errcode(wechat.tag.get_tag_users, a) == 45159


def test_a_tag_with_too_many_followers_cannot_be_deleted(sim_state: SimulatorState) -> None:
    book = sim_state.tags
    tag = book.create(APPID, "huge")
    book._tags[APPID][tag.id].members = dict.fromkeys(f"o{i:07d}" for i in range(DELETE_FANS_MAX + 1))

    with pytest.raises(ApiError) as caught:
        book.delete(APPID, tag.id)

    assert caught.value.errcode == 45057


def test_tag_followers_come_in_pages(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    sim_state.tags.page_size = 2
    people = followers(sim_state, *(f"oTagPage{i:03d}" for i in range(5)))
    vip = wechat.tag.create("VIP")["id"]
    wechat.tag.tag_user(vip, people)

    first = wechat.tag.get_tag_users(vip)
    assert first == {"count": 2, "data": {"openid": people[:2]}, "next_openid": people[1]}
    assert wechat.tag.get_tag_users(vip, people[3])["data"]["openid"] == people[4:]
    assert wechat.tag.get_tag_users(vip, people[4]) == {"count": 0, "next_openid": ""}
    assert list(wechat.tag.iter_tag_users(vip)) == people
    assert errcode(wechat.tag.get_tag_users, vip, "oTagStranger") == 40003


def test_getidlist_needs_a_follower(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    sim_state.put_user(APPID, "oTagGone002", subscribe=0)

    assert errcode(wechat.tag.get_user_tag, "oTagGone002") == 40003
    assert errcode(wechat.tag.get_user_tag, "oTagNever02") == 40003


def test_malformed_bodies_answer_47001(wechat: SimWeChatClient) -> None:
    for path, body in [
        ("tags/create", {"name": "x"}),
        ("tags/create", {"tag": "x"}),
        ("tags/members/batchtagging", {"tagid": 2, "openid_list": "oTagX00001"}),
        ("user/tag/get", b'["tagid"]'),
    ]:
        assert errcode(wechat.post, path, data=body) == 47001


def test_faults_and_token_expiry_apply(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    sim_state.inject("/cgi-bin/tags/get", errcode=45009)
    assert errcode(wechat.tag.get) == 45009
    sim_state.expire_tokens()
    assert wechat.tag.get() == [STAR]  # wechatpy fetched a new token and asked again
    assert [c.errcode for c in sim_state.calls("/cgi-bin/tags/get")] == [45009, 42001, 0]


def test_reset_forgets_tags(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    wechat.tag.create("VIP")

    sim_state.reset()

    assert sim_state.tags.dump(APPID) == {APPID: {"tags": [STAR | {"openids": []}], "members": {}}}


def test_control_api_lists_tags_and_members(
    wechat: SimWeChatClient, sim_state: SimulatorState, sim_url: str
) -> None:
    followers(sim_state, "oTagCtl0001")
    vip = wechat.tag.create("VIP")["id"]
    wechat.tag.tag_user(vip, "oTagCtl0001")
    sim_state.tags.create("wxother0000002", "别家")

    listed = requests.get(f"{sim_url}/_sim/tags", params={"appid": APPID}, timeout=5).json()
    assert listed == {
        "accounts": {
            APPID: {
                "tags": [
                    STAR | {"openids": []},
                    {"id": vip, "name": "VIP", "count": 1, "openids": ["oTagCtl0001"]},
                ],
                "members": {"oTagCtl0001": [vip]},
            }
        }
    }
    everyone = requests.get(f"{sim_url}/_sim/tags", timeout=5).json()["accounts"]
    assert sorted(everyone) == sorted([APPID, "wxother0000002"])
    limited = requests.post(f"{sim_url}/_sim/limits", json={"tag_limit": 1}, timeout=5)
    assert limited.json()["errcode"] == 0
    assert errcode(wechat.tag.create, "second") == 45056
