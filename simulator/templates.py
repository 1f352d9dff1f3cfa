"""Template messages: the template ids each account may use and the messages it sent."""

from __future__ import annotations

import copy
import itertools
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

# msgids are unique per process, so a project that stores them never sees one twice across resets.
_MSG_IDS = itertools.count(2_000_000_001)


@dataclass(frozen=True)
class SentTemplate:
    """One template message an account sent to a follower."""

    appid: str
    touser: str
    template_id: str
    url: str | None
    data: dict[str, Any]
    msgid: int
    miniprogram: dict[str, Any] | None = None
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """Return the message as a JSON-ready dict."""
        return asdict(self)


class TemplateBook:
    """Hold registered template ids and sent template messages behind one lock.

    With `auto` (the default) any non-empty template id is accepted, so a developer's setup just works;
    without it only ids registered with `add` for the sending account are.
    """

    def __init__(self, auto: bool = True) -> None:
        self.auto = auto
        self._lock = threading.Lock()
        self._ids: dict[str, set[str]] = {}
        self._sent: list[SentTemplate] = []

    def add(self, appid: str, template_id: str) -> None:
        """Register a template id for an account."""
        with self._lock:
            self._ids.setdefault(appid, set()).add(template_id)

    def accepts(self, appid: str, template_id: str) -> bool:
        """Tell whether an account may send with this template id (never an empty one)."""
        if not template_id:
            return False
        with self._lock:
            return self.auto or template_id in self._ids.get(appid, ())

    def record(
        self,
        appid: str,
        touser: str,
        template_id: str,
        data: dict[str, Any],
        url: str | None = None,
        miniprogram: dict[str, Any] | None = None,
    ) -> SentTemplate:
        """Log a sent message under a fresh msgid and return it."""
        data, miniprogram = copy.deepcopy(data), copy.deepcopy(miniprogram)
        with self._lock:
            sent = SentTemplate(appid, touser, template_id, url, data, next(_MSG_IDS), miniprogram)
            self._sent.append(sent)
            return sent

    def sent(self, appid: str | None = None) -> list[SentTemplate]:
        """Return the sent messages, optionally only one account's."""
        with self._lock:
            return [m for m in self._sent if appid is None or m.appid == appid]

    def clear(self) -> None:
        """Forget registered template ids and sent messages."""
        with self._lock:
            self._ids.clear()
            self._sent.clear()
