"""What each role may do: the one table every action is checked against, on the server, where the
action happens (a page callback, the job runner's admission, the store), never only by a
disabled button (issue 13).

    check(actor, Action.GENERATE)                 raises Refused("one sentence") or returns
    allows(actor, Action.SET_CAPS)                the same verdict as a bool, to draw the page
    check(actor, Action.CHANGE_TAKE, owner=email) a take's author may change it; admins any take

Without sign-in, the actor is people.SOLO (an owner): everything is allowed, as before.
"""

from __future__ import annotations

from enum import StrEnum

from storyboard.people import Actor, Role

_ALL = frozenset(Role)
_ADMINS = frozenset({Role.OWNER, Role.ADMIN})
_MAKERS = frozenset({Role.OWNER, Role.ADMIN, Role.EDITOR})
_JUDGES = frozenset({Role.OWNER, Role.ADMIN, Role.REVIEWER})


class Action(StrEnum):
    VIEW = "view"  # open storyboards, watch takes, read comments, download
    EDIT_STORYBOARD = "edit storyboard"  # make, change, delete a storyboard
    GENERATE = "generate"  # start paid (or Preview) takes
    CHANGE_TAKE = "change take"  # rename, star, cancel, delete a take (own; admins any)
    SEND_FOR_REVIEW = "send for review"
    COMMENT = "comment"
    DECIDE_REVIEW = "decide review"  # approve or request changes
    SET_CAPS = "set caps"
    MANAGE_MEMBERS = "manage members"
    SEE_PROVIDERS = "see providers"  # which keys are set and where they come from
    READ_ACTIVITY = "read activity"


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.VIEW: _ALL,
    Action.EDIT_STORYBOARD: _MAKERS,
    Action.GENERATE: _MAKERS,
    Action.CHANGE_TAKE: _MAKERS,
    Action.SEND_FOR_REVIEW: _MAKERS,
    Action.COMMENT: _ALL,
    Action.DECIDE_REVIEW: _JUDGES,
    Action.SET_CAPS: _ADMINS,
    Action.MANAGE_MEMBERS: _ADMINS,
    Action.SEE_PROVIDERS: _ADMINS,
    Action.READ_ACTIVITY: _ADMINS,
}

# What the sentence says the person tried to do.
_DOING = {
    Action.VIEW: "open this workspace",
    Action.EDIT_STORYBOARD: "change storyboards",
    Action.GENERATE: "generate takes",
    Action.CHANGE_TAKE: "change or delete this take",
    Action.SEND_FOR_REVIEW: "send work for review",
    Action.COMMENT: "comment",
    Action.DECIDE_REVIEW: "approve or request changes",
    Action.SET_CAPS: "change the spending caps",
    Action.MANAGE_MEMBERS: "invite, change or remove members",
    Action.SEE_PROVIDERS: "see how the providers are set up",
    Action.READ_ACTIVITY: "read the activity log",
}


class Refused(PermissionError):
    """An action the actor's role does not allow; str() is the sentence to show."""

    def __init__(self, sentence: str, action: Action) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.action = action


def _roles(roles: frozenset[Role]) -> str:
    names = [f"{r.value}s" for r in Role if r in roles]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def refusal(actor: Actor, action: Action, *, owner: str | None = None) -> str | None:
    """Why `actor` may not do `action` (one sentence), or None when they may. `owner`: the email
    of whoever made the thing acted on (a take, a comment): for CHANGE_TAKE an editor may act on
    their own only."""
    if actor.role not in ALLOWED[action]:
        return (
            f"You are {_article(actor.role)} {actor.role.value} here, and only {_roles(ALLOWED[action])} "
            f"can {_DOING[action]}; ask an admin of this workspace if you need to."
        )
    if (
        action is Action.CHANGE_TAKE
        and actor.role is Role.EDITOR
        and owner is not None
        and owner != actor.email
    ):
        return "Only the person who made this take, or an admin, can change or delete it."
    return None


def _article(role: Role) -> str:
    return "an" if role.value[0] in "aeiou" else "a"


def allows(actor: Actor, action: Action, *, owner: str | None = None) -> bool:
    return refusal(actor, action, owner=owner) is None


def check(actor: Actor, action: Action, *, owner: str | None = None) -> None:
    """Raise Refused (with the sentence) unless `actor` may do `action`."""
    sentence = refusal(actor, action, owner=owner)
    if sentence is not None:
        raise Refused(sentence, action)
