"""An incremental run's SQL on PostgreSQL, driven from the touched members' temp table.

`collect_touched` (in `segments`) leaves the members to rescore in `scoring_touched`. Every count
here starts from that table and probes the activity tables' member indexes, one member at a time
(LATERAL), so the run's cost follows the members touched, not the million in the account: no
GROUP BY over the activity tables, no join against every member.

RFM quintiles still rank each touched buyer among all the account's buyers, exactly as the full
run's CUME_DIST does, but through four cut values per measure (`rfm_cuts`): the value at each fifth
of the sorted buyers. A buyer's quintile is 1 + how many cuts its value reaches.

Referral sums move by deltas. Every row of `member_scores` keeps the member's second-degree and
downstream sums and what it lends to its referrer's (its live referrals; its check-ins in the window
plus its reviews; 0 while its own referral is refused or voided). An incremental run counts each
touched member's own activity afresh (`scoring_own`); a touched member whose referrer is touched too
lends its new values, and the referrer's sums move by new minus lent before. Referees outside the
touched members are not read: a referrer with hundreds of friends costs what its changed friends
cost. The price: what changes without an event stays as last counted in the referrer's sums until
a full run, that is an untouched referee's check-ins ageing out of the window and a referral voided
or refused by hand. The nightly full rebuild (`tasks/cron.py`) recounts them; a member touched only
at the top (a referrer's referrer, whose own referrer is not touched) keeps lending what it lent,
so that the sums above it stay the sums of what was lent.

Two connections: the RFM cuts, and the counts of the upper half of the touched members, are read
on a second connection while the run's own works (otherwise the job waits on one backend, one core).
Both read committed rows only: the run's one write before them, the follows from shares, is
committed first. The run's writes stay in its one transaction.

Check-ins, shares and likes given are counted by member alone (a member's rows are its
account's), so that the member indexes answer without reading the rows (index-only scans).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, bindparam, text
from sqlalchemy.orm import Session

from models.base import UTCDateTime

T = TypeVar("T")
LIVE = "status NOT IN ('refused', 'voided')"
MEASURES = ("r", "f", "m")
# the 1-based position in the ascending buyers of the first value scoring above quintile k:
# CEIL(cume_dist × 5 - 0.000001) <= k  ⇔  (buyers at or below the value) <= FLOOR((k + 0.000001) × n / 5)
POSITIONS = ", ".join(f"CAST(FLOOR(({k} + 0.000001) * n / 5) AS INTEGER) + 1" for k in range(1, 5))

CUTS_SQL = f"""
WITH o AS (
    SELECT MAX(paid_at) AS last_paid, COUNT(*) AS f, SUM(amount_fen - refunded_fen) AS m
    FROM orders WHERE account_id = :a AND paid_at >= :rfm_since AND amount_fen > refunded_fen
    GROUP BY member_id),
sorted AS (
    SELECT COUNT(*) AS n, array_agg(last_paid ORDER BY last_paid) AS r,
        array_agg(f ORDER BY f) AS f, array_agg(m ORDER BY m) AS m
    FROM o)
SELECT n, {", ".join(f"{x}[p[{k}]]" for x in MEASURES for k in range(1, 5))}
FROM sorted, LATERAL (SELECT ARRAY[{POSITIONS}] AS p) positions
"""


@dataclass(frozen=True)
class RfmCuts:
    """Per measure (recency as the last payment, frequency, money), the four values where the
    quintile score steps up; `buyers` ranked."""

    buyers: int
    r: tuple[Any, ...]
    f: tuple[Any, ...]
    m: tuple[Any, ...]

    def params(self) -> dict[str, Any]:
        return {f"{x}{k}": getattr(self, x)[k - 1] for x in MEASURES for k in range(1, 5)}


def rfm_cuts(session: Session, params: dict[str, Any]) -> RfmCuts:
    """The cut values over every buyer of the account (`params`: a, rfm_since)."""
    stmt = text(CUTS_SQL).bindparams(bindparam("rfm_since", type_=UTCDateTime()))
    row = session.execute(stmt, {"a": params["a"], "rfm_since": params["rfm_since"]}).one()
    n = int(row[0] or 0)
    return RfmCuts(n, tuple(row[1:5]), tuple(row[5:9]), tuple(row[9:13]))


def cuts_meanwhile(session: Session, params: dict[str, Any]) -> Future[RfmCuts]:
    """`rfm_cuts` on a connection of its own, while this one collects and counts the touched members
    (the cuts read only orders; this run writes none). The job waits on a PostgreSQL backend; the
    cuts' sort keeps the other core busy meanwhile. Like every statement of the run (READ COMMITTED),
    they see the orders committed when they start. On a session bound to one connection, counted
    there, at once."""
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        done: Future[RfmCuts] = Future()
        done.set_result(rfm_cuts(session, params))
        return done
    return _meanwhile(_cuts_apart, bind, dict(params))


def _meanwhile(work: Callable[..., T], *args: Any) -> Future[T]:
    """`work(*args)` on a thread of its own, which ends with it."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=getattr(work, "__name__", "apart"))
    try:
        return pool.submit(work, *args)
    finally:
        pool.shutdown(wait=False)


