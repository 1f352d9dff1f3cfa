"""Which account a webhook URL serves, cached briefly per process."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.cache import Bounded
from config import Settings
from rules.inbound.modes import MessageMode
from services.accounts.registry import AccountRef, find_account, sync_account

CACHE_SECONDS = 30.0  # an `account add` reaches every web process within this
MISS_SECONDS = 5.0  # an appid no account has: asked again soon, kept briefly
CACHE_SIZE = 1024  # accounts a process keeps; unknown appids from forged URLs cannot grow it past this


class AccountDirectory:
    """Look accounts up by appid; `None` names the account configured in the environment."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self._cache: Bounded[str | None, AccountRef | None] = Bounded(CACHE_SIZE)

    def get(self, appid: str | None) -> AccountRef | None:
        hit, found = self._cache.get(appid)
        if hit:
            return found
        account = self._load(appid)
        self._cache.put(appid, account, CACHE_SECONDS if account is not None else MISS_SECONDS)
        return account

    def forget(self) -> None:
        self._cache.clear()

    def _load(self, appid: str | None) -> AccountRef | None:
        with self.sessions.begin() as session:
            if appid is not None:
                return find_account(session, appid)
            return self._sync_env_account(session)

    def _sync_env_account(self, session: Session) -> AccountRef | None:
        """Keep the environment's account (WECHAT_APPID, …) stored, so its events have an owner."""
        s = self.settings
        if not (s.wechat_appid and s.wechat_token):
            return None
        return sync_account(
            session,
            s.wechat_appid,
            s.wechat_token,
            s.wechat_aes_key,
            s.wechat_secret,
            s.wechat_name,
            s.wechat_timezone,
            MessageMode(s.wechat_message_mode) if s.wechat_message_mode else None,
        )
