"""Who may do what: staff roles, the areas of the product, and the map between them.

Every API operation and console page belongs to one area; a role may act in an area or not. The map
is the one place access is decided, for the API's tokens and the console's staff alike.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"  # everything: staff, tokens, WeChat credentials
    OPERATOR = "operator"  # programme, rewards, campaigns, journeys, members, approvals
    CASHIER = "cashier"  # find a member, post orders and refunds, redeem codes
    VIEWER = "viewer"  # read only


ROLE_NAMES = {Role.OWNER: "店主", Role.OPERATOR: "运营", Role.CASHIER: "收银员", Role.VIEWER: "只读"}


class Area(StrEnum):
    READ = "read"  # reading anything of the account
    PROGRAMME = "programme"  # point tasks, tiers, settings, rewards
    CAMPAIGNS = "campaigns"  # campaigns and journeys
    MEMBERS = "members"  # adjusting points, tags, rebuilding balances
    REFERRALS = "referrals"  # approving and rejecting referrals, channels
    TILL = "till"  # orders, refunds, redemptions, custom events from the shop
    STAFF = "staff"  # staff, tokens, credentials, the audit log


PERMISSIONS: dict[Area, frozenset[Role]] = {
    Area.READ: frozenset(Role),
    Area.PROGRAMME: frozenset({Role.OWNER, Role.OPERATOR}),
    Area.CAMPAIGNS: frozenset({Role.OWNER, Role.OPERATOR}),
    Area.MEMBERS: frozenset({Role.OWNER, Role.OPERATOR}),
    Area.REFERRALS: frozenset({Role.OWNER, Role.OPERATOR}),
    Area.TILL: frozenset({Role.OWNER, Role.CASHIER}),
    Area.STAFF: frozenset({Role.OWNER}),
}


def may(role: Role | str, area: Area) -> bool:
    """True when `role` may act in `area`; an unknown role may do nothing."""
    return role in {r.value for r in PERMISSIONS[area]}


MAX_FAILURES = 5  # wrong passwords in a row before the sign-in is locked
LOCK_MINUTES = 15


def locked_after(failures: int) -> bool:
    return failures >= MAX_FAILURES
