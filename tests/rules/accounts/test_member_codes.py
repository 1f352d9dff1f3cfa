"""会员码: a code names one member of one account for about a minute; forged and old ones name no one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rules.accounts.member_codes import (
    CodeProblem,
    grouped,
    issue,
    looks_like,
    minute_of,
    read,
    seconds_left,
)

SECRET, ACCOUNT, MEMBER = "s3cret-key", 7, 42
T = datetime(2026, 12, 8, 10, 30, 15, tzinfo=UTC)


def test_a_code_is_eighteen_digits_starting_with_the_member_number():
    code = issue(SECRET, ACCOUNT, MEMBER, T)
    assert code.isdigit() and len(code) == 18 and code.startswith("00000042")
    assert code[8:10] == f"{minute_of(T) % 100:02d}"
    assert read(SECRET, ACCOUNT, code, T) == MEMBER
    assert read(SECRET, ACCOUNT, grouped(code), T) == MEMBER  # typed with spaces
    big = issue(SECRET, ACCOUNT, 123_456_789, T)
    assert len(big) == 19 and read(SECRET, ACCOUNT, big, T) == 123_456_789


def test_it_rotates_every_minute_and_the_same_minute_gives_the_same_code():
    assert issue(SECRET, ACCOUNT, MEMBER, T) == issue(SECRET, ACCOUNT, MEMBER, T.replace(second=59))
    codes = {issue(SECRET, ACCOUNT, MEMBER, T + timedelta(minutes=m)) for m in range(120)}
    assert len(codes) == 120


@pytest.mark.parametrize(
    ("made", "read_at", "expected"),
    [
        (T, T, MEMBER),
        (T, T + timedelta(seconds=44), MEMBER),  # the same minute
        (T, T + timedelta(minutes=1), MEMBER),  # shown just before the minute turned
        (T, T - timedelta(minutes=1), MEMBER),  # the reader's clock a minute behind
        (T, T + timedelta(minutes=2), CodeProblem.EXPIRED),
        (T, T + timedelta(minutes=30), CodeProblem.EXPIRED),
        (T, T + timedelta(minutes=98), CodeProblem.EXPIRED),
        (T, T - timedelta(minutes=2), CodeProblem.FORGED),  # two minutes ahead: no honest clock
        (T, T + timedelta(minutes=100), CodeProblem.FORGED),  # too old to tell from a fake
        (T, T + timedelta(days=1), CodeProblem.FORGED),
    ],
)
def test_the_current_minute_the_one_before_and_the_one_ahead_are_read(made, read_at, expected):
    assert read(SECRET, ACCOUNT, issue(SECRET, ACCOUNT, MEMBER, made), read_at) == expected


def test_forged_codes_name_no_one():
    code = issue(SECRET, ACCOUNT, MEMBER, T)
    other_member = "00000043" + code[8:]  # someone else's number with this code's check digits
    assert read(SECRET, ACCOUNT, other_member, T) == CodeProblem.FORGED
    for i in range(10, 18):  # each check digit changed
        changed = code[:i] + str((int(code[i]) + 1) % 10) + code[i + 1 :]
        assert read(SECRET, ACCOUNT, changed, T) == CodeProblem.FORGED
    assert read(SECRET, ACCOUNT + 1, code, T) == CodeProblem.FORGED  # another account's
    assert read("another-secret", ACCOUNT, code, T) == CodeProblem.FORGED  # another server's key


@pytest.mark.parametrize(
    "typed", ["", "abc", "00000042", "13800138000", "0000004217123456", "000000000017123456", "1" * 21]
)
def test_what_is_not_a_member_code(typed):
    assert read(SECRET, ACCOUNT, typed, T) == CodeProblem.MALFORMED


def test_what_looks_like_a_code_and_when_the_page_refreshes():
    code = issue(SECRET, ACCOUNT, MEMBER, T)
    assert looks_like(code) and looks_like(grouped(code)) and grouped(code).count(" ") == 4
    assert not looks_like("00000042") and not looks_like("13800138000") and not looks_like("oOpenid")
    assert seconds_left(T) == 45 and seconds_left(T.replace(second=0)) == 60
