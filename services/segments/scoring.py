"""The scoring job's SQL: stages, RFM, influence and rule tags for a whole account (or only the
members touched since the last run), KOL candidates, and the runs that record them.

One INSERT … SELECT per step, over GROUP BYs of the activity tables: no Python loop over members.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Integer, bindparam, func, select, text
from sqlalchemy.orm import Session

from models import EventStatus, InboundEvent, KolRun, Member, MemberScore, MemberTag, Programme, utcnow
from models.base import UTCDateTime
from models.upsert import dialect_of
from rules.clock import business_date
from rules.segments.scoring import FRAUD_REASONS, PARTS, SEGMENTS, STAGES, KolBar, kol_shortfall, weights_of
from services.points.programme import ProgrammeConfig
from services.referrals import shares
from services.segments import increments as segment_increments

LATE = timedelta(hours=1)  # follows and reads may be written this long after they happened
RULE_TAG_PREFIXES = ("阶段:", "RFM:", "等级:", "KOL")
KOL_TAG = "KOL候选"


@dataclass(frozen=True)
class Scope:
    """Which members a run scores: everyone (full) or those touched since the watermark."""

    full: bool
    watermark: int  # inbound events up to this id were counted by the last run
    since: datetime | None  # shares, reads and likes after this were not
    table: bool = False  # the touched ids are in the temp table `scoring_touched` (PostgreSQL)


def _dirty(scope: Scope) -> str:
    """SQL for the ids of members whose scores may have changed since the last run."""
    if scope.full:
        return "SELECT id FROM members WHERE account_id = :a"
    return """
        SELECT e.member_id AS id FROM inbound_events e
        WHERE e.account_id = :a AND e.id > :w AND e.member_id IS NOT NULL
        UNION SELECT m.id FROM members m
        WHERE m.account_id = :a AND m.openid IN (  -- events not applied (yet), or stored before 0015
            SELECT e.openid FROM inbound_events e
            WHERE e.account_id = :a AND e.id > :w AND e.member_id IS NULL)
        UNION SELECT sharer_id FROM page_views
            WHERE account_id = :a AND sharer_id IS NOT NULL AND (viewed_at >= :since OR followed_at >= :since)
        UNION SELECT member_id FROM shares WHERE account_id = :a AND shared_at >= :since
        UNION SELECT r.member_id FROM review_likes l JOIN reviews r ON r.id = l.review_id
            WHERE r.account_id = :a AND l.created_at >= :since
    """


def _touched(scope: Scope) -> str:
    """The dirty members, their referrers (who count their friends' check-ins, reviews and
    referrals), and the referrers of those referrers whose count of live referrals moved away from
    what they lent to it (a friend's new or voided referral): only then does a referrer's referrer's
    second-degree sum move. A referrer's own check-ins and reviews move only with its own events,
    which make it dirty."""
    if scope.full:
        return "SELECT id FROM members WHERE account_id = :a"
    if scope.table:
        return "SELECT id FROM scoring_touched"
    return f"""
        SELECT id FROM dirty
        UNION SELECT referrer_id FROM referrals WHERE referee_id IN (SELECT id FROM dirty)
        UNION SELECT up.referrer_id FROM referrals up JOIN referrals r ON r.referrer_id = up.referee_id
            WHERE r.referee_id IN (SELECT id FROM dirty)
            AND CASE WHEN up.{segment_increments.LIVE} THEN (
                    SELECT COUNT(*) FROM referrals x
                    WHERE x.referrer_id = up.referee_id AND x.account_id = :a AND x.{segment_increments.LIVE})
                ELSE 0 END
                <> COALESCE(
                    (SELECT s.lent_second_degree FROM member_scores s WHERE s.member_id = up.referee_id), 0)
    """


SCORE_SQL = """
WITH dirty AS ({dirty}),
touched AS ({touched}),
o AS (
    SELECT member_id, MAX(paid_at) AS last_paid, COUNT(*) AS f, SUM(amount_fen - refunded_fen) AS m
    FROM orders WHERE account_id = :a AND paid_at >= :rfm_since AND amount_fen > refunded_fen
    GROUP BY member_id),
q AS (
    SELECT member_id, last_paid, f, m,
        {quintile_r} AS r, {quintile_f} AS f_score, {quintile_m} AS m_score
    FROM o),
bought AS (
    SELECT DISTINCT member_id FROM orders
    WHERE account_id = :a AND amount_fen > refunded_fen AND member_id IN (SELECT id FROM touched)),
live AS (
    SELECT referrer_id, referee_id FROM referrals
    WHERE account_id = :a AND status NOT IN ('refused', 'voided')),
near AS (
    SELECT id FROM touched
    UNION SELECT referee_id FROM live WHERE referrer_id IN (SELECT id FROM touched)),
ck AS (
    SELECT member_id, COUNT(*) AS n FROM checkins
    WHERE account_id = :a AND day >= :activity_day AND member_id IN (SELECT id FROM near)
    GROUP BY member_id),
rv AS (
    SELECT member_id, COUNT(*) AS n,
        SUM(CASE WHEN rating >= 4 AND status = 'approved' THEN 1 ELSE 0 END) AS good,
        SUM(CASE WHEN rating >= 4 AND status = 'approved' THEN like_count ELSE 0 END) AS liked
    FROM reviews WHERE account_id = :a AND member_id IN (SELECT id FROM near)
    GROUP BY member_id),
lk AS (
    SELECT l.member_id, COUNT(*) AS n FROM review_likes l JOIN reviews r ON r.id = l.review_id
    WHERE r.account_id = :a AND l.member_id IN (SELECT id FROM touched)
    GROUP BY l.member_id),
sh AS (
    SELECT member_id, COUNT(*) AS n FROM shares
    WHERE account_id = :a AND member_id IN (SELECT id FROM touched) GROUP BY member_id),
pv AS (
    SELECT sharer_id AS member_id, COUNT(*) AS reads,
        COUNT(DISTINCT CASE WHEN followed_at IS NOT NULL THEN viewer_openid END) AS follows FROM page_views
    WHERE account_id = :a AND sharer_id IN (SELECT id FROM touched) GROUP BY sharer_id),
rf AS (
    SELECT referrer_id AS member_id, COUNT(*) AS n FROM live
    WHERE referrer_id IN (SELECT id FROM touched) GROUP BY referrer_id),
rf2 AS (
    SELECT a.referrer_id AS member_id, COUNT(*) AS n FROM live a JOIN live b ON b.referrer_id = a.referee_id
    WHERE a.referrer_id IN (SELECT id FROM touched) GROUP BY a.referrer_id),
down AS (
    SELECT l.referrer_id AS member_id, SUM(COALESCE(ck.n, 0) + COALESCE(rv.n, 0)) AS n
    FROM live l LEFT JOIN ck ON ck.member_id = l.referee_id LEFT JOIN rv ON rv.member_id = l.referee_id
    WHERE l.referrer_id IN (SELECT id FROM touched) GROUP BY l.referrer_id),
counted AS (
    SELECT m.id AS member_id, m.last_interaction_at, m.last_followed_at, m.tier_code,
        COALESCE(ck.n, 0) + COALESCE(rv.n, 0) + COALESCE(lk.n, 0) AS activity,
        COALESCE(rv.good, 0) AS good_reviews, COALESCE(rv.liked, 0) AS review_likes,
        COALESCE(sh.n, 0) AS shares, COALESCE(pv.reads, 0) AS share_reads,
        COALESCE(pv.follows, 0) AS share_follows, COALESCE(rf.n, 0) AS referrals,
        COALESCE(rf2.n, 0) AS second_degree, COALESCE(down.n, 0) AS downstream_activity,
        CASE WHEN mine.referee_id IS NULL THEN 0 ELSE COALESCE(rf.n, 0) END AS lent_second_degree,
        CASE WHEN mine.referee_id IS NULL THEN 0 ELSE COALESCE(ck.n, 0) + COALESCE(rv.n, 0) END
            AS lent_downstream,
        bought.member_id IS NOT NULL AS has_bought,
        q.last_paid, q.f, q.m, q.r, q.f_score, q.m_score
    FROM members m
    LEFT JOIN ck ON ck.member_id = m.id LEFT JOIN rv ON rv.member_id = m.id
    LEFT JOIN lk ON lk.member_id = m.id LEFT JOIN sh ON sh.member_id = m.id
    LEFT JOIN pv ON pv.member_id = m.id LEFT JOIN rf ON rf.member_id = m.id
    LEFT JOIN rf2 ON rf2.member_id = m.id LEFT JOIN down ON down.member_id = m.id
    LEFT JOIN bought ON bought.member_id = m.id LEFT JOIN q ON q.member_id = m.id
    LEFT JOIN live mine ON mine.referee_id = m.id
    WHERE m.account_id = :a AND m.id IN (SELECT id FROM touched))
"""
TAIL_SQL = """
parted AS (SELECT counted.*, {parts} FROM counted)
INSERT INTO member_scores (member_id, account_id, stage, recency_days, frequency, monetary_fen,
                           r, f, m, rfm_segment, influence, parts, kol, computed_at,
                           second_degree, downstream, lent_second_degree, lent_downstream, tier_code)
SELECT member_id, :a,
    CASE WHEN referrals > 0 OR share_follows > 0 THEN 'iron'
         WHEN has_bought THEN 'deep'
         WHEN last_interaction_at >= :active_since
              AND last_interaction_at > COALESCE(last_followed_at, :epoch) THEN 'sticky'
         ELSE 'light' END,
    {recency_days}, COALESCE(f, 0), COALESCE(m, 0), r, f_score, m_score,
    CASE WHEN r IS NULL THEN NULL {segment_cases} END,
    {score}, {parts_json}, FALSE, :now,
    second_degree, downstream_activity, lent_second_degree, lent_downstream, tier_code
FROM parted WHERE TRUE
ON CONFLICT (member_id) DO UPDATE SET
    stage = excluded.stage, recency_days = excluded.recency_days, frequency = excluded.frequency,
    monetary_fen = excluded.monetary_fen, r = excluded.r, f = excluded.f, m = excluded.m,
    rfm_segment = excluded.rfm_segment, influence = excluded.influence, parts = excluded.parts,
    computed_at = excluded.computed_at, second_degree = excluded.second_degree,
    downstream = excluded.downstream, lent_second_degree = excluded.lent_second_degree,
    lent_downstream = excluded.lent_downstream, tier_code = excluded.tier_code
"""


def _quintile(cume_dist: str, dialect: str) -> str:
    """CEIL(cume_dist × 5): ties share a score. SQLite may lack CEIL; its CAST truncates."""
    x = f"({cume_dist} * 5 - 0.000001)"
    if dialect == "postgresql":
        return f"CAST(CEIL({x}) AS INTEGER)"
    return f"CAST({x} AS INTEGER) + 1"


SCOPED = re.compile(r"\b(AND|WHERE) (?:\w+\.)?\w+ IN \(SELECT id FROM (?:touched|near)\)")


def _everyone(sql: str) -> str:
    """A full run scores everyone: no "IN (touched)" filters to plan around."""
    return SCOPED.sub(lambda m: "" if m.group(1) == "AND" else "WHERE TRUE", sql)


def _score_sql(scope: Scope, dialect: str) -> str:
    parts = ",\n        ".join(f"ROUND(CAST({p} * :w_{p} AS NUMERIC), 2) AS p_{p}" for p in PARTS)
    score = " + ".join(f"p_{p}" for p in PARTS)
    json_fn = "json_build_array" if dialect == "postgresql" else "json_array"  # in PARTS order
    pairs = ", ".join(f"p_{p}" for p in PARTS)
    seg = " ".join(
        f"WHEN r {'>=' if rh else '<'} 3 AND f_score {'>=' if fh else '<'} 3 "
        f"AND m_score {'>=' if mh else '<'} 3 THEN '{code}'"
        for (rh, fh, mh), (code, _) in SEGMENTS.items()
    )
    days = (
        "CAST(FLOOR(EXTRACT(EPOCH FROM (:now - last_paid)) / 86400) AS INTEGER)"
        if dialect == "postgresql"
        else "CAST(julianday(:now) - julianday(last_paid) AS INTEGER)"
    )
    if scope.table:  # counted from the temp table, member by member; the rows kept for the tags
        parted, insert = TAIL_SQL.split("\nINSERT", 1)
        sql = f"WITH {segment_increments.COUNTED_SQL}, {parted}, " + segment_increments.written_into(
            "INSERT" + insert
        )
    else:
        sql = (SCORE_SQL if not scope.full else _everyone(SCORE_SQL)) + "," + TAIL_SQL
    return sql.format(
        dirty=_dirty(scope),
        touched=_touched(scope),
        parts=parts,
        quintile_r=_quintile("CUME_DIST() OVER (ORDER BY last_paid)", dialect),
        quintile_f=_quintile("CUME_DIST() OVER (ORDER BY f)", dialect),
        quintile_m=_quintile("CUME_DIST() OVER (ORDER BY m)", dialect),
        recency_days=f"CASE WHEN last_paid IS NULL THEN NULL ELSE {days} END",
        segment_cases=seg,
        score=f"CAST({score} AS FLOAT)",
        parts_json=f"{json_fn}({pairs})",
    )


TIMES = ("now", "since", "rfm_since", "active_since", "epoch")


def rfm_since(now: datetime, settings: Programme) -> datetime:
    return now - timedelta(days=settings.rfm_window_days)


def _timed(sql: str) -> Any:
    """text(sql) with the time parameters it names bound as UTC datetimes (SQLite stores text)."""
    return text(sql).bindparams(*[bindparam(t, type_=UTCDateTime()) for t in TIMES if f":{t}" in sql])


def _written(session: Session, sql: str, params: dict[str, Any]) -> int:
    """Rows an INSERT or UPDATE wrote; SQLite reports no count for statements led by WITH."""
    if dialect_of(session) == "postgresql":
        return int(session.connection().execute(_timed(sql), params).rowcount or 0)
    return len(session.execute(_timed(sql + " RETURNING 1"), params).all())


def score(
    session: Session,
    prog: ProgrammeConfig,
    scope: Scope,
    now: datetime,
    settings: Programme,
    cuts: Future[segment_increments.RfmCuts] | None = None,
) -> int:
    """Write the scores of the members in `scope`; returns how many rows were written. An
    incremental run's RFM cuts come from `cuts` when it started them already."""
    dialect = dialect_of(session)
    weights = weights_of(settings.kol_weights)
    sql = _score_sql(scope, dialect)
    if dialect == "postgresql":  # GROUP BYs over millions of rows: hash them in memory, no JIT
        session.execute(text("SET LOCAL work_mem = '256MB'"))
        session.execute(text("SET LOCAL jit = off"))
        if scope.full:  # the planner misjudges the joins of a million groups into nested loops
            session.execute(text("SET LOCAL enable_nestloop = off"))
    params: dict[str, Any] = {
        "a": prog.account_id,
        "w": scope.watermark,
        "since": scope.since or now,
        "now": now,
        "rfm_since": rfm_since(now, settings),
        "active_since": now - timedelta(days=settings.active_days),
        "activity_day": business_date(now - timedelta(days=settings.rfm_window_days), prog.timezone),
        "epoch": datetime(1970, 1, 1, tzinfo=now.tzinfo),
        **{f"w_{p}": weights[p] for p in PARTS},
    }
    if scope.table:
        found = cuts.result() if cuts else segment_increments.rfm_cuts(session, params)
        params.update(found.params())
        segment_increments.count_own(session, params)
    return _written(session, sql, params)


def account_lock(session: Session, account_id: int) -> bool:
    """Hold the account's scoring lock for this transaction (PostgreSQL); False if another run has it.

    SQLite takes one writer at a time anyway: the second run waits for the first.
    """
    if dialect_of(session) != "postgresql":
        return True
    key = zlib.crc32(f"tiefen:segments:{account_id}".encode())
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}))


