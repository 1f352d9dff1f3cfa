"""The pictures of a code: Code 128 bars as the standard draws them, a QR code that reads back."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
import segno

from bot.h5.barcodes import QUIET, code128_modules, code128_svg, code128_values, qr_uri

# modules as zint 2.11 (`zint -b 20 --dump`) draws the same text: an independent encoder
KNOWN = {
    "123456": "11010011100101100111001000101100011100010110100011011101100011101011",
    "1234567": ("110100111001011001110010001011000111000101101011110111011101101110100011011101100011101011"),
    "Tiefen-42": (
        "11010010000110111000101000011010010110010000101100001001011001000011000010100100110111001100"
        "100111011001110010111011000101100011101011"
    ),
}


@pytest.mark.parametrize(("text", "modules"), KNOWN.items())
def test_code128_bars_match_a_known_encoding(text, modules):
    assert code128_modules(text) == modules


def test_digits_go_in_set_c_two_at_a_time_with_the_check_symbol():
    assert code128_values("123456") == [105, 12, 34, 56, 44]  # (105 + 12 + 2·34 + 3·56) mod 103
    assert code128_values("1234567")[:5] == [105, 12, 34, 56, 100]  # then CODE B for the odd 7
    assert code128_values("1234567")[5] == ord("7") - 32
    eighteen = code128_modules("000000421712345678")
    assert len(eighteen) == 11 * (1 + 9 + 1) + 13  # start, nine pairs, check, stop


def test_the_svg_draws_each_bar_with_its_quiet_zones():
    svg = code128_svg("123456", module=2, height=50)
    bars = re.findall(r'<rect x="(\d+)" width="(\d+)" height="50"/>', svg)
    modules = code128_modules("123456")
    assert len(bars) == len(re.findall("1+", modules))
    assert int(bars[0][0]) == QUIET * 2 and int(bars[0][1]) == 2 * 2  # the start symbol's first bar
    assert f'width="{(len(modules) + 2 * QUIET) * 2}"' in svg


def test_unprintable_text_is_refused():
    for bad in ("", "会员", "a\nb"):
        with pytest.raises(ValueError):
            code128_values(bad)


def test_the_qr_code_is_an_svg_data_uri_of_the_text():
    uri = qr_uri("000000421712345678", scale=6)
    head, _, body = uri.partition(",")
    svg = unquote(body)
    size = (len(segno.make_qr("000000421712345678", error="m").matrix) + 8) * 6  # with its 4-module border
    assert head.startswith("data:image/svg+xml") and svg.startswith("<svg") and "<path" in svg
    assert f"width='{size}'" in svg or f'width="{size}"' in svg
