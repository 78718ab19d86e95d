"""Models x providers: endpoints, options, limits, image rules and rates.

This is the ONE place where a limit or a price is written. The editor, the validation, pricing,
compile and the tests all read from here. Sources are labelled as in shared/docs/providers.md
([W3] WaveSpeed docs, [F1] fal llms.txt, [E1] EvoLink docs, [K2] Kling resellers, Seed 00x = the
provider pages in shared/seeds/). Where a provider's limit is unconfirmed we take the strictest
value known for the same model elsewhere, and say so next to it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from storyboard.models import ImageRules, Limits, ModelId, ProviderId, Rate, Resolution

OptionName = Literal["aspect_ratio", "resolution", "negative_prompt", "cfg_scale", "sound", "shot_type"]
DurationType = Literal["string", "integer"]
MultiShotForm = Literal["multi_prompt", "prompt_syntax", "model_params", "native"]
Billing = Literal["duration", "duration_plus_shots"]

PRICES_AS_OF = "2026 provider pages (shared/seeds, providers.md)"


class ModelInfo(BaseModel):
    label: str
    takes_image: bool
    blurb: str


class ProviderInfo(BaseModel):
    label: str
    key_env: str | None  # None: needs no key (Preview)
    dashboard_url: str
    link_hours: float | None = None  # how long the provider's video link lives; None: not published
    auth_scheme: str | None = None  # the key travels as `Authorization: <scheme> <key>`
    base_url_env: str | None = None  # the setting (settings.BASE_URLS) holding the host jobs are sent to
    # Where a submit goes when every model shares one path and the model is named in the body
    # (EvoLink [E1][E3]); None: the offer's endpoint is the path (WaveSpeed, fal).
    submit_path: str | None = None


class RateRule(BaseModel):
    """A rate applies when the request matches resolution and sound (None matches anything)."""

    rate: Rate
    resolution: Resolution | None = None
    sound: bool | None = None


class Offer(BaseModel):
    provider: ProviderId
    model: ModelId
    endpoint: str  # URL path (WaveSpeed, fal) or model name in the body (EvoLink)
    options: frozenset[OptionName]
    aspect_ratios: tuple[str, ...] = ("16:9", "9:16", "1:1")
    resolutions: tuple[Resolution, ...] = ()
    limits: Limits
    image_rules: ImageRules | None = None  # None: text-to-video, no first frame sent
    image_field: str | None = None
    duration_type: DurationType
    multi_shot_form: MultiShotForm
    rates: tuple[RateRule, ...]
    billing: Billing = "duration"
    # WaveSpeed Turbo bills `duration` on top of the shots when multi_prompt is sent, so we send
    # the smallest value its enum accepts. The smallest accepted alongside multi_prompt is
    # unconfirmed (providers.md §6.1); 3 is the documented enum minimum [Seed 000/001].
    multi_prompt_duration: int | None = None
    # How "sound" is spelled: WaveSpeed `sound: bool` [Seed 002], fal `generate_audio: bool` [F3],
    # EvoLink `sound: "on" | "off"` [E3].
    # WaveSpeed V3.0 requires `prompt` even beside multi_prompt [Seed 002]: the shots are joined into it.
    joins_shot_prompts: bool = False
    sound_field: str = "sound"
    sound_values: tuple[bool | str, bool | str] = (False, True)  # (off, on)

    @property
    def takes_image(self) -> bool:
        return self.image_rules is not None

    @property
    def path(self) -> str:
        """The submit's path under the provider's base URL: the provider's one path, or the endpoint."""
        return PROVIDERS[self.provider].submit_path or "/" + self.endpoint.strip("/")

    def has(self, option: OptionName) -> bool:
        return option in self.options


