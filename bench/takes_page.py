"""Takes page rerun time with 200 finished takes (goal: page script <= 200 ms server-side).

Writes 200 Preview-like DONE takes into a scratch data dir, each with a real poster JPEG (a
480 px thumbnail, as the runner saves it): 20 storyboards of 10 takes over 3 versions, and then
one storyboard with all 200. Runs the real app under AppTest on the Takes page and times reruns
two ways: the page script alone (wrapping `Page.run`, as bench/editor_rerun.py does) and the whole
AppTest round trip. The first run (which makes each poster's small thumbnail once) is reported
apart. Prints figures; asserts nothing.

    .venv/bin/python -m bench.takes_page
    .venv/bin/python -m bench.takes_page --postgres     # 100,000 takes in a throwaway PostgreSQL

With `--postgres` (issue 12: page script <= 200 ms with 100,000 takes in PostgreSQL) the app runs
on a throwaway cluster (tests/servers/postgres.py) bulk-loaded with 100,000 DONE takes over 500
storyboards (bench/pg_takes.py), the newest 200 (the ones the page lists) with posters on disk.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from bench.page_timing import ms, page_times, round_trips
from bench.pg_takes import bulk_load, throwaway_postgres
from storyboard.models import Job
from storyboard.settings import DATABASE_URL_ENV

ROOT = Path(__file__).resolve().parent.parent
TAKES = 200
RUNS = 30


def _takes(data_dir: Path, storyboards: int, count: int = TAKES, run: int = 1) -> Iterator[Job]:
    """`count` DONE takes spread over `storyboards` storyboards in runs of `run` takes of one
    storyboard, newest first, the newest TAKES (all the page lists) each with a poster on disk."""
    from PIL import Image, ImageDraw

    from storyboard.layout import DataDir
    from storyboard.models import JobState, Shot, Storyboard, utcnow
    from storyboard.pricing import priced_take

    layout = DataDir(data_dir)
    posters = layout.posters
    posters.mkdir(parents=True, exist_ok=True)
    boards = [
        Storyboard(name=f"Campaign {n + 1}", shots=[Shot(prompt=f"bottle on sand, take {n}", duration=5)])
        for n in range(storyboards)
    ]
    start = utcnow()
    for i in range(count):
        base = boards[(i // run) % storyboards]
        version = (i // storyboards if run == 1 else i) % 3  # three versions of each storyboard
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
        if i >= TAKES:
            yield job.model_copy(update={"poster_path": None})
            continue
        picture = Image.linear_gradient("L").resize((480, 270)).convert("RGB")
        ImageDraw.Draw(picture).text((20, 20), f"take {i}", fill=(255, 0, 0))
        picture.save(layout.poster(job.id), "JPEG", quality=85)
        yield job.model_copy(update={"poster_path": layout.relative(layout.poster(job.id))})


def _measure(
    label: str, storyboards: int, database_url: str | None = None, count: int = TAKES, run: int = 1
) -> None:
    from streamlit.testing.v1 import AppTest

    from components import runtime

    scratch = Path(tempfile.mkdtemp(prefix="bench-takes-"))
    os.environ["STORYBOARD_DATA_DIR"] = str(scratch / "data")
    if database_url is None:
        from storyboard.layout import DataDir
        from storyboard.store import Store

        store = Store(DataDir(scratch / "data").db)
        for job in _takes(scratch / "data", storyboards):
            store.create_job(job)
        store.close()
    else:
        os.environ[DATABASE_URL_ENV] = database_url
        _, seconds = bulk_load(database_url, _takes(scratch / "data", storyboards, count, run))
        print(f"({count} takes loaded in {seconds:.1f} s)")

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

    print(f"{label}: {count} takes, {rows} listed (load average {os.getloadavg()[0]:.1f})")
    print(f"  first run (thumbnails made): {first * 1000:.1f} ms")
    print(f"  page script only:            {ms(times)}")
    print(f"  AppTest round trip:          {ms(trips)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true", help="100,000 takes in a throwaway PostgreSQL")
    args = parser.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    print("Takes page rerun (goal: page script median <= 200 ms)")
    if args.postgres:
        with throwaway_postgres() as url:
            # the page lists the newest 200: 20 storyboards x 10, as in the SQLite figures below
            _measure("PostgreSQL, 500 storyboards x 200 takes, in runs of 10", 500, url, 100_000, run=10)
        return
    _measure("20 storyboards x 10 takes", 20)
    _measure("1 storyboard x 200 takes", 1)


if __name__ == "__main__":
    main()
