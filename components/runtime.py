"""The process-wide pieces (store, job runner) and this browser session's storyboard.

The store and runner are shared by every session (`st.cache_resource`); both are thread-safe.
The storyboard being edited lives in `st.session_state` and is saved to the store on every edit,
with its id in the URL (`?draft=`), so a refresh or a restart brings it back.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from components.identity import actor
from components.roles import acting, may, refused_now, say_refused, team
from components.text import plain
from storyboard import editing, settings
from storyboard.catalog import MAX_NAME_CHARS, PROVIDERS
from storyboard.jobs import DataDirBusy, JobRunner
from storyboard.media_store import MediaStore, media_for
from storyboard.models import Job, ProviderId, Storyboard, new_id
from storyboard.permissions import Action, Refused
from storyboard.providers import build_clients
from storyboard.providers.base import ProviderClient
from storyboard.store import DraftChanged, OpenedDraft, StorageProblem, Store

STORYBOARD = "storyboard"
SESSION_KEYS = "session_keys"
SESSION_CLIENTS = "session_clients"
GENERATE_ERROR = "generate_error"
UNSAVED = "unsaved"  # why the storyboard being edited is not saved yet (it is kept in the session)
DRAFT_PROBLEM = "draft_problem"  # what could not be read of the draft that was opened
RETRY_SAVE_SECONDS = 2.0  # how often an edit that could not be saved is tried again
VERSIONS = "draft_versions"  # {draft id: the saved version this session's edits are made from}
CONFLICT = "draft_conflict"  # an OpenedDraft: the draft as someone else saved it since (save refused)


@dataclass(frozen=True)
class Runtime:
    data_dir: Path
    store: Store
    runner: JobRunner

    @property
    def media(self) -> MediaStore:
        """Where videos, posters and first frames are kept (the data dir, or a bucket)."""
        return media_for(self.data_dir)


_made: list[Runtime] = []
# What `_runtime` returned, by data dir: st.cache_resource's own lookup (hashing the argument,
# reading config) costs about 0.3 ms, and an editor rerun asks a dozen times. `_runtime` still makes
# each one once, whichever session asks first.
_opened: dict[str, Runtime] = {}


@st.cache_resource(show_spinner=False)
def _runtime(data_dir: str) -> Runtime:
    path = Path(data_dir)
    store = Store.for_data_dir(path)
    try:
        runner = JobRunner(store, path, build_clients(path), public_url=settings.public_url())
    except BaseException:
        store.close()
        raise
    runner.resume_unfinished()
    rt = Runtime(path, store, runner)
    _made.append(rt)
    return rt


def shutdown() -> None:
    """Stop every runner this process started and forget them (between tests)."""
    _opened.clear()
    while _made:
        _made.pop().runner.shutdown(timeout=10)
    _runtime.clear()


def open_runtime() -> Runtime:
    """The store and runner of the configured data dir, opened (and takes resumed) on first use;
    raises StorageProblem or DataDirBusy when the data dir cannot be used."""
    where = str(settings.data_dir())
    opened = _opened.get(where)
    if opened is None:
        opened = _opened[where] = _runtime(where)
    return opened


def runtime() -> Runtime:
    """Keyed by the data dir, so tests (and anyone who moves it) get their own store and runner.
    A data dir that cannot be used (damaged database, no write access, another app on it) stops
    the page with one sentence saying what to do; a failure is not cached, so a reload tries again."""
    try:
        return open_runtime()
    except (StorageProblem, DataDirBusy) as problem:
        st.error(str(problem), icon="🗄️")
        st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def session_keys() -> dict[ProviderId, str]:
    """Keys typed on the Settings page: this browser session only, never stored. In a team (sign-in
    on) keys come only from the server's configuration: none typed is kept or used."""
    if team():
        return {}
    return st.session_state.setdefault(SESSION_KEYS, {})


def session_clients() -> dict[ProviderId, ProviderClient]:
    """The clients for the keys typed in this session; other sessions never see them (none in a team)."""
    if team():
        return {}
    return st.session_state.setdefault(SESSION_CLIENTS, {})


def client_for(provider: ProviderId) -> ProviderClient | None:
    """The client this session generates with: its typed key first, else the app's key."""
    return session_clients().get(provider) or runtime().runner.clients.get(provider)


def generate_blocker(provider: ProviderId) -> str | None:
    """Why this session cannot generate on a provider, or None. A key that was found but cannot be
    used, or a secrets file that could not be read, is said as Settings says it (one verdict)."""
    blocker = runtime().runner.can_generate(provider, session_clients().get(provider))
    if blocker is None:
        return None
    return key_problem(provider) or blocker


