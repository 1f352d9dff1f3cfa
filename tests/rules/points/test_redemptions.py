"""A redemption code is 待使用 until used or expired; used stays used; expiry from the reward's days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rules.points.redemptions import STATUS_NAMES, RedemptionStatus, expires_at_of, normal_code, status_of

T = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
LATER = T + timedelta(days=30)


@pytest.mark.parametrize(
    ("used_at", "expires_at", "now", "expected"),
    [
        (None, None, T, RedemptionStatus.WAITING),
        (None, None, T + timedelta(days=10_000), RedemptionStatus.WAITING),  # no expiry
        (None, LATER, T, RedemptionStatus.WAITING),
        (None, LATER, LATER - timedelta(seconds=1), RedemptionStatus.WAITING),
        (None, LATER, LATER, RedemptionStatus.EXPIRED),  # the moment it expires
        (None, LATER, LATER + timedelta(days=1), RedemptionStatus.EXPIRED),
        (T, LATER, T, RedemptionStatus.USED),
        (T, LATER, LATER + timedelta(days=1), RedemptionStatus.USED),  # used stays used
        (T, None, T, RedemptionStatus.USED),
    ],
)
def test_status_of(used_at, expires_at, now, expected):
    assert status_of(used_at, expires_at, now) == expected


def test_states_have_chinese_names_and_expiry_follows_the_rewards_days():
    assert [STATUS_NAMES[s] for s in RedemptionStatus] == ["待使用", "已使用", "已过期"]
    assert expires_at_of(T, 30) == LATER and expires_at_of(T, None) is None


def test_codes_are_read_as_typed():
    assert normal_code("ab12 cd-34") == "AB12CD34" and normal_code("XYZ") is None
