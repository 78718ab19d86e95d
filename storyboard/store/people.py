"""The workspace's members and the activity log, in the store's database (issue 13).

    store.people.join(email, name)          on each sign-in: the member (the first person to sign
                                            in to a fresh deployment becomes its owner), or None
    store.people.invite(actor, email, role) admins add people by email; they join on sign-in
    store.people.activity()                 who did what, newest first; never edited

Every change is checked here against permissions.py, whoever calls it, and written with its line
in the activity log in the same transaction: a change is never made without being logged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa

from storyboard.models import format_usd, utcnow
from storyboard.people import Actor, Member, Role, checked_email, email_key, shown_name
from storyboard.permissions import Action, Refused, check
from storyboard.store.tables import activity as activity_table
from storyboard.store.tables import members

if TYPE_CHECKING:
    from storyboard.store.store import Store

MEMBERS_LOCK = 0x5B_0F0F  # PostgreSQL advisory lock: held while members are added or changed


class MemberProblem(ValueError):
    """A change to the members that cannot be made (one sentence, e.g. the last owner leaving)."""


@dataclass(frozen=True)
class Activity:
    at: str
    email: str
    name: str
    action: str  # what was done, a short verb phrase: "generated", "approved", "changed caps"
    subject: str  # what it was done to (a take's or storyboard's id, an email), or ""
    summary: str  # one line a person reads: "generated “Launch” on fal.ai for $1.68"


def record(conn: sa.Connection, actor: Actor, action: str, summary: str, subject: str = "") -> None:
    """Append a line to the activity log in the caller's transaction (with the change it records)."""
    conn.execute(
        sa.insert(activity_table).values(
            at=utcnow().isoformat(),
            email=actor.email,
            name=actor.name,
            action=action,
            subject=subject,
            summary=summary,
        )
    )


def _member(row: sa.Row[object]) -> Member:
    r = row._mapping
    return Member(
        email=r["email"],
        name=r["name"],
        role=Role(r["role"]),
        added_by=r["added_by"],
        added_at=r["added_at"],
        joined_at=r["joined_at"],
        daily_cap=r["daily_cap"],
    )


