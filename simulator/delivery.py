"""What came back from a webhook: the Delivery and the parsing of passive replies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

import defusedxml.ElementTree
import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto

EMPTY_REPLIES = frozenset({"", "success"})


@dataclass(frozen=True)
class Delivery:
    """The outcome of pushing one callback to a webhook."""

    status_code: int | None
    attempts: int
    text: str
    reply: dict[str, Any] | None = None
    encrypted: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the webhook answered 200 with a usable body."""
        return self.status_code == 200 and self.error is None

    @property
    def content(self) -> str | None:
        """Return the Content of a text reply, else None."""
        if self.reply is None or self.reply.get("MsgType") != "text":
            return None
        return self.reply.get("Content")


def parse_xml(text: str) -> dict[str, Any]:
    """Parse a WeChat <xml> document into a dict, refusing DTDs and entities."""
    root = defusedxml.ElementTree.fromstring(text, forbid_dtd=True)
    if root.tag != "xml":
        raise ValueError(f"root element is <{root.tag}>, expected <xml>")
    return xmltodict.parse(text)["xml"] or {}


def decrypt_reply(envelope: dict[str, Any], crypto: WeChatCrypto | None) -> dict[str, Any]:
    """Check an encrypted reply's MsgSignature and decrypt it (raises InvalidSignatureException)."""
    if crypto is None:
        raise ValueError("the webhook answered an encrypted reply but no aes_key is configured")
    plaintext = crypto.decrypt_message(
        envelope, envelope.get("MsgSignature", ""), envelope.get("TimeStamp", ""), envelope.get("Nonce", "")
    )
    return parse_xml(plaintext)


def read_delivery(response: requests.Response, attempts: int, crypto: WeChatCrypto | None) -> Delivery:
    """Turn a webhook's HTTP answer into a Delivery, decrypting an encrypted reply."""
    text = response.content.decode("utf-8", errors="replace")
    if response.status_code != 200 or text.strip() in EMPTY_REPLIES:
        return Delivery(response.status_code, attempts, text)
    try:
        reply = parse_xml(text)
    except (ValueError, SyntaxError, ExpatError) as exc:
        return Delivery(response.status_code, attempts, text, error=f"unparseable reply: {exc}")
    if "Encrypt" not in reply:
        return Delivery(response.status_code, attempts, text, reply)
    return Delivery(response.status_code, attempts, text, decrypt_reply(reply, crypto), encrypted=True)
