"""Temporary media: POST /cgi-bin/media/upload (multipart field `media`) and GET /cgi-bin/media/get."""

from __future__ import annotations

from flask import Response

from simulator.errors import ApiError
from simulator.pages import Page
from simulator.routing import ApiRequest, Payload, api_endpoint


@api_endpoint("/cgi-bin/media/upload", methods=["POST"])
def media_upload(req: ApiRequest) -> Payload:
    """Check and keep an uploaded file for three days; answer its media_id."""
    media = req.state.media.add(req.account, req.arg("type"), req.files.get("media"))
    return {"type": media.type, "media_id": media.media_id, "created_at": media.created_at}


@api_endpoint("/cgi-bin/media/get")
def media_get(req: ApiRequest) -> Page:
    """Answer the bytes of one of the account's unexpired media, or 40007."""
    media = req.state.media.live(req.account, req.arg("media_id"))
    if media is None:
        raise ApiError(40007)
    disposition = f'attachment; filename="{media.media_id}.{media.format}"'
    headers = {"Content-Disposition": disposition, "Cache-Control": "no-cache, must-revalidate"}
    return Page(Response(media.data, content_type=media.content_type, headers=headers))
