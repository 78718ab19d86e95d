"""A running Preview take's card in the browser follows it through /api/take-progress/<id>
(components/take_watch.py), and reruns the page once it is finished: what that answer says."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.testclient import TestClient

from components.take_watch import route, served
from storyboard import messages
from storyboard.models import JobState, ProviderId, Shot, Storyboard
from storyboard.pricing import priced_take
from storyboard.store import Store


def test_the_card_reads_its_takes_progress_and_learns_when_it_is_done(tmp_path: Path) -> None:
    store = Store(tmp_path / "studio.db")
    sb = Storyboard(provider=ProviderId.PREVIEW, shots=[Shot(prompt="a lighthouse at dusk", duration=3)])
    job = store.create_job(priced_take(sb, state=JobState.QUEUED))[0]
    browser = TestClient(Starlette(routes=[route(lambda: store)]))

    def answer() -> dict[str, object]:
        reply = browser.get(f"/api/take-progress/{job.id}")
        assert reply.status_code == 200 and reply.headers["cache-control"] == "no-store"
        return reply.json()

    assert answer() == {"finished": False, "progress": 0.0, "text": messages.WORKING}
    rendering = messages.progress(True, True, 0.4)
    store.transition(job.id, (JobState.QUEUED,), state=JobState.SUBMITTING)
    store.transition(job.id, (JobState.SUBMITTING,), state=JobState.RUNNING, progress=0.4, message=rendering)
    assert answer() == {"finished": False, "progress": 0.4, "text": "Rendering the animatic… 40%"}
    store.transition(job.id, (JobState.RUNNING,), state=JobState.DOWNLOADING, progress=1.0)
    store.transition(job.id, (JobState.DOWNLOADING,), state=JobState.DONE, message=messages.READY)
    assert answer()["finished"] is True  # the page reruns and shows the video
    # a take that is not there (deleted, or a mistyped address) ends the watching too
    assert browser.get("/api/take-progress/nope").json()["finished"] is True
    # building the route for a test does not switch the app's cards over: only serve.py mounts it
    assert not served()
