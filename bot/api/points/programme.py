"""Programme settings (expiry, reviews, 补签, streaks, tier rules) and the tier ladder."""

from __future__ import annotations

from bot.api.auth import current_account
from bot.api.points.schemas import Programme, ProgrammeChanges, Tier, Tiers, TiersBody
from bot.api.routes import operation
from bot.db import read, write
from rules.accounts.roles import Area
from services.points import programme, tiers


@operation("GET", "/programme", tag="programme", answer=Programme)
def get_programme() -> Programme:
    """Programme settings"""
    return read(lambda s: Programme.of(programme.settings_of(s, current_account().id)))


@operation(
    "PATCH",
    "/programme",
    area=Area.PROGRAMME,
    tag="programme",
    answer=Programme,
    body=ProgrammeChanges,
    invalid="invalid_programme",
)
def patch_programme(body: ProgrammeChanges) -> Programme:
    """Change programme settings
    The settings not sent keep their value; the next callback in every process uses the new ones."""
    changes = body.model_dump(exclude_unset=True)
    return write(
        lambda s: Programme.of(programme.save_settings(s, current_account().id, changes)), rules_changed=True
    )


@operation("GET", "/tiers", tag="programme", answer=Tiers)
def get_tiers() -> Tiers:
    """The tier ladder"""
    return Tiers(tiers=[Tier.of(r) for r in read(lambda s: tiers.tiers_of(s, current_account().id))])


@operation(
    "PUT",
    "/tiers",
    area=Area.PROGRAMME,
    tag="programme",
    answer=Tiers,
    body=TiersBody,
    invalid="invalid_tiers",
)
def put_tiers(body: TiersBody) -> Tiers:
    """Replace the tier ladder
    422 `invalid_tiers`, and nothing saved, unless exactly one tier starts at 0 and codes and thresholds
    all differ."""
    ladder = [t.model_dump() for t in body.tiers]
    rows = write(lambda s: tiers.replace_tiers(s, current_account().id, ladder), rules_changed=True)
    return Tiers(tiers=[Tier.of(r) for r in rows])
