"""Every operation of the document, fuzzed from its own schemas (positive and negative cases): never a
server error, and every answer exactly what the document says (status code, content type, body)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.api.openapi import path_of_rule
from bot.api.routes import OPERATIONS, Operation

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(
    os.environ.get("TIEFEN_FUZZ_EXAMPLES", "12")
)  # per operation and mode: bounded for CI; raise it locally for a longer hunt


def test_the_document_is_valid_openapi_3_1(client):
    validate(client.get("/api/v1/openapi.json").get_json())


def takes_input(op: Operation) -> bool:
    return op.body is not None or op.query is not None or "<" in op.rule


CASES = [(op, GenerationMode.POSITIVE) for op in OPERATIONS]
CASES += [(op, GenerationMode.NEGATIVE) for op in OPERATIONS if takes_input(op)]  # nothing to break else


@pytest.mark.parametrize(
    ("op", "mode"), CASES, ids=lambda v: f"{v.method} {v.rule}" if isinstance(v, Operation) else str(v)
)
def test_every_operation_holds_under_fuzzing(app, api, make_member, op, mode):
    make_member("oFuzz1")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path_of_rule(op.rule)][op.method]
    token = {"Authorization": f"Bearer {api.token}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=token, checks=CHECKS)

    fuzz()
