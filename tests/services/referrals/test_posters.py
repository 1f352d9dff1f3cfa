"""Invitation posters: a phone-sized palette PNG, the QR code intact, text that fits, whatever the fonts."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import segno
from PIL import Image

from services.referrals import posters

URL = "http://weixin.qq.com/q/02xGZeVBqMc_E10000w03d"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def fresh_fonts() -> Iterator[None]:
    """Each test finds the font anew (and the next one after it, with the environment restored)."""
    posters.reset_fonts()
    yield
    posters.reset_fonts()


def poster(nickname: str = "小红", qr: bytes | None = None) -> bytes:
    qr = posters.qr_png(URL, 10) if qr is None else qr
    return posters.render_poster(qr, nickname, "邀请好友关注，双方各得 100 积分", "每邀请 1 位好友 +100 积分")


def test_a_small_phone_sized_palette_png() -> None:
    data = poster()

    image = Image.open(io.BytesIO(data))
    assert data.startswith(PNG_SIGNATURE)
    assert (image.format, image.size, image.mode) == ("PNG", (750, 1334), "P")
    assert len(data) < 60_000


def test_the_pasted_qr_code_is_the_input_scaled() -> None:
    source = posters.qr_png(URL, 10)

    image = Image.open(io.BytesIO(poster(qr=source))).convert("L")

    left, top, side = posters.QR_BOX
    pasted = image.crop((left, top, left + side, top + side))
    expected = Image.open(io.BytesIO(source)).convert("L").resize((side, side), Image.Resampling.NEAREST)
    assert _dark(pasted) == _dark(expected)


def test_the_qr_code_modules_survive() -> None:
    """Sample the centre of every module of the pasted code against segno's matrix for the url."""
    image = Image.open(io.BytesIO(poster())).convert("L")
    matrix = segno.make_qr(URL, error="m").matrix
    left, top, side = posters.QR_BOX
    module = side / (len(matrix) + 8)  # qr_png draws a 4-module quiet zone on each side

    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            x, y = left + (col + 4.5) * module, top + (row + 4.5) * module
            assert (image.getpixel((int(x), int(y))) < 128) == bool(dark), (row, col)


def test_any_qr_image_size_and_format_is_scaled_to_the_box() -> None:
    buffer = io.BytesIO()
    segno.make_qr(URL).save(buffer, kind="png", scale=3, border=2)
    jpeg = io.BytesIO()
    Image.open(io.BytesIO(posters.qr_png(URL, 13))).convert("RGB").save(jpeg, "JPEG")

    for source in (buffer.getvalue(), jpeg.getvalue()):
        assert Image.open(io.BytesIO(poster(qr=source))).size == (750, 1334)


def test_unreadable_qr_image_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a readable QR code image"):
        poster(qr=b"<html>404</html>")


def test_long_nicknames_end_with_an_ellipsis() -> None:
    line = posters.invite_line("超级无敌长的微信昵称" * 10)

    assert line.endswith("… 邀请你关注")
    assert line.startswith("超级无敌长的微信昵称")
    assert posters._font(posters.INVITE_SIZE).getlength(line) <= posters.TEXT_WIDTH
    assert Image.open(io.BytesIO(poster("超级无敌长的微信昵称" * 10))).size == (750, 1334)


def test_short_nicknames_are_kept_whole() -> None:
    assert posters.invite_line("小红") == "小红 邀请你关注"
    assert posters.invite_line("  Amy\tLee \n") == "Amy Lee 邀请你关注"


@pytest.mark.parametrize("nickname", ["", "   ", "\n\t", "🌸🎉", "\u200d\ufe0f"])
def test_blank_nicknames_read_haoyou(nickname: str) -> None:
    assert posters.invite_line(nickname) == "好友 邀请你关注"


@pytest.mark.parametrize(
    "nickname",
    [
        "小红🌸",
        "👨‍👩‍👧 一家人",
        "a\x00b\x1bc",
        "ᴀʟɪᴄᴇ",
        "مرحبا",
        "Zoë\u0301",
        "<b>&amp;</b>",
        "𠮷野家",
        "\ud800",
    ],
)
def test_odd_characters_do_not_crash(nickname: str) -> None:
    data = posters.render_poster(posters.qr_png(URL, 8), nickname, "🎁 送你 100 积分 🎁", "\x00奖励\u202e")

    assert Image.open(io.BytesIO(data)).size == (750, 1334)


def test_emoji_and_control_characters_are_dropped() -> None:
    assert posters.clean("小红🌸") == "小红"
    assert posters.clean("👨‍👩‍👧 一家人") == "一家人"
    assert posters.clean("a\x00b\nc") == "ab c"
    assert posters.clean("❤️") == "❤"  # BMP symbols stay, their variation selector goes


