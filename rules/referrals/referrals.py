"""Referrals (代言): who brought whom, what it pays, and what looks like fraud."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from rules.inbound.menu import INVITE

MEMBER_SCENE = re.compile(r"^m(\d{1,12})-([a-z0-9]{6})$")  # a member's personal code
CHANNEL_CODE = r"^[a-z0-9][a-z0-9_-]{0,60}$"  # a channel's own code: shop counter, poster, staff
CHANNEL_SCENE = re.compile(r"^c-(" + CHANNEL_CODE[1:-1] + r")$")
BURST = (5, timedelta(minutes=10))  # this many binds through one code in this long: held for review
EXPIRY_GRACE = timedelta(minutes=5)  # clocks differ: a scan this soon after expiry still counts
DEFAULT_LADDER: tuple[tuple[int, int], ...] = ((3, 50), (10, 200), (50, 1000))
TEMPORARY_SECONDS = 30 * 24 * 3600  # WeChat's longest temporary code
REISSUE_BEFORE = timedelta(days=2)  # a member's code is renewed when it has less left than this
MAX_LADDER = 10  # steps of the referral ladder
MAX_LADDER_POINTS = 100_000
PERMANENT_CAP = 100_000  # permanent codes an account may hold (WeChat's limit)


class ReferralStatus(enum.StrEnum):
    """Where a referral stands (the `referrals.status` column)."""

    HELD = "held"  # paid after the hold, unless the friend leaves or never does a thing
    REVIEW = "review"  # the merchant decides
    REFUSED = "refused"  # never paid: self, refollow, ring
    PAID = "paid"
    VOIDED = "voided"  # the friend left in the hold, or the merchant rejected it
    CAPPED = "capped"  # decided to pay, but the referrer's cap was reached


INVITE_COMMAND = re.compile(r"^(推广码|邀请|邀请好友|我的海报|海报)$")


def is_invite(msg_type: str, event: str | None, key: str | None, content: str | None) -> bool:
    """A member asking for their poster: the text command or the menu's 邀请好友 click."""
    if msg_type == "event":
        return event == "click" and key == INVITE
    return msg_type == "text" and INVITE_COMMAND.match((content or "").strip()) is not None


def member_scene(member_id: int, salt: str) -> str:
    """The scene string of a member's code: their id and six characters nobody can guess."""
    return f"m{member_id}-{salt}"


def needs_issue(ticket: str | None, expires_at: datetime | None, permanent: bool, now: datetime) -> bool:
    """A code needs a (new) ticket when it has none, or when a temporary one nears its end."""
    if ticket is None:
        return True
    if permanent:
        return False
    return expires_at is None or expires_at - now < REISSUE_BEFORE


def channel_scene(code: str) -> str:
    return f"c-{code}"


def valid_channel_code(code: object) -> bool:
    return isinstance(code, str) and CHANNEL_SCENE.match(channel_scene(code)) is not None


@dataclass(frozen=True)
class KnownCode:
    """A code the account created, as the attribution rules see it."""

    code_id: int
    member_id: int | None
    channel_id: int | None
    expires_at: datetime | None  # None: permanent


def resolve(scene: str, code: KnownCode | None, at: datetime, owner_scene: str | None = None) -> str:
    """What a scanned scene names: "member", "channel", or why it names nothing usable.

    `owner_scene` is the real scene of the member a member-shaped scene claims (if any): a
    scene with that member's id but another salt was made up, not issued ("forged").
    """
    if code is None:
        if MEMBER_SCENE.match(scene) and owner_scene is not None and owner_scene != scene:
            return "forged"
        return "unknown_scene"
    if code.expires_at is not None and at > code.expires_at + EXPIRY_GRACE:
        return "expired"
    return "member" if code.member_id is not None else "channel"


def scene_member_id(scene: str) -> int | None:
    found = MEMBER_SCENE.match(scene)
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Bind:
    """A new follower who came through a member's code, as the fraud rules see it."""

    referrer_id: int
    referee_id: int
    at: datetime
    referee_followed_before: bool  # unfollowed and came back: never a referral
    referrer_ancestors: frozenset[int]  # who brought the referrer, and who brought them …
    # binds through this referrer's code already judged, within the burst window either side of this
    # one (not this one): either side, so drains judging binds out of time order still agree
    recent_binds: int


@dataclass(frozen=True)
class Verdict:
    status: ReferralStatus  # held (paid after the hold) | review (the merchant decides) | refused
    reasons: tuple[str, ...]


def judge(bind: Bind, burst_limit: int = BURST[0]) -> Verdict:
    """Refuse what cannot be a referral; hold what looks like a farm for the merchant; else hold."""
    if bind.referrer_id == bind.referee_id:
        return Verdict(ReferralStatus.REFUSED, ("self",))
    if bind.referee_followed_before:
        return Verdict(ReferralStatus.REFUSED, ("refollow",))
    if bind.referee_id in bind.referrer_ancestors:
        return Verdict(ReferralStatus.REFUSED, ("ring",))
    if bind.recent_binds + 1 >= burst_limit:
        return Verdict(ReferralStatus.REVIEW, ("burst",))
    return Verdict(ReferralStatus.HELD, ())


@dataclass(frozen=True)
class Settlement:
    status: ReferralStatus  # paid | voided | review
    reason: str | None


def settle(
    held_until: datetime, now: datetime, unfollowed_at: datetime | None, interacted: bool
) -> Settlement | None:
    """After the hold: void if the friend left inside it, review if they never did a thing, else pay.

    None while the hold is still running.
    """
    if unfollowed_at is not None and unfollowed_at <= held_until:
        return Settlement(ReferralStatus.VOIDED, "unfollowed")
    if now < held_until:
        return None
    if not interacted:
        return Settlement(ReferralStatus.REVIEW, "no_interaction")
    return Settlement(ReferralStatus.PAID, None)


def ladder_bonuses(
    paid_before: int, paid_now: int, ladder: tuple[tuple[int, int], ...]
) -> list[tuple[int, int]]:
    """(step, points) for each ladder step the referrer passes going from paid_before to paid_now."""
    return [(n, points) for n, points in ladder if paid_before < n <= paid_now]


def on_rings(parent: dict[int, int]) -> set[int]:
    """Members on referral rings (A→B→C→A) in a child → parent map; each member has one parent.

    Linear: every chain is walked once, colouring members as visited.
    """
    state: dict[int, int] = {}  # 1: on the current walk, 2: done
    ring: set[int] = set()
    for start in parent:
        path, node = [], start
        while node in parent and node not in state:
            state[node] = 1
            path.append(node)
            node = parent[node]
        if state.get(node) == 1:  # the walk came back to itself
            ring.update(path[path.index(node) :])
        for n in path:
            state[n] = 2
    return ring