def last_run(session: Session, account_id: int) -> KolRun | None:
    return session.scalar(
        select(KolRun)
        .where(KolRun.account_id == account_id, KolRun.finished_at.is_not(None))
        .order_by(KolRun.id.desc())
        .limit(1)
    )


def watermark(session: Session, account_id: int) -> int:
    return int(
        session.scalar(select(func.max(InboundEvent.id)).where(InboundEvent.account_id == account_id)) or 0
    )


FRAUD_LIKE = " OR ".join("CAST(reasons AS TEXT) LIKE '%\"" + r + "\"%'" for r in FRAUD_REASONS)
FRAUD_HELD = f"""
    SELECT DISTINCT referrer_id FROM referrals
    WHERE account_id = :a AND status = 'review' AND ({FRAUD_LIKE})
"""


def pick_candidates(
    session: Session,
    account_id: int,
    top_n: int,
    threshold: float | None,
    bar: KolBar,
    weights: Mapping[str, float],
) -> list[int]:
    """KOL candidates, best first: the top N by influence (or all at or above the threshold),
    following, clearing the bar (`kol_shortfall`: a minimum score and evidence) and with no referral
    rewards held for fraud. Scores are read best first until N clear the bar."""
    floor = max(bar.min_score, threshold or 0.0)
    found = session.execute(
        select(MemberScore.member_id, MemberScore.influence, MemberScore.parts)
        .join(Member, Member.id == MemberScore.member_id)
        .where(
            MemberScore.account_id == account_id,
            MemberScore.influence >= floor,
            MemberScore.influence > 0,
            Member.following,
            MemberScore.member_id.not_in(
                text(FRAUD_HELD).bindparams(a=account_id).columns(referrer_id=Integer)
            ),
        )
        .order_by(MemberScore.influence.desc(), MemberScore.member_id)
        .execution_options(yield_per=500)
    )
    chosen: list[int] = []
    for member_id, influence, parts in found:
        if not kol_shortfall(influence, parts, weights, bar):
            chosen.append(int(member_id))
            if threshold is None and len(chosen) >= top_n:
                break
    found.close()
    session.execute(
        text("UPDATE member_scores SET kol = FALSE WHERE account_id = :a AND kol"), {"a": account_id}
    )
    if chosen:
        session.execute(
            text("UPDATE member_scores SET kol = TRUE WHERE member_id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": chosen},
        )
    return chosen


