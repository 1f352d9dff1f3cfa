"""The route table: every operation's method, path, models and answers, in one place.

A view registered with `operation` gets its body and query already validated as pydantic models and
returns what its response model describes; the OpenAPI document (`bot.api.openapi`) is assembled from
the same table, so what the API checks, answers and documents cannot drift apart.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map

from bot.access import Forbidden, current, enforce, guard
from bot.api import api
from bot.api.errors import ApiError
from bot.api.types import MAX_ID, nul_paths, path_of, problems_of
from rules.accounts.roles import Area

MAX_BODY = 64 * 1024


class IdConverter(IntegerConverter):
    """`<id:name>`: a database id, 1 to 2^31-1; anything else is no such thing (404), never a 500."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


@api.record_once
def _install_converter(state: Any) -> None:
    state.app.url_map.converters["id"] = IdConverter


@dataclass(frozen=True)
class Operation:
    """One operation of the API as the document describes it."""

    method: str
    rule: str
    endpoint: str
    summary: str
    tag: str
    answers: dict[int, type[BaseModel] | None]  # success status: its body's model
    area: Area  # who may call it: rules.accounts.roles.PERMISSIONS
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    public: bool = False
    description: str = ""


OPERATIONS: list[Operation] = []


def operation(
    method: str,
    rule: str,
    *,
    tag: str,
    answer: type[BaseModel] | None,
    status: int = 200,
    also: tuple[int, ...] = (),
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    invalid: str = "invalid_request",
    errors: tuple[int, ...] = (),
    public: bool = False,
    area: Area | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Register a view: `body`/`query` arrive validated as keyword arguments (422 `invalid` otherwise);
    the view returns the answer (or `(answer, status)` for one of `also`), serialized through `answer`."""

    if area is None and method.upper() != "GET":
        raise TypeError(f"{method} {rule}: a change names the area whose role may make it")

    def register(view: Callable[..., Any]) -> Callable[..., Response]:
        doc = (view.__doc__ or "").strip()
        summary, _, description = doc.partition("\n")
        op = Operation(
            method.upper(),
            rule,
            f"api.{view.__name__}",
            summary.strip() or view.__name__.replace("_", " "),
            tag,
            {code: answer for code in (status, *also)},
            area or Area.READ,
            body,
            query,
            errors,
            public,
            " ".join(description.split()),
        )

        @functools.wraps(view)
        def handle(**path: Any) -> Response:
            if not op.public:
                try:
                    enforce(request.endpoint, current())
                except Forbidden as exc:
                    raise ApiError(403, "forbidden", str(exc)) from None
            if nul_paths(path):  # no stored key holds one: no such thing
                raise ApiError(404, "not_found", "no such thing in this account")
            if body is not None:
                path["body"] = read_body(body, invalid)
            if query is not None:
                path["query"] = read_query(query)
            result = view(**path)
            code = status
            if isinstance(result, tuple):
                result, code = result
            return respond(answer, result, code)

        OPERATIONS.append(op)
        api.add_url_rule(rule, view.__name__, handle, methods=[op.method])
        guard(op.endpoint, op.area)
        return handle

    return register


def is_public(endpoint: str | None) -> bool:
    return any(op.public and op.endpoint == endpoint for op in OPERATIONS)


def read_body(model: type[BaseModel], invalid: str) -> BaseModel:
    """The JSON body as `model`: 400 for no JSON object, 413 past the cap, 422 naming each problem."""
    if not request.is_json:
        raise ApiError(400, "bad_request", "send a JSON object with Content-Type: application/json")
    try:
        raw = request.get_data()  # kept: the audit log records what was sent
    except RequestEntityTooLarge:
        raise ApiError(413, "payload_too_large", f"the body must be at most {MAX_BODY} bytes") from None
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "bad_request", "the body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    nul = [f"{path_of(loc) or 'body'}: must not contain NUL characters" for loc in nul_paths(parsed)]
    if nul:
        raise ApiError(422, invalid, "the body does not hold", nul)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise ApiError(422, invalid, "the body does not hold", problems_of(exc)) from None


def read_query(model: type[BaseModel]) -> BaseModel:
    args = request.args.to_dict()
    nul = [f"{path_of(loc)}: must not contain NUL characters" for loc in nul_paths(args)]
    if nul:
        raise ApiError(422, "invalid_query", "the query does not hold", nul)
    try:
        return model.model_validate(args)
    except ValidationError as exc:
        raise ApiError(422, "invalid_query", "the query does not hold", problems_of(exc)) from None


def respond(model: type[BaseModel] | None, result: object, status: int) -> Response:
    """`result` as JSON through its model (Chinese left unescaped), or an empty body."""
    if model is None:
        return Response(status=status)
    value = result if isinstance(result, model) else model.model_validate(result)
    text = json.dumps(value.model_dump(mode="json", by_alias=True), ensure_ascii=False)
    return Response(text, status=status, mimetype="application/json")


@api.before_request
def cap_body() -> None:
    """Refuse a declared oversized body at once; a streamed one stops at the cap when read."""
    request.max_content_length = MAX_BODY
    if (request.content_length or 0) > MAX_BODY:
        raise ApiError(413, "payload_too_large", f"the body must be at most {MAX_BODY} bytes")
