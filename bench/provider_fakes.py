"""Each hosted provider's loopback fake (tests/fakes), started for a benchmark, with our client on it.

`on_fake(provider, seconds, video)` starts the fake whose jobs complete `seconds` after the submit
(`next_job_takes` varies it) and serve `video`; `completed_at(fake, remote_id)` is when that job completed (monotonic clock);
`status_requests(fake, remote_id)` counts the status requests it answered for that job.
`CallbackServer`: the app's callback route on a loopback server, for the fakes to call.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests"):  # the fakes and the sample MP4 writer live with the tests
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from callback_server import CallbackServer  # noqa: E402
from fakes.evolink import FakeEvoLink  # noqa: E402
from fakes.fal import FakeFal  # noqa: E402
from fakes.wavespeed import FakeWaveSpeed  # noqa: E402
from samples import write_mp4  # noqa: E402

from storyboard.models import ProviderId  # noqa: E402
from storyboard.providers.base import ProviderClient  # noqa: E402
from storyboard.providers.evolink import EvoLinkClient  # noqa: E402
from storyboard.providers.fal import FalClient  # noqa: E402
from storyboard.providers.wavespeed import WaveSpeedClient  # noqa: E402

__all__ = ["HOSTED", "CallbackServer", "FakeFal", "OnFake", "on_fake", "write_mp4"]

HOSTED = (ProviderId.FAL, ProviderId.WAVESPEED, ProviderId.EVOLINK)


@dataclass
class OnFake:
    provider: ProviderId
    fake: Any
    client: ProviderClient

    def stop(self) -> None:
        self.client.close()
        self.fake.stop()

    def next_job_takes(self, seconds: float) -> None:
        """The next job completes `seconds` after its submit, plus a random part of a second: real
        jobs do not finish on a poller's beat."""
        self.fake.job_seconds = seconds + random.uniform(0.0, 1.0)

    def completed_at(self, remote_id: str) -> float:
        records = self.fake.tasks if self.provider == ProviderId.EVOLINK else self.fake.jobs
        record = records[remote_id]
        return record.started + record.job_seconds

    def last_remote_id(self) -> str:
        records = self.fake.tasks if self.provider == ProviderId.EVOLINK else self.fake.jobs
        return list(records)[-1]

    def requests(self, route: str, remote_id: str) -> int:
        return sum(remote_id in r.path for r in self.fake.calls(route))

    def status_requests(self, remote_id: str) -> int:
        """Requests that asked how the job is (fal: status polls plus status stream opens)."""
        if self.provider == ProviderId.FAL:
            return self.requests("status", remote_id) + self.requests("stream", remote_id)
        return self.requests("result" if self.provider == ProviderId.WAVESPEED else "task", remote_id)


def on_fake(provider: ProviderId, seconds: float, video: bytes) -> OnFake:
    fake: Any
    client: ProviderClient
    if provider == ProviderId.FAL:
        fake = FakeFal().start()
        fake.job_seconds = seconds
        client = FalClient(fake.key, queue_base=fake.url, rest_base=fake.url)
    elif provider == ProviderId.WAVESPEED:
        fake = FakeWaveSpeed(job_seconds=seconds).start()
        client = WaveSpeedClient(fake.key, base_url=fake.url)
    else:
        fake = FakeEvoLink(job_seconds=seconds).start()
        client = EvoLinkClient(fake.key, base_url=fake.url, files_base_url=fake.url)
    fake.video_bytes = video
    fake.every_phase = False  # a real provider answers by the clock, whenever it is asked
    return OnFake(provider, fake, client)


def at_once(cases: Sequence[Any], run: Callable[[Any, Path], None], scratch: Path) -> float:
    """Run `run(case, its own scratch dir)` for every case at once, each on a thread (the cases wait
    on fakes, not on the CPU); the wall time of the whole."""
    started = time.monotonic()
    threads = [
        threading.Thread(target=run, args=(case, scratch / f"case-{i}")) for i, case in enumerate(cases)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started
