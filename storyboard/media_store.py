"""Where takes' videos, posters and first frames are kept: the data dir, or an S3-compatible bucket.

One setting chooses (`STORYBOARD_MEDIA_URL`, read by settings.media_url): unset, the data dir as
always; `s3://bucket/prefix`, a bucket (any S3-compatible store: `STORYBOARD_S3_ENDPOINT_URL`
points elsewhere than AWS; credentials are boto3's usual ones, `AWS_ACCESS_KEY_ID` and friends,
read by boto3 and never by this module). Either way a file is named by its path in the data dir's
layout (storyboard/layout.py): `videos/<job>.mp4` is that file in the data dir, or the key
`<prefix>/videos/<job>.mp4` in the bucket, so rows keep the same relative paths whichever is used.

A bucket serves the browser itself through short-lived presigned URLs, so any app replica can show
any take; the data dir's files are served by Streamlit, as before (`url` is None).
"""

from __future__ import annotations

import functools
import mimetypes
import os
import tempfile
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from storyboard import settings
from storyboard.layout import IMAGES
from storyboard.multipart import PART_BYTES, FollowingUpload

# A presigned link lives an hour, and a page is given one with at least 50 minutes left: the same
# link is handed out for 10 minutes, so a rerun does not change the player's source (which would
# reload the video) and a paused player can still seek long after the page was drawn.
URL_SECONDS = 3600
URL_REUSE_SECONDS = 600
# Reading a file from the bucket (the brief's pictures, a first frame sent to a provider): parts of
# 8 MiB, two at a time, so memory stays flat whatever the video's size.
PARTS_AT_ONCE = 2


class MediaProblem(RuntimeError):
    """The media setting cannot be used; the message is one sentence saying what to do."""


class MediaUnavailable(OSError):
    """The bucket did not answer, or refused: an OSError, like a data dir that cannot be read."""


class MediaStore(ABC):
    """Files named by their path in the data dir's layout (`videos/<job>.mp4`, `images/<sha>.png`)."""

    @abstractmethod
    def exists(self, name: str) -> bool: ...

    @abstractmethod
    def size(self, name: str) -> int | None:
        """Bytes, or None if there is no such file."""

    @abstractmethod
    def read_bytes(self, name: str) -> bytes:
        """The whole file (first frames, posters: small); FileNotFoundError if there is none."""

    @abstractmethod
    def put_bytes(self, name: str, data: bytes) -> None: ...

    @abstractmethod
    @contextmanager
    def local(self, name: str) -> Iterator[Path]:
        """A file on this machine to read `name` from, for as long as the block lasts (the data dir's
        own file, or a temporary copy of the object); FileNotFoundError if there is none."""

    @abstractmethod
    @contextmanager
    def saving(self, name: str) -> Iterator[Path]:
        """A file on this machine to write `name` to; when the block ends without an error it becomes
        `name` all at once (renamed, or uploaded), and nobody ever sees half of it. On an error
        nothing is kept."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Gone, if it was there."""

    def url(self, name: str, download_as: str | None = None) -> str | None:
        """A link the browser can fetch `name` from (`download_as`: saved under that file name), or
        None where the app serves the file itself (the data dir)."""
        return None

    @abstractmethod
    def describe(self) -> str:
        """Where media is kept, for the Settings page (no credentials)."""


