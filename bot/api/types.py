"""The building blocks of the API's models: strict bodies, times with an offset, pages, 422 details."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

MAX_ID = 2_147_483_647  # what a PostgreSQL integer column holds
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _nullable(prop: dict[str, Any]) -> bool:
    return prop.get("type") == "null" or any(p.get("type") == "null" for p in prop.get("anyOf", []))


def _honest_defaults(schema: dict[str, Any]) -> None:
    """A field that may be left out but not sent as null: no `default: null` in the document."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None and not _nullable(prop):
            del prop["default"]


def exactly_one(*names: str) -> Callable[[dict[str, Any]], None]:
    """A body's `json_schema_extra` when it must send exactly one of `names` (a model validator checks
    it): the document says so with `oneOf`, one `required` each."""

    def extra(schema: dict[str, Any]) -> None:
        _honest_defaults(schema)
        schema["oneOf"] = [{"required": [name]} for name in names]

    return extra


class Body(BaseModel):
    """What a request sends: JSON types as they are (no "5" for 5), no unknown field."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_honest_defaults)


def _no_defaults(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class Changes(Body):
    """Some fields of a thing to change: those not sent keep their value, and none may be sent as
    null unless its type says so (`model_dump(exclude_unset=True)` gives what was sent)."""

    model_config = ConfigDict(json_schema_extra=_no_defaults)


def kept(description: str | None = None) -> Any:
    """A field of a change that may be left out (it keeps its value) but not sent as null unless its
    type says so."""
    return Field(None, description=description)


class Answer(BaseModel):
    """What the API gives: exactly these fields."""

    model_config = ConfigDict(extra="forbid")


class Query(BaseModel):
    """A query string: its values arrive as text and are read as the fields' types."""

    model_config = ConfigDict(extra="ignore")


def _in_range(at: datetime) -> datetime:
    if not EARLIEST <= at <= LATEST:
        raise ValueError("must be between the years 2000 and 2100")
    return at


Time = Annotated[AwareDatetime, AfterValidator(_in_range), Field(description="ISO 8601 with a UTC offset")]
Whole = Annotated[int, Field(ge=-MAX_ID, le=MAX_ID)]
Fen = Annotated[int, Field(ge=0, le=MAX_ID, description="amount in fen (分)")]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

T = TypeVar("T")


class Page(Answer, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int


class Paging(Query):
    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(20, ge=1, le=100)


def nul_paths(value: object, loc: tuple[int | str, ...] = ()) -> list[tuple[int | str, ...]]:
    """Where a NUL character hides in JSON (keys or strings): no database text column takes one."""
    if isinstance(value, str):
        return [loc] if "\x00" in value else []
    if isinstance(value, dict):
        found = [(*loc, str(k)) for k in value if "\x00" in str(k)]
        return found + [p for k, v in value.items() for p in nul_paths(v, (*loc, str(k)))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nul_paths(v, (*loc, i))]
    return []


def path_of(loc: tuple[int | str, ...]) -> str:
    """('tiers', 0, 'code') as `tiers[0].code`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems_of(exc: ValidationError) -> list[str]:
    """Each problem as `field.path: what is wrong`, in the words a merchant reads."""
    out = []
    for err in exc.errors(include_url=False):
        loc, kind = tuple(err["loc"]), err["type"]
        if kind == "extra_forbidden":
            where = path_of(loc[:-1])
            out.append(f"{where + ': ' if where else ''}unknown field {str(loc[-1])!r}")
            continue
        where = path_of(loc)
        for words in _words(kind, err).split("; "):  # a rule over several fields names them itself
            out.append(f"{where}: {words}" if where else words)
    return out


def _words(kind: str, err: Any) -> str:
    ctx = err.get("ctx") or {}
    known = {
        "missing": "is required",
        "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        "int_parsing": "must be a whole number",
        "bool_type": "must be true or false",
        "bool_parsing": "must be true or false",
        "string_type": "must be text",
        "list_type": "must be a list",
        "dict_type": "must be an object",
        "model_type": "must be an object",
        "model_attributes_type": "must be an object",
        "float_type": "must be a number",
        "datetime_type": "must be an ISO 8601 time with a UTC offset",
        "datetime_parsing": "must be an ISO 8601 time with a UTC offset",
        "datetime_from_date_parsing": "must be an ISO 8601 time with a UTC offset",
        "timezone_aware": "must be an ISO 8601 time with a UTC offset",
    }
    if kind in known:
        return known[kind]
    if kind == "string_too_short":
        return (
            "must not be empty"
            if ctx.get("min_length") == 1
            else f"must be at least {ctx.get('min_length')} characters"
        )
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le")}
    bounds |= {"greater_than": ("more than", "gt"), "less_than": ("less than", "lt")}
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {ctx.get(key)}"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} items"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} items"
    if kind == "literal_error" or kind == "enum":
        return f"must be one of {ctx.get('expected')}"
    if kind == "value_error":
        return str(ctx.get("error") or err["msg"])
    return str(err["msg"]).lower()
