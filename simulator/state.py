"""Thread-safe in-memory state of the simulated WeChat API."""

from __future__ import annotations

import copy
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from simulator.errors import ApiError
from simulator.users import make_user

TOKEN_TTL = 7200


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


class SimulatorState:
    """Hold apps, tokens, menus, users, the call log and faults behind one lock."""

    def __init__(self, auto_register: bool = True, token_ttl: int = TOKEN_TTL) -> None:
        self.auto_register = auto_register
        self.token_ttl = token_ttl
        self._lock = threading.Lock()
        self._apps: dict[str, str] = {}
        self._tokens: dict[str, Token] = {}
        self._menus: dict[str, dict[str, Any]] = {}
        self._users: dict[str, dict[str, dict[str, Any]]] = {}
        self._calls: list[Call] = []
        self._faults: list[Fault] = []

    def register_app(self, appid: str, secret: str) -> None:
        """Register (or re-key) an official account."""
        with self._lock:
            self._apps[appid] = secret

    def issue_token(self, appid: str, secret: str) -> tuple[str, int]:
        """Check the credentials and issue a new access token with its lifetime."""
        with self._lock:
            if appid not in self._apps and self.auto_register:
                self._apps[appid] = secret
            if appid not in self._apps:
                raise ApiError(40013)
            if self._apps[appid] != secret:
                raise ApiError(40125)
            token = secrets.token_urlsafe(96)
            self._tokens[token] = Token(appid, time.time() + self.token_ttl)
            return token, self.token_ttl

    def token_owner(self, token: str | None) -> str:
        """Return the appid an access token belongs to, or raise the WeChat error."""
        if not token:
            raise ApiError(41001)
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None:
            raise ApiError(40001)
        if issued.expires_at <= time.time():
            raise ApiError(42001)
        return issued.appid

    def expire_tokens(self) -> None:
        """Make every issued token expired."""
        now = time.time()
        with self._lock:
            self._tokens = {key: Token(tok.appid, now) for key, tok in self._tokens.items()}

    def inject(
        self, path: str, errcode: int | None = None, delay: float | None = None, times: int = 1
    ) -> None:
        """Make the next `times` calls to `path` sleep `delay` seconds and/or fail with `errcode`.

        A delay alone still performs the call afterwards, as a slow WeChat does for a client that gave up.
        """
        if errcode is None and delay is None:
            raise ValueError("a fault needs an errcode or a delay")
        if times < 1 or (delay is not None and delay < 0):
            raise ValueError("times must be >= 1 and delay >= 0")
        with self._lock:
            self._faults.append(Fault(path, errcode, delay, times))

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the oldest fault injected for `path`."""
        with self._lock:
            fault = next((f for f in self._faults if f.path == path), None)
            if fault is None:
                return None
            fault.times -= 1
            if fault.times == 0:
                self._faults.remove(fault)
            return Fault(fault.path, fault.errcode, fault.delay, 1)

    def record(self, call: Call) -> None:
        """Append a call to the log."""
        with self._lock:
            self._calls.append(call)

    def calls(self, path: str | None = None) -> list[Call]:
        """Return the logged calls, optionally only those to one path."""
        with self._lock:
            return [c for c in self._calls if path is None or c.path == path]

    def set_menu(self, appid: str, menu: dict[str, Any]) -> None:
        """Store an account's menu."""
        with self._lock:
            self._menus[appid] = copy.deepcopy(menu)

    def menu(self, appid: str) -> dict[str, Any] | None:
        """Return a copy of an account's menu, or None when it has none."""
        with self._lock:
            return copy.deepcopy(self._menus.get(appid))

    def delete_menu(self, appid: str) -> None:
        """Delete an account's menu."""
        with self._lock:
            self._menus.pop(appid, None)

    def user(self, appid: str, openid: str) -> dict[str, Any]:
        """Return a copy of a follower's info, inventing it on first sight."""
        with self._lock:
            users = self._users.setdefault(appid, {})
            return copy.deepcopy(users.setdefault(openid, make_user(openid)))

    def put_user(self, appid: str, openid: str, **fields: Any) -> dict[str, Any]:
        """Override fields of a follower's info (e.g. subscribe=0) and return it."""
        with self._lock:
            users = self._users.setdefault(appid, {})
            info = users.setdefault(openid, make_user(openid))
            info.update(copy.deepcopy(fields))
            return copy.deepcopy(info)

    def reset(self) -> None:
        """Forget apps, tokens, menus, users, calls and faults."""
        with self._lock:
            for store in (self._apps, self._tokens, self._menus, self._users):
                store.clear()
            self._calls.clear()
            self._faults.clear()
