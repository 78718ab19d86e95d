"""Prices: every table on the providers' own pages, reproduced to the cent, and the billing quirks.

The price tables are external facts (shared/seeds/, providers.md) and are written literally.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from storyboard.catalog import offer
from storyboard.models import ModelId, Options, ProviderId, Shot, Storyboard, format_usd
from storyboard.pricing import applicable_rate, compare, quote

D = Decimal


def _storyboard(*durations: int, model: ModelId = ModelId.TURBO_PRO_T2V, **options: object) -> Storyboard:
    shots = [Shot(id=f"s{i}", prompt=f"shot {i}", duration=d) for i, d in enumerate(durations, 1)]
    return Storyboard(shots=shots, model=model, options=Options(**options))


def _total(provider: ProviderId, model: ModelId, sb: Storyboard) -> Decimal:
    return quote(sb, offer(provider, model)).total


# --- the seed price tables ------------------------------------------------------------------------

# "Generated Duration / Price: 3s $0.42, 5s $0.70, 10s $1.40, 15s $2.10" [Seed 000 (T2V), Seed 001 (I2V)]
WAVESPEED_TURBO_TABLE = [(3, "0.42"), (5, "0.70"), (10, "1.40"), (15, "2.10")]


@pytest.mark.parametrize("model", [ModelId.TURBO_PRO_T2V, ModelId.TURBO_PRO_I2V])
@pytest.mark.parametrize(("seconds", "price"), WAVESPEED_TURBO_TABLE)
def test_wavespeed_turbo_matches_its_price_table(model: ModelId, seconds: int, price: str) -> None:
    assert _total(ProviderId.WAVESPEED, model, _storyboard(seconds, model=model)) == D(price)


# "Duration / Without Sound / With Sound" [Seed 002]
WAVESPEED_V3_TABLE = [
    (3, "0.336", "0.504"),
    (5, "0.560", "0.840"),
    (10, "1.120", "1.680"),
    (15, "1.680", "2.520"),
]


@pytest.mark.parametrize(("seconds", "silent", "with_sound"), WAVESPEED_V3_TABLE)
def test_wavespeed_v3_pro_matches_its_price_table_with_and_without_sound(
    seconds: int, silent: str, with_sound: str
) -> None:
    m = ModelId.V3_PRO_T2V
    assert _total(ProviderId.WAVESPEED, m, _storyboard(seconds, model=m, sound=False)) == D(silent)
    assert _total(ProviderId.WAVESPEED, m, _storyboard(seconds, model=m, sound=True)) == D(with_sound)


@pytest.mark.parametrize(("seconds", "silent", "with_sound"), WAVESPEED_V3_TABLE)
def test_v3_pro_sound_costs_one_and_a_half_times_as_much(seconds: int, silent: str, with_sound: str) -> None:
    # "Sound surcharge: x1.5 when sound is enabled" [Seed 002]
    m = ModelId.V3_PRO_T2V
    on = _total(ProviderId.WAVESPEED, m, _storyboard(seconds, model=m, sound=True))
    off = _total(ProviderId.WAVESPEED, m, _storyboard(seconds, model=m, sound=False))
    assert on == off * D("1.5")


@pytest.mark.parametrize("provider", [ProviderId.WAVESPEED, ProviderId.FAL, ProviderId.EVOLINK])
def test_sound_costs_half_as_much_again_on_every_v3_pro_provider(provider: ProviderId) -> None:
    m = ModelId.V3_PRO_T2V
    on = _total(provider, m, _storyboard(5, model=m, sound=True))
    off = _total(provider, m, _storyboard(5, model=m, sound=False))
    assert on == off * D("1.5")  # at 1080p: fal $0.224 -> $0.336, EvoLink $0.100 -> $0.150


def test_the_quote_says_when_sound_is_billed() -> None:
    m = ModelId.V3_PRO_T2V
    q = quote(_storyboard(5, model=m, sound=True), offer(ProviderId.WAVESPEED, m))
    assert "sound" in q.items[0].label


def test_fal_turbo_five_seconds_cost_seventy_cents() -> None:
    # "a 5s video will cost $0.70" [Seed 004]
    assert _total(ProviderId.FAL, ModelId.TURBO_PRO_T2V, _storyboard(5)) == D("0.70")


@pytest.mark.parametrize(("seconds", "price"), WAVESPEED_TURBO_TABLE)
def test_fal_turbo_charges_the_same_per_second_as_wavespeed_for_one_shot(seconds: int, price: str) -> None:
    # $0.14/s on both [Seed 004][Seed 000]
    for model in (ModelId.TURBO_PRO_T2V, ModelId.TURBO_PRO_I2V):
        assert _total(ProviderId.FAL, model, _storyboard(seconds, model=model)) == D(price)


@pytest.mark.parametrize(("resolution", "per_second"), [("1080p", "0.132"), ("720p", "0.106")])
@pytest.mark.parametrize("model", [ModelId.TURBO_PRO_T2V, ModelId.TURBO_PRO_I2V])
def test_evolink_turbo_rate_follows_the_resolution(model: ModelId, resolution: str, per_second: str) -> None:
    # "$0.106/s at 720p and $0.132/s at 1080p. Total = rate x duration" [providers.md §3.5][E10]
    o = offer(ProviderId.EVOLINK, model)
    for seconds in (3, 5, 10, 15):
        sb = _storyboard(seconds, model=model, resolution=resolution)
        assert applicable_rate(sb, o).usd_per_second == D(per_second)
        assert quote(sb, o).total == D(per_second) * seconds


def test_switching_evolink_to_720p_lowers_the_price() -> None:
    o = offer(ProviderId.EVOLINK, ModelId.TURBO_PRO_T2V)
    high = quote(_storyboard(10, resolution="1080p"), o).total
    low = quote(_storyboard(10, resolution="720p"), o).total
    assert (high, low) == (D("1.320"), D("1.060"))


@pytest.mark.parametrize(
    ("resolution", "sound", "per_second"),
    [("720p", False, "0.075"), ("720p", True, "0.113"), ("1080p", False, "0.100"), ("1080p", True, "0.150")],
)
def test_evolink_v3_rate_follows_resolution_and_sound(resolution: str, sound: bool, per_second: str) -> None:
    # providers.md §3.5 [E11]
    m = ModelId.V3_PRO_T2V
    sb = _storyboard(5, model=m, resolution=resolution, sound=sound)
    assert quote(sb, offer(ProviderId.EVOLINK, m)).total == D(per_second) * 5


def test_a_resolution_choice_does_not_change_the_price_where_the_provider_has_none() -> None:
    for provider in (ProviderId.WAVESPEED, ProviderId.FAL):
        o = offer(provider, ModelId.TURBO_PRO_T2V)
        assert quote(_storyboard(5, resolution="720p"), o).total == quote(_storyboard(5), o).total


def test_sound_does_not_change_the_price_of_a_turbo_model_that_has_no_sound() -> None:
    for provider in (ProviderId.WAVESPEED, ProviderId.FAL, ProviderId.EVOLINK):
        o = offer(provider, ModelId.TURBO_PRO_T2V)
        assert quote(_storyboard(5, sound=True), o).total == quote(_storyboard(5, sound=False), o).total


@pytest.mark.parametrize("model", list(ModelId))
def test_preview_is_free(model: ModelId) -> None:
    for sb in (_storyboard(15, model=model, sound=True), _storyboard(3, 5, 7, model=model)):
        q = quote(sb, offer(ProviderId.PREVIEW, model))
        assert q.total == 0
        assert format_usd(q.total) == "$0.00"


# --- WaveSpeed's multi_prompt billing ----------------------------------------------------------


@pytest.mark.parametrize("model", [ModelId.TURBO_PRO_T2V, ModelId.TURBO_PRO_I2V])
def test_wavespeed_bills_base_duration_on_top_of_shots(model: ModelId) -> None:
    # "multi_prompt requests use duration plus the sum of all segment durations" [Seed 000/001]
    o = offer(ProviderId.WAVESPEED, model)
    assert o.multi_prompt_duration is not None
    sb = _storyboard(5, 5, model=model)
    q = quote(sb, o)
    billed_seconds = o.multi_prompt_duration + 10
    assert sum(i.seconds for i in q.items) == billed_seconds
    assert q.total == D("0.14") * billed_seconds
    assert q.total == D("1.82")  # 10 s of shots + the 3 s duration field


def test_wavespeed_multi_shot_surcharge_is_its_own_line_item() -> None:
    o = offer(ProviderId.WAVESPEED, ModelId.TURBO_PRO_T2V)
    q = quote(_storyboard(3, 4, 5), o)
    assert len(q.items) == 2
    shots, surcharge = q.items
    assert shots.seconds == 12 and shots.amount == D("1.68")
    assert "3 shots" in shots.label and "3 + 4 + 5" in shots.label
    assert surcharge.seconds == o.multi_prompt_duration
    assert surcharge.amount == D("0.14") * o.multi_prompt_duration
    assert (
        "surcharge" in surcharge.label.lower()
        and f"{o.multi_prompt_duration} s base length" in surcharge.label
    )
    assert q.total == shots.amount + surcharge.amount


def test_single_shot_wavespeed_has_one_line() -> None:
    q = quote(_storyboard(10), offer(ProviderId.WAVESPEED, ModelId.TURBO_PRO_T2V))
    assert len(q.items) == 1
    assert q.items[0].seconds == 10
    assert q.total == D("1.40")


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        (ProviderId.WAVESPEED, ModelId.V3_PRO_T2V),
        (ProviderId.FAL, ModelId.TURBO_PRO_T2V),
        (ProviderId.FAL, ModelId.V3_PRO_T2V),
        (ProviderId.EVOLINK, ModelId.TURBO_PRO_T2V),
        (ProviderId.EVOLINK, ModelId.V3_PRO_T2V),
    ],
)
def test_other_providers_bill_just_the_shots_of_a_multi_shot_storyboard(
    provider: ProviderId, model: ModelId
) -> None:
    o = offer(provider, model)
    sb = _storyboard(3, 4, 5, model=model)
    q = quote(sb, o)
    assert len(q.items) == 1
    assert q.items[0].seconds == 12
    assert q.total == applicable_rate(sb, o).usd_per_second * 12


def test_every_line_item_carries_the_source_of_its_rate() -> None:
    for provider in ProviderId:
        q = quote(_storyboard(5, 5), offer(provider, ModelId.TURBO_PRO_T2V))
        for item in q.items:
            assert item.source.strip()
            assert item.amount == item.usd_per_second * item.seconds


def test_fal_v3_pro_quote_is_marked_unverified_with_the_reason() -> None:
    q = quote(_storyboard(5, model=ModelId.V3_PRO_T2V), offer(ProviderId.FAL, ModelId.V3_PRO_T2V))
    assert q.verified is False
    assert q.note
    q = quote(_storyboard(5), offer(ProviderId.FAL, ModelId.TURBO_PRO_T2V))
    assert q.verified is True


# --- compare ------------------------------------------------------------------------------------


def test_compare_sorts_the_providers_cheapest_first() -> None:
    # 10 s in two shots, 1080p: EvoLink $1.32, fal $1.40, WaveSpeed $1.82 (10 + 3 s billed)
    rows = compare(_storyboard(5, 5))
    assert [r.provider for r in rows] == [ProviderId.EVOLINK, ProviderId.FAL, ProviderId.WAVESPEED]
    assert [r.quote.total for r in rows] == [D("1.320"), D("1.40"), D("1.82")]
    assert all(r.available for r in rows)


def test_compare_leaves_preview_out_unless_asked() -> None:
    assert ProviderId.PREVIEW not in {r.provider for r in compare(_storyboard(5))}
    rows = compare(_storyboard(5), paid_only=False)
    assert rows[0].provider == ProviderId.PREVIEW  # free comes first
    assert {r.provider for r in rows} == set(ProviderId)


def test_compare_puts_providers_that_refuse_the_storyboard_last_with_a_reason() -> None:
    # A 2 s shot: fal needs >= 3 s per shot, so does WaveSpeed; EvoLink takes Kling's 1 s minimum.
    rows = compare(_storyboard(2, 5))
    assert rows[0].provider == ProviderId.EVOLINK and rows[0].available
    refused = rows[1:]
    assert {r.provider for r in refused} == {ProviderId.FAL, ProviderId.WAVESPEED}
    for r in refused:
        assert not r.available
        assert r.problems and r.problems[0].message
    fal = next(r for r in refused if r.provider == ProviderId.FAL)
    assert any("fal.ai" in p.message and "3 s" in p.message for p in fal.problems)


def test_compare_puts_a_refusing_provider_last_even_when_it_is_the_cheapest() -> None:
    # Five 3 s shots of 500 characters: EvoLink would be cheapest ($1.98) but its single `镜头` prompt
    # runs past 2500 characters, so it goes below fal ($2.10) and WaveSpeed ($2.52).
    sb = Storyboard(shots=[Shot(prompt="x" * 500, duration=3) for _ in range(5)])
    rows = compare(sb)
    assert [r.provider for r in rows] == [ProviderId.FAL, ProviderId.WAVESPEED, ProviderId.EVOLINK]
    assert [r.quote.total for r in rows] == [D("2.10"), D("2.52"), D("1.980")]
    assert [r.available for r in rows] == [True, True, False]


def test_compare_can_price_the_storyboard_on_another_model() -> None:
    rows = compare(_storyboard(5, sound=True), model=ModelId.V3_PRO_T2V)
    assert {r.quote.model for r in rows} == {ModelId.V3_PRO_T2V}
    by_provider = {r.provider: r.quote.total for r in rows}
    assert by_provider[ProviderId.WAVESPEED] == D("0.840")  # [Seed 002]


# --- money on screen ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text", "exact"),
    [
        ("1.40", "$1.40", "$1.40"),
        ("1.4", "$1.40", "$1.40"),
        ("0.504", "$0.50", "$0.504"),
        ("2.10", "$2.10", "$2.10"),
        ("2.100", "$2.10", "$2.10"),
        ("0", "$0.00", "$0.00"),
        ("0.000", "$0.00", "$0.00"),
        ("0.70", "$0.70", "$0.70"),
        ("1.120", "$1.12", "$1.12"),
        ("1.320", "$1.32", "$1.32"),
        ("0.742", "$0.74", "$0.742"),
        ("0.925", "$0.93", "$0.925"),  # half a cent rounds up, never to the even cent
        ("0.005", "$0.01", "$0.005"),
        ("0.1125", "$0.11", "$0.1125"),  # a rate with four decimals keeps them in the line items
        ("1", "$1.00", "$1.00"),
        ("12.5", "$12.50", "$12.50"),
        ("100", "$100.00", "$100.00"),
    ],
)
def test_format_usd_rounds_to_the_cent_and_exact_keeps_what_is_billed(
    amount: str, text: str, exact: str
) -> None:
    """One rounding rule wherever a person reads a price (issue 11, item 6): whole cents, half up;
    the line items show the exact billed figure."""
    assert format_usd(D(amount)) == text
    assert format_usd(D(amount), exact=True) == exact


def test_quote_label_is_the_formatted_total() -> None:
    q = quote(_storyboard(10), offer(ProviderId.FAL, ModelId.TURBO_PRO_T2V))
    assert format_usd(q.total) == "$1.40"
