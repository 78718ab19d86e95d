"""A team's roles applied to the store and the runner (issue 13), on both engines: every action x
every role -> done, or refused with a sentence and nothing changed; whose each take is; each
person's own daily cap beside the workspace's, checked in the transaction that writes the takes;
spend per person and provider; the activity log of what was generated, deleted and capped."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path

import pytest

from storyboard import takes
from storyboard.budget import day_start
from storyboard.models import Job, JobState, ProviderId, Shot, Storyboard, utcnow
from storyboard.people import Actor, Role
from storyboard.permissions import Refused
from storyboard.pricing import priced_take
from storyboard.store import CapRefused, Store

OWNER = Actor("olga@studio.test", "Olga", Role.OWNER)
ADMIN = Actor("adam@studio.test", "Adam", Role.ADMIN)
EDITOR = Actor("eve@studio.test", "Eve", Role.EDITOR)
OTHER = Actor("ed@studio.test", "Ed", Role.EDITOR)  # another editor: the author of "someone's take"
REVIEWER = Actor("rita@studio.test", "Rita", Role.REVIEWER)
ROLES = [OWNER, ADMIN, EDITOR, REVIEWER]


def _team(store: Store) -> None:
    assert store.people.join(OWNER.email, OWNER.name) is not None  # the first to sign in owns it
    for person in (ADMIN, EDITOR, OTHER, REVIEWER):
        store.people.invite(OWNER, person.email, person.role)
        store.people.join(person.email, person.name)


def _take(store: Store, by: Actor, key: str, seconds: int = 5, state: JobState = JobState.DONE) -> Job:
    """A take `by` made (fal.ai, $0.14 a second: 5 s is $0.70). A reviewer's take was made while
    they were an editor (reviewers cannot generate)."""
    if by.role is Role.REVIEWER:
        by = Actor(by.email, by.name, Role.EDITOR)
    sb = Storyboard(provider=ProviderId.FAL, shots=[Shot(prompt="a lighthouse", duration=seconds)])
    job, created = store.create_jobs([priced_take(sb, idempotency_key=key, state=state)], by)[0]
    assert created
    return job


# ---- every action x every role, through the core API ---------------------------------------------
# Each action: do it as `actor`, then say whether it took effect (None: refused, with the sentence
# raised or returned). The expected verdicts are written out here, not read from permissions.ALLOWED.

Attempt = Callable[[Store, Path, Actor, str], str | None]  # -> the refusal sentence, or None


def _generate(store: Store, _: Path, actor: Actor, n: str) -> str | None:
    sb = Storyboard(provider=ProviderId.FAL, shots=[Shot(prompt="x", duration=5)])
    try:
        store.create_jobs([priced_take(sb, idempotency_key=f"gen-{n}")], actor)
    except Refused as no:
        assert store.job_by_key(f"gen-{n}") is None  # nothing written
        return no.sentence
    assert store.job_by_key(f"gen-{n}").author == actor.email  # type: ignore[union-attr]
    return None


def _save_storyboard(store: Store, _: Path, actor: Actor, n: str) -> str | None:
    sb = Storyboard(id=f"sb-{n}", name="Before")
    store.save_draft(sb)
    try:
        store.save_draft(sb.model_copy(update={"name": "After"}), by=actor)
    except Refused as no:
        assert store.load_draft(sb.id).name == "Before"  # type: ignore[union-attr]
        return no.sentence
    assert store.load_draft(sb.id).name == "After"  # type: ignore[union-attr]
    return None


def _delete_storyboard(store: Store, _: Path, actor: Actor, n: str) -> str | None:
    store.save_draft(Storyboard(id=f"del-{n}"))
    try:
        store.delete_draft(f"del-{n}", actor)
    except Refused as no:
        assert store.load_draft(f"del-{n}") is not None
        return no.sentence
    assert store.load_draft(f"del-{n}") is None
    return None


def _rename(author: Actor | None) -> Attempt:
    def attempt(store: Store, _: Path, actor: Actor, n: str) -> str | None:
        job = _take(store, author or actor, f"rn-{n}")
        refused = takes.rename(store, job.id, "New name", actor)
        assert store.get_job(job.id).title == ("" if refused else "New name")  # type: ignore[union-attr]
        return refused

    return attempt


def _star(author: Actor | None) -> Attempt:
    def attempt(store: Store, _: Path, actor: Actor, n: str) -> str | None:
        job = _take(store, author or actor, f"st-{n}")
        refused = takes.set_starred(store, job.id, True, actor)
        assert store.get_job(job.id).starred is (refused is None)  # type: ignore[union-attr]
        return refused

    return attempt


def _delete_take(author: Actor | None) -> Attempt:
    def attempt(store: Store, data_dir: Path, actor: Actor, n: str) -> str | None:
        job = _take(store, author or actor, f"dl-{n}")
        refused = takes.delete(store, data_dir, job.id, actor)
        assert (store.get_job(job.id) is None) is (refused is None)
        return refused

    return attempt


def _set_caps(store: Store, _: Path, actor: Actor, n: str) -> str | None:
    try:
        store.update_caps(lambda caps: caps.with_daily(D("12.00")), actor)
    except Refused as no:
        assert store.caps().daily is None
        return no.sentence
    assert store.caps().daily == D("12.00")
    store.update_caps(lambda caps: caps.with_daily(None))
    return None


def _set_persons_cap(store: Store, _: Path, actor: Actor, n: str) -> str | None:
    try:
        store.people.set_daily_cap(actor, OTHER.email, D("3.00"))
    except Refused as no:
        assert store.daily_cap_of(OTHER.email) is None
        return no.sentence
    assert store.daily_cap_of(OTHER.email) == "3.00"
    store.people.set_daily_cap(OWNER, OTHER.email, None)
    return None


def _invite(store: Store, _: Path, actor: Actor, n: str) -> str | None:
    email = f"new-{n}@studio.test"
    try:
        store.people.invite(actor, email, Role.EDITOR)
    except Refused as no:
        assert store.people.member(email) is None
        return no.sentence
    assert store.people.member(email) is not None
    return None


ALL = {Role.OWNER, Role.ADMIN, Role.EDITOR, Role.REVIEWER}
ADMINS = {Role.OWNER, Role.ADMIN}
MAKERS = {Role.OWNER, Role.ADMIN, Role.EDITOR}
ACTIONS: list[tuple[str, Attempt, set[Role]]] = [
    ("generate", _generate, MAKERS),
    ("change a storyboard", _save_storyboard, MAKERS),
    ("delete a storyboard", _delete_storyboard, MAKERS),
    ("rename one's own take", _rename(None), MAKERS),
    ("rename someone's take", _rename(OTHER), ADMINS),
    ("star someone's take", _star(OTHER), ADMINS),
    ("delete one's own take", _delete_take(None), MAKERS),
    ("delete someone's take", _delete_take(OTHER), ADMINS),
    ("change the workspace's caps", _set_caps, ADMINS),
    ("set a person's own cap", _set_persons_cap, ADMINS),
    ("invite a member", _invite, ADMINS),
]


def test_each_role_may_do_what_the_table_says_and_a_refusal_is_a_sentence_that_changes_nothing(
    store: Store, tmp_path: Path
) -> None:
    """One store for the whole table (a store per case costs a migration each)."""
    _team(store)
    wrong = []
    for a, (action, attempt, allowed) in enumerate(ACTIONS):
        for n, actor in enumerate(ROLES):
            refused = attempt(store, tmp_path, actor, f"{a}-{n}")
            if actor.role in allowed and refused is not None:
                wrong.append(f"{actor.role} may {action} but was refused: {refused}")
            if actor.role not in allowed and not (refused and refused.endswith(".") and "\n" not in refused):
                wrong.append(f"{actor.role} may not {action} but got {refused!r}")
    assert wrong == []


def test_cancel_is_the_authors_or_an_admins(store: Store, tmp_path: Path) -> None:
    from storyboard.jobs import JobRunner

    _team(store)
    runner = JobRunner(store, tmp_path / "data", {}, workers=False)
    try:
        job = _take(store, OTHER, "cancel-me", state=JobState.QUEUED)
        for actor in (EDITOR, REVIEWER):
            with pytest.raises(Refused):
                runner.cancel(job.id, actor)
            assert store.get_job(job.id).state == JobState.QUEUED  # type: ignore[union-attr]
        runner.cancel(job.id, ADMIN)
        assert store.get_job(job.id).state == JobState.CANCELLED  # type: ignore[union-attr]
    finally:
        runner.shutdown(0)


# ---- a person's own daily cap, beside the workspace's -------------------------------------------------


def test_a_persons_own_daily_cap_refuses_before_anything_is_written_and_says_what_is_left(store: Store) -> None:
    _team(store)
    store.people.set_daily_cap(ADMIN, EDITOR.email, D("1.00"))
    _take(store, EDITOR, "mine-1")  # $0.70 of Eve's $1.00
    _take(store, OTHER, "theirs-1", seconds=10)  # $1.40 by someone else: not Eve's spend
    with pytest.raises(CapRefused) as refused:
        _take(store, EDITOR, "mine-2")
    assert str(refused.value) == (
        "This take costs $0.70 and you have $0.30 left of your own $1.00 daily cap today (UTC): "
        "make the take shorter, or ask an admin to raise your cap."
    )
    assert store.job_by_key("mine-2") is None  # nothing written, so nothing sent
    _take(store, EDITOR, "mine-3", seconds=2)  # $0.28 still fits
    _take(store, OTHER, "theirs-2")  # Ed has no cap of his own


def test_a_deleted_take_still_counts_towards_its_authors_cap(store: Store, tmp_path: Path) -> None:
    _team(store)
    store.people.set_daily_cap(OWNER, EDITOR.email, D("1.00"))
    paid = _take(store, EDITOR, "paid")
    assert takes.delete(store, tmp_path, paid.id, EDITOR) is None
    assert store.spend_since(day_start(), author=EDITOR.email) == D("0.70")
    with pytest.raises(CapRefused, match=r"you have \$0.30 left of your own \$1.00 daily cap"):
        _take(store, EDITOR, "more")


def test_the_workspace_cap_holds_for_everyone_and_says_whose_cap_and_what_is_left(store: Store) -> None:
    _team(store)
    store.update_caps(lambda caps: caps.with_daily(D("1.00")), ADMIN)
    store.people.set_daily_cap(ADMIN, OTHER.email, D("50.00"))  # his own cap does not lift the team's
    _take(store, EDITOR, "eve")
    with pytest.raises(CapRefused) as refused:
        _take(store, OTHER, "ed")
    assert str(refused.value) == (
        "This take costs $0.70 and today's spend is $0.70 of the workspace's $1.00 daily cap ($0.30 left): "
        "make the take shorter, or ask an admin to raise it."
    )
    assert store.job_by_key("ed") is None


def test_a_damaged_own_cap_holds_that_persons_paid_takes(store: Store) -> None:
    _team(store)
    store.people.set_daily_cap(OWNER, EDITOR.email, D("5.00"))
    from storyboard.store.tables import members

    with store._tx() as conn:  # a value no admin typed (a hand edit)
        conn.execute(members.update().where(members.c.email == EDITOR.email).values(daily_cap="lots"))
    with pytest.raises(CapRefused, match="Your own daily cap could not be read"):
        _take(store, EDITOR, "held")


def test_spend_per_person_and_provider_and_the_log_of_who_did_what(store: Store, tmp_path: Path) -> None:
    _team(store)
    _take(store, EDITOR, "e1")  # fal.ai $0.70
    gone = _take(store, EDITOR, "e2", seconds=10)  # fal.ai $1.40, deleted below: still spent
    ws = Storyboard(provider=ProviderId.WAVESPEED, shots=[Shot(prompt="b", duration=5)])
    store.create_jobs([priced_take(ws, idempotency_key="o1", state=JobState.DONE)], OWNER)
    takes.delete(store, tmp_path, gone.id, ADMIN)
    store.update_caps(lambda caps: caps.with_daily(D("20.00")), ADMIN)
    assert store.spend_by_person() == {
        EDITOR.email: {ProviderId.FAL: D("2.10")},
        OWNER.email: {ProviderId.WAVESPEED: D("0.70")},
    }
    assert store.spend_by_person(day_start(utcnow())) == store.spend_by_person()
    assert [j.author for j in store.list_jobs(author=EDITOR.email)] == [EDITOR.email]
    said = [line.summary for line in store.people.activity()][:5]  # newest first
    assert said == [
        "Adam set the workspace's daily cap to $20.00 (was none)",
        "Adam deleted the take “Untitled storyboard” ($1.40)",
        "Olga generated a take of “Untitled storyboard” on WaveSpeedAI for $0.70",
        "Eve generated a take of “Untitled storyboard” on fal.ai for $1.40",
        "Eve generated a take of “Untitled storyboard” on fal.ai for $0.70",
    ]
