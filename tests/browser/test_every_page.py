"""Every console page an owner can open, in Chromium at phone size: it answers, loads nothing from
outside, and shows no console error (the fixture fails the test on any)."""

from __future__ import annotations

from sqlalchemy import select

from models import Reward
from tests.services.referrals.test_attribution import code_of, follower


def test_every_section_and_its_pages_open_cleanly(browse, wechat, run_jobs, session, app, account):
    alice = follower(wechat, run_jobs, session, "oEveryAlice")
    code_of(session, alice)
    owner = browse("owner", "店主")
    sections = [a.get_attribute("href") for a in owner.page.locator("nav.sections a").all()]
    assert len(sections) >= 12
    for href in sections:
        response = owner.go(href)
        assert response.status == 200, href
    owner.go("/console/campaigns/new")
    owner.go("/console/journeys/new")
    owner.go("/console/programme/tasks/checkin")
    owner.go("/console/members/oEveryAlice")
    owner.go("/console/referrals/members/oEveryAlice")
    owner.go("/console/segments")
    owner.go("/console/?period=7d")
    api_like = app.test_client()
    assert api_like.get("/console/").status_code == 302  # and none of it without signing in
    # looking changed nothing (but for the defaults seeded on the first look: the journeys and the
    # 回归券 their re-activation message grants)
    assert list(session.scalars(select(Reward.name))) == ["回归券"]
