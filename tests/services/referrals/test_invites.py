"""推广码 / 邀请 end to end through the simulator: code created, poster made, uploaded and sent; a
friend scanning it by ticket is bound to the member; the H5 invite page shows the poster."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
import requests
from PIL import Image
from sqlalchemy import select, update
from wechatpy.exceptions import WeChatClientException

from models import InboundEvent, PosterRequest, QrCode, Referral, Scan, utcnow
from tests.conftest import APPID
from tests.factories import member


def ask(wechat, run_jobs, openid: str, text: str = "推广码"):
    d = wechat.send(wechat.text(openid, text))
    run_jobs()
    return d


def test_the_first_ask_promises_the_poster_and_a_job_sends_it_then_the_reply_is_the_image(
    wechat, session, run_jobs, simulator
):
    wechat.send(wechat.subscribe("oInviter1"))
    first = ask(wechat, run_jobs, "oInviter1")
    assert "专属邀请海报" in first.content and "/invite?t=" in first.content
    code = session.scalar(select(QrCode).where(QrCode.member_id == member(session, "oInviter1").id))
    assert code.scene.startswith(f"m{code.member_id}-") and code.ticket and code.media_id
    sent = simulator.state.custom_messages(APPID, "oInviter1")
    assert [(m.msgtype, m.content["media_id"]) for m in sent] == [("image", code.media_id)]
    poster = simulator.state.media.get(code.media_id)
    assert Image.open(io.BytesIO(poster.data)).size == (750, 1334)
    [made] = [c for c in simulator.state.qrcodes.codes(APPID) if c.scene == code.scene]
    assert not made.permanent and made.expires_at is not None
    again = ask(wechat, run_jobs, "oInviter1", "邀请")
    assert again.reply["MsgType"] == "image"  # at once, in the reply
    assert again.reply["Image"]["MediaId"] == code.media_id
    assert len(simulator.state.custom_messages(APPID, "oInviter1")) == 1  # nothing sent twice
    click = wechat.send(wechat.click("oInviter1", "MENU_INVITE"))
    assert click.reply["MsgType"] == "image"


def test_a_friend_scanning_the_poster_code_is_bound_to_the_member(wechat, session, run_jobs, simulator):
    wechat.send(wechat.subscribe("oInviter2"))
    ask(wechat, run_jobs, "oInviter2")
    code = session.scalar(select(QrCode).where(QrCode.member_id == member(session, "oInviter2").id))
    assert wechat.scan_code("oFriend002", code.ticket).content.startswith("欢迎关注")
    wechat.scan_code("oInviter2", code.ticket)  # scanning one's own code while following: a SCAN
    wechat.send(wechat.unsubscribe("oInviter2"))
    wechat.scan_code("oInviter2", code.ticket)  # and following again through it
    run_jobs()
    outcomes = session.scalars(select(Scan.outcome).where(Scan.member_id == code.member_id)).all()
    assert outcomes == ["self", "self"]
    r = session.scalar(select(Referral))
    friend = member(session, "oFriend002")
    assert (r.referrer_id, r.referee_id, r.status) == (code.member_id, friend.id, "held")


def test_the_invite_page_counts_come_from_the_services(wechat, session, run_jobs, simulator):
    from datetime import date

    from models import LedgerEntry
    from services.points import ledger
    from services.referrals import invitations

    wechat.send(wechat.subscribe("oInviter3"))
    ask(wechat, run_jobs, "oInviter3")
    inviter = member(session, "oInviter3")
    code = session.scalar(select(QrCode).where(QrCode.member_id == inviter.id))
    wechat.scan_code("oFriend003", code.ticket)
    run_jobs()
    assert invitations.friends_by_status(session, inviter.id) == {"held": 1}
    session.execute(Referral.__table__.update().values(status="refused"))
    assert invitations.friends_by_status(session, inviter.id) == {}  # refused ones are no friends brought
    before = ledger.earned_by_referrals(session, inviter.id)
    session.add_all(
        [
            LedgerEntry(
                account_id=inviter.account_id,
                member_id=inviter.id,
                key=f"t-{action}",
                delta=points,
                kind="award",
                action=action,
                business_date=date.today(),
            )
            for action, points in (("referral", 100), ("referral_ladder", 50), ("checkin", 7))
        ]
    )
    session.flush()
    assert ledger.earned_by_referrals(session, inviter.id) == before + 150
    session.rollback()


def promised_but_lost(wechat, session, run_jobs, monkeypatch, openid: str) -> int:
    """A member asks for their poster and the job is lost (Redis lost its data): the event id."""
    import tasks.inbound

    monkeypatch.setattr(tasks.inbound, "queue_posters", lambda ids: None)
    wechat.send(wechat.subscribe(openid))
    assert "专属邀请海报" in wechat.send(wechat.text(openid, "推广码")).content
    run_jobs()  # the drain (in this process) records the request and queues nothing
    monkeypatch.undo()
    request = session.scalar(select(PosterRequest))
    assert request is not None and request.settled_at is None
    return request.event_id


def test_a_poster_whose_job_was_lost_is_sent_by_the_sweeper_once(
    wechat, session, run_jobs, simulator, monkeypatch
):
    from tasks.referrals import send_poster
    from tasks.sweeper import sweep_outbox

    event_id = promised_but_lost(wechat, session, run_jobs, monkeypatch, "oLost1")
    run_jobs()
    assert simulator.state.custom_messages(APPID, "oLost1") == []
    sweep_outbox()
    run_jobs()
    assert simulator.state.custom_messages(APPID, "oLost1") == []  # too fresh: its job may still run
    session.execute(update(PosterRequest).values(requested_at=utcnow() - timedelta(minutes=6)))
    session.commit()
    sweep_outbox()
    run_jobs()
    assert [m.msgtype for m in simulator.state.custom_messages(APPID, "oLost1")] == ["image"]
    sweep_outbox()
    run_jobs()
    assert send_poster(event_id) == "settled, or another job is sending it"
    assert len(simulator.state.custom_messages(APPID, "oLost1")) == 1
    session.expire_all()
    assert session.get(PosterRequest, event_id).outcome == "sent"


def test_a_poster_held_by_another_job_is_not_sent_twice_and_a_failure_lets_it_go(
    wechat, session, run_jobs, simulator, monkeypatch
):
    from services.referrals import poster_requests
    from tasks.referrals import send_poster

    event_id = promised_but_lost(wechat, session, run_jobs, monkeypatch, "oHeld1")
    assert poster_requests.claim(session, event_id, utcnow())  # another job is making it
    session.commit()
    assert send_poster(event_id) == "settled, or another job is sending it"
    session.execute(update(PosterRequest).values(claimed_at=None))
    session.commit()
    simulator.state.inject("/cgi-bin/message/custom/send", errcode=-1)
    with pytest.raises(WeChatClientException):
        send_poster(event_id)  # WeChat busy: RQ retries, and the retry may claim it
    assert send_poster(event_id) == "sent"
    assert [m.msgtype for m in simulator.state.custom_messages(APPID, "oHeld1")] == ["image"]


def test_a_poster_wechat_may_have_taken_is_never_sent_again(
    wechat, session, run_jobs, simulator, monkeypatch
):
    """A send that timed out waiting for WeChat's answer may have gone through: settled as sent,
    unconfirmed, and no retry sends it again. A connection never made is retried."""
    import tasks.referrals
    from tasks.referrals import send_poster
    from wechat.client import client_for

    event_id = promised_but_lost(wechat, session, run_jobs, monkeypatch, "oSlow1")
    monkeypatch.setattr(
        tasks.referrals, "client_for", lambda *a: client_for(*a[:2], "http://127.0.0.1:1", a[3])
    )
    with pytest.raises(requests.ConnectionError):  # refused: WeChat never saw it
        send_poster(event_id)
    monkeypatch.setattr(tasks.referrals, "client_for", lambda *a: client_for(*a, timeout=0.3))
    simulator.state.inject("/cgi-bin/message/custom/send", delay=1.0)
    assert send_poster(event_id) == "sent, unconfirmed: ReadTimeout"
    assert send_poster(event_id) == "settled, or another job is sending it"
    session.expire_all()
    assert session.get(PosterRequest, event_id).outcome == "sent, unconfirmed: ReadTimeout"
    deadline = time.monotonic() + 5
    while not simulator.state.custom_messages(APPID, "oSlow1") and time.monotonic() < deadline:
        time.sleep(0.05)  # WeChat took it after the client gave up
    assert [m.msgtype for m in simulator.state.custom_messages(APPID, "oSlow1")] == ["image"]


def test_the_poster_job_speaks_under_the_request_that_asked_for_it(wechat, session, run_jobs, monkeypatch):
    """Whoever queued it (the drain, the sweeper), the poster job's lines carry the id of the web
    request that brought the 推广码 message."""
    import tasks.referrals
    from logs import REQUEST_ID
    from tasks.referrals import send_poster

    event_id = promised_but_lost(wechat, session, run_jobs, monkeypatch, "oTraced1")
    session.execute(update(InboundEvent).where(InboundEvent.id == event_id).values(request_id="cb-asked-1"))
    session.commit()
    seen: list[str | None] = []
    monkeypatch.setattr(
        tasks.referrals, "_make_and_send", lambda runtime, asked: seen.append(REQUEST_ID.get()) or "sent"
    )
    before = REQUEST_ID.get()
    assert send_poster(event_id) == "sent"
    assert seen == ["cb-asked-1"] and REQUEST_ID.get() == before  # and the job's own id again after
