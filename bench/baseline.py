"""The bare baseline: the webhook with nothing behind it; and the floor: the same plus one INSERT.

Same route as Tiefen's, same signature check and wechatpy parsing, a passive reply, and
nothing stored or enqueued. Served by gunicorn as `bench.baseline:create_app()`.

`create_durable_app()` is the baseline plus the least a webhook that keeps every callback must do:
one durable INSERT of the body (autocommit, so the commit waits for the WAL flush) before it
replies, on one psycopg connection per process, into the table `bench_floor` of the database
BENCH_FLOOR_DSN names. No dedup, no columns, no queue: no real webhook can do less per callback.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import psycopg
from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

DEFAULT_TOKEN = "benchtoken"
FLOOR_TABLE = "bench_floor"
FLOOR_DDL = f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY, body text NOT NULL)"


def create_durable_app(token: str | None = None) -> Flask:
    """The baseline, storing each callback's body with one autocommit INSERT before replying."""
    dsn = os.environ["BENCH_FLOOR_DSN"]
    held: list[psycopg.Connection] = []

    def store(body: bytes) -> None:
        if not held:  # made in the worker, after gunicorn's fork
            held.append(psycopg.connect(dsn, autocommit=True))
        held[0].execute(f"INSERT INTO {FLOOR_TABLE} (body) VALUES (%s)", (body.decode(),))

    return create_app(token, store)


def create_app(token: str | None = None, store: Callable[[bytes], None] | None = None) -> Flask:
    """A Flask app answering WeChat callbacks signed with `token` (default: env WECHAT_TOKEN)."""
    app = Flask(__name__)
    secret = token or os.environ.get("WECHAT_TOKEN") or DEFAULT_TOKEN

    @app.route("/wechat", methods=["GET", "POST"])
    def wechat() -> Response:
        args = request.args
        try:
            check_signature(
                secret, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", "")
            )
        except InvalidSignatureException:
            return Response("bad signature", status=403, mimetype="text/plain")
        if request.method == "GET":
            return Response(args.get("echostr", ""), mimetype="text/plain")
        body = request.get_data()
        message = parse_message(body)
        if store is not None:
            store(body)
        return Response(create_reply("欢迎", message).render(), mimetype="application/xml")

    return app
