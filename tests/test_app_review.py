"""Review and approval through the real app in team mode (issue 13): a take sent for review, commented
at a moment, decided; who is refused, in a sentence; and nothing of it without sign-in."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from app_steps import set_prompt, storyboard
from brief_panels import pdf_text
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from components.brief import brief_data
from components.runtime import runtime
from storyboard import settings
from storyboard.models import JobState, Storyboard
from storyboard.people import Role
from storyboard.pricing import priced_take
from storyboard.reviews import Kind, State
from storyboard.store import Store

TEAM = {"ana": Role.OWNER, "ed": Role.EDITOR, "bo": Role.REVIEWER, "cy": Role.REVIEWER}


@pytest.fixture
def team(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], AppTest]:
    """Sign-in configured (an [auth] table in the secrets file), Ana's team in the store; `team(name)`
    is a browser session of that member, signed in (`at.user`: the ID token's claims) and let in by
    the sign-in gate."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\n')
    monkeypatch.setattr(settings, "SECRETS_FILE", secrets)
    store = Store.for_data_dir(data_dir)
    owner = store.people.join("ana@example.com", "Ana")
    assert owner is not None
    for name, role in TEAM.items():
        if role is not Role.OWNER:
            store.people.invite(owner.actor(), f"{name}@example.com", role)
            store.people.join(f"{name}@example.com", name.capitalize())
    store.close()

    def session(name: str) -> AppTest:
        os.chdir(ROOT)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.user = {"is_logged_in": True, "email": f"{name}@example.com", "email_verified": True, "name": name.capitalize()}
        at.run()
        assert not at.exception, at.exception
        return at

    return session


def _take(sb: Storyboard | None = None) -> str:
    sb = sb or Storyboard(name="Launch")
    job = priced_take(sb, state=JobState.CANCELLED, message="Cancelled.")
    runtime().store.create_job(job)
    return job.id


def _said(at: AppTest) -> list[str]:
    return [e.value for e in at.error] + [s.value for s in at.success]


def test_a_take_is_sent_commented_at_a_moment_and_sent_back_and_only_the_right_people_decide(
    team: Callable[[str], AppTest],
) -> None:
    ed = team("ed")
    take = _take()
    key = f"review:take:{take}"
    ed.switch_page("pages/takes.py").run()
    assert [o for o in ed.multiselect(key=f"{key}:to").options] == ["Ana", "Bo", "Cy"]  # not Ed, no editor
    ed.multiselect(key=f"{key}:to").set_value(["bo@example.com"]).run()
    ed.button(key=f"{key}:send").click().run()
    assert not ed.exception, ed.exception
    assert "Sent for review to Bo." in _said(ed)
    assert any("Waiting for review by Bo" in c.value for c in ed.caption)
    with pytest.raises(KeyError):
        ed.button(key=f"{key}:approve")  # an editor decides nothing: no buttons

    cy = team("cy")  # a reviewer, not asked
    cy.switch_page("pages/takes.py").run()
    assert not any(s.value == "Waiting for my review" for s in cy.subheader)
    cy.button(key=f"{key}:changes").click().run()
    assert "Only the people asked to review this, or an admin, can approve it or request changes." in _said(
        cy
    )

    bo = team("bo")
    bo.switch_page("pages/takes.py").run()
    assert any(s.value == "Waiting for my review" for s in bo.subheader)
    bo.text_area(key=f"{key}:text").set_value("x" * 2001)
    bo.button(key=f"{key}:comment").click().run()
    assert any("at most 2,000 characters and this one has 2,001" in e for e in _said(bo))
    bo.text_area(key=f"{key}:text").set_value("The logo is cut off here.")
    bo.text_input(key=f"{key}:at").set_value("0:03.5")
    bo.button(key=f"{key}:comment").click().run()
    assert "Comment added." in _said(bo)
    bo.button(key=f"{key}:changes").click().run()
    assert not bo.exception, bo.exception
    assert any(c.value.startswith("✏️ Changes requested by Bo on ") for c in bo.caption)
    assert not any(s.value == "Waiting for my review" for s in bo.subheader)

    # Ana makes Cy an editor while Cy's page still shows the buttons: the click is refused.
    ana = runtime().store.people.member("ana@example.com")
    assert ana is not None
    runtime().store.people.set_role(ana.actor(), "cy@example.com", Role.EDITOR)
    cy.button(key=f"{key}:approve").click().run()
    assert any(
        "You are an editor here, and only owners, admins and reviewers can approve" in e for e in _said(cy)
    )
    assert runtime().store.reviews.current(Kind.TAKE, take).state is State.CHANGES  # type: ignore[union-attr]

    ed.run()  # the editor sees the state and the comment, with its moment
    assert any("Changes requested by Bo" in c.value for c in ed.caption)
    (listed,) = [c for c in ed.get("bidi_component") if "The logo is cut off here." in str(c.proto)]
    assert "0:03.5" in str(listed.proto)
    review = runtime().store.reviews.current(Kind.TAKE, take)
    assert review is not None and review.state is State.CHANGES

    # compared with another take of the same storyboard: the state and the comment under each video
    other = _take(runtime().store.get_job(take).storyboard)  # type: ignore[union-attr]
    ed.run()
    ed.checkbox(key=f"cmp:{take}").check().run()
    ed.checkbox(key=f"cmp:{other}").check().run()
    assert not ed.exception, ed.exception
    assert sum("Changes requested by Bo" in c.value for c in ed.caption) == 2  # the card, and Compare
    assert sum("The logo is cut off here." in str(c.proto) for c in ed.get("bidi_component")) == 2


def test_without_sign_in_a_take_shows_nothing_of_review(app: AppTest) -> None:
    take = _take()
    app.switch_page("pages/takes.py").run()
    assert not app.exception, app.exception
    assert not [e for e in app.get("expander") if "Review" in str(e.proto)]
    with pytest.raises(KeyError):
        app.button(key=f"review:take:{take}:send")


def _brief(at: AppTest, folder: Path) -> str:
    """The words of the editor's PDF brief, as the button would make it when clicked."""
    return pdf_text(brief_data("pdf", storyboard(at))(), folder)


def test_a_storyboard_is_sent_from_the_editor_commented_on_a_shot_and_approved(
    team: Callable[[str], AppTest], tmp_path: Path
) -> None:
    ed = team("ed")  # the editor is the first page
    set_prompt(ed, 0, "A paper boat in the rain")  # an empty storyboard is not kept
    key = "review:storyboard"
    ed.multiselect(key=f"{key}:to").set_value(["bo@example.com"]).run()
    ed.button(key=f"{key}:send").click().run()
    assert "Sent for review to Bo." in _said(ed)
    (waiting,) = runtime().store.reviews.waiting_for("bo@example.com")
    assert waiting.kind is Kind.STORYBOARD
    set_prompt(ed, 0, "A paper boat in the evening rain")  # saved after it was sent: version 2

    bo = team("bo")
    bo.query_params["draft"] = waiting.subject_id  # the link from "Waiting for my review"
    bo.run()
    assert any(  # told before deciding: what Bo sees is not what was sent
        w.value == "Changed since it was sent: version 1 was sent for review and it has been saved since; "
        "what you see, and decide on, is version 2."
        for w in bo.warning
    )
    bo.text_area(key=f"{key}:text").set_value("Shot 1 needs the logo.")
    bo.selectbox(key=f"{key}:shot").set_value(0)
    bo.button(key=f"{key}:comment").click().run()
    assert "Comment added." in _said(bo)
    set_prompt(ed, 0, "A paper boat in the evening rain, slow")  # version 3, while Bo's page shows 2
    bo.button(key=f"{key}:approve").click().run()
    assert any("saved again after your page showed it (now version 3, you see version 2)" in e for e in _said(bo))
    assert runtime().store.reviews.current(Kind.STORYBOARD, waiting.subject_id).state is State.WAITING  # type: ignore[union-attr]

    bo = team("bo")  # opened again: the newest version
    bo.query_params["draft"] = waiting.subject_id
    bo.run()
    bo.button(key=f"{key}:approve").click().run()
    assert not bo.exception, bo.exception
    (approved,) = [c.value for c in bo.caption if c.value.startswith("✅ Approved by Bo on ")]
    said = approved.removeprefix("✅ ")
    assert f"{said} · 1 shot" in _brief(bo, tmp_path)  # of the version approved, a plain approval

    set_prompt(ed, 0, "A paper boat in the evening rain, slower")  # version 4: the approval is of 3
    changed = f"{said} — changed since (now version 4, approved version 3)"
    assert f"⚠️ {changed}" in [c.value for c in ed.caption]
    assert f"{changed} · 1 shot" in _brief(ed, tmp_path)
    assert f"{said} · " not in _brief(ed, tmp_path)  # never a plain "Approved by" of what changed
    [said] = runtime().store.reviews.comments(Kind.STORYBOARD, waiting.subject_id)
    assert (said.where, said.body) == ("Shot 1", "Shot 1 needs the logo.")
    assert [a.action for a in runtime().store.people.activity()][:3] == [
        "approved",
        "commented",
        "sent for review",
    ]
