"""An S3 multipart upload that follows a file while it is being written, so a result streaming in
from a provider goes up to the bucket part by part during its download, not after it; the object
appears only when the writer's block ends without an error (the video checked, its poster made).

Memory: one part at a time (PART_BYTES), read back from the file. A download retried after a broken
connection starts its file again from nothing (stream_to_file deletes what it wrote); the file
gone, or shorter than what was sent, starts the upload over.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

PART_BYTES = 8 * 1024 * 1024  # S3's parts are 5 MiB at least (but the last)
LOOK_SECONDS = 0.05  # how often the file is looked at while it is written


class FollowingUpload:
    """`with FollowingUpload(client, bucket, key, path, kind): <write path>`: on a clean exit the
    object is `path`'s bytes; on an error nothing is kept (the upload is aborted)."""

    def __init__(self, client: Any, bucket: str, key: str, path: Path, content_type: str) -> None:
        self._client = client
        self._where = {"Bucket": bucket, "Key": key}
        self._path = path
        self._kind = content_type
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._sent = 0
        self._finish = threading.Event()
        self._cancel = threading.Event()
        self._error: BaseException | None = None
        self._handle: BinaryIO | None = None
        self._thread = threading.Thread(target=self._follow, name="media-upload", daemon=True)

    @property
    def parts(self) -> int:
        return len(self._parts)

    def __enter__(self) -> FollowingUpload:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is not None:
            self._cancel.set()
        self._finish.set()
        self._thread.join()
        if kind is not None or self._error is not None:
            self._abort()
            if kind is None and self._error is not None:
                raise self._error
            return
        self._complete()

    def _follow(self) -> None:
        try:
            while not self._cancel.is_set():
                final = self._finish.is_set()  # read first: the last look sees the whole file
                self._send(final)
                if final:
                    return
                self._finish.wait(LOOK_SECONDS)
        except BaseException as exc:  # raised to the writer when its block ends
            self._error = exc
        finally:
            if self._handle is not None:
                self._handle.close()

    def _send(self, final: bool) -> None:
        """Send every whole part written so far (and, on the last look, the rest)."""
        try:
            now = os.stat(self._path)
        except FileNotFoundError:
            if final:
                raise
            self._restart()  # deleted for a retry: its new bytes start from nothing
            return
        # The file being followed is held open, so a new file at the same path (the retry's) never
        # gets its inode number: a different number is a new file.
        if self._handle is None or os.fstat(self._handle.fileno()).st_ino != now.st_ino:
            self._restart()
            self._handle = self._path.open("rb")
        handle = self._handle
        size = os.fstat(handle.fileno()).st_size
        if size < self._sent:  # written again from the start, in place
            self._restart(keep_handle=True)
        while not self._cancel.is_set():
            left = size - self._sent
            # whole parts as they are written; on the last look, the rest as the last part (a
            # file smaller than one part is sent in one request when the block ends)
            if not (left >= PART_BYTES or (final and left > 0 and self._upload_id is not None)):
                return
            handle.seek(self._sent)
            self._part(handle.read(min(left, PART_BYTES)))

    def _part(self, data: bytes) -> None:
        if self._upload_id is None:
            started = self._client.create_multipart_upload(**self._where, ContentType=self._kind)
            self._upload_id = str(started["UploadId"])
        number = len(self._parts) + 1
        answer = self._client.upload_part(
            **self._where, UploadId=self._upload_id, PartNumber=number, Body=data
        )
        self._parts.append({"ETag": answer["ETag"], "PartNumber": number})
        self._sent += len(data)

    def _restart(self, keep_handle: bool = False) -> None:
        self._abort()
        self._parts, self._sent = [], 0
        if self._handle is not None and not keep_handle:
            self._handle.close()
            self._handle = None

    def _complete(self) -> None:
        if self._upload_id is None:  # smaller than a part (a poster, a short video): one request
            with self._path.open("rb") as handle:
                self._client.put_object(**self._where, Body=handle, ContentType=self._kind)
            return
        self._client.complete_multipart_upload(
            **self._where, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
        )

    def _abort(self) -> None:
        if self._upload_id is not None:
            with contextlib.suppress(Exception):  # parts left behind cost storage, not correctness
                self._client.abort_multipart_upload(**self._where, UploadId=self._upload_id)
            self._upload_id = None
