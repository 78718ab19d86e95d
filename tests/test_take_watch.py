"""A running Preview take's card in the browser follows it through /api/take-progress/<id>
(components/take_watch.py), and reruns the page once it is finished: what that answer says."""

from __future__ import annotations

import threading
import time
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

    def answer(after: str = "") -> dict[str, object]:
        reply = browser.get(f"/api/take-progress/{job.id}", params={"after": after})
        assert reply.status_code == 200 and reply.headers["cache-control"] == "no-store"
        shown = reply.json()
        assert isinstance(shown.pop("version"), str)
        return shown

    assert answer() == {"finished": False, "progress": 0.0, "text": messages.WORKING}
    rendering = messages.progress(True, True, 0.4)
    store.transition(job.id, (JobState.QUEUED,), state=JobState.SUBMITTING)
    store.transition(job.id, (JobState.SUBMITTING,), state=JobState.RUNNING, progress=0.4, message=rendering)
    assert answer() == {"finished": False, "progress": 0.4, "text": "Rendering the animatic… 40%"}

    # The browser asks for the next change of what it has: the answer comes when the take is done.
    seen = store.get_job(job.id)
    assert seen is not None

    def finish() -> None:
        time.sleep(0.3)  # the request is waiting by then
        store.transition(job.id, (JobState.RUNNING,), state=JobState.DOWNLOADING, progress=1.0)
        store.transition(job.id, (JobState.DOWNLOADING,), state=JobState.DONE, message=messages.READY)

    worker = threading.Thread(target=finish)
    worker.start()
    try:
        answers = []
        version = seen.updated_at.isoformat()
        while not answers or not answers[-1]["finished"]:  # as the browser does: each answer, a change
            reply = browser.get(f"/api/take-progress/{job.id}", params={"after": version}).json()
            version = reply.pop("version")
            answers.append(reply)
        assert answers[-1]["text"] == messages.READY  # the page reruns and shows the video
    finally:
        worker.join()
    # a take that is not there (deleted, or a mistyped address) ends the watching too
    assert browser.get("/api/take-progress/nope").json()["finished"] is True
    # building the route for a test does not switch the app's cards over: only serve.py mounts it
    assert not served()
