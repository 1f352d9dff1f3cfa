"""Count and time every statement a piece of code sends, by a short label like `UPDATE members SET …`."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

_FROM = re.compile(r"\bFROM\s+(\w+)", re.I)
_WHERE = re.compile(r"\bWHERE\s+\(?(\w+\.\w+|\w+)", re.I)
_SET = re.compile(r"\bSET\s+(\w+)", re.I)


def label(sql: str) -> str:
    """A short name: `SELECT members WHERE members.id`, `INSERT ledger_entries ON CONFLICT`, …"""
    head = sql.lstrip().split(None, 1)[0].upper()
    if head == "SELECT":
        table = _FROM.search(sql)
        where = _WHERE.search(sql)
        tail = " GROUP BY" if "GROUP BY" in sql else ""
        tail += " FOR UPDATE" if "FOR UPDATE" in sql else ""
        return f"SELECT {table.group(1) if table else '?'} WHERE {where.group(1) if where else '-'}{tail}"
    if head == "INSERT":
        table = re.search(r"INSERT INTO\s+(\w+)", sql, re.I)
        conflict = " ON CONFLICT" if "ON CONFLICT" in sql else ""
        return f"INSERT {table.group(1) if table else '?'}{conflict}"
    if head == "UPDATE":
        table = re.search(r"UPDATE\s+(\w+)", sql, re.I)
        column = _SET.search(sql)
        return f"UPDATE {table.group(1) if table else '?'} SET {column.group(1) if column else '?'}"
    return head


@dataclass
class Tally:
    calls: int = 0  # cursor executions: round trips (an executemany is pipelined: one)
    rows: int = 0  # rows returned or written (the driver's rowcount)
    seconds: float = 0.0  # from sending to the driver's return, results included


@dataclass
class StatementLog:
    by_label: dict[str, Tally] = field(default_factory=dict)
    _started: list[float] = field(default_factory=list)

    def before(self, conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        self._started.append(time.perf_counter())

    def after(self, conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        tally = self.by_label.setdefault(label(sql), Tally())
        tally.calls += 1
        tally.rows += max(0, cursor.rowcount)
        tally.seconds += time.perf_counter() - self._started.pop()

    @property
    def seconds(self) -> float:
        return sum(t.seconds for t in self.by_label.values())

    @property
    def calls(self) -> int:
        return sum(t.calls for t in self.by_label.values())


@contextmanager
def logged(engine: Engine) -> Iterator[StatementLog]:
    """Log every statement `engine` runs while inside the block."""
    log = StatementLog()
    event.listen(engine, "before_cursor_execute", log.before)
    event.listen(engine, "after_cursor_execute", log.after)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", log.before)
        event.remove(engine, "after_cursor_execute", log.after)
