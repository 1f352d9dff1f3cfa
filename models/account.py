"""An official account (公众号) served by Tiefen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    appid: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    token: Mapped[str] = mapped_column(String(64))
    aes_key: Mapped[str | None] = mapped_column(String(43))
    # plaintext | compatible | safe (rules.inbound.modes): a safe-mode account refuses plaintext callbacks
    message_mode: Mapped[str] = mapped_column(String(16), default="plaintext", server_default="plaintext")
    secret: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    welcome_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
