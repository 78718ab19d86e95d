"""50 sessions editing at once against one app process on PostgreSQL (issue 12: editor rerun
median <= 25 ms, p90 <= 60 ms on 2 cores).

    .venv/bin/python -m bench.editor_sessions [--sessions 50] [--seconds 30] [--think 5.0]

Starts a throwaway PostgreSQL (tests/servers/postgres.py) and the app as `make run` serves it
(serve.py: one process, uvicorn, the job runner) on it, through bench/timed_streamlit.py, which
records in the server process how long each page script run takes (StreamlitPage.run, as
bench/editor_rerun.py times it under AppTest). Then `--sessions` websocket clients, each one
browser tab as Streamlit's frontend speaks to the server: they connect to /_stcore/stream, send the
first rerun (BackMsg rerun_script), read the ForwardMsgs (finding their shot's prompt text area's
widget id in the deltas), and then each, every `--think` seconds (0.5x-1.5x, at random so the
sessions do not march in step), edits: a rerun_script carrying the prompt's new text, as the
browser sends it when a text area is left, and waits for script_finished before its next edit.

What is measured: over `--seconds` once every session has built its storyboard (6 shots, as
bench/editor_rerun.py does, each in its own new draft), the page script time of every editor rerun
in the server (median, p90, max; wall time, and the CPU time of the script's thread, which on a
shared machine says what a run costs apart from waiting for a core or the GIL), the round
trip each client saw (edit sent -> script_finished: queueing in the one process and the websocket
included), reruns per second, and the server process's CPU. Why this is the same work as 50
browsers: the server cannot tell these clients from Chromium's: the same websocket, the same
BackMsgs, one session and one script thread each, every delta serialised and sent. What differs:
a browser sends the values of all its widgets with each rerun (these send the one that changed:
the others keep their session-state values, which is what the script reads either way), and it
renders the deltas (client-side work, not the server's). 50 Chromium tabs would not fit on 2 cores
beside the server and would measure Chromium. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect

from bench.pg_takes import throwaway_postgres
from storyboard.settings import DATABASE_URL_ENV
from storyboard.store import Store

ROOT = Path(__file__).resolve().parent.parent
PROMPT_KEY = "w:prompt:"  # components/shot_card.py: the shot prompt's widget key
ADD_SHOT_KEY = "w:add-shot"  # the editor's Add shot button
LENGTH_KEY = "w:dur:"  # a shot's length (a select_slider of "N s")
NEW_KEY = "w:new-storyboard"  # a new tab opens the latest draft: each user starts their own
SHOTS, SECONDS = 6, "2 s"  # as bench/editor_rerun.py builds the storyboard: 6 shots of 2 s


@dataclass
class Session:
    number: int
    prompt_ids: list[str] = field(default_factory=list)
    add_shot_id: str = ""
    new_storyboard_id: str = ""
    # a shot's length slider, by its key: its widget id (which changes with its options) and options
    lengths: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    query_string: str = ""  # the page's URL query, as the app sets it (the draft it shows)
    # the fragment each widget was drawn by ("" or absent: the page): a change of a widget drawn in
    # a fragment is sent, as the browser sends it, as a rerun of that fragment alone
    fragments: dict[str, str] = field(default_factory=dict)
    edits: int = 0
    trips: list[tuple[float, float]] = field(default_factory=list)  # (sent at, seconds to finished)


def _rerun(session: Session, widgets: dict[str, str | bool | list[str]]) -> bytes:
    """A rerun as the frontend asks for it; a str is a text value, True a button's press, a list a
    select_slider's option (its label, as the frontend of Streamlit 1.67 sends it: a string array)."""
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = session.query_string
    state.page_script_hash = ""
    state.fragment_id = next((session.fragments.get(w, "") for w in widgets), "")
    for widget_id, value in widgets.items():
        w = state.widget_states.widgets.add()
        w.id = widget_id
        if isinstance(value, bool):
            w.trigger_value = value
        elif isinstance(value, list):
            w.string_array_value.data.extend(value)
        else:
            w.string_value = value
    return msg.SerializeToString()


