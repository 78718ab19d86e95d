"""Generate -> playing for the free Preview, in the real app in Chromium, against the bench render.

    PYTHONPATH=tests .venv/bin/python -m bench.preview_e2e [--runs 3] [--resolution 720p|1080p]

Issue 11 §5: `bench.preview_render` renders 15 s in 3-6 s, but from Generate to a playing video took
11-29 s in the app. Goal: Generate -> playing within 1.5x of the bench render of the same storyboard.

Starts the app as `make run` does (serve.py, a temporary data folder), opens it in Debian's Chromium
at 1400 x 1000, and `--runs` times (after one warm-up): renders the 6-shot, 15 s storyboard of
`bench.preview_render` in this process (the bench figure, taken right before each run so both see
the same load on a shared machine), then opens that storyboard as a new draft, clicks Generate,
waits for a video whose first frame is decoded, presses play and waits for it to play. The figure
that counts is the median of each run's total / its bench render. Asserts nothing.

Where the time went, per run, from the take's own record and the page: click -> take row created
(the page's rerun), row -> render started (the runner picking the job up, the submit), the render
itself (the Preview renderer's own start and end), render end -> DONE written (the runner noticing;
copy, probe, poster), DONE -> video on the page (the card's next look, the page's rerun, Chromium
drawing it), video on the page -> first frame decoded, -> playing. And the CPU seconds spent from
click to playing by the app (its server process, the render included) and by Chromium, against
the CPU the bench render takes alone: on 2 cores, whatever the page costs is taken from the render.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

from bench.preview_render import storyboard as bench_storyboard
from storyboard.animatic import render_animatic
from storyboard.models import JobState, Options, Storyboard, new_id
from storyboard.store import Store
from tests.e2e.conftest import CHROMIUM_FLAGS, Server, chromium_path

SECONDS = [2, 3, 2, 3, 2, 3]
GOAL_FACTOR = 1.5
_PLAYING = """() => new Promise((resolve, reject) => {
    const v = document.querySelector('[class*="st-key-present"] video') || document.querySelector('video');
    const done = () => resolve(performance.now());
    if (!v.paused && v.readyState >= 3) return done();
    v.addEventListener('playing', done, {once: true});
    v.muted = true;
    v.play().catch(reject);
})"""


_LOADED = """() => {
    const v = document.querySelector('video');
    if (v && v.readyState < 2 && v.preload === 'none' && !v.dataset.asked) { v.dataset.asked = 1; v.load(); }
    return v !== null && v.readyState >= 2;
}"""


def the_storyboard(resolution: str) -> Storyboard:
    sb = bench_storyboard(SECONDS)
    return sb.model_copy(
        update={"name": "Preview speed", "options": Options(aspect_ratio="16:9", resolution=resolution)}
    )


def bench_render(sb: Storyboard, folder: Path) -> tuple[float, float]:
    """The bench render's wall seconds and CPU seconds (this process does nothing else meanwhile)."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    render_animatic(sb, folder / "bench.mp4", resolution=sb.options.resolution)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _ts(value: object) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)  # type: ignore[arg-type]


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_by_process() -> dict[int, tuple[int, float, str]]:
    """pid -> (parent pid, CPU seconds so far, command line) of every process we can read."""
    found: dict[int, tuple[int, float, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # utime + stime, and cutime + cstime: a render process that ended counts in its parent
        used = sum(int(f) for f in fields[11:15]) / _TICK
        found[int(entry.name)] = (int(fields[1]), used, command)
    return found


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU used so far by the app (its server and its children) and by Chromium (this process's
    descendants running chrom*)."""
    processes = _cpu_by_process()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in processes.items():
        children.setdefault(parent, []).append(pid)

    def tree(root: int) -> set[int]:
        seen, stack = set(), [root]
        while stack:
            pid = stack.pop()
            seen.add(pid)
            stack.extend(children.get(pid, []))
        return seen

    app = tree(server_pid)
    browser = {pid for pid in tree(os.getpid()) - app if "chrom" in processes.get(pid, (0, 0, ""))[2]}
    return {
        "app": sum(processes[pid][1] for pid in app if pid in processes),
        "chromium": sum(processes[pid][1] for pid in browser if pid in processes),
    }


def one_run(page, url: str, store: Store, template: Storyboard, server_pid: int) -> dict[str, float]:  # noqa: ANN001
    from playwright.sync_api import expect

    from tests.e2e.steps import settle

    sb = template.model_copy(update={"id": new_id()})  # its own storyboard: no earlier take on the page
    store.save_draft(sb)
    page.goto(f"{url}/?draft={sb.id}")
    button = page.get_by_role("button", name="Generate preview · free")
    expect(button).to_be_enabled(timeout=60_000)
    settle(page)
    expect(page.locator("video")).to_have_count(0)  # a fresh page: no take shown until this one is done
    cpu_before = cpu_seconds(server_pid)
    clicked = time.time()
    button.click()
    page.wait_for_function("() => document.querySelector('video') !== null", timeout=120_000, polling=50)
    shown = time.time()
    loaded = 0.0
    for _attempt in range(5):  # the page's rerun when the take ends may replace the video element
        page.wait_for_function(_LOADED, timeout=120_000, polling=50)
        loaded = loaded or time.time()
        try:
            page.evaluate(_PLAYING)
            break
        except PlaywrightError as exc:
            if "removed from the document" not in str(exc):
                raise
    playing = time.time()
    cpu_after = cpu_seconds(server_pid)
    (job,) = store.list_jobs(storyboard_id=sb.id, limit=50)
    details = store.details(job.id)
    job = store.get_job(job.id) or job
    assert job.state == JobState.DONE, job.message
    created = job.created_at.timestamp()
    render = details.get("completed", {}).get("render", {})  # the Preview renderer's own clock
    started = _ts(render.get("started_at", details.get("submitted_at", created)))
    ended = _ts(render.get("ended_at", details.get("finished_at", started)))
    done = job.updated_at.timestamp()
    return {
        "total": playing - clicked,
        "click->row created": created - clicked,
        "row->render start": started - created,
        "render": ended - started,
        "render end->DONE written": done - ended,
        "DONE->video on page": shown - done,
        "video on page->loaded": loaded - shown,
        "loaded->playing": playing - loaded,
        "app CPU": cpu_after["app"] - cpu_before["app"],
        "Chromium CPU": cpu_after["chromium"] - cpu_before["chromium"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--resolution", choices=["720p", "1080p"], default="1080p")
    args = parser.parse_args(argv)
    chromium = chromium_path()
    if chromium is None:
        print("Chromium not found: apt-get install chromium")
        return 1
    from playwright.sync_api import sync_playwright

    sb = the_storyboard(args.resolution)
    with tempfile.TemporaryDirectory(prefix="preview-e2e-") as tmp:
        folder = Path(tmp)
        bench_render(sb, folder)  # warm-up: imports, fonts
        data = folder / "data"
        data.mkdir()
        store = Store.for_data_dir(data)
        server = Server(data)
        server.start()
        results: list[dict[str, float]] = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(120_000)
                for run in range(args.runs + 1):  # the first is a warm-up: the app's first page imports
                    bench, bench_cpu = bench_render(sb, folder)
                    assert server.proc is not None
                    figures = {
                        "bench render": bench,
                        "bench render CPU": bench_cpu,
                        **one_run(page, server.url, store, sb, server.proc.pid),
                    }
                    figures["ratio"] = figures["total"] / bench
                    if run:
                        results.append(figures)
                    label = "warm-up" if not run else f"run {run}"
                    print(
                        f"{label}: "
                        + ", ".join(f"{k} {v:.2f}" + " s" * (k != "ratio") for k, v in figures.items())
                    )
                browser.close()
        finally:
            server.stop()
    factor = statistics.median(r["ratio"] for r in results)
    verdict = "within" if factor <= GOAL_FACTOR else "OVER"
    print(
        f"Generate -> playing at {args.resolution}: median {statistics.median(r['total'] for r in results):.2f} s "
        f"over {len(results)} runs; median {factor:.2f}x the bench render just before it ({verdict} the "
        f"{GOAL_FACTOR}x goal)"
    )
    for key in results[0]:
        if key not in ("total", "ratio"):
            print(f"  {key}: median {statistics.median(r[key] for r in results):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
