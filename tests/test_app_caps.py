"""Spending caps through the real app (AppTest): set on Settings, refused at Generate before
anything reaches the provider (a loopback fake), shown beside Generate, charted on Takes."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from app_steps import build, generate_button, run_until, set_duration, storyboard
from fakes.wavespeed import FakeWaveSpeed
from streamlit.testing.v1 import AppTest

from components import runtime
from storyboard import budget, takes
from storyboard.models import JobState, ProviderId

ROOT = Path(__file__).resolve().parent.parent
REFUSED = (
    "This take costs $0.70 and today's spend is $0.00 of your $0.50 daily cap: "
    "raise the cap on Settings or make the take shorter."
)


def _session() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _set_cap(at: AppTest, which: str, dollars: float | None) -> None:
    at.switch_page("pages/settings.py").run()
    at.number_input(key=f"caps:{which}").set_value(dollars).run()
    assert not at.exception, at.exception
    at.switch_page("pages/editor.py").run()


def _five_seconds_on_wavespeed(at: AppTest) -> None:
    build(at, [5])
    assert storyboard(at).provider == ProviderId.WAVESPEED
    assert generate_button(at).label == "Generate · $0.70"


def test_a_daily_cap_below_the_price_refuses_before_anything_is_sent(fake: FakeWaveSpeed) -> None:
    at = _session()
    _set_cap(at, "daily", 0.50)
    _five_seconds_on_wavespeed(at)
    assert any(
        c.value == "Today (UTC): $0.00 of $0.50 · :orange[this take would pass the cap]" for c in at.caption
    )
    generate_button(at).click().run()
    assert [e.value for e in at.error] == [REFUSED]
    assert fake.calls() == []
    assert runtime.runtime().store.list_jobs() == []
    _set_cap(at, "daily", 0.70)  # raised to exactly the price: the refusal is answered, the take fits
    assert not at.error
    assert not any("would pass the cap" in c.value for c in at.caption)


def test_a_cap_above_the_price_lets_the_take_through_and_then_counts_it(fake: FakeWaveSpeed) -> None:
    at = _session()
    _set_cap(at, "daily", 1.00)
    _five_seconds_on_wavespeed(at)
    generate_button(at).click().run()
    assert not at.error
    run_until(at, lambda: len(at.get("video")) > 0, timeout=60)
    assert fake.jobs_created == 1
    assert any(c.value.startswith("Today (UTC): $0.70 of $1.00") for c in at.caption)

    at.switch_page("pages/takes.py").run()
    (chart,) = at.get("vega_lite_chart")
    data = pa.ipc.open_stream(chart.proto.data.data).read_all().to_pydict()
    (job,) = runtime.runtime().store.list_jobs()
    assert data == {"Day (UTC)": [f"{job.created_at:%Y-%m-%d}"], "Provider": ["WaveSpeedAI"], "US$": [0.7]}


def test_a_session_cap_counts_from_when_it_is_set_and_holds_through_a_reload(fake: FakeWaveSpeed) -> None:
    """A demo on a company card: what was spent before the demo does not count; a reload (a new
    Streamlit session) or another tab does not drop the cap or its count; clearing it ends it."""
    at = _session()
    _five_seconds_on_wavespeed(at)
    generate_button(at).click().run()  # before the demo: not capped, not counted
    run_until(at, lambda: len(at.get("video")) > 0, timeout=60)
    _set_cap(at, "session", 1.00)
    assert any(c.value == "This session: $0.00 of $1.00" for c in at.caption)
    generate_button(at).click().run()
    assert not at.error
    store = runtime.runtime().store
    run_until(
        at, lambda: fake.jobs_created == 2 and all(j.state.finished for j in store.list_jobs()), timeout=60
    )

    reloaded = _session()  # F5, or a second tab
    reloaded.switch_page("pages/settings.py").run()
    assert reloaded.number_input(key="caps:session").value == 1.00
    assert any(
        c.value.startswith("Spent today (UTC): $1.40 · in this session (since ")
        and c.value.endswith(": $0.70")
        for c in reloaded.caption
    )
    reloaded.switch_page("pages/editor.py").run()
    generate_button(reloaded).click().run()
    (error,) = reloaded.error
    assert error.value == (
        "This take costs $0.70 and this session's spend is $0.70 of your $1.00 session cap: "
        "raise the cap on Settings or make the take shorter."
    )
    assert fake.jobs_created == 2

    _set_cap(reloaded, "session", None)  # the demo is over
    assert not any(c.value.startswith("This session") for c in reloaded.caption)
    generate_button(reloaded).click().run()
    assert not reloaded.error
    run_until(reloaded, lambda: fake.jobs_created == 3, timeout=60)


def test_the_daily_cap_survives_a_restart(fake: FakeWaveSpeed, data_dir: Path) -> None:
    at = _session()
    _set_cap(at, "daily", 0.50)
    _five_seconds_on_wavespeed(at)
    runtime.shutdown()

    again = _session()
    again.switch_page("pages/settings.py").run()
    assert again.number_input(key="caps:daily").value == 0.50
    again.switch_page("pages/editor.py").run()
    generate_button(again).click().run()
    assert [e.value for e in again.error] == [REFUSED]
    assert fake.calls() == []
    saved = b"".join(p.read_bytes() for p in data_dir.glob("studio.db*"))  # with its WAL
    assert b"0.50" in saved and fake.key.encode() not in saved


def test_clearing_the_cap_lets_generate_through(fake: FakeWaveSpeed) -> None:
    at = _session()
    _set_cap(at, "daily", 0.50)
    _set_cap(at, "daily", None)
    _five_seconds_on_wavespeed(at)
    assert not any(c.value.startswith("Today (UTC)") for c in at.caption)
    generate_button(at).click().run()
    assert not at.error
    run_until(at, lambda: bool(runtime.runtime().store.list_jobs()), timeout=30)


def test_preview_is_never_refused_by_a_cap(app: AppTest) -> None:
    _set_cap(app, "daily", 0)
    build(app, [3])
    assert storyboard(app).provider == ProviderId.PREVIEW
    generate_button(app).click().run()
    assert not app.error
    run_until(app, lambda: len(app.get("video")) > 0)
    (job,) = runtime.runtime().store.list_jobs()
    assert job.state == JobState.DONE


def test_a_cap_that_fits_one_take_refuses_three_at_once(fake: FakeWaveSpeed) -> None:
    """Generate ×3 is priced, and capped, as the three takes it makes."""
    at = _session()
    _set_cap(at, "daily", 1.50)
    _five_seconds_on_wavespeed(at)
    at.radio(key="w:takes").set_value(3).run()
    assert any("these 3 takes would pass the cap" in c.value for c in at.caption)
    generate_button(at).click().run()
    (error,) = at.error
    assert "$2.10" in error.value and "$1.50" in error.value
    assert fake.calls() == [] and runtime.runtime().store.list_jobs() == []
    at.radio(key="w:takes").set_value(2).run()  # $1.40 fits
    generate_button(at).click().run()
    assert not at.error
    assert len(runtime.runtime().store.list_jobs()) == 2


def test_a_damaged_cap_file_holds_paid_takes_until_the_caps_are_set_again(
    fake: FakeWaveSpeed, data_dir: Path
) -> None:
    """An earlier version's budget.json, cut short (say by a full disk), is carried into the
    database as damaged caps: paid takes wait until the caps are set again."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "budget.json").write_text('{"daily_usd": "5.0')  # cut short, say by a full disk
    at = _session()
    _five_seconds_on_wavespeed(at)
    generate_button(at).click().run()
    assert [e.value for e in at.error] == [budget.DAMAGED]
    assert fake.calls() == []
    at.switch_page("pages/settings.py").run()
    assert any("could not be read" in w.value for w in at.warning)
    at.button(key="caps:forget").click().run()
    assert not at.warning
    at.switch_page("pages/editor.py").run()
    generate_button(at).click().run()
    assert not at.error
    run_until(at, lambda: fake.jobs_created == 1, timeout=60)


