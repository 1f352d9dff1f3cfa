"""The console through Flask's test client: staff added by the CLI, signed in through their link."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.conftest import account  # noqa: F401  (the environment's account)
from tests.conftest import APPID

PASSWORD = "kafei-2026!"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


class Console:
    """One staff member's browser: the cookie session and the page's CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client, self.csrf = client, ""

    def get(self, path: str, **kwargs: Any) -> Any:
        r = self.client.get(path, **kwargs)
        if r.status_code == 200 and "csrf_token" in r.text:
            self.csrf = csrf_of(r.text)
        return r

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


@pytest.fixture
def add_staff(app: Flask, account: Any) -> Callable[[str, str], str]:  # noqa: F811
    """`flask staff add` for the test account; returns the sign-in link's path."""

    def add(name: str, role: str) -> str:
        result = app.test_cli_runner().invoke(
            args=["staff", "add", "--appid", APPID, "--name", name, "--role", role]
        )
        assert result.exit_code == 0, result.output
        return "/console/" + result.output.strip().split("/console/", 1)[1]

    return add


@pytest.fixture
def sign_in(app: Flask, add_staff: Callable[[str, str], str]) -> Callable[..., Console]:
    """A new staff member with `role`, their password set through the link: a signed-in Console."""

    def make(role: str = "owner", name: str | None = None) -> Console:
        console = Console(app.test_client())
        link = add_staff(name or f"{role}-1", role)
        console.get(link)
        r = console.post(link, {"password": PASSWORD, "again": PASSWORD})
        assert r.status_code == 302, r.text
        return console

    return make
