"""A campaign's landing page: the variant's content; the first open by the member it was sent to
is recorded on their delivery (the report's "opened")."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.h5 import h5
from bot.h5.web import Refused, account_or_404, page, tiefen
from models import Campaign, Delivery, utcnow
from models.sql import table_of
from services import campaign_links


@h5.get("/<appid>/c/<token>")
def landing(appid: str, token: str) -> tuple[str, int]:
    account = account_or_404(appid)
    found = campaign_links.read(tiefen().settings.secret_key, token)
    if found is None:
        raise Refused(404, "活动链接无效")
    campaign_id, code, member_id = found
    with tiefen().sessions.begin() as session:
        campaign = session.scalar(
            select(Campaign).where(Campaign.id == campaign_id, Campaign.account_id == account.id)
        )
        variant = next((v for v in campaign.variants if v["code"] == code), None) if campaign else None
        if campaign is None or variant is None:
            raise Refused(404, "活动不存在或已结束")
        if member_id is not None:
            session.execute(
                update(table_of(Delivery))
                .where(
                    Delivery.campaign_id == campaign_id,
                    Delivery.member_id == member_id,
                    Delivery.opened_at.is_(None),
                )
                .values(opened_at=utcnow())
            )
        name = campaign.name
    return page("h5/campaign.html", account=account, name=name, variant=variant)
