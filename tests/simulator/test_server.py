"""serve_in_thread and the `python -m simulator` entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from simulator import SimulatorState, create_api_app, serve_in_thread
from simulator.__main__ import build_state, parse_args

ROOT = Path(__file__).resolve().parents[2]


def test_serve_in_thread_as_a_context_manager() -> None:
    with serve_in_thread(create_api_app(SimulatorState())) as server:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert requests.get(f"{server.url}/_sim/calls", timeout=2).json() == {"calls": []}

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/_sim/calls", timeout=2)


def test_command_line_registers_apps() -> None:
    state = build_state(parse_args(["--app", "wxone:s1", "--app", "wxtwo:s2", "--no-auto-register"]))

    assert state.auto_register is False
    assert state.issue_token("wxtwo", "s2")[1] == 7200


def test_command_line_rejects_a_malformed_app() -> None:
    with pytest.raises(SystemExit):
        build_state(parse_args(["--app", "wxone"]))


def test_command_line_registers_templates() -> None:
    strict = build_state(parse_args(["--template", "wxone:TPL_TIER", "--no-auto-templates"]))

    assert strict.templates.auto is False
    assert strict.templates.accepts("wxone", "TPL_TIER")
    assert not strict.templates.accepts("wxone", "TPL_OTHER")
    assert build_state(parse_args([])).templates.accepts("wxone", "TPL_OTHER")
    with pytest.raises(SystemExit):
        build_state(parse_args(["--template", "TPL_TIER"]))


def test_python_dash_m_simulator_serves() -> None:
    command = [sys.executable, "-m", "simulator", "--port", "0", "--app", "wxcli:secret"]
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().split()[-1]
            params = {"grant_type": "client_credential", "appid": "wxcli", "secret": "secret"}
            answer = requests.get(f"{url}/cgi-bin/token", params=params, timeout=5)
            assert json.loads(answer.text)["expires_in"] == 7200
        finally:
            proc.terminate()
            proc.wait(timeout=5)
