"""GET/POST /wechat and /wechat/<appid>: verify, store, reply, then enqueue."""

from __future__ import annotations

import logging
import time

from flask import Response, abort, request
from wechatpy.replies import ImageReply, TextReply

import logs
import metrics
from bot import bp, protocol
from bot.context import Tiefen, tiefen
from bot.dispatch import Ctx, Reply, route_for
from rules.inbound.messages import Inbound
from services.accounts.registry import AccountRef
from services.inbound import outbox as inbound
from tasks import wake_drainer

log = logging.getLogger(__name__)


@bp.route("/wechat", methods=["GET", "POST"])
@bp.route("/wechat/<appid>", methods=["GET", "POST"])
def webhook(appid: str | None = None) -> Response:
    started = time.perf_counter()
    response, kind, outcome = _webhook(appid)
    if request.method == "POST":
        metrics.CALLBACKS.labels(kind, outcome).inc()
        metrics.REPLY_SECONDS.observe(time.perf_counter() - started)
    return response


def _webhook(appid: str | None) -> tuple[Response, str, str]:
    """The answer, the callback's type (msg type or event) and what became of it."""
    context = tiefen()
    account = context.accounts.get(appid)
    if account is None:
        abort(404)
    args = request.args.to_dict()
    protocol.verify_signature(account.token, args)
    if request.method == "GET":
        return Response(args.get("echostr", ""), mimetype="text/plain"), "verify", "ok"
    settings = context.settings
    protocol.verify_timestamp(args, time.time(), settings.timestamp_window)
    protocol.check_size(request.content_length, settings.max_body_bytes)
    body = request.stream.read(settings.max_body_bytes + 1)
    protocol.check_size(len(body), settings.max_body_bytes)
    encrypted = args.get("encrypt_type") == "aes"
    protocol.check_mode(account.message_mode, encrypted)
    xml = (
        protocol.decrypt(body, args, account.token, account.aes_key, account.appid)
        if encrypted
        else _text(body)
    )
    msg = protocol.parse(xml)
    # an envelope's msg_signature covers its body: only a plaintext query string needs binding
    reply_xml, stored = store_and_reply(
        context, account, msg, None if encrypted else protocol.query_key(args)
    )
    if stored:
        wake_drainer()  # after commit: the job must find the row
    kind = (msg.event or msg.msg_type)[:32] if msg.known else "unknown"
    return _respond(reply_xml, account, args, encrypted), kind, "stored" if stored else "retry"


def store_and_reply(
    context: Tiefen, account: AccountRef, msg: Inbound, query_key: str | None = None
) -> tuple[str | None, bool]:
    """Do what the reply needs, then store the event with its reply; or, for a retried
    delivery, find the reply the first one got. Returns (reply, newly stored). A query string
    (`query_key`) already bound to another message is refused (QueryReused); an atomic
    handler's writes are rolled back with it, and the others write nothing.

    Most handlers run on the autocommit engine, on the connection this thread keeps: each
    statement is its own transaction, one round trip with no BEGIN or COMMIT, which is safe
    because they are idempotent (see `Ctx`).
    An `atomic` handler (a check-in, a review) runs in one transaction with the INSERT.
    """
    route, routed = route_for(msg) if msg.known else (None, msg)
    runtime = context.runtime
    with runtime.engine.begin() if route and route.atomic else runtime.kept.connection() as conn:
        reply = route.handler(routed, Ctx(conn, account, context.programmes.get)) if route else None
        xml = _render(reply, msg)
        if inbound.record_inbound(conn, account.id, msg, xml, query_key, logs.REQUEST_ID.get()) is None:
            try:
                return inbound.first_reply(conn, account.id, msg, query_key), False
            except inbound.QueryTaken as taken:
                raise protocol.QueryReused(str(taken)) from None
    return xml, True


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise protocol.ProtocolError("body is not UTF-8") from None


def _render(reply: Reply | None, msg: Inbound) -> str | None:
    if reply is None:
        return None
    if reply.media_id:
        return str(ImageReply(source=msg.to_user, target=msg.openid, media_id=reply.media_id).render())
    return str(TextReply(source=msg.to_user, target=msg.openid, content=reply.content).render())


def _respond(xml: str | None, account: AccountRef, args: dict[str, str], encrypted: bool) -> Response:
    if xml is None:
        return Response("success", mimetype="text/plain")
    if encrypted and account.aes_key:
        nonce, timestamp = args.get("nonce", ""), str(int(time.time()))
        xml = protocol.encrypt_reply(xml, account.token, account.aes_key, account.appid, nonce, timestamp)
    return Response(xml, mimetype="application/xml")


@bp.errorhandler(protocol.ProtocolError)
def refuse(exc: protocol.ProtocolError) -> tuple[Response, int]:
    log.info("refused callback: %s", exc.reason)
    metrics.CALLBACKS.labels("refused", str(exc.status)).inc()
    return Response(exc.reason, mimetype="text/plain"), exc.status
