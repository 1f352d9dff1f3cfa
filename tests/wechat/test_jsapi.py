"""The JS-SDK's server side: wx.config's signature, and one jsapi_ticket shared by every process
through Redis (one getticket for many pages), renewed before it expires, fetched again after 40001."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import fakeredis
import pytest
from redis import Redis
from wechatpy.client.api import WeChatJSAPI

from simulator.jsapi import config_signature
from tasks.runtime import connect_redis
from tests.conftest import APPID, SECRET
from wechat import jsapi
from wechat.client import TiefenClient, client_for

GETTICKET = "/cgi-bin/ticket/getticket"
PAGE = "https://shop.example.com/h5/wxtest0000000001/invite?from=abc"

# WeChat's JS-SDK documentation, appendix 1 (JS-SDK使用权限签名算法): its worked example
DOC_TICKET = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
DOC_NONCE, DOC_TIMESTAMP, DOC_URL = "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value"
DOC_SIGNATURE = "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


def test_the_signature_is_wechats_documented_example():
    assert jsapi.signature(DOC_TICKET, DOC_NONCE, DOC_TIMESTAMP, DOC_URL) == DOC_SIGNATURE
    assert jsapi.signature(DOC_TICKET, DOC_NONCE, str(DOC_TIMESTAMP), DOC_URL) == DOC_SIGNATURE
    # and the simulator (WeChat's side) and wechatpy agree with it
    assert config_signature(DOC_TICKET, DOC_NONCE, str(DOC_TIMESTAMP), DOC_URL) == DOC_SIGNATURE
    wechatpy_says = WeChatJSAPI().get_jsapi_signature(DOC_NONCE, DOC_TICKET, DOC_TIMESTAMP, DOC_URL)
    assert wechatpy_says == DOC_SIGNATURE
    assert jsapi.signature(DOC_TICKET, DOC_NONCE, DOC_TIMESTAMP, DOC_URL + "&x=1") != DOC_SIGNATURE


@pytest.fixture
def shared_redis(redis_url: str | None) -> Iterator[Callable[[], Redis]]:
    """Connections to one Redis, as separate processes have: the real one, or one in-process server."""
    server = fakeredis.FakeServer()
    opened: list[Redis] = []

    def connect() -> Redis:
        conn: Redis = connect_redis(redis_url) if redis_url else fakeredis.FakeRedis(server=server)
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


@pytest.fixture
def make_client(simulator: Any, shared_redis: Callable[[], Redis]) -> Iterator[Callable[..., TiefenClient]]:
    """A new client on its own Redis connection each call: another process of the same deployment."""
    made: list[TiefenClient] = []

    def make(timeout: float = 5.0) -> TiefenClient:
        made.append(client_for(APPID, SECRET, simulator.url, shared_redis(), timeout))
        return made[-1]

    yield make
    for client in made:
        client._http.close()


def configs_verify(simulator: Any, config: dict[str, Any], url: str = PAGE) -> bool:
    found = simulator.state.tickets.check_config(
        config["appId"], url, config["timestamp"], config["nonceStr"], config["signature"]
    )
    return found == 0


def test_a_pages_config_is_signed_with_wechats_ticket_for_that_url(simulator, make_client):
    config = jsapi.page_config(make_client(), PAGE + "#top", now=1700000000)
    assert config["appId"] == APPID and config["timestamp"] == 1700000000
    assert config["jsApiList"] == list(jsapi.SHARE_APIS) and config["debug"] is False
    assert configs_verify(simulator, config)  # the #fragment is not signed
    assert not configs_verify(simulator, config, PAGE.replace("from=abc", "from=abd"))
    call = simulator.state.calls(GETTICKET)[0]
    assert call.query["type"] == "jsapi" and call.errcode == 0


def test_one_getticket_serves_many_pages_of_every_process(simulator, make_client):
    first, second = make_client(), make_client()  # two processes sharing Redis
    configs = [jsapi.page_config(c, PAGE, int(time.time())) for c in (first, second) * 5]
    assert len(simulator.state.calls(GETTICKET)) == 1
    assert all(configs_verify(simulator, c) for c in configs)
    assert len({c["nonceStr"] for c in configs}) == 10  # a nonce a page


def test_processes_racing_for_the_first_ticket_ask_wechat_once(simulator, make_client):
    simulator.state.inject(GETTICKET, delay=0.3)  # WeChat is slow: the others wait for the first
    clients = [make_client() for _ in range(5)]
    tickets: list[str] = []
    threads = [threading.Thread(target=lambda c=c: tickets.append(jsapi.jsapi_ticket(c))) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(tickets) == 5 and len(set(tickets)) == 1
    assert len(simulator.state.calls(GETTICKET)) == 1


def test_the_ticket_is_replaced_before_wechat_expires_it(simulator, make_client, shared_redis):
    simulator.state.tickets.ttl = jsapi.TICKET_MARGIN + 120
    client = make_client()
    jsapi.jsapi_ticket(client)
    ttl = shared_redis().ttl(f"tiefen:wechat:{APPID}_jsapi_ticket")
    assert 115 <= ttl <= 120  # kept for WeChat's lifetime less the margin


def test_a_ticket_asked_with_a_token_wechat_refuses_refreshes_the_token(simulator, make_client, shared_redis):
    shared_redis().set(f"tiefen:wechat:{APPID}_access_token", '"a-token-wechat-forgot"')
    config = jsapi.page_config(make_client(), PAGE, int(time.time()))
    assert configs_verify(simulator, config)
    assert [(c.path, c.errcode) for c in simulator.state.calls()] == [
        (GETTICKET, 40001),
        ("/cgi-bin/token", 0),
        (GETTICKET, 0),
    ]


def test_when_wechat_fails_nobody_asks_again_for_a_while(simulator, make_client):
    simulator.state.inject(GETTICKET, errcode=-1)
    with pytest.raises(jsapi.TicketUnavailable):
        jsapi.jsapi_ticket(make_client())
    with pytest.raises(jsapi.TicketUnavailable, match="a moment ago"):
        jsapi.jsapi_ticket(make_client())  # another process: WeChat is not asked again
    assert len(simulator.state.calls(GETTICKET)) == 1


def test_a_wechat_that_hangs_fails_within_the_clients_timeout(simulator, make_client):
    simulator.state.inject("/cgi-bin/token", delay=3)  # wechatpy gives the token fetch no timeout
    started = time.monotonic()
    with pytest.raises(jsapi.TicketUnavailable):
        jsapi.jsapi_ticket(make_client(timeout=0.5))
    assert time.monotonic() - started < 2


def test_no_redis_is_no_ticket_not_a_crash(simulator):
    client = client_for(APPID, SECRET, simulator.url, Redis(port=1, socket_connect_timeout=0.2))
    with pytest.raises(jsapi.TicketUnavailable, match="Redis"):
        jsapi.jsapi_ticket(client)
    client._http.close()


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        ("config:invalid url domain", "invalid_url_domain"),
        ("config:invalid signature", "invalid_signature"),
        ("config:the permission value is offline verifying", "offline_verifying"),
        ("config:permission denied", "permission_denied"),
        ("config:Invalid Signature", "invalid_signature"),
        ("config:fail", "other"),
        ("", "other"),
        ("<img src=x>", "other"),
    ],
)
def test_a_failed_config_is_named_by_a_kind_of_a_bounded_set(said, kind):
    assert jsapi.config_error(said) == kind
