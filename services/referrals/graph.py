"""The referral graph: a member's tree, the top referrers, and the scan for referral rings.

An edge (referrer → referee) counts when its status is not 'refused': self-referrals, refollows
and rings the rules turned away at bind time were never real. Each referee has one referrer, so
the graph is a forest, except where imported followers, data repairs or fraud across accounts
closed a ring. Every query is set-based SQL that runs on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, aliased

from models import Member, Referral
from models.upsert import dialect_of, one_of, table_of
from rules.referrals.referrals import ReferralStatus

REFUSED = ReferralStatus.REFUSED
COUNTED = (
    ReferralStatus.PAID,
    ReferralStatus.HELD,
    ReferralStatus.REVIEW,
    ReferralStatus.VOIDED,
)  # the statuses of edges that count
MARKABLE = (
    ReferralStatus.HELD,
    ReferralStatus.REVIEW,
)  # what mark_rings moves to review; paid and voided stay
RING = "ring"
# PostgreSQL planner settings, for one query at a time. The planner underestimates how many members
# refer (n_distinct), so whole-graph costs pass the JIT threshold and compiling takes longer than
# running (0.35 s of 2.5 s): no JIT. More work_mem bought nothing measurable over 800,000 edges (the
# plans only turn serial). Walks from one member want index probes, but the planner guesses a
# recursive CTE's working table at ten times its first step, which for a big referrer tips it into
# merge joins that read the whole index once per level: no hash or merge joins there.
WHOLE_GRAPH = {"jit": "off"}
WALK = {"jit": "off", "enable_hashjoin": "off", "enable_mergejoin": "off"}


class UnknownMember(LookupError):
    """No member with this id in this account."""


@dataclass(frozen=True)
class Upline:
    """Who brought the member, and the bind that says so."""

    member_id: int
    openid: str
    following: bool
    bound_at: datetime
    status: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class TreeNode:
    """A referral below the member: `level` 1 the member brought, 2 one of those brought, …"""

    member_id: int
    openid: str
    following: bool
    referrer_id: int
    level: int
    bound_at: datetime
    status: str
    reasons: tuple[str, ...]
    direct: int  # their own referrals that count


@dataclass(frozen=True)
class ReferralTree:
    member_id: int
    openid: str
    upline: Upline | None
    nodes: tuple[TreeNode, ...]  # by level, then bind time; at most `limit` of them
    truncated: bool  # there are more within `depth` than `limit`
    direct: int
    second_degree: int  # referrals of the member's referrals
    cascade: int  # every descendant however deep: the whole subtree (the member not counted)


@dataclass(frozen=True)
class RankedReferrer:
    member_id: int
    openid: str
    cascade: int  # direct + second_degree: what the ranking sorts by
    direct: int
    second_degree: int
    paid: int  # of the direct referrals, by status
    held: int
    review: int
    voided: int
    first_bound_at: datetime  # their first bind that counts: the earlier one ranks first on a tie


@dataclass(frozen=True)
class RingEdge:
    referral_id: int
    referrer_id: int
    referee_id: int
    referee_openid: str
    status: str
    reasons: tuple[str, ...]
    bound_at: datetime


@dataclass(frozen=True)
class Ring:
    """Edges in ring order from the smallest member id: each referee is the next edge's referrer."""

    edges: tuple[RingEdge, ...]

    @property
    def members(self) -> tuple[int, ...]:
        return tuple(e.referrer_id for e in self.edges)

    @property
    def paid(self) -> tuple[RingEdge, ...]:
        return tuple(e for e in self.edges if e.status == ReferralStatus.PAID)


@dataclass(frozen=True)
class RingReport:
    rings: tuple[Ring, ...]  # by smallest member id

    @property
    def members(self) -> frozenset[int]:
        return frozenset(m for ring in self.rings for m in ring.members)

    @property
    def loops(self) -> tuple[Ring, ...]:
        """Two members who brought each other."""
        return tuple(ring for ring in self.rings if len(ring.edges) == 2)

    @property
    def referral_ids(self) -> tuple[int, ...]:
        return tuple(sorted(e.referral_id for ring in self.rings for e in ring.edges))


@dataclass(frozen=True)
class Marked:
    marked: int  # referrals moved to review with the reason 'ring' by this call
    left_paid: tuple[int, ...]  # referral ids on rings already paid: left paid, for the merchant to see


def _live(edge: Any, account_id: int) -> ColumnElement[bool]:
    return and_(edge.account_id == account_id, edge.status != REFUSED)


