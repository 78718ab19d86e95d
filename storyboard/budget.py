"""Spending caps: a daily cap and a session cap, both kept in the database beside the spend they
are checked against (so a reload, another tab, another process or a restart keeps them), checked
in the same transaction that writes the takes (`Store.create_jobs`).

A session is a stretch of use with a spending limit, such as a demo on a company card: it starts
when its cap is set and ends when the cap is cleared, and its spend is what the takes started since
then count for. (A Streamlit session ends at every reload, which would quietly drop the cap and its
count, so it is not used.) Changing the amount of a running session keeps its start.

What counts as spent (`COUNTED`, the one definition the caps, the Takes chart and the totals read
through `Store`): every take that was billed or may have been (running, downloading, done, outcome
unknown), deleted or not, and every take on its way to the provider (queued, uploading,
submitting), at its quoted price. Takes that failed before the provider had them or were cancelled
before sending cost nothing and do not count. A day is the UTC day the take was started: one
server serves every browser, so its day must not depend on a browser's clock (the editor says
"Today (UTC)").

This module holds the rules and no SQL; it reads spend through the store it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Protocol

from storyboard.catalog import MAX_CAP_USD
from storyboard.models import JobState, format_usd, utcnow

DAMAGED = (
    "The spending caps saved on this computer could not be read, so paid takes wait: set your caps "
    "again on Settings (or press Forget them there)."
)
BILLED = (JobState.RUNNING, JobState.DOWNLOADING, JobState.DONE, JobState.UNKNOWN)  # may have been billed
PENDING = (JobState.QUEUED, JobState.UPLOADING, JobState.SUBMITTING)  # about to be billed
COUNTED = (*BILLED, *PENDING)
CENT = Decimal("0.01")
MAX_CAP = Decimal(MAX_CAP_USD)
ABSURD = (
    f"A cap is a dollar amount from $0.00 to ${MAX_CAP:,.2f}: type it again, or leave it empty for no cap."
)


class CapProblem(ValueError):
    """A cap that cannot be a budget (negative, not a number, absurdly large); the message says so."""


class SpendSource(Protocol):
    """What the caps read: the store's one definition of spend."""

    def spend_since(self, since: datetime) -> Decimal: ...

    def spends_since(self, first: datetime | None, second: datetime | None) -> tuple[Decimal, Decimal]:
        """(spend since `first`, spend since `second`) in one read; 0 for None."""
        ...


@dataclass(frozen=True)
class Caps:
    """Dollar caps; None: no cap."""

    daily: Decimal | None = None
    session: Decimal | None = None
    session_since: datetime | None = None  # when the session cap was set; its takes started since
    damaged: bool = False  # the saved caps could not be read: paid takes wait until caps are set again

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
    caps: Caps, spent: Spent, amount: Decimal, *, verified: bool = True, takes: int = 1, team: bool = False
) -> str | None:
    """The sentence that refuses a Generate costing `amount` in all (`takes` takes), or None.

    Reaching a cap exactly is allowed; passing it is not. A free take (Preview) is never refused.
    An unverified price is checked at the quoted (higher) figure, and the sentence says so.
    `team`: the caps are the workspace's (issue 13): the sentence says what is left and that an
    admin sets them (a member who is not one cannot raise them).
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
        what, price, fix = _asked(amount, verified, takes)
        if team:
            return (
                f"{what} {price} and {whose} is {format_usd(so_far)} of the workspace's {format_usd(cap)} "
                f"{which} ({format_usd(max(cap - so_far, Decimal(0)))} left): {fix}, or ask an admin to raise it."
            )
        return (
            f"{what} {price} and {whose} is {format_usd(so_far)} of your {format_usd(cap)} {which}: "
            f"raise the cap on Settings or {fix}."
        )
    return None


def _asked(amount: Decimal, verified: bool, takes: int) -> tuple[str, str, str]:
    what = "This take costs" if takes == 1 else f"These {takes} takes cost"
    price = format_usd(amount) if verified else f"up to {format_usd(amount)} (the price is unverified)"
    fix = "make the take shorter" if takes == 1 else "generate fewer or shorter takes"
    return what, price, fix


PERSON_CAP_DAMAGED = (
    "Your own daily cap could not be read, so your paid takes wait: ask an admin to set it again on Settings."
)


def person_refusal(
    cap: str | None, spent_today: Decimal, amount: Decimal, *, verified: bool = True, takes: int = 1
) -> str | None:
    """The sentence that refuses one person's Generate by their own daily cap (members.daily_cap,
    as saved: decimal text, None for no cap), or None. Checked beside the workspace's caps, in the
    same transaction (Store.create_jobs), against what that person's takes count for today (UTC)."""
    if amount <= 0 or cap is None:
        return None
    try:
        limit = to_cap(cap)
    except CapProblem:  # fail safe: a cap an admin set must not vanish with a damaged value
        return PERSON_CAP_DAMAGED
    if limit is None or spent_today + amount <= limit:
        return None
    what, price, fix = _asked(amount, verified, takes)
    return (
        f"{what} {price} and you have {format_usd(max(limit - spent_today, Decimal(0)))} left of your own "
        f"{format_usd(limit)} daily cap today (UTC): {fix}, or ask an admin to raise your cap."
    )


