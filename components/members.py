"""Settings in a team (issue 13), for admins: the members with their roles, own daily caps and
spend; inviting, changing a role, removing; and the activity log (read-only, newest first).

Every change goes through `store.people`, which checks the permission and logs the change in the
same transaction; a refused change says one sentence here and changes nothing. Without sign-in
(the single-person app) none of this is drawn: Settings looks as it always did.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import streamlit as st

from components.roles import acting, may, team
from components.runtime import runtime
from components.text import plain
from storyboard.budget import CapProblem, day_start, to_cap
from storyboard.catalog import PROVIDERS
from storyboard.models import ProviderId, format_usd
from storyboard.people import Member, NotAnEmail, Role
from storyboard.permissions import Action, Refused
from storyboard.store import StorageProblem
from storyboard.store.people import MemberProblem

MEMBER_ERROR = "members_error"  # the sentence of the last refused change, shown under the list
INVITE_EMAIL = "members:invite-email"
INVITE_ROLE = "members:invite-role"
ROLES = list(Role)


def role_key(email: str) -> str:
    return f"members:role:{email}"


def cap_key(email: str) -> str:
    return f"members:cap:{email}"


def remove_key(email: str) -> str:
    return f"members:remove:{email}"


def _change(change: Callable[[], object]) -> bool:
    """Make one change through store.people; a refusal is kept to be said under the list."""
    st.session_state.pop(MEMBER_ERROR, None)
    try:
        change()
    except (Refused, NotAnEmail, MemberProblem, CapProblem, StorageProblem) as no:
        st.session_state[MEMBER_ERROR] = str(no)
        return False
    return True


def _invite() -> None:
    email = st.session_state.get(INVITE_EMAIL, "")
    role = Role(st.session_state.get(INVITE_ROLE) or Role.EDITOR)
    if _change(lambda: runtime().store.people.invite(acting(), email, role)):
        st.session_state[INVITE_EMAIL] = ""


def _set_role(email: str) -> None:
    role = Role(st.session_state[role_key(email)])
    _change(lambda: runtime().store.people.set_role(acting(), email, role))


def _set_cap(email: str) -> None:
    typed = st.session_state.get(cap_key(email))
    _change(lambda: runtime().store.people.set_daily_cap(acting(), email, to_cap(typed)))


def _remove(email: str) -> None:
    _change(lambda: runtime().store.people.remove(acting(), email))


def _spend_line(today: dict[ProviderId, Decimal], ever: dict[ProviderId, Decimal]) -> str:
    """'Today (UTC) $1.40 · in total $9.80: WaveSpeedAI $8.40, fal.ai $1.40'."""
    total = sum(ever.values(), Decimal(0))
    line = f"Today (UTC) {format_usd(sum(today.values(), Decimal(0)))} · in total {format_usd(total)}"
    per = [f"{PROVIDERS[p].label} {format_usd(v)}" for p, v in sorted(ever.items()) if v]
    return line + (": " + ", ".join(per) if per else "")


def _member_row(
    n: int, member: Member, today: dict[ProviderId, Decimal], ever: dict[ProviderId, Decimal]
) -> None:
    email = member.email
    with st.container(border=True, key=f"member-{n}"):
        who, role, cap, remove = st.columns([4, 2, 2, 1], vertical_alignment="bottom")
        joined = "" if member.joined_at else " · invited, not signed in yet"
        who.markdown(f"**{plain(member.name or email)}**  \n{plain(email)}{joined}")
        who.caption(_spend_line(today, ever))
        st.session_state[role_key(email)] = member.role.value
        role.selectbox(
            "Role",
            options=[r.value for r in ROLES],
            format_func=lambda r: Role(r).label,
            key=role_key(email),
            on_change=_set_role,
            args=(email,),
            disabled=not may(Action.MANAGE_MEMBERS),
        )
        try:
            shown = to_cap(member.daily_cap)
        except CapProblem:
            shown = None
        st.session_state[cap_key(email)] = None if shown is None else float(shown)
        cap.number_input(
            "Own daily cap, US$",
            key=cap_key(email),
            value=None,
            min_value=0.0,
            step=1.0,
            format="%.2f",
            placeholder="No cap of their own",
            on_change=_set_cap,
            args=(email,),
            disabled=not may(Action.SET_CAPS),
            help="What this person may spend a UTC day; the workspace's caps hold as well.",
        )
        remove.button(
            "",
            icon=":material/person_remove:",
            key=remove_key(email),
            help=f"Remove {plain(email)} from this workspace",
            on_click=_remove,
            args=(email,),
            disabled=not may(Action.MANAGE_MEMBERS),
        )


def members_section() -> None:
    """Admins of a team: the members, invite by email with a role, spend per person and provider."""
    if not team() or not may(Action.MANAGE_MEMBERS):
        return
    store = runtime().store
    st.subheader("Members")
    st.caption(
        "Owners and admins manage members, caps and providers; editors write storyboards and generate "
        "within their caps; reviewers watch, comment and approve. An invited person joins when they "
        "first sign in with that address."
    )
    today = store.spend_by_person(day_start())
    ever = store.spend_by_person()
    members = store.people.members()
    for n, member in enumerate(members):
        _member_row(n, member, today.get(member.email, {}), ever.get(member.email, {}))
    others = sorted(set(ever) - {m.email for m in members})  # before sign-in, or removed since
    for other in others:
        who = plain(other) if other else "Before sign-in (the single-person app)"
        st.caption(f"{who}: {_spend_line(today.get(other, {}), ever[other])}")
    address, role, invite = st.columns([4, 2, 1], vertical_alignment="bottom")
    address.text_input("Invite by email", key=INVITE_EMAIL, placeholder="name@company.com")
    role.selectbox(
        "As",
        options=[r.value for r in ROLES],
        index=ROLES.index(Role.EDITOR),
        format_func=lambda r: Role(r).label,
        key=INVITE_ROLE,
    )
    invite.button("Invite", key="members:invite", on_click=_invite, width="stretch")
    if st.session_state.get(MEMBER_ERROR):
        st.error(st.session_state[MEMBER_ERROR], icon="🔒")


def activity_log() -> None:
    """Admins of a team: who did what, newest first; never edited (the table refuses it)."""
    if not team() or not may(Action.READ_ACTIVITY):
        return
    st.subheader("Activity")
    lines = runtime().store.people.activity()
    if not lines:
        st.caption("Nothing done yet.")
        return
    st.dataframe(  # a table shows its cells as text: names and titles are never read as Markdown
        [
            {
                "When (UTC)": line.at[:16].replace("T", " "),
                "Who": line.name or line.email,
                "What": line.summary,
            }
            for line in lines
        ],
        hide_index=True,
    )
