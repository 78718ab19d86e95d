"""Present: the latest take large, full width under the editor, its shot buttons under it.

The editor's side column is narrow (a 330 px player, partly below the fold). Here the take plays
across the page, no taller than most of the window, with the "Shot n" buttons under it; Generate ×N
takes play side by side. When a take finishes while the page is open, the page scrolls to it once:
the card's fragment sets `SCROLL` before the rerun that shows the video, and the rerun scrolls.
The scroll is a few lines of JS in a 1 px `st.iframe` (srcdoc, same-origin with the page), as the
synced players on Takes do.
"""

from __future__ import annotations

import streamlit as st

from components.job_card import job_card
from storyboard.models import Job

KEY = "present"
SCROLL = "present:scroll"  # set when a take finished on this page: the next run scrolls to it

_STYLE = """
<style>
/* one take across the page, but never taller than most of the window: controls stay in view */
.st-key-present video { max-height: 78vh; background: #000; }
</style>
"""
_SCROLL_JS = """
<script>
(() => {
  const area = window.parent.document.querySelector(".st-key-present");
  if (area) area.scrollIntoView({block: "start", behavior: "instant"});
})();
</script>
"""


def present(latest: list[Job], earlier_version: bool) -> None:
    """The latest take (or the latest Generate ×N's takes, side by side), as large as the page allows."""
    with st.container(key=KEY):
        st.html(_STYLE)
        heading = st.container(horizontal=True, vertical_alignment="center")
        heading.subheader(
            "Present · latest take" if len(latest) == 1 else f"Present · latest {len(latest)} takes"
        )
        if st.session_state.pop(SCROLL, False):
            heading.iframe(_SCROLL_JS, width=1, height=1, tab_index=-1, alt="Scrolls to the finished take")
        if earlier_version:
            st.caption("Made from an earlier version of this storyboard.")
        places = st.columns(len(latest)) if len(latest) > 1 else [st.container()]
        for i, (place, job) in enumerate(zip(places, latest, strict=True)):
            with place:
                job_card(job, key="latest" if i == 0 else f"latest-{i}", on_finish=SCROLL)
