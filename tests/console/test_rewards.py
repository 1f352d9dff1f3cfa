# ruff: noqa: F811  (the API fixtures, imported, are parameters of the tests)
"""积分商城 in the console: rewards added and changed through the API's models, pictures uploaded,
checked with Pillow, re-encoded and served by Tiefen; what is not an image is refused."""

from __future__ import annotations

import gc
import io
import os
import re

import pytest
from PIL import Image as Pil
from sqlalchemy import func, select

from bot.h5 import links
from models import Image, Reward
from tests.api.conftest import api, error, other_api  # noqa: F401

COFFEE = {"name": "拿铁兑换券", "kind": "coupon", "points_price": "300", "stock": "20", "enabled": "on"}


def png(size=(64, 48), color=(200, 80, 40), noise=False) -> bytes:
    img = (
        Pil.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
        if noise
        else Pil.new("RGB", size, color)
    )
    out = io.BytesIO()
    img.save(out, format="PNG", pnginfo=None)
    return out.getvalue() + (b"" if noise else b"trailing bytes are not kept")


def upload(data: bytes, name: str = "latte.png"):
    return (io.BytesIO(data), name)


def counts(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Reward)), session.scalar(
        select(func.count()).select_from(Image)
    )


def test_a_reward_with_a_picture_is_added_listed_and_served(app, sign_in, api, session):
    owner = sign_in("operator")
    owner.get("/console/rewards")
    r = owner.post("/console/rewards/add", COFFEE | {"description": "全门店可用", "image": upload(png())})
    assert r.status_code == 302, r.text
    item = api.get("/rewards").get_json()["items"][0]
    assert (item["name"], item["points_price"], item["stock"], item["description"]) == (
        "拿铁兑换券",
        300,
        20,
        "全门店可用",
    )
    url = item["image_url"]
    assert url.startswith("http://") and url.endswith(".png") and "/media/" in url
    path = url[url.index("/media/") :]
    assert f'src="{path}"' in owner.get("/console/rewards").text
    served = app.test_client().get(path)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        "max-age=31536000" in served.headers["Cache-Control"]
        and "immutable" in served.headers["Cache-Control"]
    )
    assert b"trailing bytes" not in served.data  # re-encoded: only the pixels were kept
    with Pil.open(io.BytesIO(served.data)) as img:
        assert (img.format, img.size) == ("PNG", (64, 48))
    member = app.test_client()
    link = links.sign_member(app.config["SECRET_KEY"], api.account.id, "o-fan-1")
    assert member.get(f"/h5/{api.account.appid}/member?t={link}").status_code == 303
    member_page = member.get(f"/h5/{api.account.appid}/rewards")
    assert member_page.status_code == 200 and f'src="{path}"' in member_page.text


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"hello, this is text\n" * 10, "notes.png", "文件不是有效的图片"),  # a renamed text file
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "x.svg", "文件不是有效的图片"),
        (png(size=(900, 900), noise=True), "huge.png", "图片不能超过 2 MB"),  # a real image, too large
        (png()[:60], "cut.png", "文件不是有效的图片"),  # a truncated PNG
    ],
    ids=["text", "svg", "oversized", "truncated"],
)
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_what_is_not_a_small_image_is_refused_and_nothing_is_stored(sign_in, session, data, name, words):
    before = counts(session)
    owner = sign_in("owner")
    owner.get("/console/rewards")
    r = owner.post("/console/rewards/add", COFFEE | {"image": upload(data, name)})
    assert r.status_code == 422 and f'<div class="field-error">{words}</div>' in r.text
    assert counts(session) == before
    gc.collect()  # the test client spools a large form to a file it never closes: collected here


def test_a_gif_is_refused_by_its_format(sign_in, session):
    out = io.BytesIO()
    Pil.new("RGB", (8, 8)).save(out, format="GIF")
    owner = sign_in("owner")
    owner.get("/console/rewards")
    r = owner.post("/console/rewards/add", COFFEE | {"image": upload(out.getvalue(), "a.png")})
    assert r.status_code == 422 and "只支持 PNG、JPEG 或 WebP 图片" in r.text and counts(session) == (0, 0)


@pytest.mark.parametrize(
    ("changes", "field", "words", "api_body"),
    [
        ({"points_price": "0"}, "points_price", "不能小于 1", {"points_price": 0}),
        ({"stock": "-1"}, "stock", "不能小于 0", {"stock": -1}),
        ({"stock": "很多"}, "stock", "请填写整数", {"stock": "很多"}),
        ({"name": ""}, "name", "不能为空", {"name": ""}),
        ({"description": "长" * 201}, "description", "最多 200 个字", {"description": "长" * 201}),
        ({"kind": "cash"}, "kind", "请从选项中选择", {"kind": "cash"}),
    ],
)
def test_a_bad_reward_is_refused_by_field_as_the_api_refuses_it(
    sign_in, api, session, changes, field, words, api_body
):
    owner = sign_in("owner")
    owner.get("/console/rewards")
    r = owner.post("/console/rewards/add", COFFEE | changes | {"image": upload(png())})
    assert r.status_code == 422 and f'<div class="field-error">{words}</div>' in r.text
    assert counts(session) == (0, 0)  # neither the reward nor its picture
    body = {"name": "拿铁兑换券", "kind": "coupon", "points_price": 300, "stock": 20} | api_body
    assert error(api.post("/rewards", body)) == (422, "invalid_reward")


