"""The official clients against the same fakes, for comparison with `bench.hosted_latency`.

The `wavespeed` SDK (`Client(base_url=...).run`, default 1 s poll) and `fal_client`
(`SyncClient.subscribe`, default 0.1 s poll; it builds https URLs at import, so its queue URL
constant is pointed at the fake) each run takes whose job completes T seconds (plus a random part of a second) after the submit.
Measured: when the call returned, after the fake's completion; how many status requests it made.
The fakes answer by the clock only, as a real provider would. Prints figures; asserts nothing.

Needs the bench extra (`make bench` installs it): `pip install -e '.[bench]'`.

    .venv/bin/python -m bench.sdk_latency [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.hosted_latency import span
from bench.provider_fakes import OnFake, on_fake, write_mp4
from storyboard.catalog import offer
from storyboard.compile import compile_request
from storyboard.models import ProviderId, Shot, Storyboard


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="T = 3 s and 6 s instead of 10 s and 30 s")
    parser.add_argument("--runs", type=int, default=3, help="takes per SDK and T (default 3)")
    args = parser.parse_args()
    missing = [name for name in ("wavespeed", "fal_client") if importlib.util.find_spec(name) is None]
    if missing:
        print(f"Skipped: {', '.join(missing)} not installed (pip install -e '.[bench]', or `make bench`).")
        return

    times = (3.0, 6.0) if args.quick else (10.0, 30.0)
    video = write_mp4(Path(tempfile.mkdtemp(prefix="bench-sdk-")) / "tiny.mp4", frames=24).read_bytes()
    results: dict[tuple[str, float], list[tuple[float, int]]] = {}
    started = time.monotonic()
    # WaveSpeed cases side by side; fal's one after another (its URL constant is process-wide).
    threads = [
        threading.Thread(target=_cases, args=("wavespeed", [t], args.runs, video, results)) for t in times
    ]
    threads.append(threading.Thread(target=_cases, args=("fal_client", times, args.runs, video, results)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(
        f"Official clients, defaults, {args.runs} takes in a row per case ({time.monotonic() - started:.0f} s):"
    )
    for (sdk, seconds), takes in sorted(results.items()):
        late = [t[0] for t in takes]
        print(
            f"{sdk} T={seconds:g}s: returned {statistics.mean(late):.2f} s after completion "
            f"(mean; worst {max(late):.2f} s), {span([t[1] for t in takes])} status requests"
        )


def _request(provider: ProviderId, seconds: float, i: int) -> tuple[str, dict[str, Any]]:
    sb = Storyboard(
        provider=provider, shots=[Shot(prompt=f"A bottle on wet sand, T={seconds:g}, {i}", duration=5)]
    )
    compiled = compile_request(sb, offer(provider, sb.model))
    return compiled.endpoint.removeprefix("/api/v3/").strip("/"), compiled.body  # the SDKs take a model id


def _cases(
    sdk: str,
    times: list[float],
    runs: int,
    video: bytes,
    results: dict[tuple[str, float], list[tuple[float, int]]],
) -> None:
    provider = ProviderId.WAVESPEED if sdk == "wavespeed" else ProviderId.FAL
    for seconds in times:
        hosted = on_fake(provider, seconds, video)
        try:
            results[(sdk, seconds)] = [_take(sdk, hosted, seconds, i) for i in range(runs)]
        finally:
            hosted.stop()


def _take(sdk: str, hosted: OnFake, seconds: float, i: int) -> tuple[float, int]:
    endpoint, body = _request(hosted.provider, seconds, i)
    hosted.next_job_takes(seconds)
    if sdk == "wavespeed":
        import wavespeed

        wavespeed.Client(api_key=hosted.fake.key, base_url=hosted.fake.url).run(endpoint, body)
    else:
        import fal_client
        import fal_client.client

        fal_client.client.QUEUE_URL_FORMAT = f"{hosted.fake.url}/"
        fal_client.SyncClient(key=hosted.fake.key).subscribe(endpoint, arguments=body)
    returned = time.monotonic()
    remote_id = hosted.last_remote_id()
    return returned - hosted.completed_at(remote_id), hosted.status_requests(remote_id)


if __name__ == "__main__":
    main()
