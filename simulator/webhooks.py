"""Each account's webhook as configured on the Official Accounts Platform (服务器配置): URL, token, key, mode.

WeChat's server pushes the events it makes itself (MASSSENDJOBFINISH after a mass send) to this URL,
signed with the token and, in compat or safe mode, encrypted with the EncodingAESKey.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

MODES = ("plain", "compat", "safe")


@dataclass(frozen=True)
class WebhookConfig:
    """One account's server configuration."""

    appid: str
    url: str
    token: str
    aes_key: str | None = None
    mode: str = "plain"
    account_id: str = "gh_sim"  # the account's original id, ToUserName of its callbacks

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.mode != "plain" and not self.aes_key:
            raise ValueError(f"{self.mode} mode needs an aes_key")
        if not self.url.startswith(("http://", "https://")) or not self.token:
            raise ValueError("an http(s) url and a token are required")

    def to_dict(self) -> dict[str, str | None]:
        """Return the configuration as the control API lists it."""
        return asdict(self)


class WebhookBook:
    """Hold every account's webhook behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._configs: dict[str, WebhookConfig] = {}

    def register(self, config: WebhookConfig) -> None:
        """Set (or replace) an account's webhook."""
        with self._lock:
            self._configs[config.appid] = config

    def get(self, appid: str) -> WebhookConfig | None:
        """An account's webhook, or None when it has none."""
        with self._lock:
            return self._configs.get(appid)

    def remove(self, appid: str) -> None:
        """Forget an account's webhook."""
        with self._lock:
            self._configs.pop(appid, None)

    def all(self) -> list[WebhookConfig]:
        """Every registered webhook."""
        with self._lock:
            return list(self._configs.values())

    def clear(self) -> None:
        """Forget every webhook."""
        with self._lock:
            self._configs.clear()