@contextmanager
def _tuned(session: Session, settings: dict[str, str]) -> Iterator[None]:
    """Planner settings on PostgreSQL for the statements inside; the previous values come back
    afterwards (an error leaves them to the rollback). Nothing on SQLite."""
    if dialect_of(session) != "postgresql":
        yield
        return
    names = sorted(settings)
    before = session.execute(select(*[func.current_setting(n) for n in names])).one()
    session.execute(select(*[func.set_config(n, settings[n], True) for n in names]))
    yield
    session.execute(select(*[func.set_config(n, v, True) for n, v in zip(names, before, strict=True)]))


# a member's tree ----------------------------------------------------------------------------------


def tree(session: Session, account_id: int, member_id: int, depth: int = 3, limit: int = 500) -> ReferralTree:
    """The member's referrer, their referrals down to `depth` levels (at most `limit`), and counts.

    On a ring the member shows up again among their own descendants; `ring_scan` finds those.
    Raises UnknownMember when the account has no such member.
    """
    if depth < 1 or limit < 1:
        raise ValueError("depth and limit must be at least 1")
    upper, up = aliased(Member), aliased(Referral)
    head = session.execute(
        select(Member.openid, upper.id, upper.openid, upper.following, up.bound_at, up.status, up.reasons)
        .outerjoin(up, and_(up.referee_id == Member.id, _live(up, account_id)))
        .outerjoin(upper, upper.id == up.referrer_id)
        .where(Member.id == member_id, Member.account_id == account_id)
    ).one_or_none()
    if head is None:
        raise UnknownMember(member_id)
    openid, up_id, up_openid, up_following, bound_at, status, reasons = head
    upline = None
    if up_id is not None:
        upline = Upline(up_id, up_openid, up_following, bound_at, status, tuple(reasons))
    with _tuned(session, WALK):
        direct, second, cascade = session.execute(_counts(account_id, member_id)).one()
        rows = session.execute(_below(account_id, member_id, depth, limit + 1)).all()
    nodes = [TreeNode(m, o, f, by, lv, at, st, tuple(why), n) for m, o, f, by, lv, at, st, why, n in rows]
    return ReferralTree(
        member_id, openid, upline, tuple(nodes[:limit]), len(nodes) > limit, direct, second, cascade
    )


def _counts(account_id: int, member_id: int) -> Any:
    kid, grandkid = aliased(Referral), aliased(Referral)
    direct = select(func.count()).where(kid.referrer_id == member_id, _live(kid, account_id))
    children = select(kid.referee_id).where(kid.referrer_id == member_id, _live(kid, account_id))
    second = select(func.count()).where(grandkid.referrer_id.in_(children), _live(grandkid, account_id))
    # UNION, not UNION ALL: a member met again (on a ring) adds no row, so the walk ends
    sub = select(kid.referee_id.label("id")).where(kid.referrer_id == member_id, _live(kid, account_id))
    sub_cte = sub.cte("subtree", recursive=True)
    step = aliased(Referral)
    sub_cte = sub_cte.union(
        select(step.referee_id).join(sub_cte, step.referrer_id == sub_cte.c.id).where(_live(step, account_id))
    )
    cascade = select(func.count()).select_from(sub_cte).where(sub_cte.c.id != member_id)
    return select(direct.scalar_subquery(), second.scalar_subquery(), cascade.scalar_subquery())


def _below(account_id: int, member_id: int, depth: int, limit: int) -> Any:
    first = select(
        Referral.referee_id.label("member_id"),
        Referral.referrer_id.label("referrer_id"),
        literal(1).label("level"),
        Referral.bound_at,
        Referral.status,
        Referral.reasons,
    ).where(Referral.referrer_id == member_id, _live(Referral, account_id))
    down = first.cte("down", recursive=True)
    step = aliased(Referral)
    down = down.union_all(
        select(step.referee_id, step.referrer_id, down.c.level + 1, step.bound_at, step.status, step.reasons)
        .join(down, step.referrer_id == down.c.member_id)
        .where(_live(step, account_id), down.c.level < depth)
    )
    first_ones = (
        select(down).order_by(down.c.level, down.c.bound_at, down.c.member_id).limit(limit).subquery("first")
    )
    kid = aliased(Referral)
    direct = select(func.count()).where(kid.referrer_id == first_ones.c.member_id, _live(kid, account_id))
    return (
        select(
            first_ones.c.member_id,
            Member.openid,
            Member.following,
            first_ones.c.referrer_id,
            first_ones.c.level,
            first_ones.c.bound_at,
            first_ones.c.status,
            first_ones.c.reasons,
            direct.scalar_subquery(),
        )
        .join(Member, Member.id == first_ones.c.member_id)
        .order_by(first_ones.c.level, first_ones.c.bound_at, first_ones.c.member_id)
    )


# the top referrers --------------------------------------------------------------------------------


