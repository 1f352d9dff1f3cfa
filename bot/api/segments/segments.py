"""Segments for the merchant: the funnel, the RFM table, stages, and KOL candidates explained."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.api.auth import current_account
from bot.api.errors import ApiError
from bot.api.outputs import local
from bot.api.routes import operation
from bot.api.segments.schemas import (
    Funnel,
    FunnelQuery,
    FunnelStep,
    Kol,
    KolBar,
    KolCandidate,
    KolRun,
    Rfm,
    Stages,
)
from bot.db import read
from models import utcnow
from services.accounts import members
from services.segments import reports as segment_reports


@operation("GET", "/funnel", tag="segments", answer=Funnel, query=FunnelQuery)
def get_funnel(query: FunnelQuery) -> Funnel:
    """The funnel (aware → trial → registered → loyal) for a range of days
    Days in the account's time zone, `to` included; the last 30 days when absent."""
    tz = ZoneInfo(current_account().timezone)
    today = utcnow().astimezone(tz).date()
    first, last = query.from_ or today - timedelta(days=29), query.to or today
    if last < first or (last - first).days > 3660:
        raise ApiError(
            422,
            "invalid_query",
            "the query does not hold",
            ["to: must be on or after from, within ten years"],
        )
    start = datetime.combine(first, time(), tz)
    end = datetime.combine(last + timedelta(days=1), time(), tz)
    steps = read(lambda s: segment_reports.funnel(s, current_account().id, start, end))
    rows = [
        FunnelStep.model_validate(
            {"step": st.code, "name": st.name, "count": st.count, "conversion": st.conversion}
        )
        for st in steps
    ]
    return Funnel.model_validate({"from": first, "to": last, "steps": rows})


@operation("GET", "/rfm", tag="segments", answer=Rfm)
def get_rfm() -> Rfm:
    """The eight RFM segments with members and money, and the best 20% of buyers' share of it"""
    table = read(lambda s: segment_reports.rfm_table(s, current_account().id))
    return Rfm.model_validate(
        {
            "segments": table.rows,
            "buyers": table.buyers,
            "monetary_fen": table.monetary_fen,
            "top20_share": table.top20_share,
        }
    )


@operation("GET", "/stages", tag="segments", answer=Stages)
def get_stages() -> Stages:
    """Following members by relationship stage: 浅 → 粘 → 深 → 铁"""
    return Stages.model_validate(
        {"stages": read(lambda s: segment_reports.stage_counts(s, current_account().id))}
    )


@operation("GET", "/kol", tag="segments", answer=Kol)
def get_kol() -> Kol:
    """The last scoring run's KOL candidates, each score with its parts and the evidence"""

    def load(session: Session) -> Kol:
        run, candidates = segment_reports.kol_candidates(session, current_account().id)
        last = None
        if run is not None and run.finished_at is not None:
            last = KolRun(
                at=local(run.finished_at),
                full=run.full,
                members_scored=run.members_scored,
                added=members.openids_of(session, run.added),
                dropped=members.openids_of(session, run.dropped),
            )
        found = [
            KolCandidate.model_validate(
                {
                    "rank": c.rank,
                    "openid": c.openid,
                    "score": c.score,
                    "parts": c.parts,
                    "evidence": c.evidence,
                    "evidence_count": c.evidence_count,
                }
            )
            for c in candidates
        ]
        for candidate in found:
            for referee in candidate.evidence.referees:
                referee.bound_at = local(referee.bound_at)
        bar = segment_reports.kol_bar(session, current_account().id)
        limits = KolBar.model_validate(
            {
                "min_score": bar.min_score,
                "min_evidence": bar.min_evidence,
                "evidence_parts": segment_reports.bar_parts(),
            }
        )
        return Kol(bar=limits, run=last, candidates=found)

    return read(load)
