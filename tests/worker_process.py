"""`storyboard-worker` as the tests run it: the fakes end a take in about a second, so a take's
first look comes after 0.05 s and a failed call is retried after 0.01 s (conftest's `data_dir`
and test_fault_runs do the same for takes driven in the test's own process); the sweep for takes
in no queue job runs every second, not every minute."""

import sys

from storyboard import worker
from storyboard.providers.hosted import HostedClient
from storyboard.runner import queue

for client in (HostedClient, *HostedClient.__subclasses__()):
    client.poll_interval = 0.05
worker.BACKOFF = 0.01
queue.SWEEP_SECONDS = 1.0

if __name__ == "__main__":
    sys.exit(worker.main())
