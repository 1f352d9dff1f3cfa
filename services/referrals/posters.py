"""Invitation posters: a member's parametric QR code on a phone-sized PNG with their nickname, the shop's
name and what the friend who scans it gets (`friend_offer`: 扫码关注「店名」得 30 积分).

Pure functions of their inputs (no database, no WeChat): `render_poster` lays out the poster,
`qr_png` draws a QR code for places that have a URL but no WeChat ticket image.

Text needs a font with Chinese glyphs. The first of these wins: the TIEFEN_POSTER_FONT environment
variable (a .ttf/.ttc/.otf path), known WenQuanYi / Noto CJK / Droid paths, then `fc-list :lang=zh`.
Without any, Pillow's built-in font draws the text (Chinese as empty boxes) and a warning is logged once:
a poster is never refused for want of a font. Debian: `apt-get install fonts-wqy-microhei`.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass

import segno
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Colour = tuple[int, int, int]

FONT_ENV = "TIEFEN_POSTER_FONT"
FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)

WIDTH, HEIGHT = 750, 1334
QR_SIZE = 420
QR_BOX = ((WIDTH - QR_SIZE) // 2, 500, QR_SIZE)  # left, top, side of the pasted QR code
DEFAULT_NICKNAME = "好友"
INVITE, INVITE_SIZE = " 邀请你关注", 34
OFFER_SIZE = 36
OFFER_WIDTH = WIDTH - 2 * 60 - 60  # the gold pill's text, inside its rounded ends
ELLIPSIS = "…"
TEXT_WIDTH = WIDTH - 2 * 60

# Colours; every pixel of the poster is one of these or a blend of two neighbours in BLENDS.
BACKGROUND: Colour = (196, 30, 58)
CARD: Colour = (255, 255, 255)
INK: Colour = (34, 34, 34)
DARK: Colour = (0, 0, 0)
PALE: Colour = (255, 236, 200)
GOLD: Colour = (255, 200, 87)
MUTED: Colour = (120, 120, 120)
BLENDS = ((PALE, BACKGROUND), (CARD, BACKGROUND), (INK, CARD), (MUTED, CARD), (BACKGROUND, GOLD))
BLEND_STEPS = 6
PNG_COMPRESSION = 3  # zlib level: 9 saves about a third of the bytes for several times the time


@dataclass(frozen=True)
class PosterFont:
    """The font the posters use: a file (and face index in a collection), or None for Pillow's own."""

    path: str | None
    index: int = 0


