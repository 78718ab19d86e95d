"""Storage failures through the real app (AppTest, issue 10 item 6): a damaged studio.db, a data
dir that cannot be written, a second app on the same data dir, a draft that no longer validates,
a full disk. Each gives one sentence saying what to do, never a traceback; an edit that could not
be saved says so beside its field and stays in the session until it is saved."""

from __future__ import annotations

import fcntl
import json
import socket
import sqlite3
from pathlib import Path

import pytest
from app_steps import generate_button, set_prompt, storyboard
from streamlit.testing.v1 import AppTest

from components import runtime
from storyboard.layout import DataDir
from storyboard.models import Shot, Storyboard
from storyboard.store import StorageProblem, Store, problem_sentence

ROOT = Path(__file__).resolve().parents[2]


def _open_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_damaged_database_says_what_to_do_instead_of_a_traceback(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    DataDir(data_dir).db.write_bytes(b"overwritten by something else " * 300)
    at = _open_app()
    assert [e.value for e in at.error] == [
        f"The database {DataDir(data_dir).db} is damaged: stop the app, move that file aside (keep it, it may be "
        "recoverable) and start again, or set STORYBOARD_DATA_DIR to another folder."
    ]


def test_a_data_dir_that_cannot_be_written_says_what_to_do(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data dir should be")
    monkeypatch.setenv("STORYBOARD_DATA_DIR", str(blocker / "data"))
    at = _open_app()
    assert [e.value for e in at.error] == [
        f"Storyboard Studio cannot write to {blocker / 'data'}: give it write access, or set STORYBOARD_DATA_DIR "
        "to a folder it can write to."
    ]


def test_a_postgresql_server_that_is_down_says_what_to_do_and_a_reload_tries_again(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("STORYBOARD_DATABASE_URL", f"postgresql://studio:s3cret@127.0.0.1:{port}/studio")
    at = _open_app()
    assert [e.value for e in at.error] == [
        f"The PostgreSQL server on 127.0.0.1:{port} cannot be reached: start it (or fix the host and port in "
        "STORYBOARD_DATABASE_URL), then reload the page."
    ]
    monkeypatch.delenv("STORYBOARD_DATABASE_URL")  # fixed (here: back to the data dir): not cached
    at.run()
    assert not at.error and not at.exception


def test_a_second_app_on_the_same_data_dir_says_what_to_do(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    with DataDir(data_dir).lock.open("ab") as held:  # the other app's lock
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        at = _open_app()
        assert [e.value for e in at.error] == [
            f"Another copy of Storyboard Studio is using {data_dir}. Close it, or set STORYBOARD_DATA_DIR to "
            "another folder."
        ]
    at.run()  # the other app closed: a reload works
    assert not at.error and not at.exception
    assert at.text_input(key="w:name").value == "Untitled storyboard"


def test_a_draft_that_no_longer_validates_opens_with_what_could_be_read_and_the_problem_named(
    data_dir: Path,
) -> None:
    sb = Storyboard(name="Launch teaser", shots=[Shot(prompt="the bottle on the sand", duration=5)])
    store = Store(DataDir(data_dir).db)
    store.save_draft(sb)
    body = json.loads(sb.model_dump_json())
    body["model"] = "a-model-this-version-does-not-know"
    with sqlite3.connect(DataDir(data_dir).db) as raw:
        raw.execute("UPDATE drafts SET body = ? WHERE id = ?", (json.dumps(body), sb.id))
    store.close()
    at = _open_app()
    assert at.text_input(key="w:name").value == "Launch teaser"
    assert storyboard(at).shots[0].prompt == "the bottle on the sand"
    assert [w.value for w in at.warning][:1] == [
        "Part of this draft could not be read (model) and was reset: check it before you generate."
    ]
    at.switch_page("pages/takes.py").run()  # the other pages keep working
    assert not at.exception


def _next_to_shot_card(at: AppTest, number: int) -> str | None:
    """The error drawn right after shot `number`'s card, if any."""
    column = next(
        c for c in at.columns if any(getattr(x, "key", None) == f"shot-{number}" for x in c.children.values())
    )
    children = list(column.children.values())
    index = next(i for i, x in enumerate(children) if getattr(x, "key", None) == f"shot-{number}")
    after = children[index + 1] if index + 1 < len(children) else None
    return getattr(after, "value", None) if getattr(after, "type", None) == "error" else None


def test_a_full_disk_says_so_beside_the_prompt_and_keeps_it_until_it_can_be_saved(
    app: AppTest, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = DataDir(data_dir).db
    full = problem_sentence(sqlite3.OperationalError("database or disk is full"), db)

    def disk_full(self: Store, sb: Storyboard, **_: object) -> None:
        raise StorageProblem(full)

    real_save = Store.save_draft
    monkeypatch.setattr(Store, "save_draft", disk_full)
    set_prompt(app, 0, "A paper boat drifts down a rain-filled gutter")
    note = f"Not saved yet, kept on this page: {full}"
    assert full == (
        f"The disk holding {data_dir} is full, so this was not saved: free some space there and it is saved again."
    )
    assert [e.value for e in app.error] == [note]
    assert _next_to_shot_card(app, 1) == note  # beside the field that was edited
    prompt = app.text_area(key=f"w:prompt:{storyboard(app).shots[0].id}")
    assert prompt.value == "A paper boat drifts down a rain-filled gutter"  # kept on the page
    sb_id = storyboard(app).id

    app.run()  # still full: still said, still kept
    assert [e.value for e in app.error] == [note]
    assert runtime.runtime().store.load_draft(sb_id) is None

    monkeypatch.setattr(Store, "save_draft", real_save)  # space freed
    app.run()
    assert not app.error
    saved = runtime.runtime().store.load_draft(sb_id)
    assert saved is not None and saved.shots[0].prompt == "A paper boat drifts down a rain-filled gutter"


def test_generate_on_a_full_disk_says_so_and_sends_nothing(
    app: AppTest, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_prompt(app, 0, "A paper boat drifts down a rain-filled gutter")
    full = problem_sentence(sqlite3.OperationalError("database or disk is full"), DataDir(data_dir).db)

    def disk_full(self: Store, jobs: object, *_: object, **__: object) -> None:
        raise StorageProblem(full)

    monkeypatch.setattr(Store, "create_jobs", disk_full)
    generate_button(app).click().run()
    assert not app.exception
    assert [e.value for e in app.error] == [full]
    assert runtime.runtime().store.list_jobs() == []