def _desired_tags(scope: Scope) -> str:
    stage = " ".join(f"WHEN '{code}' THEN '阶段:{name}'" for code, name in STAGES.items())
    segment = " ".join(f"WHEN '{code}' THEN 'RFM:{name}'" for code, name in dict(SEGMENTS.values()).items())
    if scope.table:
        return segment_increments.DESIRED_SQL.format(stage=stage, segment=segment, kol=KOL_TAG)
    within = "" if scope.full else "AND s.member_id IN (SELECT id FROM touched)"
    return f"""
        SELECT s.member_id, CASE s.stage {stage} END AS tag FROM member_scores s
        WHERE s.account_id = :a {within}
        UNION ALL SELECT s.member_id, CASE s.rfm_segment {segment} END FROM member_scores s
        WHERE s.account_id = :a AND s.rfm_segment IS NOT NULL {within}
        UNION ALL SELECT s.member_id, '{KOL_TAG}' FROM member_scores s WHERE s.account_id = :a AND s.kol
        UNION ALL SELECT m.id, '等级:' || t.name FROM members m
        JOIN tiers t ON t.account_id = m.account_id AND t.code = m.tier_code
        WHERE m.account_id = :a {within.replace("s.member_id", "m.id")}
    """


ADD_TAGS = """
    INSERT INTO member_tags (account_id, member_id, tag, source, created_at)
    SELECT :a, d.member_id, d.tag, 'rule', :now FROM desired d WHERE NOT EXISTS (
        SELECT 1 FROM member_tags t
        WHERE t.member_id = d.member_id AND t.tag = d.tag AND t.removed_at IS NULL)
    ON CONFLICT (member_id, tag) DO UPDATE SET removed_at = NULL, mirrored_at = NULL, source = 'rule'
"""
# An account's first build (no rule tags yet; a million of them to write): a plain INSERT, a fifth
# faster than ON CONFLICT's speculative one. A tag of the same name set by hand, even removed, is left
# as it is; the next run's ADD_TAGS brings a removed one back as a rule tag.
FIRST_TAGS = """
    INSERT INTO member_tags (account_id, member_id, tag, source, created_at)
    SELECT :a, d.member_id, d.tag, 'rule', :now FROM desired d WHERE NOT EXISTS (
        SELECT 1 FROM member_tags t WHERE t.member_id = d.member_id AND t.tag = d.tag)
"""


