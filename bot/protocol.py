"""WeChat's callback protocol: signatures, replay window, size, safe XML, decryption.

wechatpy does the parsing and the cryptography; this module adds what it leaves out:
constant-time signature checks, the timestamp window, and refusing DTDs and entities
before any parser could expand them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.events import EVENT_TYPES
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.messages import MESSAGE_TYPES
from wechatpy.utils import WeChatSigner

from rules.clock import timestamp_fresh
from rules.inbound.messages import Inbound
from rules.inbound.modes import MessageMode, accepts

log = logging.getLogger(__name__)

OPENID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
QR_SCENE = "qrscene_"  # a follow through a parametric QR code: EventKey qrscene_<scene>
MAX_CREATE_TIME = 4_102_444_800  # 2100-01-01: a Unix time any database and datetime can hold
MAX_MSG_ID = 2**63 - 1  # a BIGINT
MAX_NAME = 32  # characters of a message type or event name (the longest WeChat sends is 23)


class ProtocolError(Exception):
    """A callback WeChat would never send; `status` is the HTTP answer."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureMismatch(ProtocolError):
    status = 403


class StaleTimestamp(ProtocolError):
    status = 403


class BodyTooLarge(ProtocolError):
    status = 413


class ModeRefused(ProtocolError):
    status = 403


class QueryReused(ProtocolError):
    status = 403


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    signature: str = signer.signature  # wechatpy has no types
    return signature


def same(expected: str, given: str) -> bool:
    """Constant-time equality of a signature and what was sent (any characters at all)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))


def verify_signature(token: str, args: dict[str, str]) -> None:
    """Check `signature` = sha1(sorted token, timestamp, nonce) in constant time."""
    expected = sign(token, args.get("timestamp", ""), args.get("nonce", ""))
    if not same(expected, args.get("signature", "")):
        raise SignatureMismatch("bad signature")


def verify_timestamp(args: dict[str, str], now: float, window: int) -> None:
    try:
        timestamp = int(args.get("timestamp", ""))
    except ValueError:
        raise StaleTimestamp("timestamp is not a number") from None
    if not timestamp_fresh(timestamp, now, window):
        raise StaleTimestamp("timestamp outside the replay window")


def check_mode(mode: MessageMode, encrypted: bool) -> None:
    """A safe-mode account takes only encrypted callbacks; a plaintext one only clear ones."""
    if not accepts(mode, encrypted):
        raise ModeRefused(
            f"{'an encrypted' if encrypted else 'a plaintext'} callback to a {mode.value}-mode account"
        )


def query_key(args: dict[str, str]) -> str:
    """What binds a plaintext callback's signed query string to the first message it carried.

    A plaintext callback's `signature` covers token, timestamp and nonce, not the body: whoever saw
    one callback URL could post any body under it while the timestamp is fresh. The outbox stores
    this key with the first message (a unique index per account), so the same query string with
    another message is refused, while WeChat retrying the same message gets the first reply.
    Hashed: the nonce's length is WeChat's choice, the column's is not.
    """
    signed = f"{args.get('timestamp', '')}:{args.get('nonce', '')}".encode("utf-8", "replace")
    return hashlib.blake2b(signed, digest_size=16).hexdigest()


def check_size(content_length: int | None, limit: int) -> None:
    if content_length is not None and content_length > limit:
        raise BodyTooLarge(f"body over {limit} bytes")


def safe_fields(body: bytes | str) -> dict[str, str]:
    """Parse flat WeChat XML into its top-level fields, refusing DTDs and entities."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ProtocolError(f"forbidden XML construct: {type(exc).__name__}") from None
    except SafeET.ParseError as exc:
        raise ProtocolError(f"malformed XML: {exc}") from None
    if root.tag != "xml":
        raise ProtocolError("root element is not <xml>")
    return {child.tag: (child.text or "") for child in root}


