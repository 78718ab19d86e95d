"""A one-page brief for approval: the storyboard as an A4 landscape contact sheet (PNG or PDF).

One panel per shot, in reading order: its picture (the take's video at the shot's start; for a
draft, the first frame for shot 1 and the latest take of the storyboard at each shot's start, else a
neutral placeholder with the shot number), its length and time range, and its prompt (wrapped, cut
with "…" when too long). Above the panels: the storyboard's name, the provider, the model, the
options that offer sends, the price on the chosen provider and on every paid provider (cheapest
marked, so a Preview draft still shows what it will cost), and where the video is: the take by name
and the provider's link while it works, else "kept in Storyboard Studio", never a path on the server.

The PNG is drawn with Pillow at 150 dpi (1754 x 1240 px) in Pillow's bundled font, as the animatic's
captions are. The PDF (storyboard/brief_pdf.py) is the same layout drawn as real text and vector
shapes, so it can be searched and copied. Nothing here reads a key: the brief is made from the
storyboard, its quote and the take only.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from storyboard import takes
from storyboard.animatic import _ellipsize, _fits, _font, _line_height, _printable, _wrap
from storyboard.captions import shot_starts
from storyboard.catalog import MODELS, PROVIDERS, Offer, offer
from storyboard.media_store import media_for
from storyboard.models import Job, JobState, Quote, Storyboard, format_usd, utcnow
from storyboard.pricing import compare

__all__ = [
    "DPI",
    "Facts",
    "Panel",
    "PAGE_SIZE",
    "PANEL_BORDER",
    "brief_image",
    "brief_pdf",
    "brief_png",
    "facts",
    "file_stem",
    "heading",
    "panel_layout",
    "sent_options",
    "take_of",
]

DPI = 150
PAGE_SIZE = (1754, 1240)  # A4 landscape (297 x 210 mm) at 150 dpi
PANEL_BORDER = (37, 99, 235)  # drawn around each shot panel and nowhere else on the page
_BORDER_WIDTH = 3

_PAPER = (255, 255, 255)
_INK = (24, 24, 28)
_DIM = (96, 101, 112)
_BOX = (243, 244, 247)
_PLACEHOLDER = (226, 228, 233)
_PLACEHOLDER_INK = (148, 153, 163)
_LETTERBOX = (30, 31, 36)

_MARGIN = 60
_GAP = 28
_PANELS_TOP = 470  # under the facts box, which lists every provider's price
_PANELS_BOTTOM = PAGE_SIZE[1] - 78
_PAD = 16

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


# --- what the page says ---------------------------------------------------------------------------


def sent_options(storyboard: Storyboard, chosen: Offer) -> list[str]:
    """The options this offer sends, in words, with the values compile.py puts in the request."""
    o = storyboard.options
    out: list[str] = []
    if chosen.has("aspect_ratio"):
        out.append(f"Aspect ratio {o.aspect_ratio}")
    elif chosen.takes_image:
        out.append("Aspect ratio from the first frame")
    if chosen.has("resolution"):
        out.append(f"Resolution {o.resolution}")
    if chosen.has("sound"):
        out.append(f"Sound {'on' if o.sound else 'off'}")
    if chosen.has("shot_type"):
        out.append(f"Shot type {'customize' if storyboard.is_multi_shot else o.shot_type}")
    if chosen.has("cfg_scale"):
        out.append(f"Prompt strength {o.cfg_scale:g}")
    if chosen.has("negative_prompt") and o.negative_prompt.strip():
        out.append(f"Negative prompt: {o.negative_prompt.strip()}")
    return out


def heading(storyboard: Storyboard, job: Job | None = None) -> str:
    """The brief's title: a take's own name if it was given one, else the storyboard's."""
    return (takes.title(job) if job is not None else storyboard.name) or "Untitled storyboard"


def file_stem(storyboard: Storyboard, job: Job | None = None) -> str:
    """A download name from the brief's title: letters and digits of any script, '-' between."""
    words = "".join(c if c.isalnum() else " " for c in heading(storyboard, job)).split()
    return "-".join(words)[:60].strip("-") or "storyboard"


_NOT_YET = "not generated yet"
_NO_VIDEO = {
    JobState.FAILED: "none: this take failed",
    JobState.CANCELLED: "none: this take was cancelled",
    JobState.UNKNOWN: "none: this take's outcome is unknown (see the provider's dashboard)",
}


