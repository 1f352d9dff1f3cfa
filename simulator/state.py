"""Thread-safe in-memory state of the simulated WeChat API."""

from __future__ import annotations

import copy
import secrets
import threading
import time
from typing import Any

from simulator.custom import REPLY_WINDOW, CustomBook, SentCustom
from simulator.errors import ApiError
from simulator.jsapi import TICKET_TTL, TicketBook
from simulator.mass import MassBook
from simulator.media import MEDIA_TTL, MediaStore
from simulator.oauth import OAUTH_CODE_TTL, OAuthCodes
from simulator.qrcodes import PERMANENT_LIMIT, QrCodeBook
from simulator.records import Call, Fault, Token
from simulator.tags import TAG_LIMIT, TagBook
from simulator.templates import SentTemplate, TemplateBook
from simulator.users import make_user
from simulator.webhooks import WebhookBook

TOKEN_TTL = 7200


class SimulatorState:
    """Hold apps, tokens, menus, users, the call log and faults behind one lock.

    Template messages (`templates`), web OAuth codes (`oauth_codes`), QR codes (`qrcodes`), temporary media
    (`media`), customer-service messages with the interactions that allow them (`custom`) and user tags
    (`tags`) live in stores with their own locks. Their limits are settings: `qr_permanent_limit` (WeChat:
    100,000 permanent codes an account), `media_ttl` (3 days), `reply_window` (48 hours) and `tag_limit`
    (100 tags an account); JS-SDK tickets (`tickets`) live `ticket_ttl` (2 hours). Each can also be
    changed later through its store, e.g. `state.qrcodes.permanent_limit = 3`. Mass sends live in `mass`
    (its quota and event settings are attributes) and each account's webhook, where WeChat pushes its own
    events, in `webhooks`.
    """

    def __init__(
        self,
        auto_register: bool = True,
        token_ttl: int = TOKEN_TTL,
        auto_templates: bool = True,
        oauth_code_ttl: float = OAUTH_CODE_TTL,
        qr_permanent_limit: int = PERMANENT_LIMIT,
        media_ttl: float = MEDIA_TTL,
        reply_window: float = REPLY_WINDOW,
        tag_limit: int = TAG_LIMIT,
        ticket_ttl: int = TICKET_TTL,
    ) -> None:
        self.auto_register = auto_register
        self.token_ttl = token_ttl
        self.templates = TemplateBook(auto_templates)
        self.oauth_codes = OAuthCodes(oauth_code_ttl)
        self.qrcodes = QrCodeBook(qr_permanent_limit)
        self.media = MediaStore(media_ttl)
        self.custom = CustomBook(reply_window)
        self.tags = TagBook(tag_limit)
        self.tickets = TicketBook(ticket_ttl)
        self.mass = MassBook()
        self.webhooks = WebhookBook()
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

    def knows_app(self, appid: str) -> bool:
        """Tell whether an account is registered, or would be on its first token request (auto_register)."""
        with self._lock:
            return self.auto_register or appid in self._apps

    def check_credentials(self, appid: str, secret: str) -> None:
        """Raise 40013/40125 unless the secret is the account's; auto_register registers a new account."""
        with self._lock:
            if appid not in self._apps and self.auto_register:
                self._apps[appid] = secret
            if appid not in self._apps:
                raise ApiError(40013)
            if self._apps[appid] != secret:
                raise ApiError(40125)

    def issue_token(self, appid: str, secret: str) -> tuple[str, int]:
        """Check the credentials and issue a new access token with its lifetime."""
        self.check_credentials(appid, secret)
        token = secrets.token_urlsafe(96)
        with self._lock:
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

    def faults_waiting(self, path: str) -> int:
        """How many calls to `path` the injected faults will still hit."""
        with self._lock:
            return sum(f.times for f in self._faults if f.path == path)

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
        """Return a copy of a follower's info (invented on first sight) with the ids of their tags."""
        with self._lock:
            users = self._users.setdefault(appid, {})
            info = copy.deepcopy(users.setdefault(openid, make_user(openid)))
        info["tagid_list"] = self.tags.ids_of(appid, openid)
        return info

    def put_user(self, appid: str, openid: str, **fields: Any) -> dict[str, Any]:
        """Override fields of a follower's info (e.g. subscribe=0) and return it."""
        with self._lock:
            users = self._users.setdefault(appid, {})
            info = users.setdefault(openid, make_user(openid))
            info.update(copy.deepcopy(fields))
            return copy.deepcopy(info)

    def knows_user(self, appid: str, openid: str) -> bool:
        """Tell whether the account has met this member (a callback from them or a user/info call)."""
        with self._lock:
            return openid in self._users.get(appid, {})

    def follows(self, appid: str, openid: str) -> bool:
        """Tell whether a member follows the account; a member the simulator never met does not."""
        with self._lock:
            info = self._users.get(appid, {}).get(openid)
            return info is not None and info.get("subscribe") == 1

    def followers(self, appid: str) -> list[str]:
        """The openids following an account, in the order the simulator met them."""
        with self._lock:
            return [o for o, info in self._users.get(appid, {}).items() if info.get("subscribe") == 1]

    def note_interaction(
        self, appid: str, openid: str, kind: str = "message", at: float | None = None
    ) -> None:
        """Record that a member interacted (message, menu, subscribe, scan), opening the reply window."""
        self.user(appid, openid)
        self.custom.note(appid, openid, kind, at)

    def custom_messages(self, appid: str | None = None, touser: str | None = None) -> list[SentCustom]:
        """Return the customer-service messages sent, optionally only one account's and/or member's."""
        return self.custom.sent(appid, touser)

    def add_template(self, appid: str, template_id: str) -> None:
        """Register a template id an account may send (needed only with auto_templates=False)."""
        self.templates.add(appid, template_id)

    def template_messages(self, appid: str | None = None) -> list[SentTemplate]:
        """Return the template messages sent, optionally only one account's."""
        return self.templates.sent(appid)

    def reset(self) -> None:
        """Forget everything the accounts did (apps, tokens, menus, users, calls, ...); keep the settings."""
        with self._lock:
            for store in (self._apps, self._tokens, self._menus, self._users):
                store.clear()
            self._calls.clear()
            self._faults.clear()
        books = (self.templates, self.oauth_codes, self.qrcodes, self.media, self.custom, self.tags)
        for book in (*books, self.tickets, self.mass, self.webhooks):
            book.clear()
