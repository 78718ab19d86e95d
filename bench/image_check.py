"""How long checking and normalising a 50 MB camera photo takes, and how much memory it needs.

    .venv/bin/python -m bench.image_check [--runs 3] [--regenerate]

Makes (once, cached in bench/out/, which git ignores) an 8000×6000 JPEG at quality 95 with heavy
colour grain, so it is just under the 50 MB upload limit, with EXIF orientation 6 (a portrait phone
photo). Each run is a fresh subprocess, so its peak RSS (`ru_maxrss`) belongs to that one check; the
baseline is the same child after its imports. Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SIZE = (8000, 6000)
MiB = 1024 * 1024
TARGET_BYTES = 49 * MiB  # just under ImageRules.max_bytes (50 MB), so the check really decodes it
GOAL_SECONDS = 0.8
GOAL_MB = 150


def _grain_image(size: tuple[int, int], sigma: float, tile: tuple[int, int] = (2000, 1500)):
    """A colour gradient under independent per-channel Gaussian grain (tiled: JPEG cannot see repeats)."""
    from PIL import Image, ImageChops

    w, h = size
    tw, th = min(tile[0], w), min(tile[1], h)
    grain = Image.merge("RGB", [Image.effect_noise((tw, th), sigma) for _ in range(3)])
    noise = Image.new("RGB", size)
    for y in range(0, h, th):
        for x in range(0, w, tw):
            noise.paste(grain, (x, y))
    ramp = Image.linear_gradient("L")
    base = Image.merge("RGB", [ramp.resize(size), ramp.rotate(90).resize(size), Image.new("L", size, 120)])
    return ImageChops.add(base, noise, scale=1.0, offset=-128)


def _jpeg_bytes(im, orientation: int | None = None) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    return buffer.getvalue()


def make_big_jpeg(path: Path, regenerate: bool = False) -> tuple[Path, float | None]:
    """The test photo: ~49 MB, 8000×6000, orientation 6. Returns (path, seconds spent making it or None)."""
    if path.is_file() and not regenerate and 45 * MiB <= path.stat().st_size <= 50 * MiB:
        return path, None
    started = time.perf_counter()
    # Calibrate the grain on a small sample: file size per pixel grows with sigma.
    sample = (1000, 750)
    scale = (SIZE[0] * SIZE[1]) / (sample[0] * sample[1])
    low, high = 20.0, 128.0
    for _ in range(7):
        sigma = (low + high) / 2
        predicted = len(_jpeg_bytes(_grain_image(sample, sigma, sample))) * scale
        low, high = (sigma, high) if predicted < TARGET_BYTES else (low, sigma)
    sigma = low
    while True:
        data = _jpeg_bytes(_grain_image(SIZE, sigma), orientation=6)
        if len(data) <= 50 * MiB - 256 * 1024:
            break
        sigma *= 0.9
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path, time.perf_counter() - started


def _child(path: Path) -> None:
    """One measured check in this (fresh) process; prints a JSON line."""
    from PIL import Image

    from storyboard import media
    from storyboard.catalog import TURBO_IMAGE_RULES

    Image.init()  # plugin registration is part of "imports": a running app has done it already
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    data = path.read_bytes()
    after_read_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    checked = media.check_image(data, path.name, TURBO_IMAGE_RULES)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "baseline_kb": baseline_kb,
                "after_read_kb": after_read_kb,
                "peak_kb": peak_kb,
                "ok": checked.ok,
                "problem": checked.problem,
                "width": checked.width,
                "height": checked.height,
                "format": checked.format,
                "out_bytes": len(checked.data or b""),
                "notes": list(checked.notes),
            }
        )
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--regenerate", action="store_true", help="make the test photo again")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--make", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        _child(args.child)
        return
    if args.make is not None:
        _, made_in = make_big_jpeg(args.make, args.regenerate)
        print(json.dumps({"made_in": made_in}))
        return

    # Linux carries ru_maxrss across fork+exec, so this parent stays small: the photo (about 600 MB of
    # work) is made in a subprocess too, and each measuring child then starts from its own baseline.
    path = OUT / "big_8000x6000_o6.jpg"
    make = [sys.executable, "-m", "bench.image_check", "--make", str(path)]
    made = subprocess.run(
        make + (["--regenerate"] if args.regenerate else []),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    made_in = json.loads(made.stdout.strip().splitlines()[-1])["made_in"]
    size_mb = path.stat().st_size / MiB
    how = f"made in {made_in:.1f} s" if made_in is not None else "cached"
    print(
        f"test photo {path.relative_to(ROOT)}: {size_mb:.1f} MB, {SIZE[0]}x{SIZE[1]} JPEG q95, EXIF orientation 6 ({how})"
    )

    results = []
    for _ in range(args.runs):
        done = subprocess.run(
            [sys.executable, "-m", "bench.image_check", "--child", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))

    times = [r["seconds"] for r in results]
    over_imports = [(r["peak_kb"] - r["baseline_kb"]) / 1024 for r in results]
    over_upload = [(r["peak_kb"] - r["after_read_kb"]) / 1024 for r in results]
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(
        f"check+normalise {size_mb:.1f} MB {SIZE[0]}x{SIZE[1]} JPEG: median {statistics.median(times):.2f} s "
        f"(runs {runs}), peak RSS +{statistics.median(over_imports):.0f} MB "
        f"(goal <= {GOAL_SECONDS} s, <= {GOAL_MB} MB)"
    )
    print(
        f"  peak RSS over imports includes the {size_mb:.1f} MB upload held as bytes; the check itself adds "
        f"+{statistics.median(over_upload):.0f} MB; child baseline after imports "
        f"{statistics.median(r['baseline_kb'] for r in results) / 1024:.0f} MB"
    )
    last = results[-1]
    verdict = "usable" if last["ok"] else f"REFUSED: {last['problem']}"
    print(
        f"  output: {last['width']}x{last['height']} {last['format']}, {last['out_bytes'] / 1024:.0f} KB, {verdict}; "
        f"notes: {' '.join(last['notes'])}"
    )


if __name__ == "__main__":
    main()
