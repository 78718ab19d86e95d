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
import sys
import tempfile
from pathlib import Path

from bench.page_timing import ms, page_times, round_trips

ROOT = Path(__file__).resolve().parent.parent
RUNS = 40


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    scratch = Path(tempfile.mkdtemp(prefix="bench-editor-"))
    os.environ["STORYBOARD_DATA_DIR"] = str(scratch / "data")

    from PIL import Image
    from streamlit.testing.v1 import AppTest

    from components import runtime
    from components.runtime import STORYBOARD

    with page_times() as times:
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
        times.clear()
        trips = round_trips(at, RUNS)

    print("editor rerun, 6 shots + first frame + cost panel (goal: median <= 25 ms)")
    print(f"  page script only:        {ms(times)}")
    print(f"  AppTest round trip:      {ms(trips)}")
    runtime.shutdown()


if __name__ == "__main__":
    main()
