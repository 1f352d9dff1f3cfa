"""Channels in the console: codes made through the WeChat API (the simulator), followers counted,
posters to print as PNG and PDF; bad input by its field; readers and other accounts keep out."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from models import AuditEntry, Channel
from services.accounts.registry import save_account
from services.referrals.codes import create_channel
from tests.factories import count


def test_a_channel_is_made_with_its_code_and_its_poster_downloads(sign_in, session, simulator):
    owner = sign_in("owner", "店主")
    owner.get("/console/channels")
    r = owner.post(
        "/console/channels/add",
        {"name": "一号店收银台", "code": "counter-1", "kind": "counter", "permanent": "1"},
    )
    assert r.status_code == 302, r.text
    c = session.scalar(select(Channel))
    assert (c.code, c.name, c.kind, c.tag, c.permanent) == (
        "counter-1",
        "一号店收银台",
        "counter",
        "一号店收银台",
        True,
    )
    page = owner.get("/console/channels")
    assert "一号店收银台" in page.text and "门店收银台" in page.text
    assert count(session, AuditEntry, AuditEntry.action == "channels_add") == 1
    png = owner.client.get("/console/channels/counter-1/poster.png")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(io.BytesIO(png.data)).size == (750, 1334)
    assert "attachment" in png.headers["Content-Disposition"]
    pdf = owner.client.get("/console/channels/counter-1/poster.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert len(pdf.data) > 1000
    assert owner.client.get("/console/channels/counter-1/poster.gif").status_code == 404
    assert owner.client.get("/console/channels/nope/poster.png").status_code == 404


def test_bad_channels_are_shown_by_field_and_nothing_is_stored(sign_in, session, simulator):
    owner = sign_in("operator")
    owner.get("/console/channels")
    cases = [
        ({"name": "", "code": "ok-1"}, "name"),
        ({"name": "收银台", "code": "Not OK!"}, "code"),
        ({"name": "收银台", "code": "ok-1", "kind": "shop"}, "kind"),
        ({"name": "收银台", "code": "ok-1", "tag": "x" * 31}, "tag"),
    ]
    for bad, field in cases:
        r = owner.post("/console/channels/add", bad)
        assert r.status_code == 422, bad
        assert 'class="field-error"' in r.text.split(f'name="{field}"', 1)[1].split("</div>", 1)[0], bad
    assert session.scalar(select(Channel)) is None
    assert owner.post("/console/channels/add", {"name": "收银台", "code": "dup"}).status_code == 302
    dup = owner.post("/console/channels/add", {"name": "收银台2", "code": "dup"})
    assert dup.status_code == 422 and "渠道代码已存在" in dup.text
    assert count(session, Channel) == 1


def test_readers_cannot_make_channels_and_other_accounts_posters_are_not_found(sign_in, session, simulator):
    other, _ = save_account(session, "wxother000000002", "隔壁小店", "othertoken")
    create_channel(session, other.id, "theirs", "别家收银台")
    session.commit()
    for role in ("viewer", "cashier"):
        person = sign_in(role, f"{role}-x")
        page = person.get("/console/channels")
        assert page.status_code == 200 and "新建渠道码" not in page.text and "别家收银台" not in page.text
        assert person.post("/console/channels/add", {"name": "x", "code": "x"}).status_code == 403
        assert person.get("/console/channels/theirs/poster.png").status_code == 404
    assert count(session, Channel) == 1
