"""Members' and channels' codes through the WeChat API (the simulator): lazy, renewed, capped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Channel, QrCode, utcnow
from services.accounts.members import ensure_members
from services.referrals import codes as referral_codes
from tests.conftest import APPID, SECRET
from wechat.client import client_for


@pytest.fixture
def qrcode(app, simulator):
    runtime = app.extensions["tiefen"].runtime
    return client_for(APPID, SECRET, simulator.url, runtime.redis).qrcode


@pytest.fixture
def account_id(app):
    return app.extensions["tiefen"].accounts.get(None).id


def test_a_members_code_is_made_once_and_kept(session, qrcode, account_id, simulator):
    [member_id] = ensure_members(session, account_id, ["oCoder01"]).values()
    now = utcnow()
    code = referral_codes.member_code(session, qrcode, account_id, member_id, now)
    session.commit()
    assert code.scene.startswith(f"m{member_id}-") and code.issue_count == 1 and not code.permanent
    assert code.expires_at - now == timedelta(days=30)
    again = referral_codes.member_code(session, qrcode, account_id, member_id, now + timedelta(days=1))
    assert (again.ticket, again.issue_count) == (code.ticket, 1)
    assert [c.scene for c in simulator.state.qrcodes.codes(APPID)] == [code.scene]


def test_a_code_near_its_end_is_renewed_with_the_same_scene_and_a_new_poster(session, qrcode, account_id):
    [member_id] = ensure_members(session, account_id, ["oCoder02"]).values()
    now = utcnow()
    code = referral_codes.member_code(session, qrcode, account_id, member_id, now)
    code.media_id, code.media_expires_at = "old-media", now + timedelta(days=3)
    session.commit()
    first_ticket, scene = code.ticket, code.scene
    later = now + timedelta(days=29)
    renewed = referral_codes.member_code(session, qrcode, account_id, member_id, later)
    session.commit()
    assert renewed.scene == scene and renewed.ticket != first_ticket and renewed.issue_count == 2
    assert renewed.expires_at - later == timedelta(days=30) and renewed.media_id is None


def test_permanent_codes_stop_at_the_cap(session, qrcode, account_id, monkeypatch):
    monkeypatch.setattr(referral_codes, "PERMANENT_CAP", 1)
    first = referral_codes.create_channel(session, account_id, "counter-1", "一号店")
    assert referral_codes.channel_code(session, qrcode, first, utcnow()).permanent
    second = referral_codes.create_channel(session, account_id, "counter-2", "二号店")
    with pytest.raises(referral_codes.PermanentCapReached):
        referral_codes.channel_code(session, qrcode, second, utcnow())
    assert referral_codes.permanent_count(session, account_id) == 1
    temporary = referral_codes.create_channel(session, account_id, "event-1", "展会", permanent=False)
    assert referral_codes.channel_code(session, qrcode, temporary, utcnow()).expires_at is not None


def test_bad_channels_are_refused_with_every_problem(session, account_id):
    with pytest.raises(referral_codes.ChannelProblem) as refused:
        referral_codes.create_channel(session, account_id, "Bad Code", "", kind="shop")
    assert "code must be" in str(refused.value) and "name must be" in str(refused.value)
    assert "kind must be" in str(refused.value)
    assert session.scalar(select(Channel)) is None and session.scalar(select(QrCode)) is None
