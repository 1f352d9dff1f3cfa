"""Reviews waiting for approval: listed by status, approved (and then paid) or rejected."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import InboundEvent, Review
from tests.api.conftest import error
from tests.factories import count, ledger_of

GOOD = "评价 5 咖啡很好喝,店员也很热情周到"


@pytest.fixture
def pending(api, wechat, run_jobs):
    """Two pending reviews (the programme asks for approval): returns their ids, oldest first."""
    assert api.patch("/programme", {"review_approval": True}).status_code == 200
    for openid in ("oRv1", "oRv2"):
        wechat.send(wechat.subscribe(openid))
        assert wechat.send(wechat.text(openid, GOOD)).status_code == 200
    run_jobs()
    return [r["id"] for r in reversed(api.get("/reviews?status=pending").get_json()["items"])]


def test_pending_reviews_are_listed_and_filtered(api, pending):
    r = api.get("/reviews?status=pending")
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] == 2 and [i["openid"] for i in body["items"]] == ["oRv2", "oRv1"]
    assert body["items"][0]["rating"] == 5 and body["items"][0]["decided_at"] is None
    assert api.get("/reviews?status=approved").get_json()["total"] == 0
    assert api.get("/reviews").get_json()["total"] == 2
    assert error(api.get("/reviews?status=maybe")) == (422, "invalid_query")


def test_an_approved_review_is_paid_once_and_a_rejected_one_never(api, pending, session, run_jobs):
    assert ledger_of(session, "oRv1") == [("follow", 50, "award")]  # nothing before approval
    first, again = api.post(f"/reviews/{pending[0]}/approve"), api.post(f"/reviews/{pending[0]}/approve")
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.get_json()["status"] == "approved" and first.get_json()["decided_at"]
    rejected = api.post(f"/reviews/{pending[1]}/reject")
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    run_jobs()
    assert ledger_of(session, "oRv1") == [("follow", 50, "award"), ("review", 20, "award")]
    assert ledger_of(session, "oRv2") == [("follow", 50, "award")]
    assert count(session, InboundEvent, InboundEvent.event == "review_approved") == 1
    assert api.get("/reviews?status=approved").get_json()["items"][0]["openid"] == "oRv1"


def test_deciding_the_other_way_is_409_and_unknown_ids_404(api, pending, session):
    api.post(f"/reviews/{pending[0]}/approve")
    api.post(f"/reviews/{pending[1]}/reject")
    assert error(api.post(f"/reviews/{pending[0]}/reject")) == (409, "review_decided")
    assert error(api.post(f"/reviews/{pending[1]}/approve")) == (409, "review_decided")
    assert error(api.post("/reviews/999999/approve")) == (404, "unknown_review")
    assert api.post(f"/reviews/{2**40}/reject").status_code == 404  # beyond the id column
    assert api.post("/reviews/abc/approve").status_code == 404
    session.expire_all()
    assert list(session.scalars(select(Review.status).order_by(Review.id))) == ["approved", "rejected"]
