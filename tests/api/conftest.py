"""The merchant API through Flask's test client: a token per account, members made directly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.accounts.members import ensure_members
from services.accounts.registry import AccountRef, issue_api_token, save_account

OTHER_APPID, OTHER_TOKEN = "wxother000000002", "othertoken"


class Api:
    """Requests to /api/v1 with one account's bearer token."""

    def __init__(self, client: FlaskClient, token: str, account: AccountRef) -> None:
        self.client, self.token, self.account = client, token, account

    def call(self, method: str, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open(f"/api/v1{path}", method=method, json=json, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.call("POST", path, json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.call("PUT", path, json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.call("PATCH", path, json, **kwargs)


@pytest.fixture
def account(app: Flask) -> AccountRef:
    """The environment's account (the test appid), stored with its default programme."""
    found = app.extensions["tiefen"].accounts.get(None)
    assert found is not None
    return found


@pytest.fixture
def api(app: Flask, client: FlaskClient, account: AccountRef) -> Api:
    with app.extensions["tiefen"].sessions.begin() as s:
        token = issue_api_token(s, account.appid)
    return Api(client, token, account)


@pytest.fixture
def other_api(app: Flask, client: FlaskClient) -> Api:
    """A second merchant's account and token."""
    with app.extensions["tiefen"].sessions.begin() as s:
        other, _ = save_account(s, OTHER_APPID, "隔壁小店", OTHER_TOKEN)
        token = issue_api_token(s, OTHER_APPID)
    return Api(client, token, other)


@pytest.fixture
def make_member(app: Flask, account: AccountRef) -> Callable[..., int]:
    """Store a follower by openid (of the test account unless told); returns the member id."""

    def make(openid: str, account_id: int | None = None) -> int:
        with app.extensions["tiefen"].sessions.begin() as s:
            return ensure_members(s, account_id or account.id, [openid])[openid]

    return make


def error(response: TestResponse) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


def conforms(doc: dict[str, Any], name: str, sample: Any) -> None:
    """`sample` is exactly what the document's schema `name` describes (unknown fields are refused)."""
    from openapi_schema_validator import OAS31Validator

    root = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in OAS31Validator(root).iter_errors(sample)]
    assert not errors, (name, errors)