def key_problem(provider: ProviderId) -> str | None:
    """Why the key found for a provider cannot be used (Settings' sentence), or None."""
    return settings.resolve_key(provider, session_keys())[1].problem


def ready_providers() -> list[ProviderId]:
    return [p for p in PROVIDERS if generate_blocker(p) is None]


def current() -> Storyboard:
    """The storyboard this session is editing: the one the URL names, else the one open in this
    session, else the last edited, else a new one. Each storyboard has its own address (`?draft=`,
    a new history entry when another is opened), so the browser's Back returns to the one before."""
    sb = st.session_state.get(STORYBOARD)
    wanted = st.query_params.get("draft")
    if sb is not None and wanted and wanted != sb.id:  # Back, Forward or a link to another one
        opened = runtime().store.open_draft(wanted)
        if opened is not None:
            _leave(sb, wanted)
            _load(opened.storyboard, opened.problem, opened.version)
            sb = st.session_state[STORYBOARD]
    if sb is None:
        store = runtime().store
        opened = (store.open_draft(wanted) if wanted else None) or store.open_draft()
        if opened is not None and opened.problem:
            st.session_state[DRAFT_PROBLEM] = opened.problem
        if opened is not None:
            _versions()[opened.storyboard.id] = opened.version
        sb = opened.storyboard if opened is not None else new_storyboard()
        sb = editing.fit_to_budget(sb)
        st.session_state[STORYBOARD] = sb
    if st.query_params.get("draft") != sb.id:
        st.query_params["draft"] = sb.id
    return sb


def _versions() -> dict[str, int]:
    return st.session_state.setdefault(VERSIONS, {})


def _load(sb: Storyboard, problem: str | None = None, version: int | None = None) -> None:
    """Make `sb` the storyboard being edited, dropping the old one's widget and first-frame state.
    `version`: the saved version it was read at (None: a new storyboard, or one already known)."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(("w:", "first_frame_"))]:
        del st.session_state[key]
    st.session_state.pop(DRAFT_PROBLEM, None)
    st.session_state.pop(CONFLICT, None)
    if version is not None:
        _versions()[sb.id] = version
    if problem:
        st.session_state[DRAFT_PROBLEM] = problem
    st.session_state[STORYBOARD] = editing.fit_to_budget(sb)


def _leave(sb: Storyboard, next_id: str) -> None:
    """Leaving a storyboard nothing was written in (New storyboard pressed, then another opened):
    forget its draft, so Open… lists no empty "Untitled storyboard"s. One with takes stays."""
    store = runtime().store
    if (
        sb.id != next_id
        and may(Action.EDIT_STORYBOARD)  # a reviewer leaves every draft as it is
        and editing.is_blank(sb)
        and not store.list_jobs(storyboard_id=sb.id, limit=1)
    ):
        with suppress(StorageProblem):  # a full or read-only disk: an empty draft left over is harmless
            store.delete_draft(sb.id, actor())


def refused_edit() -> str | None:
    """Why this session's person, as they are now, may not change storyboards, or None (checked by
    every change, in its callback)."""
    return refused_now(Action.EDIT_STORYBOARD)


def delete_draft(draft_id: str) -> None:
    """Delete a draft (its takes stay). If it is the one open, open the last edited other one."""
    refused = refused_edit()
    if refused:
        say_refused(refused)
        return
    store = runtime().store
    store.delete_draft(draft_id, actor())
    sb = st.session_state.get(STORYBOARD)
    if sb is not None and sb.id == draft_id:
        st.session_state.pop(STORYBOARD, None)  # so _leave does not look at it
        opened = store.open_draft()
        open_storyboard(opened.storyboard if opened is not None else new_storyboard())


def new_storyboard() -> Storyboard:
    """A fresh storyboard, on the first hosted provider the app can generate on, else Preview."""
    ready = [p for p in ready_providers() if p != ProviderId.PREVIEW]
    return Storyboard(provider=ready[0] if ready else ProviderId.PREVIEW)


def commit(sb: Storyboard) -> None:
    """Make `sb` the storyboard being edited and save it as the draft. If it cannot be saved (a
    full disk), it stays in this session, the page says so, and it is saved when it can be.
    A person who may not change storyboards (a reviewer) changes nothing: the page says why."""
    refused = refused_edit()
    if refused:
        say_refused(refused)
        return
    st.session_state.pop(GENERATE_ERROR, None)  # an edit answers the last refusal
    st.session_state[STORYBOARD] = sb
    st.query_params["draft"] = sb.id
    save_now()


def save_now() -> bool:
    """Save the storyboard being edited; False (and `UNSAVED` says why) when it could not be. A
    save made from an older version than the saved one is refused (someone else, or another tab,
    saved it since): the edit stays in this session and `conflict()` offers the choice."""
    sb = st.session_state.get(STORYBOARD)
    if sb is None or not may(Action.EDIT_STORYBOARD):  # a reviewer's view is never saved
        return True
    if conflict() is not None:
        return False  # until the person chooses: theirs, or mine as a copy
    try:
        version = runtime().store.save_draft(sb, base=_versions().get(sb.id), by=actor())
    except StorageProblem as problem:
        st.session_state[UNSAVED] = str(problem)
        return False
    except DraftChanged as changed:
        st.session_state[CONFLICT] = changed.theirs
        who = changed.theirs.updated_by_name or "Someone in another tab or window"
        st.session_state[UNSAVED] = f"{plain(who)} saved this storyboard since; choose above which version to keep."
        return False
    _versions()[sb.id] = version
    st.session_state.pop(UNSAVED, None)
    return True


def changed_sentence(theirs: OpenedDraft) -> str:
    who = theirs.updated_by_name or "someone in another tab or window"
    return (
        f"{who} saved this storyboard at {theirs.updated_at[11:16]} UTC after you opened it, so your edit was "
        "not saved over theirs: load their version, or keep yours as a copy."
    )


def conflict() -> OpenedDraft | None:
    """The draft as someone else saved it, when this session's save was refused for it."""
    return st.session_state.get(CONFLICT)


