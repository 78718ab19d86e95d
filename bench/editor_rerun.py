"""Editor rerun time with 6 shots, a first frame and the cost panel (goal: median <= 25 ms).

Runs the real app under AppTest on a scratch data dir, builds the storyboard a user would, then
times reruns two ways: the whole AppTest round trip (script + AppTest's own parsing of the
result, an upper bound), and the page script alone (timed inside the script run by wrapping
`Page.run`). Prints figures; asserts nothing.

    .venv/bin/python -m bench.editor_rerun
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 40


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    scratch = Path(tempfile.mkdtemp(prefix="bench-editor-"))
    os.environ["STORYBOARD_DATA_DIR"] = str(scratch / "data")

    from PIL import Image
    from streamlit.navigation.page import StreamlitPage
    from streamlit.testing.v1 import AppTest

    from components import runtime
    from components.runtime import STORYBOARD

    page_times: list[float] = []
    original_run = StreamlitPage.run

    def timed_run(self: StreamlitPage) -> None:
        start = time.perf_counter()
        original_run(self)
        page_times.append(time.perf_counter() - start)

    StreamlitPage.run = timed_run  # type: ignore[method-assign]

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    for i in range(6):
        if i:
            at.button(key="w:add-shot").click().run()
        shot = at.session_state[STORYBOARD].shots[i]
        at.select_slider(key=f"w:dur:{shot.id}").set_value(2).run()
        at.text_area(key=f"w:prompt:{shot.id}").input(
            f"Shot {i + 1}: the bottle, the sand, wave {i + 1}"
        ).run()
    buf = io.BytesIO()
    Image.radial_gradient("L").resize((1920, 1080)).convert("RGB").save(buf, "JPEG")
    at.file_uploader[0].set_value(("product.jpg", buf.getvalue(), "image/jpeg")).run()
    sb = at.session_state[STORYBOARD]
    assert len(sb.shots) == 6 and sb.first_frame is not None, "bench setup failed"

    for _ in range(5):  # warm up
        at.run()
    page_times.clear()
    round_trips = []
    for _ in range(RUNS):
        start = time.perf_counter()
        at.run()
        round_trips.append(time.perf_counter() - start)

    def ms(values: list[float]) -> str:
        cut = sorted(values)
        return (
            f"median {statistics.median(cut) * 1000:.1f} ms, p90 {cut[int(len(cut) * 0.9) - 1] * 1000:.1f} ms"
            f" over {len(cut)} reruns"
        )

    print("editor rerun, 6 shots + first frame + cost panel (goal: median <= 25 ms)")
    print(f"  page script only:        {ms(page_times)}")
    print(f"  AppTest round trip:      {ms(round_trips)}")
    runtime.shutdown()


if __name__ == "__main__":
    main()
