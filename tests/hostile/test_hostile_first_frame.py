"""Issue 10 items 4 and 10: an imported first frame meets exactly the checks an uploaded one does, and a
16-bit PNG is checked in bounded memory.

An imported frame used to be stored as the file gave it: its GPS block went to the provider, it was not
turned upright, and CMYK, 16-bit, animated or polyglot files were kept and sent as they were. Now the
file's details only tell a damaged copy from a good one; the image goes through media.check_image with
the upload's rules, and what is stored is what an upload of the same picture stores.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from storyboard import exports, media
from storyboard.catalog import first_frame_rules
from storyboard.models import ModelId, ProviderId, Shot, Storyboard

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = ProviderId.FAL


def _photo(size: tuple[int, int] = (800, 600), mode: str = "RGB") -> Image.Image:
    im = Image.new("RGB", size, (40, 120, 200))
    ImageDraw.Draw(im).rectangle((0, 0, size[0] // 5, size[1] // 5), fill=(255, 0, 0))
    return im.convert(mode)


def _encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **params)
    return buffer.getvalue()


def _geotagged_sideways() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: turn 90° to be upright
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 0.0)}
    return _encode(_photo(), "JPEG", exif=exif.tobytes())


def _cmyk() -> bytes:
    return _encode(_photo(mode="CMYK"), "JPEG", quality=95)


def _sixteen_bit() -> bytes:
    return _encode(_photo().convert("L").convert("I").point(lambda v: v * 257).convert("I;16"), "PNG")


def _animated() -> bytes:
    frames = [_photo(), _photo().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    return _encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100)


def _polyglot() -> bytes:
    return _encode(_photo(), "PNG") + b"PK\x03\x04 a zip archive riding after IEND"


HOSTILE: dict[str, Callable[[], bytes]] = {
    "geotagged and sideways JPEG": _geotagged_sideways,
    "CMYK JPEG": _cmyk,
    "16-bit PNG": _sixteen_bit,
    "animated PNG": _animated,
    "PNG with a zip after its end": _polyglot,
}
NAME = "upload.img"


def _file_with_frame(data: bytes) -> str:
    """A storyboard file whose embedded first frame is `data`, its details consistent (not damaged)."""
    with Image.open(io.BytesIO(data)) as im:
        size, fmt = im.size, im.format
    sb = Storyboard(shots=[Shot(prompt="Waves", duration=5)], model=ModelId.TURBO_PRO_I2V, provider=PROVIDER)
    document = json.loads(exports.export_storyboard(sb, Path("/nonexistent")))
    document["storyboard"]["first_frame"] = {
        "width": size[0],
        "height": size[1],
        "format": fmt,
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "original_name": NAME,
        "notes": [],
        "image_base64": base64.b64encode(data).decode(),
    }
    return json.dumps(document)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_an_imported_first_frame_is_stored_as_the_same_upload_would_be(case: str, tmp_path: Path) -> None:
    data = HOSTILE[case]()
    imported = exports.import_storyboard(_file_with_frame(data), tmp_path / "imported")
    uploaded = media.save_first_frame(
        media.check_image(data, NAME, first_frame_rules(PROVIDER)), tmp_path / "uploaded", NAME
    )
    frame = imported.storyboard.first_frame
    assert frame == uploaded
    stored = (tmp_path / "imported" / frame.path).read_bytes()
    assert stored == (tmp_path / "uploaded" / uploaded.path).read_bytes()
    assert stored != data  # each of these files needed changing
    with Image.open(io.BytesIO(stored)) as out:
        assert out.mode == "RGB" and not getattr(out, "is_animated", False)
        assert len(out.getexif()) == 0
    assert b"PK\x03\x04" not in stored and b"acTL" not in stored


def test_the_sideways_geotagged_frame_is_upright_and_has_no_location(tmp_path: Path) -> None:
    imported = exports.import_storyboard(_file_with_frame(_geotagged_sideways()), tmp_path)
    frame = imported.storyboard.first_frame
    assert frame is not None and (frame.width, frame.height) == (600, 800)
    assert "Removed the photo's location (GPS) data." in frame.notes
    assert "Turned upright using the photo's orientation tag." in frame.notes


def test_an_imported_frame_an_upload_would_refuse_is_left_out_with_its_reason(tmp_path: Path) -> None:
    data = _encode(_photo((200, 150)), "JPEG")  # smaller than any provider takes
    imported = exports.import_storyboard(_file_with_frame(data), tmp_path)
    assert imported.storyboard.first_frame is None
    problem = media.check_image(data, NAME, first_frame_rules(PROVIDER)).problem
    assert imported.notes == [f"The first frame ({NAME}) was left out: {problem} Add it in the editor."]
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_an_export_s_own_frame_comes_back_byte_for_byte(tmp_path: Path) -> None:
    """Checking an image the check wrote changes nothing: a round trip loses nothing to re-encoding."""
    checked = media.check_image(_cmyk(), NAME, first_frame_rules(PROVIDER))
    assert checked.data is not None
    again = media.check_image(checked.data, NAME, first_frame_rules(PROVIDER))
    assert again.data == checked.data and again.notes == ()


# ---- item 10: a 16-bit PNG in bounded memory ---------------------------------------------------------

# The peak resident memory of a fresh process (VmHWM: ru_maxrss would carry pytest's own peak over exec).
_MEASURE = """
import re, sys
from storyboard import media
from storyboard.catalog import TURBO_IMAGE_RULES

def peak_mb():
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) // 1024

data = open(sys.argv[1], "rb").read()
before = peak_mb()
checked = media.check_image(data, "deep.png", TURBO_IMAGE_RULES)
assert checked.ok, checked.problem
print(peak_mb() - before)
"""


def test_a_small_16_bit_png_of_49_megapixels_is_checked_in_bounded_memory(tmp_path: Path) -> None:
    """0.1 MB on disk, 98 MB decoded: converting it at full size to 8 bits took 520 MB more."""
    path = tmp_path / "deep.png"
    gradient = Image.linear_gradient("L").resize((7000, 7000)).convert("I").point(lambda v: v * 257)
    gradient.convert("I;16").save(path)
    del gradient
    assert path.stat().st_size < 1_000_000
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr
    grown_mb = int(done.stdout.strip())
    decoded_mb = 7000 * 7000 * 2 // 2**20
    assert grown_mb < 2 * decoded_mb, f"{grown_mb} MB to check a {decoded_mb} MB 16-bit picture"
