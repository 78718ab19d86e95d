"""Prices the providers confirmed themselves ("Check prices" on Settings), kept with their day.

The catalog is the source of every quote. When a provider priced an offer's rate TODAY (WaveSpeed's
`POST /api/v3/model/pricing`, fal's Platform API), that figure replaces the catalog's for the same
offer and rate rule until the day ends; the next day the catalog speaks again until someone checks.
The figures live in the data folder (`checked_prices.json`), or with media in a bucket, in the
bucket, where every app replica reads them: no key, no storyboard, only rates.

A check sends, for every rate rule of every offer on a provider that has a key, one sample request
(one 5 s shot, with that rule's resolution and sound) to the provider's pricing call; nothing is
ever submitted. The per-second rate is the provider's price divided by the seconds the catalog bills.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from storyboard.catalog import OFFERS, PROVIDERS, Offer, RateRule
from storyboard.compile import compile_request
from storyboard.layout import CHECKED_PRICES, DataDir
from storyboard.media_store import LocalMedia, MediaProblem, MediaStore, media_for
from storyboard.models import ModelId, Options, ProviderId, Rate, Resolution, Shot, Storyboard

if TYPE_CHECKING:
    from storyboard.providers.base import ProviderClient

FILE_NAME = CHECKED_PRICES
SAMPLE_SECONDS = 5
SAMPLE_PROMPT = "A price check: a calm beach at sunrise."
# What a first frame is called in a sample body: only its price is asked, nothing is fetched.
SAMPLE_IMAGE_URL = "https://example.com/price-check-first-frame.png"
# Rates are compared to a tenth of a cent per second: finer differences are rounding.
PRECISION = Decimal("0.0001")


class CheckedRate(BaseModel):
    """One rate rule of one offer, as its provider priced it on `checked_on`."""

    provider: ProviderId
    model: ModelId
    resolution: Resolution | None = None
    sound: bool | None = None
    usd_per_second: Decimal
    source: str
    checked_on: date

    def same_rule(self, offer: Offer, rule: RateRule) -> bool:
        return (self.provider, self.model, self.resolution, self.sound) == (
            offer.provider,
            offer.model,
            rule.resolution,
            rule.sound,
        )

    def as_rate(self) -> Rate:
        return Rate(
            usd_per_second=self.usd_per_second,
            source=f"{self.source}, checked {self.checked_on.isoformat()}",
            as_of=self.checked_on.isoformat(),
            verified=True,
        )


class PriceCheck(BaseModel):
    """One row of the Settings table: the catalog's rate beside the provider's own."""

    provider: ProviderId
    model: ModelId
    resolution: Resolution | None = None
    sound: bool | None = None
    catalog: Decimal
    checked: Decimal | None = None  # None: the provider could not or would not price it
    said: str = ""  # why there is no provider figure, in one sentence

    @property
    def differs(self) -> bool:
        return self.checked is not None and _rounded(self.checked) != _rounded(self.catalog)

    @property
    def variant(self) -> str:
        parts = [self.resolution or "", {True: "sound on", False: "sound off", None: ""}[self.sound]]
        return ", ".join(p for p in parts if p)


def _rounded(value: Decimal) -> Decimal:
    return value.quantize(PRECISION)


# ---- storage -----------------------------------------------------------------------------------


def path(data_dir: Path) -> Path:
    return DataDir(data_dir).checked_prices


# With media in a bucket the figures are kept there too (`<prefix>/checked_prices.json`), so every
# app replica quotes the same prices; each re-reads them at most this often (a quote is made many
# times a rerun: not one request each). The replica that checked sees its figures at once.
SHARED_SECONDS = 5.0
UNKEPT = (
    "These prices could not be kept (the data folder or the media bucket could not be written), so "
    "quotes stay the catalog's: check that storage and press Check prices again."
)
_shared: dict[str, tuple[float, tuple[CheckedRate, ...]]] = {}  # bucket -> (read at, rates)
_shared_lock = threading.Lock()


def load(data_dir: Path) -> list[CheckedRate]:
    """Every rate ever checked (the latest per rule); empty when none was or the file is damaged."""
    try:
        kept = media_for(data_dir)
    except MediaProblem:  # a malformed bucket setting: said where media is used; the catalog's prices
        return []
    if not isinstance(kept, LocalMedia):
        return list(_from_bucket(kept))
    file = path(data_dir)
    try:
        stamp = file.stat().st_mtime_ns
    except OSError:
        return []
    return list(_parsed(file, stamp))


@lru_cache(maxsize=8)
def _parsed(file: Path, stamp: int) -> tuple[CheckedRate, ...]:
    """Read once per version of the file: every quote on every rerun asks."""
    try:
        return _rows(file.read_bytes())
    except OSError:
        return ()


def _rows(data: bytes) -> tuple[CheckedRate, ...]:
    try:
        return tuple(CheckedRate.model_validate(r) for r in json.loads(data))
    except (ValueError, TypeError, ValidationError):
        return ()


def _from_bucket(kept: MediaStore, fresh: bool = False) -> tuple[CheckedRate, ...]:
    """The bucket's figures, read again when SHARED_SECONDS have passed (or `fresh`); the bucket
    out of reach: the figures read last (a price does not jump back to the catalog's for a blip)."""
    where = kept.describe()
    now = time.monotonic()
    with _shared_lock:
        last = _shared.get(where)
    if last is not None and not fresh and now - last[0] < SHARED_SECONDS:
        return last[1]
    try:
        rates = _rows(kept.read_bytes(FILE_NAME))
    except FileNotFoundError:
        rates = ()
    except OSError:
        rates = last[1] if last is not None else ()
    with _shared_lock:
        _shared[where] = (now, rates)
    return rates


def save(data_dir: Path, rates: Iterable[CheckedRate]) -> None:
    """Keep `rates`, replacing any older figure for the same rule; written atomically (in the data
    dir, or the bucket when media is kept in one: OSError if it cannot be reached)."""
    kept = media_for(data_dir)
    new = list(rates)
    before = load(data_dir) if isinstance(kept, LocalMedia) else list(_from_bucket(kept, fresh=True))
    rows = [
        old
        for old in before
        if not any(
            (old.provider, old.model, old.resolution, old.sound)
            == (n.provider, n.model, n.resolution, n.sound)
            for n in new
        )
    ] + new
    kept.put_bytes(FILE_NAME, json.dumps([r.model_dump(mode="json") for r in rows], indent=1).encode())
    if not isinstance(kept, LocalMedia):
        with _shared_lock:  # this replica quotes its own check at once
            _shared[kept.describe()] = (time.monotonic(), tuple(rows))


def checked_rate(offer: Offer, rule: RateRule, checked: Iterable[CheckedRate], today: date) -> Rate | None:
    """The provider's own rate for this rule when it was checked today; else None (the catalog)."""
    for row in checked:
        if row.checked_on == today and row.same_rule(offer, rule):
            return row.as_rate()
    return None


# ---- checking ----------------------------------------------------------------------------------


def sample(offer: Offer, rule: RateRule) -> Storyboard:
    """The request a rate rule prices: one shot of SAMPLE_SECONDS with the rule's resolution and sound."""
    options = Options.model_validate({"resolution": rule.resolution or "1080p", "sound": bool(rule.sound)})
    return Storyboard(
        name="Price check",
        provider=offer.provider,
        model=offer.model,
        shots=[Shot(prompt=SAMPLE_PROMPT, duration=SAMPLE_SECONDS)],
        options=options,
    )


def check(client: ProviderClient, today: date) -> tuple[list[PriceCheck], list[CheckedRate]]:
    """Ask `client`'s provider the price of every rate rule of its offers (Preview has none).

    Returns the rows to show and the rates to keep. A failing call gives its sentence on that row
    and the others go on; a provider without a pricing call gives nothing (the caller says so).
    """
    from storyboard.providers.base import ProviderError  # the providers package imports this module's users

    rows: list[PriceCheck] = []
    kept: list[CheckedRate] = []
    label = PROVIDERS[client.provider].label
    for offer in OFFERS.values():
        if offer.provider != client.provider:
            continue
        for rule in offer.rates:
            row = PriceCheck(
                provider=offer.provider,
                model=offer.model,
                resolution=rule.resolution,
                sound=rule.sound,
                catalog=rule.rate.usd_per_second,
            )
            request = compile_request(
                sample(offer, rule), offer, SAMPLE_IMAGE_URL if offer.takes_image else None
            )
            try:
                price = client.price(request)
            except ProviderError as failed:
                rows.append(row.model_copy(update={"said": failed.message}))
                continue
            if price is None:
                said = f"{label} does not price this one itself; the catalog's rate stands."
                rows.append(row.model_copy(update={"said": said}))
                continue
            rate = price.usd / SAMPLE_SECONDS
            rows.append(row.model_copy(update={"checked": rate}))
            kept.append(
                CheckedRate(
                    provider=offer.provider,
                    model=offer.model,
                    resolution=rule.resolution,
                    sound=rule.sound,
                    usd_per_second=rate,
                    source=price.source,
                    checked_on=today,
                )
            )
    return rows, kept