MODELS: dict[ModelId, ModelInfo] = {
    ModelId.TURBO_PRO_T2V: ModelInfo(
        label="Kling V3 Turbo Pro · text to video",
        takes_image=False,
        blurb="Fast 1080p video from your shot prompts.",
    ),
    ModelId.TURBO_PRO_I2V: ModelInfo(
        label="Kling V3 Turbo Pro · image to video",
        takes_image=True,
        blurb="Starts from your first-frame image, then follows the shots.",
    ),
    ModelId.V3_PRO_T2V: ModelInfo(
        label="Kling V3.0 Pro · text to video",
        takes_image=False,
        blurb="Top quality, with negative prompt, prompt strength and optional sound.",
    ),
}

PROVIDERS: dict[ProviderId, ProviderInfo] = {
    ProviderId.PREVIEW: ProviderInfo(
        label="Preview (free, offline)",
        key_env=None,
        dashboard_url="",
    ),
    ProviderId.WAVESPEED: ProviderInfo(
        label="WaveSpeedAI",
        key_env="WAVESPEED_API_KEY",
        auth_scheme="Bearer",
        base_url_env="WAVESPEED_BASE_URL",
        # The top-up page's address is not in the stored docs; the site's root certainly exists.
        dashboard_url="https://wavespeed.ai",
    ),
    ProviderId.FAL: ProviderInfo(
        label="fal.ai",
        key_env="FAL_KEY",
        auth_scheme="Key",  # [F6]
        base_url_env="FAL_QUEUE_BASE_URL",
        dashboard_url="https://fal.ai/dashboard/billing",
    ),
    ProviderId.EVOLINK: ProviderInfo(
        label="EvoLink",
        key_env="EVOLINK_API_KEY",
        auth_scheme="Bearer",
        base_url_env="EVOLINK_BASE_URL",
        dashboard_url="https://evolink.ai/dashboard",
        submit_path="/v1/videos/generations",
        link_hours=24,  # "video links are valid for 24 h" [providers.md 3.1, E1]
    ),
}

# --- limits -------------------------------------------------------------------------------------

# Kling itself: 1-6 shots, each >= 1 s, prompts <= 512 chars per shot, total 3-15 s, a single prompt
# <= 2500 chars [K2][E1][Seed 003/004].
KLING_LIMITS = Limits(
    min_shots=1,
    max_shots=6,
    min_total_seconds=3,
    max_total_seconds=15,
    min_shot_seconds=1,
    max_prompt_chars=2500,
    max_shot_prompt_chars=512,
    max_negative_prompt_chars=2500,
)
# fal's generated types give each multi_prompt shot the enum "3".."15" [F8]; Kling allows 1 s [K2].
# Unconfirmed for Turbo (providers.md §6.7), so fal shots must be >= 3 s.
FAL_LIMITS = KLING_LIMITS.model_copy(update={"min_shot_seconds": 3})
# WaveSpeed: per-shot minimum and maximum shot count unconfirmed (providers.md §6.1); the
# strictest known value for the same model is fal's 3 s per shot [F8] and 6 shots [F1].
WAVESPEED_LIMITS = KLING_LIMITS.model_copy(update={"min_shot_seconds": 3})
# EvoLink forwards Kling's own multi-shot rules: shot n <= 6, prompt <= 512 chars, seconds add up
# to `duration` [Seed 003][E1]; no per-shot minimum beyond Kling's 1 s.
EVOLINK_LIMITS = KLING_LIMITS

# .jpg/.jpeg/.png, <= 50 MB, >= 300 px per side, aspect 1:2.5 to 2.5:1 [Seed 001][F2][E2].
TURBO_IMAGE_RULES = ImageRules(
    formats=("JPEG", "PNG"),
    min_side=300,
    max_bytes=50 * 1024 * 1024,
    min_aspect=1 / 2.5,
    max_aspect=2.5,
)

# --- rates --------------------------------------------------------------------------------------


def _rate(usd: str, source: str, verified: bool = True, note: str = "") -> Rate:
    return Rate(usd_per_second=Decimal(usd), source=source, as_of=PRICES_AS_OF, verified=verified, note=note)


