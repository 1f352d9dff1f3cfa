"""The simulator's /_sim control API over HTTP, as an integration test or a developer would use it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.simulator.helpers import APPID, SECRET


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def token(http: requests.Session, sim_url: str) -> str:
    params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    return http.get(f"{sim_url}/cgi-bin/token", params=params).json()["access_token"]


def test_register_app_then_get_a_token(http: requests.Session, sim_url: str) -> None:
    assert http.post(f"{sim_url}/_sim/apps", json={"appid": "wxother", "secret": "s"}).json()["errcode"] == 0

    params = {"grant_type": "client_credential", "appid": "wxother", "secret": "s"}
    assert "access_token" in http.get(f"{sim_url}/cgi-bin/token", params=params).json()


def test_faults_calls_expire_and_reset(http: requests.Session, sim_url: str) -> None:
    access_token = token(http, sim_url)
    menu_get = f"{sim_url}/cgi-bin/menu/get"
    fault = {"path": "/cgi-bin/menu/get", "errcode": 45009, "times": 1}
    assert http.post(f"{sim_url}/_sim/faults", json=fault).json()["errcode"] == 0

    assert http.get(menu_get, params={"access_token": access_token}).json()["errcode"] == 45009
    assert http.get(menu_get, params={"access_token": access_token}).json()["errcode"] == 46003
    http.post(f"{sim_url}/_sim/expire-tokens")
    assert http.get(menu_get, params={"access_token": access_token}).json()["errcode"] == 42001

    calls = http.get(f"{sim_url}/_sim/calls", params={"path": "/cgi-bin/menu/get"}).json()["calls"]
    assert [call["errcode"] for call in calls] == [45009, 46003, 42001]
    assert calls[0]["query"] == {"access_token": access_token}
    assert len(http.get(f"{sim_url}/_sim/calls").json()["calls"]) == 4

    http.post(f"{sim_url}/_sim/reset")
    assert http.get(f"{sim_url}/_sim/calls").json()["calls"] == []


def test_delay_fault_over_http(http: requests.Session, sim_url: str) -> None:
    http.post(f"{sim_url}/_sim/faults", json={"path": "/cgi-bin/token", "delay": 1.0})

    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(f"{sim_url}/cgi-bin/token", timeout=0.2)


def test_bad_fault_is_refused(http: requests.Session, sim_url: str) -> None:
    response = http.post(f"{sim_url}/_sim/faults", json={"path": "/cgi-bin/token"})

    assert response.status_code == 400
    assert response.json()["errcode"] == 47001


def test_menu_and_users_inspection(http: requests.Session, sim_url: str) -> None:
    assert http.get(f"{sim_url}/_sim/menus/{APPID}").status_code == 404
    menu = {"button": [{"type": "click", "name": "签到", "key": "CHECKIN"}]}
    create = f"{sim_url}/cgi-bin/menu/create"
    http.post(create, params={"access_token": token(http, sim_url)}, data=json_bytes(menu))

    shown = http.get(f"{sim_url}/_sim/menus/{APPID}").json()
    assert shown["menu"]["button"][0]["key"] == "CHECKIN"
    user = http.post(
        f"{sim_url}/_sim/users", json={"appid": APPID, "openid": "oUSER0001", "nickname": "铁粉"}
    )
    assert user.json()["nickname"] == "铁粉"


def json_bytes(value: object) -> bytes:
    import json

    return json.dumps(value, ensure_ascii=False).encode()
