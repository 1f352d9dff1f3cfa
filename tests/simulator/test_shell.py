"""`python -m simulator customer …` against a running Tiefen and simulator: every subcommand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Member, Scan
from simulator import shell
from tests.api.conftest import account, api  # noqa: F401
from tests.conftest import AES_KEY, APPID, TOKEN
from tests.factories import member

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def customer(live_app, simulator, capsys):
    """Run one subcommand in this process; returns (exit code, what it printed)."""
    common = ["--url", live_app.url, "--sim", simulator.url, "--appid", APPID, "--token", TOKEN]

    def run(*args: str) -> tuple[int, str]:
        code = shell.main([*common, "--aes-key", AES_KEY, *args])
        return code, capsys.readouterr().out

    return run


def test_every_subcommand_plays_the_customer(
    customer,
    api,  # noqa: F811
    simulator,
    session,
    run_jobs,
):
    assert api.post("/channels", {"code": "counter", "name": "收银台", "kind": "counter"}).status_code == 201
    code, out = customer("follow", "oShell0001")
    assert code == 0 and out.startswith("欢迎关注") and simulator.state.follows(APPID, "oShell0001")
    code, out = customer("text", "oShell0001", "签到")
    assert code == 0 and out.startswith("签到成功 +10 积分")
    run_jobs()  # the points (on the embedded default they are in already)
    code, out = customer("click", "oShell0001", "MENU_MY_POINTS")
    assert code == 0 and out.startswith("当前积分 60")  # 50 for following, 10 for the check-in
    code, out = customer("scan", "oShell0002", "c-counter")  # not following: the scan follows
    assert code == 0 and out.startswith("欢迎关注") and simulator.state.follows(APPID, "oShell0002")
    code, out = customer("scan", "oShell0001", "c-counter")  # following already: a SCAN event
    assert code == 0
    run_jobs()
    outcomes = dict(session.execute(select(Member.openid, Scan.outcome).join(Member)).all())
    assert outcomes == {"oShell0002": "channel", "oShell0001": "channel_scan"}
    code, out = customer("open", "oShell0001", "member")
    first, text = out.split("\n", 1)
    assert code == 0 and first.startswith("200 http://") and first.endswith(f"/h5/{APPID}/member")
    assert "60" in text and "<" not in text and "你还不是会员" not in text
    code, out = customer("unfollow", "oShell0001")
    assert code == 0 and out.strip() == "(no reply)" and not simulator.state.follows(APPID, "oShell0001")
    run_jobs()
    session.expire_all()
    assert member(session, "oShell0001").following is False


def test_a_page_that_fails_says_so_and_exits_non_zero(customer):
    code, out = customer("open", "oShell0003", "/h5/wxnosuchaccount/member")
    assert code == 1 and out.startswith("404 ") and "页面不存在" in out


def test_the_module_runs_from_the_shell(live_app, simulator):
    env = {**os.environ, "WECHAT_APPID": APPID, "WECHAT_TOKEN": TOKEN, "WECHAT_API_BASE": simulator.url}
    env.pop("WECHAT_AES_KEY", None)  # plain mode, to the environment's account at /wechat
    args = [
        sys.executable,
        "-m",
        "simulator",
        "customer",
        "--url",
        live_app.url,
        "text",
        "oShell0004",
        "你好",
    ]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "签到" in done.stdout  # the help text the account answers a greeting with
