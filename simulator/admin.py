"""The simulator's own control API under /_sim (not part of WeChat)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, request

from simulator.custom import INTERACTION_KINDS
from simulator.errors import error_body, ok
from simulator.oauth import OPENID_COOKIE
from simulator.pages import html_page, redirect_page
from simulator.routing import current_state, json_response
from simulator.users import is_valid_openid

T = TypeVar("T")

admin = Blueprint("wechat_sim_admin", __name__, url_prefix="/_sim")


def _body() -> dict[str, Any]:
    """Return the JSON object posted to a control endpoint (empty when absent)."""
    body = request.get_json(force=True, silent=True)
    return body if isinstance(body, dict) else {}


def _bad_request(message: str) -> Response:
    """Answer a malformed control request."""
    return json_response(error_body(47001, message), status=400)


def _optional(kind: Callable[[Any], T], value: Any) -> T | None:
    """Convert a value that may be absent."""
    return None if value is None else kind(value)


@admin.post("/apps")
def register_app() -> Response:
    """Register an official account: {"appid", "secret"}."""
    body = _body()
    if not isinstance(body.get("appid"), str) or not isinstance(body.get("secret"), str):
        return _bad_request("appid and secret are required")
    current_state().register_app(body["appid"], body["secret"])
    return json_response(ok())


@admin.get("/calls")
def list_calls() -> Response:
    """List logged API calls, optionally filtered with ?path=."""
    calls = current_state().calls(request.args.get("path"))
    return json_response({"calls": [call.to_dict() for call in calls]})


@admin.post("/faults")
def inject_fault() -> Response:
    """Inject a fault: {"path", "errcode"?, "delay"?, "times"?}."""
    body = _body()
    if not isinstance(body.get("path"), str):
        return _bad_request("path is required")
    try:
        errcode, delay = _optional(int, body.get("errcode")), _optional(float, body.get("delay"))
        current_state().inject(body["path"], errcode, delay, int(body.get("times", 1)))
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    return json_response(ok())


@admin.post("/expire-tokens")
def expire_tokens() -> Response:
    """Expire every issued access token."""
    current_state().expire_tokens()
    return json_response(ok())


@admin.post("/reset")
def reset() -> Response:
    """Forget everything."""
    current_state().reset()
    return json_response(ok())


@admin.get("/menus/<appid>")
def show_menu(appid: str) -> Response:
    """Show an account's current menu."""
    menu = current_state().menu(appid)
    if menu is None:
        return json_response(error_body(46003), status=404)
    return json_response({"menu": menu})


@admin.post("/users")
def put_user() -> Response:
    """Override a follower's info: {"appid", "openid", ...fields}."""
    fields = _body()
    appid, openid = fields.pop("appid", None), fields.pop("openid", None)
    if not isinstance(appid, str) or not isinstance(openid, str):
        return _bad_request("appid and openid are required")
    return json_response(current_state().put_user(appid, openid, **fields))


@admin.get("/users")
def show_user() -> Response:
    """Whether WeChat knows a member and whether they follow: ?appid=&openid= (nothing is invented)."""
    appid, openid = request.args.get("appid", ""), request.args.get("openid", "")
    if not appid or not is_valid_openid(openid):
        return _bad_request("appid and a valid openid are required")
    state = current_state()
    return json_response({"known": state.knows_user(appid, openid), "follows": state.follows(appid, openid)})


@admin.post("/templates")
def add_template() -> Response:
    """Register a template id an account may send: {"appid", "template_id"}."""
    body = _body()
    if not isinstance(body.get("appid"), str) or not isinstance(body.get("template_id"), str):
        return _bad_request("appid and template_id are required")
    current_state().add_template(body["appid"], body["template_id"])
    return json_response(ok())


@admin.get("/template-messages")
def list_template_messages() -> Response:
    """List the template messages sent, optionally only one account's with ?appid=."""
    sent = current_state().template_messages(request.args.get("appid"))
    return json_response({"messages": [message.to_dict() for message in sent]})


@admin.get("/login")
def login() -> Response:
    """Play a member's phone in a desktop browser: ?openid=...&next=URL sets the sim_openid cookie."""
    openid, next_url = request.args.get("openid", ""), request.args.get("next")
    if not is_valid_openid(openid):
        return _bad_request("a valid openid is required")
    if next_url:
        response = redirect_page(next_url).response
    else:
        response = html_page("微信模拟器", f"已作为 {openid} 登录")
    response.set_cookie(OPENID_COOKIE, openid, httponly=True, samesite="Lax")
    return response


