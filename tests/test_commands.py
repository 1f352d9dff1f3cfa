"""The merchant's set-up is two commands: `account add`, then `menu push`."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from app import create_app
from models import Account
from tests.conftest import APPID, SECRET
from tests.factories import count


def test_db_upgrade_builds_the_schema_on_a_fresh_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    result = (
        create_app({"DATABASE_URL": url, "TESTING": True}).test_cli_runner().invoke(args=["db", "upgrade"])
    )
    assert result.exit_code == 0, result.output
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"accounts", "members", "inbound_events", "scans", "alembic_version"} <= tables


def test_account_add_stores_the_account_and_prints_its_url(app, session):
    runner = app.test_cli_runner()
    args = [
        "account",
        "add",
        "--appid",
        "wxshop9",
        "--secret",
        "sec9",
        "--token",
        "tok999",
        "--name",
        "九号店",
        "--aes-key",
        "A" * 43,
        "--timezone",
        "Asia/Shanghai",
        "--welcome",
        "欢迎!",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "added account wxshop9" in result.output and "/wechat/wxshop9" in result.output
    stored = session.query(Account).filter_by(appid="wxshop9").one()
    assert (stored.name, stored.token, stored.secret, stored.welcome_text) == (
        "九号店",
        "tok999",
        "sec9",
        "欢迎!",
    )
    again = runner.invoke(args=[*args[:-2], "--welcome", "再次欢迎!"])
    assert "updated account wxshop9" in again.output
    assert count(session, Account) == 1


def test_account_add_refuses_what_wechat_would_refuse_and_stores_nothing(app, session):
    runner = app.test_cli_runner()
    base = ["account", "add", "--appid", "wxbad", "--secret", "s", "--name", "坏店"]
    for extra in (
        ["--token", "t!"],
        ["--token", "goodtoken", "--aes-key", "short"],
        ["--token", "goodtoken", "--timezone", "Mars/Olympus"],
    ):
        result = runner.invoke(args=base + extra)
        assert result.exit_code != 0
    assert count(session, Account) == 0


def test_menu_push_creates_the_menu_through_the_wechat_api(app, simulator):
    result = app.test_cli_runner().invoke(args=["menu", "push"])
    assert result.exit_code == 0, result.output
    menu = simulator.state.menu(APPID)
    names = [b["name"] for top in menu["button"] for b in top.get("sub_button") or [top]]
    assert names == ["签到", "我的积分", "会员中心", "邀请好友"]
    (token_call,) = simulator.state.calls("/cgi-bin/token")
    assert token_call.query["secret"] == SECRET


def test_the_access_token_is_shared_and_refreshed_when_wechat_expires_it(app, simulator):
    runner = app.test_cli_runner()
    runner.invoke(args=["menu", "push"])
    runner.invoke(args=["menu", "push"])
    assert len(simulator.state.calls("/cgi-bin/token")) == 1  # cached in Redis, not fetched again
    simulator.state.expire_tokens()
    result = runner.invoke(args=["menu", "push"])
    assert result.exit_code == 0, result.output
    assert len(simulator.state.calls("/cgi-bin/token")) == 2
    assert [c.errcode for c in simulator.state.calls("/cgi-bin/menu/create")] == [0, 0, 42001, 0]


def test_menu_push_reports_a_wechat_error(app, simulator):
    simulator.state.inject("/cgi-bin/menu/create", errcode=45009)
    result = app.test_cli_runner().invoke(args=["menu", "push"])
    assert result.exit_code != 0 and "45009" in result.output


def test_menu_push_for_an_unknown_account_fails_clearly(app):
    result = app.test_cli_runner().invoke(args=["menu", "push", "--appid", "wxnobody"])
    assert result.exit_code != 0 and "no account wxnobody" in result.output
