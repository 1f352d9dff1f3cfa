"""Parametric QR codes through wechatpy: qrcode/create, its errors and caps, and the showqrcode image."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
import requests
import segno
from PIL import Image
from wechatpy.exceptions import WeChatClientException

from simulator import SimulatorState, render_qr_png
from simulator.errors import ApiError
from simulator.qrcodes import IMAGE_BORDER, IMAGE_SCALE, QrRequest
from tests.simulator.helpers import APPID, SimWeChatClient

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MP_PREFIX = "https://mp.weixin.qq.com/"


def temporary(scene: int | str, expire_seconds: Any = None) -> dict[str, Any]:
    body = qr_body("QR_SCENE" if isinstance(scene, int) else "QR_STR_SCENE", scene)
    if expire_seconds is not None:
        body["expire_seconds"] = expire_seconds
    return body


def permanent(scene: int | str) -> dict[str, Any]:
    return qr_body("QR_LIMIT_SCENE" if isinstance(scene, int) else "QR_LIMIT_STR_SCENE", scene)


def qr_body(action: str, scene: int | str) -> dict[str, Any]:
    key = "scene_id" if isinstance(scene, int) else "scene_str"
    return {"action_name": action, "action_info": {"scene": {key: scene}}}


def show(wechat: SimWeChatClient, ticket: str) -> requests.Response:
    """Fetch the image at wechatpy's showqrcode URL, moved from mp.weixin.qq.com onto the simulator."""
    url = wechat.qrcode.get_url(ticket)
    assert url.startswith(MP_PREFIX)
    return requests.get(wechat.sim_url + url[len(MP_PREFIX) :], timeout=5)


def create_error(wechat: SimWeChatClient, body: Any) -> int:
    with pytest.raises(WeChatClientException) as caught:
        wechat.qrcode.create(body)
    return int(caught.value.errcode)


