"""GET /campaigns: newest first, by status, paged, the account's own campaigns only."""

from __future__ import annotations

from models import Campaign

VARIANTS = [{"code": "A", "split": 100, "title": "标题", "summary": "摘要"}]


def test_campaigns_are_listed_newest_first_by_status_and_paged(api, other_api, session):
    ids = [
        api.post("/campaigns", {"name": f"活动{i}", "variants": VARIANTS}).get_json()["id"] for i in range(3)
    ]
    session.get(Campaign, ids[0]).status = "cancelled"
    other = Campaign(account_id=other_api.account.id, name="别家", variants=VARIANTS, audience={})
    occurrence = Campaign(
        account_id=api.account.id, name="活动2", variants=VARIANTS, audience={}, parent_id=ids[2]
    )
    session.add_all([other, occurrence])
    session.commit()
    body = api.get("/campaigns").get_json()
    assert [c["id"] for c in body["items"]] == ids[::-1] and body["total"] == 3
    assert body["items"][0]["name"] == "活动2" and body["items"][0]["status"] == "draft"
    drafts = api.get("/campaigns?status=draft").get_json()
    assert [c["id"] for c in drafts["items"]] == [ids[2], ids[1]] and drafts["total"] == 2
    paged = api.get("/campaigns?per_page=1&page=2").get_json()
    assert [c["id"] for c in paged["items"]] == [ids[1]] and (paged["page"], paged["per_page"]) == (2, 1)
    assert api.get("/campaigns?status=bogus").status_code == 422
    assert [c["name"] for c in other_api.get("/campaigns").get_json()["items"]] == ["别家"]
