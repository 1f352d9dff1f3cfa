"""Control API for mass sends and webhooks, under /_sim beside simulator.admin (not part of WeChat).

POST   /_sim/webhooks                   {"appid", "url", "token", "aes_key"?, "mode"?, "account_id"?}
GET    /_sim/webhooks                   every account's webhook
DELETE /_sim/webhooks/<appid>
GET    /_sim/mass-sends[?appid=]        every mass send with its targets, filtered, recipients and events
GET    /_sim/mass-sends/<msg_id>
POST   /_sim/mass-sends/<msg_id>/replay push the job's MASSSENDJOBFINISH again, now; answers the delivery
GET    /_sim/mass-settings              quota, clientmsgid window and event settings
POST   /_sim/mass-settings              {"monthly_quota"?, "dedupe_window"?, "event_delay"?, "event_retries"?,
                                         "retry_interval"?, "event_timeout"?} (seconds)
POST   /_sim/mass-failures              {"status": "send fail" | "err(num)", "times"?}: the next jobs fail
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from simulator import mass_events
from simulator.errors import error_body, ok
from simulator.routing import current_state, json_response
from simulator.webhooks import WebhookConfig

mass_admin = Blueprint("wechat_sim_mass", __name__, url_prefix="/_sim")

SETTINGS = {
    "monthly_quota": int,
    "dedupe_window": float,
    "event_delay": float,
    "event_retries": int,
    "retry_interval": float,
    "event_timeout": float,
}


def _body() -> dict[str, Any]:
    """Return the JSON object posted to a control endpoint (empty when absent)."""
    body = request.get_json(force=True, silent=True)
    return body if isinstance(body, dict) else {}


def _bad_request(message: str, status: int = 400) -> Response:
    """Answer a control request that cannot be done."""
    return json_response(error_body(47001, message), status=status)


@mass_admin.post("/webhooks")
def register_webhook() -> Response:
    """Register (or replace) the webhook WeChat pushes an account's events to."""
    body = _body()
    fields = {k: body[k] for k in ("appid", "url", "token", "aes_key", "mode", "account_id") if k in body}
    if not all(isinstance(v, str | None) for v in fields.values()):
        return _bad_request("fields must be strings")
    try:
        current_state().webhooks.register(WebhookConfig(**fields))
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    return json_response(ok())


@mass_admin.get("/webhooks")
def list_webhooks() -> Response:
    """List every account's webhook."""
    return json_response({"webhooks": [c.to_dict() for c in current_state().webhooks.all()]})


@mass_admin.delete("/webhooks/<appid>")
def remove_webhook(appid: str) -> Response:
    """Forget an account's webhook."""
    current_state().webhooks.remove(appid)
    return json_response(ok())


@mass_admin.get("/mass-sends")
def list_mass_sends() -> Response:
    """List the mass sends, optionally only one account's with ?appid=."""
    jobs = current_state().mass.jobs(request.args.get("appid"))
    return json_response({"mass_sends": [job.to_dict() for job in jobs]})


@mass_admin.get("/mass-sends/<int:msg_id>")
def show_mass_send(msg_id: int) -> Response:
    """Show one mass send."""
    job = current_state().mass.get(msg_id)
    if job is None:
        return json_response(error_body(40059), status=404)
    return json_response(job.to_dict())


@mass_admin.post("/mass-sends/<int:msg_id>/replay")
def replay_mass_event(msg_id: int) -> Response:
    """Push a finished mass send's MASSSENDJOBFINISH again and answer how the webhook took it."""
    try:
        record = mass_events.replay(current_state(), msg_id)
    except mass_events.NothingToReplay as exc:
        return _bad_request(str(exc), status=409)
    return json_response({"delivery": record})


@mass_admin.get("/mass-settings")
def show_mass_settings() -> Response:
    """Show the mass-send settings."""
    book = current_state().mass
    return json_response({name: getattr(book, name) for name in SETTINGS})


@mass_admin.post("/mass-settings")
def change_mass_settings() -> Response:
    """Change mass-send settings; answer them all."""
    body, book = _body(), current_state().mass
    try:
        values = {name: SETTINGS[name](body[name]) for name in SETTINGS if name in body}
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    if any(value < 0 for value in values.values()):
        return _bad_request("settings cannot be negative")
    for name, value in values.items():
        setattr(book, name, value)
    return show_mass_settings()


@mass_admin.post("/mass-failures")
def fail_next_mass_sends() -> Response:
    """Make the next mass sends end with a failure status (nobody receives them)."""
    body = _body()
    try:
        current_state().mass.fail_next(str(body.get("status", "")), int(body.get("times", 1)))
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    return json_response(ok())