def test_temporary_int_scene(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    result = wechat.qrcode.create(temporary(123, expire_seconds=1800))

    assert set(result) == {"ticket", "expire_seconds", "url"}
    assert result["expire_seconds"] == 1800
    assert result["ticket"].startswith("gQ")
    assert result["url"].startswith("http://weixin.qq.com/q/")
    [code] = sim_state.qrcodes.codes(APPID)
    assert (code.ticket, code.url) == (result["ticket"], result["url"])
    assert (code.scene, code.permanent) == (123, False)
    assert code.expires_at == pytest.approx(time.time() + 1800, abs=5)


def test_temporary_defaults_to_60_seconds_and_is_clamped_to_30_days(wechat: SimWeChatClient) -> None:
    assert wechat.qrcode.create(temporary("invite_7"))["expire_seconds"] == 60
    assert wechat.qrcode.create(temporary(7, expire_seconds=10**9))["expire_seconds"] == 2_592_000


def test_temporary_codes_get_a_fresh_ticket_each_time(wechat: SimWeChatClient) -> None:
    first, second = (wechat.qrcode.create(temporary(5))["ticket"] for _ in range(2))

    assert first != second


@pytest.mark.parametrize("scene", [1, 100_000, "a", "x" * 64])
def test_permanent_codes_have_no_expiry(wechat: SimWeChatClient, scene: int | str) -> None:
    result = wechat.qrcode.create(permanent(scene))

    assert set(result) == {"ticket", "url"}


def test_permanent_code_for_a_held_scene_is_the_same_and_counts_once(
    wechat: SimWeChatClient, sim_state: SimulatorState
) -> None:
    sim_state.qrcodes.permanent_limit = 2
    first = wechat.qrcode.create(permanent("member_42"))

    assert wechat.qrcode.create(permanent("member_42")) == first
    assert wechat.qrcode.create(permanent(42))["ticket"] != first["ticket"]  # an int scene is another scene
    assert wechat.qrcode.create(permanent("member_42")) == first  # held scenes still answer at the cap
    assert len(sim_state.qrcodes.codes(APPID)) == 2


def test_permanent_cap_answers_45029_but_temporary_codes_go_on(
    wechat: SimWeChatClient, sim_state: SimulatorState
) -> None:
    sim_state.qrcodes.permanent_limit = 3
    for scene in range(1, 4):
        wechat.qrcode.create(permanent(scene))

    with pytest.raises(WeChatClientException) as caught:
        wechat.qrcode.create(permanent("one_more"))

    assert (caught.value.errcode, caught.value.errmsg) == (45029, "qrcode count out of limit")
    assert wechat.qrcode.create(temporary(4))["expire_seconds"] == 60
    assert [call.errcode for call in sim_state.calls("/cgi-bin/qrcode/create")][-2:] == [45029, 0]


def test_permanent_cap_is_per_account() -> None:
    book = SimulatorState(qr_permanent_limit=1).qrcodes

    book.create("wxone", QrRequest(1, True, 0))
    book.create("wxtwo", QrRequest(1, True, 0))
    with pytest.raises(ApiError) as caught:
        book.create("wxone", QrRequest(2, True, 0))

    assert caught.value.errcode == 45029


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"action_name": "QR_FOREVER", "action_info": {"scene": {"scene_id": 1}}}, 40052),
        ({"action_info": {"scene": {"scene_id": 1}}}, 40052),
        ({"action_name": "QR_SCENE"}, 40053),
        ({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_str": "a"}}}, 40053),
        (temporary(0), 40053),
        (temporary(2**32), 40053),
        ({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": "12"}}}, 40053),
        ({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": True}}}, 40053),
        (permanent(100_001), 40053),
        (permanent(0), 40053),
        (permanent(""), 40053),
        (permanent("x" * 65), 40053),
        (temporary(1, expire_seconds="1800"), 47001),
    ],
)
def test_bad_requests_answer_wechats_errcodes(wechat: SimWeChatClient, body: Any, errcode: int) -> None:
    assert create_error(wechat, body) == errcode


@pytest.mark.parametrize(("data", "errcode"), [(b"{not json", 47001), (b'["QR_SCENE"]', 47001), (b"", 44002)])
def test_unusable_bodies(wechat: SimWeChatClient, sim_url: str, data: bytes, errcode: int) -> None:
    params = {"access_token": wechat.access_token}
    answer = requests.post(f"{sim_url}/cgi-bin/qrcode/create", params=params, data=data, timeout=5).json()

    assert answer["errcode"] == errcode


def test_create_needs_a_token(sim_url: str) -> None:
    answer = requests.post(f"{sim_url}/cgi-bin/qrcode/create", json=temporary(1), timeout=5).json()

    assert answer["errcode"] == 41001


def test_showqrcode_answers_a_png_of_the_url(wechat: SimWeChatClient) -> None:
    result = wechat.qrcode.create(permanent("poster_1"))

    response = show(wechat, result["ticket"])

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.content.startswith(PNG_SIGNATURE)
    assert response.content == render_qr_png(result["url"])
    assert_image_encodes(response.content, result["url"])


def test_showqrcode_needs_no_token_and_is_logged(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    ticket = wechat.qrcode.create(temporary(9))["ticket"]

    show(wechat, ticket)

    [call] = sim_state.calls("/cgi-bin/showqrcode")
    assert (call.errcode, call.query) == (0, {"ticket": ticket})


def test_showqrcode_of_unknown_or_expired_tickets_is_404(
    wechat: SimWeChatClient, sim_url: str, sim_state: SimulatorState
) -> None:
    temp = wechat.qrcode.create(temporary(9))["ticket"]
    perm = wechat.qrcode.create(permanent(9))["ticket"]
    sim_state.qrcodes.expire()

    missing = show(wechat, "gQnope")
    assert (missing.status_code, missing.json()["errcode"]) == (404, 40097)
    assert show(wechat, temp).status_code == 404
    assert show(wechat, perm).status_code == 200  # permanent codes never expire
    assert requests.get(f"{sim_url}/cgi-bin/showqrcode", timeout=5).status_code == 404
    assert [call.errcode for call in sim_state.calls("/cgi-bin/showqrcode")] == [40097, 40097, 0, 40097]


def assert_image_encodes(png: bytes, url: str) -> None:
    """Check the image module by module against segno's matrix for the url (a decoder without zbar)."""
    matrix = segno.make_qr(url, error="m").matrix
    image = Image.open(io.BytesIO(png)).convert("L")
    size = len(matrix) + 2 * IMAGE_BORDER
    assert image.size == (size * IMAGE_SCALE, size * IMAGE_SCALE)
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            x = (col + IMAGE_BORDER) * IMAGE_SCALE + IMAGE_SCALE // 2
            y = (row + IMAGE_BORDER) * IMAGE_SCALE + IMAGE_SCALE // 2
            assert (image.getpixel((x, y)) < 128) == bool(dark), (row, col)
