"""Birthdays in the database: set once, the month's members awarded in batches, exactly once a year."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from models import Account, LedgerEntry, Member
from services.points import birthdays, programme
from tests.factories import count

NOW = datetime(2026, 4, 30, 17, tzinfo=UTC)  # 01:00 on 1 May in Shanghai: May is the month there


@pytest.fixture
def prog(session):
    account = Account(appid="wxBirthday", name="生日小店", token="t", timezone="Asia/Shanghai")
    session.add(account)
    session.flush()
    programme.ensure_defaults(session, account.id)
    session.commit()
    return programme.load(session, account.id)


def add(session, prog, openid, birthday=None, following=True):
    m = Member(account_id=prog.account_id, openid=openid, birthday=birthday, following=following)
    session.add(m)
    session.commit()
    return m.id


def awards(session):
    session.expire_all()
    rows = session.execute(select(LedgerEntry.key, LedgerEntry.delta).where(LedgerEntry.action == "birthday"))
    return sorted(rows)


def test_the_months_members_are_awarded_in_batches_once_a_year(session, prog):
    may = [add(session, prog, f"oMay{i}", date(1990 + i, 5, 1 + i)) for i in range(5)]
    add(session, prog, "oJune", date(1990, 6, 1))
    add(session, prog, "oNone")
    add(session, prog, "oLeft", date(1990, 5, 3), following=False)

    after, batches = 0, 0
    while after is not None:
        done = birthdays.award_due(session, prog, NOW, after, batch=2)
        session.commit()
        after, batches = done.last, batches + 1
    assert batches == 4  # 2 + 2 + 1, then an empty look
    assert awards(session) == sorted((f"birthday:2026:{m}", 100) for m in may)
    balance = session.scalar(select(Member.points_balance).where(Member.id == may[0]))
    assert balance == 100

    assert birthdays.award_due(session, prog, NOW, 0).member_ids == []  # run again: nothing new
    session.commit()
    assert count(session, LedgerEntry, LedgerEntry.action == "birthday") == 5

    next_year = NOW.replace(year=2027)
    assert len(birthdays.award_due(session, prog, next_year, 0).member_ids) == 5
    session.commit()
    assert count(session, LedgerEntry, LedgerEntry.action == "birthday") == 10


def test_a_disabled_task_awards_nobody(session, prog):
    add(session, prog, "oMay", date(1990, 5, 1))
    programme.save_task(session, prog.account_id, "birthday", {"enabled": False})
    session.commit()
    off = programme.load(session, prog.account_id)
    assert birthdays.award_due(session, off, NOW, 0).member_ids == []


def test_a_birthday_is_set_once_and_this_months_pays_at_once(session, prog):
    add(session, prog, "oSet")
    first = birthdays.set_birthday(session, prog, "oSet", date(1992, 5, 20), NOW)
    session.commit()
    assert (first.kind, first.points) == ("set", 100)
    assert awards(session) == [(f"birthday:2026:{first_id(session, 'oSet')}", 100)]

    again = birthdays.set_birthday(session, prog, "oSet", date(1992, 1, 2), NOW)
    assert (again.kind, again.birthday) == ("already_set", date(1992, 5, 20))
    session.commit()
    assert birthdays.birthday_of(session, prog.account_id, "oSet") == date(1992, 5, 20)
    assert birthdays.award_due(session, prog, NOW, 0).member_ids == []  # the daily job: paid already


def test_another_months_birthday_waits_and_bad_dates_are_refused(session, prog):
    add(session, prog, "oLater")
    later = birthdays.set_birthday(session, prog, "oLater", date(1992, 8, 20), NOW)
    assert (later.kind, later.points) == ("set", 0)
    future = birthdays.set_birthday(session, prog, "oLater", date(2026, 6, 1), NOW)
    assert (future.kind, future.problem) == ("invalid", "生日不能晚于今天")
    assert birthdays.set_birthday(session, prog, "oStranger", date(1990, 1, 1), NOW).kind == "not_member"
    session.commit()
    assert awards(session) == []


def first_id(session, openid):
    return session.scalar(select(Member.id).where(Member.openid == openid))
