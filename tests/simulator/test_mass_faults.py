"""Faults injected through /_sim/faults on mass and customer-service sends: a caller that retries 45009
(quota reached) and -1 (system busy) gets its message out exactly once, and a retry after a lost answer
meets 45065 with the msg_id of the send that did go out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from simulator import RunningServer, SimulatorState, WeChatServer
from tests.simulator.helpers import APPID, TOKEN, SimWeChatClient, Webhook

A, B = "oTIEFEN_mass_0001", "oTIEFEN_mass_0002"
RETRYABLE = (45009, -1)


def with_retries(send: Callable[[], dict[str, Any]], tries: int = 3) -> tuple[dict[str, Any], list[int]]:
    """Call `send` until it stops failing with a retryable errcode; return the answer and the errcodes met."""
    met: list[int] = []
    for _ in range(tries):
        try:
            return send(), met
        except WeChatClientException as exc:
            if exc.errcode not in RETRYABLE:
                raise
            met.append(exc.errcode)
    raise AssertionError(f"still failing after {tries} tries: {met}")


def inject(sim_url: str, path: str, **fault: Any) -> None:
    answer = requests.post(f"{sim_url}/_sim/faults", json={"path": path, **fault}, timeout=5)
    assert answer.json()["errcode"] == 0


@pytest.fixture(autouse=True)
def followers(sim_state: SimulatorState) -> None:
    sim_state.mass.event_delay = 30.0
    for openid in (A, B):
        sim_state.put_user(APPID, openid, subscribe=1)


@pytest.mark.parametrize("errcode", RETRYABLE)
def test_a_mass_send_retried_after_a_fault_goes_out_once(
    wechat: SimWeChatClient, sim_state: SimulatorState, sim_url: str, errcode: int
) -> None:
    inject(sim_url, "/cgi-bin/message/mass/send", errcode=errcode, times=2)

    answer, met = with_retries(lambda: wechat.message.send_mass_text([A, B], "限流", client_msg_id="c-9"))

    assert met == [errcode, errcode] and answer["errcode"] == 0
    [job] = sim_state.mass.jobs()
    assert job.msg_id == answer["msg_id"] and job.recipients == [A, B]
    assert [c.errcode for c in sim_state.calls("/cgi-bin/message/mass/send")] == [errcode, errcode, 0]


@pytest.mark.parametrize("errcode", RETRYABLE)
def test_a_sendall_fault_is_injected_the_same_way(
    wechat: SimWeChatClient, sim_state: SimulatorState, sim_url: str, errcode: int
) -> None:
    inject(sim_url, "/cgi-bin/message/mass/sendall", errcode=errcode)

    answer, met = with_retries(lambda: wechat.message.send_mass_text(None, "全体", is_to_all=True))

    assert met == [errcode] and [j.msg_id for j in sim_state.mass.jobs()] == [answer["msg_id"]]


@pytest.mark.parametrize("errcode", RETRYABLE)
def test_a_custom_send_retried_after_a_fault_goes_out_once(
    wechat: SimWeChatClient,
    sim_state: SimulatorState,
    sim_url: str,
    serve: Callable[[Any], RunningServer],
    errcode: int,
) -> None:
    customer = WeChatServer(serve(Webhook(aes_key=None).app).url + "/wechat", TOKEN, APPID, state=sim_state)
    assert customer.send(customer.text(A, "在吗")).ok
    inject(sim_url, "/cgi-bin/message/custom/send", errcode=errcode)

    answer, met = with_retries(lambda: wechat.message.send_text(A, "在的"))

    assert met == [errcode] and answer == {"errcode": 0, "errmsg": "ok"}
    assert [m.content for m in sim_state.custom_messages(APPID, A)] == [{"content": "在的"}]


def test_a_retry_after_a_lost_answer_meets_45065_with_the_sent_msg_id(
    sim_state: SimulatorState, sim_url: str, make_client: Callable[..., SimWeChatClient]
) -> None:
    impatient = make_client(timeout=0.3)
    impatient.fetch_access_token()
    inject(sim_url, "/cgi-bin/message/mass/send", delay=0.8)  # WeChat sends, but the answer comes too late

    with pytest.raises(requests.Timeout):
        impatient.message.send_mass_text([A, B], "慢", client_msg_id="c-slow")
    again = make_client()
    deadline = time.monotonic() + 5
    while not sim_state.mass.jobs() and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(WeChatClientException) as caught:
        again.message.send_mass_text([A, B], "慢", client_msg_id="c-slow")

    [job] = sim_state.mass.jobs()
    assert caught.value.errcode == 45065 and caught.value.response.json()["msg_id"] == job.msg_id
    assert sim_state.mass.received_this_month(APPID, A) == 1
