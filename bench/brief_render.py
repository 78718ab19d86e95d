"""How long the one-page brief takes to draw for 6 shots (the issue's goal: <= 1 s, on the 2-core
project machine), as PNG and as PDF, without a take and with a take's video frames.

    .venv/bin/python -m bench.brief_render [--runs 5]

The storyboard is 6 shots, 15 s (2+3+2+3+2+3 s), each with a 512-character prompt (the longest a
shot takes: the most text to wrap and cut). "Take" cases make a take's video once in a temporary
data folder and draw the brief from it, one frame per shot start: the animatic at 720p and 1080p
(a keyframe at every shot start), and a hosted-like 1080p video (a pan over a photo, a keyframe
every 250 frames, so frames must be decoded up to each start). Each case runs `--runs` times after one warm-up (the
fonts are loaded once per process). Prints the median and the slowest wall time, the median CPU
time of this process (less sensitive to a busy machine) and the file size. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
from PIL import Image

from bench.preview_render import make_photo
from storyboard.animatic import render_animatic
from storyboard.brief import brief_pdf, brief_png
from storyboard.catalog import EDITOR_LIMITS, PREVIEW_FPS, offer
from storyboard.models import Job, JobState, Options, Resolution, Shot, Storyboard
from storyboard.pricing import priced_take, quote

GOAL_SECONDS = 1.0
PROMPT = (
    "Dawn over a rocky coast: a lighthouse on the cliff, waves breaking below, slow push in as the "
    "beam sweeps across the water and gulls wheel through the spray. "
) * 5


def storyboard() -> Storyboard:
    return Storyboard(
        name="Lighthouse · spring campaign, brief for approval",
        shots=[
            Shot(prompt=PROMPT[: EDITOR_LIMITS.max_shot_prompt_chars], duration=d) for d in (2, 3, 2, 3, 2, 3)
        ],
        options=Options(aspect_ratio="16:9"),
    )


def _done(board: Storyboard, data_dir: Path, video: Path) -> Job:
    """A finished take of `board` whose video is `video`."""
    return priced_take(board, state=JobState.DONE, video_path=str(video.relative_to(data_dir)))


def take(board: Storyboard, data_dir: Path, resolution: Resolution) -> Job:
    video = data_dir / "videos" / f"take-{resolution}.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    render_animatic(board, video, resolution=resolution)
    return _done(board, data_dir, video)


def hosted_like(board: Storyboard, data_dir: Path, photo: Path) -> Job:
    """A 1080p take as a hosted provider might send it: a camera panning over a photo, one keyframe
    every 250 frames (x264's default), so most shot starts lie deep inside a group of pictures."""
    video = data_dir / "videos" / "hosted-1080p.mp4"
    frames = board.total_seconds * PREVIEW_FPS
    with Image.open(photo) as still:
        wide = still.convert("RGB").resize((2880, 1620))
    with av.open(str(video), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=PREVIEW_FPS, options={"preset": "veryfast", "g": "250"})
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        for i in range(frames):
            x = round((2880 - 1920) * i / frames)
            frame = av.VideoFrame.from_image(wide.crop((x, 270, x + 1920, 1350)))
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return _done(board, data_dir, video)


def measure(label: str, render: Callable[[], bytes], runs: int) -> float:
    render()  # warm-up: fonts, codecs
    walls, cpus, size = [], [], 0
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        size = len(render())
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    median = statistics.median(walls)
    verdict = "ok" if median <= GOAL_SECONDS else "OVER GOAL"
    print(
        f"{label:<38} median {median * 1000:5.0f} ms   slowest {max(walls) * 1000:5.0f} ms   "
        f"CPU {statistics.median(cpus) * 1000:5.0f} ms   {size / 1024:4.0f} KiB   {verdict}"
    )
    return median


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    board = storyboard()
    price = quote(board, offer(board.provider, board.model))
    print(f"Brief of {len(board.shots)} shots, {board.total_seconds} s; goal <= {GOAL_SECONDS:.0f} s each")
    print(f"(load average now: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        takes = {f"animatic {res}": take(board, data_dir, res) for res in ("720p", "1080p")}
        takes["hosted-like 1080p, GOP 250"] = hosted_like(board, data_dir, make_photo(data_dir / "photo.jpg"))
        for fmt, render in (("PNG", brief_png), ("PDF", brief_pdf)):
            measure(f"{fmt}, no take (placeholders)", lambda r=render: r(board, price), args.runs)
            for res, job in takes.items():
                measure(
                    f"{fmt}, take: {res}",
                    lambda r=render, j=job: r(board, price, job=j, data_dir=data_dir),
                    args.runs,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
