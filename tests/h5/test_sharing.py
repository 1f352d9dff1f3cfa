"""Share links and the reads they bring: a member page carries the member's own signed link, a
read through it credits them once a reader a page a day, and the page tells us of shares."""

from __future__ import annotations

import html
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from bot.h5 import links, tracking
from models import LedgerEntry, Member, PageView, Share
from services.accounts.registry import save_account
from simulator import Phone
from tests.conftest import APPID

META = re.compile(
    r'<meta name="tiefen-share" content="(?P<url>[^"]+)" data-page="(?P<page>[^"]+)" '
    r'data-post="(?P<post>[^"]+)" data-failed="(?P<failed>[^"]+)" data-key="(?P<key>[^"]+)">'
)
ALICE, READER = "oAliceShare1", "oReaderShr1"
DAY = 24 * 3600


@pytest.fixture
def alice(session, account):
    member = Member(account_id=account.id, openid=ALICE)
    session.add(member)
    session.commit()
    return member.id


def share_meta(page: str) -> dict[str, str]:
    found = META.search(page)
    assert found, "the page carries no share link"
    return {k: html.unescape(v) for k, v in found.groupdict().items()}


def reads(session):
    session.expire_all()
    rows = session.scalars(select(PageView).order_by(PageView.id))
    return [(v.viewer_openid, v.page, v.sharer_id) for v in rows]


def test_a_members_page_carries_their_own_share_link_without_their_login(app, client, login, alice):
    login(ALICE)
    page = client.get(f"/h5/{APPID}/invite?from=whatever")
    meta = share_meta(page.text)

    url = urlsplit(meta["url"])
    assert url.path == f"/h5/{APPID}/invite" and list(parse_qs(url.query)) == ["from"]
    token = parse_qs(url.query)["from"][0]
    assert links.read_share(app.config["SECRET_KEY"], token, alice_account_id(app)) == alice
    assert (meta["page"], meta["post"]) == ("invite", f"/h5/{APPID}/shared")
    assert "t=" not in meta["url"]  # a share link never lets a friend in as the member
    script = re.search(r'<script nonce="[^"]+">(.*?)</script>', page.text, re.S)
    assert script and "onMenuShareAppMessage" in script[1] and "updateTimelineShareData" in script[1]


def alice_account_id(app) -> int:
    return app.extensions["tiefen"].accounts.get(None).id


def test_a_share_link_is_absolute_signed_and_expires_in_30_days(app, account, alice):
    with app.app_context():
        url = links.share_link(account, alice, "reviews/new?month=2025-01")
    base = app.extensions["tiefen"].settings.public_base_url
    assert url.startswith(f"{base}/h5/{APPID}/reviews/new?from=")
    secret = app.config["SECRET_KEY"]
    now = int(time.time())
    fresh = links.sign_share(secret, account.id, alice, issued_at=now - 29 * DAY)
    stale = links.sign_share(secret, account.id, alice, issued_at=now - 31 * DAY)
    assert links.read_share(secret, fresh, account.id) == alice
    assert links.read_share(secret, stale, account.id) is None
    assert links.read_share(secret, links.sign_member(secret, account.id, ALICE), account.id) is None


def test_a_read_through_a_share_credits_the_sharer_once_a_day(app, browser, login, session, alice, account):
    with app.app_context():
        shared = urlsplit(links.share_link(account, alice, "invite"))
    reader = login(READER, browser())  # a reader who never followed: the page still counts them
    for _ in range(3):
        assert reader.get(f"{shared.path}?{shared.query}").status_code == 200
    reader.get(f"/h5/{APPID}/member")

    assert reads(session) == [(READER, "invite", alice), (READER, "member", None)]


def test_from_survives_the_signed_link_redirect(app, client, token_for, session, alice, account):
    with app.app_context():
        shared = urlsplit(links.share_link(account, alice, "reviews"))
    opened = client.get(f"{shared.path}?{shared.query}&t={token_for(READER)}")
    assert opened.status_code == 303 and opened.headers["Location"] == f"{shared.path}?{shared.query}"
    assert reads(session) == []  # the redirect is not a read; the page it leads to is
    client.get(opened.headers["Location"])
    assert reads(session) == [(READER, "reviews", alice)]