def sync_rule_tags(session: Session, account_id: int, scope: Scope, now: datetime) -> tuple[int, int]:
    """Rule tags follow the scores: new ones added (or brought back), stale ones marked removed
    (the mirror job untags them on WeChat). Returns (added, removed)."""
    params = {"a": account_id, "w": scope.watermark, "since": scope.since or now, "now": now}
    if scope.table:
        return segment_increments.sync_tags(session, _desired_tags(scope), {**params, "kol": KOL_TAG})
    ctes = (("dirty", _dirty(scope)), ("touched", _touched(scope)), ("desired", _desired_tags(scope)))
    prefix = "WITH " + ", ".join(f"{name} AS ({sql})" for name, sql in ctes) + " "
    first = (
        select(MemberTag.id).where(MemberTag.account_id == account_id, MemberTag.source == "rule").limit(1)
    )
    had_rules = session.scalar(first) is not None
    added = _written(session, prefix + (ADD_TAGS if had_rules else FIRST_TAGS), params)
    if not had_rules:  # a first build: nothing to take back
        return added, 0
    stale = """t.account_id = :a AND t.source = 'rule' AND t.removed_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM desired d WHERE d.member_id = t.member_id AND d.tag = t.tag)"""
    if scope.full:
        tags = f"SELECT t.id FROM member_tags t WHERE {stale}"
    else:  # the touched members' tags and the KOL tags, each through its index
        tags = f"""SELECT t.id FROM member_tags t WHERE t.member_id IN (SELECT id FROM touched) AND {stale}
            UNION ALL SELECT t.id FROM member_tags t WHERE t.tag = '{KOL_TAG}' AND {stale}"""
    removed = _written(
        session, prefix + f"UPDATE member_tags SET removed_at = :now WHERE id IN ({tags})", params
    )
    return added, removed


