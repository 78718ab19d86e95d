"""The Preview provider's render: a planning animatic of a storyboard, as a browser-playable MP4.

Each shot is on screen for exactly its duration: a card with "Shot N of M · D s", the shot's prompt
wrapped to the frame, and a timeline bar with every shot in proportion, the current one highlighted
and a playhead moving along it. With a first frame, the image fills the frame and shot 1 slowly
zooms into it (Ken Burns); later shots show it blurred and tinted in their own colour.

Speed comes from drawing only what changes (shared/docs/video-encoding.md measured a naive Pillow
Ken Burns at 1.6x real time at 720p and 0.73x at 1080p):

- each shot's card is drawn once and converted to yuv420p once; per frame only the thin strip
  holding the timeline is redrawn (the card's strip plus a pasted playhead sprite), converted on
  its own and copied over the card's planes; x264 skips the unchanged macroblocks almost for free;
- the Ken Burns still is cover-fitted once, and each zoom step is one BILINEAR `resize(box=...)`
  from it plus one paste of the pre-drawn caption panel; the zoom is only redrawn once the frame's
  edge has moved about a pixel (every frame for a 5 s first shot, every 3rd for a 15 s one);
- frames are produced in a thread feeding a bounded queue, so Pillow and swscale (both release the
  GIL) overlap x264, which encodes with frame threads.

Output: H.264 High (libx264, veryfast, CRF 23), yuv420p, BT.709 conversion and tags, tv range,
faststart, a silent mono AAC track (about 20 ms of work), a keyframe at every shot start.
It is written to a hidden temp file next to `out_path` and renamed at the end.
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
from av.video.frame import PictureType
from av.video.reformatter import VideoReformatter
from PIL import Image, ImageDraw, ImageFont, ImageOps

from storyboard.catalog import FRAME_SIZES, PREVIEW_FPS
from storyboard.models import Resolution, Storyboard

__all__ = ["SHOT_COLOURS", "RenderCancelled", "output_size", "render_animatic"]

# Calm, dark backgrounds (white text stays readable), one per shot; a 6-shot board uses them all.
SHOT_COLOURS: tuple[tuple[int, int, int], ...] = (
    (44, 62, 96),  # slate blue
    (34, 88, 84),  # teal
    (84, 60, 98),  # plum
    (92, 80, 44),  # ochre
    (102, 56, 58),  # brick
    (48, 82, 60),  # forest
)
_TEXT = (244, 241, 234)
_TEXT_DIM = (200, 204, 210)
_ACCENT = (245, 205, 120)  # the current shot on the timeline
_INK = (24, 24, 28)

_ASPECT_ORDER = ("16:9", "9:16", "1:1")
_X264_OPTIONS = {"preset": "veryfast", "crf": "23"}
_QUEUE_FRAMES = 8
_PROGRESS_INTERVAL = 0.05  # seconds: at most 20 progress calls per second
_AUDIO_RATE = 48_000
_AAC_FRAME = 1024
_BT709 = 1  # AVCOL_PRI_BT709 == AVCOL_TRC_BT709 == AVCOL_SPC_BT709
_TV_RANGE = 1  # AVCOL_RANGE_MPEG

# Ken Burns on shot 1: zoom 2.4 % per second up to 12 %, drifting up a little.
_KB_ZOOM_PER_SECOND = 0.024
_KB_MAX_ZOOM = 0.12
# The zoom is redrawn only when the frame's edge has moved about a pixel since the last update
# (a 5 s shot at 1080p: every frame; a 15 s one: every 3rd), at least at 8 updates per second.
_KB_STEP_PIXELS = 1.0
_KB_MAX_STEP = 3


class RenderCancelled(Exception):
    """`should_stop` asked the render to stop; no output file was left behind."""


def output_size(
    storyboard: Storyboard, resolution: Resolution, first_frame_size: tuple[int, int] | None
) -> tuple[int, int]:
    """The animatic's (width, height): the storyboard's aspect ratio, or the image's nearest one.

    With a first frame (image to video) the image decides, as on the hosted providers: the nearest of
    16:9, 9:16 and 1:1 in log ratio; an exact tie (4:3 sits halfway) keeps the storyboard's choice.
    """
    if resolution not in FRAME_SIZES:
        raise ValueError(f"Unknown resolution {resolution!r}; expected one of {sorted(FRAME_SIZES)}.")
    sizes = FRAME_SIZES[resolution]
    chosen = storyboard.options.aspect_ratio
    if first_frame_size is None:
        return sizes[chosen]
    width, height = first_frame_size
    if width <= 0 or height <= 0:
        raise ValueError(f"A first frame needs a positive size, not {width}x{height}.")
    image_log_ratio = math.log(width / height)
    order = [chosen, *(a for a in _ASPECT_ORDER if a != chosen)]

    def distance(aspect: str) -> tuple[float, int]:
        w, h = sizes[aspect]
        return round(abs(math.log(w / h) - image_log_ratio), 9), order.index(aspect)

    return sizes[min(order, key=distance)]


def render_animatic(
    storyboard: Storyboard,
    out_path: Path,
    *,
    resolution: Resolution = "720p",
    first_frame: Path | None = None,
    poster_path: Path | None = None,
    progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> None:
    """Render the storyboard's animatic to `out_path` (MP4), replacing it only once complete.

    `progress` gets 0..1 (at most ~20 calls a second, the last one 1.0). `should_stop` is checked
    before every frame; when it returns True the partial output is deleted and `RenderCancelled`
    is raised. `poster_path`, if given, receives a JPEG (at most 480 px wide) of the first frame.
    """
    if not storyboard.shots:
        raise ValueError("The storyboard has no shots to render.")
    if any(shot.duration < 1 for shot in storyboard.shots):
        raise ValueError("Every shot needs a duration of at least 1 second.")
    out_path = Path(out_path)
    still = _load_still(Path(first_frame)) if first_frame is not None else None
    width, height = output_size(storyboard, resolution, still.size if still else None)
    frames = _Frames(storyboard, width, height, PREVIEW_FPS, still)
    total = frames.total

    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{uuid.uuid4().hex[:8]}.part")
    stop = threading.Event()
    frame_queue: queue.Queue[av.VideoFrame | BaseException | None] = queue.Queue(_QUEUE_FRAMES)
    producer = threading.Thread(
        target=_produce, args=(frames, frame_queue, stop), name="animatic-frames", daemon=True
    )
    container: av.container.OutputContainer | None = None
    reported = 0.0

    def report(value: float, force: bool = False) -> None:
        nonlocal reported
        now = time.monotonic()
        if progress is not None and (force or now - reported >= _PROGRESS_INTERVAL):
            reported = now
            progress(value)

    try:
        if should_stop is not None and should_stop():
            raise RenderCancelled("The preview render was cancelled.")
        report(0.0, force=True)
        container = av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"})
        video = container.add_stream("libx264", rate=PREVIEW_FPS, options=dict(_X264_OPTIONS))
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        cc = video.codec_context
        cc.thread_type = "FRAME"
        cc.colorspace = cc.color_primaries = cc.color_trc = _BT709
        cc.color_range = _TV_RANGE
        audio = container.add_stream("aac", rate=_AUDIO_RATE, layout="mono")
        silence = _Silence(audio, container)
        samples_per_frame = _AUDIO_RATE // PREVIEW_FPS

        producer.start()
        for index in range(total):
            if should_stop is not None and should_stop():
                raise RenderCancelled("The preview render was cancelled.")
            item = frame_queue.get()
            if isinstance(item, BaseException):
                raise item
            if item is None:  # the producer ended early: a bug, never a silent short video
                raise RuntimeError(f"The animatic renderer stopped after {index} of {total} frames.")
            item.pts = index
            for packet in video.encode(item):
                container.mux(packet)
            silence.write_until((index + 1) * samples_per_frame)
            report(index / total)
        for packet in video.encode():
            container.mux(packet)
        silence.finish(total * samples_per_frame)
        container.close()
        container = None
        os.replace(tmp, out_path)
        if poster_path is not None and frames.poster is not None:
            _save_poster(frames.poster, Path(poster_path))
        report(1.0, force=True)
    except BaseException:
        stop.set()
        if container is not None:
            with contextlib.suppress(Exception):  # the partial file is deleted next; keep the first error
                container.close()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        stop.set()
        _drain(frame_queue)
        if producer.is_alive():
            producer.join(timeout=5)


# --- encoding helpers ---------------------------------------------------------------------------


class _Silence:
    """A silent mono AAC track, written alongside the video so the file stays interleaved."""

    def __init__(self, stream: av.AudioStream, container: av.container.OutputContainer) -> None:
        self.stream, self.container, self.pts = stream, container, 0
        self._zeros: dict[int, bytes] = {}

    def _frame(self, samples: int) -> av.AudioFrame:
        frame = av.AudioFrame(format="fltp", layout="mono", samples=samples)
        for plane in frame.planes:
            size = plane.buffer_size
            if size not in self._zeros:
                self._zeros[size] = bytes(size)
            plane.update(self._zeros[size])
        frame.sample_rate, frame.pts = _AUDIO_RATE, self.pts
        self.pts += samples
        return frame

    def write_until(self, sample: int) -> None:
        while self.pts + _AAC_FRAME <= sample:
            for packet in self.stream.encode(self._frame(_AAC_FRAME)):
                self.container.mux(packet)

    def finish(self, sample: int) -> None:
        self.write_until(sample)
        if sample > self.pts:
            for packet in self.stream.encode(self._frame(sample - self.pts)):
                self.container.mux(packet)
        for packet in self.stream.encode():
            self.container.mux(packet)


def _produce(
    frames: _Frames, out: queue.Queue[av.VideoFrame | BaseException | None], stop: threading.Event
) -> None:
    def put(item: av.VideoFrame | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    try:
        for frame in frames:
            if not put(frame):
                return
        put(None)
    except BaseException as exc:  # handed to the encoding thread, which raises it
        put(exc)


def _drain(q: queue.Queue[av.VideoFrame | BaseException | None]) -> None:
    try:
        while True:
            q.get_nowait()
    except queue.Empty:
        pass


def _save_poster(image: Image.Image, path: Path) -> None:
    poster = image.copy()
    if poster.width > 480:
        poster = poster.resize((480, max(2, round(poster.height * 480 / poster.width))), Image.BILINEAR)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        poster.save(tmp, format="JPEG", quality=85)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _load_still(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image.draft("RGB", (1920, 1920))  # JPEG: decode at the smallest DCT scale still >= 1920 px
        return ImageOps.exif_transpose(image).convert("RGB")


class _Yuv:
    """A full frame converted to yuv420p once; each video frame is a copy with the strip replaced."""

    def __init__(self, frame: av.VideoFrame) -> None:
        self.width, self.height = frame.width, frame.height
        self.planes = [bytes(plane) for plane in frame.planes]
        self.line_sizes = [plane.line_size for plane in frame.planes]

    def with_strip(self, strip: av.VideoFrame, top: int) -> av.VideoFrame:
        """A new frame: these planes with rows from `top` (even) replaced by the strip's planes."""
        out = av.VideoFrame(self.width, self.height, "yuv420p")
        out.colorspace = out.color_primaries = out.color_trc = _BT709
        out.color_range = _TV_RANGE
        for k, plane in enumerate(out.planes):
            dst, line = memoryview(plane), plane.line_size
            src, src_line = memoryview(strip.planes[k]), strip.planes[k].line_size
            row = top if k == 0 else top // 2
            if line == self.line_sizes[k] == src_line:  # the usual case: two memcpys
                dst[:] = self.planes[k]
                dst[row * line : row * line + len(src)] = src
            else:  # rows padded differently: copy row by row
                _copy_rows(
                    dst, line, 0, memoryview(self.planes[k]), self.line_sizes[k], plane.height, plane.width
                )
                _copy_rows(dst, line, row, src, src_line, strip.planes[k].height, plane.width)
        return out


