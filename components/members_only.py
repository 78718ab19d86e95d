"""With sign-in on, what the server answers outside the page (Streamlit's media endpoint, our
`/api/take-progress/<id>`) goes only to a signed-in member (issue 13); serve.py mounts this.

The page itself is gated by components/sign_in.py, so links to media are only ever put in a
member's page; this makes such a link worth nothing to anyone else who gets hold of it (a copied
URL, a shared screen): each request must carry Streamlit's signed identity cookie (set by its
/oauth2callback, signed with `[auth] cookie_secret`) for a person who is a member now. Checked
against the members table on every request, so a removed member's next request is refused.

A bucket's presigned links are signed by the bucket, not by us, and cannot be checked here: they
are only put in members' pages and expire (storyboard/media_store.py URL_SECONDS).
Provider callbacks (/api/callback/...) are authenticated by their own token, as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit import config
from streamlit.auth_util import get_cookie_with_chunks, get_origin_from_redirect_uri
from streamlit.web.server.server_util import get_cookie_secret
from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value
from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME

from components.runtime import open_runtime
from components.sign_in import verified_email
from storyboard import settings
from storyboard.people import Actor
from storyboard.store.people import People

GUARDED = ("/media/", "/api/take-progress/")
REFUSED = "Sign in to Storyboard Studio to see this."


def signed_claims(cookies: Mapping[str, str], secret: str) -> dict[str, object] | None:
    """The claims in Streamlit's identity cookie (possibly split in chunks), if its signature is
    good and it says signed in; else None. Streamlit's own helpers, as its websocket reads it."""

    def one(name: str) -> bytes | None:
        value = cookies.get(name)
        # HTTP cookies are latin-1: the signed bytes back, as Streamlit does
        return decode_signed_value(secret, name, value.encode("latin-1")) if value else None

    raw = get_cookie_with_chunks(one, USER_COOKIE_NAME)
    if raw is None:
        return None
    try:
        claims = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(claims, dict) or claims.get("is_logged_in") is not True:
        return None
    if claims.get("origin") != get_origin_from_redirect_uri():  # a cookie made for another deployment
        return None
    return claims


def signed_in_member(cookies: Mapping[str, str], people: People) -> Actor | None:
    """The member these cookies belong to, or None. Read-only: joining happens in the page."""
    claims = signed_claims(cookies, get_cookie_secret())
    email = verified_email(claims) if claims is not None else None
    if email is None:
        return None
    member = people.member(email)
    return member.actor() if member is not None and member.joined_at is not None else None


class MembersOnly:
    """ASGI middleware: a GUARDED path answers 403 and nothing else unless a member asks. Without
    sign-in configured it passes everything through (one stat of the secrets file)."""

    def __init__(self, app: ASGIApp, people: Callable[[], People] = lambda: open_runtime().store.people) -> None:
        self.app = app
        self.people = people

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _guarded(scope["path"]) and settings.team_mode():
            cookies = Request(scope).cookies
            if await run_in_threadpool(lambda: signed_in_member(cookies, self.people())) is None:
                answer = PlainTextResponse(REFUSED, status_code=403, headers={"Cache-Control": "no-store"})
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _guarded(path: str) -> bool:
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    if base:
        if not path.startswith(f"/{base}/"):
            return False
        path = path[len(base) + 1 :]
    return path.startswith(GUARDED)
