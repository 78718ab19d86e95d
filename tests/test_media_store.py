"""Where videos, posters and first frames are kept: the same behaviour on the data dir and on an
S3-compatible bucket (moto's server on 127.0.0.1, tests/servers/s3.py), then what only a bucket
does: parts, presigned links, its errors as sentences."""

from __future__ import annotations

import io
import shutil
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from PIL import Image
from servers.s3 import CREDENTIALS, S3Server
from waiting import wait_until

from storyboard import media, takes
from storyboard.catalog import TURBO_IMAGE_RULES
from storyboard.compile import CompiledRequest
from storyboard.exports import first_frame_missing
from storyboard.media_store import (
    URL_SECONDS,
    BucketMedia,
    LocalMedia,
    MediaProblem,
    MediaStore,
    MediaUnavailable,
    media_for,
)
from storyboard.models import JobState, ProviderId, Shot, Storyboard
from storyboard.multipart import PART_BYTES
from storyboard.pricing import priced_take
from storyboard.providers.base import ProviderClient, RemoteStatus, Submission
from storyboard.runner.driver import Driver
from storyboard.runner.policies import Policies
from storyboard.store import Store


@pytest.fixture
def kept(media_in: str, data_dir: Path) -> MediaStore:
    """The media store the settings choose: the data dir, or a fresh bucket on the emulator."""
    chosen = media_for(data_dir)
    assert isinstance(chosen, LocalMedia if media_in == "data dir" else BucketMedia)
    return chosen


def test_a_file_is_there_whole_once_saved_and_not_before(kept: MediaStore) -> None:
    with kept.saving("videos/a.mp4") as part:
        part.write_bytes(b"video" * 1000)
        assert not kept.exists("videos/a.mp4")  # nobody sees half a video
    assert kept.size("videos/a.mp4") == 5000
    assert kept.read_bytes("videos/a.mp4") == b"video" * 1000
    with kept.local("videos/a.mp4") as path:
        assert path.read_bytes() == b"video" * 1000
    kept.delete("videos/a.mp4")
    assert not kept.exists("videos/a.mp4")


def test_a_save_that_fails_keeps_nothing(kept: MediaStore, data_dir: Path) -> None:
    with pytest.raises(RuntimeError), kept.saving("videos/b.mp4") as part:
        part.write_bytes(b"half a vid")
        raise RuntimeError("the download broke")
    assert not kept.exists("videos/b.mp4")
    assert not [p for p in data_dir.rglob("*") if p.is_file() and "b.mp4" in p.name]


def test_a_missing_file_is_said_to_be_missing(kept: MediaStore) -> None:
    assert kept.size("posters/none.jpg") is None and not kept.exists("posters/none.jpg")
    with pytest.raises(FileNotFoundError):
        kept.read_bytes("posters/none.jpg")
    with pytest.raises(FileNotFoundError), kept.local("posters/none.jpg"):
        pass
    kept.delete("posters/none.jpg")  # nothing to delete: no error


# ---- a take's result, through the driver ---------------------------------------------------------


class Result(ProviderClient):
    """A provider whose take is done and whose result link serves `video`."""

    provider = ProviderId.FAL
    free = False
    poll_interval = 0.001

    def __init__(self, video: bytes) -> None:
        self.video = video
        self.downloads = 0

    def upload_image(self, path: Path) -> str:
        return f"https://files.example/{path.name}"

    def submit(self, request: CompiledRequest, idempotency_key: str) -> Submission:
        raise AssertionError("never sent in these tests")

    def status(self, submission: Submission) -> RemoteStatus:
        return RemoteStatus(state="completed", video_url="https://cdn.example/out.mp4")

    def download(self, url: str, dest: Path) -> None:
        self.downloads += 1
        dest.write_bytes(self.video)


def _downloading(data_dir: Path) -> tuple[Store, str]:
    store = Store.for_data_dir(data_dir)
    sb = Storyboard(name="Beach", provider=ProviderId.FAL, shots=[Shot(prompt="waves", seconds=5)])
    job = store.create_job(priced_take(sb, state=JobState.DOWNLOADING, remote_url="https://cdn.example/out.mp4"))
    return store, job[0].id


def _driver(store: Store, data_dir: Path, client: ProviderClient) -> Driver:
    stopping = threading.Event()
    return Driver(store, data_dir, client, Policies(0.001, stopping), stopping=stopping)


