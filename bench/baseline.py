"""The bare baseline: the webhook with nothing behind it.

Same route as Tiefen's, same signature check and wechatpy parsing, a passive reply, and
nothing stored or enqueued. Served by gunicorn as `bench.baseline:create_app()`.
"""

from __future__ import annotations

import os

from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

DEFAULT_TOKEN = "benchtoken"


def create_app(token: str | None = None) -> Flask:
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
        message = parse_message(request.get_data())
        return Response(create_reply("欢迎", message).render(), mimetype="application/xml")

    return app
