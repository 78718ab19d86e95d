"""The brief as a PDF of real text and vector shapes: searchable, copyable, sharp at any zoom.

Same page as the PNG (storyboard/brief.py lays it out in 150 dpi pixels; here one PDF unit is one of
those pixels, so A4 landscape comes out 842 x 595 pt), drawn with fpdf2. Only the shots' pictures are
images. The text is set in DejaVu Sans (Latin with accents, Cyrillic, Greek, Hebrew, Arabic), with
Droid Sans Fallback for Chinese, Japanese and Korean and Noto Color Emoji for emoji, each used only
for the characters the one before lacks. All three are TrueType fonts from Debian packages whose
licences allow embedding (fonts-dejavu-core: Bitstream Vera/public domain; fonts-droid-fallback:
Apache 2.0; fonts-noto-color-emoji: SIL OFL), installed by .ci/run. TrueType, not Noto Sans CJK's
CFF outlines: subsetting those took 4-8 s a page, these ~0.5 s. On a machine without them the brief
falls back to fpdf2's built-in Helvetica (Latin-1 only, other characters shown as "?"): it still
comes out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import cast

from fpdf import FPDF
from PIL import Image

from storyboard.brief import (
    _BORDER_WIDTH,
    _BOX,
    _DIM,
    _INK,
    _LETTERBOX,
    _MARGIN,
    _PAD,
    _PANELS_TOP,
    _PAPER,
    _PLACEHOLDER,
    _PLACEHOLDER_INK,
    DPI,
    PAGE_SIZE,
    PANEL_BORDER,
    Facts,
    Panel,
    footer,
    heading,
    subtitle,
)
from storyboard.captions import shot_starts
from storyboard.models import Job, Quote, Storyboard

_PT = 72 / DPI  # one layout pixel in points: the PDF's unit, and what a pixel font size is in points

_FONTS = Path("/usr/share/fonts/truetype")
TEXT_FONT = (_FONTS / "dejavu/DejaVuSans.ttf", _FONTS / "dejavu/DejaVuSans-Bold.ttf")
FALLBACK_FONTS = (  # in order: CJK, then emoji
    _FONTS / "droid/DroidSansFallbackFull.ttf",
    _FONTS / "noto/NotoColorEmoji.ttf",
)


@cache
def fonts() -> tuple[bool, tuple[Path, ...]]:
    """Whether the text font is on this machine (else Helvetica), and the fallback fonts that are."""
    return all(f.exists() for f in TEXT_FONT), tuple(f for f in FALLBACK_FONTS if f.exists())


def _clean(text: str) -> str:
    """Control and format characters out (a tab or a stray escape draws nothing useful), lines kept."""
    return "".join(
        c for c in text.replace("\t", " ") if c == "\n" or not unicodedata.category(c).startswith("C")
    )


@cache
def _text_font_covers() -> frozenset[int]:
    """The characters the text font has (read once): a page needing no others loads no fallback."""
    from fontTools.ttLib import TTFont  # fpdf2's own dependency

    with TTFont(str(TEXT_FONT[0]), lazy=True) as font:
        return frozenset(font.getBestCmap())


class _Page(FPDF):
    def __init__(self, text_on_page: str) -> None:
        super().__init__(orientation="P", unit=_PT, format=PAGE_SIZE)  # the size says landscape
        self.set_auto_page_break(False)
        self.set_margin(0)
        self.set_image_filter("DCTDecode")  # the pictures as JPEG: a few hundred KB, not megabytes
        text, fallbacks = fonts()
        self.family = "helvetica"
        if text:
            self.add_font("text", "", TEXT_FONT[0])
            self.add_font("text", "B", TEXT_FONT[1])
            self.family = "text"
            # Parsing the CJK font is most of a page's time (~0.5 s): only when the text needs more
            # than the text font has.
            if {ord(c) for c in _clean(text_on_page)} - {10} - _text_font_covers():
                for number, path in enumerate(fallbacks):
                    self.add_font(f"fallback{number}", "", path)
                self.set_fallback_fonts([f"fallback{n}" for n in range(len(fallbacks))], exact_match=False)

    def use(self, px: float, colour: tuple[int, int, int], bold: bool = False) -> None:
        """A font `px` layout pixels high, in `colour`."""
        self.set_font(self.family, "B" if bold else "", px * _PT)
        self.set_text_color(*colour)

    def clean(self, text: str) -> str:
        text = _clean(text)
        if self.family == "helvetica":  # Latin-1 only: anything else would stop the PDF
            text = (
                text.replace("·", "-")
                .replace("–", "-")
                .replace("“", '"')
                .replace("”", '"')
                .replace("…", "...")
            )
            text = text.encode("latin-1", "replace").decode("latin-1")
        return text

    def lines(self, text: str, width: float, max_lines: int, px: float, bold: bool = False) -> list[str]:
        """`text` in a `px` font wrapped to `width`, at most `max_lines`, the last cut with "…"."""
        self.use(px, _INK, bold)
        text = self.clean(text)
        wrapped: list[str] = []
        for paragraph in text.split("\n"):
            if paragraph.strip():
                lines = self.multi_cell(width, 10, paragraph, dry_run=True, output="LINES")
                wrapped += cast(list[str], lines)  # output="LINES" returns the lines; the stub lists every output
        if len(wrapped) > max_lines:
            wrapped = wrapped[:max_lines]
            last = wrapped[-1].rstrip()
            ellipsis = "..." if self.family == "helvetica" else "…"
            while last and self.get_string_width(last + ellipsis) > width:
                last = last[:-1]
            wrapped[-1] = last.rstrip() + ellipsis
        return wrapped

    def put(
        self, x: float, y: float, text: str, px: float, colour: tuple[int, int, int], bold: bool = False
    ) -> None:
        """One line whose top is at `y` (cell, not text(): only cells use the fallback fonts)."""
        self.use(px, colour, bold)
        self.set_xy(x, y)
        self.cell(text=self.clean(text), h=px * 1.2)

    def write_lines(
        self,
        lines: Sequence[str],
        x: float,
        y: float,
        px: float,
        colour: tuple[int, int, int],
        step: float = 1.25,
        bold: bool = False,
    ) -> float:
        """Lines set from `y` (their top) down; returns the y under the last one."""
        for line in lines:
            self.put(x, y, line, px, colour, bold)
            y += px * step
        return y


def _field(pdf: _Page, label: str, text: str, x: float, y: float, width: float, max_lines: int) -> float:
    pdf.put(x, y + 3, label.upper(), 17, _DIM)
    return pdf.write_lines(pdf.lines(text, width - 150, max_lines, 22), x + 150, y, 22, _INK) + 6


def _header(pdf: _Page, storyboard: Storyboard, quote: Quote, job: Job | None, approval: str | None) -> None:
    width = PAGE_SIZE[0] - 2 * _MARGIN
    pdf.put(_MARGIN, 44, pdf.lines(heading(storyboard, job), width, 1, 46, bold=True)[0], 46, _INK, bold=True)
    pdf.put(_MARGIN, 110, pdf.lines(subtitle(storyboard, quote, job, approval), width, 1, 24)[0], 24, _DIM)


def _facts(pdf: _Page, about: Facts) -> None:
    top, bottom = 160, _PANELS_TOP - 28
    pdf.set_fill_color(*_BOX)
    pdf.rect(
        _MARGIN,
        top,
        PAGE_SIZE[0] - 2 * _MARGIN,
        bottom - top,
        style="F",
        round_corners=True,
        corner_radius=10,
    )
    column_w = (PAGE_SIZE[0] - 2 * _MARGIN - 3 * 24) // 2
    left_x, right_x = _MARGIN + 24, _MARGIN + 24 * 2 + column_w
    value_w = column_w - 150

    y: float = top + 20
    y = _field(pdf, "Provider", about.provider, left_x, y, column_w, 1)
    y = _field(pdf, "Model", about.model, left_x, y, column_w, 1)
    y = _field(pdf, "Options", " · ".join(about.options) or "None to set", left_x, y, column_w, 3)
    if about.first_frame:
        _field(pdf, "First frame", about.first_frame, left_x, y, column_w, 1)

    y = top + 20
    pdf.put(right_x, y + 3, "COST", 17, _DIM)
    pdf.put(right_x + 150, y - 4, about.cost, 30, _INK, bold=True)
    y += 42
    for text in about.cost_lines:
        y = pdf.write_lines(pdf.lines(text, value_w, 2, 19), right_x + 150, y, 19, _DIM)
    y += 8
    pdf.put(right_x, y + 3, "PROVIDERS", 17, _DIM)
    for row in about.prices:  # the cheapest in bold ink, the others grey
        line = pdf.lines(row.line, value_w, 1, 19, bold=row.cheapest)
        y = pdf.write_lines(line, right_x + 150, y, 19, _INK if row.cheapest else _DIM, bold=row.cheapest)
    video_top = y + 10
    after = _field(pdf, "Video", about.video, right_x, video_top, column_w, 3)  # a link is long
    if about.link:  # the provider's link, clickable where it is written
        pdf.link(right_x + 150, video_top, value_w, after - video_top, about.link)


def _panel(
    pdf: _Page, panel: Panel, storyboard: Storyboard, index: int, start: int, picture: Image.Image | None
) -> None:
    shot = storyboard.shots[index]
    left, top, right, bottom = panel.box
    half = _BORDER_WIDTH / 2  # fpdf strokes on the path: inset it so the outer edge is the box's
    pdf.set_draw_color(*PANEL_BORDER)
    pdf.set_line_width(_BORDER_WIDTH)
    pdf.rect(left + half, top + half, right - left + 1 - _BORDER_WIDTH, bottom - top + 1 - _BORDER_WIDTH)
    x0, y0 = left + _BORDER_WIDTH + _PAD, top + _BORDER_WIDTH + _PAD - 4
    pdf.put(x0, y0, f"Shot {index + 1}", 26, _INK, bold=True)
    timing = f"{shot.duration} s · {start}–{start + shot.duration} s"
    pdf.use(22, _DIM)
    pdf.put(right - _BORDER_WIDTH - _PAD - pdf.get_string_width(pdf.clean(timing)), y0 + 3, timing, 22, _DIM)

    bx0, by0, bx1, by1 = panel.picture
    if picture is None:
        pdf.set_fill_color(*_PLACEHOLDER)
        pdf.rect(bx0, by0, bx1 - bx0, by1 - by0, style="F")
        size = max(18, min(120, (by1 - by0) // 2))
        number = str(index + 1)
        pdf.use(size, _PLACEHOLDER_INK)
        x = (bx0 + bx1 - pdf.get_string_width(number)) / 2
        pdf.put(x, (by0 + by1) / 2 - size * 0.6, number, size, _PLACEHOLDER_INK)
    else:
        pdf.set_fill_color(*_LETTERBOX)
        pdf.rect(bx0, by0, bx1 - bx0, by1 - by0, style="F")
        # the picture at its own size in layout pixels: 150 dpi on paper, as on the PNG
        x = bx0 + (bx1 - bx0 - picture.width) / 2
        y = by0 + (by1 - by0 - picture.height) / 2
        pdf.image(picture, x, y, picture.width, picture.height)

    tx0, ty0, tx1, ty1 = panel.text
    prompt = shot.prompt.strip()
    max_lines = max(1, int((ty1 - ty0) // (22 * 1.25)))
    if prompt:
        pdf.write_lines(pdf.lines(prompt, tx1 - tx0, max_lines, 22), tx0, ty0, 22, _INK)
    else:
        pdf.write_lines(["(no prompt yet)"], tx0, ty0, 22, _DIM)


def draw_pdf(
    storyboard: Storyboard,
    quote: Quote,
    *,
    job: Job | None,
    about: Facts,
    panels: Sequence[Panel],
    pictures: Sequence[Image.Image | None],
    made_at: datetime,
) -> bytes:
    words = [heading(storyboard, job), subtitle(storyboard, quote, job, about.approval), footer(made_at, about)]
    words += [about.provider, about.model, about.cost, about.video, about.first_frame or "", *about.options]
    words += [*about.cost_lines, *(row.line for row in about.prices), *(s.prompt for s in storyboard.shots)]
    pdf = _Page("".join(words))
    pdf.set_title(f"Brief: {heading(storyboard, job)}")
    pdf.set_creator("Storyboard Studio")
    pdf.set_creation_date(made_at)
    pdf.add_page()
    pdf.set_fill_color(*_PAPER)
    _header(pdf, storyboard, quote, job, about.approval)
    _facts(pdf, about)
    for index, (panel, start) in enumerate(zip(panels, shot_starts(storyboard), strict=True)):
        _panel(pdf, panel, storyboard, index, start, pictures[index])
    width = PAGE_SIZE[0] - 2 * _MARGIN
    pdf.put(_MARGIN, PAGE_SIZE[1] - 50, pdf.lines(footer(made_at, about), width, 1, 18)[0], 18, _DIM)
    return bytes(pdf.output())
