"""Parametric QR codes (带参数二维码): the codes each account created, their tickets and their images."""

from __future__ import annotations

import base64
import io
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import segno

from simulator.errors import ApiError

TEMPORARY_TTL_DEFAULT = 60
TEMPORARY_TTL_MAX = 2_592_000  # 30 days; longer requests are clamped, as WeChat does
PERMANENT_LIMIT = 100_000  # permanent codes an account may hold
PERMANENT_SCENE_MAX = 100_000  # QR_LIMIT_SCENE scene_id is 1..100000
TEMPORARY_SCENE_MAX = 2**32 - 1  # QR_SCENE scene_id is a non-zero 32-bit integer
SCENE_STR_MAX = 64
ACTIONS = {
    "QR_SCENE": (False, "scene_id"),
    "QR_STR_SCENE": (False, "scene_str"),
    "QR_LIMIT_SCENE": (True, "scene_id"),
    "QR_LIMIT_STR_SCENE": (True, "scene_str"),
}
# What the image shows: WeChat's q-link in a QR code (the scale and quiet zone are the simulator's choice).
IMAGE_SCALE, IMAGE_BORDER = 10, 2


@dataclass(frozen=True)
class QrCode:
    """A code an account created: its ticket, scene and lifetime (expires_at None: permanent)."""

    ticket: str
    appid: str
    scene: int | str
    url: str
    expires_at: float | None = None
    created_at: float = field(default_factory=time.time)

    @property
    def permanent(self) -> bool:
        """Tell whether the code never expires."""
        return self.expires_at is None

    def expired(self, now: float | None = None) -> bool:
        """Tell whether a temporary code has expired."""
        return self.expires_at is not None and self.expires_at <= (time.time() if now is None else now)

    def to_dict(self) -> dict[str, Any]:
        """Return the code as a JSON-ready dict."""
        return {**asdict(self), "permanent": self.permanent}


@dataclass(frozen=True)
class QrRequest:
    """A validated qrcode/create body."""

    scene: int | str
    permanent: bool
    expire_seconds: int


def parse_qr_request(body: Any) -> QrRequest:
    """Validate a qrcode/create body like WeChat: 47001 malformed, 40052 bad action, 40053 bad scene."""
    if not isinstance(body, dict):
        raise ApiError(47001)
    name = body.get("action_name")
    action = ACTIONS.get(name) if isinstance(name, str) else None
    if action is None:
        raise ApiError(40052)
    permanent, key = action
    info = body.get("action_info")
    scene_info = info.get("scene") if isinstance(info, dict) else None
    if not isinstance(scene_info, dict):
        raise ApiError(40053)
    scene = scene_info.get(key)
    if key == "scene_str":
        if not isinstance(scene, str) or not 1 <= len(scene) <= SCENE_STR_MAX:
            raise ApiError(40053)
    else:
        top = PERMANENT_SCENE_MAX if permanent else TEMPORARY_SCENE_MAX
        if isinstance(scene, bool) or not isinstance(scene, int) or not 1 <= scene <= top:
            raise ApiError(40053)
    return QrRequest(scene, permanent, _expire_seconds(body.get("expire_seconds")))


def _expire_seconds(value: Any) -> int:
    """Read expire_seconds: absent or not positive means 60; more than 30 days is cut to 30 days."""
    if value is None:
        return TEMPORARY_TTL_DEFAULT
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(47001)
    if value <= 0:
        return TEMPORARY_TTL_DEFAULT
    return min(value, TEMPORARY_TTL_MAX)


def render_qr_png(url: str) -> bytes:
    """Render the PNG showqrcode answers for a code's url."""
    buffer = io.BytesIO()
    segno.make_qr(url, error="m").save(buffer, kind="png", scale=IMAGE_SCALE, border=IMAGE_BORDER)
    return buffer.getvalue()


def _new_ticket() -> tuple[str, str]:
    """Return a fresh (ticket, url) shaped like WeChat's: the ticket is base64 around the q-link."""
    url = "http://weixin.qq.com/q/" + secrets.token_urlsafe(17)[:22]
    ticket = "gQ" + base64.b64encode(secrets.token_bytes(6) + url.encode() + secrets.token_bytes(8)).decode()
    return ticket, url


class QrCodeBook:
    """Hold the created codes behind one lock.

    A permanent code is one per (account, scene): creating it again answers the same ticket and does not
    count against `permanent_limit` twice. Temporary codes get a fresh ticket each time and are unlimited.
    """

    def __init__(self, permanent_limit: int = PERMANENT_LIMIT) -> None:
        self.permanent_limit = permanent_limit
        self._lock = threading.Lock()
        self._codes: dict[str, QrCode] = {}
        self._permanent: dict[tuple[str, int | str], str] = {}  # (appid, scene) -> ticket

    def create(self, appid: str, request: QrRequest) -> QrCode:
        """Create (or for a held permanent scene, return) a code; raise 45029 past the permanent cap."""
        with self._lock:
            if request.permanent:
                held = self._permanent.get((appid, request.scene))
                if held is not None:
                    return self._codes[held]
                if sum(1 for key in self._permanent if key[0] == appid) >= self.permanent_limit:
                    raise ApiError(45029)
            ticket, url = _new_ticket()
            expires_at = None if request.permanent else time.time() + request.expire_seconds
            code = QrCode(ticket, appid, request.scene, url, expires_at)
            self._codes[ticket] = code
            if request.permanent:
                self._permanent[(appid, request.scene)] = ticket
            return code

    def get(self, ticket: str) -> QrCode | None:
        """Return the code a ticket stands for, expired or not."""
        with self._lock:
            return self._codes.get(ticket)

    def live(self, ticket: str) -> QrCode | None:
        """Return the code a ticket stands for unless it is unknown or expired."""
        code = self.get(ticket)
        return None if code is None or code.expired() else code

    def codes(self, appid: str | None = None) -> list[QrCode]:
        """Return the created codes, optionally only one account's."""
        with self._lock:
            return [c for c in self._codes.values() if appid is None or c.appid == appid]

    def expire(self) -> None:
        """Make every temporary code expired."""
        now = time.time()
        with self._lock:
            for ticket, code in self._codes.items():
                if not code.permanent:
                    self._codes[ticket] = replace(code, expires_at=now)

    def clear(self) -> None:
        """Forget every code."""
        with self._lock:
            self._codes.clear()
            self._permanent.clear()
