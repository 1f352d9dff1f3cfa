"""Members' tags on WeChat: each tag name gets a twin among the account's WeChat user tags, and the
rows of `member_tags` are told to WeChat in batch calls of 50 openids, then marked.

A row needs WeChat when it is active and not mirrored yet (tag it), or removed after being mirrored
(untag it, then delete the row). Removed rows WeChat never saw are deleted without a call. The job
runs in steps so that no transaction stays open while WeChat is asked: `ensure_twins`, then per
batch of rows `pending_work` (read), `push` (WeChat only) and `record` (write). Every step can run
twice: tagging someone who has the tag, or untagging someone who has not, changes nothing.

- Members who unfollowed (`members.following` false) are left out: WeChat refuses them (40003).
  Their rows stay as they are, so they cost nothing while the member is away and are told to WeChat
  once the member follows again.
- A follower WeChat refuses for good (40003: not a follower after all; 45059: already 20 tags) is
  logged and their row marked as mirrored (or, when untagging, deleted): it is not asked again
  unless a writer brings the tag back (which clears mirrored_at).
- A tag WeChat will not create (45056: 100 tags already; 45157/45158: the name) is logged and its
  rows wait; the next run asks again (after a 45056, no other tag is asked for in the same run).
- Anything else WeChat answers (45009 quota, -1 busy, 45159 a twin deleted meanwhile) and timeouts
  propagate: the job fails and RQ retries it. Token errors (40001/42001) never get here: the client
  fetches a new token and asks again.

Merchants' own tags (`put_manual`, `remove_manual`) follow the same protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from models import Member, MemberTag, WeChatTag
from models.upsert import one_of, upsert
from services.segments.scoring import RULE_TAG_PREFIXES

log = logging.getLogger(__name__)

CHUNK = 50  # openids per batch (un)tagging call: WeChat's limit
BATCH = 1000  # rows read, pushed and recorded together
PER_MEMBER = frozenset({40003, 45059})  # refused for one follower, for good
NOT_CREATED = frozenset({45056, 45157, 45158})  # the tag cap, a bad or taken name


class TagApi(Protocol):
    """The part of wechatpy's `WeChatClient.tag` used here; WeChat's errors raised as `Refused`."""

    def get(self) -> list[dict[str, Any]]: ...

    def create(self, name: str) -> dict[str, Any]: ...

    def tag_user(self, tag_id: int, user_id: list[str]) -> Any: ...

    def untag_user(self, tag_id: int, user_id: list[str]) -> Any: ...


class Refused(Exception):
    """WeChat answered an error code."""

    def __init__(self, errcode: int, errmsg: str = "") -> None:
        super().__init__(errcode, errmsg)
        self.errcode, self.errmsg = errcode, errmsg


@dataclass
class Report:
    """What one account's mirror run did (counts), as the job returns it."""

    created: int = 0
    adopted: int = 0
    lost: int = 0  # twins WeChat no longer has (deleted in its console): their rows are told again
    tagged: int = 0
    untagged: int = 0
    dropped: int = 0  # removed rows deleted without a call
    refused: int = 0
    waiting: list[str] = field(default_factory=list)  # tags WeChat would not create
    capped: bool = False  # the account has WeChat's 100 tags: no more are asked for this run
    calls: int = 0


