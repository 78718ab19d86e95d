"""The job runner starts with the server, not with the first visitor (issue 9, defect 4).

A paid take is running on a loopback WaveSpeed fake when the app is SIGKILLed. The app is started
again and no browser opens any page: the take is followed and its MP4 lands in the data folder all
the same, sent once."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.hosted_app import HostedApp, paid_generate
from tests.e2e.steps import jobs_in_db, open_editor, write_prompt
from tests.e2e.test_e2e_hosted import videos, wait_for_state

pytestmark = pytest.mark.e2e


def test_a_running_take_is_collected_after_a_restart_with_no_page_open(page: Page, hosted: HostedApp) -> None:
    hosted.fake.job_seconds = 8  # long enough to be killed mid-take
    open_editor(page, hosted.server.url)
    write_prompt(page, 1, "A night train crosses a snowy bridge, lit windows in a row")
    paid_generate(page).click()
    ((job_id, _),) = wait_for_state(hosted.server.data_dir, {"running"})
    page.close()  # from here on, no page open at all

    hosted.server.kill()
    assert jobs_in_db(hosted.server.data_dir) == [(job_id, "running")]
    assert videos(hosted.server.data_dir) == []

    hosted.server.start()  # nobody visits
    assert wait_for_state(hosted.server.data_dir, {"done", "failed", "unknown"}, timeout=60) == [
        (job_id, "done")
    ]
    assert len(videos(hosted.server.data_dir)) == 1
    assert hosted.submits == 1  # followed, never sent again