def test_an_absurd_cap_is_refused_beside_its_input_and_the_saved_cap_still_holds(fake: FakeWaveSpeed) -> None:
    """Issue 10.7: a cap typed as 1e26 silently became "no cap"."""
    at = _session()
    _set_cap(at, "daily", 0.50)
    at.switch_page("pages/settings.py").run()
    at.number_input(key="caps:daily").set_value(1e26).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [budget.ABSURD]
    assert at.number_input(key="caps:daily").value == 0.50  # the saved cap, unchanged
    at.switch_page("pages/editor.py").run()
    _five_seconds_on_wavespeed(at)
    generate_button(at).click().run()
    assert [e.value for e in at.error] == [REFUSED]
    assert fake.calls() == []


def test_a_deleted_paid_take_still_counts_towards_the_cap(fake: FakeWaveSpeed) -> None:
    """Issue 9, defect 1: $1.40 spent against a $2.00 daily cap, the take deleted: still refused."""
    at = _session()
    _set_cap(at, "daily", 2.00)
    build(at, [10])
    assert generate_button(at).label == "Generate · $1.40"
    generate_button(at).click().run()
    run_until(at, lambda: len(at.get("video")) > 0, timeout=60)
    (job,) = runtime.runtime().store.list_jobs()
    rt = runtime.runtime()
    assert takes.delete(rt.store, rt.data_dir, job.id) is None
    assert runtime.runtime().store.list_jobs() == []
    at.run()
    set_duration(at, 0, 5)  # $0.70 more: $2.10 would pass $2.00
    generate_button(at).click().run()
    assert [e.value for e in at.error] == [
        "This take costs $0.70 and today's spend is $1.40 of your $2.00 daily cap: "
        "raise the cap on Settings or make the take shorter."
    ]
    assert fake.jobs_created == 1