@dataclass
class RunOutcome:
    full: bool = False
    scored: int = 0
    candidates: list[int] = field(default_factory=list)
    added: list[int] = field(default_factory=list)  # new KOL candidates since the last run
    dropped: list[int] = field(default_factory=list)
    tags: tuple[int, int] = (0, 0)  # rule tags added, removed
    skipped: bool = False  # another run holds the account


STEPS = ("follows from shares", "scores", "KOL candidates", "rule tags")


def run(
    session: Session,
    prog: ProgrammeConfig,
    settings: Programme,
    full: bool,
    now: datetime,
    step: Callable[[str], None] = lambda _: None,
) -> RunOutcome:
    """Score the account (everyone, or only members touched since the last run), pick the KOL
    candidates, keep the rule tags in step and record the run; all in the caller's transaction,
    so a crash halfway leaves the last run's results and watermark as they were."""
    if not account_lock(session, prog.account_id):
        return RunOutcome(skipped=True)
    previous = last_run(session, prog.account_id)
    full = full or previous is None or not previous.referral_sums
    since = previous.started_at - LATE if previous else None  # late drains and follows: a margin
    scope = Scope(full, previous.watermark if previous else 0, since)
    mark = safe_watermark(session, prog.account_id)
    cuts, apart = None, not full and dialect_of(session) == "postgresql"
    step(STEPS[0])
    follows = partial(shares.attribute_follows, account_id=prog.account_id, since=scope.since)
    if apart:  # three connections at once (segment_increments): follows, RFM cuts, the touched
        followed = segment_increments.committed_meanwhile(session, follows)
        window = {"a": prog.account_id, "rfm_since": rfm_since(now, settings)}
        cuts = segment_increments.cuts_meanwhile(session, window)
        # the follows marked now make their sharers dirty for the next run (followed_at >= since)
        scope = collect_touched(session, prog.account_id, scope, now)
        followed.result()  # committed before the counts, which read them on two connections
    else:
        follows(session)
    step(STEPS[1])
    outcome = RunOutcome(full=full, scored=score(session, prog, scope, now, settings, cuts))
    step(STEPS[2])
    outcome.candidates = pick_candidates(
        session,
        prog.account_id,
        settings.kol_top_n,
        settings.kol_threshold,
        KolBar(settings.kol_min_score, settings.kol_min_evidence),
        weights_of(settings.kol_weights),
    )
    before = set(previous.candidates if previous else [])
    outcome.added = [m for m in outcome.candidates if m not in before]
    outcome.dropped = sorted(before - set(outcome.candidates))
    step(STEPS[3])
    outcome.tags = sync_rule_tags(session, prog.account_id, scope, now)
    session.add(
        KolRun(
            account_id=prog.account_id,
            full=full,
            started_at=now,
            finished_at=utcnow(),
            watermark=mark,
            members_scored=outcome.scored,
            candidates=outcome.candidates,
            added=outcome.added,
            dropped=outcome.dropped,
            referral_sums=True,
        )
    )
    return outcome


