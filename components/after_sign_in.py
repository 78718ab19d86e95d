"""Back to the link one was sent, after signing in (issue 13: "each storyboard and take has a link
that opens it for a signed-in member").

Streamlit's /oauth2callback always sends the browser to the app's base URL, so a reviewer who opens
a storyboard's or take's link signed out, and signs in, would land on the editor's default instead
of what they were sent. Here, under serve.py:

1. the gate's "Sign in" (components/sign_in.py) sends the browser to `/auth/sign-in?next=<address>`
   instead of straight to st.login's `/auth/login`; `<address>` is the page and query the person
   opened, already checked (`checked`); with nothing to come back to ("/"), no `next`;
2. that route checks it again (it is just a URL anyone can type), keeps it in a short-lived,
   HttpOnly, SameSite=Lax cookie signed with the `[auth]` cookie secret (or deletes an earlier one
   when there is nothing to keep), and sends the browser on to st.login's
   own `/auth/login?provider=…` (the address st.login itself would have used);
3. when Streamlit's /oauth2callback answers a successful sign-in (it sets its identity cookie), its
   redirect to the base URL is pointed at the kept address instead, and the cookie is deleted
   (after any callback: it is used at most once).

The cookie holds only the rebuilt address (under 40 characters), on the server's baseUrlPath, for
a quarter of an hour (its signature's age is checked too, not only the browser's Max-Age); like
Streamlit's own identity cookie it is not marked Secure (Streamlit avoids that for Safari's sake).

Why a cookie kept by the server, not the browser's sessionStorage read by a script after landing on
"/": the person lands on their storyboard directly (no first run of the editor at "/", no second
page load, no script in the page), and the address never leaves the server's hands unchecked. Why
not the Referer of the request to /auth/login: a proxy's `Referrer-Policy` (no-referrer,
strict-origin) would silently drop it.

Nothing of the target is read or shown before the gate admits a member: the address is the one the
person opened themselves, and after signing in the gate's rules apply to it as to any page.
Only this app's own pages, with only their own query key and an id-shaped value, are ever returned
to: the address is rebuilt from those pieces, never passed on as given, so no link can send a
person off the app (an open redirect). `streamlit run app.py` (no serve.py) keeps plain st.login.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import streamlit as st
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from streamlit import config
from streamlit.auth_util import is_authlib_installed, validate_auth_credentials
from streamlit.errors import StreamlitMissingAuthlibError
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.user_info import generate_login_redirect_url
from streamlit.web.server.server_util import get_cookie_secret
from streamlit.web.server.starlette.starlette_app_utils import create_signed_value, decode_signed_value
from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME

from storyboard import settings

# The app's pages (app.py's st.Page url_path; "" is the editor) and the one query key each opens a
# thing by: the editor's ?draft=<storyboard id>, Takes' ?take=<take id> (components/review.py link).
PAGES: dict[str, str | None] = {"": "draft", "takes": "take", "settings": None}
ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # models.new_id is 12 hex digits; room for older ids
ROUTE = "auth/sign-in"
COOKIE = "storyboard_after_sign_in"
LONGEST = 2048  # a link longer than that is not one of ours (ours are under 40 characters)
COOKIE_SECONDS = 15 * 60  # time enough to sign in at the provider, with a second factor
PROVIDER = "default"  # the gate's st.login(): the `[auth]` table itself
_mounted: list[bool] = []


def checked(address: str) -> str | None:
    """`address` (a path inside the app, maybe with a query: "/takes?take=ab12") rebuilt from what
    may be returned to, or None when there is nothing to return to: another origin or scheme, an
    unknown page, or the editor with no storyboard named (the callback's "/" is that already).
    Query keys other than the page's own, and values not shaped like an id, are dropped."""
    if len(address) > LONGEST or "\\" in address or any(ord(c) < 0x21 for c in address):
        return None  # (browsers read "\" as "/")
    parts = urlsplit(address)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    page = parts.path.strip("/")
    if page not in PAGES:
        return None
    key = PAGES[page]
    value = dict(parse_qsl(parts.query)).get(key) if key else None
    query = f"?{urlencode({key: value})}" if key and value and ID.fullmatch(value) else ""
    if not page and not query:
        return None
    return f"/{page}{query}"


def in_app(path: str, base: str) -> str | None:
    """A request's or page's URL path without the server's baseUrlPath, or None if outside it."""
    base = base.strip("/")
    if not base:
        return path
    if path == f"/{base}" or path.startswith(f"/{base}/"):
        return path[len(base) + 1 :] or "/"
    return None


def _base() -> str:
    return str(config.get_option("server.baseUrlPath") or "").strip("/")


def _url(path: str) -> str:
    """An app-relative path under the server's baseUrlPath."""
    base = _base()
    return f"/{base}{path}" if base else path


def mount() -> type[AfterSignIn]:
    """The middleware for serve.py to add; from then on the gate's Sign in goes through it."""
    _mounted.append(True)
    return AfterSignIn


def served() -> bool:
    return bool(_mounted)


# ---- in the page: the gate's Sign in ----------------------------------------------------------------


def here() -> str | None:
    """The address this signed-out page was opened at, as it may be returned to (or None).

    The page's URL as the browser sent it (its path; the query is st.query_params), not
    st.context.url, which rewrites the path by the pages st.navigation has registered (none yet
    for a run the gate stops before it)."""
    ctx = get_script_run_ctx()
    info = ctx.context_info if ctx is not None else None
    url = info.url if info is not None and info.HasField("url") else None
    path = in_app(urlsplit(url).path, _base()) if url else None
    if path is None:
        return None
    query = urlencode([(k, v) for k in st.query_params for v in st.query_params.get_all(k)])
    return checked(f"{path}?{query}" if query else path)


def sign_in() -> None:
    """The gate's "Sign in" (a callback): st.login, by way of /auth/sign-in when serve.py serves
    that route, with the address to come back to if there is one. Without one the route still
    forgets any address kept by an earlier, abandoned sign-in (signing in from "/" lands on "/")."""
    if not served():
        st.login()
        return
    # What st.login checks first, raising its own errors in the page (streamlit/user_info.py)
    if not is_authlib_installed():
        raise StreamlitMissingAuthlibError()
    validate_auth_credentials(PROVIDER)
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    address = here()
    # What st.login does, to our route: the browser goes to the URL.
    message = ForwardMsg()
    message.auth_redirect.url = _url(f"/{ROUTE}") + (f"?next={quote(address, safe='')}" if address else "")
    ctx.enqueue(message)


# ---- on the server: /auth/sign-in, and the callback's redirect ---------------------------------------


def _kept(cookies: Mapping[str, str]) -> str | None:
    value = cookies.get(COOKIE)
    if not value:
        return None
    raw = decode_signed_value(get_cookie_secret(), COOKIE, value.encode("latin-1"), COOKIE_SECONDS / 86400)
    return checked(raw.decode("utf-8", "replace")) if raw is not None else None


def _signed_in(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a callback's answer sets Streamlit's identity cookie (a sign-in that worked), rather
    than only clearing cookies (a refused or stale callback, the way back from signing out, or the
    deletion of a legacy root-path cookie Streamlit sends before setting the new one)."""
    for name, value in headers:
        if name.lower() != b"set-cookie":
            continue
        pair, *attributes = (part.strip() for part in value.split(b";"))
        cookie, _, content = pair.partition(b"=")
        if cookie != USER_COOKIE_NAME.encode() or not content.strip(b'"'):
            continue
        ages = [a.partition(b"=")[2].strip() for a in attributes if a.lower().startswith(b"max-age=")]
        if not any(age.lstrip(b"-").isdigit() and int(age) <= 0 for age in ages):
            return True
    return False


def _cookie_path() -> str:
    base = _base()
    return f"/{base}" if base else "/"


class AfterSignIn:
    """ASGI middleware (serve.py): answers /auth/sign-in and points a successful /oauth2callback
    back at the kept address. Without sign-in configured it passes everything through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = in_app(scope["path"], _base()) if scope["type"] == "http" else None
        if path not in (f"/{ROUTE}", "/oauth2callback") or not settings.sign_in().on:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if path == f"/{ROUTE}":
            await self._start(request)(scope, receive, send)
            return
        if COOKIE not in request.cookies:  # a sign-in that started at "/", or signing out
            await self.app(scope, receive, send)
            return
        kept = _kept(request.cookies)

        async def pointed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                if kept is not None and message["status"] in (302, 303, 307) and _signed_in(headers):
                    headers = [(k, v) for k, v in headers if k.lower() != b"location"]
                    headers.append((b"location", _url(kept).encode("latin-1")))
                headers.append((b"set-cookie", _deleted().encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, pointed)

    @staticmethod
    def _start(request: Request) -> RedirectResponse:
        address = checked(request.query_params.get("next", ""))
        answer = RedirectResponse(generate_login_redirect_url(PROVIDER), status_code=302)
        answer.headers["Cache-Control"] = "no-store"
        if address is None:
            answer.delete_cookie(COOKIE, path=_cookie_path())
        else:
            signed = create_signed_value(get_cookie_secret(), COOKIE, address).decode("utf-8")
            answer.set_cookie(
                COOKIE, signed, max_age=COOKIE_SECONDS, path=_cookie_path(), httponly=True, samesite="lax"
            )
        return answer


def _deleted() -> str:
    return f'{COOKIE}=""; Max-Age=0; Path={_cookie_path()}; HttpOnly; SameSite=lax'
