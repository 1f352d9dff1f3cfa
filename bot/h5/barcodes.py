"""Pictures of a code for a till's scanner: a Code 128 barcode (drawn here as SVG) and a QR code (segno).

Each comes as a data: URI, which an <img> shows under the H5 pages' CSP (img-src 'self' data:): nothing
is fetched from anywhere. Code 128 is the barcode every till scanner reads; digits go in its set C, two
to a symbol, so an 18-digit member code stays short enough for a phone held to the scanner.
"""

from __future__ import annotations

import base64
from itertools import groupby

import segno

# bar, space, bar, space, bar, space widths (in modules) of the symbol values 0..105 (ISO/IEC 15417)
_TABLE = (
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 122132 "
    "122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 321221 312212 "
    "322112 322211 212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 231113 231311 "
    "112133 112331 132131 113123 113321 133121 313121 211331 231131 213113 213311 213131 311123 311321 "
    "331121 312113 312311 332111 314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 "
    "112412 122114 122411 142112 142211 241211 221114 413111 241112 134111 111242 121142 121241 114212 "
    "124112 124211 411212 421112 421211 212141 214121 412121 111143 111341 131141 114113 114311 411113 "
    "411311 113141 114131 311141 411131 211412 211214 211232"
)
WIDTHS = tuple(_TABLE.split())
STOP = "2331112"  # the stop symbol with its final bar
CODE_B, START_B, START_C = 100, 104, 105
QUIET = 10  # modules of white either side, as the standard asks


def code128_values(text: str) -> list[int]:
    """The symbol values for `text`: start, data, check. Digits go in set C two by two (an odd last
    one in set B); other printable ASCII in set B."""
    if not text or any(not " " <= ch <= "~" for ch in text):
        raise ValueError("Code 128 here takes printable ASCII only")
    if text.isdigit():
        pairs = len(text) // 2 * 2
        values = [START_C, *(int(text[i : i + 2]) for i in range(0, pairs, 2))]
        if pairs < len(text):
            values += [CODE_B, ord(text[-1]) - 32]
    else:
        values = [START_B, *(ord(ch) - 32 for ch in text)]
    check = (values[0] + sum(i * v for i, v in enumerate(values) if i)) % 103
    return [*values, check]


def code128_modules(text: str) -> str:
    """The barcode as modules, "1" a bar and "0" a space, without the quiet zones."""
    out = []
    for widths in [*(WIDTHS[v] for v in code128_values(text)), STOP]:
        out += ["10"[i % 2] * int(w) for i, w in enumerate(widths)]
    return "".join(out)


def code128_svg(text: str, module: int = 2, height: int = 64) -> str:
    """A Code 128 barcode of `text` as an SVG document, its quiet zones included."""
    bars, x = [], QUIET
    for bit, run in groupby(code128_modules(text)):
        width = len(list(run))
        if bit == "1":
            bars.append(f'<rect x="{x * module}" width="{width * module}" height="{height}"/>')
        x += width
    total = (x + QUIET) * module
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{height}" '
        f'viewBox="0 0 {total} {height}" shape-rendering="crispEdges">'
        f'<rect width="{total}" height="{height}" fill="#fff"/><g fill="#000">{"".join(bars)}</g></svg>'
    )


def svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def barcode_uri(text: str) -> str:
    return svg_uri(code128_svg(text))


def qr_uri(text: str, scale: int = 6) -> str:
    """A QR code of `text` as an SVG data: URI (error correction M, the standard quiet zone)."""
    return str(segno.make_qr(text, error="m").svg_data_uri(scale=scale, border=4))