def test_a_reward_is_changed_and_its_picture_replaced_or_removed(app, sign_in, api, session):
    owner = sign_in("owner")
    owner.get("/console/rewards")
    owner.post("/console/rewards/add", COFFEE)
    reward_id = api.get("/rewards").get_json()["items"][0]["id"]
    page = owner.get(f"/console/rewards/{reward_id}")
    assert page.status_code == 200 and 'value="300"' in page.text
    form = {
        "name": "拿铁兑换券",
        "kind": "coupon",
        "points_price": "250",
        "stock": "0",
        "description": "周末可用",
    }
    r = owner.post(f"/console/rewards/{reward_id}", form | {"image": upload(png(color=(1, 2, 3)))})
    assert r.status_code == 302
    item = api.get("/rewards").get_json()["items"][0]
    assert (item["points_price"], item["stock"], item["enabled"], item["description"]) == (
        250,
        0,
        False,
        "周末可用",
    )
    assert item["image_url"] is not None
    bad = owner.post(f"/console/rewards/{reward_id}", form | {"stock": "-5", "enabled": "on"})
    assert bad.status_code == 422 and "不能小于 0" in bad.text
    assert api.get("/rewards").get_json()["items"][0] == item
    owner.post(f"/console/rewards/{reward_id}", form | {"remove_image": "on"})
    assert api.get("/rewards").get_json()["items"][0]["image_url"] is None


def test_unknown_images_and_other_accounts_rewards_are_not_found(app, sign_in, api, other_api):
    owner = sign_in("owner")
    owner.get("/console/rewards")
    owner.post("/console/rewards/add", COFFEE | {"image": upload(png())})
    url = api.get("/rewards").get_json()["items"][0]["image_url"]
    path = url[url.index("/media/") :]
    image_id, name = path.split("/")[2:4]
    client = app.test_client()
    assert client.get(path).status_code == 200
    assert client.get(f"/media/{image_id}/{'0' * 16}.png").status_code == 404  # the hash is part of it
    assert client.get(f"/media/{image_id}/{name[:-4]}.jpg").status_code == 404
    assert client.get(f"/media/{int(image_id) + 99}/{name}").status_code == 404
    theirs = other_api.post("/rewards", {"name": "隔壁的券", "kind": "coupon", "points_price": 1, "stock": 1})
    their_id = theirs.get_json()["id"]
    assert owner.get(f"/console/rewards/{their_id}").status_code == 404
    hijack = owner.post(f"/console/rewards/{their_id}", {**COFFEE, "points_price": "1"})
    assert hijack.status_code == 404
    assert other_api.get("/rewards").get_json()["items"][0]["points_price"] == 1


@pytest.mark.parametrize("role", ["cashier", "viewer"])
def test_cashiers_and_viewers_cannot_change_the_catalogue(sign_in, session, role):
    person = sign_in(role)
    page = person.get("/console/rewards")
    assert page.status_code == 200 and "添加商品" not in page.text
    assert person.post("/console/rewards/add", COFFEE).status_code == 403
    assert counts(session) == (0, 0)


def test_a_rewards_validity_is_set_in_the_editor_and_checked(sign_in, api, session):
    owner = sign_in("operator")
    owner.get("/console/rewards")
    assert owner.post("/console/rewards/add", COFFEE | {"valid_days": "30"}).status_code == 302
    item = api.get("/rewards").get_json()["items"][0]
    assert item["valid_days"] == 30
    editor = owner.get(f"/console/rewards/{item['id']}").text
    assert 'name="valid_days"' in editor and 'value="30"' in editor and "兑换码有效期" in editor
    for bad in ("0", "3651", "abc", "1.5"):
        r = owner.post(f"/console/rewards/{item['id']}", COFFEE | {"valid_days": bad})
        assert r.status_code == 422 and re.search(
            r'name="valid_days".*?</div><div class="field-error">', r.text
        ), bad
    assert api.get("/rewards").get_json()["items"][0]["valid_days"] == 30
    assert owner.post(f"/console/rewards/{item['id']}", COFFEE | {"valid_days": ""}).status_code == 302
    assert api.get("/rewards").get_json()["items"][0]["valid_days"] is None  # blank: no expiry
    assert "长期" in owner.get("/console/rewards").text
