"""Settings from the environment: a pure function of a mapping, no I/O at import."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

DEV_SECRET_KEY = "dev-only-not-secret"
REAL_WECHAT_API = "https://api.weixin.qq.com"


def parse_bool(value: str | bool | None) -> bool:
    """Read "1", "true", "yes", "on" (any case) as true; anything else as false."""
    if isinstance(value, bool):
        return value
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything Tiefen reads from its environment."""

    database_url: str
    redis_url: str | None = None  # None: the embedded in-process queue
    wechat_appid: str | None = None
    wechat_secret: str | None = None
    wechat_token: str | None = None
    wechat_aes_key: str | None = None
    wechat_message_mode: str | None = None  # plaintext | compatible | safe; default: safe with an AES key
    wechat_name: str = "铁粉小店"
    wechat_timezone: str = "Asia/Shanghai"
    wechat_api_base: str = REAL_WECHAT_API
    admin_token: str | None = None
    secret_key: str = DEV_SECRET_KEY
    public_base_url: str = "http://127.0.0.1:5000"
    timestamp_window: int = 300  # seconds a callback's timestamp may stray from now
    h5_rate_limit: str = "300 per minute"  # per address: a shop's Wi-Fi carries many customers
    api_rate_limit: str = "1200 per minute"  # per address: a till posting orders, a report run
    api_token_rate_limit: str = "1200 per minute"  # per token, from however many addresses
    log_format: str = "json"  # json (one object a line, for the log store) | text
    log_level: str = "INFO"
    ready_max_lag: int = 120  # seconds the oldest waiting callback may wait before /readyz says 503
    max_body_bytes: int = 64 * 1024
    drain_linger: float = 1.0  # seconds a drain job keeps polling after the last work it found
    campaign_rate: float = 200.0  # campaign messages per second to the WeChat API, all workers together
    campaign_concurrency: int = (
        8  # customer-service calls each sender keeps in flight (WeChat: tens of ms each)
    )
    testing: bool = False

    @property
    def embedded_queue(self) -> bool:
        return not self.redis_url

    @classmethod
    def from_env(cls, environ: Mapping[str, str], instance_path: Path) -> Settings:
        """Build settings from environment variables named like the fields, upper-cased."""
        default_db = f"sqlite:///{instance_path / 'tiefen.sqlite'}"
        values: dict[str, Any] = {"database_url": environ.get("DATABASE_URL") or default_db}
        for f in fields(cls):
            raw = environ.get(f.name.upper())
            if f.name == "database_url" or raw in (None, ""):
                continue
            values[f.name] = _coerce(f.type, raw)
        return cls(**values)

    def override(self, config: Mapping[str, Any]) -> Settings:
        """Return a copy with the given keys (upper or lower case) replacing ours."""
        names = {f.name: f for f in fields(self)}
        changes: dict[str, Any] = {}
        for key, value in config.items():
            f = names.get(key.lower())
            if f is not None:
                changes[f.name] = _coerce(f.type, value) if isinstance(value, str) else value
        return replace(self, **changes)


MIN_SECRET = 32  # characters of SECRET_KEY and ADMIN_TOKEN: guessing one must be hopeless
MAKE_ONE = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


class InsecureSettings(RuntimeError):
    """The environment would let strangers forge links or call the API; Tiefen will not start."""


def insecurities(settings: Settings) -> list[str]:
    """What stops Tiefen from starting outside tests and the demo (TESTING), each said plainly."""
    if settings.testing:
        return []
    found = []
    if settings.secret_key == DEV_SECRET_KEY or len(settings.secret_key) < MIN_SECRET:
        found.append(
            f"SECRET_KEY is {'not set' if settings.secret_key == DEV_SECRET_KEY else 'too short'}: it signs "
            f"every member link, so with a known or short one anyone can spend a member's points. Set it "
            f"to at least {MIN_SECRET} random characters, the same in every web and worker process: "
            f"export SECRET_KEY=$({MAKE_ONE})"
        )
    if settings.admin_token is not None and len(settings.admin_token) < MIN_SECRET:
        found.append(
            f"ADMIN_TOKEN is shorter than {MIN_SECRET} characters: unset it (named tokens from "
            f"`flask --app app account token` are the usual way in) or make it long: {MAKE_ONE}"
        )
    return found


def refuse_insecure(settings: Settings) -> None:
    problems = insecurities(settings)
    if problems:
        raise InsecureSettings("Tiefen will not start:\n- " + "\n- ".join(problems))


def _coerce(type_name: object, raw: str) -> Any:
    if type_name in (int, "int"):
        return int(raw)
    if type_name in (float, "float"):
        return float(raw)
    if type_name in (bool, "bool"):
        return parse_bool(raw)
    return raw