def ensure_twins(session: Session, api: TagApi, account_id: int, remote: list[dict[str, Any]]) -> Report:
    """Give every tag name in use a WeChat twin; `remote` is what tags/get answered.

    A twin WeChat no longer lists is forgotten and made again: its active rows are marked unsent,
    its removed rows deleted (WeChat dropped the tag from everyone). A name WeChat has is adopted.
    """
    report = Report()
    by_id = {int(t["id"]) for t in remote}
    by_name = {str(t["name"]): int(t["id"]) for t in remote}
    twins_now = select(WeChatTag.name, WeChatTag.wechat_id).where(WeChatTag.account_id == account_id)
    known = {name: wechat_id for name, wechat_id in session.execute(twins_now)}
    lost = sorted(name for name, wechat_id in known.items() if wechat_id not in by_id)
    if lost:
        _forget(session, account_id, lost)
        report.lost = len(lost)
    names = session.scalars(
        select(MemberTag.tag)
        .where(MemberTag.account_id == account_id, MemberTag.removed_at.is_(None))
        .group_by(MemberTag.tag)
        .order_by(MemberTag.tag)
    ).all()
    twins: dict[str, int] = {}
    for name in (n for n in names if n not in known or n in lost):
        if name not in by_name and report.capped:
            report.waiting.append(name)
            continue
        if name not in by_name:
            made = _create(api, name, report)
            if made is None:
                continue
            by_name[name] = made
        else:
            report.adopted += 1
        twins[name] = by_name[name]
    if twins:
        rows = [{"account_id": account_id, "name": n, "wechat_id": i} for n, i in twins.items()]
        session.execute(upsert(session, WeChatTag).on_conflict_do_nothing(), rows)
    return report


def _create(api: TagApi, name: str, report: Report) -> int | None:
    """Create a twin and return its id; None (logged) when WeChat will not."""
    try:
        made = api.create(name)
    except Refused as exc:
        if exc.errcode not in NOT_CREATED:
            raise
        again = {str(t["name"]): int(t["id"]) for t in api.get()} if exc.errcode == 45157 else {}
        if name in again:  # made by a run beside this one
            report.adopted += 1
            return again[name]
        log.warning("WeChat will not create tag %r: %s %s; its members wait", name, exc.errcode, exc.errmsg)
        report.waiting.append(name)
        report.capped = exc.errcode == 45056
        return None
    report.created += 1
    return int(made["id"])


def _forget(session: Session, account_id: int, names: list[str]) -> None:
    """WeChat no longer has these twins: tell their active rows again, drop the removed ones."""
    of = and_(MemberTag.account_id == account_id, one_of(session, MemberTag.tag, names))
    session.execute(update(MemberTag).where(of, MemberTag.removed_at.is_(None)).values(mirrored_at=None))
    session.execute(delete(MemberTag).where(of, MemberTag.removed_at.is_not(None)))
    session.execute(
        delete(WeChatTag).where(WeChatTag.account_id == account_id, one_of(session, WeChatTag.name, names))
    )


Row = tuple[int, str, str]  # member_tags.id, openid, tag


@dataclass
class Work:
    """One batch of rows needing WeChat: calls to make per (action, twin id), rows to drop without one."""

    last_id: int = 0
    full: bool = False  # the batch was cut at the limit: more rows may follow `last_id`
    untag: dict[int, list[Row]] = field(default_factory=dict)
    tag: dict[int, list[Row]] = field(default_factory=dict)
    unsent: list[int] = field(default_factory=list)  # removed before WeChat saw them
    orphaned: list[int] = field(default_factory=list)  # removed, and their twin is gone


def pending_work(session: Session, account_id: int, after_id: int = 0, limit: int = BATCH) -> Work:
    """The next rows after `after_id` (by id) that need WeChat or can be dropped, in one query."""
    removed, unsent = MemberTag.removed_at.is_not(None), MemberTag.mirrored_at.is_(None)
    twin = WeChatTag.wechat_id
    rows = session.execute(
        select(MemberTag.id, Member.openid, MemberTag.tag, MemberTag.removed_at, MemberTag.mirrored_at, twin)
        .join(Member, Member.id == MemberTag.member_id)
        .outerjoin(WeChatTag, and_(WeChatTag.account_id == account_id, WeChatTag.name == MemberTag.tag))
        .where(
            MemberTag.account_id == account_id,
            MemberTag.id > after_id,
            or_(
                and_(removed, or_(unsent, twin.is_(None))),
                and_(Member.following.is_(True), twin.is_not(None), or_(removed, unsent)),
            ),
        )
        .order_by(MemberTag.id)
        .limit(limit)
    ).all()
    work = Work(last_id=rows[-1].id if rows else after_id, full=len(rows) == limit)
    for r in rows:
        if r.removed_at is not None and r.mirrored_at is None:
            work.unsent.append(r.id)
        elif r.removed_at is not None and r.wechat_id is None:
            work.orphaned.append(r.id)
        else:
            calls = work.untag if r.removed_at is not None else work.tag
            calls.setdefault(r.wechat_id, []).append((r.id, r.openid, r.tag))
    return work


