"""Review and approval on the page (issue 13): send a storyboard or a take to members, comment on a
shot or at a moment of the video, approve or request changes; the state and the comments beside it.

Shown only in team mode (sign-in configured): the single-person app has nobody to ask. Every
change goes through store.reviews, which checks the actor where it acts; a refusal is one sentence
under the panel. Comments are user text: the list is drawn by review.js as text, and anything
Streamlit renders goes through components/text.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from urllib.parse import urljoin

import streamlit as st

from components import identity
from components.roles import acting
from components.runtime import runtime
from components.text import plain
from storyboard.people import Member
from storyboard.permissions import Action, Refused, allows
from storyboard.reviews import (
    Comment,
    Kind,
    Review,
    ReviewProblem,
    State,
    changed_since_sent,
    checked_shot,
    moment,
    moment_label,
    reviewer_refusal,
)
from storyboard.store import StorageProblem

HERE = Path(__file__).parent
SAID = "review_said"  # {panel key: (sentence, is_error)}: what the last change on that panel said
SEEK = "review_seek"  # {scope: (seconds, nonce)}: a comment's time clicked before its player was open
SCROLL = "review_scroll"  # scope to bring into view once (a ?take= link)
_nonces = itertools.count(1)

_component = st.components.v2.component(
    "review",
    css=(HERE / "review.css").read_text(encoding="utf-8"),
    js=(HERE / "review.js").read_text(encoding="utf-8"),
    isolate_styles=False,  # in the page: it finds the player beside it
)


def link(kind: Kind, subject_id: str) -> str:
    """The address that opens this storyboard (the editor's ?draft=) or take (Takes' ?take=) for a
    signed-in member, made from the address this page was opened at."""
    here = st.context.url or "/"
    return urljoin(here, f"takes?take={subject_id}" if kind is Kind.TAKE else f"./?draft={subject_id}")


# ---- the changes (callbacks: checked by store.reviews, whatever the page drew, for the person as
# they are now: `acting` reads the member again, as a callback runs before its run's sign-in gate) ---


def _say(key: str, sentence: str, error: bool) -> None:
    st.session_state.setdefault(SAID, {})[key] = (sentence, error)


def _send(key: str, kind: Kind, subject_id: str, storyboard_id: str, name: str) -> None:
    chosen = st.session_state.get(f"{key}:to") or []
    try:
        review = runtime().store.reviews.send(acting(), kind, subject_id, storyboard_id, chosen, name)
    except (Refused, ReviewProblem, StorageProblem) as no:
        _say(key, str(no), True)
        return
    st.session_state[f"{key}:to"] = []
    _say(key, f"Sent for review to {', '.join(n for _, n in review.reviewers)}.", False)


def _comment(key: str, kind: Kind, subject_id: str, shots: int) -> None:
    typed = st.session_state.get(f"{key}:text", "")
    chosen = st.session_state.get(f"{key}:shot")
    try:
        shot = checked_shot(chosen if isinstance(chosen, int) else None, shots)
        at = moment(st.session_state.get(f"{key}:at", "")) if kind is Kind.TAKE else None
        runtime().store.reviews.comment(acting(), kind, subject_id, typed, shot=shot, at_seconds=at)
    except (Refused, ReviewProblem, StorageProblem) as no:
        _say(key, str(no), True)
        return
    st.session_state[f"{key}:text"] = ""
    st.session_state[f"{key}:at"] = ""
    _say(key, "Comment added.", False)


def _decide(key: str, review_id: str, approve: bool, seen: int | None) -> None:
    try:
        review = runtime().store.reviews.decide(acting(), review_id, approve=approve, seen=seen)
    except (Refused, ReviewProblem, StorageProblem) as no:
        _say(key, str(no), True)
        return
    _say(key, f"{review.line}.", False)


def _moment_read(key: str) -> None:
    """The player's current time, read in the browser, into the comment's moment field."""
    value = (st.session_state.get(f"{key}:now") or {}).get("moment")
    if isinstance(value, int | float) and value >= 0:
        st.session_state[f"{key}:at"] = moment_label(float(value))


def _play_at(scope: str, key: str, open_player: Callable[[], None]) -> None:
    """A comment's time clicked with no player open: open it, and seek there once it is drawn."""
    value = (st.session_state.get(key) or {}).get("play")
    if isinstance(value, int | float) and value >= 0:
        open_player()
        st.session_state.setdefault(SEEK, {})[scope] = (float(value), next(_nonces))


# ---- drawing ------------------------------------------------------------------------------------------