def test_a_result_is_kept_with_its_poster_under_the_layouts_names(
    kept: MediaStore, media_in: str, data_dir: Path, tiny_mp4: Path
) -> None:
    store, job_id = _downloading(data_dir)
    client = Result(tiny_mp4.read_bytes())
    job = store.get_job(job_id)
    assert job is not None
    assert _driver(store, data_dir, client).download(job) == JobState.DONE
    job = store.get_job(job_id)
    assert job is not None and job.duration_seconds == pytest.approx(1.0, abs=0.1)
    assert (job.video_path, job.poster_path) == (f"videos/{job_id}.mp4", f"posters/{job_id}.jpg")
    assert kept.read_bytes(job.video_path) == tiny_mp4.read_bytes()
    assert kept.read_bytes(job.poster_path)[:2] == b"\xff\xd8"  # a JPEG
    assert (data_dir / job.video_path).exists() == (media_in == "data dir")  # a bucket's stay out of it

    # deleted: its video and poster go from where they are kept
    assert takes.delete(store, data_dir, job_id) is None
    assert not kept.exists(job.video_path) and not kept.exists(job.poster_path)
    store.close()


def test_a_result_that_is_not_a_video_fails_the_take_and_keeps_nothing(
    kept: MediaStore, data_dir: Path
) -> None:
    store, job_id = _downloading(data_dir)
    job = store.get_job(job_id)
    assert job is not None
    assert _driver(store, data_dir, Result(b"<html>not found</html>")).download(job) == JobState.FAILED
    assert not kept.exists(f"videos/{job_id}.mp4") and not kept.exists(f"posters/{job_id}.jpg")
    assert store.details(job_id)["charged"] is True
    store.close()


def test_a_result_saved_before_a_restart_is_not_downloaded_again(
    kept: MediaStore, data_dir: Path, tiny_mp4: Path
) -> None:
    store, job_id = _downloading(data_dir)
    with kept.saving(f"videos/{job_id}.mp4") as part:
        shutil.copyfile(tiny_mp4, part)
    client = Result(b"the link has expired since")
    job = store.get_job(job_id)
    assert job is not None
    assert _driver(store, data_dir, client).download(job) == JobState.DONE
    assert client.downloads == 0 and kept.exists(f"posters/{job_id}.jpg")
    store.close()


def test_a_first_frame_is_kept_by_its_content_and_found_again(kept: MediaStore, data_dir: Path) -> None:
    photo = io.BytesIO()
    Image.new("RGB", (1280, 720), (30, 120, 200)).save(photo, "JPEG", quality=90)
    checked = media.check_image(photo.getvalue(), "beach.jpg", TURBO_IMAGE_RULES)
    frame = media.save_first_frame(checked, data_dir, "beach.jpg")
    assert frame.path.startswith("images/") and kept.read_bytes(frame.path) == checked.data
    sb = Storyboard(shots=[Shot(prompt="waves", seconds=5)], first_frame=frame)
    assert not first_frame_missing(sb, data_dir)
    kept.delete(frame.path)
    assert first_frame_missing(sb, data_dir)


# ---- only a bucket --------------------------------------------------------------------------------


def test_keys_in_the_bucket_mirror_the_data_dirs_layout_under_the_prefix(
    bucket: str, s3_server: S3Server, data_dir: Path
) -> None:
    media_for(data_dir).put_bytes("posters/j1.jpg", b"\xff\xd8poster")
    listed = s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == ["studio/posters/j1.jpg"]
    answer = s3_server.client().head_object(Bucket=bucket, Key="studio/posters/j1.jpg")
    assert answer["ContentType"] == "image/jpeg"


