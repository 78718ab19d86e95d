"""Review and approval in the store (issue 13), on SQLite and PostgreSQL: who may send, comment and
decide, what a comment may hold, and a new round replacing the one still waiting."""

from __future__ import annotations

import pytest

from storyboard.brief import subtitle
from storyboard.catalog import offer
from storyboard.models import Shot, Storyboard
from storyboard.people import Actor, Role
from storyboard.permissions import Refused
from storyboard.pricing import quote
from storyboard.reviews import (
    MAX_COMMENT,
    Kind,
    ReviewProblem,
    State,
    approval,
    changed_since_sent,
    moment,
    moment_label,
)
from storyboard.store import Store


def _team(store: Store) -> dict[str, Actor]:
    """Ana owns the workspace; Ed edits; Bo and Cy review."""
    owner = store.people.join("ana@example.com", "Ana")
    assert owner is not None
    people = {"ana": owner.actor()}
    for short, role in (("ed", Role.EDITOR), ("bo", Role.REVIEWER), ("cy", Role.REVIEWER)):
        store.people.invite(people["ana"], f"{short}@example.com", role)
        joined = store.people.join(f"{short}@example.com", short.capitalize())
        assert joined is not None
        people[short] = joined.actor()
    return people


def test_a_take_sent_for_review_is_commented_at_a_moment_and_changes_are_requested(store: Store) -> None:
    p = _team(store)
    review = store.reviews.send(p["ed"], Kind.TAKE, "take1", "sb1", ["BO@example.com"], "Launch")
    assert review.state is State.WAITING and review.reviewers == (("bo@example.com", "Bo"),)
    assert [r.subject_id for r in store.reviews.waiting_for("bo@example.com")] == ["take1"]
    assert store.reviews.waiting_for("cy@example.com") == []  # not asked: not in their list

    said = store.reviews.comment(p["bo"], Kind.TAKE, "take1", "  The bottle is too dark here.  ", at_seconds=3.5)
    assert said.review_id == review.id and said.body == "The bottle is too dark here."
    decided = store.reviews.decide(p["bo"], review.id, approve=False)
    assert decided.state is State.CHANGES and decided.line.startswith("Changes requested by Bo on ")
    assert store.reviews.waiting_for("bo@example.com") == []
    assert approval(decided) is None  # the brief says nothing of a take sent back

    [seen] = store.reviews.comments(Kind.TAKE, "take1")  # what the editor sees on Takes
    assert (seen.author_name, seen.at_seconds, seen.where) == ("Bo", 3.5, "at 0:03.5")
    assert [a.action for a in store.people.activity()][:3] == ["requested changes", "commented", "sent for review"]

    again = store.reviews.send(p["ed"], Kind.TAKE, "take2", "sb1", ["bo@example.com"], "Launch")
    approved = store.reviews.decide(p["bo"], again.id, approve=True)
    assert approval(approved) == f"Approved by Bo on {approved.decided_at[:10]}"
    sb = Storyboard(name="Launch")  # the brief says so where it said "Brief for approval"
    line = subtitle(sb, quote(sb, offer(sb.provider, sb.model)), None, approval(approved))
    assert line.startswith(f"Approved by Bo on {approved.decided_at[:10]} · 1 shot")
    assert store.reviews.current(Kind.TAKE, "take2") == approved


def test_only_a_person_asked_or_an_admin_decides_and_only_once(store: Store) -> None:
    p = _team(store)
    store.save_draft(Storyboard(id="sb1", name="Launch"), by=p["ed"])
    review = store.reviews.send(p["ed"], Kind.STORYBOARD, "sb1", "sb1", ["bo@example.com"], "Launch")
    with pytest.raises(Refused, match="Only the people asked to review this, or an admin"):
        store.reviews.decide(p["cy"], review.id, approve=True)  # a reviewer, but not asked
    with pytest.raises(Refused, match="only owners, admins and reviewers can approve or request changes"):
        store.reviews.decide(p["ed"], review.id, approve=True)  # an editor never decides
    assert store.reviews.current(Kind.STORYBOARD, "sb1").state is State.WAITING  # type: ignore[union-attr]
    assert [a.action for a in store.people.activity()][0] == "sent for review"  # refusals change nothing

    store.reviews.decide(p["ana"], review.id, approve=True)  # the owner decides without being asked
    with pytest.raises(ReviewProblem, match="Approved by Ana on .*send it for review again"):
        store.reviews.decide(p["bo"], review.id, approve=False)


def test_who_may_send_and_to_whom(store: Store) -> None:
    p = _team(store)
    with pytest.raises(Refused, match="only owners, admins and editors can send work for review"):
        store.reviews.send(p["bo"], Kind.TAKE, "t", "sb", ["cy@example.com"], "Launch")
    with pytest.raises(ReviewProblem, match="Ed is an editor and cannot approve"):
        store.reviews.send(p["ana"], Kind.TAKE, "t", "sb", ["ed@example.com"], "Launch")
    with pytest.raises(ReviewProblem, match="not a member of this workspace"):
        store.reviews.send(p["ed"], Kind.TAKE, "t", "sb", ["zed@example.com"], "Launch")
    with pytest.raises(ReviewProblem, match="Choose at least one person"):
        store.reviews.send(p["ed"], Kind.TAKE, "t", "sb", [], "Launch")
    assert store.reviews.current(Kind.TAKE, "t") is None


