"""A campaign's landing page, a member page: the variant's content. The first open by a member
the campaign reached is recorded on their delivery (the report's "opened"); reads and shares are
counted by tracking.py as on every member page, under the page `campaign/<id>/<variant>`. Its cover
is served by Tiefen (/media/…); a journey's page says what its reward gave the member."""

from __future__ import annotations

from flask import redirect
from sqlalchemy import select
from werkzeug.wrappers import Response

from bot.context import tiefen
from bot.h5 import h5, wording
from bot.h5.identity import Visitor, member_page
from bot.h5.web import Refused, account_or_404, page
from models import Campaign, utcnow
from rules.clock import business_date
from services.campaigns import covers, grants
from services.campaigns import links as campaign_links


@h5.get("/<appid>/campaign/<id:campaign_id>/<variant>")
@member_page
def campaign_page(me: Visitor, campaign_id: int, variant: str) -> tuple[str, int]:
    with tiefen().sessions.begin() as session:
        campaign = session.scalar(
            select(Campaign).where(Campaign.id == campaign_id, Campaign.account_id == me.account.id)
        )
        content = next((v for v in campaign.variants if v["code"] == variant), None) if campaign else None
        if campaign is None or content is None:
            raise Refused(404, "活动不存在或已结束")
        campaign_links.record_open(session, me.account.id, campaign_id, me.openid, utcnow())
        when = campaign.occurs_at or campaign.send_at or campaign.created_at
        cover = covers.cover_path(session, campaign.cover_image_id)
        grant = grants.grant_of(session, me.account.id, campaign_id, me.openid)
    sent_on = wording.local_day(business_date(when, me.account.timezone))  # not the name: it is internal
    return page(
        "h5/campaign.html",
        me=me,
        account=me.account,
        sent_on=sent_on,
        variant=content,
        cover=cover,
        grant=grant,
        granted=grants.GRANTED,
    )


@h5.get("/<appid>/c/<token>")
def old_landing(appid: str, token: str) -> Response:
    """A link sent before the landing page was a member page: on to the page, as a bare link.

    The old token never expires, so it no longer signs anyone in (it once minted a fresh member
    link for whoever held it, for ever): the page names its visitor through WeChat's OAuth, as it
    does for a mass send's link."""
    account_or_404(appid)
    found = campaign_links.read(tiefen().settings.secret_key, token)
    if found is None:
        raise Refused(404, "活动链接无效")
    campaign_id, variant, _ = found
    return redirect(campaign_links.landing_url("", appid, campaign_id, variant, None), 303)
