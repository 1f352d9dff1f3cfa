"""Triggered journeys: list (the defaults are seeded), add, switch on and off, give a reward."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.api.auth import current_account
from bot.api.campaigns.campaigns import cover_url
from bot.api.campaigns.schemas import Journey, Journeys, JourneySwitch, NewJourney
from bot.api.errors import ApiError
from bot.api.outputs import local
from bot.api.routes import operation
from bot.db import read, write
from models import Journey as JourneyRow
from rules.accounts.roles import Area
from services.campaigns import grants, journeys


def journey_json(session: Session, j: JourneyRow) -> Journey:
    campaign, sent = journeys.message_of(session, j)
    return Journey.model_validate(
        {
            "id": j.id,
            "name": j.name,
            "trigger": j.trigger,
            "trigger_days": j.trigger_days,
            "delay_minutes": j.delay_minutes,
            "enabled": j.enabled,
            "title": campaign.variants[0]["title"],
            "summary": campaign.variants[0]["summary"],
            "audience": campaign.audience,
            "sent": sent,
            "created_at": local(j.created_at),
            "cover_image_id": campaign.cover_image_id,
            "cover_image_url": cover_url(session, campaign.cover_image_id),
            "reward_id": j.reward_id,
            "grants": grants.grant_counts(session, j.id),
        }
    )


@operation("GET", "/journeys", tag="journeys", answer=Journeys)
def list_journeys() -> Journeys:
    """Triggered journeys (the onboarding series and re-activation are seeded)"""

    def listing(session: Session) -> Journeys:
        rows = journeys.journeys_of(session, current_account().id)
        return Journeys(items=[journey_json(session, j) for j in rows])

    return read(listing)


@operation(
    "POST",
    "/journeys",
    area=Area.CAMPAIGNS,
    tag="journeys",
    answer=Journey,
    status=201,
    body=NewJourney,
    invalid="invalid_journey",
)
def create_journey(body: NewJourney) -> Journey:
    """Add a journey"""
    values = body.values()

    def save(session: Session) -> Journey:
        try:
            return journey_json(session, journeys.create(session, current_account().id, values))
        except journeys.InvalidJourney as exc:
            raise ApiError(422, "invalid_journey", "the journey does not hold", exc.problems) from None

    return write(save)


@operation(
    "PATCH",
    "/journeys/<id:journey_id>",
    area=Area.CAMPAIGNS,
    tag="journeys",
    answer=Journey,
    body=JourneySwitch,
    invalid="invalid_journey",
)
def switch_journey(journey_id: int, body: JourneySwitch) -> Journey:
    """Switch a journey on or off, or change its reward
    `{"enabled": false}` stops it (what is sent stays sent); true starts it again. `{"reward_id": 3}`
    grants that reward to the members it reaches from now on; null grants none."""
    changes = body.model_dump(exclude_unset=True)
    account_id = current_account().id

    def save(session: Session) -> Journey:
        j = journeys.switch(session, account_id, journey_id, changes.get("enabled"))
        if j is not None and "reward_id" in changes:
            try:
                j = journeys.set_reward(session, account_id, journey_id, changes["reward_id"])
            except journeys.InvalidJourney as exc:
                raise ApiError(422, "invalid_journey", "the journey does not hold", exc.problems) from None
        if j is None:
            raise ApiError(404, "unknown_journey", f"no journey {journey_id}")
        return journey_json(session, j)

    return write(save)
