"""Browser-facing answers of the simulated WeChat: redirects and the small HTML pages WeChat shows."""

from __future__ import annotations

import html
from dataclasses import dataclass

from flask import Response

from simulator.errors import ApiError

NOT_IN_WECHAT = "请在微信客户端打开链接"
# The authorize page without a known member is a page, not an error; the call log records it as 41009.
NOT_IN_WECHAT_ERRCODE = 41009

_HTML = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><h2>{title}</h2><p>{message}</p></body></html>
"""


@dataclass(frozen=True)
class Page:
    """A non-JSON answer (an HTML page or a redirect) and the errcode the call log records for it."""

    response: Response
    errcode: int = 0


def html_page(title: str, message: str, status: int = 200) -> Response:
    """Render a minimal UTF-8 HTML page."""
    text = _HTML.format(title=html.escape(title), message=html.escape(message))
    return Response(text, status=status, content_type="text/html; charset=utf-8")


def redirect_page(location: str) -> Page:
    """Answer 302 to a URL."""
    return Page(Response(status=302, headers={"Location": location}))


def not_in_wechat_page() -> Page:
    """Answer what WeChat shows when its authorize page is opened outside the WeChat app."""
    return Page(html_page("微信网页授权", NOT_IN_WECHAT), NOT_IN_WECHAT_ERRCODE)


def error_page(exc: ApiError) -> Page:
    """Answer an error on a page a browser visits, as WeChat's 'Oops! Something went wrong' page."""
    message = f"Oops! Something went wrong:( 错误码：{exc.errcode}，{exc.errmsg}"
    return Page(html_page("微信网页授权", message, status=400), exc.errcode)
