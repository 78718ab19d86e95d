"""Back to the link one was sent, after signing in (issue 13; components/after_sign_in.py): which
addresses may be returned to (this app's pages with their own id, nothing else: no open redirect),
and serve.py's middleware around Streamlit's /oauth2callback, with a stand-in for Streamlit's
routes. The journey in Chromium, through a real identity provider, is in
tests/e2e/test_e2e_sign_in.py."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from streamlit import config
from streamlit.web.server.starlette import starlette_auth_routes
from streamlit.web.server.starlette.starlette_app_utils import create_signed_value, decode_signed_value

from components import after_sign_in
from components.after_sign_in import COOKIE, COOKIE_SECONDS, ROUTE, AfterSignIn, checked, in_app
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
        ("/takes?take=ab12&x=" + "a" * 3000, None),  # longer than any link of ours
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
def test_only_this_apps_pages_with_their_own_id_are_returned_to(
    address: str, returned_to: str | None
) -> None:
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
    for elsewhere in ("https://evil.example/?draft=ab12", "//evil.example/", "/\\evil.example", "/nowhere"):
        client.get("/auth/sign-in", params={"next": "/?draft=ab12cd34ef56"})
        assert COOKIE in client.cookies
        start = client.get("/auth/sign-in", params={"next": elsewhere})
        assert start.headers["location"] == LOGIN  # signing in itself still works
        assert COOKIE not in client.cookies
    assert client.get("/oauth2callback", params={"ok": "1"}).headers["location"] == "/"


def test_signing_in_from_the_start_forgets_a_link_whose_sign_in_was_abandoned(client: TestClient) -> None:
    """The gate at "/" goes through /auth/sign-in with no `next`: an earlier link's cookie (its
    sign-in left at the provider) must not send this sign-in there."""
    client.get("/auth/sign-in", params={"next": "/takes?take=ab12cd34ef56"})
    start = client.get("/auth/sign-in")
    assert start.headers["location"] == LOGIN
    assert COOKIE not in client.cookies
    assert client.get("/oauth2callback", params={"ok": "1"}).headers["location"] == "/"


def test_a_cookie_not_signed_by_this_server_is_ignored(client: TestClient) -> None:
    forged = create_signed_value("another-secret", COOKIE, "/takes?take=ab12cd34ef56").decode()
    client.cookies.set(COOKIE, forged, domain="testserver.local")
    back = client.get("/oauth2callback", params={"ok": "1"})
    assert back.headers["location"] == "/"
    assert COOKIE not in client.cookies


def test_a_kept_link_older_than_a_quarter_of_an_hour_is_ignored(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The browser drops the cookie after its Max-Age; the server does not take its word for it."""
    with monkeypatch.context() as then:
        then.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - COOKIE_SECONDS - 60)
        old = create_signed_value(SECRET, COOKIE, "/takes?take=ab12cd34ef56").decode()
    client.cookies.set(COOKIE, old, domain="testserver.local")
    assert client.get("/oauth2callback", params={"ok": "1"}).headers["location"] == "/"
    assert COOKIE not in client.cookies
    fresh = create_signed_value(SECRET, COOKIE, "/takes?take=ab12cd34ef56").decode()
    client.cookies.set(COOKIE, fresh, domain="testserver.local")
    assert client.get("/oauth2callback", params={"ok": "1"}).headers["location"] == "/takes?take=ab12cd34ef56"


def test_the_kept_link_is_a_small_signed_http_only_lax_cookie_for_a_quarter_of_an_hour(
    client: TestClient,
) -> None:
    start = client.get("/auth/sign-in", params={"next": "/?draft=ab12cd34ef56"})
    header = start.headers["set-cookie"]
    name, value = header.split(";", 1)[0].split("=", 1)
    attributes = {a.strip().lower() for a in header.split(";")[1:]}
    assert name == COOKIE and len(header) < 200
    assert {"httponly", "samesite=lax", f"max-age={COOKIE_SECONDS}", "path=/"} <= attributes
    assert decode_signed_value(SECRET, COOKIE, value) == b"/?draft=ab12cd34ef56"


