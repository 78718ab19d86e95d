"""The app (`streamlit run serve.py`) and `storyboard-worker` processes the tests start, forked from a
process that has already imported Streamlit and the app's libraries: a start costs what the program
does at start-up, not ~2-4 s of imports each time (the suite starts ~35 apps and ~15 workers).

multiprocessing's forkserver: started once per test worker (when first asked), it imports PRELOAD,
then forks a process for each start, which takes the caller's environment, working dir and log
file and runs the program as `python -m streamlit ...` or `python script.py` would. Modules are
imported there, never run: serve.py itself (which makes the st.App) is imported in each app by
uvicorn, after Streamlit has read its config. It is not a fork of the test runner (no threads, no
open connections, nothing the tests set). Each process's pid is the program's, so a SIGKILL is a
crash of that program alone; `Started` answers as much of subprocess.Popen as the tests use.
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import signal
import subprocess
import sys
import types
from multiprocessing.forkserver import set_forkserver_preload
from multiprocessing.process import BaseProcess
from pathlib import Path

# What `streamlit run serve.py` imports before it answers (python -X importtime): Streamlit's
# command line and server, and the modules serve.py imports (the store, runner and providers,
# SQLAlchemy, procrastinate, PyAV); then what the store's first opening (Alembic) imports; and the
# worker. None reads the environment or a file when imported, and none starts a thread: the
# forkserver must have one thread when it forks (a child forked while another thread held a lock,
# of malloc or of a library, waits on it for ever). pandas and pyarrow each start two native threads
# when imported: with them here, 3 of 5 workers forked in one fault run never wrote a line of log
# (tests/test_fault_runs_workers.py hung to its guard); test_one_thread_when_forking says so.
PRELOAD = [
    "streamlit.web.cli",
    "streamlit.web.bootstrap",
    "streamlit.web.server.starlette.starlette_server",
    "components.runtime",
    "components.callback_route",
    "components.take_watch",
    "alembic.command",
    "alembic.config",
    "storyboard.worker",
]

_forks = multiprocessing.get_context("forkserver")
set_forkserver_preload(PRELOAD)


class Started:
    """A process from the forkserver, with the part of subprocess.Popen's interface the tests use."""

    def __init__(self, process: BaseProcess) -> None:
        self._process = process

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        """As Popen's: the exit status, or minus the signal that ended it; None while it runs."""
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
        return self._process.exitcode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # as Popen: nothing sent to a process that has ended
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _run(program: list[str], env: dict[str, str], cwd: str, log: str) -> None:
    """In the forked process: the caller's environment, dir and log, then the program."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    if program[0] == "streamlit":  # python -m streamlit ...: the working dir first on the path
        sys.path.insert(0, cwd)
        sys.argv = program
        from streamlit.web.cli import main

        main(args=program[1:], prog_name="streamlit")  # exits (SystemExit) when the server stops
    else:  # python script.py ...: the script's dir first on the path
        sys.path.insert(0, str(Path(program[0]).resolve().parent))
        sys.argv = program
        runpy.run_path(program[0], run_name="__main__")


def start(program: list[str], env: dict[str, str], cwd: Path, log: Path) -> Started:
    """`python -m streamlit <args>` (program = ["streamlit", *args]) or `python script.py <args>`
    (program = [script, *args]) with `env`, in `cwd`, its output appended to `log`."""
    log.touch()  # the program appends to it (a crash before its first line leaves it empty)
    process = _forks.Process(target=_run, args=(program, env, str(cwd), str(log)), daemon=True)
    # multiprocessing runs the parent's __main__ again in the child before the target. After an
    # AppTest in this test worker, __main__ is the app's page script (Streamlit puts each script run
    # there), so the child ran app.py bare and died before starting the program. Nothing from
    # __main__ is needed: the target is warm_start._run.
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        process.start()
    finally:
        sys.modules["__main__"] = main
    return Started(process)


def warm_up() -> None:
    """Start the forkserver (its imports run beside whatever the caller does next)."""
    from multiprocessing import forkserver

    forkserver.ensure_running()
