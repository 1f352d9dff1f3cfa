"""Campaigns: create (checked), read, preview (counts at once) and dry run (who, which variant, how)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.api import api, inputs, outputs
from bot.api.auth import current_account
from bot.api.db import read, tiefen, write
from bot.api.errors import ApiError
from models import Campaign, utcnow
from rules.campaigns.lifecycle import STARTS_SENDING, Action
from rules.campaigns.planner import Rules
from services.campaigns import audience as campaigns
from services.campaigns import lifecycle, recurring
from services.campaigns import reports as campaign_reports
from tasks.campaigns import queue_senders

FIELDS = ("name", "audience", "variants", "page", "send_at", "recurring", "quiet_start", "quiet_end")


def campaign_json(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "status": c.status,
        "audience": c.audience,
        "variants": c.variants,
        "page": c.page,
        "send_at": outputs.iso(c.send_at),
        "recurring": c.recurring,
        "parent_id": c.parent_id,
        "occurs_at": outputs.iso(c.occurs_at),
        "quiet_hours": [c.quiet_start, c.quiet_end],
        "created_at": outputs.iso(c.created_at),
    }


@api.post("/campaigns")
def create_campaign() -> tuple[Response, int]:
    body = inputs.json_object()
    inputs.fields(body, "invalid_campaign", FIELDS, ("name", "variants"))

    def save(session: Session) -> dict[str, Any]:
        try:
            return campaign_json(campaigns.create(session, current_account().id, body, utcnow()))
        except campaigns.InvalidCampaign as exc:
            raise ApiError(422, "invalid_campaign", "the campaign does not hold", exc.problems) from None

    return jsonify(write(save)), 201


@api.get("/campaigns/<int:campaign_id>")
def get_campaign(campaign_id: int) -> Response:
    return jsonify(read(lambda s: campaign_json(_campaign(s, campaign_id))))


@api.post("/campaigns/<int:campaign_id>/preview")
def preview_campaign(campaign_id: int) -> Response:
    """The audience size and who is reachable by which channel, and who is held back and why."""

    def count(session: Session) -> dict[str, Any]:
        c = _campaign(session, campaign_id)
        p = campaigns.preview(session, c, current_account().timezone, utcnow(), Rules())
        return {
            "audience": p.audience,
            "reachable": sum(p.by_channel.values()),
            "by_channel": p.by_channel,
            "held": p.held,
            "by_variant": p.by_variant,
        }

    return jsonify(read(count))


@api.get("/campaigns/<int:campaign_id>/dry-run")
def dry_run_campaign(campaign_id: int) -> Response:
    """Page through who would get which variant by which channel; nothing is sent."""
    page, per_page = inputs.paging()

    def listing(session: Session) -> dict[str, Any]:
        c = _campaign(session, campaign_id)
        rows = campaigns.dry_run(session, c, current_account().timezone, utcnow(), Rules(), page, per_page)
        items = [
            {"openid": r.openid, "variant": r.variant, "channel": r.channel, "held": r.reason} for r in rows
        ]
        return {"items": items, "page": page, "per_page": per_page}

    return jsonify(read(listing))


def _campaign(session: Session, campaign_id: int) -> Campaign:
    found = session.scalar(
        select(Campaign).where(Campaign.id == campaign_id, Campaign.account_id == current_account().id)
    )
    if found is None:
        raise ApiError(404, "unknown_campaign", f"no campaign {campaign_id}")
    return found


TRANSITIONS = tuple(Action)  # send, pause, resume, cancel: rules.campaigns.lifecycle.ACTIONS says from where


def act_on_campaign(campaign_id: int, action: str) -> tuple[Response, int]:
    """send (at once, or at send_at; quiet hours wait; a recurring campaign starts recurring),
    pause, resume, cancel."""
    act = Action(action)

    def change(session: Session) -> tuple[dict[str, Any], bool]:
        c = _campaign(session, campaign_id)
        try:
            queue = lifecycle.act(session, c, act, utcnow())
        except lifecycle.NotAllowed:
            raise ApiError(
                409, "campaign_state", f"campaign {campaign_id} is {c.status}: cannot {action}"
            ) from None
        except lifecycle.EmptyAudience:
            raise ApiError(422, "empty_audience", "the audience matches no member: nothing to send") from None
        return campaign_json(c), queue

    body, queue = write(change)
    if queue:
        queue_senders(tiefen().runtime.queue("campaigns"), campaign_id)
    return jsonify(body), 202 if act in STARTS_SENDING else 200


for _action in TRANSITIONS:
    api.add_url_rule(
        f"/campaigns/<int:campaign_id>/{_action}",
        f"campaign_{_action}",
        act_on_campaign,
        methods=["POST"],
        defaults={"action": _action},
    )


@api.get("/campaigns/<int:campaign_id>/report")
def campaign_report(campaign_id: int) -> Response:
    """Per variant: targeted, sent by channel, held and failed by reason, opened."""

    def build(session: Session) -> dict[str, Any]:
        c = _campaign(session, campaign_id)
        out = campaign_reports.report(session, c)
        if c.recurring:
            out["occurrences"] = [  # each with its own report
                {"id": i, "occurs_at": outputs.iso(at), "status": status}
                for i, at, status in recurring.occurrences(session, c.id)
            ]
        return out

    return jsonify(read(build))
