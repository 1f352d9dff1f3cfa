"""A walk over every console page and API operation as another account's staff and token: what names
this account's records is 404 or 403, no answer carries this account's data, and nothing of it
changes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from sqlalchemy import select

from models import Base
from tests.api.conftest import OTHER_APPID
from tests.console.conftest import PASSWORD, Console

SECRET_OPENID, SECRET_ORDER, SECRET_TAG = "oSecretA0001", "SO-SECRET-A", "秘密标签甲"
SKIP = {"static", "api.openapi", "console.sign_in", "console.welcome", "console.wechat_sign_in"}
SKIP |= {"console.wechat_back", "console.sign_out"}
NOT_RECORDS = {"action"}  # a point task's action is a name any account may use, not a record of one
STRINGS = {"openid": SECRET_OPENID, "order_no": SECRET_ORDER, "tag": SECRET_TAG, "action": "custom:secret"}


@pytest.fixture
def secrets_of_a(api, make_member, session) -> dict[str, Any]:
    """This account's records, one of each kind the walk can name (created before the other account's,
    so id 1 of every table is this account's)."""
    make_member(SECRET_OPENID)
    api.put("/point-tasks/custom:secret", {"points": 5})
    assert (
        api.post(
            "/orders", {"order_no": SECRET_ORDER, "openid": SECRET_OPENID, "amount_fen": 990}
        ).status_code
        == 201
    )
    api.post("/rewards", {"name": "秘密奖品", "kind": "gift", "points_price": 1, "stock": 3})
    api.put(f"/members/{SECRET_OPENID}/tags/{SECRET_TAG}")
    api.post(
        "/campaigns",
        {"name": "秘密活动", "variants": [{"code": "A", "split": 100, "title": "t", "summary": "s"}]},
    )
    api.post("/tokens", {"name": "秘密令牌", "role": "viewer"})
    api.post("/staff", {"name": "秘密员工", "role": "viewer"})
    return {
        "markers": [SECRET_OPENID, SECRET_ORDER, SECRET_TAG, "秘密奖品", "秘密活动", "秘密令牌", "秘密员工"]
    }


def snapshot(session: Any, account_id: int) -> dict[str, list[Any]]:
    """Every row of every table that belongs to the account (an `account_id` column), in order."""
    out = {}
    for table in Base.metadata.sorted_tables:
        if "account_id" in table.c and table.name != "audit_log":
            rows = session.execute(
                select(table).where(table.c.account_id == account_id).order_by(*table.primary_key)
            )
            out[table.name] = [tuple(r) for r in rows]
    return out


def fill(rule: str) -> str:
    def value(m: re.Match[str]) -> str:
        converter, name = m.group(1), m.group(2)
        if converter in ("id", "int"):
            return "1"
        return STRINGS.get(name, "x")

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", value, rule)


def other_console(app: Flask) -> Console:
    result = app.test_cli_runner().invoke(
        args=["staff", "add", "--appid", OTHER_APPID, "--name", "乙店主", "--role", "owner"]
    )
    assert result.exit_code == 0, result.output
    link = "/console/" + result.output.strip().split("/console/", 1)[1]
    console = Console(app.test_client())
    console.get(link)
    assert console.post(link, {"password": PASSWORD, "again": PASSWORD}).status_code == 302
    console.get("/console/")
    return console


def test_another_account_reaches_none_of_this_accounts_records(
    app, secrets_of_a, other_api, account, session
):
    before = snapshot(session, account.id)
    theirs = other_console(app)
    walked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP or not rule.endpoint.startswith(("api.", "console.")):
            continue
        path = fill(rule.rule)
        names_a_record = bool(set(rule.arguments) - NOT_RECORDS)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if rule.endpoint.startswith("api."):
                r = other_api.call(method, path.removeprefix("/api/v1"), json={} if method != "GET" else None)
            else:
                r = theirs.client.open(
                    path, method=method, data={"csrf_token": theirs.csrf} if method == "POST" else None
                )
            walked += 1
            body = r.get_data(as_text=True)
            asked = unquote(path)  # an answer may name what it was asked for ("no order X"), no more
            leaked = [m for m in secrets_of_a["markers"] if m in body and m not in asked]
            assert not leaked, (method, path, r.status_code, leaked)
            assert r.status_code < 500, (method, path, r.status_code)
            if names_a_record and method == "GET":
                assert r.status_code in (403, 404), (method, path, r.status_code)
    assert walked > 40
    session.expire_all()
    assert snapshot(session, account.id) == before