def collect_touched(session: Session, account_id: int, scope: Scope, now: datetime) -> Scope:
    """Put an incremental run's members in an indexed, analysed temp table: the planner then
    probes the activity tables' member indexes for them instead of scanning millions of rows.
    In id order: consecutive probes then land on the same index and heap pages (the tables are
    mostly in member order), which are already in PostgreSQL's buffers."""
    sql = f"WITH dirty AS ({_dirty(scope)}) {_touched(scope)}"
    session.execute(text("CREATE TEMP TABLE scoring_touched (id integer PRIMARY KEY) ON COMMIT DROP"))
    session.execute(
        _timed(f"INSERT INTO scoring_touched SELECT DISTINCT id FROM ({sql}) t WHERE id > 0 ORDER BY id"),
        {"a": account_id, "w": scope.watermark, "since": scope.since or now, "now": now},
    )
    session.execute(text("ANALYZE scoring_touched"))
    segment_increments.by_member(session)
    return Scope(scope.full, scope.watermark, scope.since, table=True)


def safe_watermark(session: Session, account_id: int) -> int:
    """The last event id every later run may take as counted: below the oldest still pending."""
    newest = watermark(session, account_id)
    pending = session.scalar(
        select(func.min(InboundEvent.id)).where(
            InboundEvent.account_id == account_id, InboundEvent.status == EventStatus.PENDING.value
        )
    )
    return min(newest, int(pending) - 1) if pending is not None else newest
