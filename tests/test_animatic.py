"""The Preview animatic: exact timing, browser-playable encoding, what it shows, cancel and cleanup.

Every video is read back with PyAV; renders are 720p and short so the whole file stays quick.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps, ImageStat

from storyboard import animatic
from storyboard.animatic import SHOT_COLOURS, RenderCancelled, output_size, render_animatic
from storyboard.catalog import FRAME_SIZES, PREVIEW_FPS
from storyboard.models import Options, Shot, Storyboard

FPS = PREVIEW_FPS
LONG_PROMPT = (
    "The camera drifts through a rain-soaked neon market at night: vendors shout, steam rises from "
    "woks, reflections shimmer in the puddles and a cat threads between boots. "
) * 20


def board(*seconds: int, aspect: str = "16:9", prompt: str | None = None) -> Storyboard:
    return Storyboard(
        name="Test board",
        shots=[
            Shot(prompt=prompt if prompt is not None else f"Shot number {i + 1}", duration=d)
            for i, d in enumerate(seconds)
        ],
        options=Options(aspect_ratio=aspect),  # type: ignore[arg-type]
    )


def photo(path: Path, size: tuple[int, int], exif_orientation: int | None = None) -> Path:
    """A photo-like JPEG: a sky gradient, overlapping shapes, a little blur and grain."""
    w, h = size
    image = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    image = Image.merge(
        "RGB", [b.point(lambda v, k=k: (v * (3 - k)) // 3 + 40 * k) for k, b in enumerate(image.split())]
    )
    draw = ImageDraw.Draw(image)
    for i in range(24):
        x, y, r = (i * 97) % w, (i * 53) % h, 20 + (i * 31) % (min(w, h) // 4)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=((i * 71) % 256, (i * 43) % 256, (i * 29) % 256))
    image = image.filter(ImageFilter.GaussianBlur(1.5))
    grain = Image.effect_noise((w, h), 24).convert("RGB")
    image = Image.blend(image, grain, 0.1)
    exif = Image.Exif()
    if exif_orientation is not None:
        exif[0x0112] = exif_orientation
    image.save(path, format="JPEG", quality=90, exif=exif)
    return path


@dataclass
class Probe:
    codec: str
    profile: str
    pix_fmt: str
    width: int
    height: int
    frames: int
    duration: float  # container, seconds
    stream_duration: float
    fps: float
    colour: tuple[int, int, int, int]  # colorspace, primaries, trc, range
    audio: list[str]
    keyframes: list[int]  # frame indexes


def probe(path: Path) -> Probe:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        cc = s.codec_context
        keyframes = [
            round(float(p.pts * s.time_base) * FPS) for p in c.demux(s) if p.is_keyframe and p.pts is not None
        ]
        return Probe(
            codec=cc.name,
            profile=str(cc.profile),
            pix_fmt=str(cc.pix_fmt),
            width=cc.width,
            height=cc.height,
            frames=s.frames,
            duration=c.duration / 1e6,
            stream_duration=float(s.duration * s.time_base),
            fps=float(s.average_rate),
            colour=(cc.colorspace, cc.color_primaries, cc.color_trc, cc.color_range),
            audio=[a.codec_context.name for a in c.streams.audio],
            keyframes=keyframes,
        )


def decode(path: Path, indexes: set[int]) -> dict[int, Image.Image]:
    out: dict[int, Image.Image] = {}
    with av.open(str(path)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i in indexes:
                out[i] = frame.to_image()
            if len(out) == len(indexes):
                break
    return out


def top_level_boxes(path: Path) -> list[str]:
    data, boxes, at = path.read_bytes(), [], 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
        elif size == 0:
            size = len(data) - at
        boxes.append(kind.decode("latin-1"))
        at += size
    return boxes


def diff(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def leftovers(folder: Path, *keep: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p not in keep)


# --- the main render, shared by several tests: 3 + 5 + 4 s at 720p 16:9 --------------------------


@dataclass
class Rendered:
    storyboard: Storyboard
    video: Path
    poster: Path
    progress: list[float]
    probe: Probe


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    folder = tmp_path_factory.mktemp("animatic")
    sb = board(3, 5, 4)
    sb.shots[1].prompt = LONG_PROMPT[:400]
    video, poster, calls = folder / "take.mp4", folder / "take.jpg", []
    render_animatic(sb, video, resolution="720p", poster_path=poster, progress=calls.append)
    yield Rendered(sb, video, poster, calls, probe(video))


def test_duration_and_frame_count_are_exact(rendered: Rendered) -> None:
    total = rendered.storyboard.total_seconds
    assert total == 12
    assert rendered.probe.frames == total * FPS
    assert rendered.probe.fps == FPS
    assert abs(rendered.probe.duration - total) <= 1 / FPS
    assert abs(rendered.probe.stream_duration - total) <= 1 / FPS


def test_encoding_is_browser_playable(rendered: Rendered) -> None:
    p = rendered.probe
    assert (p.codec, p.pix_fmt) == ("h264", "yuv420p")
    assert p.profile == "High"
    assert (p.width, p.height) == FRAME_SIZES["720p"]["16:9"]
    assert p.colour == (1, 1, 1, 1)  # BT.709 matrix, primaries, transfer; tv range
    assert p.audio == ["aac"]
    boxes = top_level_boxes(rendered.video)
    assert boxes.index("moov") < boxes.index("mdat"), boxes  # faststart


def test_every_shot_starts_on_a_keyframe(rendered: Rendered) -> None:
    assert {0, 3 * FPS, 8 * FPS} <= set(rendered.probe.keyframes)


def test_frames_show_the_storyboard(rendered: Rendered) -> None:
    """Shots differ, the card is the shot's colour (BT.709 round trip), the playhead moves."""
    shot1, shot1_later, shot2, shot3 = 30, 31, 3 * FPS + 30, 8 * FPS + 30
    frames = decode(rendered.video, {shot1, shot1_later, shot2, shot3})
    assert diff(frames[shot1], frames[shot2]) > 5
    assert diff(frames[shot2], frames[shot3]) > 5
    w, h = frames[shot1].size
    for index, colour in ((shot1, SHOT_COLOURS[0]), (shot2, SHOT_COLOURS[1]), (shot3, SHOT_COLOURS[2])):
        pixel = frames[index].getpixel((w - 20, h // 2 - 40))  # right edge, between text and timeline
        assert all(abs(a - b) <= 6 for a, b in zip(pixel, colour, strict=True)), (index, pixel, colour)
    text_area = (0, 0, w, h // 2)
    assert diff(frames[shot1].crop(text_area), frames[shot1_later].crop(text_area)) < 0.5  # static card
    timeline = (0, h - 100, w, h)
    assert diff(frames[shot1].crop(timeline), frames[shot1_later].crop(timeline)) > 0  # playhead moved


def test_progress_is_throttled_and_ends_at_one(rendered: Rendered) -> None:
    calls = rendered.progress
    assert calls[0] == 0.0 and calls[-1] == 1.0
    assert calls == sorted(calls) and all(0 <= c <= 1 for c in calls)
    assert len(calls) <= 2 + 20 * 10  # at most ~20 a second; a render this size takes well under 10 s


def test_poster_is_a_small_jpeg_of_the_first_frame(rendered: Rendered) -> None:
    with Image.open(rendered.poster) as poster:
        assert poster.format == "JPEG"
        assert poster.width == 480 and abs(poster.width / poster.height - 16 / 9) < 0.02
        first = decode(rendered.video, {0})[0].resize(poster.size).convert("RGB")
        assert diff(poster.convert("RGB"), first) < 6


def test_no_temp_files_are_left_behind(rendered: Rendered) -> None:
    assert leftovers(rendered.video.parent) == ["take.jpg", "take.mp4"]


# --- sizes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("aspect", ["16:9", "9:16", "1:1"])
def test_each_aspect_ratio_renders_at_its_frame_size(tmp_path: Path, aspect: str) -> None:
    video = tmp_path / "a.mp4"
    render_animatic(board(3, aspect=aspect), video, resolution="720p")
    p = probe(video)
    assert (p.width, p.height) == FRAME_SIZES["720p"][aspect]
    assert p.frames == 3 * FPS


@pytest.mark.parametrize("resolution", ["720p", "1080p"])
@pytest.mark.parametrize("aspect", ["16:9", "9:16", "1:1"])
def test_output_size_follows_the_storyboard_without_an_image(resolution: str, aspect: str) -> None:
    size = output_size(board(3, aspect=aspect), resolution, None)  # type: ignore[arg-type]
    assert size == FRAME_SIZES[resolution][aspect]
    assert size[0] % 2 == 0 and size[1] % 2 == 0


@pytest.mark.parametrize(
    ("image", "chosen", "expected"),
    [
        ((1080, 1920), "16:9", "9:16"),  # portrait photo
        ((3000, 4000), "16:9", "9:16"),  # 3:4 is nearer 9:16 than 1:1
        ((1920, 1080), "9:16", "16:9"),
        ((3000, 2000), "1:1", "16:9"),
        ((1000, 1100), "16:9", "1:1"),
        ((4000, 3000), "1:1", "1:1"),  # 4:3 sits exactly halfway: the storyboard's choice stands
        ((4000, 3000), "16:9", "16:9"),
    ],
)
def test_output_size_with_a_first_frame_picks_the_nearest_ratio(
    image: tuple[int, int], chosen: str, expected: str
) -> None:
    assert output_size(board(3, aspect=chosen), "1080p", image) == FRAME_SIZES["1080p"][expected]


def test_output_size_rejects_an_unknown_resolution() -> None:
    with pytest.raises(ValueError, match="resolution"):
        output_size(board(3), "4k", None)  # type: ignore[arg-type]


# --- image to video -------------------------------------------------------------------------------


def test_first_frame_fills_the_frame_and_zooms(tmp_path: Path) -> None:
    image = photo(tmp_path / "portrait.jpg", (600, 1000))
    video, poster = tmp_path / "i2v.mp4", tmp_path / "i2v.jpg"
    render_animatic(board(2, 1, aspect="16:9"), video, first_frame=image, poster_path=poster)
    p = probe(video)
    assert (p.width, p.height) == FRAME_SIZES["720p"]["9:16"]  # the image decides, not the storyboard
    assert p.frames == 3 * FPS
    frames = decode(video, {0, 40, 2 * FPS + 10})
    w, h = frames[0].size
    top = (0, 0, w, h // 3)  # above the caption panel
    with Image.open(image) as source:
        expected = ImageOps.fit(source.convert("RGB"), (w, h))  # cover-fit
    assert diff(frames[0].crop(top), expected.crop(top)) < 8  # frame 0 is the photo itself
    assert diff(frames[0].crop(top), frames[40].crop(top)) > 1  # Ken Burns: shot 1 moves
    assert diff(frames[40], frames[2 * FPS + 10]) > 5  # shot 2 looks different
    assert poster.exists()


def test_exif_orientation_is_applied_before_choosing_the_size(tmp_path: Path) -> None:
    image = photo(
        tmp_path / "rotated.jpg", (1000, 600), exif_orientation=6
    )  # stored landscape, shown portrait
    video = tmp_path / "rot.mp4"
    render_animatic(board(3), video, first_frame=image)
    assert (probe(video).width, probe(video).height) == FRAME_SIZES["720p"]["9:16"]


# --- text -----------------------------------------------------------------------------------------


def test_a_2500_character_prompt_renders_on_a_portrait_frame(tmp_path: Path) -> None:
    prompt = LONG_PROMPT[:2500]
    assert len(prompt) == 2500
    video = tmp_path / "long.mp4"
    render_animatic(board(3, aspect="9:16", prompt=prompt), video, resolution="720p")
    assert probe(video).frames == 3 * FPS


@pytest.mark.parametrize("aspect", ["16:9", "9:16", "1:1"])
@pytest.mark.parametrize("first_frame", [False, True], ids=["card", "over-image"])
@pytest.mark.parametrize(
    "prompt", [LONG_PROMPT[:2500], "x" * 700, "W" * 60 + " short"], ids=["2500", "word", "wide"]
)
def test_prompts_stay_inside_the_margins_and_above_the_timeline(
    aspect: str, first_frame: bool, prompt: str
) -> None:
    """Drawn for real: nothing but background left/right of the margins or just above the timeline."""
    w, h = FRAME_SIZES["720p"][aspect]
    frames = animatic._Frames(
        board(3, prompt=prompt), w, h, FPS, Image.new("RGB", (w, h)) if first_frame else None
    )
    m, strip_top, span = frames.margin, frames.strip_top, frames.spans[0]
    if first_frame:
        overlay = frames._overlay(span)
        assert overlay.height <= h
        picture = Image.new("RGB", (w, h))  # a black photo: only text is bright
        picture.paste(overlay, (0, h - overlay.height), overlay)
        ink = picture.convert("L").point(lambda v: 255 if v > 40 else 0)
    else:
        picture = frames._card(span)
        ink = ImageChops.difference(picture, Image.new("RGB", (w, h), SHOT_COLOURS[0])).convert("L")
    band = round(16 * frames.unit)
    for box in ((0, 0, m - 2, strip_top), (w - m + 2, 0, w, strip_top), (0, strip_top - band, w, strip_top)):
        assert ink.crop(box).getbbox() is None, box


def test_text_the_bundled_font_lacks_is_transliterated() -> None:
    assert animatic._printable("Café — naïve “quote”") == "Cafe - naive “quote”"
    assert animatic._printable("tab\there\r\n") == "tab here\n"


def test_a_very_long_word_is_broken_to_fit() -> None:
    font = animatic._font(20)
    lines = animatic._wrap("a" * 500, font, 300)
    assert len(lines) > 1 and all(font.getlength(line) <= 300 for line in lines)
    assert "".join(lines) == "a" * 500


# --- cancel, errors, cleanup ----------------------------------------------------------------------


def test_should_stop_cancels_and_leaves_no_output(tmp_path: Path) -> None:
    checks: list[int] = []

    def stop_after_30() -> bool:
        checks.append(1)
        return len(checks) > 30

    video, poster = tmp_path / "c.mp4", tmp_path / "c.jpg"
    with pytest.raises(RenderCancelled):
        render_animatic(board(3, 3), video, poster_path=poster, should_stop=stop_after_30)
    assert 30 < len(checks) < 6 * FPS  # checked every frame, stopped at once
    assert leftovers(tmp_path) == []


def test_cancel_before_starting_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(RenderCancelled):
        render_animatic(board(3), tmp_path / "c.mp4", should_stop=lambda: True)
    assert leftovers(tmp_path) == []


def test_a_drawing_error_reaches_the_caller_and_leaves_no_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real_card = animatic._Frames._card

    def card_then_fail(self: animatic._Frames, span: animatic._Span) -> Image.Image:
        calls["n"] += 1
        if span.index == 1:
            raise OSError("disk on fire")
        return real_card(self, span)

    monkeypatch.setattr(animatic._Frames, "_card", card_then_fail)
    with pytest.raises(OSError, match="disk on fire"):
        render_animatic(board(2, 2), tmp_path / "e.mp4", poster_path=tmp_path / "e.jpg")
    assert leftovers(tmp_path) == []


def test_an_existing_output_is_replaced_only_when_complete(tmp_path: Path) -> None:
    video = tmp_path / "keep.mp4"
    video.write_bytes(b"previous take")
    with pytest.raises(RenderCancelled):
        render_animatic(board(3), video, should_stop=iter([False] * 10 + [True]).__next__)
    assert video.read_bytes() == b"previous take"
    render_animatic(board(3), video)
    assert probe(video).frames == 3 * FPS


@pytest.mark.parametrize("seconds", [(), (0,), (3, 0)])
def test_a_storyboard_without_playable_shots_is_refused(tmp_path: Path, seconds: tuple[int, ...]) -> None:
    sb = board(*seconds) if seconds else Storyboard(shots=[])
    with pytest.raises(ValueError):
        render_animatic(sb, tmp_path / "x.mp4")
    assert leftovers(tmp_path) == []


def test_rows_padded_differently_are_copied_row_by_row() -> None:
    """The slow path of the strip copy gives the same frame as the fast one."""
    w, h, top = 64, 48, 20
    card = Image.new("RGB", (w, h), (40, 60, 90))
    ImageDraw.Draw(card).rectangle((5, 5, 30, 40), fill=(200, 180, 20))
    strip = Image.new("RGB", (w, 10), (250, 250, 250))
    to_yuv = animatic.VideoReformatter()

    def yuv(image: Image.Image) -> av.VideoFrame:
        return to_yuv.reformat(av.VideoFrame.from_image(image), format="yuv420p", dst_colorspace="ITU709")

    base, strip_frame = animatic._Yuv(yuv(card)), yuv(strip)
    fast = base.with_strip(strip_frame, top)
    padded = animatic._Yuv(yuv(card))  # pretend each row has 16 bytes of padding
    padded.planes = [
        b"".join(plane[r * line : (r + 1) * line] + bytes(16) for r in range(len(plane) // line))
        for plane, line in zip(padded.planes, padded.line_sizes, strict=True)
    ]
    padded.line_sizes = [line + 16 for line in padded.line_sizes]
    slow = padded.with_strip(strip_frame, top)
    for a, b in zip(fast.planes, slow.planes, strict=True):
        assert bytes(a) == bytes(b)
    composed = card.copy()
    composed.paste(strip, (0, top))
    whole = yuv(composed)
    assert bytes(fast.planes[0]) == bytes(whole.planes[0])  # luma: exactly the composed picture
    # Chroma too, but for the row on each side of a strip edge, which swscale's vertical filter blends.
    edges = {top // 2 - 1, top // 2, (top + strip.height) // 2 - 1, (top + strip.height) // 2}
    for ours, theirs in zip(fast.planes[1:], whole.planes[1:], strict=True):
        line = ours.line_size
        rows = {i // line for i, (a, b) in enumerate(zip(bytes(ours), bytes(theirs), strict=True)) if a != b}
        assert rows <= edges
