"""Staff sign in through a one-time link and a password; roles decide the pages; CSRF on every form."""

from __future__ import annotations

from tests.conftest import APPID
from tests.console.conftest import PASSWORD, Console


def test_a_new_staff_member_sets_a_password_and_reaches_the_dashboard(app, sign_in):
    owner = sign_in("owner", "店主小李")
    page = owner.get("/console/")
    assert page.status_code == 200 and "概览" in page.text and "店主小李" in page.text
    assert "员工与令牌" in page.text  # the owner's nav
    headers = page.headers
    assert headers["X-Frame-Options"] == "DENY" and "default-src 'none'" in headers["Content-Security-Policy"]
    cookie = next(c for c in owner.client.get_cookie("session") and [owner.client.get_cookie("session")])
    assert cookie.http_only and cookie.same_site == "Lax"


def test_a_sign_in_link_works_once(app, add_staff):
    link = add_staff("小张", "viewer")
    first = Console(app.test_client())
    first.get(link)
    assert first.post(link, {"password": PASSWORD, "again": PASSWORD}).status_code == 302
    again = Console(app.test_client())
    assert again.get(link).status_code == 404


def test_the_password_signs_in_and_wrong_ones_lock_the_account(app, add_staff):
    link = add_staff("小周", "cashier")
    setup = Console(app.test_client())
    setup.get(link)
    setup.post(link, {"password": PASSWORD, "again": PASSWORD})
    browser = Console(app.test_client())
    browser.get("/console/signin")
    form = {"appid": APPID, "name": "小周"}
    assert browser.post("/console/signin", form | {"password": "wrong"}).status_code == 401
    ok = browser.post("/console/signin", form | {"password": PASSWORD})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/console/")
    thief = Console(app.test_client())
    thief.get("/console/signin")
    for _ in range(5):
        assert thief.post("/console/signin", form | {"password": "guess"}).status_code == 401
    locked = thief.post("/console/signin", form | {"password": PASSWORD})
    assert locked.status_code == 401 and "分钟后再试" in locked.text


def test_pages_need_a_session_and_forms_need_their_token(app, sign_in):
    anonymous = app.test_client()
    r = anonymous.get("/console/staff")
    assert r.status_code == 302 and "/console/signin" in r.headers["Location"]
    owner = sign_in("owner")
    owner.get("/console/staff")
    forged = owner.client.post(
        "/console/tokens/add", data={"name": "x", "role": "owner", "csrf_token": "nope"}
    )
    assert forged.status_code == 400
    assert "x" not in owner.get("/console/staff").text.split("API 令牌")[1].split("新建令牌")[0]


def test_roles_decide_the_pages(app, sign_in):
    cashier = sign_in("cashier", "收银员小陈")
    page = cashier.get("/console/")
    assert page.status_code == 200 and "员工与令牌" not in page.text
    refused = cashier.get("/console/staff")
    assert refused.status_code == 403 and "无权" in refused.text
    assert cashier.get("/console/audit").status_code == 403
    cashier.get("/console/")
    assert cashier.post("/console/tokens/add", {"name": "后门", "role": "owner"}).status_code == 403


def test_the_owner_adds_staff_and_tokens_and_every_change_is_logged(app, sign_in):
    owner = sign_in("owner", "店主")
    owner.get("/console/staff")
    added = owner.post("/console/staff/add", {"name": "小王", "role": "operator"}, follow_redirects=True)
    assert "/console/welcome/" in added.text and "小王" in added.text
    made = owner.post("/console/tokens/add", {"name": "收银台", "role": "cashier"}, follow_redirects=True)
    token = made.text.split("请立即保存:")[1].split("<")[0].strip()
    assert token.startswith("tf_")
    assert (
        app.test_client().get("/api/v1/programme", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    log = owner.get("/console/audit")
    assert "add_staff" in log.text and "add_token" in log.text and "店主" in log.text
    assert token not in log.text  # secrets never reach the log


def test_sign_out_ends_the_session(app, sign_in):
    owner = sign_in("owner")
    owner.get("/console/")
    assert owner.post("/console/signout").status_code == 302
    assert owner.client.get("/console/").status_code == 302


def test_an_oversized_post_is_refused_before_it_is_read(app, sign_in):
    owner = sign_in("owner")
    owner.get("/console/staff")
    huge = owner.post("/console/tokens/add", {"name": "x" * (4 * 1024 * 1024), "role": "viewer"})
    assert huge.status_code == 413 and "内容过大" in huge.text


def test_sign_in_attempts_are_rate_limited_per_address(app, account):
    browser = Console(app.test_client())
    browser.get("/console/signin")
    form = {"appid": APPID, "name": "nobody", "password": "x"}
    answers = [browser.post("/console/signin", form).status_code for _ in range(21)]
    assert answers[:20] == [401] * 20 and answers[20] == 429
    assert "尝试次数过多" in browser.post("/console/signin", form).text


def test_the_audit_log_filters_by_actor_action_and_record(app, sign_in):
    owner = sign_in("owner", "店主甲")
    owner.get("/console/staff")
    owner.post("/console/tokens/add", {"name": "甲令牌", "role": "viewer"})
    owner.post("/console/staff/add", {"name": "乙", "role": "viewer"})
    only = owner.get("/console/audit?action=add_token")
    assert "add_token" in only.text and "add_staff" not in only.text
    assert "add_staff" in owner.get("/console/audit?record=/console/staff").text
    assert "暂无记录" in owner.get("/console/audit?actor=别人").text


def test_a_nul_character_in_an_address_or_a_form_is_refused(app, sign_in):
    owner = sign_in("owner")
    owner.get("/console/")
    assert owner.get("/console/members?q=%00").status_code == 400
    assert owner.get("/console/referrals/members/%00").status_code == 400
    assert owner.post("/console/redemptions/use", {"code": "\x00"}).status_code == 400


def test_ids_beyond_the_database_column_are_not_found(app, sign_in):
    owner = sign_in("owner")
    for path in (
        "/console/rewards/99999999999",
        "/console/campaigns/99999999999",
        "/console/tokens/99999999999/revoke",
    ):
        assert owner.client.get(path).status_code in (404, 405), path