def test_a_big_result_goes_up_in_parts_while_it_is_written(
    bucket: str, s3_server: S3Server, data_dir: Path
) -> None:
    s3 = s3_server.client()

    def parts_sent() -> int:
        uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        if not uploads:
            return 0
        listed = s3.list_parts(Bucket=bucket, Key=uploads[0]["Key"], UploadId=uploads[0]["UploadId"])
        return len(listed.get("Parts", []))

    chunk = bytes(range(256)) * 4096  # 1 MiB
    with media_for(data_dir).saving("videos/big.mp4") as part, part.open("wb") as out:
        for _ in range(PART_BYTES // len(chunk) + 1):
            out.write(chunk)
        out.flush()
        wait_until(lambda: parts_sent() == 1, timeout=20, what="the first part to go up during the download")
        assert not media_for(data_dir).exists("videos/big.mp4")  # nobody sees it before it is checked
        for _ in range(PART_BYTES // len(chunk)):
            out.write(chunk)
    answer = s3.head_object(Bucket=bucket, Key="studio/videos/big.mp4")
    assert answer["ContentLength"] == 2 * PART_BYTES + len(chunk)
    assert answer["ETag"].strip('"').endswith("-3")  # S3's mark of an object uploaded in 3 parts
    assert answer["ContentType"] == "video/mp4"
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_a_download_started_over_or_given_up_leaves_no_parts_behind(
    bucket: str, s3_server: S3Server, data_dir: Path
) -> None:
    s3 = s3_server.client()
    first, second = b"a" * (PART_BYTES + 10), b"b" * (PART_BYTES + 20)
    kept = media_for(data_dir)
    with kept.saving("videos/again.mp4") as part:
        part.write_bytes(first)
        wait_until(lambda: bool(s3.list_multipart_uploads(Bucket=bucket).get("Uploads")), timeout=20)
        part.unlink()  # what stream_to_file does when the connection breaks, before it tries again
        part.write_bytes(second)
    assert kept.read_bytes("videos/again.mp4") == second

    with pytest.raises(ValueError), kept.saving("videos/broken.mp4") as part:
        part.write_bytes(first)
        wait_until(lambda: bool(s3.list_multipart_uploads(Bucket=bucket).get("Uploads")), timeout=20)
        raise ValueError("not a video")
    assert not kept.exists("videos/broken.mp4")
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []  # aborted: nothing billed


def test_the_browsers_link_serves_the_file_saves_it_under_its_name_and_is_short_lived(
    bucket: str, data_dir: Path
) -> None:
    kept = media_for(data_dir)
    kept.put_bytes("videos/j2.mp4", b"mp4 bytes")
    link = kept.url("videos/j2.mp4")
    assert link is not None
    answer = httpx.get(link)
    assert answer.status_code == 200 and answer.content == b"mp4 bytes"
    assert answer.headers["content-type"] == "video/mp4"

    query = parse_qs(urlparse(link).query)
    assert query["X-Amz-Expires"] == [str(URL_SECONDS)] and URL_SECONDS <= 3600  # signed, for an hour
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in link
    assert kept.url("videos/j2.mp4") == link  # the same link on the next rerun: the player keeps playing

    saved = httpx.get(str(kept.url("videos/j2.mp4", download_as="Beach day-j2.mp4")))
    assert saved.content == b"mp4 bytes"
    assert saved.headers["content-disposition"].startswith('attachment; filename="Beach day-j2.mp4"')
    hostile = httpx.get(str(kept.url("videos/j2.mp4", download_as='Beach"\r\nX-Evil: 1\n-j2.mp4')))
    assert "x-evil" not in hostile.headers  # a name is text, never a header of its own
    assert hostile.headers["content-disposition"].startswith('attachment; filename="BeachX-Evil: 1-j2.mp4"')


def test_a_bucket_that_cannot_be_reached_is_one_sentence_without_credentials(
    bucket: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYBOARD_S3_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(MediaUnavailable) as raised:
        media_for(data_dir).put_bytes("images/x.png", b"png")
    said = str(raised.value)
    assert said.startswith(f"The media bucket s3://{bucket} could not be reached") and said.endswith(".")
    assert all(secret not in said for secret in CREDENTIALS.values())
    assert isinstance(raised.value, OSError)  # pages that survive a missing file survive this


def test_media_is_in_the_data_dir_unless_a_bucket_is_set(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert media_for(data_dir) == LocalMedia(data_dir)
    assert LocalMedia(data_dir).url("videos/a.mp4") is None  # Streamlit serves the data dir's files
    monkeypatch.setenv("STORYBOARD_MEDIA_URL", "/srv/videos")
    with pytest.raises(MediaProblem, match="must be empty .* or s3://bucket/prefix"):
        media_for(data_dir)


def test_a_free_preview_from_a_photo_in_the_bucket_is_rendered_here_and_kept_there(
    bucket: str, data_dir: Path
) -> None:
    """The animatic renders to a file on this machine (the photo lent from the bucket, kept by the
    Preview client while it renders), then goes up to the bucket like any result."""
    from storyboard.jobs import JobRunner
    from storyboard.models import ModelId, Options
    from storyboard.providers import build_clients

    photo = io.BytesIO()
    Image.new("RGB", (1280, 720), (200, 90, 30)).save(photo, "JPEG", quality=90)
    frame = media.save_first_frame(
        media.check_image(photo.getvalue(), "sunset.jpg", TURBO_IMAGE_RULES), data_dir, "sunset.jpg"
    )
    sb = Storyboard(
        provider=ProviderId.PREVIEW,
        model=ModelId.TURBO_PRO_I2V,
        shots=[Shot(prompt="the sun goes down", seconds=3)],
        first_frame=frame,
        options=Options(resolution="720p"),
    )
    store = Store.for_data_dir(data_dir)
    runner = JobRunner(store, data_dir, build_clients(data_dir))
    try:
        job = runner.wait(runner.generate(sb).id, timeout=60)
    finally:
        runner.shutdown(timeout=10)
        store.close()
    assert job.state == JobState.DONE, job.message
    kept = media_for(data_dir)
    with kept.local(str(job.video_path)) as video:
        assert job.duration_seconds and media.probe_video(video).duration == pytest.approx(job.duration_seconds)
    assert kept.exists(str(job.poster_path))
    assert not [p for p in data_dir.rglob("*.mp4")]  # rendered here, kept in the bucket only
