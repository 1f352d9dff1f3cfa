"""Triggered journeys: list (the defaults are seeded), add, switch on and off."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.api import api, inputs, outputs
from bot.api.auth import current_account
from bot.api.db import read, write
from bot.api.errors import ApiError
from models import Campaign, Delivery, Journey
from services.campaigns import journeys

FIELDS = ("name", "trigger", "trigger_days", "delay_minutes", "title", "summary", "cover_url", "audience")


def journey_json(session: Session, j: Journey) -> dict[str, Any]:
    campaign = session.get(Campaign, j.campaign_id)
    assert campaign is not None
    sent = session.scalar(
        select(func.count()).where(Delivery.campaign_id == j.campaign_id, Delivery.status == "sent")
    )
    return {
        "id": j.id,
        "name": j.name,
        "trigger": j.trigger,
        "trigger_days": j.trigger_days,
        "delay_minutes": j.delay_minutes,
        "enabled": j.enabled,
        "title": campaign.variants[0]["title"],
        "summary": campaign.variants[0]["summary"],
        "audience": campaign.audience,
        "sent": int(sent or 0),
        "created_at": outputs.iso(j.created_at),
    }


@api.get("/journeys")
def list_journeys() -> Response:
    def listing(session: Session) -> list[dict[str, Any]]:
        journeys.ensure_defaults(session, current_account().id)
        rows = session.scalars(
            select(Journey).where(Journey.account_id == current_account().id).order_by(Journey.id)
        )
        return [journey_json(session, j) for j in rows]

    return jsonify({"items": read(listing)})


@api.post("/journeys")
def create_journey() -> tuple[Response, int]:
    body = inputs.json_object()
    inputs.fields(body, "invalid_journey", FIELDS, ("name", "trigger", "title", "summary"))

    def save(session: Session) -> dict[str, Any]:
        try:
            return journey_json(session, journeys.create(session, current_account().id, body))
        except journeys.InvalidJourney as exc:
            raise ApiError(422, "invalid_journey", "the journey does not hold", exc.problems) from None

    return jsonify(write(save)), 201


@api.patch("/journeys/<int:journey_id>")
def switch_journey(journey_id: int) -> Response:
    """`{"enabled": false}` stops it (what is sent stays sent); true starts it again."""
    body = inputs.json_object()
    inputs.fields(body, "invalid_journey", ("enabled",), ("enabled",))
    if not isinstance(body["enabled"], bool):
        raise ApiError(422, "invalid_journey", "enabled must be true or false")

    def save(session: Session) -> dict[str, Any]:
        j = session.scalar(
            select(Journey).where(Journey.id == journey_id, Journey.account_id == current_account().id)
        )
        if j is None:
            raise ApiError(404, "unknown_journey", f"no journey {journey_id}")
        j.enabled = body["enabled"]
        return journey_json(session, j)

    return jsonify(write(save))
