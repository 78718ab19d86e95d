"""Formats: the shape a take comes back in, several formats from one Generate, and the first frame
made each format's shape.

Image-to-video takes its shape from the image, so the image sent must already be the format the
person chose: the upload stays as it was given (`Storyboard.first_frame`) and each take carries the
frame fitted to its format (`Storyboard.sent_frame`), cropped around a focus or padded with bars as
`Storyboard.frame_fits` says (a centred crop when nothing was chosen).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from storyboard import media
from storyboard.catalog import FRAME_SIZES, TURBO_IMAGE_RULES, offer
from storyboard.diff import content_key
from storyboard.media_store import media_for
from storyboard.models import (
    AspectRatio,
    FirstFrame,
    FrameFit,
    ImageRules,
    ProviderId,
    Resolution,
    Storyboard,
)

FORMATS: tuple[AspectRatio, ...] = get_args(AspectRatio)  # ("16:9", "9:16", "1:1"): the row's order
NAMES: dict[AspectRatio, str] = {"16:9": "Landscape", "9:16": "Vertical", "1:1": "Square"}
# A frame within 1 % of a format's ratio is that format already: nothing to crop or pad.
SAME_SHAPE = math.log(1.01)


class FrameUnusable(Exception):
    """The first frame fitted to a format cannot be sent (too small once cropped, say); the
    message says which format and what to do."""


@dataclass(frozen=True)
class Shape:
    """What a take comes back as: "Vertical · 1080×1920"."""

    aspect: AspectRatio
    width: int
    height: int

    @property
    def name(self) -> str:
        return NAMES[self.aspect]

    @property
    def label(self) -> str:
        return f"{self.name} · {self.width}×{self.height}"


def ratio(aspect: AspectRatio) -> float:
    w, h = (int(x) for x in aspect.split(":"))
    return w / h


def chosen_formats(sb: Storyboard) -> list[AspectRatio]:
    """The formats one Generate makes, in the row's order: `formats`, else the aspect ratio alone."""
    picked = set(sb.formats) or {sb.options.aspect_ratio}
    return [a for a in FORMATS if a in picked]


def with_formats(sb: Storyboard, picked: list[AspectRatio]) -> Storyboard:
    """The storyboard set to make `picked` (at least one): the first is its aspect ratio."""
    ordered = [a for a in FORMATS if a in set(picked)]
    if not ordered:
        raise ValueError("At least one format is needed.")
    options = sb.options.model_copy(update={"aspect_ratio": ordered[0]})
    return sb.model_copy(update={"options": options, "formats": ordered if len(ordered) > 1 else []})


def resolution(sb: Storyboard) -> Resolution:
    """The resolution the take is made at: the chosen one where the offer (or Preview) takes one,
    else 1080p (Kling V3 Pro and Turbo Pro render 1080p)."""
    if sb.provider == ProviderId.PREVIEW or offer(sb.provider, sb.model).has("resolution"):
        return sb.options.resolution
    return "1080p"


def shape(sb: Storyboard, aspect: AspectRatio | None = None) -> Shape:
    aspect = aspect or sb.options.aspect_ratio
    width, height = FRAME_SIZES[resolution(sb)][aspect]
    return Shape(aspect, width, height)


def output_shape(sb: Storyboard) -> Shape:
    """The shape of the storyboard's (first) take, for the brief and the cost panel."""
    return shape(sb, chosen_formats(sb)[0])


def output_shapes(sb: Storyboard) -> list[Shape]:
    """One shape per format one Generate makes."""
    return [shape(sb, a) for a in chosen_formats(sb)]


def shapes_label(sb: Storyboard) -> str:
    """ "Vertical · 1080×1920", or "Landscape · 1920×1080 + Vertical · 1080×1920" for several."""
    return " + ".join(s.label for s in output_shapes(sb))


def take_shape(sb: Storyboard) -> Shape | None:
    """The shape a take was ordered in; None for an image-to-video take from before formats whose
    frame was not its format's shape (the image decided, and it was not recorded)."""
    frame = sb.first_frame
    if (
        sb.sent_frame is None
        and frame is not None
        and uses_frame(sb)
        and needs_fit(frame, sb.options.aspect_ratio)
    ):
        return None
    return shape(sb)


def uses_frame(sb: Storyboard) -> bool:
    """The chosen offer sends a first frame, and there is one."""
    return sb.first_frame is not None and offer(sb.provider, sb.model).takes_image


def needs_fit(frame: FirstFrame, aspect: AspectRatio) -> bool:
    """The frame is not already the format's shape (so it must be cropped or padded)."""
    return abs(math.log(frame.aspect) - math.log(ratio(aspect))) > SAME_SHAPE


def fit_for(sb: Storyboard, aspect: AspectRatio) -> FrameFit:
    return sb.frame_fits.get(aspect) or FrameFit()


def fitted(
    path: Path, name: str, aspect: AspectRatio, fit: FrameFit, rules: ImageRules = TURBO_IMAGE_RULES
) -> media.CheckedImage:
    """The stored frame at `path` cropped or padded to the format (not saved): what the person is
    shown and what is sent."""
    return media.fit_frame(path, name, rules, ratio(aspect), fit.mode, (fit.focus_x, fit.focus_y), fit.bars)


def unusable(aspect: AspectRatio, fit: FrameFit, problem: str | None) -> str:
    """Why the first frame fitted to this format cannot be sent, and what to do."""
    words = (
        f"The first frame made {NAMES[aspect]} ({aspect}) cannot be sent: {problem or 'it is unreadable.'}"
    )
    return words + (" Or choose Pad for this format." if fit.mode == "crop" else "")


def frame_to_send(sb: Storyboard) -> FirstFrame | None:
    """The image a take uploads: its fitted frame, else (takes from before formats) the upload."""
    return sb.sent_frame or sb.first_frame


def format_boards(sb: Storyboard) -> list[Storyboard]:
    """The storyboard as each chosen format's take is priced and checked (no frame fitted yet)."""
    return [
        sb.model_copy(update={"options": sb.options.model_copy(update={"aspect_ratio": a})})
        for a in chosen_formats(sb)
    ]


def take_storyboards(sb: Storyboard, data_dir: Path) -> list[Storyboard]:
    """One storyboard per chosen format, each what its take sends: that aspect ratio and, with a
    first frame, the frame fitted to it (saved content-addressed in the data dir, so pressing
    again finds the same take). Raises FrameUnusable if a fitted frame cannot be sent."""
    takes = []
    for aspect in chosen_formats(sb):
        options = sb.options.model_copy(update={"aspect_ratio": aspect})
        update: dict[str, object] = {"options": options, "sent_frame": None}
        frame = sb.first_frame
        if frame is not None and uses_frame(sb) and needs_fit(frame, aspect):
            rules = offer(sb.provider, sb.model).image_rules or TURBO_IMAGE_RULES
            with media_for(Path(data_dir)).local(frame.path) as stored:
                checked = fitted(stored, frame.original_name, aspect, fit_for(sb, aspect), rules)
            if not checked.ok:
                raise FrameUnusable(unusable(aspect, fit_for(sb, aspect), checked.problem))
            update["sent_frame"] = media.save_first_frame(checked, data_dir, frame.original_name)
        takes.append(sb.model_copy(update=update))
    return takes


def order_key(sb: Storyboard) -> str:
    """Equal for every take of one Generate and for the storyboard they were made from: the
    content with the take's own format and fitted frame set back to the storyboard's."""
    first = chosen_formats(sb)[0]
    options = sb.options.model_copy(update={"aspect_ratio": first})
    return content_key(sb.model_copy(update={"options": options, "sent_frame": None}))
