"""Parametric QR codes: POST /cgi-bin/qrcode/create and the image at /cgi-bin/showqrcode.

WeChat serves showqrcode on mp.weixin.qq.com, without an access token; the simulator on its one host.
"""

from __future__ import annotations

from flask import Response

from simulator.errors import error_body
from simulator.pages import Page
from simulator.qrcodes import parse_qr_request, render_qr_png
from simulator.routing import ApiRequest, Payload, api_endpoint, json_response

# showqrcode answers a bad or expired ticket with HTTP 404; the call log records it under this errcode.
UNKNOWN_TICKET_ERRCODE = 40097


@api_endpoint("/cgi-bin/qrcode/create", methods=["POST"])
def qrcode_create(req: ApiRequest) -> Payload:
    """Create a temporary or permanent code and answer its ticket (and lifetime when temporary)."""
    code = req.state.qrcodes.create(req.account, parse_qr_request(req.json()))
    if code.permanent:
        return {"ticket": code.ticket, "url": code.url}
    assert code.expires_at is not None
    expire_seconds = round(code.expires_at - code.created_at)
    return {"ticket": code.ticket, "expire_seconds": expire_seconds, "url": code.url}


@api_endpoint("/cgi-bin/showqrcode", needs_token=False)
def showqrcode(req: ApiRequest) -> Page:
    """Answer the code's image as a PNG, or 404 for an unknown or expired ticket."""
    code = req.state.qrcodes.live(req.arg("ticket"))
    if code is None:
        return Page(json_response(error_body(UNKNOWN_TICKET_ERRCODE), status=404), UNKNOWN_TICKET_ERRCODE)
    return Page(Response(render_qr_png(code.url), content_type="image/png"))
