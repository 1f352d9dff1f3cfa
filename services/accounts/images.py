"""Images a merchant uploads: checked to be a real PNG, JPEG or WebP, re-encoded (nothing but the
pixels survives: no metadata, no trailing bytes), kept per account and served by Tiefen itself."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image as Pil
from PIL import UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Image

MAX_BYTES = 2 * 1024 * 1024  # what may be uploaded
MAX_SIDE = 1600  # pixels: larger images are scaled down
MAX_PIXELS = 40_000_000  # refused before decoding: a decompression bomb
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class ImageRefused(ValueError):
    """Not an image we keep; the message is for the merchant (Chinese)."""


@dataclass(frozen=True)
class Reencoded:
    """An upload's pixels written anew: what `store_image` keeps."""

    data: bytes
    content_type: str


def reencoded(data: bytes) -> Reencoded:
    """The image's pixels written anew in its own format, and its content type; ImageRefused if it
    is too large, not an image, or not PNG, JPEG or WebP."""
    if not data:
        raise ImageRefused("请选择图片文件")
    if len(data) > MAX_BYTES:
        raise ImageRefused("图片不能超过 2 MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Pil.DecompressionBombWarning)
            with Pil.open(io.BytesIO(data)) as img:
                kind = img.format or ""
                if kind not in FORMATS:
                    raise ImageRefused("只支持 PNG、JPEG 或 WebP 图片")
                if img.width * img.height > MAX_PIXELS:
                    raise ImageRefused("图片尺寸过大")
                img.load()
                return Reencoded(_write(img, kind), FORMATS[kind])
    except ImageRefused:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Pil.DecompressionBombError,
        Pil.DecompressionBombWarning,
    ):
        raise ImageRefused("文件不是有效的图片") from None


def _write(img: Pil.Image, kind: str) -> bytes:
    img.thumbnail((MAX_SIDE, MAX_SIDE))
    if kind == "JPEG":
        img = img.convert("RGB")
    elif img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        img = img.convert("RGBA")
    out = io.BytesIO()
    options = {"quality": 85} if kind in ("JPEG", "WEBP") else {"optimize": True}
    img.save(out, format=kind, **options)
    return out.getvalue()


def store_image(session: Session, account_id: int, image_data: Reencoded) -> Image:
    """Keep an uploaded image (checked and re-encoded by `reencoded`) for the account."""
    image = Image(
        account_id=account_id,
        content_type=image_data.content_type,
        bytes=image_data.data,
        sha256=hashlib.sha256(image_data.data).hexdigest(),
    )
    session.add(image)
    session.flush()
    return image


def image_of(session: Session, image_id: int) -> Image | None:
    return session.get(Image, image_id)


def image_path(image_id: int, sha256: str, content_type: str) -> str:
    """Where Tiefen serves an image: its id, then a prefix of its hash (a new image, a new address)."""
    return f"/media/{image_id}/{sha256[:16]}.{EXTENSIONS.get(content_type, 'bin')}"


def paths_of(session: Session, image_ids: list[int]) -> dict[int, str]:
    """The address of each image, by id, in one query."""
    if not image_ids:
        return {}
    rows = session.execute(
        select(Image.id, Image.sha256, Image.content_type).where(Image.id.in_(sorted(set(image_ids))))
    )
    return {i: image_path(i, sha, ct) for i, sha, ct in rows}
