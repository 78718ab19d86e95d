"""What a phone (390×844) needs that Streamlit has no setting for.

- Generate, with the total on it, stays in view while a lower shot is edited: on a narrow screen the
  side column (cost, Generate) comes after every shot, so the bar holding Generate
  (`GENERATE_BAR`, a keyed container in the editor) is pinned to the bottom of the screen, and the
  page gets room under its last line so nothing hides behind the bar.
- The navigation menu (Streamlit's sidebar, an overlay on a phone) closes once a page is picked, so
  the page picked is what is seen; on a wide screen the sidebar is beside the page and stays.

Below `PHONE_MAX_PX` (Streamlit's own breakpoint: columns stack, the sidebar overlays) only.
"""

from __future__ import annotations

import streamlit as st

PHONE_MAX_PX = 640
GENERATE_BAR = "generate-bar"  # the editor's container around Generate

_CSS = """
<style>
@media (max-width: %(max)dpx) {
  .st-key-%(bar)s {
    position: fixed; left: 0; right: 0; bottom: 0; z-index: 99;
    padding: 0.5rem 1rem calc(0.5rem + env(safe-area-inset-bottom));
    background: #fff; box-shadow: 0 -2px 8px rgba(0, 0, 0, 0.12);
  }
  [data-testid="stMainBlockContainer"] { padding-bottom: 6rem; }
}
</style>
"""

_NAV_JS = """
<script>
(() => {
  // Installed once per page; a later run's copy finds it and does nothing.
  if (window.__sbsCloseNavOnPick) return;
  window.__sbsCloseNavOnPick = true;
  document.addEventListener("click", (e) => {
    if (!window.matchMedia("(max-width: %(max)dpx)").matches) return;
    if (!e.target.closest('[data-testid="stSidebarNav"] a')) return;
    // After Streamlit has taken the click (it navigates), fold the overlay away.
    setTimeout(() => {
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      const bar = document.querySelector('[data-testid="stSidebar"]');
      if (close && bar && bar.dataset.collapsed === "false") close.click();
    }, 0);
  }, true);
})();
</script>
"""


def phone_layout() -> None:
    """Draw the phone rules; call once per run, from the router."""
    st.html(_CSS % {"max": PHONE_MAX_PX, "bar": GENERATE_BAR})
    with st.sidebar:
        st.html(_NAV_JS % {"max": PHONE_MAX_PX}, unsafe_allow_javascript=True)
