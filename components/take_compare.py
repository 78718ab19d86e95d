"""Takes of one storyboard side by side: each plays, with what changed and what each cost.

The videos are ordinary `st.video` elements: Streamlit serves their files to the browser through
its media file manager (a `/media/…` URL, with range requests, so a 30 MB take streams), which
base64 data URLs could not do for a hosted 1080p take. Playing them in sync is a few lines of JS in
a 1 px `st.iframe` beside the heading (an HTML string is embedded as srcdoc, same-origin with the page),
so it listens to the page's play/pause/seek events, inside this comparison's container only, and
repeats them on the other videos. Each handler acts only on videos not already in that state, so
the echoes stop at once.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from components import review
from components.shot_markers import subtitles
from components.stored_media import video_source
from components.text import plain
from storyboard.catalog import PROVIDERS
from storyboard.diff import changes
from storyboard.models import Job, JobState, format_usd
from storyboard.reviews import Comment, Review
from storyboard.store import BILLABLE
from storyboard.takes import TakeGroup, title

_SYNC_JS = """
<script>
(() => {
  const page = window.parent, doc = page.document, box = %(box)s, slot = "__takeSync_" + box;
  const events = ["play", "pause", "seeked", "ratechange"];
  if (page[slot]) events.forEach(e => doc.removeEventListener(e, page[slot], true));
  const follow = (e) => {
    const frame = window.frameElement;
    if (!frame || !frame.isConnected) { events.forEach(n => doc.removeEventListener(n, follow, true)); return; }
    const area = doc.querySelector(".st-key-" + box), lead = e.target;
    if (!area || !(lead instanceof page.HTMLVideoElement) || !area.contains(lead)) return;
    // An event this script caused (a follower's own play, pause or seek) is an echo, not a lead: its
    // events arrive later, and on a busy machine after the person's next action (a follower's late
    // "play" after a pause would start everything again).
    const echo = lead.__takeSyncEcho || (lead.__takeSyncEcho = {});
    if (echo[e.type] > 0) { echo[e.type] -= 1; return; }
    const made = (v, type) => { const m = v.__takeSyncEcho || (v.__takeSyncEcho = {}); m[type] = (m[type] || 0) + 1; };
    for (const v of area.querySelectorAll("video")) {
      if (v === lead) continue;
      if (Math.abs(v.currentTime - lead.currentTime) > 0.15 && e.type !== "pause" && !v.seeking) {
        made(v, "seeked"); v.currentTime = lead.currentTime;
      }
      if (e.type === "play" && v.paused) { made(v, "play"); v.play().catch(() => {}); }
      if (e.type === "pause" && !v.paused) { made(v, "pause"); v.pause(); }
      if (e.type === "ratechange" && v.playbackRate !== lead.playbackRate) {
        made(v, "ratechange"); v.playbackRate = lead.playbackRate;
      }
    }
  };
  page[slot] = follow;
  events.forEach(e => doc.addEventListener(e, follow, true));
})();
</script>
"""


def box_key(storyboard_id: str) -> str:
    return f"compare-{storyboard_id}"


def cost_words(job: Job) -> str:
    """What a take cost, as the spend totals count it."""
    if job.state in BILLABLE:
        return f"Cost {format_usd(job.quote.total)}"
    return f"Cost $0.00 (quoted {format_usd(job.quote.total)}, not charged: {job.state.value})"


def comparison(
    group: TakeGroup,
    chosen: list[Job],
    reviewed: Mapping[str, Review] | None = None,
    comments: Mapping[str, list[Comment]] | None = None,
) -> None:
    """`chosen` (two or more takes of `group`) side by side, oldest first; changes against the first.
    Team mode: each take's review state and comments under its video (`reviewed`, `comments`), a
    comment's time seeking that video."""
    chosen = sorted(chosen, key=lambda j: j.created_at)
    first = chosen[0]
    key = box_key(group.storyboard_id)
    with st.container(border=True, key=key):
        heading = st.container(horizontal=True, vertical_alignment="center")
        heading.markdown(f"**Comparing {len(chosen)} takes** · play, pause or seek one and the others follow")
        # 1 x 1 px beside the heading: st.iframe takes no height 0, and in this row it adds no height.
        heading.iframe(
            _SYNC_JS % {"box": f'"{key}"'}, width=1, height=1, tab_index=-1, alt="Keeps the videos in step"
        )
        # the words in one row, the videos in the next: every video starts at the same height
        for column, job in zip(st.columns(len(chosen)), chosen, strict=True):
            with column:
                st.markdown(
                    f"**{plain(title(job))}** · {group.label(job.id)}" + (" ★" if job.starred else "")
                )
                st.caption(
                    f"{cost_words(job)} · {PROVIDERS[job.provider].label} · {job.storyboard.total_seconds} s · "
                    f"{job.created_at:%d %b %H:%M}"
                )
                if job is first:
                    st.caption("The first of these takes: the others are compared with it.")
                else:
                    said = changes(first.storyboard, job.storyboard)
                    if said:
                        st.markdown("\n".join(f"- {plain(line)}" for line in said))
                    else:
                        st.caption(f"Same storyboard as {plain(title(first))}: another take of it.")
        for column, job in zip(st.columns(len(chosen), vertical_alignment="top"), chosen, strict=True):
            with column:
                if reviewed is None or comments is None:
                    _video(job)
                    continue
                with st.container(key=f"review-video-{job.id}"):  # where a comment's time seeks
                    _video(job)
                    review.state_line(reviewed.get(job.id))
                    review.comment_list(
                        comments.get(job.id, []), f"st-key-review-video-{job.id}", f"compare:{job.id}"
                    )


def _video(job: Job) -> None:
    source = _source(job)
    if source is not None:
        st.video(source, subtitles=subtitles(job))
    else:
        st.caption(plain(job.message or f"No video: {job.state.value}."))


def _source(job: Job) -> str | None:
    """The take's video for the player, or None (not done, or its file is gone)."""
    if job.state != JobState.DONE or not job.video_path:
        return None
    try:
        return video_source(job.video_path)
    except OSError:
        return None
