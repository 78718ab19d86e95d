"""First-frame image: upload, the checks' verdict in plain words, and the crop/pad fix.

Files are judged by their content, never their name (media.check_image). An image that is only
too wide or too tall is shown cropped and padded, and the user picks one before it is used.
"""

from __future__ import annotations

import streamlit as st

from components.runtime import commit, current, runtime
from storyboard import media
from storyboard.catalog import MODELS, TURBO_IMAGE_RULES, Offer
from storyboard.models import ModelId

PENDING = "first_frame_pending"  # {"name", "problem", "crop", "pad"}: an image awaiting a crop/pad choice
ERROR = "first_frame_error"
SEEN = "first_frame_seen"
UPLOADER_GENERATION = "first_frame_uploader"


def _uploader_key() -> str:
    return f"w:upload:{st.session_state.get(UPLOADER_GENERATION, 0)}"


def _reset_uploader() -> None:
    st.session_state[UPLOADER_GENERATION] = st.session_state.get(UPLOADER_GENERATION, 0) + 1


def _use(checked: media.CheckedImage, name: str) -> None:
    frame = media.save_first_frame(checked, runtime().data_dir, name)
    commit(current().model_copy(update={"first_frame": frame}))
    st.session_state.pop(PENDING, None)
    st.session_state.pop(ERROR, None)


def _remove() -> None:
    commit(current().model_copy(update={"first_frame": None}))
    st.session_state.pop(PENDING, None)
    st.session_state.pop(ERROR, None)
    _reset_uploader()


def _fix(mode: str) -> None:
    pending = st.session_state[PENDING]
    _use(pending[mode], pending["name"])
    _reset_uploader()


def _switch_model(model: ModelId) -> None:
    commit(current().model_copy(update={"model": model}))


def _receive(upload: st.runtime.uploaded_file_manager.UploadedFile, rules: media.ImageRules) -> None:
    """Check a newly dropped file once (not on every rerun)."""
    if st.session_state.get(SEEN) == upload.file_id:
        return
    st.session_state[SEEN] = upload.file_id
    st.session_state.pop(ERROR, None)
    st.session_state.pop(PENDING, None)
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


def first_frame_input(offer: Offer) -> None:
    sb = current()
    rules = offer.image_rules or TURBO_IMAGE_RULES
    upload = st.file_uploader(
        "First frame (optional): the video starts from this picture",
        key=_uploader_key(),
        help="JPG or PNG (other formats are converted), at least "
        f"{rules.min_side} px per side, up to {rules.max_bytes // (1024 * 1024)} MB.",
    )
    if upload is not None:
        _receive(upload, rules)
        sb = current()

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
                f"Use {label.lower()}", key=f"w:fix-{mode}", on_click=_fix, args=(mode,), width="stretch"
            )

    frame = sb.first_frame
    if frame is None:
        return
    picture, about = st.columns([1, 2])
    picture.image(str(media.thumbnail(runtime().data_dir / frame.path)), width="stretch")
    with about:
        st.markdown(
            f"**{frame.original_name or 'First frame'}**  \n{frame.width}×{frame.height} px · {frame.format}"
        )
        for note in frame.notes:
            st.caption(note)
        st.button("Remove image", key="w:remove-image", on_click=_remove)
    if not MODELS[sb.model].takes_image:
        st.info(f"{MODELS[sb.model].label} does not use a first frame.", icon="ℹ️")
        st.button(
            f"Use {MODELS[ModelId.TURBO_PRO_I2V].label}",
            key="w:use-i2v",
            on_click=_switch_model,
            args=(ModelId.TURBO_PRO_I2V,),
        )
