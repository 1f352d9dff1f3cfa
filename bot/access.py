"""Who is acting and what they may do: the principal of a request (a staff member in the console, a
token or the operator's admin token in the API) checked against the permission map in one place."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g

from rules.accounts.roles import ROLE_NAMES, Area, Role, may
from services.accounts.audit import Actor
from services.accounts.registry import AccountRef

AREA_NAMES = {
    Area.READ: "查看",
    Area.PROGRAMME: "积分规则与奖品",
    Area.CAMPAIGNS: "营销活动",
    Area.MEMBERS: "会员管理",
    Area.REFERRALS: "推荐审核与渠道",
    Area.TILL: "收银与核销",
    Area.STAFF: "员工、令牌与日志",
}


@dataclass(frozen=True)
class Principal:
    account: AccountRef
    role: Role
    actor: Actor


class Forbidden(Exception):
    """The principal's role may not act in the area."""

    def __init__(self, role: Role, area: Area) -> None:
        super().__init__(f"{ROLE_NAMES[role]}无权进行「{AREA_NAMES[area]}」操作")
        self.role, self.area = role, area


AREAS: dict[str, Area] = {}  # endpoint: its area, for the API's operations and the console's pages


def guard(endpoint: str, area: Area) -> None:
    """Put an endpoint on the map (each is put there once, where it is registered)."""
    if AREAS.setdefault(endpoint, area) != area:
        raise ValueError(f"{endpoint} is already guarded by {AREAS[endpoint]}")


def enforce(endpoint: str | None, principal: Principal) -> None:
    """The one check: the endpoint's area against the principal's role; an endpoint off the map is
    refused, so a page cannot be added without saying who may use it."""
    area = AREAS.get(endpoint or "")
    if area is None:
        raise Forbidden(principal.role, Area.STAFF)
    require(principal, area)


def require(principal: Principal, area: Area) -> None:
    if not may(principal.role, area):
        raise Forbidden(principal.role, area)


def current() -> Principal:
    """The request's principal (set by the API's or the console's sign-in check)."""
    principal: Principal = g.principal
    return principal
