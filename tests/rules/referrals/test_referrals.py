"""Referral rules on small graphs: scenes, verdicts, settlement after the hold, ladders, rings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules.referrals.referrals import (
    Bind,
    KnownCode,
    Settlement,
    judge,
    ladder_bonuses,
    member_scene,
    needs_issue,
    on_rings,
    resolve,
    scene_member_id,
    settle,
    valid_channel_code,
)

T = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def bind(**kw):
    base = {
        "referrer_id": 1,
        "referee_id": 2,
        "at": T,
        "referee_followed_before": False,
        "referrer_ancestors": frozenset(),
        "recent_binds": 0,
    }
    return Bind(**{**base, **kw})


def test_an_ordinary_friend_is_held_for_the_hold_period():
    assert judge(bind()).status == "held" and judge(bind()).reasons == ()


def test_self_refollow_and_rings_are_refused_with_their_reason():
    assert judge(bind(referee_id=1)).reasons == ("self",)
    assert judge(bind(referee_followed_before=True)).reasons == ("refollow",)
    two_loop = bind(referrer_id=2, referee_id=1, referrer_ancestors=frozenset({1}))  # 1 brought 2
    assert judge(two_loop).reasons == ("ring",)
    ring = bind(referrer_id=3, referee_id=1, referrer_ancestors=frozenset({2, 1}))  # 1 → 2 → 3 → 1
    assert judge(ring).status == "refused" and judge(ring).reasons == ("ring",)


def test_a_burst_goes_to_review_from_the_limit_on():
    assert judge(bind(recent_binds=3)).status == "held"
    assert judge(bind(recent_binds=4)).reasons == ("burst",)
    assert judge(bind(recent_binds=1), burst_limit=2).status == "review"


def test_settlement_voids_reviews_or_pays():
    until = T + timedelta(days=3)
    assert settle(until, T + timedelta(days=1), None, True) is None  # still holding
    assert settle(until, T + timedelta(days=1), T + timedelta(hours=5), True) == Settlement(
        "voided", "unfollowed"
    )
    assert settle(until, until, None, False) == Settlement("review", "no_interaction")
    assert settle(until, until, None, True) == Settlement("paid", None)
    assert settle(until, until + timedelta(days=9), until + timedelta(days=1), True).status == "paid"


def test_ladder_steps_pay_once_each_when_passed():
    ladder = ((3, 50), (10, 200))
    assert ladder_bonuses(0, 2, ladder) == []
    assert ladder_bonuses(2, 3, ladder) == [(3, 50)]
    assert ladder_bonuses(2, 12, ladder) == [(3, 50), (10, 200)]
    assert ladder_bonuses(10, 11, ladder) == []


def test_rings_are_found_and_tails_are_not():
    parent = {2: 1, 3: 2, 1: 3, 4: 3, 5: 4, 7: 6, 6: 7, 9: 8}  # 1→2→3→1 with a tail 4, 5; loop 6↔7
    assert on_rings(parent) == {1, 2, 3, 6, 7}
    assert on_rings({2: 1, 3: 2}) == set()


def test_scenes_resolve_to_what_they_name_or_why_not():
    member = KnownCode(7, 42, None, T + timedelta(days=1))
    channel = KnownCode(8, None, 3, None)
    assert resolve(member_scene(42, "abc123"), member, T) == "member"
    assert resolve("c-counter", channel, T + timedelta(days=900)) == "channel"
    assert resolve("m42-abc123", member, T + timedelta(days=1, minutes=4)) == "member"  # clock grace
    assert resolve("m42-abc123", member, T + timedelta(days=1, minutes=6)) == "expired"
    assert resolve("m42-zzzzzz", None, T, owner_scene="m42-abc123") == "forged"
    assert resolve("m43-zzzzzz", None, T) == "unknown_scene"
    assert resolve("hello", None, T) == "unknown_scene"
    assert scene_member_id("m42-abc123") == 42 and scene_member_id("c-x") is None


def test_codes_are_issued_when_missing_and_renewed_before_they_expire():
    assert needs_issue(None, None, True, T)
    assert not needs_issue("t", None, True, T)
    assert not needs_issue("t", T + timedelta(days=3), False, T)
    assert needs_issue("t", T + timedelta(days=1), False, T)


def test_channel_codes_are_scene_safe():
    assert valid_channel_code("counter-1") and valid_channel_code("staff_wang")
    assert not valid_channel_code("") and not valid_channel_code("A B") and not valid_channel_code(3)
