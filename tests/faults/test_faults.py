"""The whole pipeline under faults: nothing accepted is lost, nothing is awarded twice.

gunicorn (2 workers), `rq worker-pool`, `rq cron`, a private redis-server and the simulator; a few
hundred customers follow (some through a referrer's code), check in, talk, leave and return, every
callback delivered up to four times, while RQ and gunicorn workers are SIGKILLed, Redis stops and
starts empty, this database's PostgreSQL backends are terminated and the WeChat API answers 45009,
-1, 40001 or not at all. Then the invariant checker must be clean with every callback the driver
saw accepted, and every balance must be what the rules give.

TIEFEN_FAULTS_SCALE multiplies the customers and stretches the faults (`make test-faults`: 10).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import real_only
from tests.faults import scenario
from tests.faults.stack import Stack, remove, workdir

pytestmark = [pytest.mark.integration, real_only]
SCALE = float(os.environ.get("TIEFEN_FAULTS_SCALE", "1"))
CUSTOMERS = int(100 * SCALE)
PERIOD = 2.0 if SCALE <= 1 else 4.0  # seconds between faults


@pytest.fixture
def stack(database_url: str, engine: Engine) -> Iterator[Stack]:
    where = workdir("tiefen-faults-")
    stack = Stack(database_url, where).start()
    try:
        yield stack
    finally:
        stack.stop()
        if os.environ.get("TIEFEN_FAULTS_KEEP_LOGS"):
            print(f"logs in {where}")
        else:
            remove(Path(where))


def test_nothing_accepted_is_lost_and_nothing_is_awarded_twice_under_faults(
    stack: Stack, engine: Engine
) -> None:
    out = scenario.run(stack, engine, CUSTOMERS, PERIOD)
    print("\n".join(out.lines()))
    assert not out.supervisor, out.supervisor
    assert out.unanswered == 0, "callbacks WeChat could not deliver even after the faults stopped"
    for kind in (
        "rq worker killed",
        "gunicorn worker killed",
        "redis restarted",
        "redis lost its data",
        "postgres backends terminated",
    ):
        assert out.faults[kind] >= 1, f"never injected: {kind}"
    assert sum(out.faults[f"api {code}"] for code in (45009, -1, 40001)) >= 3
    assert out.verdict.clean, "\n".join(out.verdict.lines())
    assert not out.mismatches, out.explained
    assert out.received > 0, "the campaign sent nothing"