def top_referrers(session: Session, account_id: int, limit: int = 100) -> list[RankedReferrer]:
    """The members whose referrals reach furthest, best first.

    Ranked by cascade size, defined here as direct + second-degree referrals (those the member
    brought, and those they in turn brought); ties go to the earlier first bind, then the lower
    member id. Edges refused at bind time count nowhere.

    Two aggregates over the referrals, whatever the size of the graph: the direct counts per
    referrer, and the second degree from the edges joined to their children's edges
    (child.referrer = edge.referee); the top `limit` are sorted out of their join, and only
    those are joined to their members.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    edge, parent, child = aliased(Referral), aliased(Referral), aliased(Referral)
    by_status = [func.count().filter(edge.status == s).label(s) for s in COUNTED]
    d = (
        select(
            edge.referrer_id.label("member_id"),
            func.count().label("direct"),
            *by_status,
            func.min(edge.bound_at).label("first_bound_at"),
        )
        .where(_live(edge, account_id))
        .group_by(edge.referrer_id)
        .subquery("d")
    )
    s = (
        select(parent.referrer_id.label("member_id"), func.count().label("second"))
        .join(child, child.referrer_id == parent.referee_id)
        .where(_live(parent, account_id), _live(child, account_id))
        .group_by(parent.referrer_id)
        .subquery("s")
    )
    second = func.coalesce(s.c.second, 0)
    cascade = d.c.direct + second
    ranked = (
        select(d, second.label("second_degree"), cascade.label("cascade"))
        .outerjoin(s, s.c.member_id == d.c.member_id)
        .order_by(cascade.desc(), d.c.first_bound_at, d.c.member_id)
        .limit(limit)
        .subquery("ranked")
    )
    stmt = (
        select(
            ranked.c.member_id,
            Member.openid,
            ranked.c.cascade,
            ranked.c.direct,
            ranked.c.second_degree,
            *[ranked.c[s] for s in COUNTED],
            ranked.c.first_bound_at,
        )
        .join(Member, Member.id == ranked.c.member_id)
        .order_by(ranked.c.cascade.desc(), ranked.c.first_bound_at, ranked.c.member_id)
    )
    with _tuned(session, WHOLE_GRAPH):
        return [RankedReferrer(*row) for row in session.execute(stmt)]


# rings --------------------------------------------------------------------------------------------

# The scan's scratch table: the edges no root reaches, private to the connection, dropped at the end.
# `hop` is an ancestor 2^k steps up; `ring` the smallest member id on the way there.
LEFT = Table(
    "referral_ring_scan",
    MetaData(),
    Column("child", Integer, nullable=False),
    Column("parent", Integer, nullable=False),
    Column("hop", Integer, nullable=False),
    Column("ring", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)
# The walk down from the roots wants an index probe per member reached, not a merge join that
# reads the whole index once per level (the planner guesses the walk's size badly).
SCAN = {**WHOLE_GRAPH, "enable_mergejoin": "off"}
_ON_RING = LEFT.alias("reached")  # a member who is some edge's far ancestor: on a ring


def ring_scan(session: Session, account_id: int) -> RingReport:
    """Every referral ring in the account's graph (A→B→C→A, and A→B→A), as members and edges.

    Each member has at most one referrer, so following referrers up from anyone ends at a root
    (a member nobody brought) or goes round a ring forever. One recursive walk down from the
    roots reaches every member of the first kind, each once; what it leaves are the rings and
    the tails hanging off them. Among those, pointer doubling: log2(n) UPDATEs give each edge
    its ancestor 2^k steps up and the smallest member id on the way. Once 2^k is past every
    tail's length, the ancestors reached are exactly the ring members, and on a ring the
    smallest id seen is the ring's smallest member: its label. No step's cost grows with how
    deep a chain or a tail goes (peeling leaves round by round would: a round per level).
    """
    conn = session.connection()
    conn.execute(text(f"DROP TABLE IF EXISTS {LEFT.name}"))
    LEFT.create(conn)
    with _tuned(session, SCAN):
        conn.execute(insert(LEFT).from_select(["child", "parent", "hop", "ring"], _unrooted(account_id)))
        if dialect_of(session) == "postgresql":
            conn.execute(text(f"ANALYZE {LEFT.name}"))  # plans for a few rows, not a guess
        _double(session)
        rows = session.execute(
            select(LEFT.c.ring, Referral.id, Referral.referrer_id, Referral.referee_id, Member.openid)
            .add_columns(Referral.status, Referral.reasons, Referral.bound_at)
            .join(Referral, and_(Referral.referee_id == LEFT.c.child, Referral.account_id == account_id))
            .join(Member, Member.id == Referral.referee_id)
            .where(exists().where(_ON_RING.c.hop == LEFT.c.child))
            .order_by(LEFT.c.ring, Referral.referee_id)
        ).all()
    conn.execute(text(f"DROP TABLE {LEFT.name}"))
    rings = []
    for ring_id, group in groupby(rows, key=lambda row: row[0]):
        edges = [RingEdge(i, by, to, o, st, tuple(why), at) for _, i, by, to, o, st, why, at in group]
        rings.append(_in_order(ring_id, edges))
    return RingReport(tuple(rings))


def _unrooted(account_id: int) -> Any:
    """The live edges whose referee no walk down from a root reaches, as LEFT's first rows."""
    edge, above, step = aliased(Referral), aliased(Referral), aliased(Referral)
    from_a_root = ~exists().where(above.referee_id == edge.referrer_id, _live(above, account_id))
    first = select(edge.referee_id.label("id")).where(_live(edge, account_id), from_a_root)
    rooted = first.cte("rooted", recursive=True)
    # UNION ALL ends: going down from a root never enters a ring (a ring member's referrer is on it)
    rooted = rooted.union_all(
        select(step.referee_id).join(rooted, step.referrer_id == rooted.c.id).where(_live(step, account_id))
    )
    smaller = case(
        (Referral.referee_id < Referral.referrer_id, Referral.referee_id), else_=Referral.referrer_id
    )
    return select(Referral.referee_id, Referral.referrer_id, Referral.referrer_id, smaller).where(
        _live(Referral, account_id), ~exists().where(rooted.c.id == Referral.referee_id)
    )