def day_start(now: datetime | None = None) -> datetime:
    """Midnight UTC of the day `now` falls in."""
    now = now or utcnow()
    return datetime.combine(now.date(), time(), tzinfo=now.tzinfo)


def spent_today(store: SpendSource, now: datetime | None = None) -> Decimal:
    return store.spend_since(day_start(now))


def days_back(days: int, now: datetime | None = None) -> datetime:
    """Midnight UTC `days` - 1 days before today: the start of the last `days` UTC days."""
    return day_start(now) - timedelta(days=days - 1)


@dataclass(frozen=True)
class Budget:
    """The caps that apply to one Generate."""

    caps: Caps

    def spent(self, store: SpendSource, now: datetime | None = None) -> Spent:
        # both figures in one read: each read of spend is a query over the takes (bench/caps_check.py)
        today, session = store.spends_since(
            day_start(now) if self.caps.daily is not None else None,
            self.caps.session_since if self.caps.session is not None else None,
        )
        return Spent(today=today, session=session)

    def check(
        self,
        store: SpendSource,
        amount: Decimal,
        *,
        verified: bool = True,
        takes: int = 1,
        now: datetime | None = None,
        team: bool = False,
    ) -> str | None:
        """Why generating takes worth `amount` in all would pass a cap, or None."""
        counts = amount > 0 and self.caps.any and not self.caps.damaged  # else spend is not read
        spent = self.spent(store, now) if counts else Spent()
        return self.refuses(spent, amount, verified=verified, takes=takes, team=team)

    def refuses(
        self, spent: Spent, amount: Decimal, *, verified: bool = True, takes: int = 1, team: bool = False
    ) -> str | None:
        """`check` against spend already read (the editor reads it once per run for the state and
        the check: each read of spend is a query over the takes)."""
        if amount <= 0 or not self.caps.any:
            return None
        if self.caps.damaged:  # fail safe: a cap the user set must not vanish with a damaged record
            return DAMAGED
        return refusal(self.caps, spent, amount, verified=verified, takes=takes, team=team)

    def state(self, store: SpendSource, now: datetime | None = None) -> str | None:
        """'Today (UTC): $3.20 of $10.00 · This session: $0.70 of $2.00', or None with no cap."""
        if not self.caps.any:
            return None
        return self.describe(self.spent(store, now))

    def describe(self, spent: Spent) -> str | None:
        """`state` from spend already read."""
        if not self.caps.any:
            return None
        if self.caps.damaged:
            return "Spending caps unreadable: paid takes wait until they are set again on Settings."
        parts = []
        if self.caps.daily is not None:
            parts.append(f"Today (UTC): {format_usd(spent.today)} of {format_usd(self.caps.daily)}")
        if self.caps.session is not None:
            parts.append(f"This session: {format_usd(spent.session)} of {format_usd(self.caps.session)}")
        return " · ".join(parts)


def to_cap(value: float | str | Decimal | None) -> Decimal | None:
    """A cap as typed (dollars), in cents; None or blank: no cap. Anything that cannot be a budget
    (negative, not a number, infinite, more than MAX_CAP) raises CapProblem: silently taking it
    as "no cap" would lift the limit the person meant to set."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        cap = Decimal(str(value).strip())
    except InvalidOperation:
        raise CapProblem(ABSURD) from None
    if not cap.is_finite() or cap < 0 or cap > MAX_CAP:
        raise CapProblem(ABSURD)
    return cap.quantize(CENT)


# ---- the saved record (one row in the store, three text fields) ------------------------------------


@dataclass(frozen=True)
class CapsRecord:
    """The caps as the store keeps them: text, read back through `caps_from_record`."""

    daily: str | None = None
    session: str | None = None
    session_since: str | None = None
    damaged: bool = False


def caps_from_record(record: CapsRecord) -> Caps:
    """The saved caps; a record holding anything but what was written gives `Caps(damaged=True)`."""
    if record.damaged:
        return Caps(damaged=True)
    try:
        caps = Caps(
            daily=to_cap(record.daily),
            session=to_cap(record.session),
            session_since=_moment(record.session_since),
        )
    except CapProblem:
        return Caps(damaged=True)
    if (caps.session is None) != (caps.session_since is None) or (
        record.session_since is not None and caps.session_since is None
    ):
        return Caps(damaged=True)
    return caps


def caps_to_record(caps: Caps) -> CapsRecord:
    return CapsRecord(
        daily=None if caps.daily is None else str(caps.daily),
        session=None if caps.session is None else str(caps.session),
        session_since=None if caps.session_since is None else caps.session_since.isoformat(),
        damaged=caps.damaged,
    )


def record_from_legacy_file(saved: object) -> CapsRecord:
    """The caps file of earlier versions (parsed JSON, or None when unreadable) as a record."""
    if not isinstance(saved, dict):
        return CapsRecord(damaged=True)
    fields = [saved.get(name) for name in ("daily_usd", "session_usd", "session_since")]
    if any(v is not None and not isinstance(v, str | int | float) or isinstance(v, bool) for v in fields):
        return CapsRecord(damaged=True)
    daily, session, since = (None if v is None else str(v) for v in fields)
    return CapsRecord(daily=daily, session=session, session_since=since)


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None
