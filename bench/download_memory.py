"""Streaming a 200 MB result to disk: how much the process's memory grows (goal: under 30 MB).

A server in a separate process sends 200 MB of video/mp4 in 1 MB chunks; this process downloads it
with the same `stream_to_file` the provider clients use, and reports peak RSS growth and speed.
With `--bucket`, the result is saved the way the driver saves it when media is in a bucket
(STORYBOARD_MEDIA_URL=s3://...): streamed to a scratch file and, while it is written, uploaded in
8 MiB parts to an S3 emulator (moto's server, in its own process: tests/servers/s3.py), so the figure is the app's
memory, download and upload together. Prints figures; asserts nothing.

    .venv/bin/python -m bench.download_memory
    PYTHONPATH=tests .venv/bin/python -m bench.download_memory --bucket
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import socket
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SIZE = 200 * 1024 * 1024
CHUNK = bytes(range(256)) * 4096  # 1 MiB


def _serve(port_out: multiprocessing.connection.Connection) -> None:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(SIZE))
            self.end_headers()
            for _ in range(SIZE // len(CHUNK)):
                self.wfile.write(CHUNK)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_out.send(server.server_address[1])
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bucket", action="store_true", help="save into an S3 emulator's bucket, as the driver does")
    if parser.parse_args().bucket:
        bucket()
        return
    from storyboard.providers.http import new_client, stream_to_file

    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=_serve, args=(send,), daemon=True)
    server.start()
    port = receive.recv()
    socket.create_connection(("127.0.0.1", port), timeout=5).close()

    client = new_client()
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp) / "result.mp4"
        baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        written = stream_to_file(client, f"http://127.0.0.1:{port}/result.mp4", dest, "bench")
        seconds = time.perf_counter() - started
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    server.terminate()
    growth_mb = (peak_kb - baseline_kb) / 1024
    print(
        f"streamed {written / 2**20:.0f} MB to disk in {seconds:.2f} s ({written / 2**20 / seconds:.0f} MB/s); "
        f"peak memory growth {growth_mb:.1f} MB (goal < 30 MB); baseline RSS {baseline_kb / 1024:.0f} MB"
    )


def bucket() -> None:
    from servers.s3 import S3Server

    from storyboard.media_store import media_for
    from storyboard.multipart import PART_BYTES
    from storyboard.providers.http import new_client, stream_to_file

    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=_serve, args=(send,), daemon=True)
    server.start()
    port = receive.recv()
    socket.create_connection(("127.0.0.1", port), timeout=5).close()

    with S3Server() as s3, tempfile.TemporaryDirectory() as tmp:
        name = s3.make_bucket("bench")
        os.environ.update(s3.env(name))
        kept = media_for(Path(tmp))
        kept.put_bytes("posters/warm-up.jpg", b"x")  # boto3's client, imported and connected: not the figure
        client = new_client()
        baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        with kept.saving("videos/result.mp4") as part:
            written = stream_to_file(client, f"http://127.0.0.1:{port}/result.mp4", part, "bench")
            downloaded = time.perf_counter() - started
        seconds = time.perf_counter() - started  # the parts not yet sent when the download ended, then complete
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        size = kept.size("videos/result.mp4")
    server.terminate()
    growth_mb = (peak_kb - baseline_kb) / 1024
    print(
        f"streamed {written / 2**20:.0f} MB into the bucket in {PART_BYTES // 2**20} MiB parts in {seconds:.2f} s "
        f"(the download took {downloaded:.2f} s, the parts went up during it, the rest took "
        f"{seconds - downloaded:.2f} s after it; the bucket holds {(size or 0) / 2**20:.0f} MB); "
        f"peak memory growth {growth_mb:.1f} MB (goal < 30 MB); baseline RSS {baseline_kb / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
