"""A member's nickname (昵称), as they type it on their profile: what is kept, what is refused."""

from __future__ import annotations

import re
import unicodedata

NICKNAME_MAX = 20  # characters: what a member card and a list row show whole


def clean_nickname(raw: str | None) -> str | None:
    """The nickname to keep, or None when there is none worth keeping (blank, too long, control chars).

    Full-width letters and digits are folded (NFKC), runs of spaces become one.
    """
    text = unicodedata.normalize("NFKC", raw or "")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} for ch in text):
        return None
    text = re.sub(r"\s+", " ", text).strip()
    if not text or len(text) > NICKNAME_MAX:
        return None
    return text


def masked_nickname(nickname: str | None, fallback: str = "会员") -> str:
    """A nickname as others see it in public lists: first and last character, the middle starred."""
    if not nickname:
        return fallback
    if len(nickname) <= 2:
        return nickname[0] + "*"
    return nickname[0] + "*" * min(len(nickname) - 2, 3) + nickname[-1]
