"""Segments for the merchant: the funnel, the RFM table, stages, and KOL candidates explained."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, jsonify, request
from sqlalchemy import select

from bot.api import api, outputs
from bot.api.auth import current_account
from bot.api.db import read
from bot.api.errors import ApiError
from models import Member, utcnow
from services.segments import reports as segment_reports


@api.get("/funnel")
def get_funnel() -> Response:
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD` (days in the account's time zone, `to` included);
    the last 30 days when absent."""
    tz = ZoneInfo(current_account().timezone)
    today = utcnow().astimezone(tz).date()
    first, last = _day("from", today - timedelta(days=29)), _day("to", today)
    if last < first or (last - first).days > 3660:
        raise ApiError(422, "invalid_query", "to must be on or after from, within ten years")
    start = datetime.combine(first, time(), tz)
    end = datetime.combine(last + timedelta(days=1), time(), tz)
    steps = read(lambda s: segment_reports.funnel(s, current_account().id, start, end))
    return jsonify(
        {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "steps": [
                {"step": st.code, "name": st.name, "count": st.count, "conversion": st.conversion}
                for st in steps
            ],
        }
    )


def _day(name: str, default: date) -> date:
    value = request.args.get(name)
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(422, "invalid_query", f"{name} must be a date: YYYY-MM-DD") from None


@api.get("/rfm")
def get_rfm() -> Response:
    """The eight RFM segments with members and money, and the best 20% of buyers' share of it."""
    table = read(lambda s: segment_reports.rfm_table(s, current_account().id))
    return jsonify(
        {
            "segments": table.rows,
            "buyers": table.buyers,
            "monetary_fen": table.monetary_fen,
            "top20_share": table.top20_share,
        }
    )


@api.get("/stages")
def get_stages() -> Response:
    """Following members by relationship stage: 浅 → 粘 → 深 → 铁."""
    return jsonify({"stages": read(lambda s: segment_reports.stage_counts(s, current_account().id))})


@api.get("/kol")
def get_kol() -> Response:
    """The last scoring run's KOL candidates, each score with its parts and the evidence."""

    def load(session: Any) -> dict[str, Any]:
        run, candidates = segment_reports.kol_candidates(session, current_account().id)
        return {
            "run": None
            if run is None
            else {
                "at": outputs.iso(run.finished_at),
                "full": run.full,
                "members_scored": run.members_scored,
                "added": _openids(session, run.added),
                "dropped": _openids(session, run.dropped),
            },
            "candidates": [
                {
                    "rank": c.rank,
                    "openid": c.openid,
                    "score": c.score,
                    "parts": c.parts,
                    "evidence": {
                        **c.evidence,
                        "referees": [
                            {**r, "bound_at": outputs.iso(r["bound_at"])} for r in c.evidence["referees"]
                        ],
                    },
                }
                for c in candidates
            ],
        }

    return jsonify(read(load))


def _openids(session: Any, member_ids: list[int]) -> list[str]:
    if not member_ids:
        return []
    found = dict(session.execute(select(Member.id, Member.openid).where(Member.id.in_(member_ids))).all())
    return [found[m] for m in member_ids if m in found]
