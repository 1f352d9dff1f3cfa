"""MASSSENDJOBFINISH pushed to a webhook registered through the control API: signed (and encrypted) like
WeChat's, resent when unanswered, replayed on demand — and harmless downstream when handled by MsgID."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask, Response, abort, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from simulator import RunningServer, SimulatorState
from simulator.delivery import parse_xml
from simulator.mass import MassJob
from simulator.mass_events import sender_openid
from simulator.webhooks import WebhookConfig
from tests.simulator.helpers import AES_KEY, APPID, TOKEN, SimWeChatClient

A, B, GONE = "oTIEFEN_mass_0001", "oTIEFEN_mass_0002", "oTIEFEN_gone_0001"


@dataclass(frozen=True)
class Push:
    """One MASSSENDJOBFINISH the webhook received."""

    args: dict[str, str]
    xml: str
    event: Any


class EventWebhook:
    """A tiny webhook: checks the signature with wechatpy, decrypts, records every push and handles each
    MsgID once, as an idempotent downstream would."""

    def __init__(self, aes_key: str | None = None, fail_first: int = 0) -> None:
        self.crypto = WeChatCrypto(TOKEN, aes_key, APPID) if aes_key else None
        self.fail_first = fail_first
        self.pushes: list[Push] = []
        self.handled: dict[int, Any] = {}
        self.lock = threading.Lock()
        self.app = Flask("mass_event_webhook")
        self.app.add_url_rule("/wechat", view_func=self.handle, methods=["POST"])

    def handle(self) -> Response | str:
        args = request.args.to_dict()
        try:
            check_signature(
                TOKEN, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", "")
            )
        except InvalidSignatureException:
            abort(403)
        xml = request.get_data(as_text=True)
        if args.get("encrypt_type") == "aes":
            assert self.crypto is not None
            xml = self.crypto.decrypt_message(xml, args["msg_signature"], args["timestamp"], args["nonce"])
        event = parse_message(xml)
        with self.lock:
            self.pushes.append(Push(args, xml, event))
            if self.fail_first > 0:
                self.fail_first -= 1
                return Response("busy", status=500)
            self.handled.setdefault(event.id, event)
        return "success"

    def wait_for(self, pushes: int, timeout: float = 5.0) -> list[Push]:
        deadline = time.monotonic() + timeout
        while len(self.pushes) < pushes and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.pushes) >= pushes, f"got {len(self.pushes)} pushes, wanted {pushes}"
        return list(self.pushes)


def recorded(job: MassJob, deliveries: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The job's delivery records, once the simulator logged `deliveries` of them (it logs after the
    webhook answered, so a little after the webhook saw the push)."""
    deadline = time.monotonic() + timeout
    while len(job.events) < deliveries and time.monotonic() < deadline:
        time.sleep(0.01)
    return list(job.events)


@pytest.fixture
def hook_up(
    sim_state: SimulatorState, sim_url: str, serve: Callable[[Any], RunningServer]
) -> Callable[..., EventWebhook]:
    """Serve an EventWebhook and register it as the account's webhook through the control API."""
    for openid in (A, B):
        sim_state.put_user(APPID, openid, subscribe=1)
    sim_state.put_user(APPID, GONE, subscribe=0)
    settings = {"event_delay": 0.05, "retry_interval": 0.02}
    assert requests.post(f"{sim_url}/_sim/mass-settings", json=settings, timeout=5).ok

    def hook_up(mode: str = "plain", fail_first: int = 0) -> EventWebhook:
        webhook = EventWebhook(AES_KEY if mode != "plain" else None, fail_first)
        config = {"appid": APPID, "url": serve(webhook.app).url + "/wechat", "token": TOKEN, "mode": mode}
        if mode != "plain":
            config["aes_key"] = AES_KEY
        assert requests.post(f"{sim_url}/_sim/webhooks", json=config, timeout=5).json()["errcode"] == 0
        return webhook

    return hook_up


def test_the_event_reaches_the_webhook_with_the_counts(
    wechat: SimWeChatClient, hook_up: Callable[..., EventWebhook]
) -> None:
    webhook = hook_up()

    msg_id = wechat.message.send_mass_article([A, B, GONE], "DRAFT", client_msg_id="c-1")["msg_id"]

    [push] = webhook.wait_for(1)
    event = push.event
    assert (event.type, event.event, event.id, event.status) == (
        "event",
        "masssendjobfinish",
        msg_id,
        "send success",
    )
    assert (event.total_count, event.filter_count, event.sent_count, event.error_count) == (3, 2, 2, 0)
    assert event.source == sender_openid(APPID) and push.args["openid"] == event.source
    fields = parse_xml(push.xml)
    assert fields["CopyrightCheckResult"]["CheckState"] == "1"
    assert fields["ArticleUrlResult"]["Count"] == "1"
    assert fields["ArticleUrlResult"]["ResultList"]["item"]["ArticleUrl"].startswith(
        "http://mp.weixin.qq.com/s"
    )
    assert wechat.message.get_mass(msg_id)["msg_status"] == "SEND_SUCCESS"


def test_the_event_is_encrypted_in_safe_mode(
    wechat: SimWeChatClient, hook_up: Callable[..., EventWebhook]
) -> None:
    webhook = hook_up("safe")

    msg_id = wechat.message.send_mass_text([A, B], "加密")["msg_id"]

    [push] = webhook.wait_for(1)
    assert push.args["encrypt_type"] == "aes" and push.event.id == msg_id
    assert "CopyrightCheckResult" not in push.xml  # only article sends carry the check results