def test_under_a_base_url_path_it_comes_back_under_it(client: TestClient) -> None:
    config.set_option("server.baseUrlPath", "studio")
    try:
        assert (
            client.get("/studio/auth/sign-in", params={"next": "/takes?take=ab12"}).headers["location"]
            == LOGIN
        )
        assert (
            "path=/studio;"
            in client.get("/studio/auth/sign-in", params={"next": "/takes"}).headers["set-cookie"].lower()
        )
        assert client.get("/studio/oauth2callback", params={"ok": "1"}).headers["location"] == "/studio/takes"
    finally:
        config.set_option("server.baseUrlPath", "")


def test_without_sign_in_nothing_changes(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(after_sign_in.settings, "sign_in", lambda: SignIn(False))
    assert client.get("/auth/sign-in", params={"next": "/takes"}).text == "page /auth/sign-in"
    assert client.get("/oauth2callback", params={"ok": "1"}).headers["location"] == "/"


# ---- Streamlit's own routes and answers, as installed -------------------------------------------------


@pytest.mark.parametrize("base", ["", "studio"])
def test_it_wraps_streamlits_own_callback_and_login_routes(base: str) -> None:
    """The paths the middleware stands in front of are the ones Streamlit serves its sign-in on,
    under any baseUrlPath, and its own route is not one of Streamlit's."""
    paths = {in_app(route.path, base) for route in starlette_auth_routes.create_auth_routes(base)}
    assert {"/oauth2callback", "/auth/login"} <= paths
    assert f"/{ROUTE}" not in paths


@pytest.mark.parametrize("base", ["", "studio"])
def test_streamlits_own_sign_in_answer_is_read_as_signed_in(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streamlit's callback sets its identity cookie as it does (under a baseUrlPath, after
    deleting a legacy one at "/"; split in chunks when large): that is a sign-in that worked; its
    answer to a refused or stale callback only deletes cookies."""
    monkeypatch.setattr(starlette_auth_routes, "get_cookie_secret", lambda: SECRET)
    config.set_option("server.baseUrlPath", base)
    try:
        for size in (10, 3000):  # one cookie, and one split in chunks (random: not compressed)
            answer = RedirectResponse("/", status_code=302)
            claims = {"email": "ana@example.com", "is_logged_in": True, "big": secrets.token_hex(size)}
            asyncio.run(starlette_auth_routes._set_auth_cookie(answer, claims, {"id_token": "t"}))
            names = [v.split(b"=", 1)[0] for k, v in answer.raw_headers if k == b"set-cookie"]
            assert (b"_streamlit_user_1" in names) == (size > 10)
            assert after_sign_in._signed_in(answer.raw_headers)
        refused = RedirectResponse("/", status_code=302)
        request = Request({"type": "http", "headers": [(b"cookie", b"_streamlit_user=stale")]})
        starlette_auth_routes._clear_auth_cookie(refused, request)
        assert refused.raw_headers and not after_sign_in._signed_in(refused.raw_headers)
    finally:
        config.set_option("server.baseUrlPath", "")


def test_streamlits_own_callback_refusing_a_sign_in_keeps_its_answer_and_forgets_the_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Streamlit's real /oauth2callback (an identity provider's refusal: no identity cookie), with
    the middleware in front as serve.py mounts it: its redirect to the start stands, the link goes."""
    monkeypatch.setattr(after_sign_in.settings, "sign_in", lambda: SignIn(True))
    monkeypatch.setattr(after_sign_in, "get_cookie_secret", lambda: SECRET)
    streamlit = Starlette(
        routes=starlette_auth_routes.create_auth_routes(""),
        middleware=[Middleware(SessionMiddleware, secret_key=SECRET)],
    )
    with TestClient(AfterSignIn(streamlit), follow_redirects=False) as client:
        kept = create_signed_value(SECRET, COOKIE, "/takes?take=ab12cd34ef56").decode()
        client.cookies.set(COOKIE, kept, domain="testserver.local")
        back = client.get("/oauth2callback", params={"error": "access_denied", "state": "x"})
        assert (back.status_code, back.headers["location"]) == (302, "/")
        assert COOKIE not in client.cookies
