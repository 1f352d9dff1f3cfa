"""What every H5 request passes before a view reads it: a small body, and a rate per address."""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from bot.h5 import h5
from bot.limits import h5_rate, limiter

MAX_BODY = 64 * 1024  # an H5 form (a review, a phone number) is a few KB; nothing larger is parsed


@h5.before_request
def small_bodies_only() -> None:
    """Refuse an over-long body before anything parses it (a declared length at once; a chunked one
    as soon as the form parser reads past the cap)."""
    request.max_content_length = MAX_BODY
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise RequestEntityTooLarge()


limiter.shared_limit(h5_rate, scope="h5")(h5)  # per address over every page and form together
