"""The OpenAPI 3.1 document of /api/v1, assembled from the route table and its pydantic models."""

from __future__ import annotations

import functools
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from bot.api.errors import Error
from bot.api.routes import OPERATIONS, Operation, operation
from bot.api.types import MAX_ID

ERRORS = {
    400: "the body is not a JSON object",
    401: "no valid bearer token",
    403: "the token's role may not do this",
    404: "no such thing in this account",
    409: "the same number or key came before with other contents, or the state forbids it",
    413: "the body is larger than 64 KiB",
    422: "the input does not hold; `details` names each problem with its field path",
    502: "the WeChat API refused or did not answer; nothing was saved",
}
REF = "#/components/schemas/{model}"
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    seen: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(Error, "serialization"): None}
    for op in OPERATIONS:
        if op.body is not None:
            seen[(op.body, "validation")] = None
        seen.update({(m, "serialization"): None for m in op.answers.values() if m is not None})
    return list(seen)


def path_of_rule(rule: str) -> str:
    """`/campaigns/<id:campaign_id>` as the document writes it: `/campaigns/{campaign_id}`."""
    return PARAM.sub(lambda m: "{" + m.group(2) + "}", rule)


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for converter, name in PARAM.findall(rule):
        schema = (
            {"type": "integer", "minimum": 1, "maximum": MAX_ID} if converter == "id" else {"type": "string"}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return path_of_rule(rule), params


def _query(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema["properties"].items()
    ]


def _operation(op: Operation, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for code, model in op.answers.items():
        answer: dict[str, Any] = {"description": op.summary}
        if model is not None:
            answer["content"] = {"application/json": {"schema": refs[(model, "serialization")]}}
        responses[str(code)] = answer
    errors = set(op.errors) if op.public else {401, 403, 404, *op.errors}
    if op.body is not None:
        errors |= {400, 413, 422}
    if op.query is not None:
        errors.add(422)
    for code in sorted(errors):
        responses[str(code)] = {"$ref": f"#/components/responses/E{code}"}
    _, params = _path(op.rule)
    out: dict[str, Any] = {"operationId": op.endpoint.removeprefix("api."), "summary": op.summary}
    out |= {"tags": [op.tag], "responses": responses}
    if op.description:
        out["description"] = op.description
    if op.public:
        out["security"] = []
    params += _query(op.query) if op.query is not None else []
    if params:
        out["parameters"] = params
    if op.body is not None:
        schema = refs[(op.body, "validation")]
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    return out


@functools.cache
def document() -> dict[str, Any]:
    refs, defs = models_json_schema(_models(), ref_template=REF)
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        path, _ = _path(op.rule)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op, refs)
    error = refs[(Error, "serialization")]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tiefen (铁粉) merchant API",
            "version": "1.0.0",
            "description": "Amounts in fen; times ISO 8601 with a UTC offset; lists paged by ?page=&per_page",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The account's API token (or ADMIN_TOKEN with X-Tiefen-Account: <appid>)",
                }
            },
            "schemas": defs.get("$defs", {}),
            "responses": {
                f"E{code}": {"description": text, "content": {"application/json": {"schema": error}}}
                for code, text in ERRORS.items()
            },
        },
    }


class OpenApiDocument(BaseModel):
    """Any JSON object: the document describes itself."""

    model_config = {"extra": "allow"}


@operation("GET", "/openapi.json", tag="meta", answer=OpenApiDocument, public=True)
def openapi() -> dict[str, Any]:
    """This document (OpenAPI 3.1), served without a token"""
    return document()
