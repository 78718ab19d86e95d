"""A team's app in real Chromium (issue 13): the app run from a folder of its own whose
`.streamlit/secrets.toml` has the `[auth]` table for a real OpenID Connect provider (the certified
oidc-provider, tests/servers/identity_provider.py) on 127.0.0.1, and signing in and out through
the provider's own login form, as a person does.

    with team_app(tmp_path, [ANA, BO], seed=make_members) as (server, idp): ...
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from storyboard.store import Store
from tests.e2e.conftest import ROOT, Server
from tests.servers.identity_provider import IdentityProvider, NotInstallable, TestUser, install

COOKIE_SECRET = "test-cookie-secret-" + "x" * 24


@contextmanager
def team_app(
    tmp_path: Path, users: list[TestUser], seed: Callable[[Store], None] | None = None, base: str = ""
) -> Iterator[tuple[Server, IdentityProvider]]:
    """The provider with `users`, and the app on a fresh data dir (`seed`: members, drafts put in
    its store first; `base`: the server's baseUrlPath), started; stopped after, failing if the app
    logged an uncaught exception."""
    try:
        install()
    except NotInstallable as problem:
        if os.environ.get("CI"):
            pytest.fail(str(problem))
        pytest.skip(str(problem))
    folder = tmp_path / "team"
    (folder / ".streamlit").mkdir(parents=True)
    shutil.copy(ROOT / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
    server = Server(tmp_path / "data", cwd=folder, base=base)
    if seed is not None:
        server.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store.for_data_dir(server.data_dir)
        try:
            seed(store)
        finally:
            store.close()
    with IdentityProvider(users, redirect_uri=f"{server.url}/oauth2callback") as idp:
        table = idp.auth_table(COOKIE_SECRET)
        (folder / ".streamlit" / "secrets.toml").write_text(
            "[auth]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items())
        )
        server.start()
        try:
            yield server, idp
        finally:
            server.stop()
            log = server.log.read_text(errors="replace") if server.log.exists() else ""
            assert "Uncaught app execution" not in log, log[-3000:]


def sign_in(page: Page, user: TestUser, app: str, at_provider: bool = False) -> None:
    """Through the app's Sign in (unless `at_provider`: the page is the provider's login form
    already) and the provider's own login form, back to the app."""
    if not at_provider:
        page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: url.startswith(app) and "oauth2callback" not in url)


def sign_out(page: Page) -> None:
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