def test_a_friend_in_wechat_reads_the_share_through_oauth(app, live_app, simulator, session, alice, account):
    """No session yet: the page goes through WeChat's OAuth, whose state is too small for `from`."""
    with app.app_context():
        shared = urlsplit(links.share_link(account, alice, "reviews/new"))
    with Phone(simulator.url, "oFriendShr01") as phone:
        page = phone.get(f"{live_app.url}{shared.path}?{shared.query}")
        assert page.status_code == 200 and "写评价" in page.text
        assert page.history[-1].headers["Location"] == f"/h5/{APPID}/reviews/new"
        phone.get(f"{live_app.url}/h5/{APPID}/reviews/new")  # set aside once: nobody credited again
    assert reads(session) == [("oFriendShr01", "reviews/new", alice)]


@pytest.mark.parametrize("kind", ["forged", "expired", "foreign", "member_link", "own"])
def test_a_bad_token_or_ones_own_share_is_a_read_with_no_sharer(
    app, client, login, session, alice, account, kind
):
    secret, now = app.config["SECRET_KEY"], int(time.time())
    other, _ = save_account(session, "wxother000000003", "别家", "othertoken")
    session.commit()
    token = {
        "forged": links.sign_share("not-our-secret", account.id, alice),
        "expired": links.sign_share(secret, account.id, alice, issued_at=now - 31 * DAY),
        "foreign": links.sign_share(secret, other.id, alice),
        "member_link": links.sign_member(secret, account.id, ALICE),
        "own": links.sign_share(secret, account.id, alice),
    }[kind]
    viewer = ALICE if kind == "own" else READER
    login(viewer)
    page = client.get(f"/h5/{APPID}/invite?from={token}")
    assert page.status_code == 200
    assert reads(session) == [(viewer, "invite", None)]


def test_what_is_not_a_page_is_not_a_read():
    assert tracking._page_path(APPID, f"/h5/{APPID}/invite/poster.png") is None
    assert tracking._page_path(APPID, f"/h5/{APPID}/reviews/new") == "reviews/new"


def test_someone_who_never_followed_has_nothing_to_share(client, login):
    login(READER)
    page = client.get(f"/h5/{APPID}/member").text
    assert META.search(page) is None and "tiefenShared" not in page


def share(browser, meta, **overrides):
    form = {"page": meta["page"], "target": "friend", "request_key": meta["key"], **overrides}
    return browser.post(meta["post"], data=form)


def test_the_page_tells_of_a_share_by_form_or_json(client, login, session, alice):
    login(ALICE)
    meta = share_meta(client.get(f"/h5/{APPID}/invite").text)

    by_form = share(client, meta)
    by_json = client.post(
        meta["post"], json={"page": "member", "target": "timeline", "request_key": meta["key"]}
    )

    assert by_form.status_code == 200 and by_form.json["recorded"] is True
    assert by_json.status_code == 200 and by_json.json["recorded"] is True
    session.expire_all()
    rows = session.scalars(select(Share).order_by(Share.id))
    assert [(s.member_id, s.page, s.target) for s in rows] == [
        (alice, "invite", "friend"),
        (alice, "member", "timeline"),
    ]


def test_nobody_records_a_share_for_another_member(client, browser, login, session, alice, account):
    login(ALICE)
    meta = share_meta(client.get(f"/h5/{APPID}/invite").text)
    session.add(Member(account_id=account.id, openid="oBobShare01"))
    session.commit()

    stranger = browser()
    assert share(stranger, meta).status_code == 403  # no session: the key alone names nobody
    bob = login("oBobShare01", browser())
    refused = share(bob, meta)  # Alice's key in Bob's session
    assert refused.status_code == 403 and "刷新" in refused.json["message"]
    assert share(client, meta, request_key="forged").status_code == 403
    assert session.scalar(select(Share.id)) is None


