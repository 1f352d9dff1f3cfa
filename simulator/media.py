"""Temporary media (临时素材): uploads checked like WeChat checks them, kept for three days."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field, replace

from simulator.errors import ApiError

MEDIA_TTL = 3 * 86_400
MB = 1024 * 1024
# type -> (size limit in bytes, errcode when over it, formats WeChat accepts)
RULES: dict[str, tuple[int, int, frozenset[str]]] = {
    "image": (10 * MB, 40009, frozenset({"png", "jpeg", "gif"})),
    "voice": (2 * MB, 40010, frozenset({"amr", "mp3"})),
    "video": (10 * MB, 40011, frozenset({"mp4"})),
    "thumb": (64 * 1024, 40012, frozenset({"jpeg"})),
}
CONTENT_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "amr": "audio/amr",
    "mp3": "audio/mpeg",
    "mp4": "video/mp4",
}


@dataclass(frozen=True)
class Upload:
    """A file posted in a multipart form."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Media:
    """One uploaded temporary media file."""

    media_id: str
    appid: str
    type: str
    format: str
    filename: str
    data: bytes = field(repr=False)
    created_at: int
    expires_at: float

    @property
    def content_type(self) -> str:
        """Return the MIME type of the stored bytes."""
        return CONTENT_TYPES[self.format]

    def to_dict(self) -> dict[str, str | int | float]:
        """Return the media's metadata (not its bytes) as a JSON-ready dict."""
        return {
            "media_id": self.media_id,
            "appid": self.appid,
            "type": self.type,
            "format": self.format,
            "filename": self.filename,
            "size": len(self.data),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
        }


def sniff(data: bytes) -> str | None:
    """Tell a file's format from its first bytes, or None when it is none WeChat takes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"#!AMR"):
        return "amr"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    if data[4:8] == b"ftyp":
        return "mp4"
    return None


def check_upload(media_type: str, upload: Upload | None) -> str:
    """Validate an upload like WeChat and return its format.

    40004 unknown type, 41005 no file, 40009-40012 too large for the type, 40005 not a format of the type.
    """
    rule = RULES.get(media_type)
    if rule is None:
        raise ApiError(40004)
    if upload is None or not upload.data:
        raise ApiError(41005)
    limit, size_errcode, formats = rule
    if len(upload.data) > limit:
        raise ApiError(size_errcode)
    found = sniff(upload.data)
    if found not in formats:
        raise ApiError(40005)
    return found


class MediaStore:
    """Hold uploaded media behind one lock; a media_id stops working `ttl` seconds after its upload."""

    def __init__(self, ttl: float = MEDIA_TTL) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._media: dict[str, Media] = {}

    def add(self, appid: str, media_type: str, upload: Upload | None) -> Media:
        """Validate and keep an upload; return it with its fresh media_id."""
        found = check_upload(media_type, upload)
        assert upload is not None
        now, media_id = time.time(), secrets.token_urlsafe(48)
        expires_at = now + self.ttl
        media = Media(media_id, appid, media_type, found, upload.filename, upload.data, int(now), expires_at)
        with self._lock:
            self._media[media.media_id] = media
        return media

    def get(self, media_id: str) -> Media | None:
        """Return a media file, expired or not."""
        with self._lock:
            return self._media.get(media_id)

    def live(self, appid: str, media_id: str) -> Media | None:
        """Return an account's unexpired media file, or None."""
        media = self.get(media_id)
        if media is None or media.appid != appid or media.expires_at <= time.time():
            return None
        return media

    def all(self, appid: str | None = None) -> list[Media]:
        """Return the uploaded media, optionally only one account's."""
        with self._lock:
            return [m for m in self._media.values() if appid is None or m.appid == appid]

    def expire(self) -> None:
        """Make every media file expired."""
        now = time.time()
        with self._lock:
            self._media = {key: replace(m, expires_at=now) for key, m in self._media.items()}

    def clear(self) -> None:
        """Forget every media file."""
        with self._lock:
            self._media.clear()