class People:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _lock(self, conn: sa.Connection) -> None:
        self._store.advisory_lock(conn, MEMBERS_LOCK)

    # ---- reading ----------------------------------------------------------------------------------

    def member(self, email: str) -> Member | None:
        rows = self._store._read(sa.select(members).where(members.c.email == email_key(email)))
        return _member(rows[0]) if rows else None

    def members(self) -> list[Member]:
        rows = self._store._read(sa.select(members).order_by(members.c.added_at, members.c.email))
        return [_member(r) for r in rows]

    def activity(self, limit: int = 200) -> list[Activity]:
        t = activity_table
        rows = self._store._read(
            sa.select(t.c.at, t.c.email, t.c.name, t.c.action, t.c.subject, t.c.summary)
            .order_by(t.c.id.desc())
            .limit(limit)
        )
        return [Activity(r.at, r.email, r.name, r.action, r.subject, r.summary) for r in rows]

    # ---- signing in -------------------------------------------------------------------------------

    def join(self, email: str, name: str | None) -> Member | None:
        """Called with who the identity provider says signed in. The first person to sign in to a
        deployment with no members becomes its owner; an invited person joins (their name kept
        from now on); anyone else gets None (not a member: they see one sentence, nothing else)."""
        email = email_key(email)
        if not email:
            return None
        now = utcnow().isoformat()
        name = shown_name(name, email) if name else ""
        with self._store._tx() as conn:
            self._lock(conn)
            row = conn.execute(sa.select(members).where(members.c.email == email)).first()
            if row is None:
                if conn.execute(sa.select(sa.func.count()).select_from(members)).scalar():
                    return None
                conn.execute(
                    sa.insert(members).values(
                        email=email,
                        name=name,
                        role=Role.OWNER.value,
                        added_by="",
                        added_at=now,
                        joined_at=now,
                    )
                )
                member = Member(email, name, Role.OWNER, "", now, now)
                record(
                    conn,
                    member.actor(),
                    "became the owner",
                    f"{member.actor().name} signed in first and owns this workspace",
                    email,
                )
                return member
            found = _member(row)
            if found.joined_at is None or (name and name != found.name):
                changes = {"name": name or found.name, "joined_at": found.joined_at or now}
                conn.execute(sa.update(members).where(members.c.email == email).values(**changes))
                if found.joined_at is None:
                    record(
                        conn,
                        Actor(email, shown_name(name, email), found.role),
                        "joined",
                        f"{shown_name(name, email)} joined as {found.role.value}",
                        email,
                    )
                return replace(found, name=changes["name"], joined_at=changes["joined_at"])
            return found

    # ---- changing the members (admins) ------------------------------------------------------------

    def invite(self, actor: Actor, typed_email: str, role: Role) -> Member:
        """Add a person by email (they join when they first sign in). Raises Refused, NotAnEmail
        or MemberProblem, each with one sentence."""
        check(actor, Action.MANAGE_MEMBERS)
        email = checked_email(typed_email)
        _may_give(actor, role)
        now = utcnow().isoformat()
        with self._store._tx() as conn:
            self._lock(conn)
            if conn.execute(sa.select(members.c.email).where(members.c.email == email)).first():
                raise MemberProblem(f"{email} is already a member; change their role in the list instead.")
            conn.execute(
                sa.insert(members).values(
                    email=email, name="", role=role.value, added_by=actor.email, added_at=now
                )
            )
            record(conn, actor, "invited", f"{actor.name} invited {email} as {role.value}", email)
        return Member(email, "", role, actor.email, now, None)

    def set_role(self, actor: Actor, email: str, role: Role) -> Member:
        check(actor, Action.MANAGE_MEMBERS)
        email = email_key(email)
        with self._store._tx() as conn:
            self._lock(conn)
            found = self._found(conn, email)
            self._may_change(
                conn, actor, found, leaving_owner=found.role is Role.OWNER and role is not Role.OWNER
            )
            _may_give(actor, role)
            if role is found.role:
                return found
            conn.execute(sa.update(members).where(members.c.email == email).values(role=role.value))
            record(
                conn,
                actor,
                "changed a role",
                f"{actor.name} made {email} {role.value} (was {found.role.value})",
                email,
            )
        return replace(found, role=role)

    def remove(self, actor: Actor, email: str) -> None:
        check(actor, Action.MANAGE_MEMBERS)
        email = email_key(email)
        with self._store._tx() as conn:
            self._lock(conn)
            found = self._found(conn, email)
            self._may_change(conn, actor, found, leaving_owner=found.role is Role.OWNER)
            conn.execute(sa.delete(members).where(members.c.email == email))
            record(
                conn, actor, "removed a member", f"{actor.name} removed {email} ({found.role.value})", email
            )

    def set_daily_cap(self, actor: Actor, email: str, cap: Decimal | None) -> Member:
        """What one person may spend a day (None: no cap of their own; the workspace's still holds)."""
        check(actor, Action.SET_CAPS)
        email = email_key(email)
        with self._store._tx() as conn:
            self._lock(conn)
            found = self._found(conn, email)
            value = None if cap is None else str(cap)
            conn.execute(sa.update(members).where(members.c.email == email).values(daily_cap=value))
            said = "no daily cap" if cap is None else f"a daily cap of {format_usd(cap)}"
            record(conn, actor, "changed a cap", f"{actor.name} gave {email} {said}", email)
        return replace(found, daily_cap=value)

    def log(self, actor: Actor, action: str, summary: str, subject: str = "") -> None:
        """Append a line to the activity log on its own (for changes made outside this module)."""
        with self._store._tx() as conn:
            record(conn, actor, action, summary, subject)

    # ---- the rules of changing members --------------------------------------------------------------

    @staticmethod
    def _found(conn: sa.Connection, email: str) -> Member:
        row = conn.execute(sa.select(members).where(members.c.email == email)).first()
        if row is None:
            raise MemberProblem(f"{email} is not a member any more; reload the page to see the list.")
        return _member(row)

    @staticmethod
    def _may_change(conn: sa.Connection, actor: Actor, found: Member, *, leaving_owner: bool) -> None:
        if found.role is Role.OWNER and actor.role is not Role.OWNER:
            raise Refused("Only an owner can change or remove an owner.", Action.MANAGE_MEMBERS)
        if leaving_owner:
            owners = conn.execute(
                sa.select(sa.func.count()).select_from(members).where(members.c.role == Role.OWNER.value)
            ).scalar_one()
            if owners <= 1:
                raise MemberProblem("The workspace needs an owner: make someone else an owner first.")


def _may_give(actor: Actor, role: Role) -> None:
    if role is Role.OWNER and actor.role is not Role.OWNER:
        raise Refused("Only an owner can make someone an owner.", Action.MANAGE_MEMBERS)
