"""Download buttons for the one-page brief (PNG, PDF). The page is drawn only when one is clicked.

`st.download_button` runs a callable `data` on click, on a server thread with no Streamlit context,
so everything the callable needs (store, data dir) is picked up here, while the page runs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Literal

import streamlit as st

from components.lengths import when_clicked
from components.runtime import runtime
from storyboard import pricing, settings
from storyboard.brief import brief_pdf, brief_png, file_stem, latest_take, take_of
from storyboard.catalog import offer
from storyboard.models import Job, Quote, Storyboard
from storyboard.reviews import Kind, approval
from storyboard.store import Store

Format = Literal["png", "pdf"]
_RENDER = {"png": brief_png, "pdf": brief_pdf}
_MIME = {"png": "image/png", "pdf": "application/pdf"}
_FORMATS: tuple[Format, Format] = ("png", "pdf")


def _render(
    fmt: Format,
    made_from: Callable[[], tuple[Storyboard, Quote]],
    job: Job | None,
    store: Store | None,
    data_dir: Path,
    reviewed: Store | None = None,
) -> bytes:
    storyboard, quote = made_from()
    pictures_from = None
    # team mode: the take's own review, or for the editor's brief the storyboard's, read when clicked
    said = None
    if reviewed is not None:
        if job is not None:  # a take is a snapshot: its approval is of exactly what is printed
            said = approval(reviewed.reviews.current(Kind.TAKE, job.id))
        else:  # a storyboard saved since its approval says so, not a plain "Approved by"
            said = approval(
                reviewed.reviews.current(Kind.STORYBOARD, storyboard.id), reviewed.draft_version(storyboard.id)
            )
    if job is None and store is not None:  # the editor: the newest take of exactly this storyboard, if any
        recent = store.list_jobs(storyboard_id=storyboard.id, limit=20)
        job = take_of(storyboard, recent)
        pictures_from = None if job else latest_take(recent)  # edited since: its pictures, not grey boxes
    return _RENDER[fmt](
        storyboard, quote, job=job, data_dir=data_dir, pictures_from=pictures_from, approval=said
    )


def _priced(now: Callable[[], Storyboard]) -> tuple[Storyboard, Quote]:
    sb = now()
    return sb, pricing.quote(sb, offer(sb.provider, sb.model))


def _as_made(job: Job) -> tuple[Storyboard, Quote]:
    return job.storyboard, job.quote


def brief_data(fmt: Format, storyboard: Storyboard, job: Job | None = None) -> Callable[[], bytes]:
    """What the button calls on click: the brief's bytes, for a take (its storyboard at the price it
    was made at) or for the storyboard being edited (as saved when clicked, priced then as the cost
    panel prices it, so lengths dragged since the button was drawn count)."""
    rt = runtime()
    made_from = partial(_as_made, job) if job else partial(_priced, when_clicked(storyboard))
    reviewed = rt.store if settings.sign_in().on else None
    return partial(_render, fmt, made_from, job, None if job else rt.store, rt.data_dir, reviewed)


def brief_buttons(
    storyboard: Storyboard,
    *,
    key: str,
    job: Job | None = None,
    side_by_side: bool = True,
) -> None:
    """ "Brief (PNG)" and "Brief (PDF)": the storyboard on one A4 page, to send for approval."""
    name = file_stem(storyboard, job) + (f"-take-{job.id}" if job and not job.title else "") + "-brief"
    places = st.columns(2) if side_by_side else [st.container(), st.container()]
    for place, fmt in zip(places, _FORMATS, strict=True):
        place.download_button(
            f"Brief ({fmt.upper()})",
            data=brief_data(fmt, storyboard, job),  # drawn when clicked, not on every rerun
            file_name=f"{name}.{fmt}",
            mime=_MIME[fmt],
            key=f"{key}:brief-{fmt}",
            on_click="ignore",
            icon=":material/description:",
            width="stretch",
            help="One page with every shot, the provider, the options and the price, to send for approval.",
        )