def take_of(storyboard: Storyboard, jobs: Sequence[Job]) -> Job | None:
    """The newest finished take of exactly this storyboard (its name aside), if there is one."""
    wanted = storyboard.model_dump(exclude={"name"})
    done = [
        j for j in jobs if j.state == JobState.DONE and j.storyboard.model_dump(exclude={"name"}) == wanted
    ]
    return max(done, key=lambda j: j.created_at, default=None)


KEPT_HERE = "the MP4 is kept in Storyboard Studio"


def latest_take(jobs: Sequence[Job]) -> Job | None:
    """The newest finished take with a video (any version of the storyboard): a draft's pictures."""
    done = [j for j in jobs if j.state == JobState.DONE and j.video_path]
    return max(done, key=lambda j: j.created_at, default=None)


def link_works(job: Job, now: datetime | None = None) -> bool:
    """The provider's link, while it works: EvoLink says until when; WaveSpeed and fal.ai do not."""
    if not job.remote_url:
        return False
    return job.link_expires_at is None or job.link_expires_at > (now or utcnow())


def take_name(job: Job) -> str:
    """How the brief names a take: its own name, or the storyboard's and when it was made."""
    when = f"{job.created_at:%Y-%m-%d %H:%M} UTC"
    return f"take “{job.title}” ({when})" if job.title else f"take of {when}"


def _video_line(job: Job | None, data_dir: Path | None) -> str:
    """Where the video is, for a person: never a path on the server (nobody reading the brief has it)."""
    if job is None or not job.video_path:
        return _NO_VIDEO.get(job.state, _NOT_YET) if job is not None else _NOT_YET
    where = f"The {take_name(job)}: "
    if link_works(job):
        until = f" (works until {job.link_expires_at:%Y-%m-%d %H:%M} UTC)" if job.link_expires_at else ""
        return f"{where}{job.remote_url}{until}"
    if data_dir is not None and not _kept(data_dir, job.video_path):
        return f"{where}its MP4 is missing from Storyboard Studio's data folder"
    return f"{where}{KEPT_HERE}"


def _kept(data_dir: Path, name: str) -> bool:
    try:
        return media_for(data_dir).exists(name)
    except OSError:  # the bucket cannot be reached: say nothing is missing rather than fail the brief
        return True


@dataclass(frozen=True)
class Price:
    """One provider's row of the comparison: its price, or why it can't take the storyboard."""

    provider: str
    price: str  # "$2.10", or "can't take this: <reason>"
    cheapest: bool = False
    chosen: bool = False

    @property
    def line(self) -> str:
        marks = [m for m, on in (("cheapest", self.cheapest), ("chosen", self.chosen)) if on]
        return f"{self.provider}: {self.price}" + (f" ({', '.join(marks)})" if marks else "")


def prices(storyboard: Storyboard) -> list[Price]:
    """The storyboard on every paid provider for its model, usable ones cheapest first, the cheapest
    marked: even when the editor is on Preview, an approval sheet says what it will cost to make."""
    rows = compare(storyboard)
    cheapest = next((r.provider for r in rows if r.available), None)
    return [
        Price(
            provider=PROVIDERS[r.provider].label,
            price=(
                format_usd(r.quote.total) + ("" if r.quote.verified else " (unverified)")
                if r.available
                else f"can't take this: {r.problems[0].message}"
            ),
            cheapest=r.provider == cheapest,
            chosen=r.provider == storyboard.provider,
        )
        for r in rows
    ]


def _cost_lines(quote: Quote) -> list[str]:
    if quote.total == 0:
        return ["Free: rendered on this computer"]
    lines = [
        f"{item.label}: {item.seconds} s x {format_usd(item.usd_per_second)}/s = {format_usd(item.amount)}"
        for item in quote.items
    ]
    if not quote.verified:
        lines.append(f"Unverified price: {quote.note}")
    return lines


@dataclass(frozen=True)
class Facts:
    """What the brief says above the panels, as text."""

    provider: str
    model: str
    options: list[str]
    first_frame: str | None
    cost: str
    cost_lines: list[str]
    video: str
    link: str | None  # the provider's link to the video, while it works
    prices: list[Price]  # every paid provider
    pictures: str | None  # where a draft's pictures come from, when from a take of an earlier version
    approval: str | None = None  # team mode: "Approved by Bo on 2026-12-04" (storyboard/reviews.py)


