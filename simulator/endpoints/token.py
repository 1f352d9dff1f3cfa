"""GET /cgi-bin/token: exchange appid and secret for an access token."""

from __future__ import annotations

from simulator.errors import ApiError
from simulator.routing import ApiRequest, Payload, api_endpoint


@api_endpoint("/cgi-bin/token", needs_token=False)
def token(req: ApiRequest) -> Payload:
    """Issue an access token to a registered (or auto-registered) account."""
    if req.arg("grant_type") != "client_credential":
        raise ApiError(40002)
    if not req.arg("appid"):
        raise ApiError(41002)
    if not req.arg("secret"):
        raise ApiError(41004)
    access_token, expires_in = req.state.issue_token(req.arg("appid"), req.arg("secret"))
    return {"access_token": access_token, "expires_in": expires_in}
