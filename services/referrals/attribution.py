"""Attribution: which scans bind a new follower to a referrer or a channel, and why others do not.

Called by the drain with the batch's scans, after the members are locked and before the
batch's follows are counted, so "never seen before" means what it says.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from models import Member, MemberTag, QrCode, Referral
from models.referral import Channel
from models.upsert import one_of, table_of, upsert
from rules.inbound.lifecycle import ScanRecord
from rules.points.earnings import Earning
from rules.points.tasks import Action
from rules.referrals.referrals import Bind, KnownCode, ReferralStatus, judge, resolve, scene_member_id
from services.points import programme
from services.points.programme import ProgrammeConfig

ANCESTRY_DEPTH = 32  # how far up a referrer's line the ring check looks


@dataclass(frozen=True)
class Prior:
    """A member as they were before this batch."""

    follow_count: int
    unfollowed_at: datetime | None
    last_interaction_at: datetime | None

    @property
    def never_seen(self) -> bool:
        """Never followed, left or did anything here: only such a person can be referred."""
        return self.follow_count == 0 and self.unfollowed_at is None and self.last_interaction_at is None


@dataclass
class Attribution:
    outcomes: dict[int, str] = field(default_factory=dict)  # scan's event id → what it did
    earnings: list[Earning] = field(default_factory=list)  # referees' welcome bonuses


def priors(session: Session, member_ids: set[int]) -> dict[int, Prior]:
    if not member_ids:
        return {}
    rows = session.execute(
        select(Member.id, Member.follow_count, Member.unfollowed_at, Member.last_interaction_at).where(
            one_of(session, Member.id, sorted(member_ids))
        )
    )
    return {r.id: Prior(r.follow_count, r.unfollowed_at, r.last_interaction_at) for r in rows}


def attribute(
    session: Session, scans: list[ScanRecord], account_of: dict[int, int], prior: dict[int, Prior]
) -> Attribution:
    """Decide every scan of the batch: bind referrals, record channels, give each its outcome."""
    result = Attribution()
    by_account: dict[int, list[ScanRecord]] = defaultdict(list)
    for s in scans:
        by_account[account_of[s.event_id]].append(s)
    for account_id, account_scans in sorted(by_account.items()):
        _attribute_account(session, programme.load(session, account_id), account_scans, prior, result)
    return result


def _attribute_account(
    session: Session,
    prog: ProgrammeConfig,
    scans: list[ScanRecord],
    prior: dict[int, Prior],
    result: Attribution,
) -> None:
    codes = _known_codes(session, prog.account_id, {s.scene for s in scans})
    owners = _owner_scenes(session, prog.account_id, scans, codes)
    binds: list[tuple[ScanRecord, KnownCode]] = []
    channel_follows: list[tuple[ScanRecord, KnownCode]] = []
    for s in scans:
        code = codes.get(s.scene)
        what = resolve(s.scene, code, s.at, owners.get(scene_member_id(s.scene) or 0))
        if what not in ("member", "channel") or code is None:
            result.outcomes[s.event_id] = what
        elif what == "channel":
            channel_follows.append((s, code))
            result.outcomes[s.event_id] = "channel" if s.kind == "subscribe" else "channel_scan"
        elif code.member_id == s.member_id:
            result.outcomes[s.event_id] = "self"  # their own code: never a referral
        elif s.kind == "scan":
            result.outcomes[s.event_id] = "existing_follower"
        elif not s.first_follow or not prior.get(s.member_id, Prior(1, None, None)).never_seen:
            result.outcomes[s.event_id] = "refollow"
        else:
            binds.append((s, code))
    _record_channels(session, prog.account_id, channel_follows)
    _bind(session, prog, binds, result)


def _known_codes(session: Session, account_id: int, scenes: set[str]) -> dict[str, KnownCode]:
    rows = session.execute(
        select(QrCode.id, QrCode.scene, QrCode.member_id, QrCode.channel_id, QrCode.expires_at).where(
            QrCode.account_id == account_id, one_of(session, QrCode.scene, sorted(scenes))
        )
    )
    return {r.scene: KnownCode(r.id, r.member_id, r.channel_id, r.expires_at) for r in rows}


def _owner_scenes(
    session: Session, account_id: int, scans: list[ScanRecord], codes: dict[str, KnownCode]
) -> dict[int, str]:
    """The real scenes of members whom unknown member-shaped scenes claim (to tell forgeries)."""
    claimed = {scene_member_id(s.scene) for s in scans if s.scene not in codes} - {None}
    if not claimed:
        return {}
    rows = session.execute(
        select(QrCode.member_id, QrCode.scene).where(
            QrCode.account_id == account_id,
            one_of(session, QrCode.member_id, sorted(m for m in claimed if m)),
        )
    )
    return {int(r.member_id): r.scene for r in rows}


def _record_channels(session: Session, account_id: int, follows: list[tuple[ScanRecord, KnownCode]]) -> None:
    """Members who came through a channel keep the first one and carry its tag."""
    if not follows:
        return
    channel_ids = sorted({code.channel_id for _, code in follows if code.channel_id is not None})
    found = session.execute(select(Channel.id, Channel.tag).where(one_of(session, Channel.id, channel_ids)))
    tags = {r.id: r.tag for r in found}
    firsts: dict[int, int] = {}
    rows: list[dict[str, Any]] = []
    for s, code in follows:
        if code.channel_id is None:
            continue
        if s.kind == "subscribe":
            firsts.setdefault(s.member_id, code.channel_id)
        rows.append(
            {
                "account_id": account_id,
                "member_id": s.member_id,
                "tag": tags[code.channel_id],
                "source": "channel",
            }
        )
    for member_id, channel_id in firsts.items():
        session.execute(
            update(table_of(Member))
            .where(Member.id == member_id, Member.channel_id.is_(None))
            .values(channel_id=channel_id)
        )
    if rows:
        session.execute(
            upsert(session, MemberTag).on_conflict_do_nothing(
                index_elements=[MemberTag.member_id, MemberTag.tag]
            ),
            rows,
        )


def _bind(
    session: Session, prog: ProgrammeConfig, binds: list[tuple[ScanRecord, KnownCode]], result: Attribution
) -> None:
    """Judge each new follower's bind; the first bind of a person wins, forever (unique referee)."""
    if not binds:
        return
    referrers = {int(code.member_id or 0) for _, code in binds}
    _judge_one_at_a_time(session, referrers)
    ancestry = _ancestors(session, referrers)
    window = timedelta(minutes=prog.referral_burst[1])
    times = [s.at for s, _ in binds]
    recent = _recent_binds(session, referrers, min(times) - window, max(times) + window)
    rows = []
    for s, code in sorted(binds, key=lambda b: (b[0].at, b[0].event_id)):
        referrer = int(code.member_id or 0)
        near = sum(1 for t in recent[referrer] if abs(t - s.at) <= window)
        bind = Bind(referrer, s.member_id, s.at, False, ancestry.get(referrer, frozenset()), near)
        verdict = judge(bind, prog.referral_burst[0])
        recent[referrer].append(s.at)
        rows.append(_referral_row(prog, s, code, verdict.status, list(verdict.reasons)))
    stmt = upsert(session, Referral).on_conflict_do_nothing()
    inserted = {
        r.event_id: r.status
        for r in session.execute(stmt.returning(Referral.event_id, Referral.status), rows)
    }
    for s, _ in binds:
        status = inserted.get(s.event_id)
        if status is None:
            result.outcomes[s.event_id] = "already_referred"
            continue
        row = next(r for r in rows if r["event_id"] == s.event_id)
        result.outcomes[s.event_id] = "referral" if status != ReferralStatus.REFUSED else row["reasons"][0]
        if status == ReferralStatus.HELD:
            result.earnings.append(welcome_bonus(prog.account_id, s.member_id, s.at))