def saved_version(draft_id: str) -> int | None:
    """The saved version this session's edits of `draft_id` are made from (None: not known)."""
    return _versions().get(draft_id)


def load_theirs() -> None:
    """The person chose the other version: it replaces this session's (theirs is saved; mine was not)."""
    if conflict() is not None:
        load_newest()


def load_newest() -> None:
    """Replace the storyboard being edited with its newest saved version."""
    sb = st.session_state.get(STORYBOARD)
    theirs = conflict()
    draft_id = theirs.storyboard.id if theirs is not None else sb.id if sb is not None else None
    if draft_id is None:
        return
    opened = runtime().store.open_draft(draft_id) or theirs  # the newest, if saved again since
    if opened is not None:
        st.session_state.pop(UNSAVED, None)
        _load(opened.storyboard, opened.problem, opened.version)


def keep_mine_as_copy() -> None:
    """The person chose their version: it becomes a new draft of its own; theirs stays as saved."""
    sb = st.session_state.get(STORYBOARD)
    if sb is None:
        return
    st.session_state.pop(CONFLICT, None)
    mine = " (my copy)"
    copy = sb.model_copy(update={"id": new_id(), "name": sb.name[: MAX_NAME_CHARS - len(mine)] + mine})
    _load(copy)
    commit(st.session_state[STORYBOARD])


def unsaved() -> str | None:
    """Why the storyboard being edited is not saved, or None when it is."""
    return st.session_state.get(UNSAVED)


@st.fragment(run_every=RETRY_SAVE_SECONDS)
def keep_trying_to_save() -> None:
    """While an edit is unsaved, try again every few seconds; once saved, redraw the page."""
    if unsaved() is not None and conflict() is None and save_now():
        st.rerun(scope="app")


def open_storyboard(sb: Storyboard, version: int | None = None) -> None:
    """Load a storyboard (a draft, a take's, a new one) into the editor, dropping the old one's
    widget and first-frame state; an empty one being left is forgotten. `version`: a saved
    draft's version as read (None for a storyboard not saved yet)."""
    try:
        acting()  # called from callbacks: who the person is now, for what follows
    except Refused as no:
        say_refused(no.sentence)
        return
    previous = st.session_state.get(STORYBOARD)
    if previous is not None:
        _leave(previous, sb.id)
    _load(sb, version=version)
    if not may(Action.EDIT_STORYBOARD):  # a reviewer opens storyboards to read them: nothing saved
        st.query_params["draft"] = sb.id
        return
    commit(st.session_state[STORYBOARD])


def open_take(job: Job) -> None:
    """Open a take's storyboard. If its draft has changed since, open a copy: never overwrite it."""
    draft = runtime().store.open_draft(job.storyboard.id)
    sb = job.storyboard
    if draft is not None and draft.storyboard != sb:
        name = job.title or f"{sb.name} (take of {job.created_at:%d %b %H:%M})"
        sb = sb.model_copy(update={"id": new_id(), "name": name})
    open_storyboard(sb, draft.version if draft is not None and draft.storyboard == sb else None)
