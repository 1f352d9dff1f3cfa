"""The production WeChat client reads proxy and CA settings from the environment once, when it is
built, not on every call (requests' per-call scan of the environment cost a fifth of a send)."""

from __future__ import annotations

import fakeredis
import pytest

from tests.simulator.helpers import APPID, SECRET
from wechat.client import client_for

PROXY = "http://proxy.example:3128"


def test_the_environments_proxy_is_taken_for_the_real_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    client = client_for(APPID, SECRET, "https://api.weixin.qq.com", fakeredis.FakeRedis())

    assert client._http.proxies["https"] == PROXY
    assert client._http.trust_env is False


def test_no_proxy_keeps_the_api_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", PROXY)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    client = client_for(APPID, SECRET, "http://127.0.0.1:9", fakeredis.FakeRedis())

    assert client._http.proxies == {}


def test_the_ca_bundle_is_taken_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")

    client = client_for(APPID, SECRET, "https://api.weixin.qq.com", fakeredis.FakeRedis())

    assert client._http.verify == "/etc/ssl/certs/ca-certificates.crt"


def test_a_call_does_not_read_the_environment_again(sim_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = client_for(APPID, SECRET, sim_url, fakeredis.FakeRedis())
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there

    assert client.fetch_access_token()["expires_in"] == 7200
    assert client.menu.get() is None
