"""The tag mirror against the simulator: twins made or adopted, rows tagged and untagged 50 openids
a call, unfollowed and refused members skipped, WeChat's errors retried, a second run a no-op."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from models import Member, MemberTag, WeChatTag, utcnow
from services.accounts.members import ensure_members
from services.segments import tag_mirror
from tasks.tags import WeChatTags, mirror_account, mirror_tags
from tests.conftest import APPID
from wechat.client import client_for

BATCH_PATHS = ("/cgi-bin/tags/members/batchtagging", "/cgi-bin/tags/members/batchuntagging")


@pytest.fixture
def account_id(app: Any) -> int:
    return int(app.extensions["tiefen"].accounts.get(None).id)


@pytest.fixture
def tagged(session: Any, simulator: Any, account_id: int) -> Any:
    """Give followers (of WeChat and of the database) a tag; returns their member ids by openid."""

    def give(tag: str, openids: list[str], source: str = "rule") -> dict[str, int]:
        ids = ensure_members(session, account_id, openids)
        for openid in openids:
            simulator.state.put_user(APPID, openid, subscribe=1)
        session.add_all(
            MemberTag(account_id=account_id, member_id=ids[o], tag=tag, source=source) for o in openids
        )
        session.commit()
        return ids

    return give


def people(prefix: str, n: int) -> list[str]:
    return [f"o{prefix}{i:05d}" for i in range(n)]


def rows(session: Any) -> list[MemberTag]:
    session.expire_all()
    return list(session.scalars(select(MemberTag).order_by(MemberTag.id)))


def on_wechat(simulator: Any) -> dict[str, list[str]]:
    """Tag name -> its followers on the simulated WeChat (the star group left out)."""
    tags = simulator.state.tags.dump(APPID)[APPID]["tags"]
    return {t["name"]: sorted(t["openids"]) for t in tags if t["id"] != 2}


def batch_calls(simulator: Any) -> list[tuple[str, int, int]]:
    """(path, tag id, openids) of each batch call, in order."""
    calls = [c for c in simulator.state.calls() if c.path in BATCH_PATHS]
    return [(c.path.rsplit("/", 1)[1], c.json["tagid"], len(c.json["openid_list"])) for c in calls]


def test_tags_get_twins_and_members_are_tagged_50_a_call(session, simulator, tagged, account_id):
    vip, shop = people("Vip", 120), people("Shop", 3)
    tagged("VIP", vip)
    tagged("门店A", shop, source="channel")

    report = mirror_account(account_id)

    assert (report["created"], report["tagged"], report["calls"]) == (2, 123, 4)
    assert on_wechat(simulator) == {"VIP": sorted(vip), "门店A": sorted(shop)}
    twins = dict(session.execute(select(WeChatTag.name, WeChatTag.wechat_id)).all())
    assert [(tag, n) for _, tag, n in batch_calls(simulator)] == [(twins["VIP"], 50)] * 2 + [
        (twins["VIP"], 20),
        (twins["门店A"], 3),
    ]
    assert all(r.mirrored_at is not None for r in rows(session))
    calls_before = len(simulator.state.calls())

    again = mirror_account(account_id)  # nothing changed: nothing but tags/get

    assert (again["created"], again["tagged"], again["calls"]) == (0, 0, 0)
    assert [c.path for c in simulator.state.calls()[calls_before:]] == ["/cgi-bin/tags/get"]


def test_removed_tags_are_untagged_then_deleted(session, simulator, tagged, account_id):
    ids = tagged("VIP", people("Gone", 3))
    mirror_account(account_id)
    fresh = tagged("新人", ["oNewcomer01"])  # never told to WeChat
    session.execute(
        update(MemberTag)
        .where(MemberTag.member_id.in_([ids["oGone00000"], ids["oGone00001"], fresh["oNewcomer01"]]))
        .values(removed_at=utcnow())
    )
    session.commit()

    report = mirror_account(account_id)

    assert (report["untagged"], report["dropped"], report["created"]) == (2, 1, 0)
    assert on_wechat(simulator)["VIP"] == ["oGone00002"]
    assert "新人" not in on_wechat(simulator)  # its only member lost it before WeChat heard of it
    assert [(r.tag, r.member_id) for r in rows(session)] == [("VIP", ids["oGone00002"])]
    assert mirror_account(account_id)["calls"] == 0


def test_a_name_wechat_has_is_adopted(session, simulator, tagged, account_id):
    existing = simulator.state.tags.create(APPID, "VIP")
    tagged("VIP", ["oAdopted001"])

    report = mirror_account(account_id)

    assert (report["created"], report["adopted"], report["tagged"]) == (0, 1, 1)
    assert session.scalar(select(WeChatTag.wechat_id)) == existing.id
    assert simulator.state.calls("/cgi-bin/tags/create") == []


def test_unfollowed_members_wait_until_they_follow_again(session, simulator, tagged, account_id):
    ids = tagged("VIP", ["oAway000001", "oHere000001"])
    session.execute(update(Member).where(Member.id == ids["oAway000001"]).values(following=False))
    session.commit()
    simulator.state.put_user(APPID, "oAway000001", subscribe=0)

    assert mirror_account(account_id)["tagged"] == 1
    assert mirror_account(account_id)["calls"] == 0  # not asked again and again
    away = [r for r in rows(session) if r.member_id == ids["oAway000001"]][0]
    assert away.mirrored_at is None

    session.execute(update(Member).where(Member.id == ids["oAway000001"]).values(following=True))
    session.commit()
    simulator.state.put_user(APPID, "oAway000001", subscribe=1)

    assert mirror_account(account_id)["tagged"] == 1
    assert on_wechat(simulator)["VIP"] == ["oAway000001", "oHere000001"]


def test_a_member_wechat_refuses_is_logged_skipped_and_not_asked_again(
    session, simulator, tagged, account_id, caplog
):
    openids = people("Mixed", 10)
    ids = tagged("VIP", openids)
    simulator.state.put_user(APPID, openids[6], subscribe=0)  # unfollowed; the callback never came

    with caplog.at_level(logging.INFO, logger="services.segments.tag_mirror"):
        report = mirror_account(account_id)

    assert (report["tagged"], report["refused"]) == (9, 1)
    assert report["calls"] > 1  # the batch was halved until the refused member was found
    assert on_wechat(simulator)["VIP"] == sorted(set(openids) - {openids[6]})
    assert f"WeChat refused {openids[6]} for tag 'VIP': 40003" in caplog.text
    assert all(r.mirrored_at is not None for r in rows(session))
    assert mirror_account(account_id)["calls"] == 0
    session.execute(
        update(MemberTag).where(MemberTag.member_id == ids[openids[6]]).values(removed_at=utcnow())
    )
    session.commit()
    assert mirror_account(account_id)["refused"] == 1  # untagging them is refused too: the row goes
    assert len(rows(session)) == 9


def test_a_member_with_20_tags_is_skipped(session, simulator, tagged, account_id, caplog):
    full = simulator.state.tags
    full.page_size = 10
    simulator.state.put_user(APPID, "oFull000001", subscribe=1)
    for i in range(20):
        full.tag(APPID, full.create(APPID, f"外部{i}").id, ["oFull000001"])
    tagged("VIP", ["oFull000001", "oRoomy00001"])

    with caplog.at_level(logging.INFO, logger="services.segments.tag_mirror"):
        report = mirror_account(account_id)

    assert (report["tagged"], report["refused"]) == (1, 1)
    assert "45059" in caplog.text
    assert mirror_account(account_id)["calls"] == 0


@pytest.mark.parametrize(
    ("path", "errcode"), [("/cgi-bin/tags/members/batchtagging", 45009), ("/cgi-bin/tags/get", -1)]
)
def test_quota_and_busy_errors_fail_the_job_so_rq_retries_it(
    session, simulator, tagged, account_id, path, errcode
):
    tagged("VIP", people("Retry", 3))
    simulator.state.inject(path, errcode=errcode)

    with pytest.raises(tag_mirror.Refused) as caught:
        mirror_account(account_id)

    assert caught.value.errcode == errcode
    assert all(r.mirrored_at is None for r in rows(session))
    assert mirror_account(account_id)["tagged"] == 3  # the retry
    assert mirror_account(account_id)["calls"] == 0


def test_an_expired_token_is_renewed_by_the_client(session, simulator, tagged, account_id):
    tagged("VIP", ["oToken00001"])
    mirror_account(account_id)
    tagged("VIP2", ["oToken00001"])
    simulator.state.expire_tokens()

    assert mirror_account(account_id)["tagged"] == 1
    assert [c.errcode for c in simulator.state.calls("/cgi-bin/tags/get")][-2:] == [42001, 0]


def test_a_twin_deleted_on_wechat_is_made_again(session, simulator, tagged, account_id):
    ids = tagged("VIP", ["oLost000001", "oLost000002"])
    mirror_account(account_id)
    old = session.scalar(select(WeChatTag.wechat_id))
    session.execute(
        update(MemberTag).where(MemberTag.member_id == ids["oLost000002"]).values(removed_at=utcnow())
    )
    session.commit()
    simulator.state.tags.delete(APPID, old)  # in the merchant's WeChat console

    report = mirror_account(account_id)

    assert (report["lost"], report["created"], report["tagged"], report["untagged"]) == (1, 1, 1, 0)
    session.expire_all()
    assert session.scalar(select(WeChatTag.wechat_id)) != old
    assert on_wechat(simulator) == {"VIP": ["oLost000001"]}
    assert [r.member_id for r in rows(session)] == [ids["oLost000001"]]


def test_past_the_tag_cap_a_tag_waits(session, simulator, tagged, account_id, caplog):
    simulator.state.tags.limit = 1
    tagged("A", ["oCap0000001"])
    tagged("B", ["oCap0000002"])
    tagged("C", ["oCap0000003"])

    with caplog.at_level(logging.WARNING, logger="services.segments.tag_mirror"):
        report = mirror_account(account_id)

    assert (report["created"], report["waiting"], report["capped"], report["tagged"]) == (
        1,
        ["B", "C"],
        True,
        1,
    )
    assert "45056" in caplog.text
    assert len(simulator.state.calls("/cgi-bin/tags/create")) == 2  # C was not asked for
    simulator.state.tags.limit = 3
    assert mirror_account(account_id)["tagged"] == 2
    assert on_wechat(simulator) == {"A": ["oCap0000001"], "B": ["oCap0000002"], "C": ["oCap0000003"]}


def test_rows_changed_while_wechat_was_told_are_told_again(session, simulator, tagged, account_id, app):
    ids = tagged("VIP", ["oRace000001", "oRace000002"])
    mirror_account(account_id)
    one, two = ids["oRace000001"], ids["oRace000002"]
    session.execute(update(MemberTag).where(MemberTag.member_id == one).values(removed_at=utcnow()))
    tagged("新", ["oRace000002"])
    account = app.extensions["tiefen"].accounts.get(None)
    runtime = app.extensions["tiefen"].runtime
    api = WeChatTags(client_for(APPID, account.secret, runtime.settings.wechat_api_base, runtime.redis).tag)
    with runtime.job_sessions.begin() as s:
        tag_mirror.ensure_twins(s, api, account_id, api.get())
    with runtime.sessions() as s:
        work = tag_mirror.pending_work(s, account_id)
    pushed = tag_mirror.push(api, work)
    # meanwhile the scoring job brings VIP back for one and takes 新 off two
    session.execute(
        update(MemberTag).where(MemberTag.member_id == one).values(removed_at=None, mirrored_at=None)
    )
    session.execute(
        update(MemberTag).where(MemberTag.member_id == two, MemberTag.tag == "新").values(removed_at=utcnow())
    )
    session.commit()
    with runtime.job_sessions.begin() as s:
        tag_mirror.record(s, work, pushed, utcnow())

    assert on_wechat(simulator) == {"VIP": ["oRace000002"], "新": ["oRace000002"]}
    report = mirror_account(account_id)
    assert (report["tagged"], report["untagged"]) == (1, 1)
    assert on_wechat(simulator) == {"VIP": ["oRace000001", "oRace000002"], "新": []}


def test_the_cron_job_queues_one_mirror_per_account_with_a_secret(session, simulator, tagged, run_jobs, app):
    from services.accounts.registry import save_account

    tagged("VIP", ["oCron000001"])
    save_account(session, "wxnosecret000001", "没有密钥", "tok")
    session.commit()

    assert mirror_tags() == 1
    run_jobs()

    assert on_wechat(simulator) == {"VIP": ["oCron000001"]}
    assert rows(session)[0].mirrored_at > utcnow() - timedelta(minutes=1)
