"""Storyboard + offer -> the exact JSON body the provider expects. Pure: no network, no clock.

One shot becomes `prompt` + `duration`; several become `multi_prompt` (WaveSpeed, fal), the
`镜头 n, m, words;` syntax inside `prompt` (EvoLink Turbo) or `model_params.multi_prompt`
(EvoLink V3.0). Field names and types are in shared/docs/providers.md §5.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from storyboard.catalog import Offer
from storyboard.models import ModelId, ProviderId, Storyboard


class CompiledRequest(BaseModel):
    """What a submit sends: where (`path` under the provider's base URL) and what (`body`).

    `endpoint` is the catalog's name for the model on that provider: the path (WaveSpeed, fal) or
    the `model` written in the body (EvoLink). Clients and the cURL/Python exports read `path` and
    `body` from here and nowhere else, so an export sends exactly what Generate sends.
    """

    provider: ProviderId
    model: ModelId
    endpoint: str
    path: str
    body: dict[str, Any]


def _duration(offer: Offer, seconds: int) -> str | int:
    return str(seconds) if offer.duration_type == "string" else seconds


def _shots(storyboard: Storyboard, offer: Offer) -> list[dict[str, Any]]:
    # Shot `duration` inside multi_prompt: fal's schema says string enum [F8]; WaveSpeed's is
    # unconfirmed (providers.md §6.1), so it follows the type of that model's top-level duration.
    return [{"prompt": s.prompt.strip(), "duration": _duration(offer, s.duration)} for s in storyboard.shots]


def prompt_syntax(storyboard: Storyboard) -> str:
    """EvoLink Turbo's multi-shot form: `镜头 n, m, words;` for every shot, inside one prompt [Seed 003]."""
    return " ".join(f"镜头 {i}, {s.duration}, {s.prompt.strip()};" for i, s in enumerate(storyboard.shots, 1))


def compile_request(storyboard: Storyboard, offer: Offer, image_url: str | None = None) -> CompiledRequest:
    if offer.takes_image and not image_url:
        raise ValueError("an image-to-video request needs the uploaded image's URL")
    build = {
        ProviderId.WAVESPEED: _multi_prompt,
        ProviderId.FAL: _multi_prompt,
        ProviderId.EVOLINK: _evolink,
        ProviderId.PREVIEW: _preview,
    }[offer.provider]
    body = build(storyboard, offer)
    if offer.takes_image:
        assert offer.image_field is not None
        body = {offer.image_field: image_url, **body}
    return CompiledRequest(
        provider=offer.provider, model=offer.model, endpoint=offer.endpoint, path=offer.path, body=body
    )


def _common_options(storyboard: Storyboard, offer: Offer) -> dict[str, Any]:
    """The options an offer has, spelled as its provider spells them (see the catalog)."""
    o = storyboard.options
    body: dict[str, Any] = {}
    if offer.has("aspect_ratio"):
        body["aspect_ratio"] = o.aspect_ratio
    if offer.has("negative_prompt") and o.negative_prompt.strip():
        body["negative_prompt"] = o.negative_prompt.strip()
    if offer.has("cfg_scale"):
        body["cfg_scale"] = o.cfg_scale
    if offer.has("sound"):
        body[offer.sound_field] = offer.sound_values[o.sound]
    if offer.has("shot_type"):
        body["shot_type"] = _shot_type(storyboard)
    return body


def _shot_type(storyboard: Storyboard) -> str:
    # Several shots are only honoured in "customize" mode; the default differs between a
    # provider's table and its prose, so it is always sent explicitly [Seed 002].
    return "customize" if storyboard.is_multi_shot else storyboard.options.shot_type


def _multi_prompt(storyboard: Storyboard, offer: Offer) -> dict[str, Any]:
    """WaveSpeed and fal: one shot as `prompt`, several as `multi_prompt` [Seed 000-002, 004]."""
    body: dict[str, Any] = {}
    duration = storyboard.total_seconds
    if storyboard.is_multi_shot:
        if offer.joins_shot_prompts:
            body["prompt"] = " ".join(s.prompt.strip() for s in storyboard.shots)
        body["multi_prompt"] = _shots(storyboard, offer)
        # WaveSpeed Turbo bills `duration` on top of the shots: send the smallest it accepts (catalog).
        duration = offer.multi_prompt_duration or duration
    elif storyboard.shots[0].prompt.strip():
        body["prompt"] = storyboard.shots[0].prompt.strip()
    body["duration"] = _duration(offer, duration)
    body.update(_common_options(storyboard, offer))
    return body


def _evolink(storyboard: Storyboard, offer: Offer) -> dict[str, Any]:
    body: dict[str, Any] = {"model": offer.endpoint}
    if offer.multi_shot_form == "prompt_syntax" and storyboard.is_multi_shot:
        body["prompt"] = prompt_syntax(storyboard)
    elif offer.multi_shot_form == "model_params" and storyboard.is_multi_shot:
        body["prompt"] = ""  # may be empty in customize multi-shot mode [E3]
    elif storyboard.shots[0].prompt.strip():
        body["prompt"] = storyboard.shots[0].prompt.strip()
    body["duration"] = _duration(offer, storyboard.total_seconds)
    body.update(_common_options(storyboard, offer))
    if offer.has("resolution"):
        # JSON name unconfirmed for Turbo (providers.md §6.9); `quality` on EvoLink's other Kling models [E3].
        body["quality"] = storyboard.options.resolution
    if offer.multi_shot_form == "model_params":
        params: dict[str, Any] = {"multi_shot": storyboard.is_multi_shot}
        if storyboard.is_multi_shot:
            params["shot_type"] = "customize"
            params["multi_prompt"] = [
                {"index": i, "prompt": s.prompt.strip(), "duration": str(s.duration)}
                for i, s in enumerate(storyboard.shots, 1)
            ]
        body["model_params"] = params
    return body


def _preview(storyboard: Storyboard, offer: Offer) -> dict[str, Any]:
    """What the local animatic renders: the storyboard itself, at the chosen size."""
    return {
        "storyboard": storyboard.model_dump(
            mode="json", exclude={"first_frame": True, "sent_frame": True, "formats": True, "frame_fits": True, "shots": {"__all__": {"parts"}}}
        ),
        "resolution": storyboard.options.resolution,
    }
