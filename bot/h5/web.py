"""What every H5 page shares: the account from the URL, refusals as Chinese pages, safe headers."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, g, render_template
from werkzeug.exceptions import HTTPException

from bot.context import tiefen
from bot.h5 import h5
from rules.points.tasks import Action
from services.accounts.registry import AccountRef
from services.points.programme import ProgrammeConfig

TEXTS = {
    400: ("请求有误", "页面参数不正确，请返回重试。"),
    403: ("无法访问", "链接无效或已过期，请从公众号菜单重新进入。"),
    404: ("页面不存在", "你访问的页面不存在。"),
    405: ("请求有误", "请从页面上的按钮操作。"),
    413: ("内容太长", "提交的内容太长，请精简后再试。"),
    429: ("操作太频繁", "请稍等一会儿再试。"),
    502: ("服务繁忙", "微信服务暂时不可用，请稍后再试。"),
}


class Refused(Exception):
    """Stop the request with a Chinese page: `raise Refused(403, "链接无效或已过期")`."""

    def __init__(self, status: int, message: str | None = None, retry: str | None = None) -> None:
        title, default = TEXTS.get(status, ("出错了", "请稍后再试。"))
        super().__init__(message or default)
        self.status, self.title, self.message, self.retry = status, title, message or default, retry


def account_or_404(appid: str) -> AccountRef:
    """The account this URL names; the environment's account is stored on first sight."""
    directory = tiefen().accounts
    account: AccountRef | None = directory.get(appid)
    if account is None and appid == tiefen().settings.wechat_appid:
        account = directory.get(None)
    if account is None:
        raise Refused(404)
    return account


def follow_points(prog: ProgrammeConfig) -> int:
    """What following earns, for the prompt someone who never followed sees."""
    task = prog.tasks.get(Action.FOLLOW)
    return task.points if task and task.enabled else 0


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, nonce=csp_nonce(), **context), status


@h5.errorhandler(Refused)
def refused(exc: Refused) -> tuple[str, int]:
    return page("h5/message.html", exc.status, title=exc.title, message=exc.message, retry=exc.retry)


@h5.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> tuple[str, int]:
    return refused(Refused(exc.code or 500))


def csp_nonce() -> str:
    """One nonce per response for the few lines of inline script a page carries."""
    if "h5_nonce" not in g:
        g.h5_nonce = secrets.token_urlsafe(12)
    nonce: str = g.h5_nonce
    return nonce


@h5.after_request
def private_and_locked_down(response: Response) -> Response:
    """Member pages are private (no caches), and load nothing but themselves."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # a ?t= token must not leak to other sites
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        f"script-src 'nonce-{csp_nonce()}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    return response
