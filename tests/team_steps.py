"""A team's app under AppTest (issue 13): the `[auth]` table the `team_dir` fixture (conftest.py)
writes, the people who sign in (`at.user` plays st.user: the ID token's claims), and the app run
as one of them."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from storyboard.models import Shot, Storyboard

ROOT = Path(__file__).resolve().parent.parent
AUTH = """[auth]
redirect_uri = "http://127.0.0.1:8501/oauth2callback"
cookie_secret = "a-test-cookie-secret-of-thirty-two-bytes"
client_id = "storyboard-studio"
client_secret = "test-client-secret"
server_metadata_url = "http://127.0.0.1:1/.well-known/openid-configuration"
"""
ANA = {"is_logged_in": True, "email": "ana@example.com", "email_verified": True, "name": "Ana Lima"}
BO = {"is_logged_in": True, "email": "bo@example.com", "email_verified": True, "name": "Bo Berg"}

SECRET = Storyboard(name="Secret launch", shots=[Shot(prompt="the new bottle", duration=5)])


def team_app(user: dict[str, object]) -> AppTest:
    """The whole app, run once, as `user` (run from the team_dir fixture's folder)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.user = dict(user)
    at.run()
    assert not at.exception, at.exception
    return at
