"""JSON Schemas (OpenAPI 3.1 components) of what the merchant API takes and gives."""

from __future__ import annotations

from typing import Any

INT: dict[str, Any] = {"type": "integer"}
STR: dict[str, Any] = {"type": "string"}
BOOL: dict[str, Any] = {"type": "boolean"}
TIME: dict[str, Any] = {"type": "string", "format": "date-time", "description": "ISO 8601 with a UTC offset"}
FEN: dict[str, Any] = {"type": "integer", "minimum": 0, "description": "amount in fen (分)"}


def obj(props: dict[str, Any], required: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A closed object; every property required unless `required` names fewer."""
    req = list(props) if required is None else list(required)
    return {"type": "object", "properties": props, "required": req, "additionalProperties": False}


def null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def paged(name: str) -> dict[str, Any]:
    return obj({"items": {"type": "array", "items": ref(name)}, "page": INT, "per_page": INT, "total": INT})


def partial(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "required": []}


TASK_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 60},
    "points": {"type": "integer", "minimum": 0, "maximum": 100000},
    "per_yuan": null({"type": "integer", "minimum": 1, "maximum": 1000}),
    "daily_cap": null({"type": "integer", "minimum": 1}),
    "weekly_cap": null({"type": "integer", "minimum": 1}),
    "lifetime_cap": null({"type": "integer", "minimum": 1}),
    "first_time_only": BOOL,
    "starts_at": null(TIME),
    "ends_at": null(TIME),
    "target_tiers": {"type": "array", "items": STR, "description": "tier codes; empty: every tier"},
    "enabled": BOOL,
    "hold_days": {"type": "integer", "minimum": 0, "maximum": 365},
    "min_length": {"type": "integer", "minimum": 0, "maximum": 500},
    "min_rating": {"type": "integer", "minimum": 1, "maximum": 5},
}
SETTINGS: dict[str, Any] = {
    "expiry_mode": {"enum": ["never", "days", "year_end"]},
    "expiry_days": {"type": "integer", "minimum": 1, "maximum": 3650},
    "review_approval": BOOL,
    "makeup_cost": null({"type": "integer", "minimum": 1, "maximum": 100000}),
    "streak_bonuses": {
        "type": "array",
        "minItems": 1,
        "maxItems": 10,
        "items": {"type": "array", "prefixItems": [INT, INT], "minItems": 2, "maxItems": 2},
        "description": "[[days, points], ...]: a streak of exactly `days` check-ins earns `points` more",
    },
    "tier_basis": {"enum": ["points", "spend"]},
    "tier_grace_days": {"type": "integer", "minimum": 0, "maximum": 365},
    "tier_template_id": null({"type": "string", "maxLength": 64}),
    "referral_hold_days": {"type": "integer", "minimum": 0, "maximum": 30},
    "referral_ladder": {
        "type": "array",
        "maxItems": 10,
        "items": {"type": "array", "prefixItems": [INT, INT], "minItems": 2, "maxItems": 2},
        "description": "[[nth, points], ...]: the referrer's nth paid friend earns `points` more",
    },
    "referral_burst": {
        "type": "array",
        "prefixItems": [INT, INT],
        "minItems": 2,
        "maxItems": 2,
        "description": "[binds, minutes]: this many friends through one code this fast go to review",
    },
    "active_days": {"type": "integer", "minimum": 1, "maximum": 365, "description": "粘关系: active within"},
    "loyal_orders": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "忠诚: purchases"},
    "loyal_streak": {"type": "integer", "minimum": 1, "maximum": 3650, "description": "忠诚: or a streak"},
    "rfm_window_days": {"type": "integer", "minimum": 7, "maximum": 3650},
    "kol_weights": {
        "type": "object",
        "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1000},
        "description": "influence weight per part; parts not given keep their defaults",
    },
    "kol_top_n": {"type": "integer", "minimum": 1, "maximum": 1000},
    "kol_threshold": null(
        {"type": "number", "exclusiveMinimum": 0, "description": "set: every score at or above"}
    ),
}
TIER = obj(
    {
        "code": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"},
        "name": {"type": "string", "maxLength": 32},
        "threshold": {"type": "integer", "minimum": 0},
        "benefits": null({"type": "string", "maxLength": 200}),
    },
    ("code", "name", "threshold"),
)
TIERS = obj({"tiers": {"type": "array", "items": ref("Tier"), "minItems": 1, "maxItems": 10}})
REFUND = obj({"id": INT, "refund_no": STR, "refund_fen": FEN, "refunded_at": TIME})
ORDER_FIELDS: dict[str, Any] = {
    "id": INT,
    "order_no": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
    "openid": STR,
    "amount_fen": FEN,
    "refunded_fen": FEN,
    "paid_at": TIME,
    "refunds": {"type": "array", "items": ref("Refund")},
}
REWARD_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 60},
    "kind": {"enum": ["coupon", "gift"]},
    "points_price": {"type": "integer", "minimum": 1, "maximum": 1000000},
    "stock": {"type": "integer", "minimum": 0, "maximum": 1000000},
    "description": null({"type": "string", "maxLength": 200}),
    "enabled": BOOL,
}

SCHEMAS: dict[str, Any] = {
    "Error": obj({"error": obj({"code": STR, "message": STR, "details": {"type": "array", "items": STR}})}),
    "PointTask": obj({"action": STR, **TASK_FIELDS}),
    "PointTaskChanges": partial(obj(TASK_FIELDS)),
    "PointTaskPage": paged("PointTask"),
    "Programme": obj(SETTINGS),
    "ProgrammeChanges": partial(obj(SETTINGS)),
    "Tier": TIER,
    "Tiers": TIERS,
    "Refund": REFUND,
    "Order": obj(ORDER_FIELDS),
    "OrderPosted": obj({**ORDER_FIELDS, "duplicate": BOOL}),
    "NewOrder": obj(
        {k: ORDER_FIELDS[k] for k in ("order_no", "openid", "amount_fen", "paid_at")},
        ("order_no", "openid", "amount_fen"),
    ),
    "NewRefund": obj({"refund_no": {"type": "string", "minLength": 1, "maxLength": 64}, "refund_fen": FEN}),
    "RefundPosted": obj({"refund": ref("Refund"), "order": ref("Order"), "duplicate": BOOL}),
    "NewEvent": obj(
        {
            "openid": STR,
            "action": {"type": "string", "pattern": "^custom:[A-Za-z0-9_-]{1,32}$"},
            "key": {"type": "string", "minLength": 1, "maxLength": 64, "description": "idempotency key"},
            "occurred_at": TIME,
        },
        ("openid", "action", "key"),
    ),
    "EventAccepted": obj({"accepted": {"const": True}, "duplicate": BOOL}),
    "Review": obj(
        {
            "id": INT,
            "openid": STR,
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "text": STR,
            "status": {"enum": ["pending", "approved", "rejected"]},
            "like_count": INT,
            "created_at": TIME,
            "decided_at": null(TIME),
        }
    ),
    "ReviewPage": paged("Review"),
    "Reward": obj({"id": INT, **REWARD_FIELDS, "created_at": TIME}),
    "NewReward": obj(REWARD_FIELDS, ("name", "kind", "points_price", "stock")),
    "RewardChanges": partial(obj(REWARD_FIELDS)),
    "RewardPage": paged("Reward"),
    "Member": obj(
        {
            "openid": STR,
            "following": BOOL,
            "first_followed_at": null(TIME),
            "balance": INT,
            "pending": {"type": "integer", "description": "on hold (purchases): not yet spendable"},
            "available": INT,
            "earned": {"type": "integer", "description": "awards minus reversals: what tiers count"},
            "expiring_soon": null(obj({"points": INT, "expires_on": {"type": "string", "format": "date"}})),
            "tier": null(obj({"code": STR, "name": STR})),
            "next_tier": null(obj({"code": STR, "name": STR, "gap": INT})),
            "spend_fen": FEN,
        }
    ),
    "LedgerEntry": obj(
        {
            "key": STR,
            "delta": INT,
            "kind": {"type": "string", "description": "award, reversal, expiry, redemption, makeup"},
            "action": null(STR),
            "note": null(STR),
            "business_date": {"type": "string", "format": "date"},
            "created_at": TIME,
        }
    ),
    "LedgerPage": paged("LedgerEntry"),
    "Rebuilt": obj({"fixed": {"type": "integer", "description": "members whose cached balance was wrong"}}),
}

REFERRAL_STATUS = {"enum": ["held", "review", "refused", "paid", "voided", "capped"]}
CHANNEL_FIELDS: dict[str, Any] = {
    "code": {
        "type": "string",
        "pattern": "^[a-z0-9][a-z0-9_-]{0,60}$",
        "description": "in the scene: c-<code>",
    },
    "name": {"type": "string", "minLength": 1, "maxLength": 60},
    "kind": {"enum": ["counter", "poster", "staff", "other"]},
    "tag": {"type": "string", "maxLength": 30, "description": "put on members it brings; default: the name"},
    "permanent": BOOL,
}
SCHEMAS.update(
    {
        "Referral": obj(
            {
                "id": INT,
                "referrer": STR,
                "referee": STR,
                "scene": STR,
                "bound_at": TIME,
                "status": REFERRAL_STATUS,
                "reasons": {
                    "type": "array",
                    "items": STR,
                    "description": "self, ring, burst, no_interaction, ...",
                },
                "hold_until": null(TIME),
                "decided_at": null(TIME),
                "decided_by": null({"enum": ["rules", "merchant"]}),
                "reward_points": INT,
            }
        ),
        "ReferralPage": paged("Referral"),
        "Channel": obj(
            {
                **CHANNEL_FIELDS,
                "followers": INT,
                "qrcode": null(
                    obj(
                        {
                            "scene": STR,
                            "ticket": STR,
                            "url": null(STR),
                            "image": STR,
                            "expires_at": null(TIME),
                        }
                    )
                ),
            }
        ),
        "Channels": obj({"items": {"type": "array", "items": ref("Channel")}}),
        "NewChannel": obj(CHANNEL_FIELDS, ("code", "name")),
    }
)

SCORE_PART = obj(
    {
        "part": STR,
        "name": STR,
        "weight": {"type": "number"},
        "count": null({"type": "number"}),
        "points": {"type": "number"},
    }
)
SCHEMAS.update(
    {
        "Funnel": obj(
            {
                "from": {"type": "string", "format": "date"},
                "to": {"type": "string", "format": "date"},
                "steps": {
                    "type": "array",
                    "items": obj(
                        {
                            "step": {"enum": ["aware", "trial", "registered", "loyal"]},
                            "name": STR,
                            "count": INT,
                            "conversion": null({"type": "number", "description": "of the step before"}),
                        }
                    ),
                },
            }
        ),
        "Rfm": obj(
            {
                "segments": {
                    "type": "array",
                    "items": obj({"segment": STR, "name": STR, "members": INT, "monetary_fen": FEN}),
                },
                "buyers": INT,
                "monetary_fen": FEN,
                "top20_share": null(
                    {"type": "number", "description": "the best-paying 20% of buyers' share"}
                ),
            }
        ),
        "Stages": obj(
            {
                "stages": {
                    "type": "array",
                    "items": obj(
                        {"stage": {"enum": ["light", "sticky", "deep", "iron"]}, "name": STR, "members": INT}
                    ),
                }
            }
        ),
        "Kol": obj(
            {
                "run": null(
                    obj(
                        {
                            "at": TIME,
                            "full": BOOL,
                            "members_scored": INT,
                            "added": {"type": "array", "items": STR},
                            "dropped": {"type": "array", "items": STR},
                        }
                    )
                ),
                "candidates": {
                    "type": "array",
                    "items": obj(
                        {
                            "rank": INT,
                            "openid": STR,
                            "score": {"type": "number", "description": "the sum of the parts' points"},
                            "parts": {"type": "array", "items": SCORE_PART},
                            "evidence": {"type": "object"},
                        }
                    ),
                },
            }
        ),
    }
)
SCHEMAS.update(
    {
        "MemberTag": obj(
            {
                "tag": STR,
                "source": {"enum": ["rule", "channel", "manual"]},
                "created_at": TIME,
                "mirrored_at": null({**TIME, "description": "when WeChat was last told; null: not yet"}),
                "removed_at": null({**TIME, "description": "set when removed: WeChat is told, then it goes"}),
            }
        ),
        "MemberTags": obj({"openid": STR, "items": {"type": "array", "items": ref("MemberTag")}}),
        "Tags": obj(
            {
                "items": {
                    "type": "array",
                    "items": obj(
                        {
                            "tag": STR,
                            "members": {"type": "integer", "description": "members carrying it"},
                            "sources": {"type": "array", "items": {"enum": ["rule", "channel", "manual"]}},
                            "wechat_id": null({**INT, "description": "its twin among the WeChat user tags"}),
                            "pending": {
                                "type": "integer",
                                "description": "followers WeChat has not been told of",
                            },
                            "mirrored": {
                                "type": "boolean",
                                "description": "it has a twin and nothing is pending",
                            },
                        }
                    ),
                }
            }
        ),
    }
)

VARIANT = obj(
    {
        "code": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]{1,8}$",
            "description": "in the landing page URL",
        },
        "split": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100,
            "description": "percent; all add up to 100",
        },
        "title": {"type": "string", "minLength": 1, "maxLength": 64},
        "summary": {"type": "string", "minLength": 1, "maxLength": 120},
        "cover_url": {"type": "string"},
    },
    ("code", "split", "title", "summary"),
)
CAMPAIGN_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 60},
    "audience": {
        "type": "object",
        "description": "tiers, stages, rfm_segments, tags, kol, points_min/max, "
        "active_within_days, inactive_for_days, channels, followed_since — all must hold",
    },
    "variants": {"type": "array", "minItems": 1, "maxItems": 4, "items": VARIANT},
    "page": {"enum": ["campaign"]},
    "send_at": null(TIME),
    "recurring": null(
        {
            "type": "string",
            "maxLength": 40,
            "description": "a cron expression in the account's time zone, firing at most hourly: "
            "each firing sends a copy of the campaign (an occurrence)",
        }
    ),
    "quiet_start": {"type": "integer", "minimum": 0, "maximum": 1439},
    "quiet_end": {"type": "integer", "minimum": 0, "maximum": 1439},
}
SCHEMAS.update(
    {
        "NewCampaign": obj(CAMPAIGN_FIELDS, ("name", "variants")),
        "Campaign": obj(
            {
                "id": INT,
                "name": STR,
                "status": STR,
                "audience": {"type": "object"},
                "variants": {"type": "array", "items": VARIANT},
                "page": STR,
                "send_at": null(TIME),
                "recurring": null(STR),
                "parent_id": null({"type": "integer", "description": "an occurrence's recurring campaign"}),
                "occurs_at": null(TIME),
                "quiet_hours": {"type": "array", "items": INT, "description": "[start, end] minutes"},
                "created_at": TIME,
            }
        ),
        "CampaignPreview": obj(
            {
                "audience": INT,
                "reachable": INT,
                "by_channel": obj({"kf": INT, "mass": INT}),
                "held": {"type": "object", "additionalProperties": INT, "description": "reason: members"},
                "by_variant": {"type": "object", "additionalProperties": INT},
            }
        ),
        "CampaignDryRun": obj(
            {
                "items": {
                    "type": "array",
                    "items": obj({"openid": STR, "variant": STR, "channel": null(STR), "held": null(STR)}),
                },
                "page": INT,
                "per_page": INT,
            }
        ),
    }
)

SCHEMAS["CampaignReport"] = obj(
    {
        "campaign": INT,
        "status": STR,
        "attribution_days": INT,
        "variants": {
            "type": "object",
            "additionalProperties": obj(
                {
                    "targeted": INT,
                    "sent": {"type": "object", "additionalProperties": INT, "description": "by channel"},
                    "held": {"type": "object", "additionalProperties": INT, "description": "by reason"},
                    "failed": {
                        "type": "object",
                        "additionalProperties": INT,
                        "description": "by WeChat code",
                    },
                    "pending": INT,
                    "delivered": {
                        "type": "integer",
                        "description": "customer-service messages WeChat accepted plus the SentCount "
                        "of finished mass sends",
                    },
                    "opened": INT,
                    "shares": {"type": "integer", "description": "shares of the variant's landing page"},
                    "sharers": INT,
                    "share_reads": {"type": "integer", "description": "reads through those shares"},
                    "follows": {"type": "integer", "description": "readers of a share who followed after"},
                    "cost_points": {"type": "integer", "description": "share and share_read points paid"},
                    "orders": {"type": "integer", "description": "within attribution_days of the message"},
                    "revenue_fen": FEN,
                }
            ),
        },
        "occurrences": {
            "type": "array",
            "description": "a recurring campaign's latest 100 occurrences, newest first",
            "items": obj({"id": INT, "occurs_at": TIME, "status": STR}),
        },
    },
    ("campaign", "status", "attribution_days", "variants"),
)

JOURNEY_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 60},
    "trigger": {"enum": ["follow", "first_checkin", "streak_at_risk", "inactive", "tier_up", "became_kol"]},
    "trigger_days": null({"type": "integer", "minimum": 1, "maximum": 365}),
    "delay_minutes": {"type": "integer", "minimum": 0, "maximum": 129600},
    "title": {"type": "string", "minLength": 1, "maxLength": 64},
    "summary": {"type": "string", "minLength": 1, "maxLength": 120},
    "cover_url": STR,
    "audience": {"type": "object"},
}
SCHEMAS.update(
    {
        "NewJourney": obj(JOURNEY_FIELDS, ("name", "trigger", "title", "summary")),
        "Journey": obj(
            {
                "id": INT,
                **{k: v for k, v in JOURNEY_FIELDS.items() if k != "cover_url"},
                "enabled": BOOL,
                "sent": INT,
                "created_at": TIME,
            }
        ),
        "Journeys": obj({"items": {"type": "array", "items": ref("Journey")}}),
        "JourneySwitch": obj({"enabled": BOOL}),
    }
)
