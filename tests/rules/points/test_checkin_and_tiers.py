from datetime import UTC, date, datetime, timedelta

from rules.points.checkins import DEFAULT_STREAK_BONUSES, bonus_for, next_bonus, plan_checkin, restreak
from rules.points.tiers import Tier, next_tier, review_tier, tier_for

B = DEFAULT_STREAK_BONUSES
D = date(2026, 11, 26)


def test_streaks_continue_or_restart():
    assert plan_checkin(D, 3, 10, B).streak == 4
    assert plan_checkin(D, None, 10, B).streak == 1


def test_streak_bonuses_on_day_7_and_30():
    assert [bonus_for(s, B) for s in (6, 7, 8, 30)] == [0, 50, 0, 300]
    assert plan_checkin(D, 6, 10, B).bonus == 50


def test_next_bonus_says_how_far():
    assert next_bonus(3, B) == (4, 50)
    assert next_bonus(7, B) == (23, 300)
    assert next_bonus(30, B) is None


def test_makeup_rejoins_the_run_through_today():
    days = {D - timedelta(days=3): 1, D - timedelta(days=2): 2, D: 1}  # yesterday missed
    assert restreak(days, D - timedelta(days=1), D) == {D - timedelta(days=1): 3, D: 4}


def test_makeup_without_today_stops_at_yesterday():
    days = {D - timedelta(days=2): 5}
    assert restreak(days, D - timedelta(days=1), D) == {D - timedelta(days=1): 6}


TIERS = [Tier("normal", "普通会员", 0), Tier("silver", "银卡会员", 500), Tier("gold", "金卡会员", 2000)]
NOW = datetime(2026, 11, 26, tzinfo=UTC)


def test_tier_for_and_the_gap_to_the_next():
    assert tier_for(499, TIERS).code == "normal" and tier_for(500, TIERS).code == "silver"
    assert next_tier(380, TIERS) == (TIERS[1], 120)
    assert next_tier(5000, TIERS) is None


def test_upgrades_are_immediate():
    r = review_tier(2100, "silver", None, TIERS, NOW, 30)
    assert (r.tier, r.changed, r.grace_until) == ("gold", True, None)


def test_falling_below_starts_a_grace_period_then_downgrades():
    first = review_tier(300, "silver", None, TIERS, NOW, 30)
    assert (first.tier, first.changed, first.grace_until) == ("silver", False, NOW + timedelta(days=30))
    inside = review_tier(300, "silver", first.grace_until, TIERS, NOW + timedelta(days=10), 30)
    assert (inside.tier, inside.changed) == ("silver", False)
    after = review_tier(300, "silver", first.grace_until, TIERS, NOW + timedelta(days=31), 30)
    assert (after.tier, after.changed, after.grace_until) == ("normal", True, None)


def test_climbing_back_inside_the_grace_period_clears_it():
    r = review_tier(600, "silver", NOW + timedelta(days=5), TIERS, NOW, 30)
    assert (r.tier, r.grace_until, r.changed) == ("silver", None, False)
