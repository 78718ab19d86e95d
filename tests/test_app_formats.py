"""Formats through the real app (AppTest) on a loopback WaveSpeed fake (issue 11, items 1 and 2): a
9:16 order with a landscape photo sends a 9:16 first frame, and one Generate makes a take per
ticked format, at the price of all of them."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from app_steps import build, generate_button, photo, run_until, storyboard
from fakes.wavespeed import FakeWaveSpeed
from PIL import Image
from streamlit.testing.v1 import AppTest

from components import runtime
from storyboard.models import ModelId, ProviderId, format_usd

ROOT = Path(__file__).resolve().parent.parent


def _with_landscape_photo() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    build(at, [5])
    at.file_uploader[0].set_value(("beach.jpg", photo((1600, 900)), "image/jpeg")).run()
    assert not at.exception, at.exception
    sb = storyboard(at)
    assert sb.model == ModelId.TURBO_PRO_I2V and sb.provider == ProviderId.WAVESPEED
    return at


def _tick(at: AppTest, aspect: str, on: bool) -> None:
    at.checkbox(key=f"w:format:{aspect}").set_value(on).run()
    assert not at.exception, at.exception


def _texts(at: AppTest) -> str:
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_a_vertical_order_with_a_landscape_photo_sends_a_vertical_frame_and_keeps_the_photo(
    fake: FakeWaveSpeed,
) -> None:
    at = _with_landscape_photo()
    assert "Landscape · 1920×1080" in _texts(at)  # the photo is 16:9 already: nothing to fit
    _tick(at, "9:16", True)
    _tick(at, "16:9", False)
    assert storyboard(at).options.aspect_ratio == "9:16"
    texts = _texts(at)
    assert "Vertical · 1080×1920" in texts and "Output: Vertical · 1080×1920" in texts
    assert "Landscape ·" not in texts  # no landscape take is ordered any more
    # the crop/pad choice for the vertical take, cropped by default
    assert at.radio(key="w:fit:9:16:mode").value == "crop"
    at.slider(key="w:fit:9:16:focus").set_value(0).run()  # keep the left of the photo
    assert storyboard(at).frame_fits["9:16"].focus_x == 0.0
    assert generate_button(at).label == "Generate · $0.70"
    generate_button(at).click().run()
    run_until(at, lambda: len(at.get("video")) > 0, timeout=60)

    (upload,) = fake.uploads.values()
    sent = Image.open(io.BytesIO(upload[0]))
    assert sent.width / sent.height == pytest.approx(9 / 16, abs=0.002) and sent.height == 900
    (job,) = runtime.runtime().store.list_jobs()
    assert job.storyboard.options.aspect_ratio == "9:16"
    assert job.storyboard.first_frame is not None and job.storyboard.first_frame.width == 1600  # kept
    assert storyboard(at).first_frame.width == 1600  # the draft still holds the photo as uploaded


def test_three_formats_make_three_takes_from_one_generate_at_the_price_of_three(fake: FakeWaveSpeed) -> None:
    at = _with_landscape_photo()
    _tick(at, "9:16", True)
    _tick(at, "1:1", True)
    assert "Landscape · 1920×1080 + Vertical · 1080×1920 + Square · 1080×1080" in _texts(at)
    assert generate_button(at).label == "Generate 3 takes · $2.10"  # 3 × 5 s at $0.14/s
    # each format needing a fit has its own choice: pad the square one
    at.radio(key="w:fit:1:1:mode").set_value("pad").run()
    assert storyboard(at).frame_fits["1:1"].mode == "pad" and "9:16" not in storyboard(at).frame_fits
    generate_button(at).click().run()
    run_until(at, lambda: len(at.get("video")) >= 3, timeout=90)

    assert len(fake.calls("submit")) == 3
    jobs = runtime.runtime().store.list_jobs()
    assert sorted(job.storyboard.options.aspect_ratio for job in jobs) == ["16:9", "1:1", "9:16"]
    sent = sorted(
        round(im.width / im.height, 2) for im in (Image.open(io.BytesIO(d)) for d, _ in fake.uploads.values())
    )
    assert sent == [0.56, 1.0, 1.78]


def test_the_last_ticked_format_stays_ticked(fake: FakeWaveSpeed) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    _tick(at, "16:9", False)
    assert at.checkbox(key="w:format:16:9").value
    assert any("at least one format" in c.value for c in at.caption)


def test_a_format_ticked_in_the_same_instant_as_generate_sends_nothing_and_says_the_new_price(
    fake: FakeWaveSpeed,
) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    build(at, [5])
    assert generate_button(at).label == "Generate · $0.70"
    at.checkbox(key="w:format:9:16").set_value(True)
    generate_button(at).click()  # pressed while it still said one take at $0.70
    at.run()
    assert fake.calls("submit") == [] and runtime.runtime().store.list_jobs() == []
    assert [e.value for e in at.error] == [
        "You now chose 2 takes ($1.40; the button said 1), so nothing was sent: press Generate again to go ahead."
    ]
    assert generate_button(at).label == "Generate 2 takes · $1.40"


def test_two_takes_in_three_formats_are_six_takes_all_shown_as_the_latest(fake: FakeWaveSpeed) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    build(at, [5])
    _tick(at, "9:16", True)
    _tick(at, "1:1", True)
    at.radio(key="w:takes").set_value(2).run()
    assert generate_button(at).label == "Generate 6 takes · $4.20"
    generate_button(at).click().run()
    run_until(at, lambda: len(at.get("video")) >= 6, timeout=90)
    assert len(fake.calls("submit")) == 6
    assert any(h.value == "Present · latest 6 takes" for h in at.subheader)


def test_the_timeline_s_price_counts_every_format(fake: FakeWaveSpeed) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    build(at, [5])
    _tick(at, "9:16", True)
    _tick(at, "1:1", True)
    (element,) = at.get("bidi_component")
    handed = json.loads(element.proto.json)  # what the timeline prices from while dragging
    rate = Decimal(handed["rates"]["usd_per_second"])
    assert handed["count"] == 3
    assert generate_button(at).label == f"Generate 3 takes · {format_usd(rate * 5 * handed['count'])}"
