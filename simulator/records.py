"""Records the simulator's state keeps: logged calls, injected faults and issued access tokens."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    """One request the simulated API answered."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    errcode: int
    time: float = field(default_factory=time.time)
    appid: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the call as a JSON-ready dict."""
        return asdict(self)


@dataclass
class Fault:
    """A misbehaviour the next calls to one path suffer."""

    path: str
    errcode: int | None = None
    delay: float | None = None
    times: int = 1


@dataclass(frozen=True)
class Token:
    """An issued access token."""

    appid: str
    expires_at: float
