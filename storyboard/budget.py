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
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from storyboard.models import JobState, format_usd, utcnow
from storyboard.store import BILLABLE, Store

log = logging.getLogger(__name__)

CAPS_FILE = "budget.json"
DAMAGED = (
    "The spending caps saved on this computer could not be read, so paid takes wait: set your caps "
    "again on Settings (or press Forget them there)."
)
PENDING = (JobState.QUEUED, JobState.UPLOADING, JobState.SUBMITTING)  # about to be billed
COUNTED = (*BILLABLE, *PENDING)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Caps:
    """Dollar caps; None: no cap."""

    daily: Decimal | None = None
    session: Decimal | None = None
    session_since: datetime | None = None  # when the session cap was set; its takes started since
    damaged: bool = False  # the cap file could not be read: paid takes wait until caps are set again

    def with_daily(self, cap: Decimal | None) -> Caps:
        return replace(self, daily=cap, damaged=False)

    def with_session(self, cap: Decimal | None, now: datetime | None = None) -> Caps:
        """A new amount keeps a running session's start; the first amount starts one; None ends it."""
        if cap is None:
            return replace(self, session=None, session_since=None, damaged=False)
        running = self.session is not None and self.session_since is not None
        since = self.session_since if running else (now or utcnow())
        return replace(self, session=cap, session_since=since, damaged=False)

    @property
    def any(self) -> bool:
        return self.daily is not None or self.session is not None or self.damaged


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
        if self.caps.damaged:  # fail safe: a cap the user set must not vanish with a damaged file
            return DAMAGED
        return refusal(self.caps, self.spent(store, now), amount, verified=verified, takes=takes)

    def state(self, store: Store, now: datetime | None = None) -> str | None:
        """'Today (UTC): $3.20 of $10.00 · This session: $0.70 of $2.00', or None with no cap."""
        if not self.caps.any:
            return None
        if self.caps.damaged:
            return "Spending caps unreadable: paid takes wait until they are set again on Settings."
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
    return cap if cap.is_finite() and cap >= 0 else None


def load_caps(data_dir: Path) -> Caps:
    """The saved caps; a file that is there but cannot be read gives `Caps(damaged=True)`."""
    path = data_dir / CAPS_FILE
    try:
        saved = json.loads(path.read_text())
    except FileNotFoundError:
        return Caps()
    except (OSError, ValueError):
        saved = None
    caps = _caps(saved) if isinstance(saved, dict) else None
    if caps is None:
        log.warning("%s is unreadable; paid takes wait until the caps are set again on Settings", path)
        return Caps(damaged=True)
    return caps


def _caps(saved: dict[str, object]) -> Caps | None:
    """The caps in a parsed file, or None if any value in it is not what was written."""
    daily, session = saved.get("daily_usd"), saved.get("session_usd")
    since = saved.get("session_since")
    caps = Caps(daily=_cap(daily), session=_cap(session), session_since=_moment(since))
    if (daily is not None and caps.daily is None) or (session is not None and caps.session is None):
        return None
    if (caps.session is None) != (caps.session_since is None):
        return None
    return caps


def _cap(value: object) -> Decimal | None:
    return to_cap(value) if isinstance(value, str | int | float) else None


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


_WRITING = threading.Lock()  # one process serves every tab: their changes to the file take turns


def update_caps(data_dir: Path, change: Callable[[Caps], Caps]) -> Caps:
    """Read the caps, change them and write them back, one tab at a time."""
    with _WRITING:
        caps = change(load_caps(data_dir))
        save_caps(data_dir, caps)
        return caps


def save_caps(data_dir: Path, caps: Caps) -> None:
    """Written to a temporary file and renamed: a crash leaves the old caps or the new ones."""
    data_dir.mkdir(parents=True, exist_ok=True)
    since = caps.session_since.isoformat() if caps.session_since is not None else None
    saved = {
        "daily_usd": None if caps.daily is None else str(caps.daily),
        "session_usd": None if caps.session is None else str(caps.session),
        "session_since": since,
    }
    handle, part = tempfile.mkstemp(dir=data_dir, prefix=".budget-", suffix=".part")
    with os.fdopen(handle, "w") as file:
        file.write(json.dumps(saved))
    os.replace(part, data_dir / CAPS_FILE)
