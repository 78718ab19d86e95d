"""The Takes page through the real app: every take listed, played, downloaded, reopened."""

from __future__ import annotations

from app_steps import OPEN_MENU, build, generate_button, open_menu, run_until, set_prompt, storyboard
from streamlit.testing.v1 import AppTest

from components.runtime import runtime
from storyboard import takes
from storyboard.models import JobState


def _generate(at: AppTest) -> None:
    at.radio(key="w:resolution").set_value("720p").run()
    generate_button(at).click().run()
    run_until(at, lambda: len(at.get("video")) > 0)


def test_a_finished_take_is_listed_with_its_poster_and_plays(app: AppTest) -> None:
    build(app, [3, 4])
    _generate(app)
    app.switch_page("pages/takes.py").run()
    assert not app.exception, app.exception
    (job,) = runtime().store.list_jobs()
    assert job.state == JobState.DONE
    assert any("Preview" in c.value and "7 s" in c.value for c in app.caption)
    (prompts,) = [c.value for c in app.caption if c.value.startswith("1 · 3 s · ")]
    for n, shot in enumerate(job.storyboard.shots, 1):  # every shot's prompt, not only the first
        assert f"{n} · {shot.duration} s · {shot.prompt}" in prompts
    assert app.image.len == 1  # the poster
    assert len(app.get("video")) == 0  # nothing decodes until asked
    app.button(key=f"play:{job.id}").click().run()
    assert len(app.get("video")) == 1
    assert any(b.label == "Download MP4" for b in app.get("download_button"))  # type: ignore[attr-defined]


def test_open_in_editor_brings_the_takes_storyboard_back(app: AppTest) -> None:
    build(app, [5])
    set_prompt(app, 0, "the version we liked")
    _generate(app)
    app.button(key="w:new-storyboard").click().run()
    assert storyboard(app).shots[0].prompt == ""
    app.switch_page("pages/takes.py").run()
    (job,) = runtime().store.list_jobs()
    app.button(key=f"open:{job.id}").click().run()
    assert not app.exception, app.exception
    assert storyboard(app).shots[0].prompt == "the version we liked"
    assert app.text_area(key=f"w:prompt:{storyboard(app).shots[0].id}").value == "the version we liked"


def test_no_takes_yet_says_how_to_make_one(app: AppTest) -> None:
    app.switch_page("pages/takes.py").run()
    assert any("No takes yet" in i.value for i in app.info)


def test_opening_an_old_take_never_overwrites_the_draft_edited_since(app: AppTest) -> None:
    build(app, [5])
    set_prompt(app, 0, "version 1")
    _generate(app)
    set_prompt(app, 0, "version 2, not generated yet")
    draft_id = storyboard(app).id
    app.switch_page("pages/takes.py").run()
    (job,) = runtime().store.list_jobs()
    app.button(key=f"open:{job.id}").click().run()
    opened = storyboard(app)
    assert opened.shots[0].prompt == "version 1"
    assert opened.id != draft_id and "(take of" in opened.name
    assert runtime().store.load_draft(draft_id).shots[0].prompt == "version 2, not generated yet"
    takes.rename(runtime().store, job.id, "Hero take")
    app.switch_page("pages/takes.py").run()
    app.button(key=f"open:{job.id}").click().run()
    assert storyboard(app).name == "Hero take"  # a renamed take opens under its own name


def test_a_recent_storyboard_can_be_opened_again(app: AppTest) -> None:
    set_prompt(app, 0, "the first idea")
    first = storyboard(app).id
    app.button(key="w:new-storyboard").click().run()
    assert storyboard(app).id != first
    open_menu(app, OPEN_MENU)
    app.button(key=f"w:open:{first}").click().run()
    assert storyboard(app).id == first
    assert storyboard(app).shots[0].prompt == "the first idea"
