"""Who acts: the members of the workspace and their roles (issue 13).

Streamlit's `st.login` says who a person is (their identity provider's email and name); whether
they may do something is ours to say, from the `members` table and the role kept there
(permissions.py holds what each role may do). Without sign-in configured there is one person,
`SOLO`, who may do everything: the single-person app, exactly as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"  # everything an admin can, and no admin can remove or demote them
    ADMIN = "admin"  # members, caps, provider readiness, the activity log
    EDITOR = "editor"  # storyboards, Generate within their caps
    REVIEWER = "reviewer"  # watch, comment, approve or ask for changes

    @property
    def label(self) -> str:
        return self.value.capitalize()


# Longest first: an address has at most 254 characters (RFC 5321), a name we show at most 120.
MAX_EMAIL = 254
MAX_NAME = 120
_EMAIL = re.compile(r"^[^@\s<>\"'`]+@[^@\s<>\"'`]+\.[^@\s<>\"'`]+$")


class NotAnEmail(ValueError):
    """An address typed to invite someone that is not one (the sentence says what to type)."""


def email_key(email: str) -> str:
    """The form an address is kept and compared in: trimmed, lower case (identity providers and
    people type the same address in different cases)."""
    return email.strip().lower()


def checked_email(typed: str) -> str:
    """An address typed by an admin, as kept; raises NotAnEmail with one sentence."""
    email = email_key(typed)
    if not email:
        raise NotAnEmail("Type the email address the person signs in with.")
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise NotAnEmail(f"“{typed.strip()[:60]}” is not an email address; type one like name@company.com.")
    return email


def shown_name(name: str | None, email: str) -> str:
    """What the app calls a person: their name from the identity provider, or their address."""
    name = " ".join((name or "").split())[:MAX_NAME]
    return name or email


@dataclass(frozen=True)
class Actor:
    """The person doing something, as checked against the permissions. `email` is "" only for SOLO."""

    email: str
    name: str
    role: Role

    @property
    def solo(self) -> bool:
        return self.email == ""


SOLO = Actor(email="", name="you", role=Role.OWNER)


@dataclass(frozen=True)
class Member:
    email: str
    name: str  # "" until they first sign in
    role: Role
    added_by: str  # "" for the workspace's first owner
    added_at: str
    joined_at: str | None  # None: invited, not signed in yet
    daily_cap: str | None = None  # what this person may spend a day (USD, decimal text); None: no cap

    def actor(self) -> Actor:
        return Actor(self.email, shown_name(self.name, self.email), self.role)
