"""The command line: `flask --app app db upgrade | account add | menu push | outbox sweep | kol rebuild`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from wechatpy.exceptions import WeChatClientException

from bot.context import tiefen
from models import migrate, utcnow
from rules.accounts.roles import Role
from rules.inbound.menu import default_menu
from rules.inbound.modes import MessageMode
from services.accounts import registry as account_service
from services.accounts import staff as staff_service
from wechat.client import client_for

db_cli = AppGroup("db", help="The database schema.")
account_cli = AppGroup("account", help="Official accounts served by this Tiefen.")
menu_cli = AppGroup("menu", help="The account's custom menu in WeChat.")
outbox_cli = AppGroup("outbox", help="Stored callbacks and their jobs.")
kol_cli = AppGroup("kol", help="Stages, RFM, influence scores and KOL candidates.")
staff_cli = AppGroup("staff", help="Staff who sign in to the console at /console/.")


def init_app(app: Flask) -> None:
    for group in (db_cli, account_cli, menu_cli, outbox_cli, kol_cli, staff_cli):
        app.cli.add_command(group)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring DATABASE_URL to the latest schema (Alembic)."""
    migrate.upgrade(tiefen().settings.database_url)
    click.echo("database is at the latest schema")


@account_cli.command("add")
@click.option("--appid", required=True)
@click.option("--secret", required=True, help="AppSecret, for the WeChat API")
@click.option("--token", required=True, help="the Token set in the account's server configuration")
@click.option("--aes-key", default=None, help="EncodingAESKey (43 characters), for safe mode")
@click.option(
    "--mode",
    type=click.Choice([m.value for m in MessageMode]),
    default=None,
    help="message mode as set in WeChat (default: safe with an AES key, else plaintext)",
)
@click.option("--name", required=True, help="display name, used in replies")
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
@click.option("--welcome", default=None, help="welcome text sent on follow")
def account_add(
    appid: str,
    secret: str,
    token: str,
    aes_key: str | None,
    mode: str | None,
    name: str,
    timezone: str,
    welcome: str | None,
) -> None:
    """Store an account (or update the one with this appid)."""
    try:
        with tiefen().sessions.begin() as session:
            ref, created = account_service.save_account(
                session,
                appid,
                name,
                token,
                aes_key,
                secret,
                timezone,
                welcome,
                MessageMode(mode) if mode else None,
            )
    except account_service.InvalidAccount as exc:
        raise click.BadParameter(str(exc)) from None
    base = tiefen().settings.public_base_url.rstrip("/")
    click.echo(
        f"{'added' if created else 'updated'} account {ref.appid} ({ref.name}); "
        f"set its server URL to {base}/wechat/{ref.appid}"
    )


@account_cli.command("token")
@click.option("--appid", required=True)
@click.option("--name", default="API", show_default=True, help="a name to tell it apart (made unique)")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="owner", show_default=True)
def account_token(appid: str, name: str, role: str) -> None:
    """Create a named merchant API token with a role; every other token keeps working (revoke one in
    the console's 员工与令牌 or with POST /api/v1/tokens/<id>/revoke)."""
    try:
        with tiefen().sessions.begin() as session:
            token = account_service.issue_api_token(session, appid, name, Role(role))
    except LookupError:
        raise click.ClickException(f"no account {appid}") from None
    click.echo(token)


@staff_cli.command("add")
@click.option("--appid", required=True)
@click.option("--name", required=True, help="how they sign in, e.g. 张三")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
def staff_add(appid: str, name: str, role: str) -> None:
    """Add a staff member and print their one-time sign-in link (valid 7 days)."""
    with tiefen().sessions.begin() as session:
        account = account_service.find_account(session, appid)
        if account is None:
            raise click.ClickException(f"no account {appid}")
        try:
            _, code = staff_service.add_staff(session, account.id, name, Role(role), utcnow())
        except staff_service.StaffProblem as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{tiefen().settings.public_base_url.rstrip('/')}/console/welcome/{code}")


@account_cli.command("list")
def account_list() -> None:
    """List stored accounts."""
    with tiefen().sessions.begin() as session:
        for ref in account_service.list_accounts(session):
            click.echo(f"{ref.appid}\t{ref.name}\t{ref.timezone}\t{ref.message_mode.value}")


@menu_cli.command("push")
@click.option("--appid", default=None, help="default: the account in WECHAT_APPID")
def menu_push(appid: str | None) -> None:
    """Create the account's menu in WeChat: 签到, 我的积分, 会员中心, 邀请好友."""
    context = tiefen()
    ref = context.accounts.get(appid)
    if ref is None or not ref.secret:
        raise click.ClickException(f"no account {appid or '(WECHAT_APPID)'} with a secret; add it first")
    settings = context.settings
    client = client_for(ref.appid, ref.secret, settings.wechat_api_base, context.runtime.redis)
    try:
        client.menu.create(default_menu(settings.public_base_url, ref.appid))
    except WeChatClientException as exc:
        raise click.ClickException(f"WeChat refused the menu: {exc.errcode} {exc.errmsg}") from None
    click.echo(f"menu pushed to {ref.appid}")


@outbox_cli.command("sweep")
@click.option("--grace", default=60, show_default=True, help="seconds an event may wait before it is re-sent")
def outbox_sweep(grace: int) -> None:
    """Re-enqueue events that were stored but never processed."""
    from tasks.sweeper import sweep_outbox

    click.echo(f"re-enqueued {sweep_outbox(grace_seconds=grace)} events")


@kol_cli.command("rebuild")
def kol_rebuild() -> None:
    """Score every member of every account from scratch (the scheduled job only scores changes)."""
    from models import Account
    from services.segments.scoring import STEPS
    from tasks.segments import score_members

    with tiefen().sessions() as session:
        accounts = session.query(Account).count()
    with click.progressbar(length=accounts * len(STEPS), label="scoring", show_pos=True) as bar:

        def progress(account_id: int, step: str) -> None:
            bar.label = f"account {account_id}: {step}"
            bar.update(1)

        totals = score_members(full=True, progress=progress)
    click.echo(
        f"scored {totals['scored']} members in {totals['accounts']} accounts; "
        f"{totals['candidates']} KOL candidates ({totals['added']} new, {totals['dropped']} dropped)"
        + (f"; {totals['skipped']} accounts skipped: another run held them" if totals["skipped"] else "")
    )
