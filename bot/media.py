"""GET /media/<id>/<sha prefix>.<ext>: the images merchants upload, served by Tiefen itself (the H5
pages allow images from 'self' only). The address names the image's hash, so it never changes
under a cache: a year's caching, and nothing but the image type to sniff."""

from __future__ import annotations

import hmac

from flask import Response, abort

from bot import bp
from bot.context import tiefen
from services.accounts.images import EXTENSIONS, image_of

YEAR = 365 * 24 * 3600
MAX_ID = 2**31 - 1  # an INTEGER id: beyond it nothing can be stored, so nothing to find


@bp.get("/media/<int:image_id>/<prefix>.<ext>")
def media(image_id: int, prefix: str, ext: str) -> Response:
    if not 0 < image_id <= MAX_ID or len(prefix) != 16:
        abort(404)
    with tiefen().sessions() as session:
        image = image_of(session, image_id)
        if (
            image is None
            or not hmac.compare_digest(prefix.encode(), image.sha256[:16].encode())
            or EXTENSIONS.get(image.content_type) != ext
        ):
            abort(404)
        response = Response(image.bytes, mimetype=image.content_type)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.set_etag(prefix)
    return response
