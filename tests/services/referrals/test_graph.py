"""The referral graph on small hand-built graphs: trees, the ranking, rings and marking them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import select

from models import Referral
from services.accounts.members import ensure_members
from services.accounts.registry import save_account
from services.referrals.graph import UnknownMember, mark_rings, ring_scan, top_referrers, tree

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Graph:
    """Members named by their openids and binds between them, in one account, a minute apart."""

    def __init__(self, session, appid="wxgraph000000001"):
        self.session = session
        self.account_id = save_account(session, appid, "图", "graphtoken")[0].id
        self.ids: dict[str, int] = {}
        self.names: dict[int, str] = {}
        self.clock = START

    def member(self, name):
        if name not in self.ids:
            self.ids[name] = ensure_members(self.session, self.account_id, [name])[name]
            self.names[self.ids[name]] = name
        return self.ids[name]

    def bind(self, referrer, referee, status="held", reasons=(), at=None, account_id=None):
        self.clock += timedelta(minutes=1)
        edge = Referral(
            account_id=account_id or self.account_id,
            referrer_id=self.member(referrer),
            referee_id=self.member(referee),
            scene=f"m{self.member(referrer)}-abcdef",
            bound_at=at or self.clock,
            status=status,
            reasons=list(reasons),
        )
        self.session.add(edge)
        self.session.flush()
        return edge.id

    def chain(self, *names, **kwargs):
        for referrer, referee in pairwise(names):
            self.bind(referrer, referee, **kwargs)

    def tree(self, name, **kwargs):
        return tree(self.session, self.account_id, self.ids[name], **kwargs)

    def top(self, limit=100):
        return [
            (self.names[r.member_id], r.cascade) for r in top_referrers(self.session, self.account_id, limit)
        ]

    def rings(self):
        report = ring_scan(self.session, self.account_id)
        return report, sorted(sorted(self.names[m] for m in ring.members) for ring in report.rings)


@pytest.fixture
def graph(session):
    g = Graph(session)
    yield g
    session.rollback()


def levels(t):
    return [(n.openid, n.level) for n in t.nodes]


def test_a_chain_three_deep_counts_each_level(graph):
    graph.chain("A", "B", "C", "D")
    a = graph.tree("A")
    assert (a.direct, a.second_degree, a.cascade) == (1, 1, 3)
    assert levels(a) == [("B", 1), ("C", 2), ("D", 3)] and not a.truncated
    assert [n.referrer_id for n in a.nodes] == [graph.ids["A"], graph.ids["B"], graph.ids["C"]]
    assert a.upline is None
    shallow = graph.tree("A", depth=2)
    assert levels(shallow) == [("B", 1), ("C", 2)] and shallow.cascade == 3  # counts ignore depth
    b = graph.tree("B")
    assert (b.direct, b.second_degree, b.cascade) == (1, 1, 2)
    assert b.upline is not None and b.upline.openid == "A" and b.upline.status == "held"
    d = graph.tree("D")
    assert (d.direct, d.second_degree, d.cascade, d.nodes) == (0, 0, 0, ())
    assert d.upline is not None and d.upline.openid == "C"
    assert graph.top() == [("A", 2), ("B", 2), ("C", 1)]  # cascade = direct + second degree


def test_a_fan_out_lists_by_level_then_bind_time_and_counts_each_node(graph):
    for kid in ("B1", "B2", "B3", "B4"):
        graph.bind("A", kid)
    graph.bind("B3", "C1")
    graph.bind("B1", "C2")
    graph.bind("B1", "C3")
    a = graph.tree("A")
    assert (a.direct, a.second_degree, a.cascade) == (4, 3, 7)
    assert levels(a) == [("B1", 1), ("B2", 1), ("B3", 1), ("B4", 1), ("C1", 2), ("C2", 2), ("C3", 2)]
    assert {n.openid: n.direct for n in a.nodes} == {
        "B1": 2,
        "B2": 0,
        "B3": 1,
        "B4": 0,
        "C1": 0,
        "C2": 0,
        "C3": 0,
    }
    assert all(n.following and n.status == "held" and n.reasons == () for n in a.nodes)
    cut = graph.tree("A", limit=3)
    assert levels(cut) == [("B1", 1), ("B2", 1), ("B3", 1)] and cut.truncated
    assert (cut.direct, cut.second_degree, cut.cascade) == (4, 3, 7)
    assert graph.top() == [("A", 7), ("B1", 2), ("B3", 1)]


def test_refused_edges_count_nowhere(graph):
    graph.bind("A", "B", status="refused", reasons=["refollow"])
    graph.bind("A", "C", status="paid")
    graph.bind("C", "D", status="refused", reasons=["self"])
    graph.bind("B", "E")
    a = graph.tree("A")
    assert (a.direct, a.second_degree, a.cascade) == (1, 0, 1) and levels(a) == [("C", 1)]
    assert graph.tree("B").upline is None and graph.tree("D").upline is None
    assert graph.top() == [("A", 1), ("B", 1)]
    graph.bind("E", "A", status="refused", reasons=["ring"])  # would close A→B→E→A, but B's bind is refused
    graph.bind("D", "C2")
    graph.bind("C2", "D2", status="refused")
    assert graph.rings()[1] == []


def test_ties_go_to_the_earlier_first_bind_then_the_lower_member_id(graph):
    graph.member("late")  # the lower member id, but its first bind comes last
    graph.member("early")
    graph.member("same1")
    graph.member("same2")
    graph.bind("early", "e1", status="paid")
    graph.bind("early", "e2", status="voided")
    one_time = START + timedelta(minutes=1, seconds=30)  # after early's first bind, before late's
    graph.bind("same2", "s2", at=one_time, status="review")
    graph.bind("same2", "s2b", status="paid")
    graph.bind("same1", "s1", at=one_time)
    graph.bind("same1", "s1b", status="voided")
    graph.bind("late", "l1")
    graph.bind("late", "l2")
    assert graph.top() == [("early", 2), ("same1", 2), ("same2", 2), ("late", 2)]
    ranked = {graph.names[r.member_id]: r for r in top_referrers(graph.session, graph.account_id)}
    early = ranked["early"]
    assert (early.direct, early.second_degree, early.paid, early.held, early.review, early.voided) == (
        2,
        0,
        1,
        0,
        0,
        1,
    )
    assert early.openid == "early" and early.first_bound_at == START + timedelta(minutes=1)
    same2 = ranked["same2"]
    assert (same2.paid, same2.held, same2.review, same2.voided) == (1, 0, 1, 0)
    assert graph.top(limit=2) == [("early", 2), ("same1", 2)]


def test_second_degree_weighs_in_the_ranking(graph):
    graph.bind("wide", "w1")
    graph.bind("wide", "w2")
    graph.bind("wide", "w3")
    graph.chain("deep", "d1", "d2")
    graph.bind("d1", "d3")
    graph.bind("d1", "d4")
    assert graph.top() == [("deep", 4), ("wide", 3), ("d1", 3)]


def test_a_ring_a_loop_and_a_ring_with_a_tail_report_only_their_members(graph):
    graph.chain("A", "B", "C", "A")  # 3-ring
    graph.chain("D", "E", "D")  # 2-loop
    graph.chain("F", "G", "H", "I", "F")  # 4-ring with a tail hanging off it …
    graph.chain("H", "T1", "T2", "T3")
    graph.bind("G", "T4")
    graph.chain("root", "r1", "r2")  # … and plain chains beside it
    graph.bind("A", "x1")
    report, rings = graph.rings()
    assert rings == [["A", "B", "C"], ["D", "E"], ["F", "G", "H", "I"]]
    assert [sorted(graph.names[m] for m in ring.members) for ring in report.loops] == [["D", "E"]]
    assert report.members == {graph.ids[n] for n in "ABCDEFGHI"}
    abc = report.rings[0]
    assert [(graph.names[e.referrer_id], e.referee_openid) for e in abc.edges] == [
        ("A", "B"),
        ("B", "C"),
        ("C", "A"),
    ]
    assert len(report.referral_ids) == 9
    a = graph.tree("A", depth=4)  # on a ring the member comes round again; the cascade leaves them out
    assert levels(a) == [("B", 1), ("x1", 1), ("C", 2), ("A", 3), ("B", 4), ("x1", 4)]
    assert (a.direct, a.second_degree, a.cascade) == (2, 1, 3)


def test_a_self_referral_that_was_not_refused_is_a_ring_of_one(graph):
    graph.bind("S", "S")
    graph.bind("S", "s1")
    _, rings = graph.rings()
    assert rings == [["S"]]


def test_mark_rings_moves_held_and_review_to_review_once_and_leaves_paid_and_voided(graph):
    graph.bind("A", "B", status="held")
    graph.bind("B", "C", status="review", reasons=["burst"])
    graph.bind("C", "D", status="paid")
    graph.bind("D", "A", status="voided")
    graph.bind("A", "tail", status="held")
    report, _ = graph.rings()
    marked = mark_rings(graph.session, graph.account_id, report)
    paid_id = report.rings[0].paid[0].referral_id
    assert marked.marked == 2 and marked.left_paid == (paid_id,)
    assert states(graph) == {
        "B": ("review", ["ring"]),
        "C": ("review", ["burst", "ring"]),
        "D": ("paid", []),
        "A": ("voided", []),
        "tail": ("held", []),
    }
    again = mark_rings(graph.session, graph.account_id, ring_scan(graph.session, graph.account_id))
    assert again.marked == 0 and again.left_paid == (paid_id,)
    assert states(graph)["C"] == ("review", ["burst", "ring"])
    assert mark_rings(graph.session, graph.account_id, ring_scan(graph.session, 999)).marked == 0


def states(graph):
    graph.session.expire_all()
    rows = graph.session.execute(
        select(Referral.referee_id, Referral.status, Referral.reasons).where(
            Referral.account_id == graph.account_id
        )
    )
    return {graph.names[m]: (status, reasons) for m, status, reasons in rows}


def test_other_accounts_edges_are_never_counted(graph, session):
    other = Graph(session, appid="wxgraph000000002")
    graph.chain("A", "B", "C")
    other.chain("oA", "oB", "oC", "oA")  # a ring, in the other account
    other.chain("oX", "oY", "oZ")
    other.bind("oY", "oW")
    graph.bind("A", "stray", account_id=other.account_id)  # a row filed under the other account
    a = graph.tree("A")
    assert (a.direct, a.second_degree, a.cascade) == (1, 1, 2) and levels(a) == [("B", 1), ("C", 2)]
    assert graph.top() == [("A", 2), ("B", 1)]
    assert graph.rings()[1] == []
    assert other.rings()[1] == [["oA", "oB", "oC"]]
    assert [r.openid for r in top_referrers(session, other.account_id)][:2] == ["oX", "oA"]
    with pytest.raises(UnknownMember):
        tree(session, graph.account_id, other.ids["oA"])


def test_depth_and_limit_must_be_positive(graph):
    graph.member("A")
    with pytest.raises(ValueError):
        graph.tree("A", depth=0)
    with pytest.raises(ValueError):
        top_referrers(graph.session, graph.account_id, 0)
