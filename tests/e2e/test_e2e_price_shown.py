"""The price on the Generate button is the price charged (issue 9, defect 2), in real Chromium on a
loopback WaveSpeed fake with Kling V3.0 Pro ($0.112/s, ×1.5 with sound).

Sound (or the take count) is changed and Generate clicked at once, without waiting for the page to
redraw. What the person saw is read in the page at the instant of the click (a capture listener notes
the clicked button's words). Either the take stored (and sent) costs exactly that, or nothing was
sent and the page says the new price."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.hosted_app import HostedApp, paid_generate
from tests.e2e.steps import open_editor, settle, write_prompt
from tests.e2e.test_e2e_hosted import wait_for_state
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

PROMPT = "A kettle on a stove, steam curls up, the whistle starts"
# In the page: each clicked button's words at the instant of the click, and whether the script run
# that answers the click has happened (a run already going when clicked is restarted by it; else a
# new one starts), so the outcome is read only once the click has been handled.
NOTE_CLICKS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__clicked = []; window.__runs = 0;
    new MutationObserver(() => {
        if (app.dataset.testScriptState === 'running') window.__runs += 1;
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    document.addEventListener('click', e => {
        const b = e.target.closest('button');
        if (!b || !b.innerText.trim().startsWith('Generate')) return;
        window.__clicked.push(b.innerText.trim());
        window.__runsAtClick = window.__runs;
        window.__runningAtClick = app.dataset.testScriptState === 'running';
    }, true);
}"""
ANSWERED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return (window.__runningAtClick || window.__runs > window.__runsAtClick)
        && app.dataset.testScriptState === 'notRunning'
        && document.querySelector('[data-stale="true"]') === null;
}"""
PRICE = re.compile(r"\$(\d+\.\d\d\d?)")
GENERATE_ANY = re.compile(r"^Generate( \d takes)? · \$\d+\.\d\d\d?$")


def _choose_v3_pro(page: Page) -> None:
    page.locator(".st-key-w-model").click()
    page.get_by_role("option", name="Kling V3.0 Pro", exact=False).click()
    expect(paid_generate(page)).to_have_text("Generate · $0.56")  # 5 s at $0.112/s, no sound
    settle(page)


def _clicked_generate_label(page: Page) -> str:
    labels = page.evaluate("() => window.__clicked")
    assert len(labels) == 1, labels
    return labels[0]


def _outcome(page: Page, hosted: HostedApp, seen: str, sent_before: int) -> str:
    """What happened to the click that saw `seen`: "sent" at that price, or "refused" with the new one."""
    page.wait_for_function(ANSWERED)
    settle(page)
    button = page.get_by_role("button", name=re.compile(r"^Generat")).inner_text()
    if button.startswith("Generating"):  # the take is on its way: its row is written, or about to be
        wait_until(lambda: len(hosted.store().list_jobs()) > sent_before, timeout=30, what="the take's row")
    jobs = hosted.store().list_jobs()
    seen_price = Decimal(PRICE.search(seen).group(1))  # type: ignore[union-attr]
    if len(jobs) > sent_before:
        total = sum((j.quote.total for j in jobs[: len(jobs) - sent_before]), Decimal(0))
        assert total == seen_price, f"charged {total}, the button said {seen!r}"
        # each take's row is written before its submit is sent (by the runner's thread, a moment later)
        wait_until(lambda: hosted.submits == len(jobs), timeout=30, what="one submit per take")
        wait_for_state(hosted.server.data_dir, {"done"})
        assert hosted.submits == len(jobs)
        expect(page.get_by_role("button", name=GENERATE_ANY)).to_be_enabled()  # the page has seen it end
        settle(page)
        return "sent"
    assert hosted.submits == sent_before
    shown = page.get_by_role("button", name=GENERATE_ANY).inner_text()
    now = PRICE.search(shown).group(1)  # type: ignore[union-attr]
    assert now != PRICE.search(seen).group(1)  # type: ignore[union-attr]
    # Refused with a sentence; or, when the button clicked was already gone from the server (the run
    # that redrew it had finished), the click finds nothing to press: either way the new price shows.
    said = page.get_by_text(f"The price is now ${now}", exact=False).or_(
        page.get_by_text(f"(${now}; the button said", exact=False)
    )
    return "refused" if said.count() else "not pressed"


def test_sound_or_count_changed_as_generate_is_clicked_charges_what_the_button_said(
    page: Page, hosted: HostedApp
) -> None:
    hosted.jobs_end_at_once()  # what a take costs is the point, not how its job runs
    open_editor(page, hosted.server.url)
    write_prompt(page, 1, PROMPT)
    _choose_v3_pro(page)
    page.evaluate(NOTE_CLICKS)
    outcomes = []
    sound = page.locator(".st-key-w-sound").get_by_text("Generate sound")
    for _ in range(4):  # sound on, off, on, off: each time Generate at once
        page.evaluate("() => { window.__clicked = []; }")
        sent = len(hosted.store().list_jobs())
        sound.click()
        page.get_by_role("button", name=GENERATE_ANY).click()
        outcomes.append(_outcome(page, hosted, _clicked_generate_label(page), sent))
    page.evaluate("() => { window.__clicked = []; }")
    sent = len(hosted.store().list_jobs())
    page.locator(".st-key-w-takes").get_by_text("×2", exact=True).click()
    page.get_by_role("button", name=GENERATE_ANY).click()
    outcomes.append(_outcome(page, hosted, _clicked_generate_label(page), sent))
    print("outcomes:", outcomes)
