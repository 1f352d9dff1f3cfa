"""`python -m simulator customer …`: be one customer of a running Tiefen from the shell.

Each subcommand pushes what WeChat's server would push to the account's webhook (signed, and
encrypted when an AES key is given) and prints the account's reply; `open` opens one of its H5 pages
on the customer's phone (WeChat's web OAuth through the simulator) and prints the page as text. The
running simulator (`python -m simulator`) is told what the customer did, as WeChat's server knows it:
who follows (user/info) and who just interacted (the customer-service window).
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urldefrag

import requests

from simulator.callbacks import Callback
from simulator.customer import WeChatServer
from simulator.delivery import Delivery
from simulator.phone import Phone

EPILOG = """\
examples (the environment's WECHAT_APPID, WECHAT_TOKEN, WECHAT_AES_KEY and WECHAT_API_BASE are the defaults):
  python -m simulator customer follow oAlice0001
  python -m simulator customer text oAlice0001 签到
  python -m simulator customer click oAlice0001 MENU_MY_POINTS
  python -m simulator customer scan oBob000001 c-counter
  python -m simulator customer open oAlice0001 member
  python -m simulator customer unfollow oAlice0001
"""


class RemoteState:
    """What `simulator.witness` tells the simulator's state, told to a running simulator instead."""

    class _Codes:
        def get(self, ticket: str) -> None:  # scans from the shell name a scene, not a ticket
            return None

    qrcodes = _Codes()

    def __init__(self, sim_url: str, http: requests.Session) -> None:
        self.sim_url, self.http = sim_url.rstrip("/"), http

    def put_user(self, appid: str, openid: str, **fields: Any) -> None:
        self._post("/_sim/users", {"appid": appid, "openid": openid, **fields})

    def note_interaction(self, appid: str, openid: str, kind: str, at: float | None = None) -> None:
        self._post("/_sim/interactions", {"appid": appid, "openid": openid, "kind": kind, "at": at})

    def follows(self, appid: str, openid: str) -> bool:
        answer = self.http.get(
            f"{self.sim_url}/_sim/users", params={"appid": appid, "openid": openid}, timeout=10
        )
        answer.raise_for_status()
        return bool(answer.json().get("follows"))

    def _post(self, path: str, body: dict[str, Any]) -> None:
        self.http.post(f"{self.sim_url}{path}", json=body, timeout=10).raise_for_status()


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simulator customer",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    env = os.environ.get
    parser.add_argument("--url", default=env("TIEFEN_URL", "http://127.0.0.1:5000"), help="Tiefen")
    parser.add_argument("--sim", default=env("WECHAT_API_BASE", "http://127.0.0.1:8800"), help="WeChat")
    parser.add_argument("--appid", default=env("WECHAT_APPID"), required=not env("WECHAT_APPID"))
    parser.add_argument("--token", default=env("WECHAT_TOKEN"), required=not env("WECHAT_TOKEN"))
    parser.add_argument("--aes-key", default=env("WECHAT_AES_KEY"), help="given: safe (encrypted) mode")
    parser.add_argument("--webhook", help="the callback URL (default: URL/wechat, or URL/wechat/APPID)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help)
        sub.add_argument("openid", help="who the customer is")
        return sub

    action("follow", "follow the account (through a QR code's scene with --scene)").add_argument("--scene")
    action("unfollow", "unfollow the account")
    action("text", "send a text message").add_argument("content")
    action("scan", "scan a QR code's scene (a follow when not following yet)").add_argument("scene")
    action("click", "click a menu key (MENU_CHECKIN, MENU_MY_POINTS, MENU_INVITE)").add_argument("key")
    action("open", "open an H5 page as the customer and print its text").add_argument(
        "page", help="a page under /h5/APPID/ (member, invite, …), a path or a URL"
    )
    return parser.parse_args(argv)


def callback_for(wechat: WeChatServer, state: RemoteState, args: argparse.Namespace) -> Callback:
    """The callback WeChat's server pushes for what the customer does."""
    openid = args.openid
    builders: dict[str, Callable[[], Callback]] = {
        "follow": lambda: wechat.subscribe(openid, args.scene),
        "unfollow": lambda: wechat.unsubscribe(openid),
        "text": lambda: wechat.text(openid, args.content),
        "click": lambda: wechat.click(openid, args.key),
        "scan": lambda: (
            wechat.scan(openid, args.scene)
            if state.follows(wechat.appid, openid)
            else wechat.subscribe(openid, args.scene)
        ),
    }
    return builders[args.action]()


def said(delivery: Delivery) -> str:
    """The account's reply as a customer sees it."""
    if not delivery.ok:
        return f"the webhook failed: {delivery.status_code or ''} {delivery.error or delivery.text[:200]}"
    reply = delivery.reply
    if reply is None:
        return "(no reply)"
    if reply.get("MsgType") == "text":
        return str(reply.get("Content", ""))
    if reply.get("MsgType") == "image":
        return f"(an image: media {reply.get('Image', {}).get('MediaId', '')})"
    return f"(a {reply.get('MsgType')} reply)"


def page_text(markup: str) -> str:
    """An H5 page as plain text: no styles or scripts, tags dropped, one line per block."""
    body = re.sub(r"<(style|script|head)\b.*?</\1>", "", markup, flags=re.S | re.I)
    body = re.sub(r"<(br|/p|/div|/h\d|/li|/tr|/section|/summary)\b[^>]*>", "\n", body, flags=re.I)
    lines = (" ".join(html.unescape(re.sub(r"<[^>]+>", " ", line)).split()) for line in body.splitlines())
    return "\n".join(line for line in lines if line)


def open_page(args: argparse.Namespace) -> int:
    url = args.page
    if not re.match(r"^https?://", url):
        path = url if url.startswith("/") else f"/h5/{args.appid}/{url}"
        url = args.url.rstrip("/") + path
    with Phone(args.sim, args.openid) as phone:
        answer = phone.get(url)
    print(f"{answer.status_code} {urldefrag(answer.url).url}")  # OAuth's #wechat_redirect dropped
    print(page_text(answer.text))
    return 0 if answer.status_code == 200 else 1


def webhook_of(args: argparse.Namespace) -> str:
    """The environment's account (WECHAT_APPID) is served at /wechat, the others at /wechat/APPID."""
    base = args.url.rstrip("/")
    return f"{base}/wechat" if args.appid == os.environ.get("WECHAT_APPID") else f"{base}/wechat/{args.appid}"


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.action == "open":
        return open_page(args)
    with requests.Session() as http:
        state = RemoteState(args.sim, http)
        webhook = args.webhook or webhook_of(args)
        mode = "safe" if args.aes_key else "plain"
        wechat = WeChatServer(webhook, args.token, args.appid, args.aes_key, mode, timeout=10, session=http)
        wechat.state = state  # type: ignore[assignment]  # what witness() needs of a SimulatorState
        delivery = wechat.send(callback_for(wechat, state, args))
    print(said(delivery))
    return 0 if delivery.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
