"""Back to the link one was sent, after signing in (issue 13; components/after_sign_in.py): which
addresses may be returned to (this app's pages with their own id, nothing else: no open redirect),
and serve.py's middleware around Streamlit's /oauth2callback, with a stand-in for Streamlit's
routes. The journey in Chromium, through a real identity provider, is in
tests/e2e/test_e2e_sign_in.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from streamlit import config
from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

from components import after_sign_in
from components.after_sign_in import COOKIE, AfterSignIn, checked, in_app
from storyboard.settings import SignIn

ROOT = Path(__file__).resolve().parent.parent
SECRET = "a-test-cookie-secret-of-thirty-two-bytes"
LOGIN = "/auth/login?provider=a-provider-token"


@pytest.mark.parametrize(
    ("address", "returned_to"),
    [
        ("/?draft=ab12cd34ef56", "/?draft=ab12cd34ef56"),  # a storyboard's link (the editor)
        ("/takes?take=ab12cd34ef56", "/takes?take=ab12cd34ef56"),  # a take's link
        ("/takes/?take=ab12&utm_source=chat&take=cd34", "/takes?take=cd34"),  # other keys dropped
        ("/takes", "/takes"),
        ("/settings?draft=ab12", "/settings"),  # a key that page does not open anything by
        ("/takes?draft=ab12", "/takes"),
        ("/?take=ab12", None),  # the editor opens no take: as "/", where the callback goes anyway
        ("/", None),
        ("/?draft=<script>", None),  # not shaped like an id
        ("/?draft=ab%0d%0aSet-Cookie:%20x=1", None),
        # another origin, scheme or page: never
        ("https://evil.example/?draft=ab12", None),
        ("//evil.example/takes?take=ab12", None),
        ("/\\evil.example/takes", None),
        ("\\\\evil.example", None),
        ("/%2F%2Fevil.example", None),
        ("/\t/evil.example", None),
        ("javascript:alert(1)", None),
        ("http:/evil.example", None),
        ("takes?take=ab12", None),
        ("/nowhere?draft=ab12", None),
        ("/takes/../settings", None),
        ("/auth/logout", None),
        ("", None),
    ],
)
def test_only_this_apps_pages_with_their_own_id_are_returned_to(address: str, returned_to: str | None) -> None:
    assert checked(address) == returned_to


def test_the_pages_returned_to_are_the_apps_pages() -> None:
    """after_sign_in.PAGES says app.py's pages (one may be renamed there without this)."""
    url_paths = set(re.findall(r'url_path="([^"]*)"', (ROOT / "app.py").read_text()))
    assert url_paths | {""} == set(after_sign_in.PAGES)


def test_a_path_under_the_servers_base_url_path() -> None:
    assert in_app("/studio/takes", "studio/") == "/takes"
    assert in_app("/studio", "studio") == "/"
    assert in_app("/studiox/takes", "studio") is None
    assert in_app("/takes", "") == "/takes"


# ---- the middleware, around a stand-in for Streamlit's routes ----------------------------------------


def _callback(request: Request) -> RedirectResponse:
    """Streamlit's /oauth2callback, as it answers: to the base URL, with its identity cookie when
    the sign-in worked (?ok=1), else only clearing cookies."""
    answer = RedirectResponse("/", status_code=302)
    if request.query_params.get("ok"):
        answer.set_cookie("_streamlit_user", "signed-claims", httponly=True, samesite="lax")
    else:
        answer.delete_cookie("_streamlit_user")
    return answer


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(after_sign_in.settings, "sign_in", lambda: SignIn(True))
    monkeypatch.setattr(after_sign_in, "get_cookie_secret", lambda: SECRET)
    monkeypatch.setattr(after_sign_in, "generate_login_redirect_url", lambda provider: LOGIN)
    streamlit = Starlette(
        routes=[
            Route("/oauth2callback", _callback),
            Route("/studio/oauth2callback", _callback),
            Route("/{page:path}", lambda request: PlainTextResponse(f"page {request.url.path}")),
        ]
    )
    with TestClient(AfterSignIn(streamlit), follow_redirects=False) as started:
        yield started


def test_signing_in_from_a_link_comes_back_to_it_once(client: TestClient) -> None:
    start = client.get("/auth/sign-in", params={"next": "/takes?take=ab12cd34ef56"})
    assert (start.status_code, start.headers["location"]) == (302, LOGIN)  # on to st.login's route
    assert start.headers["cache-control"] == "no-store"
    assert COOKIE in client.cookies
    back = client.get("/oauth2callback", params={"ok": "1"})
    assert (back.status_code, back.headers["location"]) == (302, "/takes?take=ab12cd34ef56")
    assert back.cookies.get("_streamlit_user") == "signed-claims"  # Streamlit's own answer, kept
    assert COOKIE not in client.cookies
    # used once: a later sign-in (or a replayed callback) goes where Streamlit sends it
    assert client.get("/oauth2callback", params={"ok": "1"}).headers["location"] == "/"


def test_a_sign_in_that_did_not_work_goes_to_the_start_and_forgets_the_link(client: TestClient) -> None:
    client.get("/auth/sign-in", params={"next": "/?draft=ab12cd34ef56"})
    back = client.get("/oauth2callback", params={"error": "access_denied"})
    assert back.headers["location"] == "/"
    assert COOKIE not in client.cookies


def test_a_crafted_link_keeps_nothing_and_forgets_an_earlier_one(client: TestClient) -> None:
    client.get("/auth/sign-in", params={"next": "/?draft=ab12cd34ef56"})
    for elsewhere in ("https://evil.example/?draft=ab12", "//evil.example/", "/\\evil.example", "/nowhere"):
        start = client.get("/auth/sign-in", params={"next": elsewhere})
        assert start.headers["location"] == LOGIN  # signing in itself still works
        assert COOKIE not in client.cookies
    assert client.get("/oauth2callback", params={"ok": "1"}).headers["location"] == "/"


def test_a_cookie_not_signed_by_this_server_is_ignored(client: TestClient) -> None:
    forged = create_signed_value("another-secret", COOKIE, "/takes?take=ab12cd34ef56").decode()
    client.cookies.set(COOKIE, forged)
    back = client.get("/oauth2callback", params={"ok": "1"})
    assert back.headers["location"] == "/"
    assert COOKIE not in client.cookies


def test_under_a_base_url_path_it_comes_back_under_it(client: TestClient) -> None:
    config.set_option("server.baseUrlPath", "studio")
    try:
        assert client.get("/studio/auth/sign-in", params={"next": "/takes?take=ab12"}).headers["location"] == LOGIN
        assert "path=/studio" in client.get("/studio/auth/sign-in", params={"next": "/takes"}).headers["set-cookie"]
        assert client.get("/studio/oauth2callback", params={"ok": "1"}).headers["location"] == "/studio/takes"
    finally:
        config.set_option("server.baseUrlPath", "")


def test_without_sign_in_nothing_changes(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(after_sign_in.settings, "sign_in", lambda: SignIn(False))
    assert client.get("/auth/sign-in", params={"next": "/takes"}).text == "page /auth/sign-in"
    assert client.get("/oauth2callback", params={"ok": "1"}).headers["location"] == "/"
