"""Triggered journeys in the console: a new journey with its trigger, delay, audience (with the live
preview the campaign editor has), message (its cover uploaded as a reward's picture is) and the
reward it grants, checked by the API's NewJourney model."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue
from pydantic import ValidationError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from bot.access import current
from bot.api.campaigns.schemas import NewJourney
from bot.api.types import problems_of
from bot.console.campaigns import (
    TRIGGER_NAMES,
    _choices,
    _int,
    audience_of,
    cover_upload,
    field_errors,
    with_cover,
)
from bot.console.web import done, page, view
from bot.db import read, write
from rules.accounts.roles import Area
from services.campaigns import journeys
from services.points import rewards

FIELDS = {"name", "trigger", "trigger_days", "delay_minutes", "title", "summary", "audience", "reward_id"}


def draft_of(form: MultiDict[str, str], tz: str) -> dict[str, object]:
    """The form as the API's NewJourney body (the delay is typed in hours)."""
    hours = _int(form.get("delay_hours", "0") or "0")
    body: dict[str, object] = {
        "name": form.get("name", "").strip(),
        "trigger": form.get("trigger", ""),
        "delay_minutes": hours * 60 if isinstance(hours, int) else hours,
        "title": form.get("title", "").strip(),
        "summary": form.get("summary", "").strip(),
        "audience": audience_of(form, tz),
    }
    if form.get("trigger_days", "").strip():
        body["trigger_days"] = _int(form["trigger_days"])
    if form.get("reward_id", "").strip():
        body["reward_id"] = _int(form["reward_id"])
    return body


@view("/journeys/new", Area.CAMPAIGNS, methods=("GET", "POST"))
def journeys_new() -> ResponseReturnValue:
    account = current().account
    choices = read(lambda s: _choices(s, account.id) | {"rewards": rewards.catalogue(s, account.id)})
    form: MultiDict[str, str] = request.form if request.method == "POST" else MultiDict()
    context = {"form": form, "triggers": TRIGGER_NAMES, **choices}
    if request.method == "GET":
        return page("console/journeys_edit.html", errors={}, problems=[], **context)
    fields = FIELDS | {f"audience.{k}" for k in ("tiers", "stages", "rfm_segments", "channels", "tags")}
    picture, errors = cover_upload()
    try:
        body = NewJourney.model_validate(draft_of(form, account.timezone))
    except ValidationError as exc:
        found, problems = field_errors(problems_of(exc), fields)
        return page("console/journeys_edit.html", 422, errors=found | errors, problems=problems, **context)
    if errors:
        return page("console/journeys_edit.html", 422, errors=errors, problems=[], **context)
    values = body.values()

    def save(s: Session) -> int:
        with_cover(s, account.id, picture, values)
        return journeys.create(s, account.id, values).id

    try:
        write(save)
    except journeys.InvalidJourney as exc:
        errors, problems = field_errors(exc.problems, fields)
        return page("console/journeys_edit.html", 422, errors=errors, problems=problems, **context)
    return done("旅程已保存并开启", "console.campaigns")