def committed_meanwhile(session: Session, work: Callable[[Session], Any]) -> Future[None]:
    """`work` in a transaction of its own on a connection of its own, committed when the future is
    done (on a session bound to one connection: in its transaction, at once). What the run counts
    on a second connection must see it: wait for the future before."""
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        work(session)
        done: Future[None] = Future()
        done.set_result(None)
        return done
    return _meanwhile(_committed, bind, work)


def _committed(engine: Engine, work: Callable[[Session], Any]) -> None:
    with Session(engine) as other, other.begin():
        work(other)


def _cuts_apart(engine: Engine, params: dict[str, Any]) -> RfmCuts:
    with Session(engine) as other, other.begin():
        other.execute(text("SET LOCAL work_mem = '256MB'"))
        other.execute(text("SET LOCAL jit = off"))
        return rfm_cuts(other, params)


def _quintile(value: str, x: str) -> str:
    steps = " + ".join(f"CASE WHEN {value} >= :{x}{k} THEN 1 ELSE 0 END" for k in range(1, 5))
    return f"CASE WHEN {value} IS NULL THEN NULL ELSE 1 + {steps} END"


OWN_SELECT = f"""
SELECT m.id, m.last_interaction_at, m.last_followed_at, m.tier_code, ck.n AS checkins, rv.n AS reviews,
    rv.good, rv.liked, lk.n AS likes, sh.n AS shares, pv.reads, pv.follows, rf.n AS referrals,
    old.stage AS was_stage, old.rfm_segment AS was_segment, old.tier_code AS was_tier,
    up.referrer_id, COALESCE(old.second_degree, 0) AS second_degree,
    COALESCE(old.downstream, 0) AS downstream,
    COALESCE(old.lent_second_degree, 0) AS was_lent_second_degree,
    COALESCE(old.lent_downstream, 0) AS was_lent_downstream,
    CASE WHEN their.id IS NULL THEN COALESCE(old.lent_second_degree, 0)
         WHEN up.live THEN rf.n ELSE 0 END AS lent_second_degree,
    CASE WHEN their.id IS NULL THEN COALESCE(old.lent_downstream, 0)
         WHEN up.live THEN ck.n + rv.n ELSE 0 END AS lent_downstream,
    paid.ever > 0 AS has_bought, paid.last_paid, paid.f, paid.m
FROM scoring_touched t JOIN members m ON m.id = t.id
LEFT JOIN member_scores old ON old.member_id = m.id
LEFT JOIN LATERAL (
    SELECT referrer_id, {LIVE} AS live FROM referrals WHERE referee_id = m.id AND account_id = :a) up
    ON TRUE
LEFT JOIN scoring_touched their ON their.id = up.referrer_id
CROSS JOIN LATERAL (
    SELECT COUNT(*) AS n FROM checkins WHERE member_id = m.id AND day >= :activity_day) ck
CROSS JOIN LATERAL (
    SELECT COUNT(*) AS n,
        COALESCE(SUM(CASE WHEN rating >= 4 AND status = 'approved' THEN 1 ELSE 0 END), 0) AS good,
        COALESCE(SUM(CASE WHEN rating >= 4 AND status = 'approved' THEN like_count ELSE 0 END), 0)
            AS liked
    FROM reviews WHERE member_id = m.id AND account_id = :a) rv
CROSS JOIN LATERAL (SELECT COUNT(*) AS n FROM review_likes WHERE member_id = m.id) lk
CROSS JOIN LATERAL (SELECT COUNT(*) AS n FROM shares WHERE member_id = m.id) sh
CROSS JOIN LATERAL (
    SELECT COUNT(*) AS reads,
        COUNT(DISTINCT CASE WHEN followed_at IS NOT NULL THEN viewer_openid END) AS follows
    FROM page_views WHERE sharer_id = m.id AND account_id = :a) pv
CROSS JOIN LATERAL (
    SELECT COUNT(*) AS n FROM referrals WHERE referrer_id = m.id AND account_id = :a AND {LIVE}) rf
CROSS JOIN LATERAL (  -- bought at all; and in the RFM window (NULLs when not)
    SELECT COUNT(*) AS ever, MAX(paid_at) FILTER (WHERE paid_at >= :rfm_since) AS last_paid,
        NULLIF(COUNT(*) FILTER (WHERE paid_at >= :rfm_since), 0) AS f,
        SUM(amount_fen - refunded_fen) FILTER (WHERE paid_at >= :rfm_since) AS m
    FROM orders WHERE member_id = m.id AND account_id = :a AND amount_fen > refunded_fen) paid
WHERE m.account_id = :a AND t.id >= :first AND t.id < :past
"""
OWN_SQL = f"CREATE TEMP TABLE scoring_own ON COMMIT DROP AS {OWN_SELECT}"
SPLIT_MIN = 2000  # touched members below which a second connection costs more than it saves
EVERYONE = 2**31
# a referrer's sums move by what its touched referees lend now less what they lent before
DELTAS_SQL = """
UPDATE scoring_own o
SET second_degree = o.second_degree + d.second_degree, downstream = o.downstream + d.downstream
FROM (
    SELECT referrer_id, SUM(lent_second_degree - was_lent_second_degree) AS second_degree,
        SUM(lent_downstream - was_lent_downstream) AS downstream
    FROM scoring_own
    WHERE lent_second_degree <> was_lent_second_degree OR lent_downstream <> was_lent_downstream
    GROUP BY referrer_id) d
WHERE o.id = d.referrer_id
"""

