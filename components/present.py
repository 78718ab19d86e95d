"""Present: the latest take large, full width under the editor, its shot buttons under it.

The editor's side column is narrow (a 330 px player, partly below the fold). Here the take plays
across the page, no taller than the window leaves, with the "Shot n" buttons under it; Generate ×N
takes play side by side. When a take finishes while the page is open, the page scrolls to it once:
a take this session saw unfinished is remembered (`WATCHING`), and the first run that finds it
finished (the card's own rerun when it ends, or any other) scrolls and forgets it. The scroll is a few lines of JS in a 1 px `st.iframe` (srcdoc, same-origin with the page), as the
synced players on Takes do.
"""

from __future__ import annotations

import streamlit as st

from components.job_card import job_card
from components.lengths import LengthFigures
from components.runtime import current
from storyboard import formats
from storyboard.models import Job, Storyboard

KEY = "present"
WATCHING = "present:watching"  # ids of takes this session saw unfinished: scroll when they finish

_STYLE = """
<style>
/* one take across the page, no taller than the window leaves once the heading, the take's line and
   the shot buttons under it are in view (the page scrolls the heading to the top) */
.st-key-present video { max-height: calc(100vh - 240px); background: #000; }
/* a window's height of room, so that scrolling it to the top works at the end of the page too */
.st-key-present { min-height: calc(100vh - 60px); scroll-margin-top: 60px; }
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


def _just_finished(latest: list[Job]) -> bool:
    """Did a take this session saw running finish since? (Then the page scrolls to it, once.)"""
    watching: set[str] = st.session_state.setdefault(WATCHING, set())
    finished = {job.id for job in latest if job.state.finished} & watching
    watching.difference_update(finished)
    watching.update(job.id for job in latest if not job.state.finished)
    return bool(finished)


def _earlier_version(made_from: Storyboard) -> None:
    """Drawn in a LengthFigures place: a length changed makes the take an earlier version."""
    if formats.order_key(made_from) != formats.order_key(current()):
        st.caption("Made from an earlier version of this storyboard.")


def present(latest: list[Job], figures: LengthFigures) -> None:
    """The latest take (or the latest Generate ×N's takes, side by side), as large as the page allows."""
    with st.container(key=KEY):
        st.html(_STYLE)
        heading = st.container(horizontal=True, vertical_alignment="center")
        heading.subheader(
            "Present · latest take" if len(latest) == 1 else f"Present · latest {len(latest)} takes"
        )
        if _just_finished(latest):
            heading.iframe(_SCROLL_JS, width=1, height=1, tab_index=-1, alt="Scrolls to the finished take")
        figures.here(_earlier_version, latest[0].storyboard)
        places = st.columns(len(latest)) if len(latest) > 1 else [st.container()]
        for i, (place, job) in enumerate(zip(places, latest, strict=True)):
            with place:
                job_card(job, key="latest" if i == 0 else f"latest-{i}")