FREE = (RateRule(rate=_rate("0", "local render, no charge")),)
WAVESPEED_TURBO = (RateRule(rate=_rate("0.14", "WaveSpeed model page, $0.14/s [Seed 000/001]")),)
WAVESPEED_V3_PRO = (
    RateRule(sound=False, rate=_rate("0.112", "WaveSpeed V3.0 Pro page, $0.112/s [Seed 002]")),
    RateRule(sound=True, rate=_rate("0.168", "WaveSpeed V3.0 Pro page, x1.5 with sound [Seed 002]")),
)
FAL_TURBO = (RateRule(rate=_rate("0.14", "fal llms.txt, $0.14/s [Seed 004][F1][F2]")),)
# Two fal snapshots disagree by 2x ($0.224 vs $0.112 per second, providers.md §2.5 [F4][F5]); we
# quote the higher so a budget is never exceeded, and the UI marks it unverified.
_FAL_V3_NOTE = "fal's pages disagree: $0.224/s [F4] or $0.112/s [F5] without audio; the higher is shown"
FAL_V3_PRO = (
    RateRule(sound=False, rate=_rate("0.224", "fal v3/pro llms.txt [F4]", verified=False, note=_FAL_V3_NOTE)),
    RateRule(sound=True, rate=_rate("0.336", "fal v3/pro llms.txt [F4]", verified=False, note=_FAL_V3_NOTE)),
)
EVOLINK_TURBO = (
    RateRule(resolution="720p", rate=_rate("0.106", "EvoLink Kling 3.0 Turbo page, 720p [E10]")),
    RateRule(resolution="1080p", rate=_rate("0.132", "EvoLink Kling 3.0 Turbo page, 1080p [E10]")),
)
EVOLINK_V3 = (
    RateRule(resolution="720p", sound=False, rate=_rate("0.075", "EvoLink Kling 3.0 page, 720p [E11]")),
    RateRule(resolution="720p", sound=True, rate=_rate("0.113", "EvoLink Kling 3.0 page, 720p sound [E11]")),
    RateRule(resolution="1080p", sound=False, rate=_rate("0.100", "EvoLink Kling 3.0 page, 1080p [E11]")),
    RateRule(
        resolution="1080p", sound=True, rate=_rate("0.150", "EvoLink Kling 3.0 page, 1080p sound [E11]")
    ),
)

_T2V_OPTIONS: frozenset[OptionName] = frozenset({"aspect_ratio"})
_V3_OPTIONS: frozenset[OptionName] = frozenset(
    {"aspect_ratio", "negative_prompt", "cfg_scale", "sound", "shot_type"}
)
_NO_OPTIONS: frozenset[OptionName] = frozenset()

