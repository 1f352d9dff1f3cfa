"""Tag jobs: mirror members' tags onto each account's WeChat user tags."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from rq import Retry
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from metrics import counted
from models import Account, utcnow
from services.segments import tag_mirror
from tasks.runtime import current
from wechat.client import client_for

log = logging.getLogger(__name__)

MIRROR_RETRY = Retry(max=3, interval=[5, 30, 120])


@counted
def mirror_tags() -> int:
    """Queue the mirror of every account with an AppSecret (one job each, retried on its own)."""
    runtime = current()
    with runtime.sessions() as session:
        account_ids = list(
            session.scalars(select(Account.id).where(Account.secret.is_not(None), Account.secret != ""))
        )
    queue = runtime.queue("scheduled")
    for account_id in account_ids:
        queue.enqueue(mirror_account, account_id, retry=MIRROR_RETRY, result_ttl=600)
    return len(account_ids)


@counted
def mirror_account(account_id: int) -> dict[str, Any]:
    """Give the account's tags WeChat twins, then tell WeChat every row that changed. Safe to run twice."""
    runtime = current()
    with runtime.sessions() as session:
        account = session.get(Account, account_id)
        if account is None or not account.secret:
            return {"skipped": "no AppSecret"}
        appid, secret = account.appid, account.secret
    api = WeChatTags(client_for(appid, secret, runtime.settings.wechat_api_base, runtime.redis).tag)
    remote = api.get()  # asked before the transaction: on SQLite it holds the write lock
    with runtime.job_sessions.begin() as session:
        report = tag_mirror.ensure_twins(session, api, account_id, remote)
    after, more = 0, True
    while more:
        with runtime.sessions() as session:
            work = tag_mirror.pending_work(session, account_id, after)
        pushed = tag_mirror.push(api, work)
        with runtime.job_sessions.begin() as session:
            tag_mirror.record(session, work, pushed, utcnow())
        tag_mirror.add_up(report, work, pushed)
        after, more = work.last_id, work.full
    log.info("account %s: tags mirrored %s", account_id, report)
    return asdict(report)


class WeChatTags:
    """wechatpy's `client.tag` as `tag_mirror.TagApi`: WeChat's error answers become `Refused`.

    An HTTP failure (errcode None) or a timeout stays what it is: the job fails and RQ retries it.
    """

    def __init__(self, tag: Any) -> None:
        self._tag = tag

    def get(self) -> list[dict[str, Any]]:
        return self._call(self._tag.get)

    def create(self, name: str) -> dict[str, Any]:
        return self._call(self._tag.create, name)

    def tag_user(self, tag_id: int, user_id: list[str]) -> Any:
        return self._call(self._tag.tag_user, tag_id, user_id)

    def untag_user(self, tag_id: int, user_id: list[str]) -> Any:
        return self._call(self._tag.untag_user, tag_id, user_id)

    @staticmethod
    def _call(method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except WeChatClientException as exc:
            if exc.errcode is None:
                raise
            raise tag_mirror.Refused(int(exc.errcode), str(exc.errmsg or "")) from exc
