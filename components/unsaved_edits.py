"""Typing is kept even when the user never leaves the box.

Streamlit sends a text box's value to the server only when the box loses focus (or on Ctrl+Enter),
so a prompt typed and followed by a refresh was lost: the server never saw it, so the draft never
had it. A few lines of JS in a zero-height same-origin frame fix that on every page:

- after a pause in typing (`PAUSE_MS`) a text area's edit (a prompt, a negative prompt) is
  committed as if the user had left it: a `focusout` event is dispatched on the box, which is what
  Streamlit's widget listens to, while the focus and the caret stay where they are, so typing goes
  on undisturbed. One-line boxes are left alone: some act when committed (a take's new name is
  kept and the box closes), which must wait for Enter;
- if the page is left (refresh, close, another address) with an edit in any text box not yet
  committed, it is committed at once and the browser asks "Leave site?", which gives it the moment
  to arrive.

Keys typed on Settings are committed the same way; they stay in the server's session memory only.
"""

from __future__ import annotations

import streamlit as st

PAUSE_MS = 700

_GUARD_JS = """
<script>
(() => {
  const page = window.parent, doc = page.document;
  if (page.__sbsUnsavedEdits) return;  // one listener per page load, however many reruns
  page.__sbsUnsavedEdits = true;
  let pending = null, timer = null;
  const isText = (t) => t instanceof page.HTMLTextAreaElement
    || (t instanceof page.HTMLInputElement && (t.type === "text" || t.type === "password"));
  const commit = () => {
    clearTimeout(timer);
    const box = pending;
    pending = null;
    if (box && box.isConnected) box.dispatchEvent(new page.FocusEvent("focusout", {bubbles: true}));
  };
  doc.addEventListener("input", (e) => {
    if (!isText(e.target)) return;
    pending = e.target;
    clearTimeout(timer);
    if (e.target instanceof page.HTMLTextAreaElement) timer = setTimeout(commit, %(pause)d);
  }, true);
  doc.addEventListener("focusout", (e) => { if (e.isTrusted && e.target === pending) { clearTimeout(timer); pending = null; } }, true);
  page.addEventListener("beforeunload", (e) => {
    if (!pending) return;
    commit();
    e.preventDefault();
    e.returnValue = "";
  });
})();
</script>
"""


def keep_unsaved_edits() -> None:
    """Draw the (invisible) guard; call once per run, from the router."""
    st.iframe(_GUARD_JS % {"pause": PAUSE_MS}, height="content")
