"""Sign-in for a team in real Chromium (issue 13), against a real OpenID Connect provider (the
certified oidc-provider, tests/servers/identity_provider.py) on 127.0.0.1: the first person to sign
in through its login form owns the workspace; a person the owner invited signs in in another
browser from the storyboard's link and lands on it, where the two edit one storyboard and the
later save is refused with the choice; someone signed in who is not a member sees one sentence
(a crafted sign-in link sending her off the app keeps her on it); signing out is one click; and a
stranger with no session gets nothing from the page, its media or the take-progress route.
One app server for the whole journey; another, under a baseUrlPath, for a link's way back there."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

from components.members_only import REFUSED
from storyboard.models import Shot, Storyboard
from storyboard.people import Actor, Role
from storyboard.store import Store
from tests.e2e.conftest import VIEWPORT, Server, screenshot
from tests.e2e.steps import photo, prompt_box, settle, upload, write_prompt
from tests.e2e.team import COOKIE_SECRET, sign_in, sign_out, team_app
from tests.servers.identity_provider import IdentityProvider, TestUser

pytestmark = pytest.mark.e2e

ANA = TestUser("ana@example.com", "Ana Lima", "ana-password")  # signs in first: the owner
BO = TestUser("bo@example.com", "Bo Berg", "bo-password")  # invited by Ana, as an editor
EVE = TestUser("eve@example.com", "Eve Stone", "eve-password")  # known to the provider, never invited
PROMPT = "Secret launch: the new bottle on wet sand"
BO_PROMPT = "Secret launch: the bottle at sunrise"
ANA_PROMPT = "Secret launch: the bottle in the surf"
NOT_A_MEMBER = (
    "You are signed in as eve@example.com, who is not a member of this workspace; ask an admin to invite you."
)


@pytest.fixture
def team(tmp_path: Path) -> Iterator[tuple[Server, IdentityProvider]]:
    with team_app(tmp_path, [ANA, BO, EVE]) as started:
        yield started


def _onlysign_in(page: Page) -> None:
    """What a signed-out person sees: the title and Sign in, nothing of the app."""
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    settle(page)
    expect(page.get_by_test_id("stSidebar")).to_have_count(0)
    shown = page.get_by_test_id("stApp").inner_text()  # the whole app: main area, header, any dialog
    lines = [line for line in shown.splitlines() if line.strip() and line != "Skip to main content"]
    assert lines == ["Storyboard Studio", "Sign in"]  # (that link is Streamlit's own, on every page)


def _stranger_gets_nothing(url: str, cookies: dict[str, str] | None = None) -> None:
    answer = httpx.get(url, cookies=cookies, timeout=10)
    assert (answer.status_code, answer.text) == (403, REFUSED), url


def test_a_team_signs_in_and_a_stranger_gets_nothing(
    page: Page, browser: Browser, team: tuple[Server, IdentityProvider], tmp_path: Path
) -> None:
    server, idp = team
    # the server's very first run, at a page's own address: the gate holds there too
    page.goto(f"{server.url}/takes")
    _onlysign_in(page)

    # Ana, the first to sign in, owns the workspace; back on the page she opened (Takes), she goes
    # to the editor, writes a storyboard and adds a first frame
    sign_in(page, ANA, server.url)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Signed in as Ana Lima (Owner)")).to_be_visible()
    assert page.url == f"{server.url}/takes"
    sidebar.get_by_role("link", name="Storyboard").click()
    write_prompt(page, 1, PROMPT)
    upload(page, photo(tmp_path))
    picture = page.get_by_test_id("stMain").locator('img[src*="/media/"]').first
    expect(picture).to_be_visible()
    media_url = server.url + str(picture.get_attribute("src")).removeprefix(server.url)
    progress_url = f"{server.url}/api/take-progress/any-take"
    draft_url = page.url
    assert "draft=" in draft_url

    # the identity cookie is one small cookie (no token exposed, no chunks)
    cookies = {c["name"]: c["value"] for c in page.context.cookies(server.url)}
    sizes = {name: len(name) + 1 + len(value) for name, value in cookies.items() if name.startswith("_streamlit_user")}
    print(f"\nsign-in cookies (name=value bytes): {sizes}")
    assert set(sizes) == {"_streamlit_user", "_streamlit_user_tokens"} and max(sizes.values()) < 4096
    identity = json.loads(_claims_of(cookies["_streamlit_user"]))
    assert identity["email"] == ANA.email and not [k for k in identity if "token" in k]

    # her session may fetch the media and take progress; a stranger with no session, or a cookie
    # signed with another secret, gets nothing
    assert page.request.get(media_url).status == 200
    assert page.request.get(progress_url).status == 200
    _stranger_gets_nothing(media_url)
    _stranger_gets_nothing(progress_url)
    fake = create_signed_value("not-the-secret", "_streamlit_user", json.dumps(identity)).decode()
    _stranger_gets_nothing(media_url, {"_streamlit_user": fake})
    screenshot(page, "sign-in-owner")

    # Ana invites Bo (the members page is another part of issue 13: here, the store) and starts
    # another storyboard (the one "/" opens from now on), and Bo signs in in another browser; before
    # he does, her storyboard's own address shows him only Sign in
    store = Store.for_data_dir(server.data_dir)
    try:
        ana = Actor(ANA.email, ANA.name, Role.OWNER)
        store.people.invite(ana, BO.email, Role.EDITOR)
        store.save_draft(Storyboard(name="Another storyboard"), base=0, by=ana)
    finally:
        store.close()
    other: BrowserContext = browser.new_context(viewport=VIEWPORT)
    try:
        bo = other.new_page()
        bo.set_default_timeout(30_000)
        for address in (f"{server.url}/takes", draft_url):
            bo.goto(address)
            _onlysign_in(bo)
            assert "Secret launch" not in bo.content()
        # he signs in from the link he was sent, and lands on that storyboard, not on the last edited
        sign_in(bo, BO, server.url)
        expect(bo.get_by_test_id("stSidebar").get_by_text("Signed in as Bo Berg (Editor)")).to_be_visible()
        expect(prompt_box(bo, 1)).to_have_value(PROMPT)
        assert bo.url == draft_url

        # both have Ana's storyboard open; Bo saves an edit first, then Ana's edit, made from the
        # version before his, is refused: she sees who and chooses; nothing of either is lost
        settle(bo)
        write_prompt(bo, 1, BO_PROMPT)
        prompt_box(page, 1).click()
        page.keyboard.press("ControlOrMeta+A")
        page.keyboard.insert_text(ANA_PROMPT)
        page.keyboard.press("Tab")
        expect(page.get_by_text("Bo Berg saved this storyboard at", exact=False)).to_be_visible()
        expect(page.get_by_text("Also open now: Bo Berg", exact=False)).to_be_visible()
        expect(prompt_box(page, 1)).to_have_value(ANA_PROMPT)  # kept on her page
        screenshot(page, "sign-in-edit-refused")
        page.get_by_role("button", name="Keep mine as a copy").click()
        expect(page.get_by_label("Storyboard name")).to_have_value(re.compile(r"\(my copy\)$"))
        settle(page)
        store = Store.for_data_dir(server.data_dir)
        try:
            drafts = {d.name: d.shots[0].prompt for d in (store.load_draft(i) for i, _, _ in store.recent_drafts()) if d}
        finally:
            store.close()
        assert BO_PROMPT in drafts.values() and ANA_PROMPT in drafts.values(), drafts
        sign_out(bo)
        _onlysign_in(bo)

        # a crafted sign-in link that would send whoever signs in elsewhere sets nothing to return to
        # (another origin: the provider's, on 127.0.0.1, so that a failure touches no network)
        off = idp.url.removeprefix("http:")
        for elsewhere in (f"{idp.url}/?draft=x", f"{off}/takes", f"/\\{off[2:]}", "/nowhere?draft=x"):
            start = httpx.get(f"{server.url}/auth/sign-in", params={"next": elsewhere}, timeout=10)
            assert start.status_code == 302 and "/auth/login?provider=" in start.headers["location"]
            assert not [c for c in start.headers.get_list("set-cookie") if "after_sign_in=" in c and "Max-Age=0" not in c]

        # Eve, signed in at the provider but never invited, signs in through such a link: she stays
        # on the app, and sees one sentence, Sign out, nothing else; her genuine, signed identity
        # cookie gets nothing from the server either
        bo.goto(f"{server.url}/auth/sign-in?next={quote(f'{idp.url}/?draft=x', safe='')}")
        sign_in(bo, EVE, server.url, at_provider=True)
        assert bo.url == f"{server.url}/"
        # (an invisible word joiner after "@": the address is shown as text, not made a mail link)
        expect(bo.get_by_text(NOT_A_MEMBER.replace("@", "@\u2060"))).to_be_visible()
        settle(bo)
        expect(bo.get_by_test_id("stSidebar")).to_have_count(0)
        assert [b.inner_text() for b in bo.get_by_test_id("stMain").get_by_role("button").all()] == ["Sign out"]
        eve = {c["name"]: c["value"] for c in other.cookies(server.url)}
        assert "_streamlit_user" in eve
        _stranger_gets_nothing(media_url, eve)
        _stranger_gets_nothing(progress_url, eve)
        screenshot(bo, "sign-in-not-a-member")
    finally:
        other.close()

    # Ana signs out in one click; her browser no longer gets the media either
    sign_out(page)
    _onlysign_in(page)
    assert "_streamlit_user" not in {c["name"] for c in page.context.cookies(server.url)}
    assert page.request.get(media_url).status == 403


def _claims_of(signed: str) -> str:
    """The JSON inside a signed cookie (itsdangerous: payload.timestamp.signature, base64)."""
    from itsdangerous import URLSafeTimedSerializer

    return str(URLSafeTimedSerializer(COOKIE_SECRET, salt="_streamlit_user").loads(signed))


def test_under_a_base_url_path_a_storyboards_link_comes_back_to_it(page: Page, tmp_path: Path) -> None:
    """The app served under /studio/ (server.baseUrlPath, as behind a proxy): signing in from a
    storyboard's link lands on that storyboard, under /studio/, not on the last one edited."""
    sent = Storyboard(name="The one sent", shots=[Shot(prompt=PROMPT)])

    def seed(store: Store) -> None:
        store.people.join(ANA.email, ANA.name)  # the owner, as if she had signed in before
        ana = Actor(ANA.email, ANA.name, Role.OWNER)
        store.save_draft(sent, base=0, by=ana)
        store.save_draft(Storyboard(name="Edited since", shots=[Shot(prompt=BO_PROMPT)]), base=0, by=ana)

    with team_app(tmp_path, [ANA], seed=seed, base="studio") as (server, _idp):
        link = f"{server.url}/?draft={sent.id}"
        page.goto(link)
        _onlysign_in(page)
        sign_in(page, ANA, server.url)
        expect(page.get_by_test_id("stSidebar").get_by_text("Signed in as Ana Lima (Owner)")).to_be_visible()
        expect(prompt_box(page, 1)).to_have_value(PROMPT)
        assert page.url == link
        # the kept link was used once: its cookie is gone
        assert "storyboard_after_sign_in" not in {c["name"] for c in page.context.cookies(server.origin)}
