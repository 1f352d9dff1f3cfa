"""Temporary media through wechatpy: media/upload's checks, media/get, expiry and the /_sim/media view."""

from __future__ import annotations

import io
import time

import pytest
import requests
from PIL import Image
from wechatpy.exceptions import WeChatClientException

from simulator import SimulatorState
from simulator.media import Upload
from tests.simulator.helpers import APPID, SimWeChatClient

MB = 1024 * 1024


def picture(kind: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


def upload_error(wechat: SimWeChatClient, media_type: str, data: bytes) -> int:
    with pytest.raises(WeChatClientException) as caught:
        wechat.media.upload(media_type, io.BytesIO(data))
    return int(caught.value.errcode)


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF"])
def test_upload_an_image(wechat: SimWeChatClient, sim_state: SimulatorState, kind: str) -> None:
    data = picture(kind)

    result = wechat.media.upload("image", io.BytesIO(data))

    assert set(result) == {"type", "media_id", "created_at"}
    assert result["type"] == "image"
    assert len(result["media_id"]) == 64
    assert abs(result["created_at"] - time.time()) < 5
    media = sim_state.media.get(result["media_id"])
    assert media is not None and media.data == data and media.appid == APPID
    assert media.format == kind.lower()
    assert media.expires_at == pytest.approx(time.time() + 3 * 86_400, abs=5)


def test_uploaded_bytes_come_back_from_media_get_and_the_control_api(
    wechat: SimWeChatClient, sim_url: str
) -> None:
    data = picture()
    media_id = wechat.media.upload("image", ("poster.png", data, "image/png"))["media_id"]

    downloaded = wechat.media.download(media_id)
    controlled = requests.get(f"{sim_url}/_sim/media/{media_id}", timeout=5)
    listed = requests.get(f"{sim_url}/_sim/media", params={"appid": APPID}, timeout=5).json()["media"]

    assert downloaded.content == data and downloaded.headers["Content-Type"] == "image/png"
    assert controlled.content == data and controlled.headers["Content-Type"] == "image/png"
    assert listed[0]["media_id"] == media_id and listed[0]["size"] == len(data)
    assert listed[0]["filename"] == "poster.png"


def test_thumb_voice_and_video_are_checked_by_format(wechat: SimWeChatClient) -> None:
    assert wechat.media.upload("thumb", io.BytesIO(picture("JPEG")))["type"] == "thumb"
    assert wechat.media.upload("voice", io.BytesIO(b"#!AMR\n" + bytes(100)))["type"] == "voice"
    assert wechat.media.upload("voice", io.BytesIO(b"ID3" + bytes(100)))["type"] == "voice"
    assert wechat.media.upload("video", io.BytesIO(bytes(4) + b"ftypisom" + bytes(100)))["type"] == "video"


@pytest.mark.parametrize(
    ("media_type", "data", "errcode"),
    [
        ("file", picture(), 40004),
        ("", picture(), 40004),
        ("image", b"", 41005),
        ("image", b"hello, not an image", 40005),
        ("image", b"%PDF-1.7" + bytes(100), 40005),
        ("thumb", picture("PNG"), 40005),
        ("voice", picture(), 40005),
        ("video", picture(), 40005),
        ("image", b"\x89PNG\r\n\x1a\n" + bytes(10 * MB), 40009),
        ("voice", b"#!AMR\n" + bytes(2 * MB), 40010),
        ("thumb", b"\xff\xd8\xff" + bytes(64 * 1024), 40012),
    ],
)
def test_bad_uploads_answer_wechats_errcodes(
    wechat: SimWeChatClient, media_type: str, data: bytes, errcode: int
) -> None:
    assert upload_error(wechat, media_type, data) == errcode


def test_an_image_of_exactly_10_mb_is_taken(wechat: SimWeChatClient) -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(10 * MB - 8)

    assert wechat.media.upload("image", io.BytesIO(data))["type"] == "image"


def test_upload_without_the_media_field(wechat: SimWeChatClient, sim_url: str) -> None:
    params = {"access_token": wechat.access_token, "type": "image"}
    files = {"file": ("a.png", picture(), "image/png")}

    answer = requests.post(f"{sim_url}/cgi-bin/media/upload", params=params, files=files, timeout=5).json()

    assert answer["errcode"] == 41005


def test_media_expire(wechat: SimWeChatClient, sim_url: str, sim_state: SimulatorState) -> None:
    media_id = wechat.media.upload("image", io.BytesIO(picture()))["media_id"]
    requests.post(f"{sim_url}/_sim/expire-media", timeout=5)

    with pytest.raises(WeChatClientException) as caught:
        wechat.media.download(media_id)

    assert caught.value.errcode == 40007
    assert sim_state.media.get(media_id) is not None  # the bytes stay readable for tests


def test_media_ttl_is_a_setting() -> None:
    state = SimulatorState(media_ttl=0.2)
    media = state.media.add(APPID, "image", _upload(picture()))

    assert state.media.live(APPID, media.media_id) is not None
    time.sleep(0.25)
    assert state.media.live(APPID, media.media_id) is None


def test_another_accounts_media_is_unknown() -> None:
    state = SimulatorState()
    media = state.media.add("wxother", "image", _upload(picture()))

    assert state.media.live(APPID, media.media_id) is None


def _upload(data: bytes) -> Upload:
    return Upload("a.png", "image/png", data)
