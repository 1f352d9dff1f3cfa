"""Members' tags for the merchant: a member's tags, hand-set tags, and every tag with its WeChat twin.

Tags set or removed here reach WeChat with the next run of the mirror job (every 10 minutes).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.api import api, outputs
from bot.api.auth import current_account
from bot.api.db import read, write
from bot.api.errors import ApiError
from models import Member, MemberTag, utcnow
from services import api_support
from services.segments import tag_mirror


def _member(session: Session, openid: str) -> Member:
    found = api_support.find_member(session, current_account().id, openid)
    if found is None:
        raise ApiError(404, "unknown_member", f"no member has openid {openid}")
    return found


def member_tag(row: MemberTag) -> dict[str, Any]:
    return {
        "tag": row.tag,
        "source": row.source,
        "created_at": outputs.iso(row.created_at),
        "mirrored_at": outputs.iso(row.mirrored_at),
        "removed_at": outputs.iso(row.removed_at),
    }


@api.get("/members/<openid>/tags")
def list_member_tags(openid: str) -> Response:
    """The member's active tags, by name, with where each came from."""

    def tags(session: Session) -> dict[str, Any]:
        rows = session.scalars(
            select(MemberTag)
            .where(MemberTag.member_id == _member(session, openid).id, MemberTag.removed_at.is_(None))
            .order_by(MemberTag.tag)
        )
        return {"openid": openid, "items": [member_tag(r) for r in rows]}

    return jsonify(read(tags))


@api.put("/members/<openid>/tags/<path:tag>")
def put_member_tag(openid: str, tag: str) -> tuple[Response, int]:
    """Tag a member by hand: 201 when the tag is new to them, 200 when they carry it already."""
    tag = tag.strip()
    problem = tag_mirror.manual_problem(tag)
    if problem:
        raise ApiError(422, "invalid_tag", problem)

    def save(session: Session) -> tuple[dict[str, Any], bool]:
        member = _member(session, openid)
        row, new = tag_mirror.put_manual(session, member.account_id, member.id, tag)
        return member_tag(row), new

    body, new = write(save)
    return jsonify(body), 201 if new else 200


@api.delete("/members/<openid>/tags/<path:tag>")
def delete_member_tag(openid: str, tag: str) -> Response:
    """Remove a member's tag (WeChat's copy goes with the next mirror run); rule tags follow the
    scores and cannot be removed by hand."""
    tag = tag.strip()

    def remove(session: Session) -> dict[str, Any]:
        member = _member(session, openid)
        try:
            return member_tag(tag_mirror.remove_manual(session, member.id, tag, utcnow()))
        except LookupError:
            raise ApiError(404, "unknown_tag", f"{openid} does not carry the tag {tag!r}") from None
        except tag_mirror.RuleTag:
            raise ApiError(409, "rule_tag", f"{tag!r} is set by the scoring rules") from None

    return jsonify(write(remove))


@api.get("/tags")
def list_tags() -> Response:
    """Every active tag with its member count, its WeChat twin and what the mirror has still to do."""
    found = read(lambda s: tag_mirror.summary(s, current_account().id))
    items = [
        {
            "tag": t.tag,
            "members": t.members,
            "sources": list(t.sources),
            "wechat_id": t.wechat_id,
            "pending": t.pending,
            "mirrored": t.wechat_id is not None and t.pending == 0,
        }
        for t in found
    ]
    return jsonify({"items": items})