COUNTED_SQL = f"""
counted AS (
    SELECT o.id AS member_id, o.last_interaction_at, o.last_followed_at,
        o.checkins + o.reviews + o.likes AS activity, o.good AS good_reviews, o.liked AS review_likes,
        o.shares, o.reads AS share_reads, o.follows AS share_follows,
        o.referrals, o.second_degree, o.downstream AS downstream_activity,
        o.lent_second_degree, o.lent_downstream, o.tier_code,
        o.has_bought, o.last_paid, o.f, o.m,
        {_quintile("o.last_paid", "r")} AS r, {_quintile("o.f", "f")} AS f_score,
        {_quintile("o.m", "m")} AS m_score
    FROM scoring_own o)"""


def count_own(session: Session, params: dict[str, Any]) -> None:
    """The touched members' own counts in the temp table `scoring_own`, their referral sums moved
    by their touched referees' changes (no referee outside the touched members is read).

    Nine index probes a member, read only: the upper half of the members is counted on a second
    connection at the same time (`_own_apart`), its rows copied in. The run's writes before this
    (the follows from shares) were committed apart, so both connections count the same rows."""
    own = {"a": params["a"], "activity_day": params["activity_day"], "rfm_since": params["rfm_since"]}
    own |= {"first": 0, "past": EVERYONE}
    bind, split, apart = session.get_bind(), None, None
    if isinstance(bind, Engine):
        ids = list(session.scalars(text("SELECT id FROM scoring_touched ORDER BY id")))
        split = ids[len(ids) // 2] if len(ids) >= SPLIT_MIN else None
        if split is not None:
            apart = _meanwhile(_own_apart, bind, {**own, "first": split}, ids)
    session.execute(_windowed(OWN_SQL), {**own, "past": split or EVERYONE})
    if apart is not None:
        _copy_in(session, apart.result())
    session.execute(text("ALTER TABLE scoring_own ADD PRIMARY KEY (id)"))
    session.execute(text(DELTAS_SQL))
    written = "member_id integer, stage text, rfm_segment text"
    session.execute(text(f"CREATE TEMP TABLE scoring_written ({written}) ON COMMIT DROP"))


def _own_apart(engine: Engine, params: dict[str, Any], touched: list[int]) -> list[tuple[Any, ...]]:
    """OWN_SELECT's rows for the members from `params["first"]` on, on a connection of its own (with
    every touched member in its own `scoring_touched`: a referrer's being touched decides what its
    referees lend)."""
    with Session(engine) as other, other.begin():
        for setting in ("work_mem = '256MB'", "jit = off", "enable_hashjoin = off", "enable_mergejoin = off"):
            other.execute(text(f"SET LOCAL {setting}"))
        other.execute(text("CREATE TEMP TABLE scoring_touched (id integer PRIMARY KEY) ON COMMIT DROP"))
        fill = "INSERT INTO scoring_touched SELECT unnest(CAST(:ids AS integer[]))"
        other.execute(text(fill), {"ids": touched})
        other.execute(text("ANALYZE scoring_touched"))
        return [tuple(row) for row in other.execute(_windowed(OWN_SELECT), params)]


def _windowed(sql: str) -> Any:
    return text(sql).bindparams(bindparam("rfm_since", type_=UTCDateTime()))


def _copy_in(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Append rows to `scoring_own` through COPY (psycopg's, on the session's connection)."""
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy("COPY scoring_own FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# the touched members whose stage, RFM segment or tier moved (or who had no scores yet): only their
# rule tags may have to change (the KOL tags follow the pick)
RETAG_SQL = """
CREATE TEMP TABLE scoring_retag ON COMMIT DROP AS
SELECT w.member_id, w.stage, w.rfm_segment, o.tier_code
FROM scoring_written w JOIN scoring_own o ON o.id = w.member_id
WHERE o.was_stage IS NULL
    OR (w.stage, w.rfm_segment, o.tier_code) IS DISTINCT FROM (o.was_stage, o.was_segment, o.was_tier)
"""
DESIRED_SQL = """
    SELECT x.member_id, v.tag FROM scoring_retag x
    CROSS JOIN LATERAL (VALUES (CASE x.stage {stage} END), (CASE x.rfm_segment {segment} END)) v (tag)
    WHERE v.tag IS NOT NULL
    UNION ALL SELECT s.member_id, '{kol}' FROM member_scores s WHERE s.account_id = :a AND s.kol
    UNION ALL SELECT x.member_id, '等级:' || t.name FROM scoring_retag x
    JOIN tiers t ON t.account_id = :a AND t.code = x.tier_code
"""
# those members' active tags (any source: a tag already there is not added again) and the KOL tags
CURRENT_SQL = """
    SELECT t.id, t.member_id, t.tag, t.source
    FROM scoring_retag x JOIN member_tags t ON t.member_id = x.member_id
    WHERE t.account_id = :a AND t.removed_at IS NULL
    UNION SELECT id, member_id, tag, source FROM member_tags
    WHERE account_id = :a AND tag = '{kol}' AND removed_at IS NULL
"""
ADD_SQL = """
    INSERT INTO member_tags (account_id, member_id, tag, source, created_at)
    SELECT :a, d.member_id, d.tag, 'rule', :now FROM scoring_desired d WHERE NOT EXISTS (
        SELECT 1 FROM scoring_current c WHERE c.member_id = d.member_id AND c.tag = d.tag)
    ON CONFLICT (member_id, tag) DO UPDATE SET removed_at = NULL, mirrored_at = NULL, source = 'rule'
"""
REMOVE_SQL = """
    UPDATE member_tags SET removed_at = :now WHERE id IN (
        SELECT c.id FROM scoring_current c WHERE c.source = 'rule' AND NOT EXISTS (
            SELECT 1 FROM scoring_desired d WHERE d.member_id = c.member_id AND d.tag = c.tag))
"""


def written_into(insert: str) -> str:
    """The scores' INSERT, its rows' stages and segments kept in `scoring_written` for the tags."""
    return (
        f"written AS ({insert} RETURNING member_id, stage, rfm_segment) "
        "INSERT INTO scoring_written SELECT member_id, stage, rfm_segment FROM written"
    )


def sync_tags(session: Session, desired: str, params: dict[str, Any]) -> tuple[int, int]:
    """The rule tags of the touched members whose stage, segment or tier moved in step with them,
    the KOL tags with the pick: desired and current tags each in a temp table, read once; returns
    (added, removed). A touched member whose three did not move keeps its tags unread: a tag taken
    off by hand, or a tier renamed, waits for the nightly full run."""
    session.execute(text(RETAG_SQL))
    session.execute(text(f"CREATE TEMP TABLE scoring_desired ON COMMIT DROP AS {desired}"), params)
    current = CURRENT_SQL.format(kol=params["kol"])
    session.execute(text(f"CREATE TEMP TABLE scoring_current ON COMMIT DROP AS {current}"), params)
    session.execute(text("SET LOCAL enable_hashjoin = on"))  # two small sets, one against the other
    now = bindparam("now", type_=UTCDateTime())
    added = session.connection().execute(text(ADD_SQL).bindparams(now), params).rowcount
    removed = session.connection().execute(text(REMOVE_SQL).bindparams(now), params).rowcount
    return int(added or 0), int(removed or 0)


def by_member(session: Session) -> None:
    """From here to the end of the transaction, join by probing indexes: the planner, pricing a
    random read at four sequential ones, would rather hash whole tables for a few thousand members."""
    session.execute(text("SET LOCAL enable_hashjoin = off"))
    session.execute(text("SET LOCAL enable_mergejoin = off"))