def facts(
    storyboard: Storyboard,
    quote: Quote,
    job: Job | None = None,
    data_dir: Path | None = None,
    pictures_from: Job | None = None,
    approval: str | None = None,
) -> Facts:
    chosen = offer(storyboard.provider, storyboard.model)
    frame = storyboard.first_frame
    first_frame = None
    if frame is not None and chosen.takes_image:
        first_frame = f"{frame.original_name or Path(frame.path).name}, {frame.width} x {frame.height} px"
    return Facts(
        provider=PROVIDERS[storyboard.provider].label,
        model=MODELS[storyboard.model].label,
        options=sent_options(storyboard, chosen),
        first_frame=first_frame,
        cost=f"{format_usd(quote.total)}{'' if quote.verified else ' (unverified)'}",
        cost_lines=_cost_lines(quote),
        video=_video_line(job, data_dir),
        link=job.remote_url if job is not None and job.video_path and link_works(job) else None,
        prices=prices(storyboard),
        pictures=(
            f"Pictures from the {PROVIDERS[pictures_from.provider].label} {take_name(pictures_from)}"
            if job is None and pictures_from is not None
            else None
        ),
        approval=approval,
    )


# --- pictures -------------------------------------------------------------------------------------


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    scale = min(box[0] / size[0], box[1] / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _video_frames(
    path: Path, starts: Sequence[float], box_for: Callable[[float], tuple[int, int]]
) -> tuple[float, list[Image.Image | None]]:
    """The video's aspect, and the frame shown at each start time scaled to fit `box_for(aspect)`.

    Starts are in order. Each group of pictures is decoded once: a seek goes to the keyframe before a
    start only when it lies past the frames already decoded (an animatic has one at every shot;
    a hosted video may have one every few seconds). Non-reference frames are skipped, so a picture
    may be the next frame after a start (1/24 s later), never an earlier one.
    """
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        time_base = float(stream.time_base or 0)
        if width <= 0 or height <= 0 or not time_base:
            raise ValueError(f"{path} has no usable video stream")
        size = _fit((width, height), box_for(width / height))
        keyframes = sorted(p.pts for p in container.demux(stream) if p.is_keyframe and p.pts is not None)
        fps = float(stream.average_rate or stream.base_rate or 24)
        slack = round(0.5 / fps / time_base)  # half a frame: the frame at a start counts
        first_pts = stream.start_time or 0
        stream.codec_context.skip_frame = "NONREF"  # exact: no other frame is decoded from them
        stream.thread_type = "AUTO"  # frame threads: a long run up to a start uses both cores
        frames: Iterator[av.VideoFrame] | None = None
        last: av.VideoFrame | None = None
        pictures: list[Image.Image | None] = []
        for start in starts:
            at = first_pts + round(start / time_base)
            target = at - slack  # the first frame from here on is the one shown at `start`
            keyframe = max((k for k in keyframes if k <= at + slack), default=first_pts)
            if frames is None or last is None or last.pts is None or not keyframe <= last.pts < target:
                container.seek(keyframe, stream=stream)
                frames, last = container.decode(stream), None
            picked = None
            for frame in frames:
                last = frame
                if frame.pts is None or frame.pts >= target:
                    picked = frame
                    break
            if picked is None:
                picked = last  # past the end of the video: its last frame
            pictures.append(None if picked is None else picked.reformat(*size, format="rgb24").to_image())
    return width / height, pictures


def _still(path: Path, box: tuple[int, int]) -> Image.Image:
    with Image.open(path) as picture:
        picture.draft("RGB", box)  # JPEG: decode at a fraction of the size
        still = picture.convert("RGB")
        return still.resize(_fit(still.size, box), Image.Resampling.BILINEAR, reducing_gap=2.0)


def _picture_box(count: int, aspect: float) -> tuple[int, int]:
    left, top, right, bottom = panel_layout(count, aspect)[0].picture
    return right - left, bottom - top


def _take_starts(storyboard: Storyboard, take: Job) -> list[float]:
    """Where each of the draft's shots is in an earlier take: the take's own shot starts, as far as it
    has shots (a shot added since shows the take's end, its last picture, rather than a grey box)."""
    starts = shot_starts(take.storyboard)
    end = max(0.0, take.storyboard.total_seconds - 0.05)
    return [float(starts[i]) if i < len(starts) else end for i in range(len(storyboard.shots))]


def _pictures(
    storyboard: Storyboard, job: Job | None, data_dir: Path | None, pictures_from: Job | None = None
) -> tuple[float, list[Image.Image | None]]:
    """The shape of the pictures and one picture (None: a placeholder) per shot.

    A take's video decides both. A draft: the first frame (image to video) shows in shot 1 and sets
    the shape; the other shots (all of them without a first frame) show the latest take of the
    storyboard (`pictures_from`) at that shot. What can't be read becomes a placeholder.
    """
    count = len(storyboard.shots)
    if data_dir is not None and job is not None and job.video_path:
        try:  # the data dir's own file, or a temporary copy from the bucket
            with media_for(data_dir).local(job.video_path) as video:
                return _video_frames(video, shot_starts(storyboard), partial(_picture_box, count))
        except Exception:  # missing or damaged: the brief still comes out
            pass
    pictures: list[Image.Image | None] = [None] * count
    frame = storyboard.first_frame  # only an image-to-video model starts from it
    if frame is not None and MODELS[storyboard.model].takes_image:
        aspect = frame.aspect
    else:
        frame = None
        w, h = (int(x) for x in storyboard.options.aspect_ratio.split(":"))
        aspect = w / h
    source = pictures_from if job is None else None
    if data_dir is not None and source is not None and source.video_path:
        with contextlib.suppress(Exception), media_for(data_dir).local(source.video_path) as video:
            # missing or damaged: placeholders
            pictures = _video_frames(
                video, _take_starts(storyboard, source), lambda _: _picture_box(count, aspect)
            )[1]
    if frame is not None and data_dir is not None:
        with contextlib.suppress(Exception), media_for(data_dir).local(frame.path) as still:
            # missing or unreadable: what the take showed, or a placeholder
            pictures[0] = _still(still, _picture_box(count, aspect))
    return aspect, pictures


# --- layout ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    box: tuple[int, int, int, int]  # left, top, right, bottom: the border's outer edge
    picture: tuple[int, int, int, int]  # where the picture (or placeholder) goes
    text: tuple[int, int, int, int]  # the prompt


def _grid(count: int) -> tuple[int, int]:
    """(columns, rows): one column of wide panels up to 3 shots, two columns from 4."""
    columns = 1 if count <= 3 else 2
    return columns, math.ceil(count / columns)


def panel_layout(count: int, aspect: float) -> list[Panel]:
    columns, rows = _grid(count)
    width = (PAGE_SIZE[0] - 2 * _MARGIN - (columns - 1) * _GAP) // columns
    height = (_PANELS_BOTTOM - _PANELS_TOP - (rows - 1) * _GAP) // rows
    header = 44
    inner_h = height - 2 * _PAD - header - _BORDER_WIDTH * 2
    inner_w = width - 2 * _PAD - _BORDER_WIDTH * 2
    # the picture sits on the left, at most half the panel wide; the prompt takes the rest
    pic_w, pic_h = _fit((round(1000 * aspect), 1000), (inner_w // 2, inner_h))
    panels = []
    for index in range(count):
        row, column = divmod(index, columns)
        left = _MARGIN + column * (width + _GAP)
        top = _PANELS_TOP + row * (height + _GAP)
        x0, y0 = left + _BORDER_WIDTH + _PAD, top + _BORDER_WIDTH + _PAD + header
        panels.append(
            Panel(
                box=(left, top, left + width - 1, top + height - 1),
                picture=(x0, y0, x0 + pic_w, y0 + pic_h),
                text=(x0 + pic_w + _PAD + 4, y0, left + width - _BORDER_WIDTH - _PAD, y0 + inner_h),
            )
        )
    return panels


# --- drawing --------------------------------------------------------------------------------------


def _line(text: str, font: Font, max_width: int) -> str:
    text = " ".join(_printable(text).split())
    return text if _fits(text, font, max_width) else _ellipsize(text, font, max_width)


def _block(text: str, font: Font, max_width: int, max_lines: int) -> list[str]:
    lines = _wrap(_printable(text), font, max_width, max_lines)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _ellipsize(lines[-1], font, max_width)
    return lines


def _draw_lines(
    draw: ImageDraw.ImageDraw, lines: list[str], font: Font, x: int, y: int, fill: tuple[int, int, int]
) -> int:
    step = _line_height(font, 1.25)
    for line in lines:
        draw.text((x, y), line, font=font, fill=fill)
        y += step
    return y


def _field(
    draw: ImageDraw.ImageDraw, label: str, lines: list[str], x: int, y: int, width: int, max_lines: int
) -> int:
    """A label in small capitals-ish grey, its value beside it; returns the next free y."""
    label_w = 150
    draw.text((x, y + 3), label.upper(), font=_font(17), fill=_DIM)
    value_font = _font(22)
    wrapped: list[str] = []
    for text in lines:
        wrapped += _block(text, value_font, width - label_w, max_lines - len(wrapped))
        if len(wrapped) >= max_lines:
            break
    return _draw_lines(draw, wrapped, value_font, x + label_w, y, _INK) + 6


def subtitle(storyboard: Storyboard, quote: Quote, job: Job | None, approval: str | None = None) -> str:
    """The line under the title: shots, length, price and when (the PNG and the PDF say the same).
    Approved (team mode), it says so first, where "Brief for approval" stood."""
    shots = len(storyboard.shots)
    made = job.created_at if job is not None else utcnow()
    if job is None:
        what = f"{made:%Y-%m-%d %H:%M} UTC"
    elif job.title:
        what = f"take of “{storyboard.name}” made {made:%Y-%m-%d %H:%M} UTC"
    else:
        what = f"take made {made:%Y-%m-%d %H:%M} UTC"
    return (
        f"{approval or 'Brief for approval'} · {shots} shot{'s' * (shots != 1)} · {storyboard.total_seconds} s · "
        f"{format_usd(quote.total)} · {what}"
    )


def footer(made_at: datetime, about: Facts) -> str:
    text = f"Storyboard Studio · brief made {made_at:%Y-%m-%d %H:%M} UTC"
    return f"{text} · {about.pictures}" if about.pictures else text


def _draw_header(
    draw: ImageDraw.ImageDraw, storyboard: Storyboard, quote: Quote, job: Job | None, approval: str | None
) -> None:
    width = PAGE_SIZE[0] - 2 * _MARGIN
    title = _font(46)
    draw.text(
        (_MARGIN, 44),
        _line(heading(storyboard, job), title, width - 4),
        font=title,
        fill=_INK,
        stroke_width=1,
        stroke_fill=_INK,
    )
    text = subtitle(storyboard, quote, job, approval)
    draw.text((_MARGIN, 110), _line(text, _font(24), width), font=_font(24), fill=_DIM)


def _draw_facts(draw: ImageDraw.ImageDraw, about: Facts) -> None:
    top, bottom = 160, _PANELS_TOP - 28
    draw.rounded_rectangle((_MARGIN, top, PAGE_SIZE[0] - _MARGIN, bottom), radius=10, fill=_BOX)
    column_w = (PAGE_SIZE[0] - 2 * _MARGIN - 3 * 24) // 2
    left_x, right_x = _MARGIN + 24, _MARGIN + 24 * 2 + column_w

    y = top + 20
    y = _field(draw, "Provider", [about.provider], left_x, y, column_w, 1)
    y = _field(draw, "Model", [about.model], left_x, y, column_w, 1)
    y = _field(draw, "Options", [" · ".join(about.options) or "None to set"], left_x, y, column_w, 3)
    if about.first_frame:
        _field(draw, "First frame", [about.first_frame], left_x, y, column_w, 1)

    y = top + 20
    draw.text((right_x, y + 3), "COST", font=_font(17), fill=_DIM)
    cost = _font(30)
    draw.text((right_x + 150, y - 4), about.cost, font=cost, fill=_INK, stroke_width=1, stroke_fill=_INK)
    y += 42
    detail = _font(19)
    for text in about.cost_lines:
        y = _draw_lines(draw, _block(text, detail, column_w - 150, 2), detail, right_x + 150, y, _DIM)
    y += 8
    draw.text((right_x, y + 3), "PROVIDERS", font=_font(17), fill=_DIM)
    for row in about.prices:
        y = _draw_lines(
            draw,
            [_line(row.line, detail, column_w - 150)],
            detail,
            right_x + 150,
            y,
            _INK if row.cheapest else _DIM,
        )
    _field(draw, "Video", [about.video], right_x, y + 10, column_w, 3)  # a link is long


def _draw_placeholder(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], number: int) -> None:
    draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=_PLACEHOLDER)
    size = max(18, min(120, (box[3] - box[1]) // 2))
    font = _font(size)
    text = str(number)
    x = (box[0] + box[2] - font.getlength(text)) / 2
    draw.text((x, (box[1] + box[3]) / 2), text, font=font, fill=_PLACEHOLDER_INK, anchor="lm")


def _draw_panel(
    page: Image.Image,
    draw: ImageDraw.ImageDraw,
    panel: Panel,
    storyboard: Storyboard,
    index: int,
    start: int,
    picture: Image.Image | None,
) -> None:
    shot = storyboard.shots[index]
    draw.rectangle(panel.box, outline=PANEL_BORDER, width=_BORDER_WIDTH)
    left, top, right, _ = panel.box
    x0, y0 = left + _BORDER_WIDTH + _PAD, top + _BORDER_WIDTH + _PAD - 4
    heading = _font(26)
    draw.text((x0, y0), f"Shot {index + 1}", font=heading, fill=_INK, stroke_width=1, stroke_fill=_INK)
    timing = _printable(f"{shot.duration} s · {start}–{start + shot.duration} s")
    draw.text((right - _BORDER_WIDTH - _PAD, y0 + 3), timing, font=_font(22), fill=_DIM, anchor="ra")

    box = panel.picture
    if picture is None:
        _draw_placeholder(draw, box, index + 1)
    else:
        draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=_LETTERBOX)
        page.paste(
            picture,
            (
                box[0] + (box[2] - box[0] - picture.width) // 2,
                box[1] + (box[3] - box[1] - picture.height) // 2,
            ),
        )

    tx0, ty0, tx1, ty1 = panel.text
    prompt = shot.prompt.strip()
    font = _font(22)
    max_lines = max(1, (ty1 - ty0) // _line_height(font, 1.25))
    if prompt:
        _draw_lines(draw, _block(prompt, font, tx1 - tx0, max_lines), font, tx0, ty0, _INK)
    else:
        draw.text((tx0, ty0), "(no prompt yet)", font=font, fill=_DIM)


def _draw_footer(draw: ImageDraw.ImageDraw, made_at: datetime, about: Facts) -> None:
    font = _font(18)
    text = _line(footer(made_at, about), font, PAGE_SIZE[0] - 2 * _MARGIN)
    draw.text((_MARGIN, PAGE_SIZE[1] - 50), text, font=font, fill=_DIM)


# --- the page -------------------------------------------------------------------------------------


def brief_image(
    storyboard: Storyboard,
    quote: Quote,
    *,
    job: Job | None = None,
    data_dir: Path | None = None,
    pictures_from: Job | None = None,
    made_at: datetime | None = None,
    approval: str | None = None,
) -> Image.Image:
    """The brief as an RGB picture of an A4 landscape page at `DPI`.

    With a take (`job`) and the data dir, each panel shows the take's video at the shot's start; a
    draft (no `job`) shows `pictures_from`, the storyboard's latest take, at each shot.
    """
    page = Image.new("RGB", PAGE_SIZE, _PAPER)
    draw = ImageDraw.Draw(page)
    aspect, pictures = _pictures(storyboard, job, data_dir, pictures_from)
    panels = panel_layout(len(storyboard.shots), aspect)
    about = facts(storyboard, quote, job, data_dir, pictures_from, approval)
    _draw_header(draw, storyboard, quote, job, approval)
    _draw_facts(draw, about)
    for index, (panel, start) in enumerate(zip(panels, shot_starts(storyboard), strict=True)):
        _draw_panel(page, draw, panel, storyboard, index, start, pictures[index])
    _draw_footer(draw, made_at or utcnow(), about)
    return page


def brief_png(
    storyboard: Storyboard,
    quote: Quote,
    *,
    job: Job | None = None,
    data_dir: Path | None = None,
    pictures_from: Job | None = None,
    approval: str | None = None,
) -> bytes:
    buffer = io.BytesIO()
    image = brief_image(
        storyboard, quote, job=job, data_dir=data_dir, pictures_from=pictures_from, approval=approval
    )
    image.save(buffer, "PNG", dpi=(DPI, DPI), compress_level=3)
    return buffer.getvalue()


def brief_pdf(
    storyboard: Storyboard,
    quote: Quote,
    *,
    job: Job | None = None,
    data_dir: Path | None = None,
    pictures_from: Job | None = None,
    approval: str | None = None,
) -> bytes:
    """One A4 landscape page of real text and vector shapes (storyboard/brief_pdf.py)."""
    from storyboard.brief_pdf import draw_pdf  # it imports this module's layout

    made_at = utcnow()
    aspect, pictures = _pictures(storyboard, job, data_dir, pictures_from)
    return draw_pdf(
        storyboard,
        quote,
        job=job,
        about=facts(storyboard, quote, job, data_dir, pictures_from, approval),
        panels=panel_layout(len(storyboard.shots), aspect),
        pictures=pictures,
        made_at=made_at,
    )