def _double(session: Session) -> None:
    left = int(session.scalar(select(func.count()).select_from(LEFT)) or 0)
    up = LEFT.alias("up")
    double = (
        update(LEFT)
        .where(up.c.child == LEFT.c.hop)
        .values(ring=case((up.c.ring < LEFT.c.ring, up.c.ring), else_=LEFT.c.ring), hop=up.c.hop)
    )
    for _ in range(left.bit_length()):  # 2^rounds > edges left ≥ any tail + ring
        session.execute(double)


def _in_order(smallest: int, edges: list[RingEdge]) -> Ring:
    """The ring's edges from the one its smallest member made, each followed by the referee's."""
    made_by = {e.referrer_id: e for e in edges}
    ordered, at = [], smallest
    for _ in edges:
        ordered.append(made_by[at])
        at = made_by[at].referee_id
    return Ring(tuple(ordered))


def mark_rings(session: Session, account_id: int, report: RingReport) -> Marked:
    """Move the held and in-review referrals on the report's rings to review, with the reason 'ring'.

    Idempotent: a referral already in review with the reason is left as it is. Paid referrals
    stay paid (the points are out; the merchant decides) and voided ones stay voided.
    """
    left_paid = tuple(sorted(e.referral_id for ring in report.rings for e in ring.paid))
    if not report.rings:
        return Marked(0, left_paid)
    has_ring, with_ring = _ring_reason(session)
    stmt = (
        update(table_of(Referral))
        .where(
            Referral.account_id == account_id,
            one_of(session, Referral.id, report.referral_ids),
            Referral.status.in_(MARKABLE),
            or_(Referral.status != ReferralStatus.REVIEW, ~has_ring),
        )
        .values(
            status=ReferralStatus.REVIEW.value, reasons=case((has_ring, Referral.reasons), else_=with_ring)
        )
    )
    marked = session.connection().execute(stmt).rowcount
    return Marked(marked, left_paid)


def _ring_reason(session: Session) -> tuple[ColumnElement[bool], ColumnElement[Any]]:
    """(reasons hold 'ring', reasons with 'ring' appended) for the JSON of the dialect."""
    if dialect_of(session) == "postgresql":
        reasons = cast(Referral.reasons, JSONB)
        return reasons.contains([RING]), cast(reasons.op("||")(cast(literal(f'["{RING}"]'), JSONB)), JSON)
    each = func.json_each(Referral.reasons).table_valued("value")
    return exists().select_from(each).where(each.c.value == RING), func.json_insert(
        Referral.reasons, "$[#]", RING
    )


def referrals_page(
    session: Session, account_id: int, status: str | None, page: int, per_page: int
) -> tuple[list[tuple[Referral, str, str]], int]:
    """The account's referrals, newest first, each with the referrer's and the referee's openid."""
    referrer, referee = aliased(Member), aliased(Member)
    where = [Referral.account_id == account_id] + ([Referral.status == status] if status else [])
    total = int(session.scalar(select(func.count()).select_from(Referral).where(*where)) or 0)
    rows = session.execute(
        select(Referral, referrer.openid, referee.openid)
        .join(referrer, referrer.id == Referral.referrer_id)
        .join(referee, referee.id == Referral.referee_id)
        .where(*where)
        .order_by(Referral.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return [(r, up, down) for r, up, down in rows], total


def openids_of(session: Session, referral: Referral) -> tuple[str, str]:
    """The referrer's and the referee's openid."""
    up, down = (session.get(Member, m) for m in (referral.referrer_id, referral.referee_id))
    assert up is not None and down is not None
    return up.openid, down.openid
