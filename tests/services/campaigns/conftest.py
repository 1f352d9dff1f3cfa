"""The merchant API's fixtures, for campaigns; members whose customer-service window is open."""

import time

import pytest

from tests.api.conftest import account, api  # noqa: F401


@pytest.fixture
def talkers(wechat, run_jobs):
    """Members who just wrote to the account: their customer-service window is open."""
    t = int(time.time())
    names = [f"oTalker{i:02d}" for i in range(6)]
    for openid in names:
        wechat.send(wechat.subscribe(openid, create_time=t - 600))
        wechat.send(wechat.text(openid, "你好", create_time=t - 60))
    run_jobs()
    return names
