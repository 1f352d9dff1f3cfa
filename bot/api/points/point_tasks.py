"""Point tasks (积分任务): list them, create or change one by its action."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.api.auth import current_account
from bot.api.errors import ApiError
from bot.api.points.schemas import PointTask, PointTaskChanges, PointTaskPage
from bot.api.routes import operation
from bot.api.types import Paging
from bot.db import read, write
from rules.accounts.roles import Area
from services.points import programme
from services.points.programme import InvalidTask


@operation("GET", "/point-tasks", tag="point tasks", answer=PointTaskPage, query=Paging)
def list_point_tasks(query: Paging) -> PointTaskPage:
    """List point tasks"""
    rows, total = read(lambda s: programme.tasks_page(s, current_account().id, query.page, query.per_page))
    return PointTaskPage(
        items=[PointTask.of(r) for r in rows], page=query.page, per_page=query.per_page, total=total
    )


@operation(
    "PUT",
    "/point-tasks/<action>",
    area=Area.PROGRAMME,
    tag="point tasks",
    answer=PointTask,
    body=PointTaskChanges,
    invalid="invalid_task",
)
def put_point_task(action: str, body: PointTaskChanges) -> PointTask:
    """Create or change the point task of an action (follow, checkin, ..., custom:<code>)
    The fields not sent keep their value; 422 `invalid_task`, and nothing saved, when the task does not
    hold."""
    changes = body.model_dump(exclude_unset=True)

    def save(session: Session) -> PointTask:
        try:
            row = programme.save_task(session, current_account().id, action, changes)
        except InvalidTask as exc:
            raise ApiError(422, "invalid_task", "the task does not hold", exc.problems) from None
        return PointTask.of(row)

    return write(save, rules_changed=True)
