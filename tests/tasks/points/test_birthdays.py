"""The daily birthday job: every account's members of the month awarded, a second run awards nobody."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from models import LedgerEntry, Member
from tasks import points as jobs
from tests.factories import count

NOW = datetime(2026, 12, 1, 1, tzinfo=UTC)  # 09:00 on 1 December in Shanghai


def test_the_job_awards_the_months_birthdays_once(app, session, monkeypatch):
    account = app.extensions["tiefen"].accounts.get(None)
    for i in range(3):
        session.add(Member(account_id=account.id, openid=f"oDec{i}", birthday=date(1980 + i, 12, 31)))
    session.add(Member(account_id=account.id, openid="oNov", birthday=date(1980, 11, 30)))
    session.commit()
    monkeypatch.setattr(jobs, "utcnow", lambda: NOW)

    assert jobs.award_birthdays() == 3
    assert jobs.award_birthdays() == 0  # run twice: awarded once
    assert count(session, LedgerEntry, LedgerEntry.action == "birthday") == 3
    keys = session.scalars(select(LedgerEntry.key).where(LedgerEntry.action == "birthday"))
    assert all(k.startswith("birthday:2026:") for k in keys)
    assert session.scalar(select(Member.points_balance).where(Member.openid == "oNov")) == 0
