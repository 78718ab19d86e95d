"""An S3 emulator (moto's standalone server) on 127.0.0.1, in its own process, for the media tests
and bench.download_memory's bucket figure. No network: it listens on loopback only and answers for
every bucket it is asked to make. Its own process, so the objects it keeps in memory never count
towards the memory of the process under test.

    with S3Server() as s3:
        s3.make_bucket("takes")
        env = s3.env("takes", "team-a")  # STORYBOARD_MEDIA_URL, STORYBOARD_S3_ENDPOINT_URL, AWS_*
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

# Started by a few lines of Python rather than the `moto_server` script: the server picks a free port
# (no race between choosing one and binding it) and says which; it stops when its stdin closes, so it
# never outlives the test run, even one that is killed.
_SERVE = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
"""

# moto accepts any credentials; these are what the app's boto3 client finds in the environment.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing-access-key",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-key-never-shown",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class S3Server:
    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self._client: Any = None

    def __enter__(self) -> S3Server:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a line per request otherwise
            text=True,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            self.__exit__()
            raise RuntimeError("the S3 emulator did not start (is moto[server] installed?)")
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def client(self) -> Any:
        """A boto3 client of the emulator, for tests to look inside buckets (made once: ~0.1 s)."""
        import boto3

        if self._client is not None:
            return self._client
        self._client = boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        ).client("s3", endpoint_url=self.url)
        return self._client

    def make_bucket(self, name: str | None = None) -> str:
        """A new, empty bucket (a fresh name each call unless given)."""
        name = name or f"takes-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def env(self, bucket: str, prefix: str = "studio") -> dict[str, str]:
        """The settings that point the app's media at `bucket/prefix` on this emulator."""
        return {
            "STORYBOARD_MEDIA_URL": f"s3://{bucket}/{prefix}",
            "STORYBOARD_S3_ENDPOINT_URL": self.url,
            **CREDENTIALS,
        }
