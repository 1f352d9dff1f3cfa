"""What the graph must look like, worked out independently: in Python over the edges fetched once.

Nothing here calls Tiefen's services: the edges come from one plain query, the counts from dicts,
the rings from the planted layout and from `rules.referrals.referrals.on_rings` (a walk over child → parent).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from rules.referrals.referrals import on_rings

EDGES = (
    "SELECT referrer_id, referee_id, status, bound_at FROM referrals "
    "WHERE account_id = %s AND status <> 'refused'"
)
Row = tuple[int, int, int, int, int, int, int, int, datetime]  # id, cascade, direct, second, by status, first


@dataclass(frozen=True)
class Truth:
    top: list[Row]
    ring_members: frozenset[int]
    edges: int


def work_out(conn: psycopg.Connection[Any], account_id: int, top: int) -> Truth:
    """The top `top` referrers by direct + second degree (ties: first bind, id) and the ring members."""
    direct: dict[int, int] = defaultdict(int)
    by_status: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    first: dict[int, datetime] = {}
    parent: dict[int, int] = {}
    for referrer, referee, status, at in conn.execute(EDGES, [account_id]):
        direct[referrer] += 1
        by_status[referrer][status] += 1
        first[referrer] = min(first.get(referrer, at), at)
        parent[referee] = referrer
    second: dict[int, int] = defaultdict(int)
    for referee, referrer in parent.items():
        second[referrer] += direct.get(referee, 0)
    ranked = sorted(direct, key=lambda m: (-(direct[m] + second[m]), first[m], m))[:top]
    rows = [
        (m, direct[m] + second[m], direct[m], second[m], *(by_status[m][s] for s in STATUSES), _utc(first[m]))
        for m in ranked
    ]
    return Truth(rows, frozenset(on_rings(parent)), len(parent))


STATUSES = ("paid", "held", "review", "voided")


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC)


def check(name: str, expected: Any, actual: Any) -> dict[str, Any]:
    out = {"name": name, "expected": _short(expected), "actual": _short(actual), "holds": expected == actual}
    if not out["holds"] and isinstance(expected, list) and isinstance(actual, list):
        at = next((i for i, (e, a) in enumerate(zip(expected, actual, strict=False)) if e != a), None)
        out["first_difference"] = at is not None and {
            "at": at,
            "expected": str(expected[at]),
            "actual": str(actual[at]),
        }
    return out


def _short(value: Any) -> Any:
    """Counts as they are; long lists and sets only as their size (the JSON stays readable)."""
    if isinstance(value, list | set | frozenset | tuple) and len(value) > 5:
        return f"{len(value)} items"
    return value if isinstance(value, int | str | bool | None) else str(value)
