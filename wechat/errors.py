"""What a WeChat API error code means for the call that got it: the one place the codes live.

Every job that calls WeChat asks `classify` rather than keeping its own code sets:

- FINAL: this call will never succeed for this member or message (a bad openid, an unfollowed
  member, a closed or spent customer-service window, a bad template, a blocked member): record
  it and move on.
- RETRY_LATER: WeChat is busy or rate limiting: the same call later may go through.
- REFRESH_TOKEN: the access token was invalid or expired. wechatpy refreshes the shared token
  and repeats the call itself, so a job only sees it when the repeat failed too.
- UNKNOWN: a code not listed here; each job keeps its own default (a campaign closes the
  delivery as failed, an RQ job raises so RQ retries it).

A mass send repeated under a clientmsgid WeChat saw before (DUPLICATE_MASS) is neither: the
first call went through, so that send stands.
"""

from __future__ import annotations

import enum

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

SYSTEM_BUSY = -1
BAD_OPENID = 40003
BAD_TEMPLATE = 40037
INVALID_TOKEN = 40001
EXPIRED_TOKEN = 42001
UNFOLLOWED = 43004
BLOCKED = 43019
RATE_LIMITED = 45009
WINDOW_CLOSED = 45015
WINDOW_QUOTA_USED = 45047
DUPLICATE_MASS = 45065  # the clientmsgid was sent before: that send stands

FINAL_CODES = frozenset({BAD_OPENID, BAD_TEMPLATE, UNFOLLOWED, BLOCKED, WINDOW_CLOSED, WINDOW_QUOTA_USED})
RETRY_CODES = frozenset({SYSTEM_BUSY, RATE_LIMITED})
TOKEN_CODES = frozenset({INVALID_TOKEN, EXPIRED_TOKEN})


class QrImageUnavailable(Exception):
    """showqrcode did not answer a code's image (an error, a non-image answer, no answer at all)."""


class Outcome(enum.StrEnum):
    """What to do after a WeChat error code."""

    FINAL = "final"
    RETRY_LATER = "retry_later"
    REFRESH_TOKEN = "refresh_token"
    UNKNOWN = "unknown"


def classify(errcode: object) -> Outcome:
    """The outcome of a WeChat error code (an int, or the string some answers carry)."""
    try:
        code = int(errcode)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return Outcome.UNKNOWN
    if code in FINAL_CODES:
        return Outcome.FINAL
    if code in RETRY_CODES:
        return Outcome.RETRY_LATER
    if code in TOKEN_CODES:
        return Outcome.REFRESH_TOKEN
    return Outcome.UNKNOWN


def reached_wechat(exc: requests.RequestException) -> bool:
    """Whether a failed call may have been taken by WeChat: anything but a connection never made
    (refused, or timed out connecting). A customer-service or template message has no idempotency
    key, so a job that sends one records such a call as sent, unconfirmed, and never sends it again
    (found by tests/faults: WeChat answering after the client's 5 s took the message, and the retry
    sent it twice). Only a mass send, under its clientmsgid, is safe to repeat."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return not isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return True