async def _until_finished(ws: ClientConnection, session: Session) -> None:
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await ws.recv())
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            kind = element.WhichOneof("type")
            widget_id = getattr(element, kind).id if kind in ("text_area", "slider", "button") else ""
            if widget_id:
                session.fragments[widget_id] = msg.delta.fragment_id
            if kind == "text_area" and PROMPT_KEY in element.text_area.id:
                if element.text_area.id not in session.prompt_ids:
                    session.prompt_ids.append(element.text_area.id)
            elif kind == "slider" and LENGTH_KEY in element.slider.id:
                key = element.slider.id[element.slider.id.index(LENGTH_KEY) :]
                session.lengths[key] = (element.slider.id, list(element.slider.options))
            elif kind == "button" and element.button.id.endswith(ADD_SHOT_KEY):
                session.add_shot_id = element.button.id
            elif kind == "button" and element.button.id.endswith(NEW_KEY):
                session.new_storyboard_id = element.button.id
        elif kind == "page_info_changed":  # the browser puts it in the address bar, and sends it back
            session.query_string = msg.page_info_changed.query_string
        elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            return  # (a run ended early for a rerun, e.g. a fragment's widget that reruns the page: wait on)


@dataclass
class Phase:
    """Sessions set up their storyboards first; the edits are measured once all of them have."""

    sessions: int
    seconds: float
    ready: int = 0
    all_ready: asyncio.Event = field(default_factory=asyncio.Event)
    measured_from: float = 0.0  # time.time()
    stop: float = 0.0

    def one_ready(self) -> None:
        self.ready += 1
        if self.ready == self.sessions:
            self.measured_from = time.time()
            self.stop = self.measured_from + self.seconds
            self.all_ready.set()


async def _session(session: Session, url: str, think: float, phase: Phase) -> None:
    rng = random.Random(session.number)
    await asyncio.sleep(rng.uniform(0, 2.0))  # tabs opened over 2 s, not all at one instant
    origin = url.replace("ws://", "http://").split("/_stcore")[0]
    async with connect(url, subprotocols=["streamlit"], origin=origin, max_size=None) as ws:  # type: ignore[list-item]
        await ws.send(_rerun(session, {}))
        await _until_finished(ws, session)
        session.prompt_ids.clear()
        session.lengths.clear()
        await ws.send(_rerun(session, {session.new_storyboard_id: True}))
        await _until_finished(ws, session)
        chosen: dict[str, str] = {}
        while True:  # the storyboard the single-session bench builds: each shot 2 s, then add one
            # (a lone shot's shortest is 3 s: it gets 2 s once a second shot allows it)
            for key in list(session.lengths):
                slider_id, options = session.lengths[key]  # as the last run drew it
                if chosen.get(key) == SECONDS or (key in chosen and SECONDS not in options):
                    continue
                chosen[key] = SECONDS if SECONDS in options else options[0]
                await ws.send(_rerun(session, {slider_id: [chosen[key]]}))
                await _until_finished(ws, session)
            if len(session.prompt_ids) >= SHOTS:
                break
            if not session.add_shot_id:
                raise RuntimeError("the editor showed no Add shot button: the app did not start as expected")
            await ws.send(_rerun(session, {session.add_shot_id: True}))
            shown = len(session.prompt_ids)
            await _until_finished(ws, session)
            if len(session.prompt_ids) == shown:
                raise RuntimeError("Add shot added no shot prompt: the widget ids were not understood")
        phase.one_ready()
        await phase.all_ready.wait()
        await asyncio.sleep(think * rng.uniform(0, 1))  # edits spread over the first think time
        while time.time() < phase.stop:
            session.edits += 1
            shot = rng.randrange(SHOTS)
            text = f"Shot {shot + 1}: the bottle on wet sand, wave {session.edits} for session {session.number}"
            sent, start = time.time(), time.perf_counter()
            await ws.send(_rerun(session, {session.prompt_ids[shot]: text}))
            await _until_finished(ws, session)
            session.trips.append((sent, time.perf_counter() - start))
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))


