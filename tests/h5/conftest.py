"""Fixtures for the member H5 pages: the environment's account, logging a browser in by a signed link."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.h5 import links
from services.accounts.registry import AccountRef
from tests.conftest import APPID


@pytest.fixture
def account(app: Flask) -> AccountRef:
    """The environment's account (stored on first sight, as a webhook call would)."""
    found: AccountRef | None = app.extensions["tiefen"].accounts.get(None)
    assert found is not None
    return found


@pytest.fixture
def token_for(app: Flask, account: AccountRef) -> Callable[..., str]:
    def token_for(openid: str, account_id: int | None = None, issued_at: int | None = None) -> str:
        return links.sign_member(app.config["SECRET_KEY"], account_id or account.id, openid, issued_at)

    return token_for


@pytest.fixture
def login(client: FlaskClient, token_for: Callable[..., str]) -> Callable[..., FlaskClient]:
    """Open a signed link in a browser (the test client by default): its session names the member."""

    def login(openid: str, browser: FlaskClient | None = None) -> FlaskClient:
        browser = browser or client
        response = browser.get(f"/h5/{APPID}/member?t={token_for(openid)}")
        assert response.status_code == 303, response.text
        return browser

    return login


@pytest.fixture
def browser(app: Flask) -> Callable[[], FlaskClient]:
    """A fresh browser (its own cookie jar) on the same app."""

    def make() -> FlaskClient:
        return app.test_client()

    return make