def qr_png(url: str, scale: int) -> bytes:
    """Draw `url` as a QR code PNG: `scale` pixels a module, the standard 4-module quiet zone."""
    if scale < 1:
        raise ValueError(f"scale must be >= 1, got {scale}")
    buffer = io.BytesIO()
    segno.make_qr(url, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def render_poster(qr_png: bytes, nickname: str, headline: str, reward_line: str) -> bytes:
    """Lay out a 750×1334 invitation poster and return it as a small palette PNG.

    The QR code image (any size; e.g. WeChat's showqrcode answer) is scaled to QR_BOX without smoothing.
    Long lines end with an ellipsis; a blank nickname reads 好友. Raises ValueError for an unreadable image.
    """
    try:
        code = Image.open(io.BytesIO(qr_png))
        code.load()
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValueError(f"not a readable QR code image: {exc}") from exc
    poster = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(poster)
    _centred(draw, 110, invite_line(nickname), _font(INVITE_SIZE), PALE)
    for row, line in enumerate(wrap(clean(headline), _font(56), TEXT_WIDTH, lines=2)):
        _centred(draw, 200 + row * 76, line, _font(56), CARD)
    left, top, side = QR_BOX
    draw.rounded_rectangle((left - 40, top - 40, left + side + 40, top + side + 110), 28, fill=CARD)
    poster.paste(code.convert("RGB").resize((side, side), Image.Resampling.NEAREST), (left, top))
    _centred(draw, top + side + 30, "长按识别二维码", _font(28), MUTED)
    reward = fit(clean(reward_line), _font(OFFER_SIZE), OFFER_WIDTH)
    if reward:
        pill = _font(OFFER_SIZE).getlength(reward) + 60
        draw.rounded_rectangle(((WIDTH - pill) / 2, 1130, (WIDTH + pill) / 2, 1206), 38, fill=GOLD)
        _centred(draw, 1146, reward, _font(OFFER_SIZE), BACKGROUND)
    return _palette_png(poster)


def invite_line(nickname: str) -> str:
    """Return the line over the headline, "<nickname> 邀请你关注", the nickname cut to fit the poster."""
    font = _font(INVITE_SIZE)
    name = fit(clean(nickname) or DEFAULT_NICKNAME, font, TEXT_WIDTH - font.getlength(INVITE))
    return name + INVITE


def friend_offer(shop: str, points: int | None) -> str:
    """The poster's gold line, read by the friend who scans it: 扫码关注「店名」得 30 积分 (the
    referee's welcome points), or 扫码关注「店名」成为会员 without them. A long shop name is
    shortened inside its quotes, so that what the friend gets is always read whole."""
    before, after = "扫码关注「", f"」得 {points} 积分" if points else "」成为会员"
    font = _font(OFFER_SIZE)
    room = OFFER_WIDTH - font.getlength(before + after)
    return before + fit(clean(shop) or "本店", font, room) + after


def clean(text: str) -> str:
    """Make text drawable: blanks collapsed to single spaces; control and format characters (zero-width
    joiners...), variation selectors and characters beyond the BMP (emoji, which CJK fonts lack) dropped."""
    kept = (ch for ch in text if ch.isspace() or _drawable(ch))
    return " ".join("".join(kept).split())


def _drawable(ch: str) -> bool:
    """Tell whether a (non-blank) character is one a CJK font can be expected to draw."""
    return ord(ch) <= 0xFFFF and unicodedata.category(ch)[0] != "C" and not "\ufe00" <= ch <= "\ufe0f"


def fit(text: str, font: Font, width: float) -> str:
    """Return `text`, or its longest prefix with an ellipsis that fits in `width` pixels."""
    if font.getlength(text) <= width:
        return text
    return text[: _fitting(text, font, width, ELLIPSIS)].rstrip() + ELLIPSIS


def wrap(text: str, font: Font, width: float, lines: int) -> list[str]:
    """Break text into at most `lines` lines of `width` pixels, at any character (as Chinese wraps)."""
    out: list[str] = []
    rest = text
    while len(out) < lines - 1 and font.getlength(rest) > width:
        cut = max(_fitting(rest, font, width), 1)
        out.append(rest[:cut])
        rest = rest[cut:].lstrip()
    if rest:
        out.append(fit(rest, font, width))
    return out


def _fitting(text: str, font: Font, width: float, suffix: str = "") -> int:
    """Return how many leading characters of `text` (followed by `suffix`) fit in `width` pixels."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if font.getlength(text[:mid] + suffix) <= width:
            low = mid
        else:
            high = mid - 1
    return low


def _centred(draw: ImageDraw.ImageDraw, top: int, text: str, font: Font, fill: Colour) -> None:
    """Draw one line of text centred horizontally with its top at `top`."""
    draw.text((WIDTH / 2, top), text, font=font, fill=fill, anchor="ma")


def _palette_png(poster: Image.Image) -> bytes:
    """Map the poster onto its fixed palette (antialiasing blends included) and encode it."""
    buffer = io.BytesIO()
    image = poster.quantize(palette=_palette(), dither=Image.Dither.NONE)
    image.save(buffer, "PNG", compress_level=PNG_COMPRESSION)
    return buffer.getvalue()


@functools.cache
def _palette() -> Image.Image:
    """Build the palette image: the poster's colours and BLEND_STEPS blends between each blended pair."""
    colours = [BACKGROUND, CARD, INK, DARK, PALE, GOLD, MUTED]
    for near, far in BLENDS:
        for step in range(1, BLEND_STEPS + 1):
            colours.append(_blend(near, far, step / (BLEND_STEPS + 1)))
    colours += [(level, level, level) for level in range(32, 255, 32)]  # greys for a smoothed QR image
    flat = [channel for colour in dict.fromkeys(colours) for channel in colour]
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat + flat[:3] * (256 - len(flat) // 3))
    return palette


def _blend(near: Colour, far: Colour, t: float) -> Colour:
    """Return the colour a fraction `t` of the way from `near` to `far`."""
    r, g, b = (round(a + (z - a) * t) for a, z in zip(near, far, strict=True))
    return r, g, b


@functools.cache
def _font(size: int) -> Font:
    """Load the poster font at a size (cached: loading a face costs more than drawing a line)."""
    choice = poster_font()
    if choice.path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(choice.path, size, index=choice.index, layout_engine=ImageFont.Layout.BASIC)


@functools.cache
def poster_font() -> PosterFont:
    """Find the font with Chinese glyphs the posters use (see the module's docstring); cached per process.

    Call `reset_fonts()` after changing TIEFEN_POSTER_FONT.
    """
    override = os.environ.get(FONT_ENV)
    if override:
        if _readable(override):
            return PosterFont(override, _simplified_index(override))
        log.warning("%s=%s is not a readable font; looking for another", FONT_ENV, override)
    for path in (*FONT_PATHS, *_fontconfig_paths()):
        if _readable(path):
            return PosterFont(path, _simplified_index(path))
    log.warning("no Chinese font found; posters use Pillow's built-in font (apt: fonts-wqy-microhei)")
    return PosterFont(None)


def reset_fonts() -> None:
    """Forget the chosen font and the loaded faces."""
    poster_font.cache_clear()
    _font.cache_clear()


def _readable(path: str) -> bool:
    """Tell whether FreeType can open a font file."""
    try:
        ImageFont.truetype(path, 12)
    except OSError:
        return False
    return True


def _simplified_index(path: str) -> int:
    """Return the face of a collection meant for Simplified Chinese (Noto CJK's "SC"), else the first."""
    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(16):
        try:
            family, _ = ImageFont.truetype(path, 12, index=index).getname()
        except OSError:
            break
        if family and family.endswith(" SC"):
            return index
    return 0


def _fontconfig_paths() -> list[str]:
    """Ask fontconfig, when installed, for fonts that cover Chinese."""
    if shutil.which("fc-list") is None:
        return []
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(line.rstrip(": ") for line in listed.splitlines() if line.strip())
