"""Typing is kept even when the user never leaves the box.

Streamlit sends a text box's value to the server only when the box loses focus (or on Ctrl+Enter),
so a prompt typed and followed by a refresh was lost: the server never saw it, so the draft never
had it. A few lines of JS in an invisible same-origin frame fix that on every page:

- after a pause in typing (`PAUSE_MS`) a text area's edit (a prompt, a negative prompt) is
  committed as if the user had left it: a `focusout` event is dispatched on the box, which is what
  Streamlit's widget listens to, while the focus and the caret stay where they are, so typing goes
  on undisturbed. One-line boxes are left alone: some act when committed (a take's new name is
  kept and the box closes), which must wait for Enter;
- if the page is left (refresh, close, another address) with an edit in any text box not yet
  committed, it is committed at once and the browser asks "Leave site?", which gives it the moment
  to arrive. It does not always arrive: the page is blocked while the question is up, and about
  one reload in ten unloaded it before the rerun left (stop 16). So the edit is also kept in the
  tab's sessionStorage (written synchronously, it survives the reload) and, when the page is back,
  typed into the same box (found by its widget key's `st-key-` class) and committed, unless the
  box already holds it. If that box is gone because the storyboard was never saved (the edit
  lost was its first), the reload shows a new one: the empty box with the same label gets it.
  Only for this tab and for `RESTORE_MS` after leaving.

Password boxes (keys on Settings) are left alone: a key is sent only when its owner presses Enter
or leaves the box. The frame is drawn in the sidebar with `height="content"` (st.iframe refuses 0),
where its few pixels are not seen.
"""

from __future__ import annotations

import streamlit as st

PAUSE_MS = 700
RESTORE_MS = 10 * 60 * 1000  # an edit kept on leaving is typed back only this soon after

_GUARD_JS = r"""
<script>
(() => {
  const page = window.parent, doc = page.document;
  // Handlers live on the page; a guard drawn again (a new frame) replaces the old one's, so there
  // is always exactly one set, and its timers are the page's, not a removed frame's.
  const old = page.__sbsUnsavedEdits;
  if (old) {
    doc.removeEventListener("input", old.onInput, true);
    doc.removeEventListener("focusout", old.onBlur, true);
    doc.removeEventListener("keydown", old.onKey, true);
    page.removeEventListener("beforeunload", old.onLeave);
    page.clearTimeout(old.timer);
  }
  const state = {pending: old ? old.pending : null, timer: null};
  // Text areas and one-line text boxes; never a password box (a key is sent only when its owner
  // presses Enter or leaves the box).
  const isText = (t) => t instanceof page.HTMLTextAreaElement
    || (t instanceof page.HTMLInputElement && t.type === "text");
  const settled = () => { page.clearTimeout(state.timer); state.pending = null; };
  const commit = () => {
    const box = state.pending;
    settled();
    if (box && box.isConnected) box.dispatchEvent(new page.FocusEvent("focusout", {bubbles: true}));
  };
  state.onInput = (e) => {
    if (!isText(e.target)) return;
    state.pending = e.target;
    page.clearTimeout(state.timer);
    if (e.target instanceof page.HTMLTextAreaElement) state.timer = page.setTimeout(commit, %(pause)d);
  };
  state.onBlur = (e) => { if (e.isTrusted && e.target === state.pending) settled(); };
  state.onKey = (e) => {  // Streamlit commits on Enter (one line) and Ctrl/Cmd+Enter (text area)
    if (e.target !== state.pending || e.key !== "Enter") return;
    if (e.target instanceof page.HTMLInputElement || e.ctrlKey || e.metaKey) settled();
  };
  const KEPT = "sbs-unsaved-edit";
  const keyClass = (box) => {
    const holder = box.closest("[class*='st-key-']");
    return holder ? [...holder.classList].find((c) => c.startsWith("st-key-")) : null;
  };
  state.onLeave = (e) => {
    if (!state.pending || !state.pending.isConnected) return;
    const cls = keyClass(state.pending);
    if (cls) {
      try {
        const label = state.pending.getAttribute("aria-label") || "";
        page.sessionStorage.setItem(KEPT, JSON.stringify({cls, label, value: state.pending.value, at: Date.now()}));
      } catch (_) { /* storage full or off: the commit below is still made */ }
    }
    commit();
    e.preventDefault();
    e.returnValue = "";
  };
  // Back after leaving: type the kept edit into its box again, once, if the box does not have it.
  const restore = () => {
    let kept = null;
    try {
      kept = JSON.parse(page.sessionStorage.getItem(KEPT) || "null");
      page.sessionStorage.removeItem(KEPT);
    } catch (_) { return; }
    if (!kept || typeof kept.cls !== "string" || typeof kept.value !== "string") return;
    if (!(Date.now() - kept.at < %(restore)d) || !/^st-key-[\w-]+$/.test(kept.cls)) return;
    const boxes = (inside) => [...doc.querySelectorAll(`${inside} textarea, ${inside} input[type=text]`)];
    const sameLabel = () => boxes("").filter((b) => b.getAttribute("aria-label") === kept.label);
    let tries = 0;
    const find = page.setInterval(() => {
      const app = doc.querySelector("[data-testid='stApp']");
      const drawn = app && app.dataset.testScriptState === "notRunning";
      let box = drawn ? boxes(`.${kept.cls}`)[0] : null;
      if (!box && drawn && kept.label) {
        const alike = sameLabel();
        if (alike.length === 1 && alike[0].value === "") box = alike[0];
      }
      if (!box && ++tries < 150) return;  // the page is still being drawn (up to 15 s)
      page.clearInterval(find);
      if (!box || box.value === kept.value) return;  // gone, or the commit on leaving arrived
      const proto = box instanceof page.HTMLTextAreaElement ? page.HTMLTextAreaElement : page.HTMLInputElement;
      Object.getOwnPropertyDescriptor(proto.prototype, "value").set.call(box, kept.value);
      box.dispatchEvent(new page.Event("input", {bubbles: true}));
      box.dispatchEvent(new page.FocusEvent("focusout", {bubbles: true}));
      settled();
    }, 100);
  };
  if (!old) restore();
  doc.addEventListener("input", state.onInput, true);
  doc.addEventListener("focusout", state.onBlur, true);
  doc.addEventListener("keydown", state.onKey, true);
  page.addEventListener("beforeunload", state.onLeave);
  page.__sbsUnsavedEdits = state;
})();
</script>
"""


def keep_unsaved_edits() -> None:
    """Draw the (invisible) guard; call once per run, from the router."""
    st.iframe(_GUARD_JS % {"pause": PAUSE_MS, "restore": RESTORE_MS}, height="content")
