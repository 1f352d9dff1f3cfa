"""会员码: a member's rotating code, shown as a QR code and a barcode and typed at the till by its scanner.

Digits only, 18 of them while member ids fit eight digits: the member's number (会员号, see
member_numbers), the minute it was made (its counter modulo 100, two digits) and eight check digits,
a truncated HMAC-SHA256 keyed on the app's secret over the account, the member and the whole minute.
It names one member of one account and lives about a minute: `read` takes a code of the current
minute, the one before (shown just before the minute turned) and the one ahead (a clock a little
behind the phone's page); an older one is expired, one whose check digits do not hold is forged. A
guess holds one chance in 10^8 per minute it may name, and another account's code never reads here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from rules.accounts.member_numbers import member_id_of, member_number

CHECK_DIGITS = 8
MINUTE_DIGITS = 2
TAIL = MINUTE_DIGITS + CHECK_DIGITS
CODE = re.compile(r"^\d{18,20}$")  # a member number (8 to 10 digits), then the minute and check digits
SKEW = 1  # minutes a code is read before or after the one it was made in


class CodeProblem(StrEnum):
    """Why a typed member code names no one."""

    MALFORMED = "malformed"  # not shaped as a member code at all
    EXPIRED = "expired"  # genuine, but made more than a minute ago
    FORGED = "forged"  # its check digits do not hold (or it is far too old to tell)


PROBLEM_NAMES = {
    CodeProblem.MALFORMED: "这不是会员码",
    CodeProblem.EXPIRED: "会员码已过期，请顾客刷新后重新出示",
    CodeProblem.FORGED: "会员码无效，请顾客在公众号里重新打开会员码",
}


@dataclass(frozen=True)
class CodeKey:
    """What reading a code takes besides the code and the account: the app's secret, and the time."""

    secret_key: str
    now: datetime


def minute_of(at: datetime) -> int:
    """Whole minutes since the Unix epoch: the counter a code is made for."""
    return int(at.timestamp()) // 60


def seconds_left(at: datetime) -> int:
    """Seconds until the minute turns and the page shows the next code (1 to 60)."""
    return 60 - int(at.timestamp()) % 60


def _check(secret_key: str, account_id: int, member_id: int, minute: int) -> str:
    message = f"tiefen-member-code:{account_id}:{member_id}:{minute}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CHECK_DIGITS:0{CHECK_DIGITS}d}"


def issue(secret_key: str, account_id: int, member_id: int, at: datetime) -> str:
    """The code naming this member of this account in the minute `at` falls in."""
    minute = minute_of(at)
    return f"{member_number(member_id)}{minute % 100:02d}{_check(secret_key, account_id, member_id, minute)}"


def looks_like(typed: str) -> bool:
    """Whether typed text is shaped as a member code (spaces allowed), genuine or not."""
    return CODE.match(typed.replace(" ", "")) is not None


def _minute_meant(stamp: int, now: int) -> tuple[int, int]:
    """The minute a code's two-digit stamp names, nearest `now` (one ahead at most), and its age."""
    age = (now - stamp) % 100
    if age > 100 - 1 - SKEW:  # 99: the minute ahead, not 99 minutes ago
        age -= 100
    return now - age, age


def read(secret_key: str, account_id: int, typed: str, now: datetime) -> int | CodeProblem:
    """The member id a code names for this account now, or why it names no one."""
    digits = typed.replace(" ", "")
    if not CODE.match(digits):
        return CodeProblem.MALFORMED
    member_id = member_id_of(digits[:-TAIL])
    if member_id is None:
        return CodeProblem.MALFORMED
    minute, age = _minute_meant(int(digits[-TAIL:-CHECK_DIGITS]), minute_of(now))
    if not hmac.compare_digest(digits[-CHECK_DIGITS:], _check(secret_key, account_id, member_id, minute)):
        return CodeProblem.FORGED
    return member_id if -SKEW <= age <= SKEW else CodeProblem.EXPIRED


def grouped(code: str) -> str:
    """A code as the page prints it under the barcode, in groups of four from the left."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