@dataclass(frozen=True)
class LocalMedia(MediaStore):
    """The data dir: files are written to `<name>.part`, synced, and renamed."""

    root: Path

    def path(self, name: str) -> Path:
        """Only ever inside the data dir, whatever a row says."""
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise FileNotFoundError(name)
        return path

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def size(self, name: str) -> int | None:
        try:
            return self.path(name).stat().st_size
        except OSError:
            return None

    def read_bytes(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def put_bytes(self, name: str, data: bytes) -> None:
        with self.saving(name) as part:
            part.write_bytes(data)

    @contextmanager
    def local(self, name: str) -> Iterator[Path]:
        path = self.path(name)
        if not path.is_file():
            raise FileNotFoundError(name)
        yield path

    @contextmanager
    def saving(self, name: str) -> Iterator[Path]:
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        # its own part file: two sessions saving the same first frame at once do not collide
        part = target.with_name(f"{target.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            yield part
            _fsync(part)
            os.replace(part, target)
            _fsync(target.parent)
        finally:
            part.unlink(missing_ok=True)

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def describe(self) -> str:
        return f"the data folder (`{self.root}`)"


class BucketMedia(MediaStore):
    """An S3-compatible bucket, through boto3 (chosen for: presigned URLs computed locally, S3's
    multipart API as it is, and every S3-compatible store and emulator is tested against it)."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None = None, client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self._client = client if client is not None else _s3_client(endpoint_url)
        self._urls: dict[tuple[str, str | None], tuple[float, str]] = {}
        # First frames are named by their content, so a size once seen never changes: the editor
        # asks on every rerun (is the first frame still there?), and a bucket's answer takes a request.
        self._image_sizes: dict[str, int] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never credentials: the client holds them, not this
        return f"BucketMedia(s3://{self.bucket}/{self.prefix})"

    def key(self, name: str) -> str:
        name = name.lstrip("/")
        return f"{self.prefix}/{name}" if self.prefix else name

    def exists(self, name: str) -> bool:
        return self.size(name) is not None

    def size(self, name: str) -> int | None:
        if (known := self._image_sizes.get(name)) is not None:
            return known
        try:
            with self._answering(name):
                answer = self._client.head_object(Bucket=self.bucket, Key=self.key(name))
        except FileNotFoundError:
            return None
        self._seen(name, int(answer["ContentLength"]))
        return int(answer["ContentLength"])

    def _seen(self, name: str, size: int) -> None:
        if name.startswith(f"{IMAGES}/"):
            self._image_sizes[name] = size

    def read_bytes(self, name: str) -> bytes:
        with self._answering(name):
            answer = self._client.get_object(Bucket=self.bucket, Key=self.key(name))
            with answer["Body"] as body:
                return bytes(body.read())

    def put_bytes(self, name: str, data: bytes) -> None:
        with self._answering(name):
            self._client.put_object(Bucket=self.bucket, Key=self.key(name), Body=data, ContentType=_kind(name))
        self._seen(name, len(data))

    @contextmanager
    def local(self, name: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="storyboard-media-") as tmp:
            path = Path(tmp) / Path(name).name
            with self._answering(name):  # streamed to the file in parts: memory stays flat
                self._client.download_file(self.bucket, self.key(name), str(path), Config=_transfer())
            yield path

    @contextmanager
    def saving(self, name: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="storyboard-media-") as tmp:
            path = Path(tmp) / Path(name).name
            # Sent in parts while it is written (a result streaming in from the provider); the object
            # appears only when the block ends without an error: the whole file or nothing.
            with self._answering(name), FollowingUpload(self._client, self.bucket, self.key(name), path, _kind(name)):
                yield path
        with self._lock:  # a link handed out before may point at an older object of that name
            for cached in [k for k in self._urls if k[0] == name]:
                del self._urls[cached]

    def delete(self, name: str) -> None:
        self._image_sizes.pop(name, None)
        with self._answering(name):
            self._client.delete_object(Bucket=self.bucket, Key=self.key(name))

    @contextmanager
    def _answering(self, name: str) -> Iterator[None]:
        """boto3's errors as OSErrors: FileNotFoundError for a missing object, MediaUnavailable
        (one sentence, no credentials: boto3's own messages never hold the secret) for the rest."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as exc:
            if _status(exc) == 404:
                raise FileNotFoundError(name) from None
            code = exc.response.get("Error", {}).get("Code", "an error")
            raise MediaUnavailable(
                f"The media bucket s3://{self.bucket} refused the request ({code}): check its name, "
                "the endpoint and the credentials the app runs with."
            ) from None
        except (BotoCoreError, S3UploadFailedError) as exc:
            raise MediaUnavailable(
                f"The media bucket s3://{self.bucket} could not be reached ({type(exc).__name__}): "
                "check the endpoint setting and the network, then try again."
            ) from None

    def url(self, name: str, download_as: str | None = None, seconds: int = URL_SECONDS) -> str:
        now = time.time()
        with self._lock:
            made = self._urls.get((name, download_as))
            if made is not None and now - made[0] < URL_REUSE_SECONDS and seconds == URL_SECONDS:
                return made[1]
        params: dict[str, str] = {"Bucket": self.bucket, "Key": self.key(name)}
        if download_as is not None:
            # a storyboard's name is user text: no quotes, backslashes or line breaks in a header
            safe = "".join(c for c in download_as if c.isprintable() and c not in '"\\') or "video"
            params["ResponseContentDisposition"] = (
                f"attachment; filename=\"{safe.encode('ascii', 'replace').decode()}\"; "
                f"filename*=UTF-8''{quote(safe)}"
            )
        link = str(self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds))
        if seconds == URL_SECONDS:
            with self._lock:
                self._urls[(name, download_as)] = (now, link)
        return link

    def describe(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"the bucket `s3://{self.bucket}/{self.prefix}`{where}"


def parse_media_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of `s3://bucket/prefix`; MediaProblem for anything else."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise MediaProblem(
            f"{settings.MEDIA_URL_ENV} must be empty (the data folder) or s3://bucket/prefix; fix it and restart the app."
        )
    return parsed.netloc, parsed.path.strip("/")


def media_for(data_dir: Path) -> MediaStore:
    """The media store the settings choose, for the data dir in use. Cheap: asked on every rerun."""
    url = settings.media_url()
    if not url:
        return LocalMedia(Path(data_dir))
    return _bucket(url, settings.s3_endpoint_url())


@functools.lru_cache(maxsize=4)
def _bucket(url: str, endpoint_url: str | None) -> BucketMedia:
    bucket, prefix = parse_media_url(url)
    return BucketMedia(bucket, prefix, endpoint_url)


@functools.lru_cache(maxsize=4)
def _s3_client(endpoint_url: str | None) -> Any:
    """One client per store: boto3 clients are thread-safe, and making one takes ~0.1 s."""
    import boto3
    from botocore.config import Config

    # Signature v4 and path-style addressing: what every S3-compatible store (and emulator) accepts.
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"mode": "standard"})
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)


def _transfer() -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(
        multipart_threshold=PART_BYTES,
        multipart_chunksize=PART_BYTES,  # the same size as the uploads' parts
        max_concurrency=PARTS_AT_ONCE,
        max_io_queue=PARTS_AT_ONCE,
    )


def _kind(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _status(exc: Any) -> int | None:
    code = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code is None and exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
        return 404
    return int(code) if code is not None else None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