def welcome_bonus(account_id: int, referee_id: int, at: datetime) -> Earning:
    return Earning(account_id, referee_id, Action.REFEREE, f"referral:{referee_id}", at)


def _referral_row(
    prog: ProgrammeConfig, s: ScanRecord, code: KnownCode, status: str, reasons: list[str]
) -> dict[str, Any]:
    return {
        "account_id": prog.account_id,
        "referrer_id": code.member_id,
        "referee_id": s.member_id,
        "code_id": code.code_id,
        "event_id": s.event_id,
        "scene": s.scene,
        "bound_at": s.at,
        "status": status,
        "reasons": reasons,
        "hold_until": s.at + timedelta(days=prog.referral_hold_days)
        if status == ReferralStatus.HELD
        else None,
        "decided_at": s.at if status == ReferralStatus.REFUSED else None,
        "decided_by": "rules" if status == ReferralStatus.REFUSED else None,
        "reward_points": 0,
    }


def _ancestors(session: Session, members: set[int]) -> dict[int, frozenset[int]]:
    """Who brought each of `members`, who brought them, and so on: one query per generation."""
    parent: dict[int, int] = {}
    frontier = set(members)
    for _ in range(ANCESTRY_DEPTH):
        rows = session.execute(
            select(Referral.referee_id, Referral.referrer_id).where(
                one_of(session, Referral.referee_id, sorted(frontier)),
                Referral.status != ReferralStatus.REFUSED,
            )
        )
        found = {int(child): int(up) for child, up in rows}
        parent.update(found)
        frontier = set(found.values()) - parent.keys() - members
        if not frontier:
            break
    lines: dict[int, frozenset[int]] = {}
    for m in members:
        line: list[int] = []
        node = parent.get(m)
        while node is not None and node not in line:
            line.append(node)
            node = parent.get(node)
        lines[m] = frozenset(line)
    return lines


BURST_LOCKS = 0x7265_6601  # pg_advisory_xact_lock's first key: "the binds through a referrer's codes"


def _judge_one_at_a_time(session: Session, referrers: set[int]) -> None:
    """Drains judging binds through the same referrer's codes take turns (until commit), so the
    later one counts the earlier one's binds: seven follows through one code split over two drains
    make the same burst as in one. In id order, so two drains never wait on each other in a circle;
    SQLite's writers take turns already."""
    if session.get_bind().dialect.name != "postgresql" or not referrers:
        return
    session.execute(
        text(
            "SELECT pg_advisory_xact_lock(:space, r) FROM"
            " (SELECT r FROM unnest(CAST(:ids AS integer[])) AS r ORDER BY r) AS turns"
        ),
        {"space": BURST_LOCKS, "ids": sorted(referrers)},
    )


def _recent_binds(
    session: Session, referrers: set[int], since: datetime, until: datetime
) -> dict[int, list[datetime]]:
    rows = session.execute(
        select(Referral.referrer_id, Referral.bound_at).where(
            one_of(session, Referral.referrer_id, sorted(referrers)),
            Referral.bound_at >= since,
            Referral.bound_at <= until,
            Referral.status != ReferralStatus.REFUSED,
        )
    )
    recent: dict[int, list[datetime]] = defaultdict(list)
    for referrer, at in rows:
        recent[int(referrer)].append(at)
    return recent
