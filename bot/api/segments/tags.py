"""Members' tags for the merchant: a member's tags, hand-set tags, and every tag with its WeChat twin.

Tags set or removed here reach WeChat with the next run of the mirror job (every 10 minutes).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.api.auth import current_account
from bot.api.errors import ApiError
from bot.api.outputs import local
from bot.api.routes import operation
from bot.api.segments.schemas import MemberTag, MemberTags, Tags, TagSummary
from bot.db import read, write
from models import Member, utcnow
from models import MemberTag as MemberTagRow
from rules.accounts.roles import Area
from services.accounts import members
from services.segments import tag_mirror


def _member(session: Session, openid: str) -> Member:
    found = members.find_member(session, current_account().id, openid)
    if found is None:
        raise ApiError(404, "unknown_member", f"no member has openid {openid}")
    return found


def member_tag(row: MemberTagRow) -> MemberTag:
    return MemberTag.model_validate(
        {
            "tag": row.tag,
            "source": row.source,
            "created_at": local(row.created_at),
            "mirrored_at": local(row.mirrored_at),
            "removed_at": local(row.removed_at),
        }
    )


@operation("GET", "/members/<openid>/tags", tag="tags", answer=MemberTags)
def list_member_tags(openid: str) -> MemberTags:
    """The member's active tags, by name, with where each came from"""

    def tags(session: Session) -> MemberTags:
        rows = tag_mirror.tags_of(session, _member(session, openid).id)
        return MemberTags(openid=openid, items=[member_tag(r) for r in rows])

    return read(tags)


@operation(
    "PUT",
    "/members/<openid>/tags/<path:tag>",
    area=Area.MEMBERS,
    tag="tags",
    answer=MemberTag,
    status=201,
    also=(200,),
    errors=(422,),
)
def put_member_tag(openid: str, tag: str) -> tuple[MemberTag, int]:
    """Tag a member by hand (201 when the tag is new to them, 200 when they carry it already)"""
    tag = tag.strip()
    problem = tag_mirror.manual_problem(tag)
    if problem:
        raise ApiError(422, "invalid_tag", "the tag does not hold", [f"tag: {problem}"])

    def save(session: Session) -> tuple[MemberTag, bool]:
        member = _member(session, openid)
        row, new = tag_mirror.put_manual(session, member.account_id, member.id, tag)
        return member_tag(row), new

    body, new = write(save)
    return body, 201 if new else 200


@operation(
    "DELETE",
    "/members/<openid>/tags/<path:tag>",
    area=Area.MEMBERS,
    tag="tags",
    answer=MemberTag,
    errors=(409,),
)
def delete_member_tag(openid: str, tag: str) -> MemberTag:
    """Remove a member's tag (WeChat's copy goes with the next mirror run)
    Rule tags follow the scores and cannot be removed by hand (409 `rule_tag`)."""
    tag = tag.strip()

    def remove(session: Session) -> MemberTag:
        member = _member(session, openid)
        try:
            return member_tag(tag_mirror.remove_manual(session, member.id, tag, utcnow()))
        except LookupError:
            raise ApiError(404, "unknown_tag", f"{openid} does not carry the tag {tag!r}") from None
        except tag_mirror.RuleTag:
            raise ApiError(409, "rule_tag", f"{tag!r} is set by the scoring rules") from None

    return write(remove)


@operation("GET", "/tags", tag="tags", answer=Tags)
def list_tags() -> Tags:
    """Every active tag with its member count, its WeChat twin and what the mirror has still to do"""
    found = read(lambda s: tag_mirror.summary(s, current_account().id))
    items = [
        TagSummary.model_validate(
            {
                "tag": t.tag,
                "members": t.members,
                "sources": list(t.sources),
                "wechat_id": t.wechat_id,
                "pending": t.pending,
                "mirrored": t.wechat_id is not None and t.pending == 0,
            }
        )
        for t in found
    ]
    return Tags(items=items)
