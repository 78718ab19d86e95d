"""Spending caps: a daily cap and a session cap, both kept in the data dir (so a reload, another
tab or a restart keeps them), checked before Generate sends anything or writes a take.

A session is a stretch of use with a spending limit, such as a demo on a company card: it starts
when its cap is set and ends when the cap is cleared, and its spend is what the takes started since
then count for. (A Streamlit session ends at every reload, which would quietly drop the cap and its
count, so it is not used.) Changing the amount of a running session keeps its start.

What counts as spent: every take that was billed or may have been (`store.BILLABLE`: running,
downloading, done, outcome unknown) and every take on its way to the provider (queued, uploading,
submitting), at its quoted price. Takes that failed before the provider had them or were cancelled
before sending cost nothing and do not count. A day is the UTC day the take was started: one
server serves every browser, so its day must not depend on a browser's clock (the editor says
"Today (UTC)").

The cap file holds caps only, never a key.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from storyboard.models import JobState, format_usd, utcnow
from storyboard.store import BILLABLE, Store

log = logging.getLogger(__name__)

CAPS_FILE = "budget.json"
PENDING = (JobState.QUEUED, JobState.UPLOADING, JobState.SUBMITTING)  # about to be billed
COUNTED = (*BILLABLE, *PENDING)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Caps:
    """Dollar caps; None: no cap."""

    daily: Decimal | None = None
    session: Decimal | None = None
    session_since: datetime | None = None  # when the session cap was set; its takes started since

    def with_daily(self, cap: Decimal | None) -> Caps:
        return replace(self, daily=cap)

    def with_session(self, cap: Decimal | None, now: datetime | None = None) -> Caps:
        """A new amount keeps a running session's start; the first amount starts one; None ends it."""
        if cap is None:
            return replace(self, session=None, session_since=None)
        running = self.session is not None and self.session_since is not None
        return replace(self, session=cap, session_since=self.session_since if running else (now or utcnow()))

    @property
    def any(self) -> bool:
        return self.daily is not None or self.session is not None


@dataclass(frozen=True)
class Spent:
    today: Decimal = Decimal(0)
    session: Decimal = Decimal(0)


def refusal(
    caps: Caps, spent: Spent, amount: Decimal, *, verified: bool = True, takes: int = 1
) -> str | None:
    """The sentence that refuses a Generate costing `amount` in all (`takes` takes), or None.

    Reaching a cap exactly is allowed; passing it is not. A free take (Preview) is never refused.
    An unverified price is checked at the quoted (higher) figure, and the sentence says so.
    """
    if amount <= 0:
        return None
    checks = (
        (caps.daily, spent.today, "today's spend", "daily cap"),
        (caps.session, spent.session, "this session's spend", "session cap"),
    )
    for cap, so_far, whose, which in checks:
        if cap is None or so_far + amount <= cap:
            continue
        what = "This take costs" if takes == 1 else f"These {takes} takes cost"
        price = format_usd(amount) if verified else f"up to {format_usd(amount)} (the price is unverified)"
        fix = "make the take shorter" if takes == 1 else "generate fewer or shorter takes"
        return (
            f"{what} {price} and {whose} is {format_usd(so_far)} of your {format_usd(cap)} {which}: "
            f"raise the cap on Settings or {fix}."
        )
    return None


def day_start(now: datetime | None = None) -> datetime:
    """Midnight UTC of the day `now` falls in."""
    now = now or utcnow()
    return datetime.combine(now.date(), time(), tzinfo=now.tzinfo)


def spent_today(store: Store, now: datetime | None = None) -> Decimal:
    return store.spend_in(COUNTED, since=day_start(now))


def days_back(days: int, now: datetime | None = None) -> datetime:
    """Midnight UTC `days` - 1 days before today: the start of the last `days` UTC days."""
    return day_start(now) - timedelta(days=days - 1)


def spent_in_session(store: Store, caps: Caps) -> Decimal:
    """What the takes started since the session cap was set count for (0 with no session)."""
    if caps.session is None or caps.session_since is None:
        return Decimal(0)
    return store.spend_in(COUNTED, since=caps.session_since)


@dataclass(frozen=True)
class Budget:
    """The caps that apply to one Generate."""

    caps: Caps

    def spent(self, store: Store, now: datetime | None = None) -> Spent:
        return Spent(
            today=spent_today(store, now) if self.caps.daily is not None else Decimal(0),
            session=spent_in_session(store, self.caps),
        )

    def check(
        self,
        store: Store,
        amount: Decimal,
        *,
        verified: bool = True,
        takes: int = 1,
        now: datetime | None = None,
    ) -> str | None:
        """Why generating takes worth `amount` in all would pass a cap, or None."""
        if amount <= 0 or not self.caps.any:
            return None
        return refusal(self.caps, self.spent(store, now), amount, verified=verified, takes=takes)

    def state(self, store: Store, now: datetime | None = None) -> str | None:
        """'Today (UTC): $3.20 of $10.00 · This session: $0.70 of $2.00', or None with no cap."""
        if not self.caps.any:
            return None
        spent = self.spent(store, now)
        parts = []
        if self.caps.daily is not None:
            parts.append(f"Today (UTC): {format_usd(spent.today)} of {format_usd(self.caps.daily)}")
        if self.caps.session is not None:
            parts.append(f"This session: {format_usd(spent.session)} of {format_usd(self.caps.session)}")
        return " · ".join(parts)


def to_cap(value: float | str | Decimal | None) -> Decimal | None:
    """A cap as typed (dollars), in cents; None, blank or negative: no cap."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        cap = Decimal(str(value)).quantize(CENT)
    except InvalidOperation:
        return None
    return cap if cap >= 0 else None


def load_caps(data_dir: Path) -> Caps:
    path = data_dir / CAPS_FILE
    try:
        saved = json.loads(path.read_text())
    except FileNotFoundError:
        return Caps()
    except (OSError, ValueError):
        log.warning("%s is unreadable; no caps until they are set again on Settings", path)
        return Caps()
    if not isinstance(saved, dict):
        return Caps()
    session, since = to_cap(saved.get("session_usd")), _moment(saved.get("session_since"))
    if session is None or since is None:
        session, since = None, None
    return Caps(daily=to_cap(saved.get("daily_usd")), session=session, session_since=since)


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def save_caps(data_dir: Path, caps: Caps) -> None:
    """Written to a temporary file and renamed: a crash leaves the old caps or the new ones."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / CAPS_FILE
    part = path.with_suffix(".json.part")
    since = caps.session_since.isoformat() if caps.session_since is not None else None
    saved = {
        "daily_usd": None if caps.daily is None else str(caps.daily),
        "session_usd": None if caps.session is None else str(caps.session),
        "session_since": since,
    }
    part.write_text(json.dumps(saved))
    os.replace(part, path)
