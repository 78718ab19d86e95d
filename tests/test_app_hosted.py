"""Generate on each hosted provider through the real app (AppTest), against its loopback fake.

The app finds the key in the environment and the fake through the base-URL settings, exactly as a
user's proxy would be configured. The video must end in the page and in the data dir, with one
submit on the provider, and the key must not be written anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from app_steps import build, generate_button, photo, run_until, storyboard
from callback_server import CallbackServer
from fakes.base import FakeServer
from fakes.evolink import FakeEvoLink
from fakes.fal import FakeFal
from fakes.wavespeed import FakeWaveSpeed
from samples import write_mp4
from servers.s3 import CREDENTIALS, S3Server
from streamlit.testing.v1 import AppTest

from components.runtime import runtime
from storyboard.models import JobState, ProviderId
from storyboard.providers.wavespeed import WaveSpeedClient

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = {
    ProviderId.WAVESPEED: (FakeWaveSpeed, "WAVESPEED_API_KEY", ["WAVESPEED_BASE_URL"]),
    ProviderId.FAL: (FakeFal, "FAL_KEY", ["FAL_QUEUE_BASE_URL", "FAL_REST_BASE_URL"]),
    ProviderId.EVOLINK: (FakeEvoLink, "EVOLINK_API_KEY", ["EVOLINK_BASE_URL", "EVOLINK_FILES_BASE_URL"]),
}


@pytest.fixture(params=list(PROVIDERS), ids=lambda p: p.value)
def hosted(
    request: pytest.FixtureRequest, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ProviderId, FakeServer, AppTest]]:
    provider = request.param
    make, key_env, url_envs = PROVIDERS[provider]
    fake = make()
    fake.video_bytes = write_mp4(tmp_path / "result.mp4", frames=48).read_bytes()
    with fake:
        monkeypatch.setenv(key_env, fake.key)
        for name in url_envs:
            monkeypatch.setenv(name, fake.url)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        assert not at.exception, at.exception
        yield provider, fake, at


def test_generate_on_a_hosted_provider_plays_the_video_and_keeps_it(
    hosted: tuple[ProviderId, FakeServer, AppTest], data_dir: Path
) -> None:
    provider, fake, at = hosted
    assert storyboard(at).provider == provider  # with a key set, it is the default, not Preview
    build(at, [5, 5])
    generate_button(at).click().run()
    assert not at.exception, at.exception
    run_until(at, lambda: len(at.get("video")) > 0, timeout=60)
    (job,) = runtime().store.list_jobs()
    assert job.state == JobState.DONE and job.provider == provider
    assert (data_dir / job.video_path).stat().st_size == len(fake.video_bytes)
    assert fake.jobs_created == 1
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert fake.key.encode() not in path.read_bytes(), path

    at.switch_page("pages/takes.py").run()
    (link,) = [c.value for c in at.caption if "'s link](" in c.value]
    assert job.remote_url and job.remote_url in link and "The MP4 is kept here either way." in link
    if provider == ProviderId.EVOLINK:  # the one that publishes how long its links live: 24 h
        assert job.link_expires_at is not None
        hours = (job.link_expires_at - job.created_at).total_seconds() / 3600
        assert 23.9 < hours < 24.1
        assert f"until {job.link_expires_at:%Y-%m-%d %H:%M} UTC" in link
    else:
        assert job.link_expires_at is None and "it does not say" in link


def test_a_second_generate_while_it_runs_submits_nothing_more(
    hosted: tuple[ProviderId, FakeServer, AppTest],
) -> None:
    provider, fake, at = hosted
    build(at, [5, 5])
    generate_button(at).click().run()
    runtime().runner.generate(storyboard(at))  # a second tab, a double click that got through
    run_until(at, lambda: len(at.get("video")) > 0, timeout=60)
    assert fake.jobs_created == 1
    assert len(runtime().store.list_jobs()) == 1


def test_settings_checks_a_wavespeed_key_and_shows_the_balance(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeWaveSpeed() as fake:
        monkeypatch.setenv("WAVESPEED_API_KEY", fake.key)
        monkeypatch.setenv("WAVESPEED_BASE_URL", fake.url)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page("pages/settings.py").run()
        at.button(key="check:wavespeed").click().run()
        assert [s.value for s in at.success] == ["WaveSpeedAI accepted the key. Balance: $12.34."]


def test_settings_says_when_a_wavespeed_key_is_rejected(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeWaveSpeed() as fake:
        monkeypatch.setenv("WAVESPEED_API_KEY", "not-the-right-key")
        monkeypatch.setenv("WAVESPEED_BASE_URL", fake.url)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page("pages/settings.py").run()
        at.button(key="check:wavespeed").click().run()
        (error,) = at.error
        assert "did not accept the API key" in error.value and "not-the-right-key" not in error.value


def test_settings_checks_a_fal_key_with_its_free_token_call(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeFal() as fake:
        for name in ("FAL_QUEUE_BASE_URL", "FAL_REST_BASE_URL"):
            monkeypatch.setenv(name, fake.url)
        monkeypatch.setenv("FAL_KEY", fake.key)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page("pages/settings.py").run()
        at.button(key="check:fal").click().run()
        assert [s.value for s in at.success] == ["fal.ai accepted the key. (It does not report a balance.)"]

        monkeypatch.setenv("FAL_KEY", "wrong-id:wrong-secret")
        from components.runtime import shutdown

        shutdown()  # a restart with the other key
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page("pages/settings.py").run()
        at.button(key="check:fal").click().run()
        (error,) = at.error
        assert "key" in error.value and "wrong-secret" not in error.value
        assert fake.jobs_created == 0  # checking never makes a job


def test_evolink_settings_say_a_key_cannot_be_checked_for_free(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVOLINK_API_KEY", "evo-some-key-0123456789")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/settings.py").run()
    assert any("EvoLink has no free call to check a key" in c.value for c in at.caption)
    assert all(b.key != "check:evolink" for b in at.button)


def test_a_key_typed_on_settings_generates_for_this_session(
    app: AppTest, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key in the environment: the user pastes one on Settings, then generates with it."""
    with FakeFal() as fake:
        fake.video_bytes = write_mp4(tmp_path / "result.mp4", frames=48).read_bytes()
        for name in ("FAL_QUEUE_BASE_URL", "FAL_REST_BASE_URL"):
            monkeypatch.setenv(name, fake.url)
        build(app, [5])
        app.radio(key="w:provider").set_value(ProviderId.FAL).run()
        assert any("add its API key on Settings" in i.value for i in app.info)

        app.switch_page("pages/settings.py").run()
        app.text_input(key="key:fal").input(fake.key).run()
        app.switch_page("pages/editor.py").run()
        assert not any("add its API key on Settings" in i.value for i in app.info)
        generate_button(app).click().run()
        assert not app.exception, app.exception
        run_until(app, lambda: len(app.get("video")) > 0, timeout=60)
        (job,) = runtime().store.list_jobs()
        assert job.state == JobState.DONE and job.provider == ProviderId.FAL
        assert fake.jobs_created == 1
        for path in data_dir.rglob("*"):
            if path.is_file():
                assert fake.key.encode() not in path.read_bytes(), path


