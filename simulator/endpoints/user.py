"""GET /cgi-bin/user/info: a follower's basic info."""

from __future__ import annotations

from simulator.errors import ApiError
from simulator.routing import ApiRequest, Payload, api_endpoint
from simulator.users import is_valid_openid


@api_endpoint("/cgi-bin/user/info")
def user_info(req: ApiRequest) -> Payload:
    """Answer the follower's info, invented deterministically from the openid."""
    openid = req.arg("openid")
    if not is_valid_openid(openid):
        raise ApiError(40003)
    return req.state.user(req.account, openid)
