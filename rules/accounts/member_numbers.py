"""会员号: a member's static number, shown beside their member code and found at the till.

It is the member's id written in eight digits (more once ids outgrow them): it never changes, needs no
column of its own, and an account's own numbers are the only ones its staff can find.
"""

from __future__ import annotations

import re

DIGITS = 8
NUMBER = re.compile(r"^\d{8,10}$")  # DIGITS, or more once ids outgrow them


def member_number(member_id: int) -> str:
    return f"{member_id:0{DIGITS}d}"


def member_id_of(typed: str) -> int | None:
    """The member id a typed number names (spaces allowed), or None if it cannot be a number."""
    digits = typed.replace(" ", "")
    return int(digits) if NUMBER.match(digits) and int(digits) > 0 else None