def test_a_typed_key_the_provider_refuses_is_not_kept(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeWaveSpeed() as fake:
        monkeypatch.setenv("WAVESPEED_BASE_URL", fake.url)
        app.switch_page("pages/settings.py").run()
        app.text_input(key="key:wavespeed").input("ws-typo-key-0000").run()
        (error,) = app.error
        assert "did not accept the API key" in error.value and "The key was not kept." in error.value
        assert "ws-typo-key-0000" not in error.value
        assert any("No key. Set `WAVESPEED_API_KEY`" in m.value for m in app.markdown)
        app.text_input(key="key:wavespeed").input(fake.key).run()
        assert not app.error
        assert any("Key typed here" in m.value for m in app.markdown)


def test_with_a_public_address_the_take_ends_on_the_providers_call(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """STORYBOARD_PUBLIC_URL reaches the app's runner: the submit asks WaveSpeed to call back, and
    the call (through the app's route) ends the take, long before the first fallback poll (30 s at
    the client's own 1 s interval)."""
    monkeypatch.setattr(WaveSpeedClient, "poll_interval", 1.0)
    server = CallbackServer()
    try:
        with FakeWaveSpeed() as fake:
            fake.video_bytes = write_mp4(tmp_path / "result.mp4", frames=24).read_bytes()
            fake.callback_origins["https://studio.example"] = server.url
            monkeypatch.setenv("WAVESPEED_API_KEY", fake.key)
            monkeypatch.setenv("WAVESPEED_BASE_URL", fake.url)
            monkeypatch.setenv("STORYBOARD_PUBLIC_URL", "https://studio.example")
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
            at.run()
            server.runner = runtime().runner
            build(at, [5])
            generate_button(at).click().run()
            run_until(at, lambda: len(at.get("video")) > 0, timeout=20)
            (submit,) = fake.calls("submit")
            (call,) = fake.callbacks
            assert submit.query["webhook"][0].startswith("https://studio.example/api/callback/wavespeed/")
            assert call.status == 200 and len(fake.calls("result")) == 1 and fake.jobs_created == 1
    finally:
        server.stop()


def test_with_media_in_a_bucket_a_take_plays_and_downloads_from_presigned_links(
    fake: FakeWaveSpeed, bucket: str, s3_server: S3Server, data_dir: Path
) -> None:
    """A team's app: the photo, the result and its poster go to the bucket, none to the data dir,
    and the page plays and downloads the take from links to the bucket (any replica can serve it)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.file_uploader[0].set_value(("product.jpg", photo(), "image/jpeg")).run()
    build(at, [5])
    generate_button(at).click().run()
    assert not at.exception, at.exception
    run_until(at, lambda: len(at.get("video")) > 0, timeout=60)
    (job,) = runtime().store.list_jobs()
    assert job.state == JobState.DONE and fake.jobs_created == 1
    (uploaded,) = fake.uploads.values()  # the first frame, read back from the bucket for the provider
    frame = storyboard(at).first_frame
    assert frame is not None and uploaded[0] == runtime().media.read_bytes(frame.path)

    keys = {o["Key"] for o in s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {f"studio/{job.video_path}", f"studio/{job.poster_path}", f"studio/{frame.path}"}
    assert not [p for p in data_dir.rglob("*") if p.suffix in (".mp4", ".jpg", ".png")]

    (player,) = at.get("video")
    source = player.proto.url  # type: ignore[attr-defined]
    assert source.startswith(f"{s3_server.url}/{bucket}/studio/{job.video_path}?") and "X-Amz-Signature=" in source
    served = httpx.get(source)
    assert served.status_code == 200 and served.content == fake.video_bytes
    (download,) = [b for b in at.get("link_button") if b.proto.label == "Download MP4"]  # type: ignore[attr-defined]
    saved = httpx.get(download.proto.url)  # type: ignore[attr-defined]
    assert saved.content == fake.video_bytes and saved.headers["content-disposition"].startswith("attachment;")

    at.switch_page("pages/takes.py").run()
    assert not at.exception, at.exception
    (poster,) = [i.proto.imgs[0].url for i in at.get("image") if job.poster_path in i.proto.imgs[0].url]  # type: ignore[attr-defined]
    assert httpx.get(poster).content == runtime().media.read_bytes(str(job.poster_path))

    at.switch_page("pages/settings.py").run()
    said = " ".join(m.value for m in at.markdown)
    assert f"the bucket `s3://{bucket}/studio` at {s3_server.url}" in said
    assert all(secret not in said for secret in CREDENTIALS.values())