@dataclass
class Pushed:
    """What WeChat was told: row ids by result."""

    tagged: list[int] = field(default_factory=list)
    untagged: list[int] = field(default_factory=list)
    refused_tag: list[int] = field(default_factory=list)
    refused_untag: list[int] = field(default_factory=list)
    calls: int = 0


def push(api: TagApi, work: Work) -> Pushed:
    """Tell WeChat, 50 openids a call; untagging first, so a follower at 20 tags makes room first."""
    pushed = Pushed()
    for calls, send, done, refused in (
        (work.untag, api.untag_user, pushed.untagged, pushed.refused_untag),
        (work.tag, api.tag_user, pushed.tagged, pushed.refused_tag),
    ):
        for wechat_id, rows in calls.items():
            for start in range(0, len(rows), CHUNK):
                _send(send, wechat_id, rows[start : start + CHUNK], done, refused, pushed)
    return pushed


def _send(
    send: Callable[[int, list[str]], Any],
    wechat_id: int,
    rows: list[Row],
    done: list[int],
    refused: list[int],
    pushed: Pushed,
) -> None:
    """One call; when WeChat refuses a follower, halve the batch until they are found."""
    pushed.calls += 1
    try:
        send(wechat_id, [openid for _, openid, _ in rows])
    except Refused as exc:
        if exc.errcode not in PER_MEMBER:
            raise
        if len(rows) == 1:
            row_id, openid, tag = rows[0]
            log.info("WeChat refused %s for tag %r: %s %s; skipped", openid, tag, exc.errcode, exc.errmsg)
            refused.append(row_id)
            return
        half = len(rows) // 2
        for part in (rows[:half], rows[half:]):
            _send(send, wechat_id, part, done, refused, pushed)
        return
    done.extend(row_id for row_id, _, _ in rows)


def record(session: Session, work: Work, pushed: Pushed, now: datetime) -> None:
    """Mark what WeChat was told; delete removed rows WeChat has forgotten (or never knew).

    A row removed while it was being tagged keeps the mark, so the next run untags it; a row brought
    back while it was being untagged loses it, so the next run tags it again.
    """
    told = pushed.tagged + pushed.refused_tag
    if told:
        session.execute(update(MemberTag).where(one_of(session, MemberTag.id, told)).values(mirrored_at=now))
    _drop(session, pushed.untagged + pushed.refused_untag + work.orphaned)
    _drop(session, work.unsent, MemberTag.mirrored_at.is_(None))
    back = pushed.untagged + pushed.refused_untag
    if back:
        session.execute(
            update(MemberTag)
            .where(one_of(session, MemberTag.id, back), MemberTag.removed_at.is_(None))
            .values(mirrored_at=None)
        )


def _drop(session: Session, ids: list[int], *also: Any) -> None:
    if ids:
        session.execute(
            delete(MemberTag).where(
                one_of(session, MemberTag.id, ids), MemberTag.removed_at.is_not(None), *also
            )
        )


def add_up(report: Report, work: Work, pushed: Pushed) -> None:
    """Count a recorded batch into the run's report."""
    report.tagged += len(pushed.tagged)
    report.untagged += len(pushed.untagged)
    report.refused += len(pushed.refused_tag) + len(pushed.refused_untag)
    report.dropped += len(work.unsent) + len(work.orphaned)
    report.calls += pushed.calls


# The merchant's own tags ----------------------------------------------------------------------------

