"""Each request's own transaction, its change in the audit log: commit first, then wake the drainer
or drop cached rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.access import current
from bot.context import tiefen
from models import utcnow
from services.accounts import audit

T = TypeVar("T")


class Conflict(Exception):
    """A request lost a race twice running: the API answers 409, the console asks to retry."""


def read(work: Callable[[Session], T]) -> T:
    with tiefen().sessions.begin() as session:  # begin: a first read may seed the account's defaults
        return work(session)


def _sent() -> dict[str, Any] | None:
    """What the request sent, for the log: its JSON body or its form, secrets masked."""
    body = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(body, dict):
        return None
    return {k: "***" if "password" in k or k == "csrf_token" else v for k, v in body.items()}


def _record(session: Session, diff: audit.Diff) -> None:
    principal = current()
    action = (request.endpoint or "").rpartition(".")[2]
    audit.record(
        session, principal.account.id, principal.actor, action, request.path, diff, _sent(), utcnow()
    )


def unlogged(work: Callable[[Session], T]) -> T:
    """A transaction of its own that is no change to log: a sign-in counting its failures."""
    with tiefen().sessions.begin() as session:
        return work(session)


def write(work: Callable[[Session], T], *, wake: bool = False, rules_changed: bool = False) -> T:
    """Run `work` in a transaction of its own and commit it; then wake the drainer (`wake`: the work
    put something in the outbox) or make replies use the new rules (`rules_changed`).

    A request that lost a race for a unique key (the same order posted twice at once) runs once
    more and finds what the winner stored. An ApiError raised by `work` rolls everything back.
    """
    for attempt in (1, 2):
        try:
            with tiefen().sessions.begin() as session:
                diff = audit.watch(session)
                result = work(session)
                session.flush()  # what the work left pending is in the diff before it is logged
                _record(session, diff)
            break
        except IntegrityError:
            if attempt == 2:
                raise Conflict("a concurrent request changed the same thing; retry") from None
    if rules_changed:
        tiefen().programmes.forget(current().account.id)
    if wake:
        from tasks import wake_drainer

        wake_drainer()
    return result
