"""`streamlit run serve.py` forked from a process that has already imported Streamlit and the app's
libraries, so an app start in a test costs what the app does at start-up, not ~2-4 s of imports.

multiprocessing's forkserver: started once per test worker (when the first app is), it imports
PRELOAD, then forks a process for each app, which takes the test's environment, working dir and
log file and runs Streamlit's own command line, as `python -m streamlit run serve.py ...` does.
Modules are imported, never run: serve.py itself (which makes the st.App) is imported in each app
process by uvicorn, after Streamlit has read its config. The pid is the app's, so a SIGKILL is a
crash of the app and nothing else.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from multiprocessing.forkserver import set_forkserver_preload
from multiprocessing.process import BaseProcess
from pathlib import Path

# What `streamlit run serve.py` imports before it answers (python -X importtime): Streamlit's
# command line and server, and the modules serve.py imports (the store, runner and providers,
# SQLAlchemy, procrastinate, PyAV); then what the store's first opening (Alembic) and the pages'
# first runs (pandas and pyarrow, for Streamlit's tables) import. None reads the environment or a
# file when imported.
PRELOAD = [
    "streamlit.web.cli",
    "streamlit.web.bootstrap",
    "streamlit.web.server.starlette.starlette_server",
    "components.runtime",
    "components.callback_route",
    "components.take_watch",
    "alembic.command",
    "alembic.config",
    "pandas",
    "pyarrow",
]

_forks = multiprocessing.get_context("forkserver")
set_forkserver_preload(PRELOAD)


def _streamlit(argv: list[str], env: dict[str, str], cwd: str, log: str) -> None:
    """In the forked process: the test's environment, dir and log, then Streamlit's command line."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    sys.path.insert(0, cwd)  # as `python -m` puts the working dir first
    sys.argv = ["streamlit", *argv]
    from streamlit.web.cli import main

    main(args=argv, prog_name="streamlit")  # exits (SystemExit) when the server stops


def start_streamlit(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> BaseProcess:
    """A running `streamlit <argv>` (its pid, exitcode, kill(), join()), as a subprocess would be."""
    process = _forks.Process(target=_streamlit, args=(argv, env, str(cwd), str(log)), daemon=True)
    process.start()
    return process


def warm_up() -> None:
    """Start the forkserver (its imports run beside whatever the caller does next)."""
    from multiprocessing import forkserver

    forkserver.ensure_running()
