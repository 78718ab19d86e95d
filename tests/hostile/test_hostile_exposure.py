"""How the app is served: `make run` listens on loopback unless told otherwise, the upload limit is
what the app accepts (from the catalog), and `streamlit run serve.py` serves an st.App (so the job
runner starts with the server)."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from streamlit.web.server.app_discovery import discover_asgi_app

from storyboard.catalog import TURBO_IMAGE_RULES
from storyboard.exports import MAX_IMPORT_MB

ROOT = Path(__file__).resolve().parents[2]


def _run_command(*args: str) -> str:
    """What `make run` would execute (dry run: nothing is started or installed)."""
    out = subprocess.run(["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    (line,) = [line for line in out.stdout.splitlines() if " run serve.py " in line]
    return line


def test_the_upload_limit_is_the_largest_file_the_app_accepts() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    image_mb = TURBO_IMAGE_RULES.max_bytes // 2**20
    assert config["server"]["maxUploadSize"] == max(image_mb, MAX_IMPORT_MB)


def test_make_run_listens_on_loopback_unless_a_host_is_given() -> None:
    assert "--server.address 127.0.0.1 " in _run_command()
    assert "--server.address 0.0.0.0 " in _run_command("HOST=0.0.0.0")


def test_streamlit_run_serves_an_app_with_its_lifespan() -> None:
    found = discover_asgi_app(ROOT / "serve.py")
    assert found.is_asgi_app and found.import_string == "serve:app"
