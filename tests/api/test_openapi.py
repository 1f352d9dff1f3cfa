"""The OpenAPI document: public, and exactly the routes the blueprint serves."""

from __future__ import annotations

import re
from typing import Any

from tests.api.conftest import conforms


def routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            found |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def test_the_document_is_public_and_openapi_3_1(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.1") and doc["servers"] == [{"url": "/api/v1"}]
    assert doc["components"]["securitySchemes"]["bearer"] == {
        **doc["components"]["securitySchemes"]["bearer"],
        "type": "http",
        "scheme": "bearer",
    }
    assert doc["security"] == [{"bearer": []}]
    assert doc["paths"]["/openapi.json"]["get"]["security"] == []


def test_every_route_is_documented_and_every_documented_route_exists(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == routes(app)


def test_every_reference_resolves_and_every_operation_answers_errors_in_the_error_schema(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for ref in refs(doc):
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"] and op["responses"], (path, method)
            if path != "/openapi.json":
                assert "401" in op["responses"], (path, method)
            if "requestBody" in op:
                assert {"400", "413"} <= set(op["responses"]), (path, method)
            params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert params == set(re.findall(r"{(\w+)}", path)), (path, method)
    error = doc["components"]["schemas"]["ErrorDetail"]
    assert set(error["required"]) == {"code", "message", "details"}


def test_the_responses_are_exactly_what_their_schemas_say(api, make_member, run_jobs):
    doc = api.client.get("/api/v1/openapi.json").get_json()
    make_member("oDoc1")
    api.put("/point-tasks/custom:doc", {"points": 1})
    event = {"openid": "oDoc1", "action": "custom:doc", "key": "d1"}
    accepted = api.post("/events", event).get_json()
    run_jobs()
    order = api.post("/orders", {"order_no": "SO-D", "openid": "oDoc1", "amount_fen": 100}).get_json()
    refund = api.post("/orders/SO-D/refunds", {"refund_no": "R-D", "refund_fen": 50}).get_json()
    reward = {"name": "券", "kind": "coupon", "points_price": 1, "stock": 1}
    samples = {
        "PointTask": api.get("/point-tasks").get_json()["items"][0],
        "Programme": api.get("/programme").get_json(),
        "Tiers": api.get("/tiers").get_json(),
        "Tier": api.get("/tiers").get_json()["tiers"][0],
        "OrderPosted": order,
        "RefundPosted": refund,
        "Refund": refund["refund"],
        "Order": api.get("/orders/SO-D").get_json(),
        "EventAccepted": accepted,
        "Reward": api.post("/rewards", reward).get_json(),
        "RewardPage": api.get("/rewards").get_json(),
        "Member": api.get("/members/oDoc1").get_json(),
        "LedgerEntry": api.get("/members/oDoc1/ledger").get_json()["items"][0],
        "LedgerPage": api.get("/members/oDoc1/ledger").get_json(),
        "Rebuilt": api.post("/balances/rebuild").get_json(),
    }
    for name, sample in samples.items():
        conforms(doc, name, sample)


def test_the_schemas_spell_the_rules_values():
    from typing import get_args

    from bot.api.campaigns.schemas import Segment, Stage, Trigger
    from rules.campaigns.journeys import TRIGGERS
    from rules.segments.scoring import SEGMENT_NAMES, STAGE_ORDER

    assert get_args(Stage) == STAGE_ORDER
    assert set(get_args(Segment)) == set(SEGMENT_NAMES)
    assert get_args(Trigger) == tuple(TRIGGERS)