def test_a_failed_wx_config_is_counted_by_kind_for_the_operator(client, browser, login, alice, caplog):
    """wx.error on the member's phone: the page posts WeChat's errMsg; the metric counts its kind
    (a bounded set), the log keeps the words; only the page's own visitor may post it."""
    from prometheus_client import REGISTRY

    def counted(kind: str) -> float:
        return REGISTRY.get_sample_value("tiefen_h5_sdk_errors_total", {"kind": kind}) or 0.0

    login(ALICE)
    meta = share_meta(client.get(f"/h5/{APPID}/invite").text)
    assert meta["failed"] == f"/h5/{APPID}/sdk-failed"
    before = counted("invalid_url_domain"), counted("other")
    form = {"page": "invite", "request_key": meta["key"], "errMsg": "config:invalid url domain"}
    with caplog.at_level("WARNING", logger="bot.h5.tracking"):
        told = client.post(meta["failed"], data=form)
    assert told.status_code == 200 and told.json["reason"] == "invalid_url_domain"
    assert "invalid_url_domain" in caplog.text and APPID in caplog.text
    odd = client.post(meta["failed"], data={**form, "errMsg": "<script>alert(1)</script>" * 40})
    assert odd.status_code == 200 and odd.json["reason"] == "other"
    assert (counted("invalid_url_domain"), counted("other")) == (before[0] + 1, before[1] + 1)

    assert browser().post(meta["failed"], data=form).status_code == 403  # no session: nobody's page
    assert client.post(meta["failed"], data={**form, "request_key": "forged"}).status_code == 403
    assert counted("invalid_url_domain") == before[0] + 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("target", "weibo"), ("page", "no-such-page"), ("page", "invite/poster.png"), ("page", "oauth")],
)
def test_a_share_of_a_page_that_is_not_one_or_to_nowhere_is_refused(
    client, login, session, alice, field, value
):
    login(ALICE)
    meta = share_meta(client.get(f"/h5/{APPID}/invite").text)
    refused = share(client, meta, **{field: value})
    assert refused.status_code == 400 and refused.json["recorded"] is False
    assert session.scalar(select(Share.id)) is None


def test_shares_past_twenty_a_day_are_answered_but_not_counted(client, login, session, alice):
    login(ALICE)
    meta = share_meta(client.get(f"/h5/{APPID}/invite").text)
    answers = [share(client, meta) for _ in range(21)]
    assert all(a.status_code == 200 for a in answers)
    assert [a.json["recorded"] for a in answers] == [True] * 20 + [False]
    assert answers[-1].json["reason"] == "daily_limit" and "不再计入" in answers[-1].json["message"]
    session.expire_all()
    assert len(session.scalars(select(Share.id)).all()) == 20


def sharing_points(session, member_id):
    session.expire_all()
    rows = session.execute(
        select(LedgerEntry.action, LedgerEntry.key, LedgerEntry.delta).where(
            LedgerEntry.member_id == member_id
        )
    )
    return sorted(rows)


def test_shares_and_the_reads_they_bring_pay_their_point_tasks_once_under_the_daily_caps(
    app, client, browser, login, session, alice, account, run_jobs
):
    login(ALICE)
    meta = share_meta(client.get(f"/h5/{APPID}/invite").text)
    for _ in range(4):  # the default 分享活动页 task: 5 points, 3 a day
        assert share(client, meta).json["recorded"] is True
    client.get(f"/h5/{APPID}/invite?{urlsplit(meta['url']).query}")  # her own share: no read points
    for n in range(2):
        reader = login(f"oReaderPts{n}", browser())
        for _ in range(2):  # twice the same day: one read
            reader.get(f"/h5/{APPID}/invite?{urlsplit(meta['url']).query}")
    run_jobs()
    run_jobs()  # drained again: nothing more

    share_ids = sorted(session.scalars(select(Share.id)))
    reads = sorted(session.scalars(select(PageView.id).where(PageView.sharer_id == alice)))
    assert len(share_ids) == 4 and len(reads) == 2
    assert sharing_points(session, alice) == sorted(
        [("share", f"share:{i}", 5) for i in share_ids[:3]]
        + [("share_read", f"share_read:{i}", 1) for i in reads]
    )
