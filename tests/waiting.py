"""The one way a test waits for something that happens in another thread or process.

Waits are on conditions, never on the clock alone: `wait_until` checks until the condition holds
and returns at once when it does; the timeout only bounds a hang and says what never happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

EVERY = 0.02  # seconds between checks: short, since a check is cheap next to what it waits for


def wait_until(check: Callable[[], T], *, timeout: float, every: float = EVERY, what: str = "") -> T:
    """Call `check` until it returns something truthy and return that; fail after `timeout` seconds,
    saying `what` was awaited and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {what or 'the condition'}: {value!r}"
            )
        time.sleep(every)
