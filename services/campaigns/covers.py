"""A campaign's cover: an image the merchant uploaded (services.accounts.images), served by Tiefen at
/media/… (the H5 pages take images from 'self' only) and given to WeChat by its absolute address."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Image
from services.accounts.images import paths_of


def cover_problems(session: Session, account_id: int, image_id: int | None) -> list[str]:
    """`cover_image_id` must name an image of the account."""
    if image_id is None:
        return []
    found = session.scalar(select(Image.id).where(Image.id == image_id, Image.account_id == account_id))
    return [] if found is not None else [f"cover_image_id: no image {image_id}"]


def cover_path(session: Session, image_id: int | None) -> str | None:
    """Where the cover is served (/media/…), or None for none."""
    return None if image_id is None else paths_of(session, [image_id]).get(image_id)


def absolute(base_url: str, path: str | None) -> str | None:
    """The address WeChat (or a shop system) fetches: on the server's public address."""
    return None if path is None else base_url.rstrip("/") + path
