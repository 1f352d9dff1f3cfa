"""Channels (渠道码): counter, staff and poster codes with the followers each brought, and a
print-ready poster of each code as PNG or PDF."""

from __future__ import annotations

import io
from typing import Any

import requests
from flask import Response, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from PIL import Image
from pydantic import ValidationError
from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatClientException
from werkzeug.datastructures import MultiDict

from bot.access import current
from bot.api.referrals.schemas import NewChannel
from bot.api.types import problems_of
from bot.console.campaigns import field_errors
from bot.console.web import done, page, view
from bot.context import tiefen
from bot.db import read, write
from models import utcnow
from rules.accounts.roles import Area, may
from services.referrals import codes
from services.referrals.posters import qr_png, render_poster
from wechat.client import client_for, qrcode_image

KIND_NAMES = {"counter": "门店收银台", "staff": "店员", "poster": "海报", "other": "其他"}
FIELDS = {"code", "name", "kind", "tag", "permanent"}
PDF_DPI = 150  # 750 × 1334 pixels: 12.7 × 22.6 cm on paper


def _channels(account_id: int) -> list[Any]:
    return read(lambda s: codes.channels_of(s, account_id))


def _page(form: MultiDict[str, str], status: int = 200, **extra: Any) -> ResponseReturnValue:
    account = current().account
    return page(
        "console/channels.html",
        status,
        rows=_channels(account.id),
        kinds=KIND_NAMES,
        form=form,
        errors=extra.pop("errors", {}),
        problems=extra.pop("problems", []),
        may_change=may(current().role, Area.REFERRALS),
        has_secret=bool(account.secret),
        **extra,
    )


@view("/channels", Area.READ)
def channels() -> ResponseReturnValue:
    return _page(MultiDict())


@view("/channels/add", Area.REFERRALS, methods=("POST",))
def channels_add() -> ResponseReturnValue:
    """A channel and its code, checked by the API's NewChannel model, the code made through WeChat."""
    form = request.form
    account = current().account
    values: dict[str, Any] = {
        "code": form.get("code", "").strip(),
        "name": form.get("name", "").strip(),
        "kind": form.get("kind", "other"),
        "permanent": bool(form.get("permanent")),
    }
    if form.get("tag", "").strip():
        values["tag"] = form["tag"].strip()
    try:
        body = NewChannel.model_validate(values)
    except ValidationError as exc:
        errors, problems = field_errors(problems_of(exc), FIELDS)
        return _page(form, 422, errors={k: _zh(v) for k, v in errors.items()}, problems=problems)
    if not account.secret:
        return _page(form, 409, problems=["公众号还没有配置 AppSecret,无法生成二维码"])
    settings, runtime = tiefen().settings, tiefen().runtime
    wechat = client_for(account.appid, account.secret, settings.wechat_api_base, runtime.redis)

    def save(s: Session) -> str:
        c = codes.create_channel(s, account.id, body.code, body.name, body.kind, body.tag, body.permanent)
        codes.channel_code(s, wechat.qrcode, c, utcnow())
        return c.name

    try:
        name = write(save)
    except codes.ChannelProblem as exc:
        said = "渠道代码已存在" if "exists" in str(exc) else str(exc)
        return _page(form, 422, errors={"code": [said]})
    except codes.PermanentCapReached:
        return _page(form, 409, problems=["永久二维码数量已达上限,请改用临时二维码"])
    except WeChatClientException as exc:
        return _page(form, 502, problems=[f"微信接口返回错误 {exc.errcode}:{exc.errmsg}"])
    return done(f"已创建渠道「{name}」", "console.channels")


def _zh(words: list[str]) -> list[str]:
    return ["只能用小写字母、数字、- 和 _" if w == "格式不正确" else w for w in words]


@view("/channels/<code>/poster.<any(png, pdf):fmt>", Area.READ)
def channels_poster(code: str, fmt: str) -> ResponseReturnValue:
    """The channel's code on a poster with the shop's name, to print and put on the counter."""
    account = current().account
    found = next((row for row in _channels(account.id) if row[0].code == code), None)
    if found is None:
        abort(404)
    channel, qrcode, _ = found
    if qrcode is None or qrcode.ticket is None:
        flash("这个渠道还没有二维码", "error")
        return redirect(url_for("console.channels"))
    try:
        image = qrcode_image(tiefen().settings.wechat_api_base, qrcode.ticket)
    except requests.RequestException:
        if not qrcode.url:
            flash("暂时取不到二维码图片,请稍后再试", "error")
            return redirect(url_for("console.channels"))
        image = qr_png(qrcode.url, 10)
    png = render_poster(image, account.name, "扫码关注 成为会员", channel.name)
    if fmt == "png":
        body, mimetype = png, "image/png"
    else:
        out = io.BytesIO()
        Image.open(io.BytesIO(png)).convert("RGB").save(out, "PDF", resolution=PDF_DPI)
        body, mimetype = out.getvalue(), "application/pdf"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="channel-{code}.{fmt}"'},
    )
