"""The price on the Generate button is the price charged (issue 9, defect 2), through the real app
(AppTest) on a loopback WaveSpeed fake. AppTest sends a widget change and a click in one rerun, as a
browser does when sound is toggled and Generate pressed before the page has redrawn: the button's
label is then one rerun behind."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from app_steps import build, generate_button, run_until
from fakes.wavespeed import FakeWaveSpeed
from streamlit.testing.v1 import AppTest

from components import runtime
from storyboard.models import ModelId, ProviderId

ROOT = Path(__file__).resolve().parent.parent


def _v3_pro_five_seconds() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    build(at, [5])
    at.selectbox(key="w:model").set_value(ModelId.V3_PRO_T2V).run()
    assert at.radio(key="w:provider").value == ProviderId.WAVESPEED
    assert generate_button(at).label == "Generate · $0.56"  # $0.112/s, no sound
    return at


def test_sound_toggled_in_the_same_instant_as_generate_sends_nothing_and_says_the_new_price(
    fake: FakeWaveSpeed,
) -> None:
    at = _v3_pro_five_seconds()
    at.toggle(key="w:sound").set_value(True)
    generate_button(at).click()  # pressed while it still said $0.56
    at.run()
    assert fake.calls("submit") == []
    assert runtime.runtime().store.list_jobs() == []
    assert [e.value for e in at.error] == [
        "The price is now $0.84 for 1 take (it said $0.56 when you pressed Generate), so nothing was sent: "
        "press Generate again to go ahead at the new price."
    ]
    assert generate_button(at).label == "Generate · $0.84"
    generate_button(at).click().run()  # asked again, at the price it now shows
    run_until(at, lambda: len(at.get("video")) > 0, timeout=60)
    (job,) = runtime.runtime().store.list_jobs()
    assert job.quote.total == Decimal("0.84") and job.storyboard.options.sound
    assert len(fake.calls("submit")) == 1


def test_a_take_count_changed_in_the_same_instant_sends_nothing(fake: FakeWaveSpeed) -> None:
    at = _v3_pro_five_seconds()
    at.radio(key="w:takes").set_value(3)
    generate_button(at).click()  # it said one take, $0.56
    at.run()
    assert fake.calls("submit") == []
    assert runtime.runtime().store.list_jobs() == []
    assert [e.value for e in at.error] == [
        "You now chose 3 takes ($1.68; the button said 1), so nothing was sent: press Generate again to go ahead."
    ]
    assert generate_button(at).label == "Generate 3 takes · $1.68"


def test_the_price_shown_is_the_price_stored(fake: FakeWaveSpeed) -> None:
    at = _v3_pro_five_seconds()
    generate_button(at).click().run()
    assert not at.error
    (job,) = runtime.runtime().store.list_jobs()
    assert job.quote.total == Decimal("0.56") and not job.storyboard.options.sound
