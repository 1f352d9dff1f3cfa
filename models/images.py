"""Images a merchant uploads (a reward's picture), kept in the database and served by Tiefen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Image(Base):
    """One re-encoded image (PNG, JPEG or WebP) of an account; served at /media/<id>/<sha prefix>.<ext>."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))  # image/png | image/jpeg | image/webp
    bytes: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
