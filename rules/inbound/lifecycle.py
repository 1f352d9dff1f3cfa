"""What a batch of stored callbacks means for the members: the plan the drain applies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from rules.inbound.messages import API, INTERACTIONS, valid_scene

FOLLOWS = ("subscribe", "subscribe_scan")
WINDOW_EVENTS = ("subscribe", "subscribe_scan", "scan", "click")  # open WeChat's 1-minute reply window


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
    first_follow: bool = False  # a follow with no follow before it in the batch


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
    followed_any: set[int] = field(default_factory=set)  # members with a follow in this batch
    window_events: dict[int, datetime] = field(default_factory=dict)  # latest follow, scan or click


def plan_lifecycle(batch: Iterable[Happened]) -> LifecyclePlan:
    """Sort a batch into follows, unfollows, scans and interaction times."""
    plan = LifecyclePlan()
    for h in batch:
        if h.event == "unsubscribe":
            plan.unfollows.append((h.member_id, h.at))
            plan.unfollowed_last.add(h.member_id)
            plan.followed_last.discard(h.member_id)
            continue
        first_follow = h.event in FOLLOWS and h.member_id not in plan.followed_any
        if h.event in FOLLOWS:
            plan.followed_any.add(h.member_id)
            plan.follows.append((h.member_id, h.at))
            plan.followed_last.add(h.member_id)
            plan.unfollowed_last.discard(h.member_id)
        if h.event in ("subscribe_scan", "scan") and valid_scene(h.key):
            _scan(plan, h, first_follow)
        if h.msg_type not in ("event", API):  # only what the member sent WeChat opens its 48 h window
            _latest(plan.messages, h.member_id, h.at)
        if h.msg_type != "event" or h.event in INTERACTIONS:
            _latest(plan.interactions, h.member_id, h.at)
        if h.event in WINDOW_EVENTS:
            _latest(plan.window_events, h.member_id, h.at)
    return plan


def _scan(plan: LifecyclePlan, h: Happened, first_follow: bool) -> None:
    kind = "subscribe" if h.event == "subscribe_scan" else "scan"
    plan.scans.append(ScanRecord(h.event_id, h.member_id, h.key or "", kind, h.at, first_follow))
    if kind == "subscribe":
        plan.first_scenes.setdefault(h.member_id, h.key or "")


def _latest(times: dict[int, datetime], member_id: int, at: datetime) -> None:
    if member_id not in times or times[member_id] < at:
        times[member_id] = at
