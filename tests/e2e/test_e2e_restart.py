"""A crash of the app mid-take: the process is SIGKILLed while Preview renders, then started again on
the same data dir. The take resumes by itself and finishes; nothing is lost and nothing doubles."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.steps import (
    GENERATE,
    VIDEO_TIMEOUT_MS,
    choose_720p,
    jobs_in_db,
    open_editor,
    prompt_box,
    settle,
    shot_card,
    video_facts,
    wait_for_state,
    write_prompt,
)

pytestmark = pytest.mark.e2e


def test_a_take_survives_the_app_being_killed_mid_render(page: Page, server: Server) -> None:
    open_editor(page, server.url)
    # the longest storyboard (15 s), so the kill lands while it renders (at 720p: what is rendered
    # again after the restart costs the suite less); End takes the focused slider to its longest in
    # one rerun (arrow keys would take ten)
    write_prompt(page, 1, "A lighthouse at dusk, the beam sweeps over the waves")
    page.keyboard.press("End")
    expect(shot_card(page, 1)).to_contain_text("Shot 1 · 15 s")
    settle(page)
    choose_720p(page)
    page.get_by_role("button", name=GENERATE).click()
    (job_id, _), *_ = wait_for_state(server.data_dir, {"running"})

    server.kill()  # SIGKILL: no shutdown handlers, the render thread dies with the process
    assert jobs_in_db(server.data_dir) == [(job_id, "running")]
    assert not list(server.data_dir.glob("videos/*.mp4"))

    server.start()
    page.reload()
    expect(prompt_box(page, 1)).to_have_value("A lighthouse at dusk, the beam sweeps over the waves")
    expect(page.locator("video")).to_have_count(1, timeout=VIDEO_TIMEOUT_MS)
    settle(page)
    assert abs(video_facts(page)["duration"] - 15) <= 0.2
    assert jobs_in_db(server.data_dir) == [(job_id, "done")]
    assert len(list((server.data_dir / "videos").glob("*.mp4"))) == 1
