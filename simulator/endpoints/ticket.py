"""GET /cgi-bin/ticket/getticket?access_token=…&type=jsapi: the ticket a page's wx.config is signed with."""

from __future__ import annotations

from simulator.errors import ApiError
from simulator.jsapi import TICKET_TYPES
from simulator.routing import ApiRequest, Payload, api_endpoint


@api_endpoint("/cgi-bin/ticket/getticket")
def getticket(req: ApiRequest) -> Payload:
    """Issue a ticket of the asked type (jsapi, wx_card) for the token's account."""
    kind = req.arg("type")
    if kind not in TICKET_TYPES:
        raise ApiError(40097)
    issued = req.state.tickets.issue(req.account, kind)
    return {"errcode": 0, "errmsg": "ok", "ticket": issued.ticket, "expires_in": req.state.tickets.ttl}
