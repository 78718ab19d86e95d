"""Two app replicas in real Chromium behave as one app: two `streamlit run serve.py` processes, each
with its own data dir, on one PostgreSQL (tests/servers/postgres.py), one bucket (moto's server,
tests/servers/s3.py) and one `storyboard-worker`, the WaveSpeed fake as the provider.

A storyboard written in replica A opens in replica B; a take generated in A is seen running in B,
then finishing and playing there (its video from the bucket, through a presigned link); and the
daily cap counts what A spent when B's Generate is pressed.
Cost: ~15 s (setup 5-8 s: the two apps start together, the worker beside them; the journey ~9 s),
~45 s once at load average 11; the session's PostgreSQL and moto servers are shared with other tests.
"""

from __future__ import annotations

import os
import secrets
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import warm_start
from fakes.wavespeed import FakeWaveSpeed
from playwright.sync_api import Page, expect
from servers.postgres import PostgresServer
from servers.s3 import S3Server
from waiting import wait_until

from storyboard.catalog import offer
from storyboard.models import JobState, format_usd
from storyboard.pricing import quote
from storyboard.store import Store
from tests.e2e.conftest import ROOT, Server, screenshot
from tests.e2e.hosted_app import paid_generate
from tests.e2e.steps import open_editor, prompt_box, settle, video_facts, write_prompt

pytestmark = pytest.mark.e2e

PROMPT = "A lighthouse beam sweeps over a night sea, wide shot"
HELD = 3600.0  # the fake's take runs until the test lets it end (after B has seen it running)


@dataclass
class Replicas:
    a: Server
    b: Server
    fake: FakeWaveSpeed
    store: Store
    bucket: str


@pytest.fixture
def replicas(
    postgres_server: PostgresServer, s3_server: S3Server, tiny_mp4: Path, tmp_path: Path
) -> Iterator[Replicas]:
    database = postgres_server.create_database(f"replicas_{secrets.token_hex(4)}")
    bucket = s3_server.make_bucket()
    fake = FakeWaveSpeed(key=f"ws-e2e-{secrets.token_hex(16)}", job_seconds=HELD)
    fake.video_bytes = tiny_mp4.read_bytes()
    fake.start()
    team = {
        "STORYBOARD_DATABASE_URL": database,
        **s3_server.env(bucket),
        "WAVESPEED_API_KEY": fake.key,
        "WAVESPEED_BASE_URL": fake.url,
    }
    worker_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("STORYBOARD_", "WAVESPEED", "FAL"))
    }
    worker_env.update(team, PYTHONPATH=str(ROOT), STORYBOARD_DATA_DIR=str(tmp_path / "worker"))
    # started first: it loads while the apps do (forked as the apps are: tests/warm_start.py)
    worker = warm_start.start(
        [str(ROOT / "tests" / "worker_process.py")], worker_env, tmp_path, tmp_path / "worker.log"
    )
    a, b = Server(tmp_path / "a" / "data", env=team), Server(tmp_path / "b" / "data", env=team)
    store = Store(database)
    try:
        with ThreadPoolExecutor(2) as starting:  # both at once: most of a start is waiting on imports
            list(starting.map(Server.start, (a, b)))
        yield Replicas(a, b, fake, store, bucket)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
        for server in (a, b):
            server.stop()
        store.close()
        fake.stop()
        postgres_server.drop_database(database.rsplit("/", 1)[1])
    for server in (a, b):  # an exception in a script run in either replica fails the test
        log_text = server.log.read_text(errors="replace") if server.log.exists() else ""
        assert "Uncaught app execution" not in log_text, log_text[-3000:]


def test_a_take_generated_in_one_replica_runs_and_plays_in_the_other_and_caps_count_both(
    page: Page, replicas: Replicas
) -> None:
    a, b, fake, store = replicas.a, replicas.b, replicas.fake, replicas.store
    open_editor(page, a.url)
    write_prompt(page, 1, PROMPT)
    sb = store.latest_draft()
    assert sb is not None and sb.shots[0].prompt == PROMPT  # saved by A, in the shared database
    price = quote(sb, offer(sb.provider, sb.model)).total
    assert price > 0
    # One take fits today's cap, a second does not: whichever replica the second is pressed in.
    cap = (price * Decimal("1.5")).quantize(Decimal("0.01"))
    store.update_caps(lambda caps: caps.with_daily(cap))
    paid_generate(page).click()
    wait_until(lambda: fake.submits_by_key, timeout=60, what="the worker to send A's take")

    other = page.context.new_page()  # replica B: another app process, another origin
    other.goto(b.url)  # no ?draft=: the last edited storyboard, which A saved
    expect(prompt_box(other, 1)).to_have_value(PROMPT)
    assert other.url.endswith(f"draft={sb.id}")
    card = other.locator(".st-key-latest-card")
    expect(card.get_by_test_id("stProgress")).to_be_visible()  # running, as B reads it from the store
    expect(card.locator("video")).to_have_count(0)
    screenshot(other, "replica-b-running")

    for job in fake.jobs.values():  # the provider finishes the take now
        job.job_seconds = 0.01
    expect(card.locator("video")).to_have_count(1, timeout=60_000)
    facts = video_facts(other)
    assert facts["readyState"] >= 2  # decoded in B's page
    assert facts["src"].startswith(
        f"{b.env['STORYBOARD_S3_ENDPOINT_URL']}/{replicas.bucket}/"
    )  # from the bucket
    settle(other)
    screenshot(other, "replica-b-finished")

    paid_generate(other).click()  # a second take, pressed in B: A's take is in today's spend
    expect(other.get_by_test_id("stAlertContentError")).to_contain_text(
        f"today's spend is {format_usd(price)} of your {format_usd(cap)} daily cap"
    )
    (take,) = store.list_jobs()
    assert take.state == JobState.DONE
    assert len(fake.calls("submit")) == 1
    expect(page.locator(".st-key-latest-card video")).to_have_count(1)  # and A shows it too
