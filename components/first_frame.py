"""First-frame image: upload, the checks' verdict in plain words, and the crop/pad fix.

Files are judged by their content, never their name (media.check_image). An image that is only
too wide or too tall is shown cropped and padded, and the user picks one before it is used.
"""

from __future__ import annotations

import contextlib

import streamlit as st

from components.roles import read_only, say_refused
from components.runtime import commit, current, refused_edit, runtime
from components.stored_media import picture_source
from components.text import plain
from storyboard import media
from storyboard.catalog import MODELS, TURBO_IMAGE_RULES, Offer, first_frame_rules
from storyboard.models import ModelId

PENDING = "first_frame_pending"  # {"name", "problem", "crop", "pad"}: an image awaiting a crop/pad choice
ERROR = "first_frame_error"
SWITCHED = "first_frame_switched_model"  # say once that the upload switched the model
UPLOADER_GENERATION = "first_frame_uploader"


def _uploader_key() -> str:
    return f"w:upload:{st.session_state.get(UPLOADER_GENERATION, 0)}"


def _reset_uploader() -> None:
    st.session_state[UPLOADER_GENERATION] = st.session_state.get(UPLOADER_GENERATION, 0) + 1


def _use(checked: media.CheckedImage, name: str) -> None:
    not_allowed = refused_edit()
    if not_allowed:
        say_refused(not_allowed)
        return
    frame = media.save_first_frame(checked, runtime().data_dir, name)
    sb = current()
    update: dict[str, object] = {"first_frame": frame}
    if sb.model == ModelId.TURBO_PRO_T2V:  # a photo means "start from it": the image-to-video twin
        update["model"] = ModelId.TURBO_PRO_I2V
        st.session_state[SWITCHED] = True
    commit(sb.model_copy(update=update))
    st.session_state.pop(PENDING, None)
    st.session_state.pop(ERROR, None)
    _reset_uploader()  # the preview below shows the image; an empty drop zone takes the next one


def _remove() -> None:
    commit(current().model_copy(update={"first_frame": None}))
    st.session_state.pop(PENDING, None)
    st.session_state.pop(ERROR, None)
    _reset_uploader()


def _fix(mode: str) -> None:
    pending = st.session_state[PENDING]
    _use(pending[mode], pending["name"])


def _switch_model(model: ModelId) -> None:
    commit(current().model_copy(update={"model": model}))


def _uploader_changed() -> None:
    """A file was dropped (check it, once) or the chip's ✕ emptied the uploader (drop the image)."""
    not_allowed = refused_edit()
    if not_allowed:  # nothing is saved, not even the picture
        say_refused(not_allowed)
        return
    upload = st.session_state.get(_uploader_key())
    if upload is None:  # the chip's ✕: drop what that file brought, not an image used before it
        if st.session_state.pop(PENDING, None) is None and not st.session_state.pop(ERROR, None):
            _remove()
        return
    st.session_state.pop(ERROR, None)
    st.session_state.pop(PENDING, None)
    rules = first_frame_rules(current().provider)
    data = upload.getvalue()
    checked = media.check_image(data, upload.name, rules)
    if checked.ok:
        _use(checked, upload.name)
    elif checked.aspect_fixable:
        # Both fixes are made once, here, and shown side by side before either is used.
        st.session_state[PENDING] = {
            "name": upload.name,
            "problem": checked.problem,
            "crop": media.fix_aspect(data, upload.name, rules, "crop"),
            "pad": media.fix_aspect(data, upload.name, rules, "pad"),
        }
    else:
        st.session_state[ERROR] = checked.problem


def first_frame_input(chosen: Offer) -> None:
    sb = current()
    rules = chosen.image_rules or TURBO_IMAGE_RULES
    st.file_uploader(
        "First frame (optional): the video starts from this picture",
        key=_uploader_key(),
        on_change=_uploader_changed,
        max_upload_size=rules.max_bytes // 2**20,  # refused in the browser, before it is sent
        help="JPG or PNG (other formats are converted), at least "
        f"{rules.min_side} px per side, up to {rules.max_bytes // (1024 * 1024)} MB.",
        disabled=read_only(),
    )
    if st.session_state.get(ERROR):
        st.error(st.session_state[ERROR], icon="🖼️")

    pending = st.session_state.get(PENDING)
    if pending is not None:
        st.warning(pending["problem"], icon="📐")
        for column, mode in zip(st.columns(2), ("crop", "pad"), strict=True):
            fixed = pending[mode]
            label = "Cropped" if mode == "crop" else "Padded"
            column.image(fixed.data, caption=f"{label}: {fixed.width}×{fixed.height} px", width="stretch")
            column.button(
                f"Use {label.lower()}",
                key=f"w:fix-{mode}",
                on_click=_fix,
                args=(mode,),
                width="stretch",
                disabled=read_only(),
            )

    frame = sb.first_frame
    if frame is None:
        return
    picture, about = st.columns([1, 2])
    with contextlib.suppress(OSError):  # missing: the editor says so (exports.first_frame_missing)
        picture.image(picture_source(frame.path, max_width=480), width="stretch")
    with about:
        st.markdown(
            f"**{plain(frame.original_name or 'First frame')}**  \n{frame.width}×{frame.height} px · {frame.format}"
        )
        for note in frame.notes:
            st.caption(note)
        st.button("Remove image", key="w:remove-image", on_click=_remove, disabled=read_only())
    if st.session_state.pop(SWITCHED, False):
        st.success(f"Switched to {MODELS[sb.model].label}, so the video starts from this picture.", icon="🔁")
    if not MODELS[sb.model].takes_image:
        st.info(f"{MODELS[sb.model].label} does not use a first frame.", icon="ℹ️")
        st.button(
            f"Use {MODELS[ModelId.TURBO_PRO_I2V].label}",
            key="w:use-i2v",
            on_click=_switch_model,
            args=(ModelId.TURBO_PRO_I2V,),
            disabled=read_only(),
        )
