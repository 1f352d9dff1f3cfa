"""POST /cgi-bin/message/custom/send: a customer-service message to a member who recently interacted."""

from __future__ import annotations

from simulator.custom import check_custom
from simulator.errors import ApiError, ok
from simulator.routing import ApiRequest, Payload, api_endpoint
from simulator.users import is_valid_openid


@api_endpoint("/cgi-bin/message/custom/send", methods=["POST"])
def custom_send(req: ApiRequest) -> Payload:
    """Validate like WeChat (content, then 40003 / 43004 / 45015 for the member) and record the message."""
    body = req.json()
    touser, msgtype, content = check_custom(body, lambda media_id, kind: _media_is(req, media_id, kind))
    if not is_valid_openid(touser) or not req.state.knows_user(req.account, touser):
        raise ApiError(40003)
    if not req.state.follows(req.account, touser):
        raise ApiError(43004)
    if not req.state.custom.in_window(req.account, touser):
        raise ApiError(45015)
    service = body.get("customservice")
    kf_account = service.get("kf_account") if isinstance(service, dict) else None
    req.state.custom.record(
        req.account, touser, msgtype, content, kf_account if isinstance(kf_account, str) else None
    )
    return ok()


def _media_is(req: ApiRequest, media_id: str, kind: str) -> bool:
    """Tell whether a media_id is one of the account's unexpired uploads of the given type."""
    media = req.state.media.live(req.account, media_id)
    return media is not None and media.type == kind
