"""The customer's H5 pages fuzzed with hypothesis: any path under /h5, any query, any form posted
(with a valid form token or none), as a member with points and as nobody. Never a 5xx; a refused
POST changes nothing.

TIEFEN_FUZZ_EXAMPLES bounds each test (CI); `make fuzz` raises it for a long hunt.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from models import LedgerEntry, Member, Redemption, Review, Reward, Share
from tests.conftest import APPID
from tests.h5.conftest import account, login, token_for  # noqa: F401  (fixtures)

EXAMPLES = int(os.environ.get("TIEFEN_FUZZ_EXAMPLES", "12")) * 10
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
MEMBER = "oFuzzMember1"
PAGES = [
    "member",
    "ledger",
    "checkins",
    "tiers",
    "profile",
    "reviews",
    "reviews/new",
    "rewards",
    "redemptions",
    "invite",
    "campaign/1/A",
    "campaign/2147483648/A",
    "c/x",
    "oauth",
    "no/such/page",
]
FORMS = [
    "checkin",
    "profile",
    "profile/birthday",
    "reviews",
    "reviews/1/like",
    "reviews/99999999999/like",
    "rewards/1/redeem",
    "rewards/0/redeem",
    "shared",
    "sdk-failed",
]
FIELDS = ["request_key", "phone", "nickname", "birthday", "rating", "content", "page", "target", "confirm"]
FIELDS += ["errMsg"]  # wx.error's words, told to /sdk-failed
FIELDS += ["confirmed", "back"]  # the confirm sheet's and the 签到 button's

texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120)
values = st.one_of(
    texts, st.integers(-(2**40), 2**40).map(str), st.sampled_from(["", "0", "2024-02-30", "5"])
)
queries = st.dictionaries(
    st.sampled_from(["page", "month", "kind", "flow", "t", "from", "state", "code", "filter"]),
    values,
    max_size=4,
)


@pytest.fixture
def member(app, session, account, login):  # noqa: F811
    session.add(Member(account_id=account.id, openid=MEMBER, points_balance=0))
    session.add(Reward(account_id=account.id, name="咖啡券", kind="coupon", points_price=10, stock=3))
    session.commit()
    return login(MEMBER)


def rows(session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(
        session.scalar(select(func.count()).select_from(t)) or 0
        for t in (LedgerEntry, Redemption, Review, Share, Member)
    )


@FUZZ
@given(page=st.one_of(st.sampled_from(PAGES), texts.map(lambda t: quote(t, safe="/"))), query=queries)
def test_any_page_with_any_query(member, session, page, query):
    r = member.get(f"/h5/{APPID}/{page}", query_string=query)
    assert r.status_code < 500, (page, query, r.status_code)


@FUZZ
@given(
    form=st.sampled_from(FORMS),
    data=st.dictionaries(st.sampled_from(FIELDS), values, max_size=6),
    real_token=st.booleans(),
)
def test_any_form_posted(member, session, form, data, real_token):
    if real_token:  # the page's own token for its form, so the body's fields are what gets checked
        page = member.get(f"/h5/{APPID}/{form.split('/')[0]}").text
        found = re.search(r'name="request_key" value="([^"]+)"', page)
        if found:
            data = {**data, "request_key": found.group(1)}
    before = rows(session)
    r = member.post(f"/h5/{APPID}/{form}", data=data)
    assert r.status_code < 500, (form, data, r.status_code)
    if r.status_code >= 400:
        assert rows(session) == before, f"a refused {form} ({r.status_code}) changed something"


@FUZZ
@given(image_id=st.integers(0, 2**70), prefix=texts, ext=st.sampled_from(["png", "jpg", "webp", "x"]))
def test_any_media_address(client, image_id, prefix, ext):
    r = client.get(f"/media/{image_id}/{quote(prefix, safe='')}.{ext}")
    assert r.status_code < 500 and r.status_code != 200  # no such image: a 404 (or werkzeug's 308 to a
    # normalised address), never an error
