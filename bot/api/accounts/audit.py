"""The audit log, for the owner: every change made through the API or the console, newest first."""

from __future__ import annotations

from bot.api.accounts.schemas import AuditEntry, AuditPage, AuditQuery
from bot.api.auth import current_account
from bot.api.outputs import local
from bot.api.routes import operation
from bot.db import read
from rules.accounts.roles import Area
from services.accounts import audit


@operation("GET", "/audit", tag="staff", answer=AuditPage, query=AuditQuery, area=Area.STAFF)
def list_audit(query: AuditQuery) -> AuditPage:
    """The audit log: who changed what, before and after, filtered by actor, action or record"""
    rows = read(
        lambda s: audit.entries(
            s,
            current_account().id,
            actor=query.actor,
            action=query.action,
            record_prefix=query.record,
            before_id=query.before,
            limit=query.limit,
        )
    )
    items = [
        AuditEntry.model_validate(
            {
                "id": e.id,
                "actor": e.actor,
                "actor_kind": e.actor_kind,
                "action": e.action,
                "record": e.record,
                "before": e.before,
                "after": e.after,
                "address": e.address,
                "at": local(e.at),
            }
        )
        for e in rows
    ]
    return AuditPage(items=items, next_before=items[-1].id if len(items) == query.limit else None)
