"""Times as the merchant reads them: in the account's time zone."""

from __future__ import annotations

from datetime import datetime
from typing import overload
from zoneinfo import ZoneInfo

from bot.api.auth import current_account


@overload
def local(at: datetime) -> datetime: ...
@overload
def local(at: None) -> None: ...
def local(at: datetime | None) -> datetime | None:
    return None if at is None else at.astimezone(ZoneInfo(current_account().timezone))
