"""Test doubles for the simulator tests: wechatpy clients aimed at the simulator and a webhook."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, abort, request
from wechatpy import WeChatClient, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.oauth import WeChatOAuth
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

APPID, SECRET = "wxsim00000000001", "simsecret"
TOKEN, AES_KEY = "simtoken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
WECHAT_PREFIX = "https://api.weixin.qq.com/"


class SimWeChatClient(WeChatClient):
    """A wechatpy client whose https://api.weixin.qq.com/ URLs point at the simulator."""

    def __init__(self, sim_url: str, *args: Any, **kwargs: Any) -> None:
        self.sim_url = sim_url.rstrip("/") + "/"
        super().__init__(*args, **kwargs)

    def rewrite(self, url: str) -> str:
        """Map a real WeChat API URL onto the simulator."""
        return self.sim_url + url[len(WECHAT_PREFIX) :] if url.startswith(WECHAT_PREFIX) else url

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        if not url_or_endpoint.startswith(("http://", "https://")):
            url_or_endpoint = kwargs.pop("api_base_url", self.API_BASE_URL) + url_or_endpoint
        return super()._request(method, self.rewrite(url_or_endpoint), **kwargs)

    def _fetch_access_token(self, url: str, params: dict[str, str]) -> Any:
        return super()._fetch_access_token(self.rewrite(url), params)


class SimWeChatOAuth(WeChatOAuth):
    """wechatpy's web OAuth client with its api.weixin.qq.com and open.weixin.qq.com URLs on the simulator."""

    def __init__(self, sim_url: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.API_BASE_URL = sim_url.rstrip("/") + "/"
        self.OAUTH_BASE_URL = sim_url.rstrip("/") + "/connect/"


@dataclass(frozen=True)
class Received:
    """One request the test webhook got."""

    args: dict[str, str]
    body: bytes
    message: Any


class Webhook:
    """A minimal official-account webhook built on wechatpy, as the project's would be."""

    def __init__(
        self,
        aes_key: str | None = AES_KEY,
        delays: Sequence[float] = (),
        tamper_reply: bool = False,
        raw_reply: str | None = None,
    ) -> None:
        self.crypto = WeChatCrypto(TOKEN, aes_key, APPID) if aes_key else None
        self.delays = list(delays)
        self.tamper_reply = tamper_reply
        self.raw_reply = raw_reply
        self.received: list[Received] = []
        self.app = Flask("test_webhook")
        self.app.add_url_rule("/wechat", view_func=self.handle, methods=["GET", "POST"])

    def handle(self) -> Response | str:
        """Verify, decrypt, parse and answer one callback."""
        args = request.args.to_dict()
        try:
            check_signature(
                TOKEN, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", "")
            )
        except InvalidSignatureException:
            abort(403)
        if request.method == "GET":
            return args["echostr"]
        index = len(self.received)
        self.received.append(Received(args, request.get_data(), None))
        time.sleep(self.delays[index] if index < len(self.delays) else 0)
        xml = self.plaintext(args, request.get_data())
        try:
            message = parse_message(xml)
        except Exception:
            abort(400)
        self.received[index] = Received(args, request.get_data(), message)
        return self.answer(args, message)

    def plaintext(self, args: dict[str, str], body: bytes) -> bytes | str:
        """Decrypt the body when the callback is encrypted."""
        if args.get("encrypt_type") != "aes":
            return body
        assert self.crypto is not None
        return self.crypto.decrypt_message(body, args["msg_signature"], args["timestamp"], args["nonce"])

    def answer(self, args: dict[str, str], message: Any) -> str:
        """Echo text messages, welcome followers, acknowledge everything else."""
        if self.raw_reply is not None:
            return self.raw_reply
        if message.type == "text":
            reply = create_reply(f"echo: {message.content}", message).render()
        elif message.type == "event" and message.event.startswith("subscribe"):
            reply = create_reply("欢迎", message).render()
        else:
            return "success"
        if args.get("encrypt_type") != "aes":
            return reply
        assert self.crypto is not None
        envelope = self.crypto.encrypt_message(reply, args["nonce"], args["timestamp"])
        return (
            envelope.replace("<MsgSignature><![CDATA[", "<MsgSignature><![CDATA[0")
            if self.tamper_reply
            else envelope
        )
