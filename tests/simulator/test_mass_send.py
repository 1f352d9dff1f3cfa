"""Mass sends through wechatpy's client.message.send_mass_* and raw calls: who receives them (followers
within 4 a month), clientmsgid duplicates, content checks, message/mass/get and the control API."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import requests
from PIL import Image
from wechatpy.exceptions import WeChatClientException

from simulator import SimulatorState
from simulator.mass import BEIJING
from tests.simulator.helpers import APPID, SimWeChatClient

A, B, C = "oTIEFEN_mass_0001", "oTIEFEN_mass_0002", "oTIEFEN_mass_0003"


@pytest.fixture(autouse=True)
def slow_events(sim_state: SimulatorState) -> None:
    """Jobs stay SENDING long enough for the tests that look at them before they finish."""
    sim_state.mass.event_delay = 30.0


def follow(state: SimulatorState, *openids: str) -> None:
    for openid in openids:
        state.put_user(APPID, openid, subscribe=1)


def refused(call: Callable[..., Any], *args: Any, **kwargs: Any) -> WeChatClientException:
    with pytest.raises(WeChatClientException) as caught:
        call(*args, **kwargs)
    return caught.value


def sends(sim_url: str) -> list[dict[str, Any]]:
    return list(requests.get(f"{sim_url}/_sim/mass-sends", timeout=5).json()["mass_sends"])


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_send_to_openids_reaches_the_followers_among_them(
    wechat: SimWeChatClient, sim_state: SimulatorState, sim_url: str
) -> None:
    follow(sim_state, A, B)
    sim_state.put_user(APPID, "oTIEFEN_gone_0001", subscribe=0)

    answer = wechat.message.send_mass_text([A, B, "oTIEFEN_gone_0001", "oNEVER_met_0001"], "上新啦")

    assert answer == {"errcode": 0, "errmsg": "send job submission success", "msg_id": answer["msg_id"]}
    [job] = sends(sim_url)
    assert job["msg_id"] == answer["msg_id"] and job["msgtype"] == "text"
    assert job["content"] == {"content": "上新啦"}
    assert job["targets"] == [A, B, "oTIEFEN_gone_0001", "oNEVER_met_0001"]
    assert job["recipients"] == [A, B]
    assert job["filtered"] == {"oTIEFEN_gone_0001": "unfollowed", "oNEVER_met_0001": "unfollowed"}
    assert job["counts"] == {"TotalCount": 4, "FilterCount": 2, "SentCount": 2, "ErrorCount": 0}


def test_an_article_send_also_answers_its_msg_data_id(
    wechat: SimWeChatClient, sim_state: SimulatorState
) -> None:
    follow(sim_state, A, B)

    answer = wechat.message.send_mass_article([A, B], "DRAFT_MEDIA_ID", client_msg_id="article-1")

    assert set(answer) == {"errcode", "errmsg", "msg_id", "msg_data_id"}
    [job] = sim_state.mass.jobs(APPID)
    assert (job.clientmsgid, job.msg_data_id) == ("article-1", answer["msg_data_id"])


@pytest.mark.parametrize(
    "touser", [[A], [A, A], [f"oTIEFEN_{i:08d}" for i in range(10_001)]], ids=["one", "one-twice", "10001"]
)
def test_touser_holds_two_to_ten_thousand_openids(wechat: SimWeChatClient, touser: list[str]) -> None:
    assert refused(wechat.message.send_mass_text, touser, "hi").errcode == 40130


def test_ten_thousand_openids_are_accepted(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    follow(sim_state, A)

    wechat.message.send_mass_text([A] + [f"oTIEFEN_{i:08d}" for i in range(9_999)], "hi")

    [job] = sim_state.mass.jobs()
    assert (len(job.targets), job.recipients) == (10_000, [A])


def test_sendall_to_everyone_or_to_a_tag(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    follow(sim_state, A, B, C)
    vip = wechat.tag.create("VIP")["id"]
    wechat.tag.tag_user(vip, [A, C])

    wechat.message.send_mass_text(None, "全体", is_to_all=True)
    body = {"filter": {"is_to_all": False, "tag_id": vip}, "msgtype": "text", "text": {"content": "VIP"}}
    wechat.post("message/mass/sendall", data=body)

    everyone, tagged = sim_state.mass.jobs(APPID)
    assert (everyone.audience, everyone.recipients) == ({"is_to_all": True}, [A, B, C])
    assert (tagged.audience, tagged.recipients) == ({"tag_id": vip}, [A, C])


def test_sendall_to_an_unknown_tag_is_refused(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    body = {"filter": {"is_to_all": False, "tag_id": 999}, "msgtype": "text", "text": {"content": "x"}}

    assert refused(wechat.post, "message/mass/sendall", data=body).errcode == 40152
    # wechatpy 1.8.18 names the tag filter.group_id, which the documentation no longer lists
    assert refused(wechat.message.send_mass_text, 100, "x").errcode == 40152
    assert sim_state.mass.jobs() == []


def test_a_member_receives_four_mass_sends_a_month(
    wechat: SimWeChatClient, sim_state: SimulatorState
) -> None:
    follow(sim_state, A, B)
    may = datetime(2025, 5, 31, 23, 0, tzinfo=BEIJING).timestamp()
    sim_state.mass.clock = lambda: may
    for week in range(4):
        wechat.message.send_mass_text([A, B], f"周报 {week}")
    follow(sim_state, C)

    answer = wechat.message.send_mass_text([A, B, C], "第五条")

    fifth = sim_state.mass.jobs()[-1]
    assert answer["errcode"] == 0 and fifth.recipients == [C]
    assert fifth.filtered == {A: "monthly_quota", B: "monthly_quota"}
    assert sim_state.mass.received_this_month(APPID, A) == 4
    sim_state.mass.clock = lambda: may + 3600  # June 1st, 00:00 in Beijing
    wechat.message.send_mass_text([A, B], "六月")
    assert sim_state.mass.jobs()[-1].recipients == [A, B]


def test_a_repeated_clientmsgid_answers_45065_with_the_first_msg_id(
    wechat: SimWeChatClient, sim_state: SimulatorState, sim_url: str
) -> None:
    follow(sim_state, A, B)
    first = wechat.message.send_mass_text([A, B], "一次", client_msg_id="campaign-7-batch-1")

    again = refused(wechat.message.send_mass_text, [A, B], "一次", client_msg_id="campaign-7-batch-1")
    other = refused(wechat.message.send_mass_text, [B, C], "别的", client_msg_id="campaign-7-batch-1")

    assert (again.errcode, again.errmsg) == (45065, "clientmsgid exist")
    assert again.response.json()["msg_id"] == other.response.json()["msg_id"] == first["msg_id"]
    assert len(sends(sim_url)) == 1 and sim_state.mass.received_this_month(APPID, A) == 1


def test_a_clientmsgid_is_remembered_for_24_hours(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    follow(sim_state, A, B)
    now = datetime(2025, 5, 1, 9, 0, tzinfo=BEIJING).timestamp()
    sim_state.mass.clock = lambda: now
    wechat.message.send_mass_text([A, B], "早安", client_msg_id="daily")

    sim_state.mass.clock = lambda: now + 24 * 3600 - 1
    assert refused(wechat.message.send_mass_text, [A, B], "早安", client_msg_id="daily").errcode == 45065
    sim_state.mass.clock = lambda: now + 24 * 3600
    assert wechat.message.send_mass_text([A, B], "早安", client_msg_id="daily")["errcode"] == 0


def test_without_clientmsgid_the_same_audience_and_content_is_a_duplicate(
    wechat: SimWeChatClient, sim_state: SimulatorState
) -> None:
    follow(sim_state, A, B)
    wechat.message.send_mass_text([A, B], "同一条")

    assert refused(wechat.message.send_mass_text, [B, A], "同一条").errcode == 45065
    assert wechat.message.send_mass_text([A, B], "另一条")["errcode"] == 0
    assert wechat.message.send_mass_text([A, C], "同一条")["errcode"] == 0


def test_a_clientmsgid_is_at_most_64_bytes(wechat: SimWeChatClient) -> None:
    assert refused(wechat.message.send_mass_text, [A, B], "x", client_msg_id="群" * 22).errcode == 45067
    assert wechat.message.send_mass_text([A, B], "x", client_msg_id="k" * 64)["errcode"] == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"msgtype": "music", "music": {}}, 40008),
        ({"text": {"content": "no msgtype"}}, 40008),
        ({"msgtype": "text", "text": {"content": ""}}, 44004),
        ({"msgtype": "text"}, 44004),
        ({"msgtype": "mpnews", "mpnews": {}}, 40007),
        ({"msgtype": "voice", "voice": {"media_id": "not-uploaded"}}, 40007),
        ({"msgtype": "image", "images": {"media_ids": []}}, 40007),
        ({"msgtype": "mpvideo", "mpvideo": {"title": "no media"}}, 40007),
        ({"msgtype": "wxcard", "wxcard": {}}, 47001),
        ({"msgtype": "text", "text": {"content": "x"}, "clientmsgid": ["list"]}, 47001),
    ],
)
def test_content_is_checked(wechat: SimWeChatClient, body: dict[str, Any], code: int) -> None:
    assert refused(wechat.post, "message/mass/send", data={"touser": [A, B], **body}).errcode == code


def test_images_are_the_accounts_live_uploads(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    follow(sim_state, A, B)
    image = wechat.media.upload("image", io.BytesIO(png()))["media_id"]

    wechat.post(
        "message/mass/send", data={"touser": [A, B], "msgtype": "image", "images": {"media_ids": [image]}}
    )
    wechat.message.send_mass_image([A, B], image)  # wechatpy's older shape: image.media_id

    assert [job.content for job in sim_state.mass.jobs()] == [{"media_ids": [image]}, {"media_id": image}]
    assert refused(wechat.message.send_mass_image, [A, B], "not-uploaded").errcode == 40007


def test_mass_get_answers_the_status(
    wechat: SimWeChatClient, sim_state: SimulatorState, sim_url: str
) -> None:
    follow(sim_state, A, B)
    msg_id = wechat.message.send_mass_text([A, B], "状态")["msg_id"]

    assert wechat.message.get_mass(msg_id) == {"msg_id": msg_id, "msg_status": "SENDING"}
    sim_state.mass.jobs()[0].finished = True
    assert wechat.message.get_mass(str(msg_id))["msg_status"] == "SEND_SUCCESS"
    assert refused(wechat.message.get_mass, msg_id + 1).errcode == 40059
    sim_state.register_app("wxsim00000000002", "other")
    other = SimWeChatClient(sim_url, "wxsim00000000002", "other")
    try:
        assert refused(other.message.get_mass, msg_id).errcode == 40059
    finally:
        other._http.close()


def test_control_api_shows_one_send_and_settings(
    wechat: SimWeChatClient, sim_state: SimulatorState, sim_url: str
) -> None:
    follow(sim_state, A, B)
    msg_id = wechat.message.send_mass_text([A, B], "控制")["msg_id"]

    shown = requests.get(f"{sim_url}/_sim/mass-sends/{msg_id}", timeout=5).json()
    missing = requests.get(f"{sim_url}/_sim/mass-sends/1", timeout=5)
    settings = requests.post(f"{sim_url}/_sim/mass-settings", json={"monthly_quota": 2}, timeout=5).json()
    bad = requests.post(f"{sim_url}/_sim/mass-settings", json={"event_delay": -1}, timeout=5)

    assert shown["recipients"] == [A, B] and shown["msg_status"] == "SENDING"
    assert missing.status_code == 404 and bad.status_code == 400
    assert settings["monthly_quota"] == 2 and sim_state.mass.monthly_quota == 2
    assert requests.get(f"{sim_url}/_sim/mass-sends?appid=nobody", timeout=5).json() == {"mass_sends": []}
    for status in ("send success", "oops", "err(x)"):
        answer = requests.post(f"{sim_url}/_sim/mass-failures", json={"status": status}, timeout=5)
        assert answer.status_code == 400