OFFERS: dict[tuple[ProviderId, ModelId], Offer] = {
    (o.provider, o.model): o
    for o in [
        # ---- Preview: the same rules as Kling itself, so what passes here passes somewhere paid.
        Offer(
            provider=ProviderId.PREVIEW,
            model=ModelId.TURBO_PRO_T2V,
            endpoint="animatic",
            options=_T2V_OPTIONS | {"resolution"},
            resolutions=("720p", "1080p"),
            limits=KLING_LIMITS,
            duration_type="integer",
            multi_shot_form="native",
            rates=FREE,
        ),
        Offer(
            provider=ProviderId.PREVIEW,
            model=ModelId.TURBO_PRO_I2V,
            endpoint="animatic",
            options=frozenset({"resolution"}),
            resolutions=("720p", "1080p"),
            limits=KLING_LIMITS,
            image_rules=TURBO_IMAGE_RULES,
            image_field="image",
            duration_type="integer",
            multi_shot_form="native",
            rates=FREE,
        ),
        Offer(
            provider=ProviderId.PREVIEW,
            model=ModelId.V3_PRO_T2V,
            endpoint="animatic",
            options=_V3_OPTIONS | {"resolution"},
            resolutions=("720p", "1080p"),
            limits=KLING_LIMITS,
            duration_type="integer",
            multi_shot_form="native",
            rates=FREE,
        ),
        # ---- WaveSpeedAI [Seed 000-002][W3-W5]
        Offer(
            provider=ProviderId.WAVESPEED,
            model=ModelId.TURBO_PRO_T2V,
            endpoint="/api/v3/kwaivgi/kling-v3-turbo-pro/text-to-video",
            options=_T2V_OPTIONS,
            limits=WAVESPEED_LIMITS,
            duration_type="string",
            multi_shot_form="multi_prompt",
            rates=WAVESPEED_TURBO,
            billing="duration_plus_shots",
            multi_prompt_duration=3,
        ),
        Offer(
            provider=ProviderId.WAVESPEED,
            model=ModelId.TURBO_PRO_I2V,
            endpoint="/api/v3/kwaivgi/kling-v3-turbo-pro/image-to-video",
            options=_NO_OPTIONS,  # no aspect_ratio: the image decides [Seed 001]
            limits=WAVESPEED_LIMITS,
            image_rules=TURBO_IMAGE_RULES,
            image_field="image",
            duration_type="string",
            multi_shot_form="multi_prompt",
            rates=WAVESPEED_TURBO,
            billing="duration_plus_shots",
            multi_prompt_duration=3,
        ),
        Offer(
            provider=ProviderId.WAVESPEED,
            model=ModelId.V3_PRO_T2V,
            endpoint="/api/v3/kwaivgi/kling-v3.0-pro/text-to-video",
            options=_V3_OPTIONS,
            limits=WAVESPEED_LIMITS,
            duration_type="integer",  # integer on V3.0 [Seed 002]
            multi_shot_form="multi_prompt",
            rates=WAVESPEED_V3_PRO,
            joins_shot_prompts=True,
        ),
        # ---- fal.ai queue API [Seed 004][F1-F3]
        Offer(
            provider=ProviderId.FAL,
            model=ModelId.TURBO_PRO_T2V,
            endpoint="fal-ai/kling-video/v3/turbo/pro/text-to-video",
            options=_T2V_OPTIONS,
            limits=FAL_LIMITS,
            duration_type="string",
            multi_shot_form="multi_prompt",
            rates=FAL_TURBO,
        ),
        Offer(
            provider=ProviderId.FAL,
            model=ModelId.TURBO_PRO_I2V,
            endpoint="fal-ai/kling-video/v3/turbo/pro/image-to-video",
            options=_NO_OPTIONS,  # no aspect_ratio, no end frame [F2]
            limits=FAL_LIMITS,
            image_rules=TURBO_IMAGE_RULES,
            image_field="image_url",
            duration_type="string",
            multi_shot_form="multi_prompt",
            rates=FAL_TURBO,
        ),
        Offer(
            provider=ProviderId.FAL,
            model=ModelId.V3_PRO_T2V,
            endpoint="fal-ai/kling-video/v3/pro/text-to-video",
            options=_V3_OPTIONS,
            limits=FAL_LIMITS,
            duration_type="string",
            multi_shot_form="multi_prompt",
            rates=FAL_V3_PRO,
            # generate_audio defaults to TRUE on fal [F3]: it is always sent, or sound is billed unasked.
            sound_field="generate_audio",
        ),
        # ---- EvoLink [Seed 003][E1-E3]; "Pro" is the 1080p tier.
        Offer(
            provider=ProviderId.EVOLINK,
            model=ModelId.TURBO_PRO_T2V,
            endpoint="kling-v3-turbo-text-to-video",
            options=_T2V_OPTIONS | {"resolution"},
            resolutions=("720p", "1080p"),
            limits=EVOLINK_LIMITS,
            duration_type="integer",
            multi_shot_form="prompt_syntax",
            rates=EVOLINK_TURBO,
        ),
        Offer(
            provider=ProviderId.EVOLINK,
            model=ModelId.TURBO_PRO_I2V,
            endpoint="kling-v3-turbo-image-to-video",
            options=frozenset({"resolution"}),  # aspect_ratio not accepted [E2]
            resolutions=("720p", "1080p"),
            limits=EVOLINK_LIMITS,
            image_rules=TURBO_IMAGE_RULES,
            # Unconfirmed (providers.md §6.9); EvoLink's other Kling v3 models use image_start [E3][E7].
            image_field="image_start",
            duration_type="integer",
            multi_shot_form="prompt_syntax",
            rates=EVOLINK_TURBO,
        ),
        Offer(
            provider=ProviderId.EVOLINK,
            model=ModelId.V3_PRO_T2V,
            endpoint="kling-v3-text-to-video",
            # No cfg_scale in EvoLink's kling-v3 body, and model_params.shot_type is documented only as
            # "customize" for multi-shot [E3][E6], so neither is offered here.
            options=frozenset({"aspect_ratio", "resolution", "negative_prompt", "sound"}),
            resolutions=("720p", "1080p"),
            limits=EVOLINK_LIMITS,
            duration_type="integer",
            multi_shot_form="model_params",
            rates=EVOLINK_V3,
            sound_values=("off", "on"),
        ),
    ]
}


