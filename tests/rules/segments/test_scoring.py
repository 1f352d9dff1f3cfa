"""Segment rules: stages, quintiles, the eight RFM segments, influence that adds up, weights."""

from __future__ import annotations

import pytest

from rules.segments import scoring
from rules.segments.scoring import (
    DEFAULT_WEIGHTS,
    SEGMENT_NAMES,
    influence,
    quintile,
    rfm_segment,
    stage,
    weight_problems,
    weights_of,
)


def test_the_deepest_relationship_wins():
    assert stage(True, True, True) == "iron"
    assert stage(False, True, True) == "deep"
    assert stage(False, False, True) == "sticky"
    assert stage(False, False, False) == "light"


def test_quintiles_from_cumulative_shares():
    assert [quintile(x) for x in (0.2, 0.21, 0.4, 0.6, 0.8, 1.0)] == [1, 2, 2, 3, 4, 5]
    assert quintile(0.05) == 1


def test_the_eight_segments_are_named():
    assert rfm_segment(5, 5, 5) == "important_value" and SEGMENT_NAMES["important_value"] == "重要价值"
    assert rfm_segment(1, 1, 5) == "important_retain" and rfm_segment(1, 1, 1) == "general_retain"
    assert rfm_segment(4, 2, 2) == "general_develop" and rfm_segment(2, 4, 4) == "important_keep"
    assert len(set(SEGMENT_NAMES)) == 8


def test_influence_parts_add_up_to_the_score():
    weights = weights_of({"referrals": 12, "bogus": 99})
    got = influence({"activity": 3, "referrals": 2, "downstream_activity": 7}, weights)
    assert got.parts == {"activity": 3.0, "referrals": 24.0, "downstream_activity": 1.4}
    assert got.score == pytest.approx(sum(got.parts.values())) == pytest.approx(28.4)
    assert weights["shares"] == DEFAULT_WEIGHTS["shares"] and "bogus" not in weights


def test_weights_are_checked():
    assert weight_problems({"referrals": 5}) == []
    assert weight_problems({"fame": 1}) == ["unknown part 'fame'"]
    assert weight_problems({"shares": -1, "activity": True}) == [
        "shares must be a number between 0 and 1000",
        "activity must be a number between 0 and 1000",
    ]
    assert weight_problems([1]) == ["kol_weights must be an object of part: weight"]


def test_the_kol_bar_wants_a_score_and_evidence_of_influence():
    weights = scoring.weights_of(None)
    bar = scoring.KolBar()
    one_checkin = scoring.influence({"activity": 1}, weights)
    assert "不到 10 分" in scoring.kol_shortfall(one_checkin.score, one_checkin.parts, weights, bar)
    regular = scoring.influence({"activity": 30, "good_reviews": 2}, weights)  # 40 points, no one else
    assert regular.score == 40
    assert "共 0 次" in scoring.kol_shortfall(regular.score, regular.parts, weights, bar)
    star = scoring.influence({"referrals": 2, "shares": 1, "share_reads": 2}, weights)
    assert scoring.evidence(star.parts, weights) == 5
    assert scoring.kol_shortfall(star.score, star.parts, weights, bar) == ""
    unweighted = {**weights, "share_reads": 0.0}  # a part weighed 0 is no evidence
    assert scoring.evidence(scoring.influence({"share_reads": 9}, unweighted).parts, unweighted) == 0
    assert scoring.kol_shortfall(1.0, one_checkin.parts, weights, scoring.KolBar(0, 0)) == ""
    assert scoring.kol_shortfall(0.0, {}, weights, scoring.KolBar(0, 0)) != ""  # zero is never
