"""What a mass send may carry, checked like WeChat's message/mass/send and sendall check it.

Message types as the documentation lists them: mpnews (a draft's media_id), text, voice, image (the
current `images: {media_ids: [...]}` and the older `image: {media_id}` that wechatpy 1.8 sends),
mpvideo (a media_id from media/uploadvideo) and wxcard (a card_id). Voice and image media_ids must be
the account's live uploads; mpnews and mpvideo ids come from stores the simulator does not keep, so any
non-empty id is taken. The documentation gives no length limit for a mass text, so none is checked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeGuard

from simulator.errors import ApiError
from simulator.mass import CLIENTMSGID_MAX_BYTES, refuse

MASS_TYPES = frozenset({"mpnews", "text", "voice", "image", "mpvideo", "wxcard"})
MediaCheck = Callable[[str, str], bool]  # (media_id, media type) -> a live upload of this account


def check_content(body: dict[str, Any], media_ok: MediaCheck) -> tuple[str, dict[str, Any]]:
    """Return (msgtype, the object carrying its content) or raise WeChat's errcode.

    40008 unknown msgtype, 44004 empty text, 40007 missing or unusable media_id, 47001 malformed.
    """
    msgtype = body.get("msgtype")
    if not isinstance(msgtype, str) or msgtype not in MASS_TYPES:
        raise ApiError(40008)
    if msgtype == "image":
        return msgtype, _image(body, media_ok)
    content = body.get(msgtype)
    if not isinstance(content, dict):
        raise ApiError(44004 if msgtype == "text" else 47001)
    if msgtype == "text" and not _filled(content.get("content")):
        raise ApiError(44004)
    if msgtype == "wxcard" and not _filled(content.get("card_id")):
        raise ApiError(47001)
    if msgtype in ("mpnews", "voice", "mpvideo"):
        media_id = content.get("media_id")
        if not _filled(media_id) or (msgtype == "voice" and not media_ok(media_id, "voice")):
            raise ApiError(40007)
    return msgtype, content


def check_clientmsgid(
    body: dict[str, Any], audience: dict[str, Any], msgtype: str, content: dict[str, Any]
) -> str:
    """The send's clientmsgid: the one given (45067 past 64 bytes), else a digest of audience and content,
    as WeChat uses when none is given."""
    given = body.get("clientmsgid")
    if isinstance(given, int) and not isinstance(given, bool):
        given = str(given)
    if given is not None and not isinstance(given, str):
        raise ApiError(47001)
    if given:
        if len(given.encode("utf-8")) > CLIENTMSGID_MAX_BYTES:
            raise refuse(45067)
        return given
    scope = json.dumps([audience, msgtype, content], sort_keys=True, ensure_ascii=False)
    return "digest:" + hashlib.sha1(scope.encode("utf-8")).hexdigest()


def _image(body: dict[str, Any], media_ok: MediaCheck) -> dict[str, Any]:
    """An image send's content: images.media_ids (or wechatpy's image.media_id), each a live image."""
    images, image = body.get("images"), body.get("image")
    if isinstance(images, dict):
        media_ids = images.get("media_ids")
        if not isinstance(media_ids, list) or not media_ids:
            raise ApiError(40007)
        content = images
    elif isinstance(image, dict):
        media_ids, content = [image.get("media_id")], image
    else:
        raise ApiError(47001)
    if not all(_filled(m) and media_ok(m, "image") for m in media_ids):
        raise ApiError(40007)
    return content


def _filled(value: Any) -> TypeGuard[str]:
    """Tell whether a value is a non-empty string."""
    return isinstance(value, str) and bool(value)
