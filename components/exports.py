"""Export and import: the storyboard as JSON, each provider's request as cURL and Python, and importing
a storyboard file (dropped or pasted) as a new storyboard.

Downloads are built only when clicked (a callable `data`), so the editor's reruns stay cheap. An
import is checked completely before anything changes; a refused one leaves the editor as it was and
says what is wrong, one sentence per problem.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.lengths import when_clicked
from components.roles import read_only, say_refused
from components.runtime import current, open_storyboard, refused_edit, runtime
from components.text import plain
from storyboard import exports
from storyboard.catalog import PROVIDERS
from storyboard.models import ProviderId, Storyboard

IMPORT_ERROR = "import_error"  # the sentences of the last refused import
IMPORT_DONE = "import_done"  # what to say once after a successful import
UPLOADER_GENERATION = "import_uploader"
PASTE_KEY = "w:import-text"
PANEL_KEY = "exports-panel"  # the panel's open state; not "w:", so opening a storyboard keeps it


def _uploader_key() -> str:
    return f"w:import-file:{st.session_state.get(UPLOADER_GENERATION, 0)}"


def _import(text: str | bytes) -> None:
    not_allowed = refused_edit()  # an import opens as a new storyboard: a change of storyboards
    if not_allowed:
        say_refused(not_allowed)
        return
    st.session_state.pop(IMPORT_DONE, None)
    st.session_state[PANEL_KEY] = True  # what the import did is said inside the panel; opened once
    try:
        imported = exports.import_storyboard(text, runtime().data_dir)
    except exports.ImportRefused as refused:
        st.session_state[IMPORT_ERROR] = refused.problems
        return
    st.session_state.pop(IMPORT_ERROR, None)
    st.session_state[UPLOADER_GENERATION] = st.session_state.get(UPLOADER_GENERATION, 0) + 1
    open_storyboard(imported.storyboard)  # a fresh id: the draft it came from is untouched
    st.session_state[IMPORT_DONE] = [
        f"Imported “{imported.storyboard.name}” as a new storyboard.",
        *imported.notes,
    ]


def _uploaded() -> None:
    upload = st.session_state.get(_uploader_key())
    if upload is None:  # the chip's ✕: nothing to import
        st.session_state.pop(IMPORT_ERROR, None)
        return
    _import(upload.getvalue())


def _pasted() -> None:
    _import(st.session_state.get(PASTE_KEY, ""))


def _file_button(
    where: DeltaGenerator,
    label: str,
    data: Callable[[], str | bytes],
    file_name: str,
    mime: str,
    icon: str,
    key: str,
    help: str,
) -> None:
    """A download built only when clicked (`data` is called then), with no rerun after it."""
    where.download_button(
        label,
        data=data,
        file_name=file_name,
        mime=mime,
        icon=icon,
        on_click="ignore",
        key=key,
        width="stretch",
        help=help,
    )


def _downloads(sb: Storyboard) -> None:
    data_dir = runtime().data_dir
    now = when_clicked(sb)
    _file_button(
        st.container(),
        "Storyboard (JSON)",
        lambda: exports.export_storyboard(now(), data_dir),
        exports.storyboard_file_name(sb),
        "application/json",
        ":material/data_object:",
        "w:export-json",
        "Everything in this storyboard, the first frame included; import it here or on another computer.",
    )
    if exports.first_frame_missing(sb, data_dir):
        st.caption("The first frame's file is missing from the data folder, so the JSON leaves it out.")
    if sb.provider == ProviderId.PREVIEW:
        st.caption(exports.PREVIEW_HAS_NO_REQUEST)
    else:
        label, key_env = PROVIDERS[sb.provider].label, PROVIDERS[sb.provider].key_env
        scripts = [  # (kind, script, file type, mime, icon, how it sends, where its key comes from)
            (
                "cURL",
                exports.curl_script,
                "sh",
                "text/x-shellscript",
                ":material/terminal:",
                "as a bash script",
                f"${key_env}",
            ),
            (
                "Python",
                exports.python_script,
                "py",
                "text/x-python",
                ":material/code:",
                "with httpx",
                key_env,
            ),
        ]
        for column, (kind, script, ext, mime, icon, how, key_from) in zip(
            st.columns(2), scripts, strict=True
        ):
            _file_button(
                column,
                f"{label} · {kind}",
                partial(_script, script, now, sb.provider),
                exports.script_file_name(sb, sb.provider, ext),
                mime,
                icon,
                f"w:export-{kind.lower()}",
                f"The exact request Generate sends to {label}, {how}. The key comes from {key_from}; it is never in the file.",
            )
    _file_button(
        st.container(),
        "Every provider's request (.zip)",
        lambda: exports.all_requests_zip(now()),
        exports.all_requests_zip_name(sb),
        "application/zip",
        ":material/folder_zip:",
        "w:export-zip",
        "cURL and Python for every hosted provider; each key is an environment variable, never in a file.",
    )


def _script(
    script: Callable[[Storyboard, ProviderId], str], now: Callable[[], Storyboard], provider: ProviderId
) -> str:
    return script(now(), provider)


def exports_panel() -> None:
    """The editor's export/import expander (in the side column, under Generate)."""
    # Its open state is tracked (key, on_change): a rerun that moves it (a provider without a key adds
    # a notice above it) would otherwise close it; and what is in it is drawn only while it is open
    # (every edit of a prompt reruns the page: components/menus.py says what that saves).
    with st.expander(
        "Export or import", icon=":material/swap_vert:", key=PANEL_KEY, on_change="rerun"
    ) as panel:
        if not panel.open:
            return
        errors = st.session_state.get(IMPORT_ERROR)
        done = st.session_state.pop(IMPORT_DONE, None)
        _downloads(current())
        st.divider()
        st.file_uploader(
            "Import a storyboard (.json)",
            type=["json"],
            max_upload_size=exports.MAX_IMPORT_MB,
            key=_uploader_key(),
            on_change=_uploaded,
            help="A file exported from Storyboard Studio. It opens as a new storyboard; this one stays as it is.",
            disabled=read_only(),
        )
        st.text_area("…or paste its JSON", key=PASTE_KEY, height=100)
        st.button(
            "Import pasted JSON", key="w:import", on_click=_pasted, width="stretch", disabled=read_only()
        )
        if errors:
            lines = [plain(sentence) for sentence in errors]
            st.error("\n".join(f"- {line}" for line in lines) if len(lines) > 1 else lines[0], icon="✋")
        if done:
            st.success(plain(done[0]))
            for note in done[1:]:
                st.info(plain(note))
