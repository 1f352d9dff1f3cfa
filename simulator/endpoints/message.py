"""POST /cgi-bin/message/template/send: a template message (service notice) to a follower."""

from __future__ import annotations

from typing import Any, TypeGuard

from simulator.errors import ApiError
from simulator.routing import ApiRequest, Payload, api_endpoint
from simulator.users import is_valid_openid


@api_endpoint("/cgi-bin/message/template/send", methods=["POST"])
def template_send(req: ApiRequest) -> Payload:
    """Validate a template message like WeChat, record it and answer its msgid."""
    body = req.json()
    if not isinstance(body, dict):
        raise ApiError(47001)
    touser = body.get("touser")
    if not is_valid_openid(touser):
        raise ApiError(40003)
    template_id = body.get("template_id")
    if not isinstance(template_id, str) or not req.state.templates.accepts(req.account, template_id):
        raise ApiError(40037)
    data, url, miniprogram = body.get("data"), body.get("url"), body.get("miniprogram")
    if not _is_template_data(data) or not isinstance(url, str | None):
        raise ApiError(47001)
    if miniprogram is not None and not isinstance(miniprogram, dict):
        raise ApiError(47001)
    if req.state.user(req.account, touser)["subscribe"] != 1:
        raise ApiError(43004)
    sent = req.state.templates.record(req.account, touser, template_id, data, url, miniprogram)
    return {"errcode": 0, "errmsg": "ok", "msgid": sent.msgid}


def _is_template_data(data: Any) -> TypeGuard[dict[str, Any]]:
    """Tell whether data maps keywords to {"value": ..., "color"?: ...} objects."""
    return isinstance(data, dict) and all(isinstance(item, dict) for item in data.values())
