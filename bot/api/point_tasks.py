"""Point tasks (积分任务): list them, create or change one by its action."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from flask import Response, jsonify
from sqlalchemy.orm import Session

from bot.api import api, inputs, outputs
from bot.api.auth import current_account
from bot.api.db import read, write
from bot.api.errors import ApiError
from services import api_support
from services.points.programme import InvalidTask


@api.get("/point-tasks")
def list_point_tasks() -> Response:
    page, per_page = inputs.paging()
    rows, total = read(lambda s: api_support.tasks_page(s, current_account().id, page, per_page))
    return jsonify(outputs.page([outputs.task(r) for r in rows], page, per_page, total))


@api.put("/point-tasks/<action>")
def put_point_task(action: str) -> Response:
    """Create the task or change the fields given; 422 `invalid_task`, and nothing saved, otherwise."""
    changes = inputs.json_object()
    for name in ("starts_at", "ends_at"):
        with suppress(KeyError, ValueError):  # absent, or left as sent for the check to name
            changes[name] = inputs.parse_time(changes[name])

    def save(session: Session) -> dict[str, Any]:
        try:
            row = api_support.save_task(session, current_account().id, action, changes)
        except InvalidTask as exc:
            raise ApiError(422, "invalid_task", "the task does not hold", exc.problems) from None
        return outputs.task(row)

    return jsonify(write(save, rules_changed=True))
