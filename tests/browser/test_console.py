"""Staff in a real browser: sign-in, the sections each role sees, forms that refuse bad input."""

from __future__ import annotations

import re


def test_the_owner_signs_in_sees_every_section_and_makes_a_token(browse):
    owner = browse("owner", "店主")
    owner.shot("dashboard")
    nav = owner.page.inner_text("nav.sections")
    assert "概览" in nav and "员工与令牌" in nav and "操作日志" in nav
    owner.go("/console/staff")
    owner.page.fill("#token-name", "收银台")
    owner.page.select_option("#token-role", "cashier")
    owner.page.click("form[action$='/tokens/add'] button")
    flash = owner.page.inner_text(".flash.ok")
    assert re.search(r"tf_[\w-]{20,}", flash)
    owner.shot("staff-after-token")
    owner.go("/console/audit")
    assert "add_token" in owner.page.inner_text("main")


def test_a_cashier_sees_no_owner_section_and_is_refused_its_page(browse):
    cashier = browse("cashier", "收银员")
    assert "员工与令牌" not in cashier.page.inner_text("nav.sections")
    cashier.allowed.add(r"/console/staff$")
    response = cashier.go("/console/staff")
    assert response.status == 403 and "无权" in cashier.page.inner_text("main")


def test_the_sign_in_form_says_what_is_wrong(browse, chromium, live_app):
    browse("viewer", "只读小赵")  # someone to sign in as
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_app.url + "/console/signin")
    page.fill("#appid", "wxtest0000000001")
    page.fill("#name", "只读小赵")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    assert "账号或密码不正确" in page.inner_text(".problems")
    context.close()