def _figures(values: list[float]) -> str:
    if not values:
        return "none"
    cut = sorted(values)
    p90 = cut[max(0, int(len(cut) * 0.9) - 1)]
    return (
        f"median {statistics.median(cut) * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms,"
        f" max {cut[-1] * 1000:.1f} ms over {len(cut)} reruns"
    )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc; no psutil in the venv)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the edits are measured")
    parser.add_argument(
        "--think", type=float, default=5.0, help="seconds between one session's edits (0.5x-1.5x, at random)"
    )
    parser.add_argument("--profile", type=Path, help="write the server's summed cProfile of the runs here")
    parser.add_argument(
        "--app", default="serve.py", help="the script served (bench/floor_app.py: Streamlit's own cost of a rerun)"
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-sessions-"))
    times_file = scratch / "runs.txt"
    port = _free_port()
    with throwaway_postgres() as database_url:
        Store(database_url).close()  # migrated before the server starts, as a deployment would
        env = {
            **os.environ,
            "STORYBOARD_DATA_DIR": str(scratch / "data"),
            DATABASE_URL_ENV: database_url,
            "BENCH_RUN_TIMES": str(times_file),
        }
        if args.profile:
            env["BENCH_PROFILE"] = str(args.profile)
        for name in ("WAVESPEED_API_KEY", "FAL_KEY", "EVOLINK_API_KEY"):
            env.pop(name, None)  # no provider is reached: the editor only
        log = (scratch / "streamlit.log").open("wb")
        server = subprocess.Popen(
            [
                sys.executable, "-m", "bench.timed_streamlit", "run", args.app,
                "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_healthy(port, server)
            _run(args, port, server.pid, times_file)
            # the edits reached the app: each session's draft, saved in PostgreSQL, has its text
            store = Store(database_url)
            drafts = [store.load_draft(draft_id) for draft_id, _, _ in store.recent_drafts(limit=1000)]
            edited = [sb for sb in drafts if sb is not None and "for session" in sb.model_dump_json()]
            six = [sb for sb in edited if len(sb.shots) == SHOTS]
            lengths = sorted({"+".join(str(s.duration) for s in sb.shots) for sb in six})
            store.close()
            print(
                f"  drafts in PostgreSQL: {len(drafts)}, {len(edited)} carrying a session's edit,"
                f" {len(six)} of them with {SHOTS} shots (seconds {', '.join(lengths)}), of {args.sessions} sessions"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_healthy(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the app exited at start-up: see its log")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).text == "ok":
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the app did not answer within 60 s")


def _run(args: argparse.Namespace, port: int, pid: int, times_file: Path) -> None:
    sessions = [Session(n) for n in range(args.sessions)]
    cpu_start, load_start, setup_began = 0.0, 0.0, time.time()

    async def everyone_ready(phase: Phase) -> None:
        await phase.all_ready.wait()
        nonlocal cpu_start, load_start
        cpu_start, load_start = _cpu_seconds(pid), os.getloadavg()[0]

    async def all_sessions() -> Phase:
        phase = Phase(args.sessions, args.seconds)
        url = f"ws://127.0.0.1:{port}/_stcore/stream"
        await asyncio.gather(everyone_ready(phase), *(_session(s, url, args.think, phase) for s in sessions))
        return phase

    phase = asyncio.run(all_sessions())
    measured_from = phase.measured_from
    cpu = _cpu_seconds(pid) - cpu_start
    runs = [line.split() for line in times_file.read_text().splitlines()]
    # an editor rerun: the page's, or its fragment's alone (an edit of a widget drawn in it: a
    # prompt, a length; components/lengths.py); the sessions open nothing but the editor
    done = [r for r in runs if float(r[0]) >= measured_from and r[2] in ("editor", "fragment") and r[3] == "done"]
    fragments = sum(1 for r in done if r[2] == "fragment")
    script, script_cpu = [float(r[1]) for r in done], [float(r[4]) for r in done]
    interrupted = sum(1 for r in runs if float(r[0]) >= measured_from and r[3] != "done")
    trips = [t for s in sessions for sent, t in s.trips if sent >= measured_from]
    print(
        f"{args.sessions} sessions editing at once (an edit every {args.think:.1f} s each, 0.5-1.5x at random),"
        f" one app process on PostgreSQL, {args.seconds:.0f} s measured"
    )
    print(
        f"  goal: editor rerun median <= 25 ms, p90 <= 60 ms on 2 cores"
        f" (set-up: {args.sessions} storyboards of {SHOTS} shots in {measured_from - setup_began:.0f} s)"
    )
    print(f"  script run in the server:    {_figures(script)} ({fragments} of them the fragment's alone)")
    print(f"    its thread's CPU time:     {_figures(script_cpu)}")
    print(f"  round trip seen by clients:  {_figures(trips)}")
    print(
        f"  {len(trips) / args.seconds:.1f} reruns/s, {interrupted} runs interrupted;"
        f" server CPU {cpu / args.seconds * 100:.0f}% of one core;"
        f" load average {load_start:.1f} at start, {os.getloadavg()[0]:.1f} at end ({os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
