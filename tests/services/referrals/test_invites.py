"""推广码 / 邀请 end to end through the simulator: code created, poster made, uploaded and sent; a
friend scanning it by ticket is bound to the member; the H5 invite page shows the poster."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from models import QrCode, Referral, Scan
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
