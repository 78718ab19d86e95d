"""The sign-in gate (issue 13), through the whole app under AppTest: with Streamlit's `[auth]`
table in the secrets file, a person signed out sees a title and "Sign in", a person who is not a
member one sentence and "Sign out", a member the app as whoever the members table says they are.
`at.user` plays st.user (the ID token's claims). The Chromium journey with a real identity provider
is tests/e2e/test_e2e_sign_in.py."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest
from team_steps import ANA, BO, SECRET
from team_steps import team_app as _app

from components.identity import ACTOR
from components.runtime import open_runtime
from storyboard.people import Actor, Role

ROOT = Path(__file__).resolve().parent.parent
def _texts(at: AppTest) -> list[str]:
    """Everything written on the page, main area and sidebar, as a person reads it."""
    found = [e.value for e in (*at.title, *at.markdown, *at.caption, *at.warning, *at.error, *at.text)]
    return [str(t).replace("\u2060", "").replace("\\", "") for t in found]


def _nothing_else(at: AppTest) -> None:
    """Nothing of the app: no page, no sidebar, no storyboard opened, so neither the saved draft's
    name nor its id is anywhere (in the page or the URL)."""
    assert len(at.sidebar.children) == 0
    assert not at.text_area and not at.slider and not at.selectbox and not at.get("video")
    assert "storyboard" not in at.session_state and ACTOR not in at.session_state
    assert "draft" not in at.query_params
    assert not [t for t in _texts(at) if "Secret launch" in t or SECRET.id in t]


def test_signed_out_sees_only_a_title_and_sign_in(team_dir: Path) -> None:
    at = _app({"is_logged_in": False})
    assert [t.value for t in at.title] == ["Storyboard Studio"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.markdown and not at.warning and not at.error
    _nothing_else(at)


def test_the_first_person_owns_the_workspace_and_signs_out_in_one_click(team_dir: Path) -> None:
    at = _app(ANA)
    assert at.session_state[ACTOR] == Actor("ana@example.com", "Ana Lima", Role.OWNER)
    assert [b.label for b in at.sidebar.button if b.key == "sign_out"] == ["Sign out"]
    assert "Signed in as Ana Lima (Owner)" in _texts(at)
    assert at.text_area  # the editor itself: this is the app

    at.sidebar.button(key="sign_out").click().run()  # st.logout: st.user is signed out from here on
    assert [b.label for b in at.button] == ["Sign in"]
    assert ACTOR not in at.session_state


def test_a_stranger_signed_in_sees_one_sentence_and_sign_out(team_dir: Path) -> None:
    _app(ANA)  # the owner
    at = _app(BO)
    assert _texts(at) == [
        "You are signed in as bo@example.com, who is not a member of this workspace; ask an admin to invite you."
    ]
    assert [b.label for b in at.button] == ["Sign out"]
    _nothing_else(at)


def test_an_unverified_address_is_not_let_in_and_does_not_become_the_owner(team_dir: Path) -> None:
    at = _app({**ANA, "email_verified": False})
    assert _texts(at) == [
        "Your identity provider has not verified ana@example.com; verify it there, then sign in again."
    ]
    _nothing_else(at)
    assert open_runtime().store.people.members() == []  # nobody owns it yet: the next verified person will


def test_no_email_claim_is_not_let_in(team_dir: Path) -> None:
    at = _app({"is_logged_in": True, "sub": "user-1", "name": "Ana"})
    assert len(at.warning) == 1 and "did not tell the app your email address" in at.warning[0].value
    _nothing_else(at)


def test_role_changes_and_removal_apply_at_the_next_run(team_dir: Path) -> None:
    owner = _app(ANA).session_state[ACTOR]
    people = open_runtime().store.people
    people.invite(owner, "bo@example.com", Role.EDITOR)
    bo = _app(BO)
    assert bo.session_state[ACTOR] == Actor("bo@example.com", "Bo Berg", Role.EDITOR)

    people.set_role(owner, "bo@example.com", Role.REVIEWER)
    bo.run()
    assert bo.session_state[ACTOR].role is Role.REVIEWER

    people.remove(owner, "bo@example.com")
    bo.run()
    assert ACTOR not in bo.session_state
    assert "who is not a member of this workspace" in _texts(bo)[0]
    assert len(bo.sidebar.children) == 0


def test_an_unreadable_secrets_file_shows_its_sentence_and_nothing_else(team_dir: Path) -> None:
    (team_dir / ".streamlit" / "secrets.toml").write_text('[auth\nclient_secret = "s3cret-never-shown"\n')
    at = _app(ANA)
    assert len(at.error) == 1 and "could not be read" in at.error[0].value
    assert "s3cret" not in at.error[0].value
    assert not at.button and not at.title
    _nothing_else(at)
