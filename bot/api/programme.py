"""Programme settings (expiry, reviews, 补签, streaks, tier rules) and the tier ladder."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy.orm import Session

from bot.api import api, inputs, outputs
from bot.api.auth import current_account
from bot.api.db import read, write
from bot.api.errors import ApiError
from services import api_support
from services.api_support import Invalid


@api.get("/programme")
def get_programme() -> Response:
    return jsonify(read(lambda s: outputs.settings(api_support.settings_of(s, current_account().id))))


@api.patch("/programme")
def patch_programme() -> Response:
    changes = inputs.json_object()

    def save(session: Session) -> dict[str, Any]:
        try:
            return outputs.settings(api_support.save_settings(session, current_account().id, changes))
        except Invalid as exc:
            raise ApiError(422, "invalid_programme", "the settings do not hold", exc.problems) from None

    return jsonify(write(save, rules_changed=True))


@api.get("/tiers")
def get_tiers() -> Response:
    rows = read(lambda s: api_support.tiers_of(s, current_account().id))
    return jsonify({"tiers": [outputs.tier(r) for r in rows]})


@api.put("/tiers")
def put_tiers() -> Response:
    """Replace the whole ladder with `{"tiers": [...]}`; 422 `invalid_tiers`, and nothing saved, otherwise."""
    body = inputs.json_object()
    inputs.fields(body, "invalid_tiers", {"tiers"}, {"tiers"})

    def save(session: Session) -> list[dict[str, Any]]:
        try:
            rows = api_support.replace_tiers(session, current_account().id, body["tiers"])
        except Invalid as exc:
            raise ApiError(422, "invalid_tiers", "the tiers do not hold", exc.problems) from None
        return [outputs.tier(r) for r in rows]

    return jsonify({"tiers": write(save, rules_changed=True)})