def test_a_new_round_replaces_the_one_still_waiting_and_keeps_its_comments(store: Store) -> None:
    p = _team(store)
    first = store.reviews.send(p["ed"], Kind.TAKE, "t", "sb", ["bo@example.com"], "Launch")
    store.reviews.comment(p["bo"], Kind.TAKE, "t", "Shot 2 is long", shot=1)
    second = store.reviews.send(p["ed"], Kind.TAKE, "t", "sb", ["cy@example.com"], "Launch")
    assert store.reviews.waiting_for("bo@example.com") == []  # Bo's request went with the old round
    assert [r.id for r in store.reviews.waiting_for("cy@example.com")] == [second.id]
    with pytest.raises(ReviewProblem, match="replaced by a newer one"):
        store.reviews.decide(p["bo"], first.id, approve=True)
    [kept] = store.reviews.comments(Kind.TAKE, "t")
    assert kept.review_id == second.id and kept.where == "Shot 2"
    reviews = store.reviews.current_of(Kind.TAKE, ["t", "other"])
    assert list(reviews) == ["t"] and reviews["t"].id == second.id


def test_a_comment_is_text_of_a_bounded_length(store: Store) -> None:
    p = _team(store)
    with pytest.raises(ReviewProblem, match="Write the comment first"):
        store.reviews.comment(p["bo"], Kind.TAKE, "t", "   ")
    with pytest.raises(ReviewProblem, match=f"at most {MAX_COMMENT:,} characters and this one has 2,001"):
        store.reviews.comment(p["bo"], Kind.TAKE, "t", "x" * (MAX_COMMENT + 1))
    hostile = "$$\\rule{3000px}{3000px}$$ ![t](http://host/p.png)"
    assert store.reviews.comment(p["ed"], Kind.TAKE, "t", hostile).body == hostile  # kept as typed
    assert store.reviews.comments(Kind.TAKE, "t")[0].review_id is None  # never sent: no review


@pytest.mark.parametrize(
    ("typed", "seconds"), [("0:03.5", 3.5), ("3.5", 3.5), ("1:02", 62.0), ("0:03,5", 3.5), ("", None)]
)
def test_a_moment_is_typed_as_minutes_and_seconds(typed: str, seconds: float | None) -> None:
    assert moment(typed) == seconds
    if seconds is not None:
        assert moment(moment_label(seconds)) == seconds


@pytest.mark.parametrize("typed", ["abc", "1:75", "-3", "3s"])
def test_a_moment_that_is_not_one_says_how_to_type_it(typed: str) -> None:
    with pytest.raises(ReviewProblem, match="type minutes and seconds, like 0:03.5"):
        moment(typed)


def test_a_storyboards_approval_is_of_the_version_the_reviewer_saw_and_says_when_it_changed_since(
    store: Store,
) -> None:
    p = _team(store)
    sb = Storyboard(name="Launch", shots=[Shot(prompt="A paper boat", duration=5)])
    with pytest.raises(ReviewProblem, match="not saved yet"):  # nothing a reviewer could open
        store.reviews.send(p["ed"], Kind.STORYBOARD, sb.id, sb.id, ["bo@example.com"], "Launch")
    store.save_draft(sb, by=p["ed"])
    sent = store.reviews.send(p["ed"], Kind.STORYBOARD, sb.id, sb.id, ["bo@example.com"], "Launch")
    assert sent.version == 1

    edited = sb.model_copy(update={"name": "Launch v2"})
    assert store.save_draft(edited, base=1, by=p["ed"]) == 2  # saved after it was sent
    waiting = store.reviews.current(Kind.STORYBOARD, sb.id)
    assert waiting is not None
    assert waiting.line_now(2).endswith("— changed since it was sent (now version 2, sent version 1)")
    assert changed_since_sent(waiting, 2) == (  # what Bo reads above Approve
        "Changed since it was sent: version 1 was sent for review and it has been saved since; "
        "what you see, and decide on, is version 2."
    )
    assert changed_since_sent(waiting, 1) is None  # a page still showing what was sent

    assert store.save_draft(edited, base=2, by=p["ed"]) == 3  # saved again while Bo's page shows 2
    with pytest.raises(ReviewProblem, match=r"saved again after your page showed it \(now version 3, you see version 2\)"):
        store.reviews.decide(p["bo"], sent.id, approve=True, seen=2)
    assert store.reviews.current(Kind.STORYBOARD, sb.id).state is State.WAITING  # type: ignore[union-attr]

    approved = store.reviews.decide(p["bo"], sent.id, approve=True, seen=3)
    day = (approved.decided_at or "")[:10]
    assert approved.version == 3 and approval(approved, 3) == f"Approved by Bo on {day}"

    assert store.save_draft(edited.model_copy(update={"name": "Launch v4"}), base=3, by=p["ed"]) == 4
    kept = store.reviews.current(Kind.STORYBOARD, sb.id)  # as read back from the database
    assert kept is not None and kept.version == 3
    said = approval(kept, store.draft_version(sb.id))
    assert said == f"Approved by Bo on {day} — changed since (now version 4, approved version 3)"
    line = subtitle(edited, quote(edited, offer(edited.provider, edited.model)), None, said)
    assert line.startswith(f"{said} · 1 shot")  # the brief never says a plain "Approved by" of it

    take = store.reviews.send(p["ed"], Kind.TAKE, "take1", sb.id, ["bo@example.com"], "Launch")
    take_approved = store.reviews.decide(p["bo"], take.id, approve=True, seen=4)
    assert take_approved.version is None  # a take is a snapshot: its approval holds as it is
    assert approval(take_approved, 4) == f"Approved by Bo on {(take_approved.decided_at or '')[:10]}"