NAME_MAX = 30
# The scoring job's (stage, RFM segment, tier, KOL candidate), and their full-width colon forms:
# in WeChat's console those would pass for rule tags.
RULE_PREFIXES = (*RULE_TAG_PREFIXES, *(p.replace(":", "：") for p in RULE_TAG_PREFIXES if ":" in p))


class RuleTag(Exception):
    """Rule tags follow the scores; they cannot be removed by hand."""


def manual_problem(tag: str) -> str | None:
    """Why a merchant may not set this tag, or None."""
    if not tag.strip():
        return "a tag must not be empty"
    if len(tag) > NAME_MAX:
        return f"a tag has at most {NAME_MAX} characters (WeChat's limit)"
    if tag.startswith(RULE_PREFIXES):
        return f"tags starting with {', '.join(RULE_TAG_PREFIXES)} are set by the scoring rules"
    return None


def put_manual(session: Session, account_id: int, member_id: int, tag: str) -> tuple[MemberTag, bool]:
    """Tag a member by hand; True when the tag is new to them (or brought back after a removal).

    A tag brought back is told to WeChat again: the mirror may be untagging it right now.
    """
    values = {"account_id": account_id, "member_id": member_id, "tag": tag, "source": "manual"}
    inserted = session.execute(
        upsert(session, MemberTag)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[MemberTag.member_id, MemberTag.tag])
        .returning(MemberTag.id)
    ).first()
    restored = session.execute(
        update(MemberTag)
        .where(MemberTag.member_id == member_id, MemberTag.tag == tag, MemberTag.removed_at.is_not(None))
        .values(removed_at=None, mirrored_at=None, source="manual")
        .returning(MemberTag.id)
    ).first()
    found = select(MemberTag).where(MemberTag.member_id == member_id, MemberTag.tag == tag)
    row = session.scalars(found.execution_options(populate_existing=True)).one()
    return row, inserted is not None or restored is not None


def remove_manual(session: Session, member_id: int, tag: str, now: datetime) -> MemberTag:
    """Remove a member's tag (LookupError when they do not carry it; RuleTag for a rule's)."""
    row = session.scalars(
        select(MemberTag).where(
            MemberTag.member_id == member_id, MemberTag.tag == tag, MemberTag.removed_at.is_(None)
        )
    ).one_or_none()
    if row is None:
        raise LookupError(tag)
    if row.source == "rule":
        raise RuleTag(tag)
    row.removed_at = now
    return row


@dataclass(frozen=True)
class TagSummary:
    tag: str
    members: int
    pending: int  # followers whose row WeChat has not been told yet
    sources: tuple[str, ...]
    wechat_id: int | None


def summary(session: Session, account_id: int) -> list[TagSummary]:
    """Each active tag with its member count and how far the mirror has got, by name."""
    active = and_(MemberTag.account_id == account_id, MemberTag.removed_at.is_(None))
    waiting = and_(MemberTag.mirrored_at.is_(None), Member.following.is_(True))
    sources: dict[str, list[str]] = {}
    for tag, source in session.execute(
        select(MemberTag.tag, MemberTag.source).where(active).group_by(MemberTag.tag, MemberTag.source)
    ):
        sources.setdefault(tag, []).append(source)
    rows = session.execute(
        select(MemberTag.tag, func.count(), func.count().filter(waiting), func.max(WeChatTag.wechat_id))
        .join(Member, Member.id == MemberTag.member_id)
        .outerjoin(WeChatTag, and_(WeChatTag.account_id == account_id, WeChatTag.name == MemberTag.tag))
        .where(active)
        .group_by(MemberTag.tag)
        .order_by(MemberTag.tag)
    )
    return [TagSummary(t, n, p, tuple(sorted(sources[t])), w) for t, n, p, w in rows]


def tags_of(session: Session, member_id: int) -> list[MemberTag]:
    """The member's active tags, by name."""
    return list(
        session.scalars(
            select(MemberTag)
            .where(MemberTag.member_id == member_id, MemberTag.removed_at.is_(None))
            .order_by(MemberTag.tag)
        )
    )
