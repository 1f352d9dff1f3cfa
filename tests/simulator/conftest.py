"""Fixtures for the simulator tests: a served simulator, a wechatpy client on it, a server starter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from simulator import RunningServer, SimulatorState, create_api_app, serve_in_thread
from tests.simulator.helpers import APPID, SECRET, SimWeChatClient


@pytest.fixture
def serve() -> Iterator[Callable[[Any], RunningServer]]:
    """Start WSGI apps on background threads; shut them all down afterwards."""
    servers: list[RunningServer] = []

    def start(app: Any) -> RunningServer:
        servers.append(serve_in_thread(app))
        return servers[-1]

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def sim_state() -> SimulatorState:
    state = SimulatorState()
    state.register_app(APPID, SECRET)
    return state


@pytest.fixture
def sim_url(sim_state: SimulatorState, serve: Callable[[Any], RunningServer]) -> str:
    return serve(create_api_app(sim_state)).url


@pytest.fixture
def make_client(sim_url: str) -> Iterator[Callable[..., SimWeChatClient]]:
    """Build wechatpy clients aimed at the simulator; close their HTTP sessions afterwards."""
    clients: list[SimWeChatClient] = []

    def make(timeout: float = 5.0, secret: str = SECRET) -> SimWeChatClient:
        clients.append(SimWeChatClient(sim_url, APPID, secret, timeout=timeout))
        return clients[-1]

    yield make
    for client in clients:
        client._http.close()


@pytest.fixture
def wechat(make_client: Callable[..., SimWeChatClient]) -> SimWeChatClient:
    return make_client()