def test_headlines_wrap_to_two_lines_at_most() -> None:
    font = posters._font(56)
    lines = posters.wrap(
        "邀请好友关注公众号，双方各得一百积分，多邀多得上不封顶" * 3, font, posters.TEXT_WIDTH, lines=2
    )

    assert len(lines) == 2
    assert lines[1].endswith("…")
    assert all(font.getlength(line) <= posters.TEXT_WIDTH for line in lines)
    assert posters.wrap("短标题", font, posters.TEXT_WIDTH, lines=2) == ["短标题"]
    assert posters.wrap("", font, posters.TEXT_WIDTH, lines=2) == []


def test_without_a_chinese_font_the_built_in_font_draws_and_one_warning_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(posters.FONT_ENV, raising=False)
    monkeypatch.setattr(posters, "FONT_PATHS", ())
    monkeypatch.setattr(posters, "_fontconfig_paths", list)

    with caplog.at_level(logging.WARNING, logger="services.referrals.posters"):
        first, second = poster(), poster("小明")

    assert posters.poster_font() == posters.PosterFont(None)
    assert Image.open(io.BytesIO(first)).size == Image.open(io.BytesIO(second)).size == (750, 1334)
    assert [r.message for r in caplog.records].count(
        "no Chinese font found; posters use Pillow's built-in font (apt: fonts-wqy-microhei)"
    ) == 1


@pytest.mark.skipif(not DEJAVU.exists(), reason="needs DejaVu Sans")
def test_the_environment_chooses_the_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(posters.FONT_ENV, str(DEJAVU))

    assert posters.poster_font() == posters.PosterFont(str(DEJAVU), 0)
    assert poster().startswith(PNG_SIGNATURE)


def test_an_unreadable_font_in_the_environment_is_passed_over(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    bogus = tmp_path / "font.ttf"
    bogus.write_bytes(b"not a font")
    monkeypatch.setenv(posters.FONT_ENV, str(bogus))

    with caplog.at_level(logging.WARNING, logger="services.referrals.posters"):
        choice = posters.poster_font()

    assert choice.path != str(bogus)
    assert "is not a readable font" in caplog.text


def test_qr_png_draws_the_url() -> None:
    data = posters.qr_png(URL, 5)

    image = Image.open(io.BytesIO(data))
    modules = len(segno.make_qr(URL, error="m").matrix) + 8
    assert data.startswith(PNG_SIGNATURE)
    assert image.size == (modules * 5, modules * 5)
    with pytest.raises(ValueError):
        posters.qr_png(URL, 0)


def test_rendering_is_quick() -> None:
    qr = posters.qr_png(URL, 10)
    poster(qr=qr)  # loads the fonts

    started = time.perf_counter()
    for index in range(10):
        poster(f"会员{index}", qr)

    assert (time.perf_counter() - started) / 10 < 0.25  # about 10-30 ms on a developer machine


def _dark(image: Image.Image) -> bytes:
    """Threshold a greyscale image to dark (1) / light (0) pixels."""
    return bytes(pixel < 128 for pixel in image.tobytes())


def test_the_friend_reads_what_they_get_for_scanning() -> None:
    assert posters.friend_offer("铁粉小店", 30) == "扫码关注「铁粉小店」得 30 积分"
    assert posters.friend_offer("铁粉小店", None) == "扫码关注「铁粉小店」成为会员"
    assert posters.friend_offer("  ", 30) == "扫码关注「本店」得 30 积分"
    long = posters.friend_offer("铁粉咖啡静安寺旗舰店" * 5, 30)
    assert long.startswith("扫码关注「铁粉咖啡") and long.endswith("…」得 30 积分")  # the points stay whole
    assert posters._font(posters.OFFER_SIZE).getlength(long) <= posters.OFFER_WIDTH


def test_the_headline_is_drawn() -> None:
    qr = posters.qr_png(URL, 10)
    one = Image.open(
        io.BytesIO(posters.render_poster(qr, "小红", "铁粉小店", "扫码关注「铁粉小店」得 30 积分"))
    )
    two = Image.open(
        io.BytesIO(posters.render_poster(qr, "小红", "隔壁咖啡", "扫码关注「铁粉小店」得 30 积分"))
    )
    headline = (0, 190, posters.WIDTH, 360)
    assert one.crop(headline).tobytes() != two.crop(headline).tobytes()
    assert one.crop((0, 0, posters.WIDTH, 190)).tobytes() == two.crop((0, 0, posters.WIDTH, 190)).tobytes()
