"""The format row beside Generate (one checkbox per format: each checked format is a take of its
own), the output shape, and each format's crop/pad choice for the first frame."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components.roles import read_only
from components.runtime import commit, current, runtime
from storyboard import formats
from storyboard.catalog import TURBO_IMAGE_RULES, Offer
from storyboard.media_store import media_for
from storyboard.models import AspectRatio, FrameFit, Storyboard

FORMAT_KEY = "w:format:"  # + aspect: the format row's checkboxes
LAST_FORMAT = "formats_last_kept"  # the person unticked the only format: say why it stayed


def format_key(aspect: AspectRatio) -> str:
    return f"{FORMAT_KEY}{aspect}"


def _toggle(aspect: AspectRatio) -> None:
    sb = current()
    picked = set(formats.chosen_formats(sb))
    if st.session_state[format_key(aspect)]:
        picked.add(aspect)
    else:
        picked.discard(aspect)
    if not picked:  # a Generate must make something: the box stays ticked
        st.session_state[LAST_FORMAT] = True
        return
    commit(formats.with_formats(sb, list(picked)))


def format_row(sb: Storyboard) -> list[AspectRatio]:
    """The row of format checkboxes; returns the formats one Generate makes."""
    picked = formats.chosen_formats(sb)
    st.markdown(
        "**Formats**",
        help="Each ticked format is a take of its own, generated and paid for separately, "
        "compared side by side on the Takes page.",
    )
    row = st.container(horizontal=True, gap="medium", key="format-row")
    for aspect in formats.FORMATS:
        st.session_state[format_key(aspect)] = aspect in picked
        row.checkbox(
            f"{aspect} {formats.NAMES[aspect]}",
            key=format_key(aspect),
            on_change=_toggle,
            args=(aspect,),
            disabled=read_only(),
        )
    if st.session_state.pop(LAST_FORMAT, False):
        st.caption("Keep at least one format ticked: it is the shape the video comes back in.")
    return picked


def _set_fit(aspect: AspectRatio, **change: object) -> None:
    sb = current()
    fits = dict(sb.frame_fits)
    fits[aspect] = formats.fit_for(sb, aspect).model_copy(update=change)
    commit(sb.model_copy(update={"frame_fits": fits}))


def _fit_widget_changed(aspect: AspectRatio, field: str, key: str, scale: float = 1.0) -> None:
    value = st.session_state[key]
    _set_fit(aspect, **{field: value / scale if scale != 1.0 else value})


@st.cache_data(max_entries=24, show_spinner=False)
def _fitted_preview(
    data_dir: str, path: str, name: str, aspect: AspectRatio, fit_json: str
) -> tuple[bytes | None, str]:
    """The fitted frame's bytes and a caption (or None and the problem): cached, as the same
    choice is drawn on every rerun. `path`: the first frame's name in the media store (data dir or
    bucket; named by its content, so the cache never goes stale)."""
    fit = FrameFit.model_validate_json(fit_json)
    with media_for(Path(data_dir)).local(path) as stored:
        checked = formats.fitted(stored, name, aspect, fit, TURBO_IMAGE_RULES)
    if not checked.ok or checked.data is None:
        return None, formats.unusable(aspect, fit, checked.problem)
    return checked.data, f"Sent for {formats.NAMES[aspect]}: {checked.width}×{checked.height} px"


def frame_fits(sb: Storyboard, chosen: Offer) -> list[str]:
    """For each chosen format whose shape the first frame is not: crop (with a focus) or pad.
    Returns why a fitted frame cannot be sent (Generate waits until it can), [] when all can."""
    frame = sb.first_frame
    problems: list[str] = []
    if frame is None or not chosen.takes_image:
        return problems
    for aspect in formats.chosen_formats(sb):
        if not formats.needs_fit(frame, aspect):
            continue
        fit = formats.fit_for(sb, aspect)
        name = formats.NAMES[aspect]
        with st.container(border=True, key=f"fit-{aspect.replace(':', '-')}"):
            st.markdown(
                f"**{name} ({aspect})**: your image is {frame.width}×{frame.height} px, so it is "
                f"{'cropped' if fit.mode == 'crop' else 'padded'} to {aspect} for this take. "
                "Your upload is kept as it is."
            )
            picture, choice = st.columns([1, 1])
            with choice:
                mode_key = f"w:fit:{aspect}:mode"
                st.session_state[mode_key] = fit.mode
                st.radio(
                    f"Make the first frame {aspect}",
                    options=["crop", "pad"],
                    format_func=lambda m: {"crop": "Crop", "pad": "Pad with bars"}[m],
                    horizontal=True,
                    key=mode_key,
                    on_change=_fit_widget_changed,
                    args=(aspect, "mode", mode_key),
                    disabled=read_only(),
                )
                if fit.mode == "crop":
                    wide = frame.aspect > formats.ratio(aspect)  # the window slides across, else up/down
                    field = "focus_x" if wide else "focus_y"
                    focus_key = f"w:fit:{aspect}:focus"
                    st.session_state[focus_key] = round(getattr(fit, field) * 100)
                    st.slider(
                        "Focus, left to right" if wide else "Focus, top to bottom",
                        min_value=0,
                        max_value=100,
                        step=5,
                        format="%d%%",
                        key=focus_key,
                        on_change=_fit_widget_changed,
                        args=(aspect, field, focus_key, 100.0),
                        help="Which part of your image the crop keeps: 50% is the middle.",
                        disabled=read_only(),
                    )
                else:
                    bars_key = f"w:fit:{aspect}:bars"
                    st.session_state[bars_key] = fit.bars
                    st.radio(
                        "Bars",
                        options=["blur", "plain"],
                        format_func=lambda b: {"blur": "Blurred", "plain": "Plain"}[b],
                        horizontal=True,
                        key=bars_key,
                        on_change=_fit_widget_changed,
                        args=(aspect, "bars", bars_key),
                        disabled=read_only(),
                    )
            data, caption = _fitted_preview(
                str(runtime().data_dir), frame.path, frame.original_name, aspect, fit.model_dump_json()
            )
            if data is None:
                st.error(caption, icon="📐")
                problems.append(caption)
            else:
                tall = formats.ratio(aspect) < 1  # a vertical frame at full column width is too tall
                picture.image(data, caption=caption, width=160 if tall else "stretch")
    return problems
