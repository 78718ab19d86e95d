"""The shared HTTP layer of the hosted provider clients: where keys may go, and what a failure says."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fakes.base import FakeServer, Fault, Recorded, Reply

from storyboard.providers.base import ProviderError
from storyboard.providers.evolink import EvoLinkClient
from storyboard.providers.fal import FalClient
from storyboard.providers.http import call, check_url, error_for, new_client, stream_to_file
from storyboard.providers.wavespeed import WaveSpeedClient

LABEL, DASHBOARD = "fal.ai", "https://fal.ai/dashboard/billing"


def _answer(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers, request=httpx.Request("POST", "https://x"))


@pytest.mark.parametrize(
    "url", ["https://api.wavespeed.ai/x", "http://127.0.0.1:9/x", "http://localhost:9/x", "http://[::1]:9/x"]
)
def test_keys_go_over_https_or_to_this_machine(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize("url", ["http://api.wavespeed.ai/x", "http://10.0.0.5/x", "ftp://127.0.0.1/x"])
def test_keys_never_go_over_plain_http_to_another_machine(url: str) -> None:
    with pytest.raises(ProviderError, match="only https") as refused:
        check_url(url)
    assert refused.value.sent is False


def test_bad_key_says_to_check_settings() -> None:
    error = error_for(_answer(401, {"detail": "No user found for Key ID and Secret"}), LABEL, DASHBOARD)
    assert error.message == (
        "fal.ai did not accept the API key (No user found for Key ID and Secret). Check the key on the Settings page."
    )
    assert not error.retryable


def test_no_balance_says_where_to_top_up() -> None:
    body = {
        "detail": "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."
    }
    error = error_for(_answer(403, body), LABEL, DASHBOARD, submit=True)
    assert "no balance left" in error.message and DASHBOARD in error.message
    assert error.sent is False and not error.retryable


def test_a_validation_error_names_the_field() -> None:
    body = {"detail": [{"loc": ["body", "duration"], "msg": "value is not a valid enumeration member"}]}
    error = error_for(_answer(422, body), LABEL, DASHBOARD)
    assert error.message == (
        "fal.ai rejected the request (duration: value is not a valid enumeration member). "
        "Change that setting and generate again."
    )


def test_evolink_error_bodies_are_read_too() -> None:
    body = {
        "error": {"code": "insufficient_quota", "message": "Insufficient quota. Please top up your account."}
    }
    error = error_for(_answer(402, body), "EvoLink", "https://evolink.ai/dashboard")
    assert "no balance left (Insufficient quota. Please top up your account)" in error.message


def test_too_many_requests_is_retried_after_what_the_provider_asks() -> None:
    error = error_for(_answer(429, {"detail": "slow down"}, {"Retry-After": "7"}), LABEL, DASHBOARD)
    assert error.retryable and error.retry_after == 7.0
    assert error.message == "fal.ai is busy (too many requests); retrying shortly."


def test_server_trouble_is_retried() -> None:
    assert error_for(_answer(503, {"detail": "runner_scheduling_failure"}), LABEL, DASHBOARD).retryable


class _Echo(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.route("POST", "/submit", lambda req, reply: reply.json(200, {"ok": True}), "submit")
        self.route("GET", "/video", self._video, "video")
        self.route(
            "GET", "/page", lambda req, reply: reply.bytes(200, b"<html>gone</html>", "text/html"), "page"
        )
        self.video = b"\x00\x00\x00\x18ftypmp42" + b"v" * 5000

    def _video(self, req: Recorded, reply: Reply) -> None:
        reply.bytes(200, self.video, "video/mp4")


def test_a_submit_that_cannot_connect_was_not_sent() -> None:
    with _Echo() as fake:
        url = fake.url
    with pytest.raises(ProviderError) as failed:  # the server is gone: connection refused
        call(new_client(), "POST", f"{url}/submit", LABEL, DASHBOARD, submit=True, json={})
    assert failed.value.sent is False and "Could not reach fal.ai" in failed.value.message


def test_a_submit_whose_answer_is_lost_is_of_unknown_outcome() -> None:
    with _Echo() as fake:
        fake.fail_next("submit", Fault(lose_answer=True))
        with pytest.raises(ProviderError) as failed:
            call(new_client(), "POST", f"{fake.url}/submit", LABEL, DASHBOARD, submit=True, json={})
        assert failed.value.sent is None
        assert len(fake.calls("submit")) == 1


def test_a_result_is_streamed_to_disk_without_any_key(tmp_path: Path) -> None:
    with _Echo() as fake:
        written = stream_to_file(new_client(), f"{fake.url}/video", tmp_path / "v.mp4", LABEL)
        assert written == len(fake.video) == (tmp_path / "v.mp4").stat().st_size
        assert "authorization" not in fake.calls("video")[0].headers


def test_a_result_link_that_serves_a_web_page_is_refused(tmp_path: Path) -> None:
    with _Echo() as fake, pytest.raises(ProviderError, match="returned text/html, not a video"):
        stream_to_file(new_client(), f"{fake.url}/page", tmp_path / "v.mp4", LABEL)
    assert not (tmp_path / "v.mp4").exists()


def test_a_result_larger_than_the_cap_is_not_kept(tmp_path: Path) -> None:
    with _Echo() as fake, pytest.raises(ProviderError, match="larger than expected"):
        stream_to_file(new_client(), f"{fake.url}/video", tmp_path / "v.mp4", LABEL, max_bytes=1000)
    assert not (tmp_path / "v.mp4").exists()


@pytest.mark.parametrize("key", ["", "   ", "id:secret\nX-Evil: 1", "id:sécret", "two words"])
@pytest.mark.parametrize("client", [WaveSpeedClient, FalClient, EvoLinkClient])
def test_a_damaged_key_is_refused_without_repeating_it(client: type, key: str) -> None:
    with pytest.raises(
        ValueError, match="key has spaces or line breaks in it, or is empty. Paste it again."
    ) as refused:
        client(key)
    if key.strip():
        assert key.strip() not in str(refused.value)
