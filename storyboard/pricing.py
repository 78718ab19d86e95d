"""What a storyboard costs on an offer, line by line, under that provider's real billing rules.

The rate is the catalog's, unless the provider priced that rate itself today ("Check prices" on
Settings, kept in the data folder by `checked_prices`): then the provider's figure is quoted, so the
price before Generate is the one the provider confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from storyboard import checked_prices
from storyboard.catalog import OFFERS, Offer, RateRule
from storyboard.models import Job, LineItem, ModelId, ProviderId, Quote, Rate, Storyboard
from storyboard.validate import Problem, validate


def checked_today(today: date | None = None) -> list[checked_prices.CheckedRate]:
    """The rates providers confirmed today, from the data folder (cached per version of the file)."""
    from storyboard.settings import data_dir  # settings reads the catalog; imported where used

    today = today or date.today()
    return [r for r in checked_prices.load(data_dir()) if r.checked_on == today]


def applicable_rate(
    storyboard: Storyboard, offer: Offer, checked: Sequence[checked_prices.CheckedRate] | None = None
) -> Rate:
    """The rate rule matching the storyboard's resolution and sound: the provider's figure when it
    was checked today (`checked`, read from the data folder when not given), else the catalog's."""
    checked = checked_today() if checked is None else checked
    resolution = storyboard.options.resolution if offer.has("resolution") else None
    sound = storyboard.options.sound if offer.has("sound") else False

    def matches(rule: RateRule) -> bool:
        return (rule.resolution is None or rule.resolution == resolution) and (
            rule.sound is None or rule.sound == sound
        )

    for rule in offer.rates:
        if matches(rule):
            confirmed = checked_prices.checked_rate(offer, rule, checked, date.today())
            return confirmed or rule.rate
    raise LookupError(f"no rate for {offer.provider}/{offer.model} at {resolution}, sound={sound}")


def _item(label: str, seconds: int, rate: Rate) -> LineItem:
    return LineItem(
        label=label,
        seconds=seconds,
        usd_per_second=rate.usd_per_second,
        amount=rate.usd_per_second * seconds,
        source=rate.source,
    )


def quote(
    storyboard: Storyboard, offer: Offer, checked: Sequence[checked_prices.CheckedRate] | None = None
) -> Quote:
    rate = applicable_rate(storyboard, offer, checked)
    total = storyboard.total_seconds
    sound = " with sound" if offer.has("sound") and storyboard.options.sound else ""
    if storyboard.is_multi_shot:
        durations = " + ".join(str(s.duration) for s in storyboard.shots)
        items = [_item(f"{len(storyboard.shots)} shots ({durations} s){sound}", total, rate)]
    else:
        items = [_item(f"{total} s of video{sound}", total, rate)]
    if storyboard.is_multi_shot and offer.billing == "duration_plus_shots" and offer.multi_prompt_duration:
        # WaveSpeed bills `duration` on top of the shots when multi_prompt is sent [Seed 000/001].
        items.append(
            _item(
                f"Multi-shot surcharge: WaveSpeed also bills a {offer.multi_prompt_duration} s base length",
                offer.multi_prompt_duration,
                rate,
            )
        )
    return Quote(
        provider=offer.provider,
        model=offer.model,
        items=items,
        total=sum((i.amount for i in items), Decimal(0)),
        verified=rate.verified,
        note=rate.note,
    )


@dataclass(frozen=True)
class Comparison:
    """One row of the 'same storyboard on every provider' table."""

    provider: ProviderId
    quote: Quote
    problems: list[Problem]

    @property
    def available(self) -> bool:
        return not self.problems

    @property
    def can_take(self) -> bool:
        """Nothing the provider refuses: a prompt not written yet is the person's to do, not a
        reason the provider cannot take it (a blank storyboard shows every price, not "can't")."""
        return all(p.missing_prompt for p in self.problems)


def compare(storyboard: Storyboard, model: ModelId | None = None, paid_only: bool = True) -> list[Comparison]:
    """Every provider for the model, usable ones cheapest first, then the ones that refuse it."""
    model = model or storyboard.model
    rows = [
        Comparison(provider=p, quote=quote(storyboard, o), problems=validate(storyboard, o))
        for (p, m), o in OFFERS.items()
        if m == model and not (paid_only and p == ProviderId.PREVIEW)
    ]
    return sorted(rows, key=lambda r: (not r.can_take, r.quote.total, r.provider.value))


def priced_take(storyboard: Storyboard, **fields: Any) -> Job:
    """A take (job) of `storyboard` on its provider and model, at the catalog's price for it."""
    price = quote(storyboard, OFFERS[(storyboard.provider, storyboard.model)])
    return Job(
        storyboard=storyboard, provider=storyboard.provider, model=storyboard.model, quote=price, **fields
    )


def browser_rates(storyboard: Storyboard, offer: Offer) -> dict[str, Any]:
    """What the editor's timeline needs to price a storyboard in the browser while a boundary is
    dragged (components/timeline.js `quoteTotal`): the rate `quote` would use for these options, as
    an exact decimal string, and the seconds billed on top of a multi-shot video. Dragging changes
    only the lengths, so these two figures and `quote`'s rule give the same total; tests/e2e check it."""
    surcharge = (
        offer.multi_prompt_duration
        if offer.billing == "duration_plus_shots" and offer.multi_prompt_duration
        else 0
    )
    return {
        "usd_per_second": str(applicable_rate(storyboard, offer).usd_per_second),
        "multi_shot_extra_seconds": surcharge,
    }


def order_total(quotes: Iterable[Quote], count: int) -> Decimal:
    """What one press of Generate costs: `count` takes of each quoted storyboard (one per format)."""
    return sum((q.total for q in quotes), Decimal(0)) * count
