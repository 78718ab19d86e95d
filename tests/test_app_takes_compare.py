"""Takes of one storyboard through the real app: Generate ×N, compare, star, rename, delete."""

from __future__ import annotations

import os
from pathlib import Path

from app_steps import build, generate_button, open_menu, run_until, set_duration, set_prompt
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from components.runtime import runtime
from components.take_actions import _menu_key
from storyboard.models import JobState, ProviderId, Storyboard
from storyboard.pricing import priced_take


def _generate(at: AppTest, takes: int = 1) -> None:
    before = len(runtime().store.list_jobs())
    at.radio(key="w:resolution").set_value("720p").run()
    at.radio(key="w:takes").set_value(takes).run()
    generate_button(at).click().run()
    store = runtime().store
    run_until(
        at,
        lambda: len(store.list_jobs()) == before + takes and all(j.state.finished for j in store.list_jobs()),
    )


def _texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown] + [c.value for c in at.caption]


def test_two_takes_with_different_durations_compared_side_by_side(app: AppTest) -> None:
    build(app, [5])
    _generate(app)
    set_duration(app, 0, 4)
    _generate(app)
    older, newer = sorted(runtime().store.list_jobs(), key=lambda j: j.created_at)
    app.switch_page("pages/takes.py").run()
    assert any("2 takes · 2 versions" in t for t in _texts(app))
    assert len(app.get("video")) == 0
    app.checkbox(key=f"cmp:{older.id}").check().run()
    assert len(app.get("video")) == 0  # one take chosen: nothing to compare yet
    app.checkbox(key=f"cmp:{newer.id}").check().run()
    assert not app.exception, app.exception
    texts = _texts(app)
    assert any("Shot 1 duration 5 s → 4 s" in t for t in texts)
    assert sum(t.startswith("Cost $0.00 · Preview") for t in texts) == 2  # what each cost
    assert len(app.get("video")) == 2
    # each names its shots as it plays, from its own storyboard
    # each names its shots as it plays (the animatic on its pictures; the track is there, off by default)
    assert [[t.label for t in v.proto.subtitles] for v in app.get("video")] == [["Off", "Shots"]] * 2


def test_generate_three_makes_exactly_three_takes_and_a_second_click_none(app: AppTest) -> None:
    build(app, [3])
    app.radio(key="w:resolution").set_value("720p").run()
    app.radio(key="w:takes").set_value(3).run()
    assert generate_button(app).label == "Generate 3 previews · free"
    button = generate_button(app)
    button.click().run()
    assert generate_button(app).label == "Generating…"
    button.click().run()  # a second click, sent before the page showed the first one's answer
    store = runtime().store
    assert len(store.list_jobs()) == 3
    run_until(app, lambda: len(app.get("video")) == 3)
    jobs = store.list_jobs()
    assert len(jobs) == 3 and all(j.state == JobState.DONE for j in jobs)
    assert len({j.idempotency_key for j in jobs}) == 3
    app.switch_page("pages/takes.py").run()
    labels = sorted(m.value.split(" · ")[2] for m in app.markdown if m.value.startswith("**Untitled"))
    assert labels == ["take 1", "take 2", "take 3"]  # three look-alikes, told apart


def test_the_button_shows_the_price_of_all_takes(app: AppTest) -> None:
    build(app, [5])
    app.radio(key="w:provider").set_value(ProviderId.FAL).run()  # Turbo on fal: $0.14/s, 5 s = $0.70
    assert generate_button(app).label == "Generate · $0.70"
    app.radio(key="w:takes").set_value(3).run()
    assert generate_button(app).label == "Generate 3 takes · $2.10"


def _new_session() -> AppTest:
    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/takes.py").run()
    assert not at.exception, at.exception
    return at


def test_star_and_rename_persist_in_a_new_session(app: AppTest) -> None:
    build(app, [3])
    _generate(app)
    (job,) = runtime().store.list_jobs()
    app.switch_page("pages/takes.py").run()
    app.button(key=f"star:{job.id}").click().run()
    open_menu(app, _menu_key(job.id))
    app.button(key=f"rename:{job.id}").click().run()
    app.text_input(key=f"title:{job.id}").input("Keeper, warm light").run()
    assert not app.exception, app.exception
    other = _new_session()
    assert any(m.value.startswith("**Keeper, warm light** · v1") and "★" in m.value for m in other.markdown)
    assert other.button(key=f"star:{job.id}").label == "★"


def test_delete_asks_first_then_removes_the_row_and_its_files(app: AppTest, data_dir: Path) -> None:
    build(app, [3])
    _generate(app)
    (job,) = runtime().store.list_jobs()
    files = [data_dir / job.video_path, data_dir / job.poster_path]
    app.switch_page("pages/takes.py").run()
    assert all(f.exists() for f in files)
    open_menu(app, _menu_key(job.id))
    app.button(key=f"delete:{job.id}").click().run()
    assert any("Delete this take" in w.value for w in app.warning)
    app.button(key=f"delete-no:{job.id}").click().run()
    assert runtime().store.get_job(job.id) is not None
    open_menu(app, _menu_key(job.id))  # picking Delete closed it
    app.button(key=f"delete:{job.id}").click().run()
    app.button(key=f"delete-yes:{job.id}").click().run()
    assert not app.exception, app.exception
    assert runtime().store.get_job(job.id) is None
    assert not any(f.exists() for f in files)
    assert not list((data_dir / "posters").glob(f"{job.id}*"))
    assert f"take-{job.id}" not in str(app.main)
    assert any("No takes yet" in i.value for i in app.info)


def test_a_running_take_is_not_deleted(app: AppTest) -> None:
    sb = Storyboard()
    running = priced_take(sb, state=JobState.RUNNING, message="Rendering the animatic… 40%")
    runtime().store.create_job(running)
    app.switch_page("pages/takes.py").run()
    open_menu(app, _menu_key(running.id))
    app.button(key=f"delete:{running.id}").click().run()
    app.button(key=f"delete-yes:{running.id}").click().run()
    assert any("still being made" in e.value for e in app.error)
    assert runtime().store.get_job(running.id) is not None


def test_a_changed_prompt_is_compared_in_its_old_and_new_words(app: AppTest) -> None:
    build(app, [5])
    _generate(app)
    set_prompt(app, 0, "A red kite over the dunes at noon")
    _generate(app)
    older, newer = sorted(runtime().store.list_jobs(), key=lambda j: j.created_at)
    app.switch_page("pages/takes.py").run()
    app.checkbox(key=f"cmp:{older.id}").check().run()
    app.checkbox(key=f"cmp:{newer.id}").check().run()
    was = " ".join(older.storyboard.shots[0].prompt.split())
    said = [t for t in _texts(app) if "Shot 1 prompt:" in t]
    assert said and was in said[0] and "A red kite over the dunes at noon" in said[0], said