def decrypt(body: bytes, args: dict[str, str], token: str, aes_key: str | None, appid: str) -> str:
    """Open a safe-mode (encrypt_type=aes) envelope: check msg_signature, then decrypt."""
    if not aes_key:
        raise ProtocolError("encrypted callback but no AES key is configured")
    encrypted = safe_fields(body).get("Encrypt")
    if not encrypted:
        raise ProtocolError("encrypted callback without <Encrypt>")
    expected = sign(token, args.get("timestamp", ""), args.get("nonce", ""), encrypted)
    if not same(expected, args.get("msg_signature", "")):
        raise SignatureMismatch("bad msg_signature")
    try:
        return str(PrpCrypto(WeChatCrypto(token, aes_key, appid).key).decrypt(encrypted, appid))
    except InvalidAppIdException:
        raise ProtocolError("payload encrypted for another appid") from None
    except Exception as exc:  # bad base64, padding or length: all mean "not from WeChat"
        raise ProtocolError(f"undecryptable payload: {type(exc).__name__}") from None


def encrypt_reply(xml: str, token: str, aes_key: str, appid: str, nonce: str, timestamp: str) -> str:
    return str(WeChatCrypto(token, aes_key, appid).encrypt_message(xml, nonce, timestamp))


def parse(xml: str) -> Inbound:
    """Turn plaintext callback XML into an `Inbound`; 400 for anything malformed.

    The XML is parsed once, safely; `wechat_event` names the event as wechatpy would.
    """
    fields = safe_fields(xml)
    if not OPENID.match(fields.get("FromUserName", "")):
        raise ProtocolError("FromUserName missing or not an openid")
    if "MsgType" not in fields:
        raise ProtocolError("MsgType missing")
    try:
        create_time = int(fields["CreateTime"])
        msg_id = int(fields["MsgId"]) if fields.get("MsgId") else None
    except (KeyError, ValueError, TypeError) as exc:
        raise ProtocolError(f"bad field: {exc}") from None
    if not 0 <= create_time <= MAX_CREATE_TIME:
        raise ProtocolError("CreateTime out of range")
    if msg_id is not None and not 0 <= msg_id <= MAX_MSG_ID:
        raise ProtocolError("MsgId out of range")
    msg_type = fields["MsgType"].lower()
    event, event_key, known = wechat_event(fields)
    if len(msg_type) > MAX_NAME or len(event or "") > MAX_NAME:
        raise ProtocolError("MsgType or Event longer than any WeChat sends")
    return Inbound(
        openid=fields["FromUserName"],
        to_user=fields.get("ToUserName", ""),
        msg_type=msg_type,
        event=event if msg_type == "event" else None,
        # WeChat's reports (MASSSENDJOBFINISH, TEMPLATESENDJOBFINISH) have no EventKey but a MsgID:
        # two in the same second must not look like one delivered twice
        event_key=event_key or (fields.get("MsgID") if msg_type == "event" else None) or None,
        content=fields.get("Content") if msg_type == "text" else None,
        msg_id=msg_id,
        create_time=create_time,
        xml=xml,
        known=known,
    )


def wechat_event(fields: dict[str, str]) -> tuple[str | None, str | None, bool]:
    """What wechatpy's `parse_message` makes of a callback, read from its fields: the event's
    name (lower case; a follow through a QR code is `subscribe_scan`, its key without the
    `qrscene_` prefix), the event key, and whether wechatpy knows the message or event type.

    The webhook parses the XML once (`safe_fields`) instead of a second time with wechatpy;
    tests/bot/test_parse.py checks this against `parse_message` for every type it knows.
    """
    msg_type = fields["MsgType"].strip().lower()
    raw_event, key = fields.get("Event", "").strip(), fields.get("EventKey", "").strip() or None
    if msg_type != "event" and not msg_type.startswith("device_"):
        return (raw_event.lower() or None), key, msg_type in MESSAGE_TYPES
    event = raw_event.lower() or None
    if msg_type.startswith("device_"):
        kind = f"device_{event}" if event else msg_type
        return event, key, kind in EVENT_TYPES
    if event == "subscribe" and key:
        if key.startswith(("scanbarcode|", "scanimage|")):
            event = "subscribe_scan_product"
        elif key.startswith(QR_SCENE):
            event, key = "subscribe_scan", key[len(QR_SCENE) :]
    return event, key, event in EVENT_TYPES
