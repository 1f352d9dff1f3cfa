"""Follows through members' and channels' codes: who is bound to whom, what is paid, and why not."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from models import Channel, MemberTag, QrCode, Referral, Scan, utcnow
from tests.factories import count, ledger_of, member


def follower(wechat, run_jobs, session, openid: str, at: int | None = None):
    wechat.send(wechat.subscribe(openid, create_time=at or int(time.time()) - 3600))
    run_jobs()
    return member(session, openid)


def code_of(session, m, expires_in: timedelta = timedelta(days=30)) -> str:
    """Give a member a code as the WeChat API would have issued it."""
    code = QrCode(
        account_id=m.account_id,
        member_id=m.id,
        scene=f"m{m.id}-abc123",
        ticket=f"ticket-{m.id}",
        expires_at=utcnow() + expires_in,
        issued_at=utcnow(),
        issue_count=1,
    )
    session.add(code)
    session.commit()
    return code.scene


def outcome(session, openid: str) -> list[str | None]:
    session.expire_all()
    m = member(session, openid)
    return [s.outcome for s in session.scalars(select(Scan).where(Scan.member_id == m.id).order_by(Scan.id))]


def referral_of(session, openid: str) -> Referral | None:
    session.expire_all()
    return session.scalar(select(Referral).where(Referral.referee_id == member(session, openid).id))


def test_a_new_follower_through_a_members_code_is_bound_held_and_welcomed(wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oAlice01")
    scene = code_of(session, alice)
    d = wechat.send(wechat.subscribe("oBob0001", scene=scene))
    assert d.content.startswith("欢迎关注")
    run_jobs()
    r = referral_of(session, "oBob0001")
    assert (r.referrer_id, r.status, r.reasons, r.scene) == (alice.id, "held", [], scene)
    assert r.hold_until - r.bound_at == timedelta(days=3)
    assert outcome(session, "oBob0001") == ["referral"]
    assert ledger_of(session, "oBob0001") == [("follow", 50, "award"), ("referee", 30, "award")]
    assert ("referral", 100, "award") not in ledger_of(session, "oAlice01")  # not before the hold


def test_retries_and_racing_deliveries_bind_once(wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oAlice02")
    scene = code_of(session, alice)
    t = int(time.time())
    first, second = (
        wechat.subscribe("oRacer01", scene=scene, create_time=t),
        wechat.subscribe("oRacer01", scene=scene, create_time=t + 1),
    )
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(wechat.send, [first, second, first, second, first, second]))
    run_jobs()
    assert count(session, Referral) == 1
    assert [x for x in ledger_of(session, "oRacer01") if x[0] == "referee"] == [("referee", 30, "award")]
    assert sorted(outcome(session, "oRacer01")) == ["referral", "refollow"]


def test_the_first_referrer_is_kept_forever(wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oAlice03")
    carol = follower(wechat, run_jobs, session, "oCarol03")
    t = int(time.time())
    wechat.send(wechat.subscribe("oDan00003", scene=code_of(session, alice), create_time=t - 60))
    wechat.send(wechat.unsubscribe("oDan00003", create_time=t - 30))
    run_jobs()
    wechat.send(wechat.subscribe("oDan00003", scene=code_of(session, carol), create_time=t))
    wechat.send(wechat.scan("oDan00003", code_of.__name__ and f"m{carol.id}-abc123", create_time=t + 5))
    run_jobs()
    assert referral_of(session, "oDan00003").referrer_id == alice.id
    assert outcome(session, "oDan00003") == ["referral", "refollow", "existing_follower"]
    assert count(session, Referral) == 1


def test_follows_that_were_here_before_bind_nothing(wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oAlice04")
    scene = code_of(session, alice)
    wechat.send(wechat.text("oOldie04", "在吗"))  # followed before Tiefen served the account
    run_jobs()
    wechat.send(wechat.subscribe("oOldie04", scene=scene))
    run_jobs()
    assert referral_of(session, "oOldie04") is None and outcome(session, "oOldie04") == ["refollow"]


def test_unknown_forged_and_expired_scenes_still_follow_and_say_why(wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oAlice05")
    code_of(session, alice)
    stale = follower(wechat, run_jobs, session, "oStale05")
    expired = code_of(session, stale, expires_in=timedelta(hours=-1))
    cases = {
        "oNobody05": "m999999-zzzzzz",
        "oForger05": f"m{alice.id}-aaaaaa",
        "oJunk0005": "<script>",
        "oLate0005": expired,
    }
    for openid, scene in cases.items():
        assert wechat.send(wechat.subscribe(openid, scene=scene)).content.startswith("欢迎关注")
    run_jobs()
    got = {openid: outcome(session, openid) for openid in cases}
    assert got == {
        "oNobody05": ["unknown_scene"],
        "oForger05": ["forged"],
        "oJunk0005": ["unknown_scene"],
        "oLate0005": ["expired"],
    }
    assert count(session, Referral) == 0
    for openid in cases:
        m = member(session, openid)
        assert m.following and ledger_of(session, openid) == [("follow", 50, "award")]


def test_a_burst_through_one_code_goes_to_the_merchant(wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oAlice06")
    scene = code_of(session, alice)
    t = int(time.time())
    for i in range(6):
        wechat.send(wechat.subscribe(f"oBurst0{i}", scene=scene, create_time=t + i * 30))
    run_jobs()
    statuses = [referral_of(session, f"oBurst0{i}").status for i in range(6)]
    assert statuses == ["held"] * 4 + ["review"] * 2
    assert referral_of(session, "oBurst05").reasons == ["burst"]
    assert not [x for x in ledger_of(session, "oBurst05") if x[0] == "referee"]  # waits for the merchant


def test_a_ring_is_refused(wechat, session, run_jobs):
    t = int(time.time())
    wechat.send(wechat.text("oRingA01", "在吗", create_time=t - 500))  # an imported follower: no follow seen
    run_jobs()
    a = member(session, "oRingA01")
    a.last_interaction_at = None  # as if imported without any activity
    session.commit()
    wechat.send(wechat.subscribe("oRingB01", scene=code_of(session, a), create_time=t - 400))
    run_jobs()
    b = member(session, "oRingB01")
    wechat.send(wechat.subscribe("oRingC01", scene=code_of(session, b), create_time=t - 300))
    run_jobs()
    c = member(session, "oRingC01")
    wechat.send(wechat.subscribe("oRingA01", scene=code_of(session, c), create_time=t))
    run_jobs()
    r = referral_of(session, "oRingA01")
    assert (r.status, r.reasons, r.referrer_id) == ("refused", ["ring"], c.id)
    assert outcome(session, "oRingA01") == ["ring"]
    assert not [x for x in ledger_of(session, "oRingA01") if x[0] == "referee"]


def test_a_channel_code_records_the_channel_and_tags_the_member(wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oAlice08")
    channel = Channel(
        account_id=alice.account_id, code="counter-1", name="一号店收银台", kind="counter", tag="门店扫码"
    )
    session.add(channel)
    session.flush()
    session.add(
        QrCode(
            account_id=alice.account_id,
            channel_id=channel.id,
            scene="c-counter-1",
            permanent=True,
            ticket="tc",
        )
    )
    session.commit()
    wechat.send(wechat.subscribe("oShop0008", scene="c-counter-1"))
    wechat.send(wechat.scan("oAlice08", "c-counter-1"))
    run_jobs()
    assert member(session, "oShop0008").channel_id == channel.id
    assert member(session, "oAlice08").channel_id is None  # came earlier, another way
    assert outcome(session, "oShop0008") == ["channel"] and outcome(session, "oAlice08") == ["channel_scan"]
    tags = {(t.member_id, t.tag) for t in session.scalars(select(MemberTag))}
    assert tags == {(member(session, "oShop0008").id, "门店扫码"), (alice.id, "门店扫码")}
    assert count(session, Referral) == 0


def test_a_member_coming_back_has_their_tags_sent_to_wechat_again(wechat, session, run_jobs):
    t = int(time.time())
    back = follower(wechat, run_jobs, session, "oBack0009", at=t - 600)
    session.add(
        MemberTag(
            account_id=back.account_id, member_id=back.id, tag="老客", source="manual", mirrored_at=utcnow()
        )
    )
    session.commit()
    wechat.send(wechat.unsubscribe("oBack0009", create_time=t - 300))
    run_jobs()
    assert session.scalar(select(MemberTag.mirrored_at)) is not None  # leaving changes nothing yet
    wechat.send(wechat.subscribe("oBack0009", create_time=t))
    run_jobs()
    session.expire_all()
    assert session.scalar(select(MemberTag.mirrored_at)) is None  # the mirror tags them again
