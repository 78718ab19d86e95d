"""How long exports and imports take, at the largest a storyboard gets: 6 shots of 512-character
prompts and a first frame at the largest size the app stores (2048 px on the long side), as a
grainy photo saved as PNG (the worst case for its size, so the base64 inside the JSON is as big as
it gets). Also the panel's own cost on each editor rerun: its downloads are built only when clicked,
so a rerun pays for one file check at most. Prints figures; asserts nothing.

    .venv/bin/python -m bench.exports [--runs 20]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from storyboard import exports, media
from storyboard.catalog import EDITOR_LIMITS, TURBO_IMAGE_RULES
from storyboard.models import ModelId, ProviderId, Shot, Storyboard


def _storyboard(data_dir: Path) -> Storyboard:
    grain = Image.merge("RGB", [Image.effect_noise((2048, 1152), 60) for _ in range(3)])
    buffer = io.BytesIO()
    grain.save(buffer, "PNG")
    checked = media.check_image(buffer.getvalue(), "grain.png", TURBO_IMAGE_RULES)
    assert checked.ok, checked.problem
    frame = media.save_first_frame(checked, data_dir, "grain.png")
    n = EDITOR_LIMITS.max_shots
    return Storyboard(
        name="Benchmark",
        shots=[
            Shot(prompt=("A wave rolls in, " * 40)[: EDITOR_LIMITS.max_shot_prompt_chars], duration=2)
            for _ in range(n)
        ],
        model=ModelId.TURBO_PRO_I2V,
        provider=ProviderId.FAL,
        first_frame=frame,
    )


def _time(runs: int, work: Callable[[], Any]) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, max(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    here = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    sb = _storyboard(here / "a")
    assert sb.first_frame is not None
    text = exports.export_storyboard(sb, here / "a")
    rows = [
        ("export storyboard JSON", lambda: exports.export_storyboard(sb, here / "a")),
        ("import it (check + store the frame)", lambda: exports.import_storyboard(text, here / "b")),
        ("cURL script, one provider", lambda: exports.curl_script(sb, ProviderId.FAL)),
        ("Python script, one provider", lambda: exports.python_script(sb, ProviderId.FAL)),
        ("zip of every provider's requests", lambda: exports.all_requests_zip(sb)),
        ("panel per rerun (first-frame file check)", lambda: exports.first_frame_missing(sb, here / "a")),
    ]
    print(
        f"storyboard: {len(sb.shots)} shots, first frame {sb.first_frame.width}×{sb.first_frame.height} PNG, "
        f"{sb.first_frame.size_bytes / 2**20:.1f} MB; JSON {len(text.encode()) / 2**20:.1f} MB; {runs} runs"
    )
    for label, work in rows:
        median, worst = _time(runs, work)
        print(f"{label:42s} median {median:8.2f} ms   max {worst:8.2f} ms")


if __name__ == "__main__":
    main()