def comment_list(
    comments: list[Comment], scope: str, key: str, open_player: Callable[[], None] | None = None
) -> None:
    """The comments (oldest first) as text; a comment's time seeks the player inside `scope`
    (`open_player`: how to draw the player when it is not on the page yet)."""
    seek = st.session_state.get(SEEK, {}).pop(scope, None)
    scroll = st.session_state.get(SCROLL) == scope
    if scroll:
        st.session_state.pop(SCROLL)
    if not comments and seek is None and not scroll:
        return
    _component(
        key=f"{key}:comments",
        data={
            "mode": "list",
            "scope": scope,
            "comments": [
                {
                    "who": c.author_name,
                    "at": c.at_seconds,
                    "label": moment_label(c.at_seconds) if c.at_seconds is not None else "",
                    "where": f"Shot {c.shot + 1}" if c.shot is not None else "",
                    "body": c.body,
                }
                for c in comments
            ],
            "seek": {"at": seek[0], "nonce": seek[1]} if seek else None,
            "scroll": next(_nonces) if scroll else None,
        },
        on_play_change=partial(_play_at, scope, f"{key}:comments", open_player) if open_player else None,
    )


def state_line(review: Review | None, now: int | None = None) -> None:
    """The review's state; of a storyboard (`now`: its draft's version now), whether it was saved
    since the version sent or decided on."""
    if review is None:
        return
    icon = {State.WAITING: "⏳", State.APPROVED: "✅", State.CHANGES: "✏️"}[review.state]
    if review.changed_since(now):
        icon = "⚠️"  # an approval of an earlier version is not an approval of this one
    st.caption(f"{icon} {plain(review.line_now(now))}")


def review_panel(
    kind: Kind,
    subject_id: str,
    storyboard_id: str,
    name: str,
    shots: int,
    *,
    scope: str,
    key: str,
    review: Review | None,
    seen: int | None = None,
    members: Sequence[Member] | None = None,
) -> None:
    """Send for review, comment, approve or request changes: in an expander under the subject. The
    state and the comments are drawn by the caller (state_line, comment_list), outside it.
    `seen`: a storyboard's draft version as this page shows it (what a decision here is on).
    `members`: the workspace's, when the page has read them already (Takes: once, not per take)."""
    actor = identity.actor()
    said = st.session_state.get(SAID, {}).pop(key, None)
    with st.expander("Review", icon=":material/rate_review:", expanded=said is not None, key=f"{key}:open"):
        st.caption("Link for a signed-in member:")
        st.code(link(kind, subject_id), language=None)
        if review is not None and review.state is State.WAITING and allows(actor, Action.DECIDE_REVIEW):
            # the callback (store.reviews.decide) checks again: whether this person was asked, and
            # their role as it is now, whatever the page drew
            changed = changed_since_sent(review, seen)
            if changed is not None:
                st.warning(plain(changed), icon="⚠️")
            yes, back, _ = st.columns([1, 1, 2])
            yes.button(
                "Approve",
                key=f"{key}:approve",
                type="primary",
                on_click=_decide,
                args=(key, review.id, True, seen),
            )
            back.button(
                "Request changes", key=f"{key}:changes", on_click=_decide, args=(key, review.id, False, seen)
            )
        if allows(actor, Action.COMMENT):
            st.text_area(
                "Comment", key=f"{key}:text", height=80, placeholder="What should change, or what works"
            )
            where = st.columns([2, 1, 1] if kind is Kind.TAKE else [1, 1], vertical_alignment="bottom")
            options: list[int | None] = [None, *range(shots)]
            where[0].selectbox(
                "On shot",
                options,
                key=f"{key}:shot",
                format_func=lambda s: "The whole thing" if s is None else f"Shot {s + 1}",
            )
            if kind is Kind.TAKE:
                where[1].text_input("At (m:ss.s)", key=f"{key}:at", placeholder="0:03.5")
                with where[2]:
                    _component(
                        key=f"{key}:now",
                        data={"mode": "now", "scope": scope, "label": "⏱ Player's time"},
                        on_moment_change=partial(_moment_read, key),
                    )
            st.button("Comment", key=f"{key}:comment", on_click=_comment, args=(key, kind, subject_id, shots))
        if allows(actor, Action.SEND_FOR_REVIEW):
            could = [
                m
                for m in (runtime().store.people.members() if members is None else members)
                if m.email != actor.email and reviewer_refusal(m.role, m.email) is None
            ]
            names = {m.email: m.actor().name for m in could}
            st.multiselect(
                "Send for review to",
                list(names),
                key=f"{key}:to",
                format_func=lambda e: names.get(str(e), str(e)),  # option labels are text, not Markdown
                placeholder="Choose reviewers",
                help="Reviewers, admins and owners can approve. A new request replaces one still waiting.",
            )
            st.button(
                "Send for review",
                key=f"{key}:send",
                on_click=_send,
                args=(key, kind, subject_id, storyboard_id, name),
            )
        if said is not None:
            (st.error if said[1] else st.success)(plain(said[0]))
