"""Settings > Check prices through the real app, against the provider fakes (defect 8).

The catalog quotes fal's V3.0 Pro at $0.224/s (its llms.txt [F4]); fal's Platform API here says
$0.112/s (its playground page [F5]). After Check prices the table shows both and says they differ,
and the editor's Generate button on fal quotes fal's own figure today. Nothing is sent without a key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from app_steps import build, generate_button
from fakes.base import FakeServer
from fakes.fal import FakeFal
from fakes.wavespeed import FakeWaveSpeed
from streamlit.testing.v1 import AppTest

from storyboard.models import ModelId, ProviderId

ROOT = Path(__file__).resolve().parent.parent
V3_PRO = "fal-ai/kling-video/v3/pro/text-to-video"


@pytest.fixture
def fakes(data_dir: Path) -> Iterator[tuple[FakeWaveSpeed, FakeFal]]:
    with FakeWaveSpeed() as wavespeed, FakeFal() as fal:
        fal.unit_prices[V3_PRO] = 0.112
        yield wavespeed, fal  # type: ignore[misc]


def _app(monkeypatch: pytest.MonkeyPatch, wavespeed: FakeServer | None, fal: FakeFal | None) -> AppTest:
    if wavespeed is not None:
        monkeypatch.setenv("WAVESPEED_API_KEY", wavespeed.key)  # type: ignore[attr-defined]
    if fal is not None:
        monkeypatch.setenv("FAL_KEY", fal.key)
    for fake, names in (
        (wavespeed, ["WAVESPEED_BASE_URL"]),
        (fal, ["FAL_QUEUE_BASE_URL", "FAL_REST_BASE_URL", "FAL_API_BASE_URL"]),
    ):
        for name in names:
            if fake is not None:
                monkeypatch.setenv(name, fake.url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _settings(at: AppTest) -> AppTest:
    at.switch_page("pages/settings.py").run()
    assert not at.exception, at.exception
    return at


def test_check_prices_shows_catalog_and_provider_and_the_quote_uses_todays_figure(
    fakes: tuple[FakeWaveSpeed, FakeFal], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wavespeed, fal = fakes
    at = _app(monkeypatch, wavespeed, fal)
    at.radio(key="w:provider").set_value(ProviderId.FAL).run()
    at.selectbox(key="w:model").set_value(ModelId.V3_PRO_T2V).run()
    build(at, [5])
    assert generate_button(at).label == "Generate · $1.12"  # the catalog: 5 s x $0.224

    _settings(at).button(key="check_prices").click().run()
    assert not at.exception, at.exception

    (frame,) = at.dataframe  # the one table on Settings
    table = frame.value
    rows = {row["Offer"]: row for row in table.to_dict("records")}
    v3 = rows["fal.ai · Kling V3.0 Pro · text to video (sound off)"]
    assert (v3["Catalog"], v3["Provider"], v3["Differs"]) == ("$0.224/s", "$0.112/s", "yes")
    with_sound = rows["fal.ai · Kling V3.0 Pro · text to video (sound on)"]
    assert with_sound["Provider"] == "—" and with_sound["Differs"] == "not checked"
    turbo = rows["WaveSpeedAI · Kling V3 Turbo Pro · text to video"]
    assert (turbo["Catalog"], turbo["Provider"], turbo["Differs"]) == ("$0.14/s", "$0.14/s", "")
    assert not any("EvoLink" in offer for offer in rows)  # no key: nothing asked
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith(
        "1 of the rates differ from the catalog (fal.ai · Kling V3.0 Pro · text to video"
    )
    # Each provider was asked with its own key; nothing was generated.
    assert fal.calls("pricing") and all(
        c.headers["authorization"] == f"Key {fal.key}" for c in fal.calls("pricing")
    )
    assert len(wavespeed.calls("pricing")) == 4 and wavespeed.jobs_created == 0 and fal.jobs_created == 0
    kept = json.loads((data_dir / "checked_prices.json").read_text())
    (fal_v3,) = [
        r for r in kept if (r["provider"], r["model"], r["sound"]) == ("fal", ModelId.V3_PRO_T2V.value, False)
    ]
    assert (fal_v3["usd_per_second"], fal_v3["checked_on"]) == ("0.112", date.today().isoformat())

    at.switch_page("app.py").run()  # back to the editor: fal's own figure today
    assert generate_button(at).label == "Generate · $0.56"
    assert any("checked" in c.value for c in at.caption)


def test_a_figure_checked_on_another_day_is_not_used(
    fakes: tuple[FakeWaveSpeed, FakeFal], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wavespeed, fal = fakes
    at = _settings(_app(monkeypatch, wavespeed, fal))
    at.button(key="check_prices").click().run()
    path = data_dir / "checked_prices.json"
    rows = json.loads(path.read_text())
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    path.write_text(json.dumps([r | {"checked_on": yesterday} for r in rows]))

    at.switch_page("app.py").run()
    at.radio(key="w:provider").set_value(ProviderId.FAL).run()
    at.selectbox(key="w:model").set_value(ModelId.V3_PRO_T2V).run()
    build(at, [5])
    assert generate_button(at).label == "Generate · $1.12"  # the catalog again


def test_without_a_key_nothing_is_sent_and_the_page_says_what_to_add(
    fakes: tuple[FakeWaveSpeed, FakeFal], monkeypatch: pytest.MonkeyPatch
) -> None:
    wavespeed, fal = fakes
    for name, url in (("WAVESPEED_BASE_URL", wavespeed.url), ("FAL_API_BASE_URL", fal.url)):
        monkeypatch.setenv(name, url)
    monkeypatch.setenv("EVOLINK_API_KEY", "evo-some-key-0123456789")  # EvoLink has no pricing call
    at = _settings(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60))

    assert not [b for b in at.button if b.key == "check_prices"]
    assert any(
        c.value
        == "Add a WaveSpeedAI or fal.ai key to check prices with the provider; nothing is sent without one."
        for c in at.caption
    )
    assert wavespeed.requests == [] and fal.requests == []


def test_prices_that_cannot_be_kept_are_shown_and_said_not_raised(
    fakes: tuple[FakeWaveSpeed, FakeFal], bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With media in a bucket the figures are kept there (every replica quotes them): the bucket
    refusing the write is one sentence on Settings, the table still shown, quotes the catalog's."""
    from storyboard import checked_prices

    wavespeed, fal = fakes
    monkeypatch.setenv("STORYBOARD_MEDIA_URL", f"s3://{bucket}-gone/studio")  # no such bucket
    at = _app(monkeypatch, wavespeed, fal)
    _settings(at).button(key="check_prices").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [checked_prices.UNKEPT]
    assert len(at.dataframe) == 1 and not at.warning  # no "quotes use the provider's figure today"
