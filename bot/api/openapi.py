"""The OpenAPI 3.1 document of /api/v1, built from a dict; served without a token."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from bot.api import api
from bot.api.schemas import BOOL, INT, SCHEMAS, STR, TIME, null, obj, ref

ERRORS = {
    "400": "the body is not a JSON object, or a query parameter is out of its range",
    "401": "no valid bearer token",
    "404": "no such thing in this account",
    "409": "the same number or key came before with other contents",
    "413": "the body is larger than 64 KiB",
    "422": "the input does not hold; `details` names each problem",
    "502": "the WeChat API refused or did not answer; nothing was saved",
}
PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    },
]


def path_param(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


def op(
    summary: str,
    tag: str,
    ok: dict[str, str],
    errors: str = "",
    body: str | None = None,
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One operation: `ok` maps success statuses to schema names, `errors` lists error statuses."""
    responses: dict[str, Any] = {
        status: {"description": summary, "content": {"application/json": {"schema": ref(name)}}}
        for status, name in ok.items()
    }
    for status in ["401", *errors.split()]:
        responses[status] = {"$ref": f"#/components/responses/E{status}"}
    out: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if body:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
        responses.setdefault("400", {"$ref": "#/components/responses/E400"})
        responses.setdefault("413", {"$ref": "#/components/responses/E413"})
    if params:
        out["parameters"] = params
    return out


