"""How fast the free Preview provider renders a full 15 s animatic (the issue's goal: >= 5x real time
at 720p, >= 2x at 1080p, on the 2-core project machine).

    .venv/bin/python -m bench.preview_render [--runs 3] [--stress]

Renders a 6-shot, 15 s storyboard (2+3+2+3+2+3 s) at 720p and 1080p, 16:9, without and with a
first frame (a photo-like 1920x1080 JPEG made here: gradient sky, 40 shapes, a 1.5 px blur, grain),
each `--runs` times, into a temporary folder. Prints the median wall time, the real-time factor
(15 s / wall) and the file size. `--stress` adds the worst case for speed: one 15 s shot zooming
into the first frame all the way. Asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from storyboard.animatic import render_animatic
from storyboard.models import Options, Resolution, Shot, Storyboard

GOALS: dict[str, float] = {"720p": 5.0, "1080p": 2.0}
PROMPTS = [
    "Dawn over a rocky coast: a lighthouse on the cliff, waves breaking below, slow push in.",
    "Close-up of the keeper's weathered hands trimming the wick of an oil lamp, warm flicker.",
    "Aerial shot circling the tower as sea fog rolls in from the horizon.",
    "Inside the lamp room: brass gears turning, dust drifting through the beam.",
    "A fishing boat far out at sea; the beam sweeps across its wet deck.",
    "The sun clears the horizon and the light goes dark; the keeper pours a coffee.",
]


def storyboard(seconds: list[int]) -> Storyboard:
    return Storyboard(
        name="Lighthouse",
        shots=[Shot(prompt=PROMPTS[i % len(PROMPTS)], duration=s) for i, s in enumerate(seconds)],
        options=Options(aspect_ratio="16:9"),
    )


def make_photo(path: Path, size: tuple[int, int] = (1920, 1080)) -> Path:
    """A photo-like still: a colour gradient, overlapping soft shapes, a slight blur and 12 % grain."""
    w, h = size
    rng = random.Random(7)
    ramp = Image.linear_gradient("L")
    image = Image.merge(
        "RGB",
        [ramp.resize((w, h)), ramp.rotate(90).resize((w, h)), Image.new("L", (w, h), 150)],
    )
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.randrange(20, w // 6)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(1.5))
    grain = Image.merge("RGB", [Image.effect_noise((w, h), 40) for _ in range(3)])
    Image.blend(image, grain, 0.12).save(path, "JPEG", quality=90)
    return path


def run(
    label: str, board: Storyboard, resolution: Resolution, first_frame: Path | None, folder: Path, runs: int
) -> None:
    times: list[float] = []
    size = 0
    for i in range(runs):
        out = folder / f"{resolution}-{'img' if first_frame else 'card'}-{i}.mp4"
        start = time.perf_counter()
        render_animatic(
            board, out, resolution=resolution, first_frame=first_frame, poster_path=out.with_suffix(".jpg")
        )
        times.append(time.perf_counter() - start)
        size = out.stat().st_size
        out.unlink()
    median = statistics.median(times)
    seconds = board.total_seconds
    print(
        f"{resolution} 16:9, {label}: median {median:.2f} s (runs {'/'.join(f'{t:.2f}' for t in times)})"
        f" = {seconds / median:.1f}x real time, {size / 1e6:.2f} MB (goal >= {GOALS[resolution]:g}x)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stress", action="store_true", help="also render one 15 s shot zooming all along")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="preview-bench-") as tmp:
        folder = Path(tmp)
        photo = make_photo(folder / "first-frame.jpg")
        six_shots = storyboard([2, 3, 2, 3, 2, 3])
        for resolution in ("720p", "1080p"):
            run("6 shots, no image", six_shots, resolution, None, folder, args.runs)
            run("6 shots, first frame", six_shots, resolution, photo, folder, args.runs)
            if args.stress:
                run("1 shot, first frame (stress)", storyboard([15]), resolution, photo, folder, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
