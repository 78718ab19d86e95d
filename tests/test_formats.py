"""Formats: the first frame made the chosen format's shape (crop around a focus, pad with bars), the
output shape, and several formats from one Generate (one take each, caps and price for all)."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from test_jobs import ScriptedClient

from storyboard import formats, media
from storyboard.catalog import TURBO_IMAGE_RULES
from storyboard.jobs import GenerateRefused, JobRunner
from storyboard.models import FirstFrame, FrameFit, JobState, ModelId, ProviderId, Shot, Storyboard
from storyboard.runner.admission import PriceChanged
from storyboard.store import Store
from storyboard.takes import group_by_storyboard

RED, BLUE = (220, 20, 20), (20, 20, 220)


def _photo(tmp_path: Path, size: tuple[int, int] = (1600, 900)) -> FirstFrame:
    """A landscape photo, left half red and right half blue, uploaded as a first frame."""
    im = Image.new("RGB", size, BLUE)
    im.paste(Image.new("RGB", (size[0] // 2, size[1]), RED), (0, 0))
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=95)
    checked = media.check_image(buffer.getvalue(), "beach.jpg", TURBO_IMAGE_RULES)
    assert checked.ok
    return media.save_first_frame(checked, tmp_path, "beach.jpg")


def _open(data: bytes | None) -> Image.Image:
    assert data is not None
    return Image.open(io.BytesIO(data)).convert("RGB")


def _mostly(im: Image.Image, colour: tuple[int, int, int]) -> bool:
    average = im.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert isinstance(average, tuple)
    return all(abs(a - c) < 40 for a, c in zip(average, colour, strict=True))


def test_a_crop_to_vertical_is_9_16_and_keeps_the_part_the_focus_points_at(tmp_path: Path) -> None:
    frame = _photo(tmp_path)
    path = tmp_path / frame.path
    left = formats.fitted(path, "beach.jpg", "9:16", FrameFit(mode="crop", focus_x=0.0))
    right = formats.fitted(path, "beach.jpg", "9:16", FrameFit(mode="crop", focus_x=1.0))
    for fitted in (left, right):
        assert fitted.ok and fitted.height == 900
        assert fitted.width / fitted.height == pytest.approx(9 / 16, abs=0.002)
    assert _mostly(_open(left.data), RED) and _mostly(_open(right.data), BLUE)
    assert "Cropped to" in left.notes[0] and "1600×900" in left.notes[0]
    assert (tmp_path / frame.path).stat().st_size == frame.size_bytes  # the upload itself is untouched


def test_a_pad_keeps_the_whole_picture_on_blurred_or_plain_bars(tmp_path: Path) -> None:
    frame = _photo(tmp_path)
    path = tmp_path / frame.path
    plain = formats.fitted(path, "beach.jpg", "9:16", FrameFit(mode="pad", bars="plain"))
    blurred = formats.fitted(path, "beach.jpg", "9:16", FrameFit(mode="pad", bars="blur"))
    for fitted in (plain, blurred):
        assert fitted.ok
        assert fitted.width / fitted.height == pytest.approx(9 / 16, abs=0.002)
    top_plain = _open(plain.data).crop((0, 0, plain.width, 20))
    top_blurred = _open(blurred.data).crop((0, 0, blurred.width, 20))
    assert max(high for _, high in top_plain.getextrema()) < 20  # black bars
    assert max(high for _, high in top_blurred.getextrema()) > 60  # the picture's own colours, blurred
    middle = _open(plain.data).crop((0, plain.height // 2 - 5, plain.width, plain.height // 2 + 5))
    red = middle.crop((0, 0, 10, 10)).resize((1, 1)).getpixel((0, 0))
    blue = middle.crop((middle.width - 10, 0, middle.width, 10)).resize((1, 1)).getpixel((0, 0))
    assert red == pytest.approx(RED, abs=40) and blue == pytest.approx(BLUE, abs=40)  # the whole picture


def test_the_output_shape_follows_the_format_and_the_resolution() -> None:
    sb = Storyboard(provider=ProviderId.WAVESPEED, model=ModelId.TURBO_PRO_I2V)
    vertical = formats.with_formats(sb, ["9:16"])
    assert formats.output_shape(vertical).label == "Vertical · 1080×1920"
    evolink = vertical.model_copy(update={"provider": ProviderId.EVOLINK})
    evolink = evolink.model_copy(
        update={"options": evolink.options.model_copy(update={"resolution": "720p"})}
    )
    assert formats.output_shape(evolink).label == "Vertical · 720×1280"
    three = formats.with_formats(sb, ["1:1", "9:16", "16:9"])
    assert formats.shapes_label(three) == "Landscape · 1920×1080 + Vertical · 1080×1920 + Square · 1080×1080"
    with pytest.raises(ValueError):
        formats.with_formats(sb, [])


def test_each_format_s_take_sends_its_own_fitted_frame_and_keeps_the_upload(tmp_path: Path) -> None:
    frame = _photo(tmp_path)
    sb = Storyboard(provider=ProviderId.FAL, model=ModelId.TURBO_PRO_I2V, first_frame=frame)
    sb = formats.with_formats(sb, ["16:9", "9:16", "1:1"])
    sb = sb.model_copy(update={"frame_fits": {"1:1": FrameFit(mode="pad", bars="plain")}})
    boards = formats.take_storyboards(sb, tmp_path)
    assert [b.options.aspect_ratio for b in boards] == ["16:9", "9:16", "1:1"]
    assert all(b.first_frame == frame for b in boards)  # the upload, as given
    sent = [formats.frame_to_send(b) for b in boards]
    assert sent[0] == frame  # already 16:9: sent as uploaded
    assert sent[1] is not None and sent[1].width / sent[1].height == pytest.approx(9 / 16, abs=0.002)
    assert sent[2] is not None and sent[2].width == sent[2].height == 1600
    assert all((tmp_path / s.path).is_file() for s in sent if s is not None)
    shapes = [formats.take_shape(b) for b in boards]
    assert [s.label for s in shapes if s] == [
        "Landscape · 1920×1080",
        "Vertical · 1080×1920",
        "Square · 1080×1080",
    ]
    # a take from before formats: a landscape frame on a (never chosen) square order; the image decided
    old = boards[2].model_copy(update={"sent_frame": None})
    assert formats.take_shape(old) is None
    # every take of the press is one order, the storyboard's own
    assert {formats.order_key(b) for b in boards} == {formats.order_key(sb)}


# ---- one Generate, several formats -------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "studio.db")


@pytest.fixture
def client(tiny_mp4: Path, store: Store) -> ScriptedClient:
    return ScriptedClient(tiny_mp4)


@pytest.fixture
def runner(store: Store, client: ScriptedClient, tmp_path: Path):
    r = JobRunner(store, tmp_path, {ProviderId.FAL: client}, backoff=0.001)
    yield r
    r.shutdown()


def _order(tmp_path: Path, picked: list[str]) -> Storyboard:
    sb = Storyboard(
        provider=ProviderId.FAL,
        model=ModelId.TURBO_PRO_I2V,
        shots=[Shot(prompt="a bottle on sand", duration=5)],
        first_frame=_photo(tmp_path),
    )
    return formats.with_formats(sb, picked)  # type: ignore[arg-type]


ONE_TAKE = Decimal("0.70")  # fal Turbo, 5 s at $0.14/s (catalog.py)


def test_three_formats_make_three_takes_each_sending_its_own_shape(
    runner: JobRunner, client: ScriptedClient, tmp_path: Path
) -> None:
    sb = _order(tmp_path, ["16:9", "9:16", "1:1"])
    jobs = runner.generate_takes(sb, 1, shown_total=ONE_TAKE * 3)
    assert len(jobs) == 3 and len({job.idempotency_key for job in jobs}) == 3
    done = [runner.wait(job.id, timeout=20) for job in jobs]
    assert all(job.state == JobState.DONE for job in done), [job.message for job in done]
    assert len(client.submits) == 3
    shapes = sorted(round(Image.open(path).width / Image.open(path).height, 2) for path in client.uploads)
    assert shapes == [0.56, 1.0, 1.78]  # 9:16, 1:1, and the 16:9 upload itself


def test_the_caps_are_checked_for_every_format_before_anything_is_written(
    runner: JobRunner, client: ScriptedClient, store: Store, tmp_path: Path
) -> None:
    store.update_caps(lambda caps: caps.with_daily(ONE_TAKE * 2))  # room for two takes, not three
    sb = _order(tmp_path, ["16:9", "9:16", "1:1"])
    with pytest.raises(GenerateRefused, match="cap"):
        runner.generate_takes(sb, 1, shown_total=ONE_TAKE * 3)
    assert store.list_jobs() == [] and client.submits == []


def test_the_price_shown_must_be_the_price_of_every_format(
    runner: JobRunner, client: ScriptedClient, store: Store, tmp_path: Path
) -> None:
    sb = _order(tmp_path, ["16:9", "9:16"])
    with pytest.raises(PriceChanged, match="2 takes"):
        runner.generate_takes(sb, 1, shown_total=ONE_TAKE)  # the button showed one format's price
    assert store.list_jobs() == [] and client.submits == []


def test_pressing_again_while_the_formats_run_finds_the_same_takes(
    runner: JobRunner, client: ScriptedClient, tmp_path: Path
) -> None:
    client.release.clear()  # hold the takes running
    sb = _order(tmp_path, ["9:16", "1:1"])
    first = runner.generate_takes(sb, 1, shown_total=ONE_TAKE * 2)
    second = runner.generate_takes(sb, 1, shown_total=ONE_TAKE * 2)
    client.release.set()
    for job in first:
        runner.wait(job.id, timeout=20)
    assert {job.id for job in second} == {job.id for job in first}
    assert len(client.submits) == 2


def test_the_formats_of_one_generate_are_one_version_told_apart_by_their_format(
    runner: JobRunner, client: ScriptedClient, store: Store, tmp_path: Path
) -> None:
    sb = _order(tmp_path, ["16:9", "9:16", "1:1"])
    for job in runner.generate_takes(sb, 1, shown_total=ONE_TAKE * 3):
        runner.wait(job.id, timeout=20)
    (group,) = group_by_storyboard(store.list_jobs())
    assert group.version_count == 1
    assert sorted(group.label(job.id) for job in group.takes) == [
        "v1 · Landscape",
        "v1 · Square",
        "v1 · Vertical",
    ]