def test_an_unanswered_push_is_resent_until_answered(
    wechat: SimWeChatClient, hook_up: Callable[..., EventWebhook], sim_state: SimulatorState
) -> None:
    webhook = hook_up(fail_first=2)

    msg_id = wechat.message.send_mass_text([A, B], "重试")["msg_id"]

    pushes = webhook.wait_for(3)
    assert {p.xml for p in pushes} == {pushes[0].xml} and {p.args["nonce"] for p in pushes} == {
        pushes[0].args["nonce"]
    }
    assert list(webhook.handled) == [msg_id]
    [record] = recorded(sim_state.mass.jobs()[0], 1)
    assert (record["attempts"], record["status_code"], record["ok"], record["replay"]) == (
        3,
        200,
        True,
        False,
    )


def test_a_replay_is_the_same_event_and_handled_once(
    wechat: SimWeChatClient, hook_up: Callable[..., EventWebhook], sim_state: SimulatorState, sim_url: str
) -> None:
    webhook = hook_up("compat")
    msg_id = wechat.message.send_mass_text([A, B], "重放")["msg_id"]
    recorded(sim_state.mass.jobs()[0], 1)

    answer = requests.post(f"{sim_url}/_sim/mass-sends/{msg_id}/replay", timeout=5).json()

    first, again = webhook.wait_for(2)
    assert answer["delivery"]["ok"] and answer["delivery"]["replay"]
    assert again.xml == first.xml and again.args["nonce"] != first.args["nonce"]
    assert list(webhook.handled) == [msg_id]
    shown = requests.get(f"{sim_url}/_sim/mass-sends/{msg_id}", timeout=5).json()
    assert [e["replay"] for e in shown["events"]] == [False, True]


def test_nothing_to_replay_without_a_webhook_or_before_the_job_finished(
    wechat: SimWeChatClient, sim_state: SimulatorState, sim_url: str
) -> None:
    def replay(msg_id: int) -> int:
        return requests.post(f"{sim_url}/_sim/mass-sends/{msg_id}/replay", timeout=5).status_code

    sim_state.put_user(APPID, A, subscribe=1)
    sim_state.mass.event_delay = 0.0
    unheard = wechat.message.send_mass_text([A, B], "无人接收")["msg_id"]
    deadline = time.monotonic() + 5
    while wechat.message.get_mass(unheard)["msg_status"] == "SENDING" and time.monotonic() < deadline:
        time.sleep(0.01)
    sim_state.webhooks.register(WebhookConfig(APPID, "http://127.0.0.1:9/wechat", TOKEN))
    sim_state.mass.event_delay = 30.0
    pending = wechat.message.send_mass_text([A, B], "还在发")["msg_id"]

    assert wechat.message.get_mass(unheard)["msg_status"] == "SEND_SUCCESS"  # finished, though nobody heard
    assert sim_state.mass.jobs()[0].events == []
    assert replay(pending) == 409
    assert replay(1) == 409
    sim_state.webhooks.remove(APPID)
    assert replay(unheard) == 409


@pytest.mark.parametrize(("status", "counts"), [("send fail", (2, 2, 0, 2)), ("err(20001)", (0, 0, 0, 0))])
def test_a_failed_job_reaches_nobody(
    wechat: SimWeChatClient,
    hook_up: Callable[..., EventWebhook],
    sim_state: SimulatorState,
    sim_url: str,
    status: str,
    counts: tuple[int, int, int, int],
) -> None:
    webhook = hook_up()
    assert requests.post(f"{sim_url}/_sim/mass-failures", json={"status": status}, timeout=5).ok

    msg_id = wechat.message.send_mass_text([A, B], "审核")["msg_id"]

    event = webhook.wait_for(1)[0].event
    assert event.status == status
    assert (event.total_count, event.filter_count, event.sent_count, event.error_count) == counts
    assert wechat.message.get_mass(msg_id)["msg_status"] == "SEND_FAIL"
    assert sim_state.mass.received_this_month(APPID, A) == 0
    assert wechat.message.send_mass_text([A, B], "再来")["errcode"] == 0
    assert sim_state.mass.jobs()[-1].recipients == [A, B]


def test_webhook_registration_is_checked_and_listed(sim_url: str) -> None:
    def register(**fields: Any) -> requests.Response:
        return requests.post(f"{sim_url}/_sim/webhooks", json=fields, timeout=5)

    assert register(appid=APPID, url="http://127.0.0.1:9/wechat", token=TOKEN, mode="safe").status_code == 400
    assert register(appid=APPID, url="ftp://x", token=TOKEN).status_code == 400
    assert register(appid=APPID, token=TOKEN).status_code == 400
    assert register(appid=APPID, url="http://127.0.0.1:9/wechat", token=TOKEN).ok

    [listed] = requests.get(f"{sim_url}/_sim/webhooks", timeout=5).json()["webhooks"]
    assert (listed["url"], listed["mode"], listed["account_id"]) == (
        "http://127.0.0.1:9/wechat",
        "plain",
        "gh_sim",
    )
    assert requests.delete(f"{sim_url}/_sim/webhooks/{APPID}", timeout=5).ok
    assert requests.get(f"{sim_url}/_sim/webhooks", timeout=5).json() == {"webhooks": []}