@admin.get("/qrcodes")
def list_qrcodes() -> Response:
    """List the QR codes created, optionally only one account's with ?appid=."""
    codes = current_state().qrcodes.codes(request.args.get("appid"))
    return json_response({"qrcodes": [code.to_dict() for code in codes]})


@admin.post("/expire-qrcodes")
def expire_qrcodes() -> Response:
    """Expire every temporary QR code."""
    current_state().qrcodes.expire()
    return json_response(ok())


@admin.get("/media")
def list_media() -> Response:
    """List uploaded temporary media (without their bytes), optionally only one account's with ?appid=."""
    media = current_state().media.all(request.args.get("appid"))
    return json_response({"media": [item.to_dict() for item in media]})


@admin.get("/media/<media_id>")
def show_media(media_id: str) -> Response:
    """Answer the bytes of an uploaded media file, expired or not."""
    media = current_state().media.get(media_id)
    if media is None:
        return json_response(error_body(40007), status=404)
    return Response(media.data, content_type=media.content_type)


@admin.post("/expire-media")
def expire_media() -> Response:
    """Expire every uploaded media file."""
    current_state().media.expire()
    return json_response(ok())


@admin.post("/interactions")
def note_interaction() -> Response:
    """Record a member's interaction, as a callback would: {"appid", "openid", "kind"?, "at"?}."""
    body = _body()
    appid, openid = body.get("appid"), body.get("openid")
    kind = body.get("kind", "message")
    if not isinstance(appid, str) or not is_valid_openid(openid) or kind not in INTERACTION_KINDS:
        return _bad_request(f"appid, a valid openid and a kind of {sorted(INTERACTION_KINDS)} are required")
    try:
        current_state().note_interaction(appid, openid, kind, _optional(float, body.get("at")))
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    return json_response(ok())


@admin.get("/custom-messages")
def list_custom_messages() -> Response:
    """List the customer-service messages sent, optionally filtered with ?appid= and ?touser=."""
    sent = current_state().custom_messages(request.args.get("appid"), request.args.get("touser"))
    return json_response({"messages": [message.to_dict() for message in sent]})


@admin.post("/limits")
def set_limits() -> Response:
    """Change limits: {"qr_permanent_limit"?, "media_ttl"?, "reply_window"?, "tag_limit"?} (seconds for
    media_ttl and reply_window)."""
    body, state = _body(), current_state()
    try:
        limit = _optional(int, body.get("qr_permanent_limit"))
        media_ttl = _optional(float, body.get("media_ttl"))
        window = _optional(float, body.get("reply_window"))
        tag_limit = _optional(int, body.get("tag_limit"))
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    if limit is not None:
        state.qrcodes.permanent_limit = limit
    if media_ttl is not None:
        state.media.ttl = media_ttl
    if window is not None:
        state.custom.window = window
    if tag_limit is not None:
        state.tags.limit = tag_limit
    return json_response(ok())


@admin.get("/tags")
def list_tags() -> Response:
    """Each account's user tags with their followers, and each follower's tag ids, optionally only one
    account's with ?appid=: {"accounts": {appid: {"tags": [{id, name, count, openids}], "members": {...}}}}.
    """
    return json_response({"accounts": current_state().tags.dump(request.args.get("appid"))})


@admin.post("/js-config")
def check_js_config() -> Response:
    """Check a page's wx.config as WeChat's client would: {"appId", "url", "timestamp", "nonceStr",
    "signature"} -> {"errcode": 0} when signed with one of the account's live jsapi_tickets for that
    URL, 63002 "invalid signature" otherwise."""
    body = _body()
    fields = [body.get(name) for name in ("appId", "url", "nonceStr", "signature")]
    if not all(isinstance(value, str) for value in fields) or body.get("timestamp") is None:
        return _bad_request("appId, url, timestamp, nonceStr and signature are required")
    appid, url, nonce, signature = fields
    errcode = current_state().tickets.check_config(appid, url, body["timestamp"], nonce, signature)
    return json_response(error_body(errcode, "invalid signature" if errcode else "ok"))
