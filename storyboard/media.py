"""Checking and normalising a user's first-frame image, and probing / posters for finished videos.

An upload is judged by its content, never its file name. `check_image` returns a `CheckedImage`: the
bytes to send (JPEG, or PNG when the upload was a PNG), what we changed in plain sentences, and, when
the image cannot be used, one sentence saying what is wrong and what to do about it.

Speed and memory (see shared/docs/video-encoding.md §10): the byte size is capped before Pillow sees
the data, decompression bombs are refused from the header, JPEGs are decoded at a reduced DCT scale
(`draft`) sized for the output, and the orientation tag is applied after downscaling, so a 49 MB
8000×6000 baseline photo takes about 0.5 s and 80 MB on top of the upload's bytes (bench/image_check.py).
Progressive JPEGs cost more (about 1 s and 180 MB): libjpeg keeps all their coefficients in memory.

Nothing global is changed (no `Image.MAX_IMAGE_PIXELS`, no warning filters), so checks may run in
Streamlit's script threads at the same time.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from PIL import Image, ImageFilter, ImageOps

from storyboard.catalog import MAX_FILE_NAME_CHARS
from storyboard.layout import DataDir
from storyboard.media_store import media_for
from storyboard.models import FirstFrame, ImageRules

__all__ = [
    "MAX_LONG_SIDE",
    "MAX_PIXELS",
    "CheckedImage",
    "FirstFrame",
    "ImageRules",
    "VideoInfo",
    "check_image",
    "fit_frame",
    "fix_aspect",
    "probe_video",
    "save_first_frame",
    "save_poster",
]

OutputFormat = Literal["JPEG", "PNG"]

MiB = 1024 * 1024
MAX_LONG_SIDE = 2048  # Kling renders at most 1080p, so a bigger first frame only costs upload time
MAX_PIXELS = 50_000_000  # refused from the header; an 8000×6000 (48 MP) camera photo still opens
JPEG_QUALITY = 90
PNG_COMPRESS_LEVEL = 3  # photos saved as PNG: level 6 takes several times longer for ~5% smaller files
ASPECT_TOLERANCE = 1e-6

# Formats we let Pillow try. Anything else (EPS runs Ghostscript, WMF, FITS, ...) is refused unread.
_OPEN_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF", "AVIF", "JPEG2000", "PSD", "PPM")
_FORMAT_LABELS = {
    "JPEG": "JPEG",
    "MPO": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "GIF": "GIF",
    "BMP": "BMP",
    "TIFF": "TIFF",
    "AVIF": "AVIF",
    "JPEG2000": "JPEG 2000",
    "PSD": "Photoshop",
    "PPM": "PPM",
}
_EXTENSIONS = {
    "JPEG": {"jpg", "jpeg", "jpe", "jfif", "pjpeg"},
    "PNG": {"png", "apng"},
    "WEBP": {"webp"},
    "GIF": {"gif"},
    "BMP": {"bmp", "dib"},
    "TIFF": {"tif", "tiff"},
    "AVIF": {"avif"},
    "JPEG2000": {"jp2", "j2k", "jpx", "jpf"},
    "PSD": {"psd"},
    "PPM": {"ppm", "pgm", "pbm", "pnm"},
}
_ANIMATED = {"GIF", "PNG", "WEBP", "AVIF"}  # "first frame"; TIFF has pages; MPO's extra images are previews
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
_VIDEO_BRANDS = {b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"M4V ", b"qt  ", b"3gp4", b"3gp5", b"dash"}
# EXIF orientation → the transpose that turns the stored pixels upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ORIENTATION_TAG = 0x0112
_WIDE_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I", "F"}  # more than 8 bits a channel
_GPS_IFD = 0x8825


@dataclass(frozen=True)
class CheckedImage:
    """The verdict on one upload, and the normalised image when there is one."""

    data: bytes | None  # normalised bytes ready to send; None when unusable
    format: OutputFormat | None
    width: int  # after orientation and downscale (0 when unusable)
    height: int
    notes: tuple[str, ...]  # plain sentences about what we changed
    problem: str | None  # one plain sentence: what is wrong and what to do; None when usable
    aspect_fixable: bool  # True when the only problem is the aspect ratio (offer crop/pad)

    @property
    def ok(self) -> bool:
        return self.problem is None and self.data is not None


@dataclass(frozen=True)
class VideoInfo:
    duration: float  # seconds
    width: int
    height: int
    codec: str  # "h264"
    pix_fmt: str | None  # "yuv420p"
    fps: float
    frames: int
    has_audio: bool
    faststart: bool  # `moov` before `mdat`: plays before it has fully downloaded (False if not MP4/MOV)
    color_primaries: int | None  # ISO/IEC 23091-2 codes: 1 = BT.709, 2 = unspecified
    colorspace: int | None
    color_trc: int | None


# --------------------------------------------------------------------------------------------- images


def check_image(data: bytes, original_name: str, rules: ImageRules) -> CheckedImage:
    """Check an upload by its content and normalise it: upright, at most 2048 px long, no metadata."""
    return _process(data, original_name, rules, None)


def fix_aspect(
    data: bytes, original_name: str, rules: ImageRules, mode: Literal["crop", "pad"]
) -> CheckedImage:
    """Centre-crop, or pad with a soft blurred border, to the nearest allowed aspect ratio, then check.

    An image already inside the allowed range comes back as `check_image` returns it.
    """
    if mode not in ("crop", "pad"):
        raise ValueError(f"mode must be 'crop' or 'pad', not {mode!r}")
    return _process(data, original_name, rules, mode)


def fit_frame(
    path: Path,
    original_name: str,
    rules: ImageRules,
    ratio: float,
    mode: Literal["crop", "pad"],
    focus: tuple[float, float] = (0.5, 0.5),
    bars: Literal["blur", "plain"] = "blur",
) -> CheckedImage:
    """A stored first frame made `ratio` (width / height) wide, then checked like an upload.

    Crop keeps the window of that shape whose centre is nearest `focus` (fractions of the width and
    height); pad centres the whole picture on blurred or plain (black) bars. The stored file is not
    changed: the result is new bytes, for the caller to save.
    """
    if mode not in ("crop", "pad"):
        raise ValueError(f"mode must be 'crop' or 'pad', not {mode!r}")
    with Image.open(path) as opened:
        opened.load()
        out_format: OutputFormat = "PNG" if opened.format == "PNG" else "JPEG"
        im = opened.convert("RGBA" if out_format == "PNG" and "A" in opened.getbands() else "RGB")
    w, h = im.size
    if mode == "crop":
        im, note = _crop_around(im, ratio, focus), f"Cropped to {_ratio_label(ratio)}"
    else:
        size = (w, max(1, round(w / ratio))) if w / h > ratio else (max(1, round(h * ratio)), h)
        im, note = _pad_to_size(im, size, bars), f"Padded to {_ratio_label(ratio)}"
    checked = check_image(_encode(im, out_format), original_name, rules)
    return replace(checked, notes=(f"{note} from the uploaded {w}×{h} px image.", *checked.notes))


def _crop_around(im: Image.Image, ratio: float, focus: tuple[float, float]) -> Image.Image:
    w, h = im.size
    if w / h > ratio:  # too wide: keep full height, slide the window left/right
        new_w = max(1, min(w, round(h * ratio)))
        left = min(max(round(focus[0] * w - new_w / 2), 0), w - new_w)
        return im.crop((left, 0, left + new_w, h))
    new_h = max(1, min(h, round(w / ratio)))
    top = min(max(round(focus[1] * h - new_h / 2), 0), h - new_h)
    return im.crop((0, top, w, top + new_h))


def first_frame_path(digest: str, image_format: str) -> str:
    """Where a first frame is kept, relative to the data dir: named by its content."""
    return DataDir.image(digest, image_format)


def first_frame_details(checked: CheckedImage, original_name: str) -> FirstFrame:
    """What the storyboard keeps about a checked image, before (or without) storing it."""
    if not checked.ok or checked.data is None or checked.format is None:
        raise ValueError(f"cannot save an unusable image: {checked.problem or 'no data'}")
    digest = hashlib.sha256(checked.data).hexdigest()
    return FirstFrame(
        path=first_frame_path(digest, checked.format),
        width=checked.width,
        height=checked.height,
        format=checked.format,
        size_bytes=len(checked.data),
        sha256=digest,
        original_name=_short_file_name(original_name),
        notes=list(checked.notes),
    )


def save_first_frame(checked: CheckedImage, data_dir: Path, original_name: str) -> FirstFrame:
    """Store the normalised bytes content-addressed under images/ in the media store (the data dir, or
    the bucket); the path is relative."""
    frame = first_frame_details(checked, original_name)
    assert checked.data is not None
    kept = media_for(Path(data_dir))
    if kept.size(frame.path) != len(checked.data):
        kept.put_bytes(frame.path, checked.data)
    return frame


def _short_file_name(name: str) -> str:
    """A file name as the model keeps it: one shown to people, so at most the catalog's length; a
    longer one (no common file system makes one) keeps its start and its extension."""
    if len(name) <= MAX_FILE_NAME_CHARS:
        return name
    stem, dot, extension = name.rpartition(".")
    tail = f"…{dot}{extension}" if dot and len(extension) <= 10 else "…"
    return name[: MAX_FILE_NAME_CHARS - len(tail)] + tail


class _Refused(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class _Plan:
    """Sizes for one image: upright full size, and the upright and stored sizes after scaling."""

    width: int
    height: int
    wide: bool
    tall: bool
    fixing: Literal["crop", "pad"] | None
    scaled: tuple[int, int]
    stored_target: tuple[int, int]


def _plan(
    stored: tuple[int, int], orientation: int, rules: ImageRules, fix: Literal["crop", "pad"] | None
) -> _Plan:
    turns = orientation in (5, 6, 7, 8)
    width, height = (stored[1], stored[0]) if turns else stored
    ratio = width / height
    wide = ratio > rules.max_aspect + ASPECT_TOLERANCE
    tall = ratio < rules.min_aspect - ASPECT_TOLERANCE
    fixing = fix if (wide or tall) else None
    # Scale the whole picture so that the final canvas (after any crop or pad) fits MAX_LONG_SIDE.
    if fixing == "crop":
        canvas = (
            (math.floor(height * rules.max_aspect + 1e-9), height)
            if wide
            else (width, math.floor(width / rules.min_aspect + 1e-9))
        )
    elif fixing == "pad":
        canvas = (
            (width, math.ceil(width / rules.max_aspect - 1e-9))
            if wide
            else (math.ceil(height * rules.min_aspect - 1e-9), height)
        )
    else:
        canvas = (width, height)
    scale = min(1.0, MAX_LONG_SIDE / max(canvas))
    scaled = _scaled_size(width, height, scale, rules if fixing is None else None)
    stored_target = (scaled[1], scaled[0]) if turns else scaled
    return _Plan(width, height, wide, tall, fixing, scaled, stored_target)


def _process(
    data: bytes, original_name: str, rules: ImageRules, fix: Literal["crop", "pad"] | None
) -> CheckedImage:
    try:
        return _normalise(data, original_name, rules, fix)
    except _Refused as refused:
        return CheckedImage(None, None, 0, 0, (), refused.problem, False)


def _normalise(
    data: bytes, original_name: str, rules: ImageRules, fix: Literal["crop", "pad"] | None
) -> CheckedImage:
    if len(data) > rules.max_bytes:
        raise _Refused(
            f"This image is {len(data) / MiB:.1f} MB; the limit is {_megabytes(rules.max_bytes)}. "
            "Export a smaller JPEG and upload it again."
        )
    im = _open(data)
    stored = im.size
    if stored[0] * stored[1] > MAX_PIXELS:
        raise _Refused(_too_many_pixels(stored[0] * stored[1], stored))
    if min(stored) < 1:
        raise _Refused(_NOT_AN_IMAGE)

    kind = "JPEG" if im.format == "MPO" else (im.format or "")
    label = _FORMAT_LABELS.get(im.format or "", im.format or "an unknown format")
    out_format: OutputFormat
    if kind == "PNG" and "PNG" in rules.formats:
        out_format = "PNG"
    elif "JPEG" in rules.formats or "PNG" not in rules.formats:
        out_format = "JPEG"
    else:
        out_format = "PNG"
    notes: list[str] = []
    if kind != out_format:
        notes.append(f"Converted from {label} to {out_format}.")
    if _misnamed(kind, original_name):
        notes.append(f"Read as {label}, although the file name ends in .{original_name.rsplit('.', 1)[-1]}.")
    try:
        animated = bool(getattr(im, "is_animated", False))
    except Exception as exc:  # a broken second frame
        raise _Refused(_DAMAGED) from exc
    if animated and kind in _ANIMATED:
        notes.append(f"Used the first frame of the animated {label}.")
    elif animated and kind == "TIFF":
        notes.append("Used the first page of the TIFF.")

    if kind == "JPEG":
        # The orientation is known from the header, so the decode can be sized for the upright output:
        # the DCT-domain downscale (1/2, 1/4 or 1/8) is what keeps a 50 MB photo fast and small.
        orientation = _orientation(im)
        plan = _plan(stored, orientation, rules, fix)
        _refuse_if_small(plan, rules)
        im.draft("RGB", plan.stored_target)
        _load(im)
    else:
        # Too small is known from the header (turning upright swaps the sides, never the shorter one).
        _refuse_if_small(_plan(stored, 1, rules, fix), rules)
        _load(im)  # PNG keeps its eXIf chunk where it likes; read it after decoding
        orientation = _orientation(im)
        plan = _plan(stored, orientation, rules, fix)
    icc = im.info.get("icc_profile")
    if _has_gps(im):
        notes.append("Removed the photo's location (GPS) data.")

    try:
        if im.mode in _WIDE_MODES and im.size != plan.stored_target:
            # 16- and 32-bit pixels are scaled down in their own mode first: converting the full-size
            # picture to 8 bits took 11 bytes a pixel (550 MB for a 0.7 MB 16-bit PNG of 49 MP);
            # now it is the decode (2 or 4 bytes a pixel) and the small picture.
            im = im.resize(plan.stored_target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        im = _resizable(im, notes)
        if im.size != plan.stored_target:
            im = im.resize(plan.stored_target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        if orientation in _UPRIGHT:
            im = im.transpose(_UPRIGHT[orientation])
            notes.append("Turned upright using the photo's orientation tag.")
        im = _to_output_mode(im, icc, notes)
    except Exception as exc:  # an exotic mode Pillow cannot convert
        raise _Refused(_DAMAGED) from exc
    if plan.scaled != (plan.width, plan.height):
        notes.append(f"Scaled down from {plan.width}×{plan.height} to {plan.scaled[0]}×{plan.scaled[1]}.")

    if plan.fixing == "crop":
        im = _crop_to(im, rules, plan.wide)
        notes.append(f"Cropped to {_ratio_label(im.width / im.height)}, keeping the middle.")
    elif plan.fixing == "pad":
        im = _pad_to(im, rules, plan.wide)
        notes.append(f"Added a soft border to make it {_ratio_label(im.width / im.height)}.")

    problem: str | None = None
    out_ratio = im.width / im.height
    if plan.fixing is None and (plan.wide or plan.tall):
        problem = (
            f"This image is {_ratio_label(plan.width / plan.height)} ({plan.width}×{plan.height} px), "
            f"{'wider' if plan.wide else 'taller'} than the allowed {_ratio_label(rules.min_aspect)} to "
            f"{_ratio_label(rules.max_aspect)}. Use Crop or Pad below to fix it."
        )
    elif min(im.size) < rules.min_side:  # only with odd rules: the long-side cap shrank the short side
        raise _Refused(
            f"This image would be {im.width}×{im.height} px once fitted into {MAX_LONG_SIDE} px; it needs at "
            f"least {rules.min_side} px on each side. Crop it closer to square and upload it again."
        )
    elif not (rules.min_aspect - ASPECT_TOLERANCE <= out_ratio <= rules.max_aspect + ASPECT_TOLERANCE):
        raise _Refused(  # cannot happen with sane rules; kept so that a result never passes by mistake
            f"This image is {_ratio_label(out_ratio)}, outside the allowed {_ratio_label(rules.min_aspect)} to "
            f"{_ratio_label(rules.max_aspect)}. Crop it in an editor and upload it again."
        )
    unchanged = not notes and problem is None and kind == out_format and im.size == stored
    return CheckedImage(
        # A file this check could have written itself (an export's own frame, imported again) keeps
        # its bytes: checking it again changes nothing, and a JPEG loses nothing to re-encoding.
        data=data if unchanged and _as_we_write_it(data, out_format) else _encode(im, out_format),
        format=out_format,
        width=im.width,
        height=im.height,
        notes=tuple(notes),
        problem=problem,
        aspect_fixable=problem is not None,
    )


def _load(im: Image.Image) -> None:
    try:
        im.load()
    except Image.DecompressionBombError as exc:
        raise _Refused(_too_many_pixels(im.width * im.height, im.size)) from exc
    except Exception as exc:  # truncated, corrupt, unsupported compression, ...
        raise _Refused(_DAMAGED) from exc


def _refuse_if_small(plan: _Plan, rules: ImageRules) -> None:
    if min(plan.width, plan.height) < rules.min_side:
        raise _Refused(
            f"This image is {plan.width}×{plan.height} px; it needs at least {rules.min_side} px on each side. "
            "Upload a larger image."
        )


_NOT_AN_IMAGE = "This file is not an image we can read. Upload a JPG or PNG."
_DAMAGED = "This image is damaged or incomplete, so it cannot be opened. Save it again as JPG or PNG and upload it again."


def _open(data: bytes) -> Image.Image:
    if not data:
        raise _Refused("This file is empty. Upload a JPG or PNG.")
    try:
        return Image.open(io.BytesIO(data), formats=_open_formats())
    except Image.DecompressionBombError as exc:
        match = re.search(r"\((\d+) pixels\)", str(exc))
        raise _Refused(_too_many_pixels(int(match.group(1)) if match else None, None)) from exc
    except Exception as exc:  # UnidentifiedImageError, or a plugin choking on a damaged header
        raise _Refused(_not_an_image(data)) from exc


def _open_formats() -> tuple[str, ...]:
    Image.init()
    return tuple(f for f in _OPEN_FORMATS if f in Image.OPEN)


def _not_an_image(data: bytes) -> str:
    head = data[:64]
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "This is an HEIC photo, which we cannot read; export it as JPG (on an iPhone: Settings › Camera › Formats › Most Compatible) and upload it again."
    if (head[4:8] == b"ftyp" and head[8:12] in _VIDEO_BRANDS) or head[
        :4
    ] == b"\x1aE\xdf\xa3":  # MP4/MOV, WebM
        return "This file is a video, not a picture. Upload a JPG or PNG, for example a still taken from the video."
    if head.startswith(b"%PDF"):
        return "This file is a PDF, not a picture. Export the page as JPG or PNG and upload that."
    if b"<svg" in data[:1024].lower():
        return "This is an SVG drawing, which we cannot use directly. Export it as PNG and upload that."
    return _NOT_AN_IMAGE


def _too_many_pixels(pixels: int | None, size: tuple[int, int] | None) -> str:
    if pixels is None:
        what = "This picture is"
    elif size is None:
        what = f"This picture is {pixels / 1e6:.0f} megapixels,"
    else:
        what = f"This picture is {size[0]}×{size[1]} px ({pixels / 1e6:.0f} megapixels),"
    return (
        f"{what} too large in pixels to open safely (the limit is {MAX_PIXELS / 1e6:g} megapixels); "
        "export it smaller, for example 4000 px on the long side, and upload it again."
    )


def _megabytes(n: int) -> str:
    return f"{n // MiB} MB" if n % MiB == 0 else f"{n / MiB:.1f} MB"


def _ratio_label(ratio: float) -> str:
    """3:1, 2.5:1, 1:2.5 (tall), 1:1."""
    value = ratio if ratio >= 1 else 1 / ratio
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}:1" if ratio >= 1 else f"1:{text}"


def _misnamed(kind: str, name: str) -> bool:
    if "." not in name:
        return False
    extension = name.rsplit(".", 1)[-1].lower()
    known = set().union(*_EXTENSIONS.values())
    return extension in known and extension not in _EXTENSIONS.get(kind, set())


def _orientation(im: Image.Image) -> int:
    try:
        value = int(im.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:  # a broken EXIF block must not sink an otherwise fine photo
        return 1
    return value if value in _UPRIGHT else 1


def _has_gps(im: Image.Image) -> bool:
    try:
        exif = im.getexif()
        return _GPS_IFD in exif and bool(exif.get_ifd(_GPS_IFD))
    except Exception:
        return False


def _scaled_size(width: int, height: int, scale: float, keep_in: ImageRules | None) -> tuple[int, int]:
    """Round the scaled size; when `keep_in` is given, never let rounding push an allowed ratio out."""
    if scale >= 1.0:
        return width, height
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    if keep_in is not None and keep_in.min_aspect <= width / height <= keep_in.max_aspect:
        if w / h > keep_in.max_aspect:
            h = math.ceil(w / keep_in.max_aspect - 1e-9)
        elif w / h < keep_in.min_aspect:
            w = math.ceil(h * keep_in.min_aspect - 1e-9)
    return w, h


def _band_range(im: Image.Image) -> tuple[float, float]:
    """(lowest, highest) value of a one-band image; Pillow's getextrema() gives a pair per band
    for images with several, which is why its type needs this narrowing."""
    low, high = im.getextrema()
    assert not isinstance(low, tuple) and not isinstance(high, tuple), f"{im.mode} has several bands"
    return low, high


def _resizable(im: Image.Image, notes: list[str]) -> Image.Image:
    """Bring any decoded mode to one LANCZOS can resize: L, LA, RGB, RGBA or CMYK (8 bits per channel)."""
    mode = im.mode
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return im
    if mode.startswith("I;16") or mode == "I":
        notes.append("Reduced from 16-bit to 8-bit colour.")
        im = im.convert("I") if mode != "I" else im
        low, high = _band_range(im)
        top = 65535 if high <= 65535 and low >= 0 else max(high, 1)
        return im.point(lambda v: v * (255 / top) + 0.5).convert("L")  # point() keeps mode I
    if mode == "F":
        low, high = _band_range(im)
        span = (high - low) or 1.0
        return im.point(lambda v: (v - low) * (255 / span)).convert("L")
    if mode == "1":
        return im.convert("L")
    if mode == "P":
        return im.convert("RGBA" if "transparency" in im.info else "RGB")
    if mode in ("PA", "RGBa"):
        return im.convert("RGBA")
    if mode == "La":
        return im.convert("LA")
    return im.convert("RGB")  # RGBX, YCbCr, LAB, HSV, ...


def _to_output_mode(im: Image.Image, icc: bytes | None, notes: list[str]) -> Image.Image:
    """RGB, sRGB, no transparency: what a video's first frame can be."""
    if im.mode == "CMYK":
        notes.append("Converted from print colours (CMYK) to RGB.")
        return _to_srgb(im, icc) or im.convert("RGB")
    if im.mode == "LA":
        im = im.convert("RGBA")
    if im.mode == "RGBA":
        alpha = im.getchannel("A")
        if _band_range(alpha)[0] < 255:
            notes.append("Filled the transparent areas with white, since a video cannot be see-through.")
            background = Image.new("RGB", im.size, (255, 255, 255))
            background.paste(im.convert("RGB"), mask=alpha)
            im = background
        else:
            im = im.convert("RGB")
    if im.mode == "L":
        im = im.convert("RGB")
    return (_to_srgb(im, icc) if icc else None) or im


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image | None:
    """Convert through the embedded colour profile (Display P3, Adobe RGB, CMYK press profiles) to sRGB."""
    if not icc:
        return None
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if im.mode == "RGB" and "srgb" in ImageCms.getProfileDescription(source).lower():
            return None
        converted = ImageCms.profileToProfile(im, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except Exception:  # a broken or mismatched profile: fall back to the plain conversion
        return None
    return converted if isinstance(converted, Image.Image) else None


def _crop_to(im: Image.Image, rules: ImageRules, wide: bool) -> Image.Image:
    w, h = im.size
    if wide:
        new_w = max(1, math.floor(h * rules.max_aspect + 1e-9))
        left = (w - new_w) // 2
        return im.crop((left, 0, left + new_w, h))
    new_h = max(1, math.floor(w / rules.min_aspect + 1e-9))
    top = (h - new_h) // 2
    return im.crop((0, top, w, top + new_h))


def _pad_to(im: Image.Image, rules: ImageRules, wide: bool) -> Image.Image:
    """Centre the picture on a blurred, slightly darkened, stretched copy of itself."""
    w, h = im.size
    size = (
        (w, math.ceil(w / rules.max_aspect - 1e-9)) if wide else (math.ceil(h * rules.min_aspect - 1e-9), h)
    )
    return _pad_to_size(im, size, "blur")


def _pad_to_size(im: Image.Image, size: tuple[int, int], bars: Literal["blur", "plain"]) -> Image.Image:
    """Centre the picture on `size`: a blurred, darkened, stretched copy of itself, or black."""
    w, h = im.size
    if bars == "plain":
        background = Image.new(im.mode, size, (0, 0, 0, 255) if im.mode == "RGBA" else (0, 0, 0))
        background.paste(im, ((size[0] - w) // 2, (size[1] - h) // 2))
        return background
    small = ImageOps.fit(im, (max(1, size[0] // 32), max(1, size[1] // 32)), Image.Resampling.BOX)
    small = small.filter(ImageFilter.GaussianBlur(1.5))
    background = small.resize(size, Image.Resampling.BICUBIC).point(lambda v: int(v * 0.8))
    background.paste(im, ((size[0] - w) // 2, (size[1] - h) // 2))
    return background


def _encode(im: Image.Image, out_format: OutputFormat) -> bytes:
    im.info = {}  # nothing from the original file travels on: no EXIF/GPS, no comments, no profile
    buffer = io.BytesIO()
    if out_format == "JPEG":
        im.save(buffer, "JPEG", quality=JPEG_QUALITY)
    else:
        im.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


_JPEG_OURS = {0xE0, 0xDB, 0xC0, 0xC4, 0xDD}  # APP0 (JFIF), quantisation, baseline frame, Huffman, restart


def _as_we_write_it(data: bytes, out_format: OutputFormat) -> bool:
    """True when the file holds nothing _encode would not write: 8-bit RGB, no metadata, no profile,
    no comment, no extra frame, nothing after its end (a polyglot's second file lives there)."""
    if out_format == "PNG":
        at, chunks = 8, []
        while at + 8 <= len(data):
            length, kind = struct.unpack(">I4s", data[at : at + 8])
            chunks.append((kind, data[at + 8 : at + 8 + length]))
            at += 12 + length
            if kind == b"IEND":
                break
        header = chunks[0][1] if chunks and chunks[0][0] == b"IHDR" else b""
        return (
            at == len(data)
            and {kind for kind, _ in chunks} <= {b"IHDR", b"IDAT", b"IEND"}
            and header[8:10] == b"\x08\x02"  # 8 bits, RGB
        )
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2 : at + 4])[0]
        if marker == 0xDA:  # start of scan: the rest is the picture, ending at EOI
            return data.endswith(b"\xff\xd9") and data.count(b"\xff\xd9", at) == 1
        if marker not in _JPEG_OURS or (marker == 0xE0 and data[at + 4 : at + 9] != b"JFIF\x00"):
            return False
        if marker == 0xC0 and data[at + 9 : at + 10] != b"\x03":  # three components: colour, not grey
            return False
        at += 2 + length
    return False


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------------------------- videos


def probe_video(path: Path) -> VideoInfo:
    """Read a video's metadata (PyAV, no decoding). Raises ValueError when it is not a readable video."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ValueError(f"{path} has no video stream")
            stream = container.streams.video[0]
            cc = stream.codec_context
            if container.duration:
                duration = container.duration / av.time_base
            elif stream.duration and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = 0.0
            fps = float(stream.average_rate or stream.base_rate or 0)
            frames = stream.frames or round(duration * fps)
            info = VideoInfo(
                duration=duration,
                width=cc.width,
                height=cc.height,
                codec=cc.name,
                pix_fmt=cc.pix_fmt,
                fps=fps,
                frames=frames,
                has_audio=bool(container.streams.audio),
                faststart=False,
                color_primaries=getattr(cc, "color_primaries", None),
                colorspace=getattr(cc, "colorspace", None),
                color_trc=getattr(cc, "color_trc", None),
            )
    except ValueError:
        raise
    except Exception as exc:  # av.error.InvalidDataError and friends
        raise ValueError(f"{path} is not a readable video: {exc}") from exc
    if info.width <= 0 or info.height <= 0:
        raise ValueError(f"{path} has a video stream without a picture size")
    order = [kind for kind, _ in _top_level_boxes(Path(path))]
    faststart = "moov" in order and "mdat" in order and order.index("moov") < order.index("mdat")
    return replace(info, faststart=faststart)


def _top_level_boxes(path: Path) -> Iterator[tuple[str, int]]:
    """(type, size) of each top-level ISO-BMFF box, read from the headers only."""
    total = path.stat().st_size
    with path.open("rb") as handle:
        offset = 0
        while offset + 8 <= total:
            handle.seek(offset)
            size, kind = struct.unpack(">I4s", handle.read(8))
            if size == 1:
                size = struct.unpack(">Q", handle.read(8))[0]
            elif size == 0:
                size = total - offset
            if size < 8:
                return  # not ISO-BMFF, or damaged
            yield kind.decode("latin-1"), size
            offset += size


def save_poster(video_path: Path, poster_path: Path, at_seconds: float = 0.5, max_width: int = 480) -> Path:
    """A JPEG thumbnail of the frame at `at_seconds` (the last frame if the video is shorter)."""
    import av

    picture: Image.Image | None = None
    with av.open(str(video_path)) as container:
        stream = container.streams.video[0]
        time_base = stream.time_base
        target = int(at_seconds / time_base) + (stream.start_time or 0) if time_base else 0
        if target > 0:
            try:
                container.seek(target, stream=stream)  # lands on the keyframe at or before the target
            except av.error.FFmpegError:
                container.seek(0)
        last = None
        for frame in container.decode(stream):
            last = frame
            if frame.pts is None or frame.pts >= target:
                break
        if last is None and target > 0:  # seeking past the end of a short clip: start over
            container.seek(0)
            for frame in container.decode(stream):
                last = frame
                break
        if last is not None:
            picture = last.to_image()
    if picture is None:
        raise ValueError(f"{video_path} has no frames to make a poster from")
    return _save_thumbnail(picture, Path(poster_path), max_width)


def thumbnail(image_path: Path, max_width: int = 480) -> Path:
    """A small JPEG beside an image (`<name>.thumb.jpg`), made once, for cheap display on every rerun."""
    target = image_path.with_name(f"{image_path.stem}.thumb.jpg")
    if not target.exists():
        with Image.open(image_path) as picture:
            picture.draft("RGB", (max_width, max_width))
            _save_thumbnail(picture, target, max_width)
    return target


def _save_thumbnail(picture: Image.Image, target: Path, max_width: int) -> Path:
    if picture.width > max_width:
        height = max(1, round(picture.height * max_width / picture.width))
        picture = picture.resize((max_width, height), Image.Resampling.LANCZOS, reducing_gap=2.0)
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, "JPEG", quality=85)
    _write_atomic(target, buffer.getvalue())
    return target