def _copy_rows(
    dst: memoryview, dst_line: int, dst_row: int, src: memoryview, src_line: int, rows: int, width: int
) -> None:
    for r in range(rows):
        at = (dst_row + r) * dst_line
        dst[at : at + width] = src[r * src_line : r * src_line + width]


# --- text -----------------------------------------------------------------------------------------


_FONTS = threading.local()  # FreeType faces are not shared between threads


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font (Aileron), so rendering needs no system fonts."""
    cache: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] | None = getattr(_FONTS, "cache", None)
    if cache is None:
        cache = _FONTS.cache = {}
    font = cache.get(size)
    if font is None:
        font = cache[size] = ImageFont.load_default(size=size)
    return font


_NOTDEF: tuple[tuple[int, int], bytes] | None = None
_GLYPHS: dict[str, bool] = {}
_PUNCTUATION = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2022": "·",
        "\u2032": "'",
        "\u2033": '"',
        "\u201a": "'",
        "\u201e": '"',
        "\t": " ",
        "\r": None,
    }
)


def _has_glyph(char: str) -> bool:
    """True when the bundled font draws `char` (it covers ASCII and a little more)."""
    global _NOTDEF
    known = _GLYPHS.get(char)
    if known is not None:
        return known
    font = _font(16)
    if not isinstance(font, ImageFont.FreeTypeFont):
        return True  # the bitmap fallback font: nothing to learn
    if _NOTDEF is None:
        mask = font.getmask("\U0010fffd")
        _NOTDEF = (mask.size, bytes(mask))
    mask = font.getmask(char)
    _GLYPHS[char] = result = char.isspace() or (mask.size, bytes(mask)) != _NOTDEF
    return result


def _printable(text: str) -> str:
    """Map what the bundled font lacks to what it has: "café — naïve" becomes "cafe - naive"."""
    out: list[str] = []
    for char in text.translate(_PUNCTUATION):
        if char == "\n" or _has_glyph(char):
            out.append(char)
            continue
        if unicodedata.category(char).startswith("C"):
            continue  # control and format characters draw nothing useful
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(base if base and all(_has_glyph(c) for c in base) else char)
    return "".join(out)


def _line_height(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, spacing: float) -> int:
    if isinstance(font, ImageFont.FreeTypeFont):
        ascent, descent = font.getmetrics()
        return max(1, round((ascent + descent) * spacing))
    return max(1, round(font.getbbox("Ay")[3] * spacing))


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
# Text up to this long is measured whole; longer text only by its prefixes (see _fitting_prefix).
_MEASURE_WHOLE = 512


def _fitting_prefix(text: str, font: Font, max_width: float) -> int:
    """How many leading characters of `text` fit in `max_width` (0 when none do).

    Measures prefixes of 32, 64, 128... characters until one is too wide, then halves between the last
    two: about twice what fits is measured, never the whole of a long text (a 10,000-character name
    measured one character at a time took a minute; a million characters once, four seconds)."""
    if not text:
        return 0
    probe = 32
    while probe < len(text) and font.getlength(text[:probe]) <= max_width:
        probe *= 2
    if probe >= len(text) and font.getlength(text) <= max_width:
        return len(text)
    fits, too_wide = (probe // 2 if probe > 32 else 0), min(probe, len(text))
    while too_wide - fits > 1:
        mid = (fits + too_wide) // 2
        if font.getlength(text[:mid]) <= max_width:
            fits = mid
        else:
            too_wide = mid
    return fits


def _fits(text: str, font: Font, max_width: float) -> bool:
    if len(text) <= _MEASURE_WHOLE:
        return font.getlength(text) <= max_width
    return _fitting_prefix(text, font, max_width) == len(text)


def _longest_prefix(text: str, font: Font, max_width: float) -> int:
    """At least one character, so a line always moves on."""
    return max(1, _fitting_prefix(text, font, max_width))


def _wrap(text: str, font: Font, max_width: float, max_lines: int | None = None) -> list[str]:
    """Greedy word wrap measured with the font; words wider than a line are broken.

    With `max_lines`, stops once there is one line more than that (enough to know the text overflows),
    so a long text costs what is shown, not what is cut."""
    lines: list[str] = []

    def full() -> bool:
        return max_lines is not None and len(lines) > max_lines

    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            if lines and lines[-1]:
                lines.append("")  # one blank line between paragraphs, never a run of them
            continue
        line = ""
        for word in words:
            candidate = f"{line} {word}" if line else word
            if _fits(candidate, font, max_width):
                line = candidate
                continue
            if line:
                lines.append(line)
            while not full() and not _fits(word, font, max_width):
                cut = _longest_prefix(word, font, max_width)
                lines.append(word[:cut])
                word = word[cut:]
            line = word
            if full():
                return lines[: (max_lines or 0) + 1]
        lines.append(line)
        if full():
            return lines[: (max_lines or 0) + 1]
    while lines and not lines[-1]:
        lines.pop()
    return lines or [""]


def _ellipsize(line: str, font: Font, max_width: float) -> str:
    """The line cut where it and "…" fit, found by _fitting_prefix (never one character at a time)."""
    line = line.rstrip()
    keep = _fitting_prefix(line, font, max(0.0, max_width - font.getlength("…")))
    while keep and font.getlength(line[:keep].rstrip() + "…") > max_width:  # kerning: a step or two
        keep -= 1
    return line[:keep].rstrip() + "…"


@dataclass(frozen=True)
class _Text:
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    lines: list[str]
    line_height: int

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)

    def draw(self, draw: ImageDraw.ImageDraw, x: int, y: int, fill: tuple[int, ...], stroke: int = 0) -> None:
        for line in self.lines:
            if line and stroke and isinstance(self.font, ImageFont.FreeTypeFont):
                draw.text((x, y), line, font=self.font, fill=fill, stroke_width=stroke, stroke_fill=fill)
            elif line:
                draw.text((x, y), line, font=self.font, fill=fill)
            y += self.line_height


def _fit_block(
    text: str, max_width: int, max_height: int, max_size: int, min_size: int, spacing: float = 1.28
) -> _Text:
    """The largest font size whose wrapped text fits the box; at the smallest, cut with "…"."""
    max_size = max(max_size, min_size)

    def layout(size: int) -> _Text:
        font = _font(size)
        step = _line_height(font, spacing)
        return _Text(font, _wrap(text, font, max_width, max(1, max_height // step)), step)

    best = layout(max_size)
    if best.height <= max_height:
        return best
    lo, hi = min_size, max_size - 1  # binary search: the text's height shrinks with the font
    fitted: _Text | None = None
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = layout(mid)
        if candidate.height <= max_height:
            fitted, lo = candidate, mid + 1
        else:
            hi = mid - 1
    if fitted is not None:
        return fitted
    small = layout(min_size)
    keep = max(1, max_height // small.line_height)
    lines = small.lines[:keep]
    lines[-1] = _ellipsize(lines[-1], small.font, max_width)
    return _Text(small.font, lines, small.line_height)


def _fit_line(text: str, max_width: int, max_size: int, min_size: int, stroke: int = 0) -> _Text:
    """One line: shrink the font until it fits, then cut with "…". A stroke widens it by 2 x stroke."""
    size, room = max(max_size, min_size), max_width - 2 * stroke
    font = _font(size)
    if not _fits(text, font, room) and not _fits(text, _font(min_size), room):
        size, font = min_size, _font(min_size)  # too long at any size: cut at the smallest, at once
    while size > min_size and not _fits(text, font, room):
        size = max(min_size, int(size * 0.9))
        font = _font(size)
    line = text if _fits(text, font, room) else _ellipsize(text, font, room)
    return _Text(font, [line], _line_height(font, 1.2))


# --- drawing --------------------------------------------------------------------------------------


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


@dataclass(frozen=True)
class _Span:
    index: int  # 0-based shot number
    start: int  # first frame
    frames: int
    seconds: int
    prompt: str


class _Frames:
    """Draws the animatic; iterating yields its yuv420p frames, exactly `total` of them."""

    def __init__(
        self, storyboard: Storyboard, width: int, height: int, fps: int, still: Image.Image | None
    ) -> None:
        self.storyboard, self.width, self.height, self.fps = storyboard, width, height, fps
        spans, start = [], 0
        for i, shot in enumerate(storyboard.shots):
            spans.append(_Span(i, start, shot.duration * fps, shot.duration, shot.prompt))
            start += shot.duration * fps
        self.spans: list[_Span] = spans
        self.total = start
        self.poster: Image.Image | None = None
        self.still = ImageOps.fit(still, (width, height), Image.LANCZOS) if still is not None else None

        u = self.unit = min(width, height) / 720
        self.margin = round(48 * u)
        self.bar_left, self.bar_right = self.margin, width - self.margin
        self.bar_bottom = height - self.margin
        self.bar_height = round(30 * u)
        self.bar_top = self.bar_bottom - self.bar_height
        self.overhang = round(7 * u)
        self.arrow = round(9 * u)
        self.strip_top = (self.bar_top - self.overhang - self.arrow) // 2 * 2
        self.strip_bottom = min(height, -(-(self.bar_bottom + self.overhang) // 2) * 2)
        self.playhead = self._playhead_sprite()
        self._full = VideoReformatter()
        self._strip = VideoReformatter()
        self._overlays: dict[int, Image.Image] = {}

    # -- geometry

    def _x(self, frame: float) -> float:
        return self.bar_left + (self.bar_right - self.bar_left) * frame / max(1, self.total)

    def _playhead_x(self, index: int) -> int:
        fraction = index / (self.total - 1) if self.total > 1 else 0.0
        return round(self.bar_left + (self.bar_right - self.bar_left) * fraction)

    # -- pieces drawn once

    def _playhead_sprite(self) -> Image.Image:
        u, arrow = self.unit, self.arrow
        line = max(2, round(3 * u)) // 2 * 2
        edge = max(1, round(1.2 * u))
        width = 2 * (arrow + edge) + 1
        height = self.strip_bottom - self.strip_top
        top = self.bar_top - self.overhang - arrow - self.strip_top
        bottom = self.bar_bottom + self.overhang - self.strip_top
        cx = width // 2
        sprite = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        d = ImageDraw.Draw(sprite)
        for grow, colour in ((edge, (*_INK, 230)), (0, (*_TEXT, 255))):
            d.polygon(
                [(cx - arrow - grow, top - grow), (cx + arrow + grow, top - grow), (cx, top + arrow + grow)],
                fill=colour,
            )
            d.rectangle(
                (cx - line // 2 - grow, top, cx + line // 2 - 1 + grow, bottom - 1 + grow), fill=colour
            )
        return sprite

    def _draw_timeline(self, image: Image.Image, current: int, track: tuple[int, ...]) -> None:
        d = ImageDraw.Draw(image)
        u = self.unit
        radius = max(2, round(6 * u))
        gap = max(2, round(3 * u))
        d.rounded_rectangle(
            (self.bar_left, self.bar_top, self.bar_right, self.bar_bottom), radius, fill=track
        )
        label_font = _font(max(10, round(self.bar_height * 0.55)))
        inset = max(1, round(2 * u))
        for span in self.spans:
            x0 = round(self._x(span.start)) + (inset if span.index == 0 else gap // 2 + 1)
            x1 = round(self._x(span.start + span.frames)) - (
                inset if span.index == len(self.spans) - 1 else gap // 2
            )
            if x1 - x0 < 2:
                continue
            base = SHOT_COLOURS[span.index % len(SHOT_COLOURS)]
            now = span.index == current
            fill = _ACCENT if now else _mix(base, (255, 255, 255), 0.32 if span.index < current else 0.18)
            d.rounded_rectangle(
                (x0, self.bar_top + inset, x1, self.bar_bottom - inset),
                max(1, radius - inset),
                fill=(*fill, 255) if image.mode == "RGBA" else fill,
            )
            label = str(span.index + 1)
            if label_font.getlength(label) + 4 * u < x1 - x0:
                colour = _INK if now else _TEXT
                d.text(
                    ((x0 + x1) / 2, (self.bar_top + self.bar_bottom) / 2),
                    label,
                    font=label_font,
                    fill=(*colour, 255) if image.mode == "RGBA" else colour,
                    anchor="mm",
                )

    def _title(self, span: _Span) -> str:
        return f"Shot {span.index + 1} of {len(self.spans)} · {span.seconds} s"

    def _prompt(self, span: _Span) -> tuple[str, bool]:
        text = _printable(span.prompt).strip()
        return (text, True) if text else ("(no prompt for this shot yet)", False)

    def _card(self, span: _Span) -> Image.Image:
        """A storyboard card: header, title, prompt filling the space, timeline."""
        u, m, w = self.unit, self.margin, self.width
        colour = SHOT_COLOURS[span.index % len(SHOT_COLOURS)]
        card = Image.new("RGB", (w, self.height), colour)
        d = ImageDraw.Draw(card)
        text_width = w - 2 * m
        header = _fit_line(
            _printable(f"{self.storyboard.name} · preview animatic"), text_width, round(20 * u), 10
        )
        y = m
        header.draw(d, m, y, _mix(_TEXT_DIM, colour, 0.25))
        y += header.height + round(16 * u)
        bold = max(1, round(u))
        title = _fit_line(self._title(span), text_width, round(50 * u), round(20 * u), bold)
        title.draw(d, m + bold, y, _TEXT, stroke=bold)
        y += title.height + round(12 * u)
        d.rectangle((m, y, m + round(72 * u), y + max(2, round(4 * u)) - 1), fill=_ACCENT)
        y += max(2, round(4 * u)) + round(28 * u)
        text, real = self._prompt(span)
        room = self.strip_top - round(28 * u) - y
        body = _fit_block(text, text_width, max(room, 1), round(36 * u), round(15 * u))
        body.draw(d, m, y, _TEXT if real else _mix(_TEXT_DIM, colour, 0.3))
        self._draw_timeline(card, span.index, _mix(colour, (0, 0, 0), 0.45))
        return card

    def _overlay(self, span: _Span) -> Image.Image:
        """Caption over a picture: an RGBA panel from its top row to the bottom of the frame."""
        u, m, w, h = self.unit, self.margin, self.width, self.height
        text_width = w - 2 * m
        text, real = self._prompt(span)
        body = _fit_block(text, text_width, round(0.28 * h), round(30 * u), round(15 * u))
        bold = max(1, round(u))
        title = _fit_line(self._title(span), text_width, round(44 * u), round(20 * u), bold)
        body_top = self.strip_top - round(22 * u) - body.height
        title_top = body_top - round(10 * u) - title.height
        solid_top = max(0, title_top - round(28 * u))
        fade = min(solid_top, round(90 * u))
        top = solid_top - fade
        panel = Image.new("RGBA", (w, h - top), (8, 10, 14, 0))
        alpha = Image.new("L", (w, h - top), 185)
        if fade > 0:
            alpha.paste(Image.linear_gradient("L").resize((w, fade)).point(lambda v: v * 185 // 255), (0, 0))
        panel.putalpha(alpha)
        d = ImageDraw.Draw(panel)
        title.draw(d, m + bold, title_top - top, (*_TEXT, 255), stroke=bold)
        body.draw(d, m, body_top - top, (*_TEXT, 255) if real else (*_TEXT_DIM, 255))
        shifted = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        shifted.paste(panel, (0, top))
        self._draw_timeline(shifted, span.index, (0, 0, 0, 215))
        return shifted.crop((0, top, w, h))

    def _over_picture(self, picture: Image.Image, span: _Span) -> Image.Image:
        overlay = self._overlays.get(span.index)
        if overlay is None:
            overlay = self._overlays[span.index] = self._overlay(span)
        picture.paste(overlay, (0, self.height - overlay.height), overlay)
        return picture

    def _tinted(self, span: _Span) -> Image.Image:
        """A later shot in image-to-video: the first frame, blurred and tinted in the shot's colour."""
        assert self.still is not None
        w, h = self.width, self.height
        small = self.still.resize((max(1, w // 24), max(1, h // 24)), Image.BILINEAR, reducing_gap=2.0)
        blurred = small.resize((w, h), Image.BILINEAR)
        colour = SHOT_COLOURS[span.index % len(SHOT_COLOURS)]
        return self._over_picture(Image.blend(blurred, Image.new("RGB", (w, h), colour), 0.62), span)

    def _ken_burns_zoom(self, span: _Span) -> float:
        return min(_KB_MAX_ZOOM, _KB_ZOOM_PER_SECOND * span.seconds)

    def _ken_burns_step(self, span: _Span) -> int:
        """Frames per zoom update: the slower the zoom, the rarer the update (each moves <= ~1 px)."""
        edge_speed = max(self.width, self.height) * self._ken_burns_zoom(span) / 2 / max(1, span.frames)
        if edge_speed <= 0:
            return _KB_MAX_STEP
        return max(1, min(_KB_MAX_STEP, int(_KB_STEP_PIXELS / edge_speed)))

    def _ken_burns(self, span: _Span, local: int) -> Image.Image:
        """Shot 1 with a first frame: a slow zoom into the still; frame 0 is the still itself."""
        assert self.still is not None
        w, h = self.width, self.height
        t = local / max(1, span.frames - 1)
        if local == 0:
            picture = self.still.copy()
        else:
            zoom = 1 + self._ken_burns_zoom(span) * t
            cw, ch = w / zoom, h / zoom
            x0, y0 = (w - cw) * 0.5, (h - ch) * (0.5 - 0.15 * t)
            picture = self.still.resize((w, h), Image.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch))
        return self._over_picture(picture, span)

    # -- frames

    def _yuv(self, image: Image.Image, reformatter: VideoReformatter) -> av.VideoFrame:
        return reformatter.reformat(
            av.VideoFrame.from_image(image), format="yuv420p", dst_colorspace="ITU709"
        )

    def _span_frames(self, span: _Span) -> Iterator[tuple[int, Image.Image]]:
        """(local frame, picture) whenever the picture under the playhead changes."""
        if self.still is None:
            yield 0, self._card(span)
        elif span.index > 0:
            yield 0, self._tinted(span)
        else:
            step = self._ken_burns_step(span)
            for local in range(0, span.frames, step):
                yield local, self._ken_burns(span, local)

    def __iter__(self) -> Iterator[av.VideoFrame]:
        top, bottom = self.strip_top, self.strip_bottom
        half = self.playhead.width // 2
        for span in self.spans:
            changes = self._span_frames(span)
            local, picture = next(changes)
            upcoming = next(changes, None)
            while local < span.frames:
                until = upcoming[0] if upcoming is not None else span.frames
                base = _Yuv(self._yuv(picture, self._full))
                strip_base = picture.crop((0, top, self.width, bottom))
                for i in range(local, until):
                    index = span.start + i
                    strip = strip_base.copy()
                    strip.paste(self.playhead, (self._playhead_x(index) - half, 0), self.playhead)
                    frame = base.with_strip(self._yuv(strip, self._strip), top)
                    if i == 0:
                        frame.pict_type = PictureType.I  # a keyframe at every shot start: seekable cuts
                    if index == 0:
                        poster = picture.copy()
                        poster.paste(strip, (0, top))
                        self.poster = poster
                    yield frame
                if upcoming is None:
                    break
                local, picture = upcoming
                upcoming = next(changes, None)
