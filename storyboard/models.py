"""The vocabulary every layer shares: shots, storyboards, first frames, offers, quotes, jobs.

Models hold data and nothing that needs a provider's rules; checking a storyboard against an offer
lives in `validate.py`, prices in `pricing.py`, request bodies in `compile.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

AspectRatio = Literal["16:9", "9:16", "1:1"]
Resolution = Literal["720p", "1080p"]
ShotType = Literal["customize", "intelligent"]
FitMode = Literal["crop", "pad"]  # how a first frame of another shape is made the video's shape
Bars = Literal["blur", "plain"]  # what fills the sides of a padded first frame


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def utcnow() -> datetime:
    return datetime.now(UTC)


class ModelId(StrEnum):
    TURBO_PRO_T2V = "kling-v3-turbo-pro-t2v"
    TURBO_PRO_I2V = "kling-v3-turbo-pro-i2v"
    V3_PRO_T2V = "kling-v3.0-pro-t2v"


class ProviderId(StrEnum):
    PREVIEW = "preview"
    WAVESPEED = "wavespeed"
    FAL = "fal"
    EVOLINK = "evolink"


def name_problem(text: str, what: str = "A name") -> str | None:
    """Why a storyboard's name or a take's title cannot be kept (too long), or None.

    The limit is the catalog's, read here rather than at the top because the catalog imports this module.
    """
    from storyboard.catalog import MAX_NAME_CHARS

    if len(text) > MAX_NAME_CHARS:
        return f"{what} can be at most {MAX_NAME_CHARS} characters (this one has {len(text):,}): shorten it."
    return None


def _name(text: str) -> str:
    problem = name_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def _file_name(text: str) -> str:
    from storyboard.catalog import MAX_FILE_NAME_CHARS

    if len(text) > MAX_FILE_NAME_CHARS:
        raise ValueError(
            f"A file name can be at most {MAX_FILE_NAME_CHARS} characters; this one has {len(text):,}."
        )
    return text


# Text people type that every page, brief and file name shows: limited at the model (catalog.py).
Name = Annotated[str, AfterValidator(_name)]
FileName = Annotated[str, AfterValidator(_file_name)]


class Edited(BaseModel):
    """What the user edits: every change is checked, an assignment and a copy alike.

    Pydantic's `model_copy(update=...)` sets fields without checking them, and every edit in the app is
    such a copy: an unknown provider or `cfg_scale=7` was accepted, saved, and the draft then failed to
    load. Here a copy with changes is validated like a new model (ValidationError at the edit); nested
    models already checked are reused as they are, so an edit costs one shallow validation.
    """

    model_config = ConfigDict(validate_assignment=True)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copy = super().model_copy(update=update, deep=deep)
        if not update:
            return copy
        return self.model_validate({name: getattr(copy, name) for name in type(self).model_fields})


class PromptParts(Edited):
    """The prompt helper's fields for one shot. They compose into its prompt (prompt_parts.py);
    only the prompt is ever sent to a provider."""

    subject: str = ""
    action: str = ""
    camera: str = ""
    lighting: str = ""
    style: str = ""


class Shot(Edited):
    """One shot: what happens, and for how many whole seconds."""

    id: str = Field(default_factory=new_id)
    prompt: str = ""
    duration: int = 5
    parts: PromptParts | None = None  # None: the helper was never used (and older drafts)


class FirstFrame(Edited):
    """An uploaded first frame after checking and normalising (see media.py).

    `path` is relative to the data directory so a moved data dir keeps working.
    """

    path: str
    width: int
    height: int
    format: Literal["JPEG", "PNG"]
    size_bytes: int
    sha256: str
    original_name: FileName = ""
    notes: list[str] = Field(default_factory=list)

    @property
    def aspect(self) -> float:
        return self.width / self.height


class FrameFit(Edited):
    """How the first frame is made one format's shape: cropped around a focus point (0..1 of the
    width and height: 0.5, 0.5 is the middle), or padded with blurred or plain bars."""

    mode: FitMode = "crop"
    focus_x: float = Field(0.5, ge=0.0, le=1.0)
    focus_y: float = Field(0.5, ge=0.0, le=1.0)
    bars: Bars = "blur"


class Options(Edited):
    """Every option any offer has; an offer sends only those it lists in the catalog."""

    aspect_ratio: AspectRatio = "16:9"
    resolution: Resolution = "1080p"
    negative_prompt: str = ""
    cfg_scale: float = Field(0.5, ge=0.0, le=1.0)
    sound: bool = False
    shot_type: ShotType = "customize"


UNTITLED = "Untitled storyboard"  # a storyboard's name until it is given one


class Storyboard(Edited):
    id: str = Field(default_factory=new_id)
    name: Name = UNTITLED
    shots: list[Shot] = Field(default_factory=lambda: [Shot()])
    model: ModelId = ModelId.TURBO_PRO_T2V
    provider: ProviderId = ProviderId.PREVIEW
    options: Options = Field(default_factory=Options)
    first_frame: FirstFrame | None = None  # the upload as the person gave it (checked, never reshaped)
    # Several formats made by one Generate (a take each); [] means options.aspect_ratio alone.
    formats: list[AspectRatio] = Field(default_factory=list)
    frame_fits: dict[AspectRatio, FrameFit] = Field(default_factory=dict)  # per format; absent: centred crop
    # On a take only: the first frame fitted to the take's format, the image that is sent (formats.py).
    sent_frame: FirstFrame | None = None

    @property
    def total_seconds(self) -> int:
        return sum(s.duration for s in self.shots)

    @property
    def is_multi_shot(self) -> bool:
        return len(self.shots) > 1


class ImageRules(BaseModel):
    """What a provider accepts as a first frame. Values are written in catalog.py only."""

    formats: tuple[str, ...]
    min_side: int
    max_bytes: int
    min_aspect: float
    max_aspect: float


class Limits(BaseModel):
    """Storyboard limits of one offer. Values are written in catalog.py only."""

    min_shots: int
    max_shots: int
    min_total_seconds: int
    max_total_seconds: int
    min_shot_seconds: int
    max_prompt_chars: int
    max_shot_prompt_chars: int
    max_negative_prompt_chars: int


class Rate(BaseModel):
    """A published price per second, with where and when it was read."""

    usd_per_second: Decimal
    source: str
    as_of: str
    verified: bool = True
    note: str = ""


class LineItem(BaseModel):
    label: str
    seconds: int
    usd_per_second: Decimal
    amount: Decimal
    source: str


class Quote(BaseModel):
    provider: ProviderId
    model: ModelId
    items: list[LineItem]
    total: Decimal
    verified: bool = True
    note: str = ""


def format_usd(amount: Decimal, *, exact: bool = False) -> str:
    """The one rounding rule for prices a person reads: whole cents, half up ($0.924 -> $0.92).
    `exact=True` is for the line items (a rate, a billed amount): every decimal the provider bills,
    at least two ($0.132, $0.924, $1.40)."""
    if exact and amount != 0:
        text = f"{amount.normalize():f}"
        whole, _, decimals = text.partition(".")
        return f"${whole}.{decimals.ljust(2, '0')}"
    cents = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"${cents:.2f}" if cents else "$0.00"


class JobState(StrEnum):
    QUEUED = "queued"  # row written, nothing sent yet
    UPLOADING = "uploading"  # first frame going to the provider's storage
    SUBMITTING = "submitting"  # the paid POST is being sent: never re-sent automatically
    RUNNING = "running"  # the provider has it (remote id stored)
    DOWNLOADING = "downloading"  # result ready, copying it into the data dir
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the submit may or may not have reached the provider
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.UNKNOWN, JobState.CANCELLED)


class Job(BaseModel):
    id: str = Field(default_factory=new_id)
    idempotency_key: str = Field(default_factory=lambda: uuid.uuid4().hex)
    storyboard: Storyboard
    provider: ProviderId
    model: ModelId
    quote: Quote
    state: JobState = JobState.QUEUED
    progress: float = 0.0  # 0..1
    message: str = ""  # one plain sentence for the user
    remote_id: str | None = None
    remote_url: str | None = None  # the provider's link to the video
    link_expires_at: datetime | None = None  # when that link stops working, where the provider says
    video_path: str | None = None  # relative to the data dir
    poster_path: str | None = None
    duration_seconds: float | None = None
    title: Name = ""  # the user's name for this take ("" shows the storyboard's name)
    starred: bool = False
    # who started it (a member's email, issue 13); "" = people.SOLO, or made before sign-in
    author: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