ID = {"type": "integer", "minimum": 1}
OPENID = [path_param("openid")]
PATHS: dict[str, Any] = {
    "/point-tasks": {
        "get": op("List point tasks", "point tasks", {"200": "PointTaskPage"}, "422", params=PAGING)
    },
    "/point-tasks/{action}": {
        "put": op(
            "Create or change the point task of an action (follow, checkin, ..., custom:<code>)",
            "point tasks",
            {"200": "PointTask"},
            "422",
            "PointTaskChanges",
            [path_param("action")],
        )
    },
    "/programme": {
        "get": op("Programme settings", "programme", {"200": "Programme"}),
        "patch": op(
            "Change programme settings", "programme", {"200": "Programme"}, "422", "ProgrammeChanges"
        ),
    },
    "/tiers": {
        "get": op("The tier ladder", "programme", {"200": "Tiers"}),
        "put": op("Replace the tier ladder", "programme", {"200": "Tiers"}, "422", "Tiers"),
    },
    "/orders": {
        "post": op(
            "Post a paid order (201 new, 200 duplicate)",
            "orders",
            {"201": "OrderPosted", "200": "OrderPosted"},
            "404 409 422",
            "NewOrder",
        )
    },
    "/orders/{order_no}": {
        "get": op(
            "An order and its refunds", "orders", {"200": "Order"}, "404", params=[path_param("order_no")]
        )
    },
    "/orders/{order_no}/refunds": {
        "post": op(
            "Refund part or all of an order (201 new, 200 duplicate)",
            "orders",
            {"201": "RefundPosted", "200": "RefundPosted"},
            "404 409 422",
            "NewRefund",
            [path_param("order_no")],
        )
    },
    "/events": {
        "post": op(
            "Report a custom action for points", "events", {"202": "EventAccepted"}, "404 409 422", "NewEvent"
        )
    },
    "/reviews": {
        "get": op(
            "List reviews, newest first",
            "reviews",
            {"200": "ReviewPage"},
            "422",
            params=[
                {"name": "status", "in": "query", "schema": {"enum": ["pending", "approved", "rejected"]}},
                *PAGING,
            ],
        )
    },
    "/reviews/{review_id}/approve": {
        "post": op(
            "Approve a pending review (it earns points)",
            "reviews",
            {"200": "Review"},
            "404 409",
            params=[path_param("review_id", ID)],
        )
    },
    "/reviews/{review_id}/reject": {
        "post": op(
            "Reject a pending review",
            "reviews",
            {"200": "Review"},
            "404 409",
            params=[path_param("review_id", ID)],
        )
    },
    "/rewards": {
        "get": op("List rewards", "rewards", {"200": "RewardPage"}, "422", params=PAGING),
        "post": op("Add a reward", "rewards", {"201": "Reward"}, "422", "NewReward"),
    },
    "/rewards/{reward_id}": {
        "patch": op(
            "Change a reward",
            "rewards",
            {"200": "Reward"},
            "404 422",
            "RewardChanges",
            [path_param("reward_id", ID)],
        )
    },
    "/members/{openid}": {
        "get": op("A member's points, tier and spend", "members", {"200": "Member"}, "404", params=OPENID)
    },
    "/members/{openid}/ledger": {
        "get": op(
            "A member's ledger, newest first",
            "members",
            {"200": "LedgerPage"},
            "404 422",
            params=[*OPENID, *PAGING],
        )
    },
    "/balances/rebuild": {
        "post": op("Recompute every member's balance from the ledger", "members", {"200": "Rebuilt"})
    },
    "/members/{openid}/referrals": {
        "get": op(
            "A member's referrer, their referrals to ?depth= levels (at most 500 listed) and counts",
            "referrals",
            {"200": "ReferralTree"},
            "400 404",
            params=[
                *OPENID,
                {
                    "name": "depth",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 5, "default": 2},
                },
            ],
        )
    },
    "/referrers/top": {
        "get": op(
            "The top referrers by direct + second-degree referrals",
            "referrals",
            {"200": "TopReferrers"},
            "400",
            params=[
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                }
            ],
        )
    },
}
# The referral graph's responses (GET /members/{openid}/referrals, GET /referrers/top).
STATUS = {
    "enum": ["held", "review", "paid", "voided"],
    "description": "of the bind; refused binds never show",
}
BIND = {"bound_at": TIME, "status": STATUS, "reasons": {"type": "array", "items": STR}}
COUNTS = {
    "direct": {"type": "integer", "description": "referrals the member brought (refused binds not counted)"},
    "second_degree": {"type": "integer", "description": "referrals those referrals brought"},
}
GRAPH_SCHEMAS: dict[str, Any] = {
    "ReferralNode": obj(
        {
            "openid": STR,
            "following": BOOL,
            **BIND,
            "direct": INT,
            "referrals": {"type": "array", "items": ref("ReferralNode"), "description": "empty past ?depth="},
        }
    ),
    "ReferralTree": obj(
        {
            "openid": STR,
            "upline": null(obj({"openid": STR, "following": BOOL, **BIND})),
            **COUNTS,
            "cascade": {"type": "integer", "description": "every descendant however deep: the whole subtree"},
            "depth": INT,
            "truncated": {
                "type": "boolean",
                "description": "more referrals within depth than the 500 listed",
            },
            "referrals": {"type": "array", "items": ref("ReferralNode")},
        }
    ),
    "RankedReferrer": obj(
        {
            "rank": INT,
            "openid": STR,
            "cascade": {
                "type": "integer",
                "description": "direct + second_degree: what the ranking sorts by",
            },
            **COUNTS,
            "paid": INT,
            "held": INT,
            "review": INT,
            "voided": INT,
            "first_bound_at": {
                **TIME,
                "description": "their first counted bind: earlier ranks first on a tie",
            },
        }
    ),
    "TopReferrers": obj({"items": {"type": "array", "items": ref("RankedReferrer")}, "limit": INT}),
}
PATHS.update(
    {
        "/referrals": {
            "get": op(
                "List referrals (who brought whom), newest first, with the reasons behind each decision",
                "referrals",
                {"200": "ReferralPage"},
                "422",
                params=[
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"enum": ["held", "review", "refused", "paid", "voided", "capped"]},
                    },
                    *PAGING,
                ],
            )
        },
        "/referrals/{referral_id}/approve": {
            "post": op(
                "Approve a referral held for review: pay the referrer and the friend",
                "referrals",
                {"200": "Referral"},
                "404 409",
                params=[path_param("referral_id", ID)],
            )
        },
        "/referrals/{referral_id}/reject": {
            "post": op(
                "Reject a referral held for review",
                "referrals",
                {"200": "Referral"},
                "404 409",
                params=[path_param("referral_id", ID)],
            )
        },
        "/channels": {
            "get": op(
                "Channels, their codes and the followers they brought", "referrals", {"200": "Channels"}
            ),
            "post": op(
                "Add a channel and create its code through the WeChat API",
                "referrals",
                {"201": "Channel"},
                "409 422 502",
                "NewChannel",
            ),
        },
    }
)
PATHS.update(
    {
        "/funnel": {
            "get": op(
                "The funnel 了解 → 试用 → 注册 → 忠诚 for people first seen in a date range",
                "segments",
                {"200": "Funnel"},
                "422",
                params=[
                    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                ],
            )
        },
        "/rfm": {"get": op("RFM segments and the top 20% value share", "segments", {"200": "Rfm"})},
        "/stages": {"get": op("Following members by relationship stage", "segments", {"200": "Stages"})},
        "/kol": {
            "get": op("KOL candidates with the parts and evidence of each score", "segments", {"200": "Kol"})
        },
    }
)
TAG = [*OPENID, path_param("tag", {"type": "string", "minLength": 1, "maxLength": 30})]
PATHS.update(
    {
        "/members/{openid}/tags": {
            "get": op(
                "A member's active tags and where each came from",
                "tags",
                {"200": "MemberTags"},
                "404",
                params=OPENID,
            )
        },
        "/members/{openid}/tags/{tag}": {
            "put": op(
                "Tag a member by hand (201 new to them, 200 carried already); WeChat is told within 10 min",
                "tags",
                {"200": "MemberTag", "201": "MemberTag"},
                "404 422",
                params=TAG,
            ),
            "delete": op(
                "Remove a member's tag (not a rule's: 409); WeChat is told within 10 min",
                "tags",
                {"200": "MemberTag"},
                "404 409",
                params=TAG,
            ),
        },
        "/tags": {"get": op("Every active tag, its members and its WeChat twin", "tags", {"200": "Tags"})},
    }
)
CAMPAIGN_ID = [path_param("campaign_id", ID)]
PATHS.update(
    {
        "/campaigns": {
            "post": op("Create a campaign (a draft)", "campaigns", {"201": "Campaign"}, "422", "NewCampaign")
        },
        "/campaigns/{campaign_id}": {
            "get": op("A campaign", "campaigns", {"200": "Campaign"}, "404", params=CAMPAIGN_ID)
        },
        "/campaigns/{campaign_id}/preview": {
            "post": op(
                "Audience size, reachable by channel, held back by reason: counts at once, nothing sent",
                "campaigns",
                {"200": "CampaignPreview"},
                "404",
                params=CAMPAIGN_ID,
            )
        },
        **{
            f"/campaigns/{{campaign_id}}/{action}": {
                "post": op(summary, "campaigns", {status: "Campaign"}, errors, params=CAMPAIGN_ID)
            }
            for action, summary, status, errors in (
                ("send", "Send now (or at send_at; quiet hours wait): a job sends", "202", "404 409 422"),
                ("pause", "Pause sending; what is sent stays sent", "200", "404 409"),
                ("resume", "Resume a paused campaign: 202, a job sends what is left", "202", "404 409"),
                ("cancel", "Cancel: nothing more is sent", "200", "404 409"),
            )
        },
        "/campaigns/{campaign_id}/report": {
            "get": op(
                "Per variant: targeted, sent by channel, held and failed by reason, opened",
                "campaigns",
                {"200": "CampaignReport"},
                "404",
                params=CAMPAIGN_ID,
            )
        },
        "/campaigns/{campaign_id}/dry-run": {
            "get": op(
                "Who would get which variant by which channel; nothing sent",
                "campaigns",
                {"200": "CampaignDryRun"},
                "404 422",
                params=[*CAMPAIGN_ID, *PAGING],
            )
        },
    }
)
PATHS.update(
    {
        "/journeys": {
            "get": op(
                "Triggered journeys (the onboarding and re-activation defaults included)",
                "journeys",
                {"200": "Journeys"},
            ),
            "post": op("Add a journey", "journeys", {"201": "Journey"}, "422", "NewJourney"),
        },
        "/journeys/{journey_id}": {
            "patch": op(
                "Switch a journey on or off",
                "journeys",
                {"200": "Journey"},
                "404 422",
                "JourneySwitch",
                [path_param("journey_id", ID)],
            )
        },
    }
)
PATHS["/openapi.json"] = {
    "get": {
        "summary": "This document",
        "tags": ["meta"],
        "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
    }
}
DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Tiefen (铁粉) merchant API",
        "version": "1.0.0",
        "description": "Amounts in fen; times ISO 8601 with a UTC offset; lists paged by ?page=&per_page=.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "The account's API token (or ADMIN_TOKEN with X-Tiefen-Account: <appid>)",
            }
        },
        "schemas": {**SCHEMAS, **GRAPH_SCHEMAS},
        "responses": {
            f"E{status}": {"description": text, "content": {"application/json": {"schema": ref("Error")}}}
            for status, text in ERRORS.items()
        },
    },
}


@api.get("/openapi.json")
def openapi() -> Response:
    return jsonify(DOCUMENT)
