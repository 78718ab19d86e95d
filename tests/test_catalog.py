"""The catalog: which model runs where, with which options, limits, image rules and published rates.

Endpoints, field names and rates are external facts (shared/docs/providers.md, shared/seeds/), so
they are written literally here; limits are read from the catalog, never copied.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from storyboard import catalog
from storyboard.catalog import EDITOR_LIMITS, FRAME_SIZES, MODELS, OFFERS, PROVIDERS, offer, offers_for
from storyboard.models import Limits, ModelId, Options, ProviderId, Storyboard
from storyboard.pricing import applicable_rate

ALL_PAIRS = [(p, m) for p in ProviderId for m in ModelId]
I2V_OFFERS = [o for o in OFFERS.values() if o.model == ModelId.TURBO_PRO_I2V]
T2V_OFFERS = [o for o in OFFERS.values() if o.model != ModelId.TURBO_PRO_I2V]
V3_OFFERS = [o for o in OFFERS.values() if o.model == ModelId.V3_PRO_T2V]
EVOLINK_OFFERS = [o for o in OFFERS.values() if o.provider == ProviderId.EVOLINK]


def _id(o: catalog.Offer) -> str:
    return f"{o.provider.value}/{o.model.value}"


# --- who offers what --------------------------------------------------------------------------


@pytest.mark.parametrize(("provider", "model"), ALL_PAIRS, ids=[f"{p.value}/{m.value}" for p, m in ALL_PAIRS])
def test_every_model_is_offered_by_every_provider(provider: ProviderId, model: ModelId) -> None:
    o = offer(provider, model)
    assert (o.provider, o.model) == (provider, model)


def test_the_catalog_has_exactly_three_models_on_four_providers() -> None:
    assert len(OFFERS) == len(ModelId) * len(ProviderId) == 12
    assert set(MODELS) == set(ModelId)
    assert set(PROVIDERS) == set(ProviderId)
    for model in ModelId:
        assert {o.provider for o in offers_for(model)} == set(ProviderId)


def test_only_the_preview_provider_needs_no_key() -> None:
    assert PROVIDERS[ProviderId.PREVIEW].key_env is None
    assert {p: PROVIDERS[p].key_env for p in ProviderId if p != ProviderId.PREVIEW} == {
        ProviderId.WAVESPEED: "WAVESPEED_API_KEY",
        ProviderId.FAL: "FAL_KEY",
        ProviderId.EVOLINK: "EVOLINK_API_KEY",
    }


@pytest.mark.parametrize(
    ("provider", "model", "endpoint"),
    [
        # providers.md §0 "At a glance"
        (ProviderId.WAVESPEED, ModelId.TURBO_PRO_T2V, "/api/v3/kwaivgi/kling-v3-turbo-pro/text-to-video"),
        (ProviderId.WAVESPEED, ModelId.TURBO_PRO_I2V, "/api/v3/kwaivgi/kling-v3-turbo-pro/image-to-video"),
        (ProviderId.WAVESPEED, ModelId.V3_PRO_T2V, "/api/v3/kwaivgi/kling-v3.0-pro/text-to-video"),
        (ProviderId.FAL, ModelId.TURBO_PRO_T2V, "fal-ai/kling-video/v3/turbo/pro/text-to-video"),
        (ProviderId.FAL, ModelId.TURBO_PRO_I2V, "fal-ai/kling-video/v3/turbo/pro/image-to-video"),
        (ProviderId.FAL, ModelId.V3_PRO_T2V, "fal-ai/kling-video/v3/pro/text-to-video"),
        (ProviderId.EVOLINK, ModelId.TURBO_PRO_T2V, "kling-v3-turbo-text-to-video"),
        (ProviderId.EVOLINK, ModelId.TURBO_PRO_I2V, "kling-v3-turbo-image-to-video"),
        (ProviderId.EVOLINK, ModelId.V3_PRO_T2V, "kling-v3-text-to-video"),
    ],
)
def test_endpoints_are_the_documented_ones(provider: ProviderId, model: ModelId, endpoint: str) -> None:
    assert offer(provider, model).endpoint == endpoint


# --- image to video -----------------------------------------------------------------------------


@pytest.mark.parametrize("o", I2V_OFFERS, ids=_id)
def test_image_to_video_offers_take_a_first_frame_and_no_aspect_ratio(o: catalog.Offer) -> None:
    # The image decides the shape on every provider [Seed 001][F2][E2].
    assert o.takes_image
    assert o.image_rules is not None
    assert o.image_field
    assert not o.has("aspect_ratio")


@pytest.mark.parametrize("o", T2V_OFFERS, ids=_id)
def test_text_to_video_offers_take_no_image_and_let_the_user_pick_the_aspect_ratio(o: catalog.Offer) -> None:
    assert not o.takes_image
    assert o.image_rules is None and o.image_field is None
    assert o.has("aspect_ratio")
    assert set(o.aspect_ratios) == {"16:9", "9:16", "1:1"}


def test_model_info_agrees_with_the_offers_about_images() -> None:
    for o in OFFERS.values():
        assert MODELS[o.model].takes_image == o.takes_image, _id(o)


@pytest.mark.parametrize(
    ("provider", "field"),
    # providers.md §5: WaveSpeed `image`, fal Turbo `image_url`, EvoLink `image_start` (its other v3 models).
    [(ProviderId.WAVESPEED, "image"), (ProviderId.FAL, "image_url"), (ProviderId.EVOLINK, "image_start")],
)
def test_first_frame_goes_in_the_documented_field(provider: ProviderId, field: str) -> None:
    assert offer(provider, ModelId.TURBO_PRO_I2V).image_field == field


def test_turbo_first_frame_rules_are_the_published_ones() -> None:
    # .jpg/.jpeg/.png, <= 50 MB, >= 300 px per side, 1:2.5 to 2.5:1 [Seed 001]
    for o in I2V_OFFERS:
        rules = o.image_rules
        assert rules is not None
        assert set(rules.formats) == {"JPEG", "PNG"}
        assert rules.min_side == 300
        assert rules.max_bytes == 50 * 1024 * 1024
        assert rules.min_aspect == pytest.approx(1 / 2.5)
        assert rules.max_aspect == pytest.approx(2.5)


# --- options ------------------------------------------------------------------------------------


@pytest.mark.parametrize("o", V3_OFFERS, ids=_id)
def test_v3_pro_offers_expose_negative_prompt_and_sound(o: catalog.Offer) -> None:
    assert o.has("negative_prompt")
    assert o.has("sound")


@pytest.mark.parametrize("o", V3_OFFERS, ids=_id)
def test_v3_pro_offers_expose_cfg_scale_where_documented(o: catalog.Offer) -> None:
    # WaveSpeed [Seed 002] and fal [F3] document cfg_scale; EvoLink's kling-v3 body has none [E3].
    assert o.has("cfg_scale") == (o.provider != ProviderId.EVOLINK)


@pytest.mark.parametrize(
    "o",
    [o for o in OFFERS.values() if o.model != ModelId.V3_PRO_T2V and o.provider != ProviderId.PREVIEW],
    ids=_id,
)
def test_turbo_offers_have_no_v3_only_options(o: catalog.Offer) -> None:
    # "Turbo has no generate_audio, negative_prompt, cfg_scale, shot_type" [F1][F2]
    for option in ("negative_prompt", "cfg_scale", "sound", "shot_type"):
        assert not o.has(option), option


@pytest.mark.parametrize("o", EVOLINK_OFFERS, ids=_id)
def test_evolink_offers_720p_and_1080p(o: catalog.Offer) -> None:
    assert o.has("resolution")
    assert set(o.resolutions) == {"720p", "1080p"}


@pytest.mark.parametrize(
    "o", [o for o in OFFERS.values() if o.provider in (ProviderId.WAVESPEED, ProviderId.FAL)], ids=_id
)
def test_wavespeed_and_fal_pro_endpoints_have_no_resolution_choice(o: catalog.Offer) -> None:
    # The tier is in the path: Pro renders 1080p [W3][W4][F1].
    assert not o.has("resolution")


def test_the_default_resolution_is_one_every_resolution_offer_accepts() -> None:
    default = Options().resolution
    for o in OFFERS.values():
        if o.has("resolution"):
            assert default in o.resolutions, _id(o)


# --- multi-shot form and billing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "model", "form"),
    [
        (ProviderId.WAVESPEED, ModelId.TURBO_PRO_T2V, "multi_prompt"),
        (ProviderId.WAVESPEED, ModelId.TURBO_PRO_I2V, "multi_prompt"),
        (ProviderId.WAVESPEED, ModelId.V3_PRO_T2V, "multi_prompt"),
        (ProviderId.FAL, ModelId.TURBO_PRO_T2V, "multi_prompt"),
        (ProviderId.FAL, ModelId.TURBO_PRO_I2V, "multi_prompt"),
        (ProviderId.FAL, ModelId.V3_PRO_T2V, "multi_prompt"),
        (ProviderId.EVOLINK, ModelId.TURBO_PRO_T2V, "prompt_syntax"),
        (ProviderId.EVOLINK, ModelId.TURBO_PRO_I2V, "prompt_syntax"),
        (ProviderId.EVOLINK, ModelId.V3_PRO_T2V, "model_params"),
    ],
)
def test_each_provider_sends_several_shots_in_its_documented_form(
    provider: ProviderId, model: ModelId, form: str
) -> None:
    assert offer(provider, model).multi_shot_form == form


def test_only_wavespeed_turbo_bills_the_duration_field_on_top_of_the_shots() -> None:
    # "multi_prompt requests use duration plus the sum of all segment durations" [Seed 000/001]
    extra = {_id(o) for o in OFFERS.values() if o.billing == "duration_plus_shots"}
    assert extra == {"wavespeed/kling-v3-turbo-pro-t2v", "wavespeed/kling-v3-turbo-pro-i2v"}


@pytest.mark.parametrize("model", [ModelId.TURBO_PRO_T2V, ModelId.TURBO_PRO_I2V])
def test_wavespeed_turbo_sends_the_smallest_duration_its_enum_accepts_with_multi_prompt(
    model: ModelId,
) -> None:
    # `duration` enum is 3..15 [Seed 001]; every extra second of it is billed.
    assert offer(ProviderId.WAVESPEED, model).multi_prompt_duration == 3


# --- rates --------------------------------------------------------------------------------------


@pytest.mark.parametrize("o", list(OFFERS.values()), ids=_id)
def test_every_rate_says_where_it_was_read(o: catalog.Offer) -> None:
    assert o.rates, "an offer with no rate cannot be quoted"
    for rule in o.rates:
        assert rule.rate.source.strip()
        assert rule.rate.as_of.strip()
        assert rule.rate.usd_per_second >= 0
        if o.provider != ProviderId.PREVIEW:
            assert "[" in rule.rate.source, f"{_id(o)}: cite the page, e.g. [Seed 000] or [E10]"
            assert rule.rate.usd_per_second > 0


def test_fal_v3_pro_rate_is_marked_unverified_and_explains_why() -> None:
    # fal's two snapshots disagree by 2x (providers.md §2.5).
    for rule in offer(ProviderId.FAL, ModelId.V3_PRO_T2V).rates:
        assert rule.rate.verified is False
        assert "0.224" in rule.rate.note and "0.112" in rule.rate.note


def test_every_other_rate_is_verified() -> None:
    for o in OFFERS.values():
        if (o.provider, o.model) == (ProviderId.FAL, ModelId.V3_PRO_T2V):
            continue
        for rule in o.rates:
            assert rule.rate.verified, _id(o)


def test_fal_v3_pro_quotes_the_higher_of_the_two_published_prices() -> None:
    # Quote high so a budget is never exceeded: $0.224/s, $0.336/s with audio [F4].
    rates = {r.sound: r.rate.usd_per_second for r in offer(ProviderId.FAL, ModelId.V3_PRO_T2V).rates}
    assert rates == {False: Decimal("0.224"), True: Decimal("0.336")}


@pytest.mark.parametrize("o", list(OFFERS.values()), ids=_id)
def test_every_choice_the_user_can_make_has_a_price(o: catalog.Offer) -> None:
    resolutions = o.resolutions if o.has("resolution") else (Options().resolution,)
    sounds = (False, True) if o.has("sound") else (False,)
    for resolution in resolutions:
        for sound in sounds:
            sb = Storyboard(options=Options(resolution=resolution, sound=sound))
            applicable_rate(sb, o)  # raises LookupError when a combination has no rate


# --- limits -------------------------------------------------------------------------------------


def test_editor_limits_are_the_loosest_of_all_offers() -> None:
    """The sliders allow what at least one offer accepts; stricter offers say so next to their price."""
    for name in Limits.model_fields:
        values = [getattr(o.limits, name) for o in OFFERS.values()]
        loosest = min(values) if name.startswith("min_") else max(values)
        assert getattr(EDITOR_LIMITS, name) == loosest, name


def test_editor_allows_a_shot_shorter_than_fal_accepts_because_evolink_takes_it() -> None:
    fal = offer(ProviderId.FAL, ModelId.TURBO_PRO_T2V).limits
    evolink = offer(ProviderId.EVOLINK, ModelId.TURBO_PRO_T2V).limits
    assert EDITOR_LIMITS.min_shot_seconds == evolink.min_shot_seconds < fal.min_shot_seconds


def test_preview_accepts_no_storyboard_that_every_paid_provider_refuses() -> None:
    """What renders on Preview must be sendable somewhere paid, or the free rehearsal lies."""
    for model in ModelId:
        preview = offer(ProviderId.PREVIEW, model).limits
        paid = [o.limits for o in offers_for(model) if o.provider != ProviderId.PREVIEW]
        for name in Limits.model_fields:
            mine, theirs = getattr(preview, name), [getattr(x, name) for x in paid]
            if name.startswith("min_"):
                assert mine >= min(theirs), (model, name)
            else:
                assert mine <= max(theirs), (model, name)


def test_the_fal_shot_minimum_matches_its_duration_enum() -> None:
    # fal's KlingV3MultiPromptElement.duration is the enum "3".."15" [F8].
    for model in ModelId:
        assert offer(ProviderId.FAL, model).limits.min_shot_seconds == 3


def test_every_offer_keeps_within_klings_own_limits() -> None:
    # 1-6 shots, 3-15 s in all, <= 512 chars per shot, <= 2500 per prompt [K2][E1][F1]
    for o in OFFERS.values():
        lim = o.limits
        assert lim.min_shots == 1 and lim.max_shots == 6, _id(o)
        assert lim.min_total_seconds == 3 and lim.max_total_seconds == 15, _id(o)
        assert lim.max_shot_prompt_chars == 512 and lim.max_prompt_chars == 2500, _id(o)
        assert 1 <= lim.min_shot_seconds <= lim.max_total_seconds, _id(o)


# --- preview frame sizes -----------------------------------------------------------------------


def test_preview_frame_sizes_are_even_so_h264_yuv420p_can_encode_them() -> None:
    for resolution, sizes in FRAME_SIZES.items():
        for ratio, (w, h) in sizes.items():
            assert w % 2 == 0 and h % 2 == 0, (resolution, ratio, w, h)


def test_preview_frame_sizes_match_their_aspect_ratio_and_resolution() -> None:
    for resolution, sizes in FRAME_SIZES.items():
        short_side = int(resolution.removesuffix("p"))
        assert set(sizes) == {"16:9", "9:16", "1:1"}
        for ratio, (w, h) in sizes.items():
            rw, rh = (int(x) for x in ratio.split(":"))
            assert w * rh == h * rw, (resolution, ratio)
            assert min(w, h) == short_side, (resolution, ratio)
