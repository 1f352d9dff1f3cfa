"""The customer side: play WeChat's server pushing signed (and encrypted) callbacks to a webhook."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import requests
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from simulator.callbacks import Callback, CallbackBuilder, render_xml
from simulator.delivery import Delivery, parse_xml, read_delivery
from simulator.state import SimulatorState
from simulator.witness import witness

MODES = ("plain", "compat", "safe")
HEADERS = {"Content-Type": "text/xml", "User-Agent": "Mozilla/4.0"}


@dataclass(frozen=True)
class Outgoing:
    """A signed POST ready to be sent: query parameters and body."""

    params: dict[str, str]
    body: bytes


class ScanError(ValueError):
    """A member cannot scan this ticket: unknown, another account's, or expired."""


def sign(token: str, timestamp: str, nonce: str) -> str:
    """Compute WeChat's callback signature: sha1 of the sorted token, timestamp and nonce."""
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return signer.signature


class WeChatServer(CallbackBuilder):
    """Play WeChat's server for one official account, pushing callbacks to its webhook.

    Given the simulator's `state`, every callback sent also tells the API side what the member did:
    follows and unfollows (user/info's subscribe), and interactions (the customer-service reply window);
    and members can scan the account's QR codes by ticket (`scan_code`).
    """

    def __init__(
        self,
        url: str,
        token: str,
        appid: str,
        aes_key: str | None = None,
        mode: str = "plain",
        account_id: str = "gh_sim",
        timeout: float = 5.0,
        retries: int = 3,
        session: requests.Session | None = None,
        state: SimulatorState | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if mode != "plain" and not aes_key:
            raise ValueError(f"{mode} mode needs an aes_key")
        self.url = url
        self.token = token
        self.appid = appid
        self.mode = mode
        self.account_id = account_id
        self.timeout = timeout
        self.retries = retries
        self.session = session
        self.state = state
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None

    def sign_params(self, timestamp: str | int | None = None, nonce: str | None = None) -> dict[str, str]:
        """Return fresh (or given) signature, timestamp and nonce query parameters."""
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or str(secrets.randbelow(9 * 10**9) + 10**9)
        return {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}

    def prepare(
        self, callback: Callback, timestamp: str | int | None = None, nonce: str | None = None
    ) -> Outgoing:
        """Sign (and in compat/safe mode encrypt) a callback the way WeChat does."""
        params = {**self.sign_params(timestamp, nonce), "openid": callback.openid}
        if self.mode == "plain":
            return Outgoing(params, callback.xml.encode("utf-8"))
        encrypt, msg_signature = self._encrypt(callback.xml, params["timestamp"], params["nonce"])
        params.update(encrypt_type="aes", msg_signature=msg_signature)
        if self.mode == "compat":
            body = render_xml({**callback.fields, "Encrypt": encrypt})
        else:
            body = render_xml({"ToUserName": self.account_id, "Encrypt": encrypt})
        return Outgoing(params, body.encode("utf-8"))

    def send(
        self, callback: Callback, timestamp: str | int | None = None, nonce: str | None = None
    ) -> Delivery:
        """Push a callback to the webhook, retrying on timeouts like WeChat (and tell the state first)."""
        outgoing = self.prepare(callback, timestamp, nonce)
        if self.state is not None:
            witness(self.state, self.appid, callback)
        return self.send_raw(outgoing.body, outgoing.params)

    def qr_scan(self, openid: str, ticket: str, *, create_time: int | None = None) -> Callback:
        """Build what scanning one of the account's QR codes pushes: a follow with EventKey qrscene_<scene>
        when the member does not follow the account yet, else a SCAN event with EventKey <scene>.

        Raises ScanError for a ticket that is unknown, another account's, or expired.
        """
        if self.state is None:
            raise RuntimeError("scanning a QR code needs the simulator's state: WeChatServer(..., state=...)")
        code = self.state.qrcodes.get(ticket)
        if code is None or code.appid != self.appid:
            raise ScanError(f"no QR code of {self.appid} has the ticket {ticket!r}")
        if code.expired():
            raise ScanError(f"the QR code for scene {code.scene!r} expired at {code.expires_at}")
        if self.state.follows(self.appid, openid):
            return self.scan(openid, code.scene, ticket=ticket, create_time=create_time)
        return self.subscribe(openid, code.scene, ticket=ticket, create_time=create_time)

    def scan_code(self, openid: str, ticket: str, *, create_time: int | None = None) -> Delivery:
        """Play a member scanning a QR code by its ticket: push the follow or SCAN event it triggers."""
        return self.send(self.qr_scan(openid, ticket, create_time=create_time))

    def send_raw(self, body: bytes, params: dict[str, str]) -> Delivery:
        """POST an arbitrary body and query; resend the identical request on timeouts or connection errors."""
        error = "no attempt made"
        for attempt in range(1, self.retries + 2):
            try:
                response = self._request("POST", params, body)
            except (requests.Timeout, requests.ConnectionError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                continue
            return read_delivery(response, attempt, self.crypto)
        return Delivery(None, self.retries + 1, "", error=error)

    def verify_url(self, echostr: str) -> requests.Response:
        """Do the GET URL verification WeChat performs when the webhook URL is configured."""
        return self._request("GET", {**self.sign_params(), "echostr": echostr}, None)

    def _encrypt(self, xml: str, timestamp: str, nonce: str) -> tuple[str, str]:
        """Encrypt plaintext XML; return the Encrypt value and its msg_signature."""
        assert self.crypto is not None
        envelope = parse_xml(self.crypto.encrypt_message(xml, nonce, timestamp))
        return envelope["Encrypt"], envelope["MsgSignature"]

    def _request(self, method: str, params: dict[str, str], body: bytes | None) -> requests.Response:
        """Send one HTTP request to the webhook."""
        headers = HEADERS if body is not None else {"User-Agent": HEADERS["User-Agent"]}
        kwargs = {"params": params, "data": body, "headers": headers, "timeout": self.timeout}
        if self.session is not None:
            return self.session.request(method, self.url, **kwargs)
        return requests.request(method, self.url, **kwargs)
