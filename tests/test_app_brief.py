"""The brief through the real app (AppTest): its buttons in the editor and on a finished take.

AppTest cannot fetch a download, so the bytes come from `brief_data`, the callable the buttons hand
to `st.download_button`; tests/e2e/test_e2e_brief.py clicks the real button in Chromium.
"""

from __future__ import annotations

from app_steps import build, generate_button, open_menu, run_until, set_prompt, storyboard
from brief_panels import colour_at, count_panels, near, page_of, panel_boxes
from streamlit.testing.v1 import AppTest

from components.brief import brief_data
from components.runtime import runtime
from components.take_actions import _menu_key
from storyboard.animatic import SHOT_COLOURS
from storyboard.brief import panel_layout
from storyboard.models import Job, JobState, Storyboard
from storyboard.pricing import priced_take

PLACEHOLDER = (226, 228, 233)


def brief_labels(at: AppTest) -> dict[str, str]:
    return {b.key: b.label for b in at.get("download_button") if "brief" in (b.key or "")}


def pictures(png: bytes) -> list[tuple[int, int, int]]:
    """The colour just inside each panel's picture, read from the page."""
    image = page_of(png)
    boxes = panel_boxes(image)
    layout = {p.box: p for p in panel_layout(len(boxes), 16 / 9)}
    return [colour_at(image, layout[b].picture[0] + 8, layout[b].picture[1] + 8) for b in boxes]


def editor_brief(at: AppTest, fmt: str = "png") -> bytes:
    sb: Storyboard = storyboard(at)
    return brief_data(fmt, sb)()  # type: ignore[arg-type]


def generate(at: AppTest) -> Job:
    at.radio(key="w:resolution").set_value("720p").run()
    generate_button(at).click().run()
    run_until(at, lambda: len(at.get("video")) > 0)
    (job,) = runtime().store.list_jobs()
    return job


def test_the_editor_offers_the_brief_as_png_and_pdf(app: AppTest) -> None:
    assert brief_labels(app) == {"editor:brief-png": "Brief (PNG)", "editor:brief-pdf": "Brief (PDF)"}
    build(app, [3, 4, 5])
    assert brief_labels(app) == {"editor:brief-png": "Brief (PNG)", "editor:brief-pdf": "Brief (PDF)"}
    assert count_panels(editor_brief(app)) == 3
    assert editor_brief(app, "pdf").startswith(b"%PDF-")


def test_a_finished_take_has_the_brief_with_its_own_frames(app: AppTest) -> None:
    build(app, [3, 4])
    job = generate(app)
    assert job.state == JobState.DONE
    app.switch_page("pages/takes.py").run()
    assert not app.exception, app.exception
    open_menu(app, _menu_key(job.id))  # the take's More menu holds its brief
    assert brief_labels(app) == {
        f"take:{job.id}:brief-png": "Brief (PNG)",
        f"take:{job.id}:brief-pdf": "Brief (PDF)",
    }
    png = brief_data("png", job.storyboard, job)()
    assert count_panels(png) == 2
    # each panel shows the animatic at its shot's start: that shot's card colour
    for seen, colour in zip(pictures(png), SHOT_COLOURS, strict=False):
        assert near(seen, colour), (seen, colour)


def test_the_editors_brief_shows_the_latest_take_even_after_the_storyboard_changes(app: AppTest) -> None:
    build(app, [3, 4])
    assert all(near(c, PLACEHOLDER, 2) for c in pictures(editor_brief(app)))  # no take yet: numbered boxes
    generate(app)
    assert near(pictures(editor_brief(app))[1], SHOT_COLOURS[1])
    set_prompt(app, 1, "a new idea for the second shot")  # a draft now: still the Preview take's pictures
    after = pictures(editor_brief(app))
    assert near(after[0], SHOT_COLOURS[0]) and near(after[1], SHOT_COLOURS[1]), after


def test_a_take_still_running_has_no_brief_yet(app: AppTest) -> None:
    sb = storyboard(app)
    runtime().store.create_job(priced_take(sb, state=JobState.RUNNING, message="Rendering…"))
    app.switch_page("pages/takes.py").run()
    assert not app.exception, app.exception
    (job,) = runtime().store.list_jobs()
    open_menu(app, _menu_key(job.id))  # where a finished take's brief would be
    assert app.button(key=f"rename:{job.id}")  # the menu is open
    assert brief_labels(app) == {}
