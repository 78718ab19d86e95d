"""Where the test suite's time goes: wall time, and CPU seconds by kind of process (Chromium, the
Streamlit app servers, the pytest workers, Playwright's node driver).

On 2 cores the suite is CPU-bound (vmstat shows 0-6 % idle during the Chromium tests), so its wall
time is about its CPU seconds / 2: this says which side to make cheaper. `time make test` misses
most of Chromium (its zygote's children are not reaped through pytest), so this samples /proc every
0.25 s instead and counts every process descended from the command (by parent, or, once a parent
has gone, by session), keyed by pid and start time because pids wrap on a long run.

    .venv/bin/python -m bench.suite_cpu                      # the whole suite, as `make test` runs it
    .venv/bin/python -m bench.suite_cpu tests/e2e -k hosted  # pytest arguments of your own

Prints figures; asserts nothing. Figures are only comparable on a quiet machine: CPU seconds grow
a little under contention, wall time a lot.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HZ = os.sysconf("SC_CLK_TCK")
Key = tuple[int, int]  # (pid, start time in clock ticks)


def _sample(seen: dict[Key, tuple[int, str, float]]) -> None:
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
            cmd = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        ppid, session, start = int(fields[1]), int(fields[3]), int(fields[19])
        key = (int(name), start)
        before = seen.get(key)
        # a process whose parent has gone is re-parented to init: its session still says whose it is
        parent = ppid if ppid != 1 else session
        seen[key] = (parent, cmd or (before[1] if before else ""), (int(fields[11]) + int(fields[12])) / HZ)


def _descendants(root: int, seen: dict[Key, tuple[int, str, float]]) -> set[Key]:
    found = {key for key in seen if key[0] == root}
    grew = True
    while grew:
        grew = False
        by_pid = {key[0]: key for key in found}
        for key, (parent, _, _) in seen.items():
            if key not in found and parent in by_pid and by_pid[parent][1] <= key[1]:
                found.add(key)
                grew = True
    return found


def _kind(cmd: str) -> str:
    if "chrom" in cmd:
        return "Chromium"
    if "streamlit" in cmd:
        return "app servers (streamlit)"
    if "playwright/driver/node" in cmd:
        return "Playwright driver (node)"
    if "python" in cmd:
        return "pytest and its workers"
    return "other"


def main(args: list[str]) -> None:
    command = [sys.executable, "-m", "pytest", *(args or ["-n", "2"]), "-q", "-p", "no:cacheprovider"]
    seen: dict[Key, tuple[int, str, float]] = {}
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=ROOT)
    while proc.poll() is None:
        _sample(seen)
        time.sleep(0.25)
    wall = time.monotonic() - started
    totals: collections.Counter[str] = collections.Counter()
    for key in _descendants(proc.pid, seen):
        _, cmd, cpu = seen[key]
        totals[_kind(cmd)] += cpu
    print(f"\n{' '.join(command[2:])}: exit {proc.returncode}")
    print(f"  wall {wall:7.1f} s")
    print(f"  CPU  {sum(totals.values()):7.1f} s  ({sum(totals.values()) / wall:.2f} cores busy on average)")
    for kind, cpu in totals.most_common():
        print(f"    {cpu:7.1f} s  {kind}")


if __name__ == "__main__":
    main(sys.argv[1:])
