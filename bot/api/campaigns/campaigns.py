"""Campaigns: create (checked), read, preview (counts at once), dry run (who, which variant, how),
send, pause, resume, cancel, and the report."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.api.auth import current_account
from bot.api.campaigns.schemas import (
    ByChannel,
    Campaign,
    CampaignDryRun,
    CampaignPage,
    CampaignPreview,
    CampaignQuery,
    CampaignReport,
    DryRunQuery,
    DryRunRow,
    NewCampaign,
    Occurrence,
    VariantOut,
)
from bot.api.errors import ApiError
from bot.api.outputs import local
from bot.api.routes import operation
from bot.context import tiefen
from bot.db import read, write
from models import Campaign as CampaignRow
from models import utcnow
from rules.accounts.roles import Area
from rules.campaigns.lifecycle import Action
from rules.campaigns.planner import Rules
from services.campaigns import audience as campaigns
from services.campaigns import covers, lifecycle, recurring
from services.campaigns import reports as campaign_reports
from tasks.campaigns import queue_senders


def cover_url(session: Session, image_id: int | None) -> str | None:
    """A cover's address as WeChat and shop systems fetch it: on this server's public address."""
    return covers.absolute(tiefen().settings.public_base_url, covers.cover_path(session, image_id))


def campaign_json(session: Session, c: CampaignRow) -> Campaign:
    return Campaign.model_validate(
        {
            "id": c.id,
            "name": c.name,
            "status": c.status,
            "audience": c.audience,
            "variants": [{k: v[k] for k in VariantOut.model_fields} for v in c.variants],
            "cover_image_id": c.cover_image_id,
            "cover_image_url": cover_url(session, c.cover_image_id),
            "page": c.page,
            "send_at": local(c.send_at),
            "recurring": c.recurring,
            "parent_id": c.parent_id,
            "occurs_at": local(c.occurs_at),
            "quiet_hours": (c.quiet_start, c.quiet_end),
            "created_at": local(c.created_at),
        }
    )


@operation(
    "POST",
    "/campaigns",
    area=Area.CAMPAIGNS,
    tag="campaigns",
    answer=Campaign,
    status=201,
    body=NewCampaign,
    invalid="invalid_campaign",
)
def create_campaign(body: NewCampaign) -> Campaign:
    """Create a campaign (a draft until it is sent)"""
    values = body.values()

    def save(session: Session) -> Campaign:
        try:
            return campaign_json(session, campaigns.create(session, current_account().id, values, utcnow()))
        except campaigns.InvalidCampaign as exc:
            raise ApiError(422, "invalid_campaign", "the campaign does not hold", exc.problems) from None

    return write(save)


@operation("GET", "/campaigns", tag="campaigns", answer=CampaignPage, query=CampaignQuery)
def list_campaigns(query: CampaignQuery) -> CampaignPage:
    """List campaigns, newest first (a recurring campaign's occurrences are in its report)"""

    def listing(s: Session) -> tuple[list[Campaign], int]:
        rows, total = campaigns.campaigns_page(
            s, current_account().id, query.status, query.page, query.per_page
        )
        return [campaign_json(s, c) for c in rows], total

    items, total = read(listing)
    return CampaignPage(items=items, page=query.page, per_page=query.per_page, total=total)


@operation("GET", "/campaigns/<id:campaign_id>", tag="campaigns", answer=Campaign)
def get_campaign(campaign_id: int) -> Campaign:
    """A campaign"""
    return read(lambda s: campaign_json(s, _campaign(s, campaign_id)))


@operation(
    "POST", "/campaigns/<id:campaign_id>/preview", area=Area.READ, tag="campaigns", answer=CampaignPreview
)
def preview_campaign(campaign_id: int) -> CampaignPreview:
    """The audience size, who is reachable by which channel, and who is held back and why"""

    def count(session: Session) -> CampaignPreview:
        c = _campaign(session, campaign_id)
        p = campaigns.preview(session, c, current_account().timezone, utcnow(), Rules())
        return CampaignPreview(
            audience=p.audience,
            reachable=sum(p.by_channel.values()),
            by_channel=ByChannel.model_validate(p.by_channel),
            held=p.held,
            by_variant=p.by_variant,
        )

    return read(count)


@operation(
    "GET", "/campaigns/<id:campaign_id>/dry-run", tag="campaigns", answer=CampaignDryRun, query=DryRunQuery
)
def dry_run_campaign(campaign_id: int, query: DryRunQuery) -> CampaignDryRun:
    """Page through who would get which variant by which channel; nothing is sent"""

    def listing(session: Session) -> CampaignDryRun:
        c = _campaign(session, campaign_id)
        rows = campaigns.dry_run(
            session, c, current_account().timezone, utcnow(), Rules(), query.page, query.per_page
        )
        items = [
            DryRunRow(openid=r.openid, variant=r.variant, channel=r.channel, held=r.reason) for r in rows
        ]
        return CampaignDryRun(items=items, page=query.page, per_page=query.per_page)

    return read(listing)


def _campaign(session: Session, campaign_id: int) -> CampaignRow:
    found = session.scalar(
        select(CampaignRow).where(
            CampaignRow.id == campaign_id, CampaignRow.account_id == current_account().id
        )
    )
    if found is None:
        raise ApiError(404, "unknown_campaign", f"no campaign {campaign_id}")
    return found


def act_on_campaign(campaign_id: int, action: Action) -> Campaign:
    """Send, pause, resume or cancel, as services.campaigns.lifecycle allows from the status it is in."""

    def change(session: Session) -> tuple[Campaign, bool]:
        c = _campaign(session, campaign_id)
        try:
            queue = lifecycle.act(session, c, action, utcnow())
        except lifecycle.NotAllowed:
            raise ApiError(
                409, "campaign_state", f"campaign {campaign_id} is {c.status}: cannot {action}"
            ) from None
        except lifecycle.EmptyAudience:
            raise ApiError(422, "empty_audience", "the audience matches no member: nothing to send") from None
        return campaign_json(session, c), queue

    body, queue = write(change)
    if queue:
        queue_senders(tiefen().runtime.queue("campaigns"), campaign_id)
    return body


@operation(
    "POST",
    "/campaigns/<id:campaign_id>/send",
    area=Area.CAMPAIGNS,
    tag="campaigns",
    answer=Campaign,
    status=202,
    errors=(409, 422),
)
def send_campaign(campaign_id: int) -> Campaign:
    """Send a campaign: at once, or at send_at; quiet hours wait; a recurring one starts recurring"""
    return act_on_campaign(campaign_id, Action.SEND)


@operation(
    "POST",
    "/campaigns/<id:campaign_id>/pause",
    area=Area.CAMPAIGNS,
    tag="campaigns",
    answer=Campaign,
    errors=(409,),
)
def pause_campaign(campaign_id: int) -> Campaign:
    """Pause a campaign that is sending, scheduled or recurring"""
    return act_on_campaign(campaign_id, Action.PAUSE)


@operation(
    "POST",
    "/campaigns/<id:campaign_id>/resume",
    area=Area.CAMPAIGNS,
    tag="campaigns",
    answer=Campaign,
    status=202,
    errors=(409,),
)
def resume_campaign(campaign_id: int) -> Campaign:
    """Resume a paused campaign"""
    return act_on_campaign(campaign_id, Action.RESUME)


@operation(
    "POST",
    "/campaigns/<id:campaign_id>/cancel",
    area=Area.CAMPAIGNS,
    tag="campaigns",
    answer=Campaign,
    errors=(409,),
)
def cancel_campaign(campaign_id: int) -> Campaign:
    """Cancel a campaign: nothing more is sent"""
    return act_on_campaign(campaign_id, Action.CANCEL)


@operation("GET", "/campaigns/<id:campaign_id>/report", tag="campaigns", answer=CampaignReport)
def campaign_report(campaign_id: int) -> CampaignReport:
    """A campaign's report per variant: targeted, sent, held, failed, delivered, opened, shares, orders"""

    def build(session: Session) -> CampaignReport:
        c = _campaign(session, campaign_id)
        report = CampaignReport.model_validate(campaign_reports.report(session, c))
        if c.recurring:
            report.occurrences = [  # each with its own report
                Occurrence.model_validate({"id": i, "occurs_at": local(at), "status": status})
                for i, at, status in recurring.occurrences(session, c.id)
            ]
        return report

    return read(build)
