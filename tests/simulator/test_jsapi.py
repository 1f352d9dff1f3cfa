"""The JS-SDK's side of the simulated WeChat: getticket over HTTP (as wechatpy asks it), and the check
the phone makes of a page's wx.config."""

from __future__ import annotations

import pytest
import requests

from simulator import SimulatorState
from simulator.jsapi import INVALID_SIGNATURE, TicketBook, config_signature
from tests.simulator.helpers import APPID, SECRET, SimWeChatClient

URL = "https://shop.example.com/h5/wxsim00000000001/member?from=x"


def test_getticket_answers_a_jsapi_ticket_for_two_hours(wechat: SimWeChatClient, sim_state: SimulatorState):
    answer = wechat.jsapi.get_ticket("jsapi")
    assert answer["errcode"] == 0 and answer["expires_in"] == 7200 and len(answer["ticket"]) > 40
    assert sim_state.tickets.live(APPID) == [answer["ticket"]]
    assert wechat.jsapi.get_jsapi_ticket() != answer["ticket"]  # each call issues another …
    assert answer["ticket"] in sim_state.tickets.live(APPID)  # … and the first stays good


@pytest.mark.parametrize(
    ("token", "kind", "errcode"),
    [("not-a-token", "jsapi", 40001), ("", "jsapi", 41001), (None, "nonsense", 40097)],
)
def test_getticket_refuses_a_bad_token_or_type(sim_url: str, token: str | None, kind: str, errcode: int):
    with requests.Session() as http:
        if token is None:
            params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
            token = http.get(f"{sim_url}/cgi-bin/token", params=params).json()["access_token"]
        answer = http.get(f"{sim_url}/cgi-bin/ticket/getticket", params={"access_token": token, "type": kind})
    assert answer.json()["errcode"] == errcode and "ticket" not in answer.json()


def sign(ticket: str, url: str = URL, nonce: str = "n0nce", timestamp: int = 1700000000) -> dict[str, object]:
    signature = config_signature(ticket, nonce, str(timestamp), url)
    return {"appId": APPID, "url": url, "timestamp": timestamp, "nonceStr": nonce, "signature": signature}


def test_a_config_holds_only_for_its_own_url_and_a_live_ticket_of_its_account():
    book = TicketBook()
    ticket = book.issue(APPID).ticket
    other = book.issue("wxsomeoneelse0001").ticket

    def check(config: dict[str, object], url: str = URL) -> int:
        return book.check_config(
            APPID, url, config["timestamp"], str(config["nonceStr"]), str(config["signature"])
        )

    assert check(sign(ticket)) == 0
    assert check(sign(ticket), URL + "#section") == 0  # the phone drops the fragment
    assert check(sign(ticket), URL.replace("from=x", "from=y")) == INVALID_SIGNATURE
    assert check(sign(other)) == INVALID_SIGNATURE
    assert check(sign("made-up")) == INVALID_SIGNATURE
    book.ttl = 0
    assert check(sign(book.issue(APPID).ticket)) == INVALID_SIGNATURE  # expired at once


def test_the_customer_side_checks_a_config_over_http(sim_url: str, sim_state: SimulatorState):
    ticket = sim_state.tickets.issue(APPID).ticket
    with requests.Session() as http:
        good = http.post(f"{sim_url}/_sim/js-config", json=sign(ticket)).json()
        bad = http.post(f"{sim_url}/_sim/js-config", json={**sign(ticket), "url": URL + "&x=1"}).json()
        malformed = http.post(f"{sim_url}/_sim/js-config", json={"appId": APPID})
    assert good == {"errcode": 0, "errmsg": "ok"}
    assert bad == {"errcode": 63002, "errmsg": "invalid signature"}
    assert malformed.status_code == 400


def test_reset_forgets_the_tickets(sim_state: SimulatorState):
    sim_state.tickets.issue(APPID)
    sim_state.reset()
    assert sim_state.tickets.live(APPID) == []
