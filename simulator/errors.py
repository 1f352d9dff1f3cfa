"""WeChat API error codes and the exception the simulator's handlers raise."""

from __future__ import annotations

ERRMSG: dict[int, str] = {
    -1: "system error",
    0: "ok",
    # Errors of the web OAuth authorize page (shown to the member, not answered as JSON)
    10003: "redirect_uri域名与后台配置不一致",
    10005: "此公众号并没有这些scope的权限",
    10010: "scope不能为空",
    10011: "redirect_uri不能为空",
    10012: "appid不能为空",
    40001: "invalid credential",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40010: "invalid voice size",
    40011: "invalid video size",
    40012: "invalid thumb size",
    40013: "invalid appid",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40022: "invalid sub button level",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    40029: "invalid code",
    40037: "invalid template_id",
    40052: "invalid action name",
    40053: "invalid action info, please check document",
    40054: "invalid sub button url domain",
    40055: "invalid button url domain",
    40097: "invalid args",
    40125: "invalid appsecret",
    40163: "code been used",
    40165: "invalid weapp pagepath",
    40166: "invalid weapp appid",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41005: "media data missing",
    41008: "missing code",
    41009: "missing openid",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43004: "require subscribe",
    44002: "empty post data",
    44003: "empty news data",
    44004: "empty content",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45029: "qrcode count out of limit",
    46003: "menu no exist",
    47001: "data format error",
}


def errmsg(errcode: int) -> str:
    """Return WeChat's message for an error code."""
    return ERRMSG.get(errcode, f"simulated error {errcode}")


def error_body(errcode: int, message: str | None = None) -> dict[str, int | str]:
    """Build the JSON body WeChat answers for an error code."""
    return {"errcode": errcode, "errmsg": message or errmsg(errcode)}


def ok() -> dict[str, int | str]:
    """Build WeChat's success body."""
    return {"errcode": 0, "errmsg": "ok"}


class ApiError(Exception):
    """Abort an API call with a WeChat error code."""

    def __init__(self, errcode: int, message: str | None = None) -> None:
        super().__init__(errcode, message or errmsg(errcode))
        self.errcode = errcode
        self.errmsg = message or errmsg(errcode)

    def body(self) -> dict[str, int | str]:
        """Return the JSON body for this error."""
        return error_body(self.errcode, self.errmsg)
