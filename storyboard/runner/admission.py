"""May this take be made, at the price the person saw, and its rows: checked and written before
anything is sent. A second press while takes of the same storyboard run finds those rows (their
idempotency keys), never more."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from storyboard import messages
from storyboard.catalog import MAX_TAKES_PER_GENERATE, offer
from storyboard.models import Job, Quote, Storyboard
from storyboard.people import SOLO, Actor
from storyboard.permissions import Refused
from storyboard.pricing import order_total, quote
from storyboard.store import CapRefused, Store
from storyboard.validate import validate


class GenerateRefused(Exception):
    """Generate was refused before anything was sent; the message says why and what to do."""


class PriceChanged(GenerateRefused):
    """The price the person saw is not the storyboard's price now (the page was a step behind)."""


def check(storyboard: Storyboard, count: int, shown_total: Decimal | None) -> Quote:
    """The storyboard's quote, or GenerateRefused saying why it cannot be made as asked."""
    return check_formats([storyboard], count, shown_total)[0]


def check_formats(storyboards: list[Storyboard], count: int, shown_total: Decimal | None) -> list[Quote]:
    """Each format's quote (one storyboard per format, `count` takes of each), or GenerateRefused:
    the price of every take together must be the price the person saw."""
    if not 1 <= count <= MAX_TAKES_PER_GENERATE or not storyboards:
        raise GenerateRefused(messages.take_count())
    prices = []
    for storyboard in storyboards:
        chosen = offer(storyboard.provider, storyboard.model)
        problems = validate(storyboard, chosen)
        if problems:
            raise GenerateRefused(problems[0].message)
        prices.append(quote(storyboard, chosen))
    total = order_total(prices, count)
    takes = count * len(storyboards)
    if shown_total is not None and total != shown_total:
        raise PriceChanged(messages.price_changed(total, takes, shown_total))
    return prices


def take_keys(store: Store, storyboard: Storyboard, count: int) -> list[str]:
    """The keys of the takes of this storyboard still running, if any (a second press finds
    them); else `count` new keys, numbered after every key this storyboard ever had, deleted
    takes' included, so no key (and no provider-side request id) is ever reused."""
    content = storyboard.model_dump_json(exclude={"name"})
    digest = hashlib.sha256(content.encode()).hexdigest()[:32]
    takes = store.jobs_with_key_prefix(digest)
    running = [take.idempotency_key for take in takes if not take.state.finished]
    if running:
        return running
    keys = [take.idempotency_key for take in takes] + store.retired_keys_with_prefix(digest)
    numbers = [int(n) for k in keys if (n := k.rpartition(":")[2]).isdigit()]
    first = max(numbers, default=-1) + 1
    return [f"{digest}:{first + i}" for i in range(count)]


def write_takes(
    store: Store, storyboard: Storyboard, keys: list[str], price: Quote, actor: Actor = SOLO
) -> tuple[list[Job], list[str]]:
    """Write the rows, the caps checked against billable spend in the same transaction (running
    takes are found, not counted again): (every take, the ids of the new ones)."""
    return write_orders(store, [(storyboard, keys, price)], actor)


def write_orders(
    store: Store, orders: list[tuple[Storyboard, list[str], Quote]], actor: Actor = SOLO
) -> tuple[list[Job], list[str]]:
    """Every format's rows in ONE `create_jobs` transaction, so the caps (the workspace's, and the
    actor's own) are checked against all of them together: either every take of the press is
    written or none is. The takes are the actor's."""
    try:
        made = store.create_jobs(
            [
                Job(
                    idempotency_key=key,
                    storyboard=storyboard,
                    provider=storyboard.provider,
                    model=storyboard.model,
                    quote=price,
                    message=messages.WAITING_TO_START,
                )
                for storyboard, keys, price in orders
                for key in keys
            ],
            actor,
        )
    except (CapRefused, Refused) as refused:
        raise GenerateRefused(str(refused)) from None
    return [job for job, _ in made], [job.id for job, created in made if created]
