"""Takes page rerun time with 200 finished takes (goal: page script <= 200 ms server-side).

Writes 200 Preview-like DONE takes into a scratch data dir, each with a real poster JPEG (a
480 px thumbnail, as the runner saves it): 20 storyboards of 10 takes over 3 versions, and then
one storyboard with all 200. Runs the real app under AppTest on the Takes page and times reruns
two ways: the page script alone (wrapping `Page.run`, as bench/editor_rerun.py does) and the whole
AppTest round trip. The first run (which makes each poster's small thumbnail once) is reported
apart. Prints figures; asserts nothing.

    .venv/bin/python -m bench.takes_page
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from bench.page_timing import ms, page_times, round_trips

ROOT = Path(__file__).resolve().parent.parent
TAKES = 200
RUNS = 30


def _fill(data_dir: Path, storyboards: int) -> None:
    """TAKES DONE takes spread over `storyboards` storyboards, each with a poster on disk."""
    from PIL import Image, ImageDraw

    from storyboard.layout import DataDir
    from storyboard.models import JobState, Shot, Storyboard, utcnow
    from storyboard.pricing import priced_take
    from storyboard.store import Store

    layout = DataDir(data_dir)
    store = Store(layout.db)
    posters = layout.posters
    posters.mkdir(parents=True, exist_ok=True)
    boards = [
        Storyboard(name=f"Campaign {n + 1}", shots=[Shot(prompt=f"bottle on sand, take {n}", duration=5)])
        for n in range(storyboards)
    ]
    start = utcnow()
    for i in range(TAKES):
        base = boards[i % storyboards]
        version = (i // storyboards) % 3  # three versions of each storyboard
        sb = base.model_copy(update={"shots": [base.shots[0].model_copy(update={"duration": 3 + version})]})
        job = priced_take(
            sb,
            state=JobState.DONE,
            progress=1.0,
            message="Ready.",
            video_path=f"videos/{i}.mp4",
            poster_path=f"posters/{i}.jpg",
            duration_seconds=float(sb.total_seconds),
            created_at=start - timedelta(minutes=i),
        )
        picture = Image.linear_gradient("L").resize((480, 270)).convert("RGB")
        ImageDraw.Draw(picture).text((20, 20), f"take {i}", fill=(255, 0, 0))
        picture.save(layout.poster(job.id), "JPEG", quality=85)
        store.create_job(job.model_copy(update={"poster_path": layout.relative(layout.poster(job.id))}))


def _measure(label: str, storyboards: int) -> None:
    from streamlit.testing.v1 import AppTest

    from components import runtime

    scratch = Path(tempfile.mkdtemp(prefix="bench-takes-"))
    os.environ["STORYBOARD_DATA_DIR"] = str(scratch / "data")
    _fill(scratch / "data", storyboards)

    with page_times() as times:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.run()
        times.clear()
        at.switch_page("pages/takes.py").run()
        assert not at.exception, at.exception
        first = times[-1]
        for _ in range(3):  # warm up
            at.run()
        times.clear()
        trips = round_trips(at, RUNS)
        rows = len(at.checkbox)  # one Compare box per listed take
    runtime.shutdown()

    print(f"{label}: {TAKES} takes, {rows} listed")
    print(f"  first run (thumbnails made): {first * 1000:.1f} ms")
    print(f"  page script only:            {ms(times)}")
    print(f"  AppTest round trip:          {ms(trips)}")


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    print("Takes page rerun (goal: page script median <= 200 ms)")
    _measure("20 storyboards x 10 takes", 20)
    _measure("1 storyboard x 200 takes", 1)


if __name__ == "__main__":
    main()