def offer(provider: ProviderId, model: ModelId) -> Offer:
    return OFFERS[(provider, model)]


def first_frame_rules(provider: ProviderId) -> ImageRules:
    """What a first frame is checked against, uploaded or imported: the provider's image-to-video rules."""
    return offer(provider, ModelId.TURBO_PRO_I2V).image_rules or TURBO_IMAGE_RULES


def offers_for(model: ModelId) -> list[Offer]:
    return [o for (_, m), o in OFFERS.items() if m == model]


def _editor_limits() -> Limits:
    """The loosest limits any offer accepts: what the editor's sliders allow.

    Each offer's stricter rules are checked by validate.py and shown next to its price.
    """
    all_limits = [o.limits for o in OFFERS.values()]
    return Limits(
        min_shots=min(x.min_shots for x in all_limits),
        max_shots=max(x.max_shots for x in all_limits),
        min_total_seconds=min(x.min_total_seconds for x in all_limits),
        max_total_seconds=max(x.max_total_seconds for x in all_limits),
        min_shot_seconds=min(x.min_shot_seconds for x in all_limits),
        max_prompt_chars=max(x.max_prompt_chars for x in all_limits),
        max_shot_prompt_chars=max(x.max_shot_prompt_chars for x in all_limits),
        max_negative_prompt_chars=max(x.max_negative_prompt_chars for x in all_limits),
    )


EDITOR_LIMITS = _editor_limits()
DEFAULT_SHOT_SECONDS = 5
# Names people type (a storyboard's name, a take's title) and a first frame's file name: long enough for
# any real name, short enough that every page, brief, animatic and file name can show it.
MAX_NAME_CHARS = 100
MAX_FILE_NAME_CHARS = 255  # what common file systems allow for one name

# A storyboard file nests about five levels and its numbers have a few digits; an import is parsed with
# these limits before anything is checked, so a hostile file costs the parser nothing (Python's own
# parser raises RecursionError near 1,000 levels and refuses integers over 4,300 digits with a traceback).
MAX_IMPORT_DEPTH = 20
MAX_IMPORT_NUMBER_CHARS = 40
# A refused import lists at most this many problems, then how many more there are.
MAX_IMPORT_PROBLEMS_SHOWN = 5

# "Generate ×N": at most this many takes of one storyboard from one press (each is paid for).
MAX_TAKES_PER_GENERATE = 4
# The largest spending cap (US$) accepted: anything above is a typo, not a budget.
MAX_CAP_USD = 1_000_000

# Preview renders an animatic at these sizes (even numbers: yuv420p needs them).
FRAME_SIZES: dict[Resolution, dict[str, tuple[int, int]]] = {
    "720p": {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (720, 720)},
    "1080p": {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080)},
}
PREVIEW_FPS = 24
