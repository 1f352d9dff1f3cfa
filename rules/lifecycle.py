"""What a batch of stored callbacks means for the members: the plan the drain applies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from rules.messages import INTERACTIONS, valid_scene

FOLLOWS = ("subscribe", "subscribe_scan")


class Happened(NamedTuple):  # a tuple: thousands are made per batch
    """One stored callback as the rules see it, in delivery (id) order."""

    event_id: int
    member_id: int
    msg_type: str
    event: str | None
    key: str | None  # scene, click key or URL
    at: datetime  # CreateTime


@dataclass(frozen=True)
class ScanRecord:
    event_id: int
    member_id: int
    scene: str
    kind: str  # "subscribe": followed through the code; "scan": already following
    at: datetime


@dataclass
class LifecyclePlan:
    follows: list[tuple[int, datetime]] = field(default_factory=list)
    unfollows: list[tuple[int, datetime]] = field(default_factory=list)
    followed_last: set[int] = field(default_factory=set)  # their last follow/unfollow here: a follow
    unfollowed_last: set[int] = field(default_factory=set)
    interactions: dict[int, datetime] = field(default_factory=dict)  # member → latest interaction
    messages: dict[int, datetime] = field(default_factory=dict)  # member → latest message they sent
    scans: list[ScanRecord] = field(default_factory=list)
    first_scenes: dict[int, str] = field(default_factory=dict)  # the code a follower came through


def plan_lifecycle(batch: Iterable[Happened]) -> LifecyclePlan:
    """Sort a batch into follows, unfollows, scans and interaction times."""
    plan = LifecyclePlan()
    for h in batch:
        if h.event == "unsubscribe":
            plan.unfollows.append((h.member_id, h.at))
            plan.unfollowed_last.add(h.member_id)
            plan.followed_last.discard(h.member_id)
            continue
        if h.event in FOLLOWS:
            plan.follows.append((h.member_id, h.at))
            plan.followed_last.add(h.member_id)
            plan.unfollowed_last.discard(h.member_id)
        if h.event in ("subscribe_scan", "scan") and valid_scene(h.key):
            _scan(plan, h)
        if h.msg_type != "event":
            _latest(plan.messages, h.member_id, h.at)
        if h.msg_type != "event" or h.event in INTERACTIONS:
            _latest(plan.interactions, h.member_id, h.at)
    return plan


def _scan(plan: LifecyclePlan, h: Happened) -> None:
    kind = "subscribe" if h.event == "subscribe_scan" else "scan"
    plan.scans.append(ScanRecord(h.event_id, h.member_id, h.key or "", kind, h.at))
    if kind == "subscribe":
        plan.first_scenes.setdefault(h.member_id, h.key or "")


def _latest(times: dict[int, datetime], member_id: int, at: datetime) -> None:
    if member_id not in times or times[member_id] < at:
        times[member_id] = at
