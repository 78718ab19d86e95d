"""First-frame checks as the user meets them, and video probe/poster helpers.

Every picture and video is made here with Pillow / PyAV; no binary fixtures.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFile
from samples import write_mp4

from storyboard import media
from storyboard.catalog import TURBO_IMAGE_RULES
from storyboard.models import FirstFrame

RULES = TURBO_IMAGE_RULES
MiB = 1024 * 1024


# ------------------------------------------------------------------------------------------- helpers


def encode(im: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **params)
    return buffer.getvalue()


def photo(size: tuple[int, int] = (800, 600), color: tuple[int, int, int] = (40, 120, 200)) -> Image.Image:
    """A plain picture with a red block in the top-left corner, to see where pixels end up."""
    im = Image.new("RGB", size, color)
    ImageDraw.Draw(im).rectangle((0, 0, size[0] // 5, size[1] // 5), fill=(255, 0, 0))
    return im


def noisy(size: tuple[int, int]) -> Image.Image:
    return Image.merge("RGB", [Image.effect_noise(size, 60) for _ in range(3)])


def reopen(checked: media.CheckedImage) -> Image.Image:
    assert checked.data is not None
    im = Image.open(io.BytesIO(checked.data))
    im.load()
    return im


def png_bomb(width: int, height: int) -> bytes:
    """A valid all-black greyscale PNG whose pixels would fill width×height bytes: zlib, streamed."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    compressor = zlib.compressobj(9)
    rows = 64
    block = bytes((width + 1) * rows)  # filter byte 0 + a row of zeros, `rows` rows at a time
    idat = [compressor.compress(block) for _ in range(height // rows)]
    idat.append(compressor.compress(bytes((width + 1) * (height % rows))))
    idat.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(idat)) + chunk(b"IEND", b"")
    )


def assert_usable(checked: media.CheckedImage) -> None:
    assert checked.ok, checked.problem
    assert checked.problem is None
    assert not checked.aspect_fixable
    assert checked.data is not None
    im = reopen(checked)
    assert im.format == checked.format
    assert im.size == (checked.width, checked.height)
    assert im.mode == "RGB"
    assert min(im.size) >= RULES.min_side
    assert max(im.size) <= media.MAX_LONG_SIDE
    assert RULES.min_aspect - 1e-6 <= im.width / im.height <= RULES.max_aspect + 1e-6


def assert_refused(checked: media.CheckedImage) -> str:
    assert not checked.ok
    assert checked.data is None and checked.format is None
    assert (checked.width, checked.height) == (0, 0)
    assert not checked.aspect_fixable
    assert checked.problem is not None
    assert checked.problem.endswith(".") and checked.problem[0].isupper()
    return checked.problem


# ---------------------------------------------------------------------------------- formats by content


def test_plain_jpeg_is_used_as_jpeg_without_notes() -> None:
    checked = media.check_image(encode(photo()), "photo.jpg", RULES)
    assert_usable(checked)
    assert (checked.format, checked.width, checked.height) == ("JPEG", 800, 600)
    assert checked.notes == ()


def test_png_named_jpg_is_read_as_png_and_stays_png() -> None:
    checked = media.check_image(encode(photo(), "PNG"), "holiday.jpg", RULES)
    assert_usable(checked)
    assert checked.format == "PNG"
    assert checked.data is not None and checked.data.startswith(b"\x89PNG")
    assert "Read as PNG, although the file name ends in .jpg." in checked.notes


def test_text_file_named_png_is_refused_as_not_an_image() -> None:
    data = b"Shopping list\n- eggs\n- flour\n" * 20
    problem = assert_refused(media.check_image(data, "picture.png", RULES))
    assert problem == "This file is not an image we can read. Upload a JPG or PNG."


def test_empty_file_is_refused() -> None:
    problem = assert_refused(media.check_image(b"", "empty.jpg", RULES))
    assert "empty" in problem and "Upload a JPG or PNG" in problem


def test_heic_photo_gets_its_own_advice() -> None:
    data = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200)
    problem = assert_refused(media.check_image(data, "IMG_0001.HEIC", RULES))
    assert "HEIC" in problem and "JPG" in problem


def test_webp_is_converted_to_jpeg_with_a_note() -> None:
    checked = media.check_image(encode(photo(), "WEBP", quality=90), "still.webp", RULES)
    assert_usable(checked)
    assert checked.format == "JPEG"
    assert "Converted from WebP to JPEG." in checked.notes


def test_animated_gif_uses_the_first_frame_as_jpeg() -> None:
    frames = [Image.new("RGB", (400, 300), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    checked = media.check_image(data, "loop.gif", RULES)
    assert_usable(checked)
    assert checked.format == "JPEG"
    assert "Converted from GIF to JPEG." in checked.notes
    assert "Used the first frame of the animated GIF." in checked.notes
    r, g, b = reopen(checked).getpixel((200, 150))
    assert r > 240 and g < 20 and b < 20  # red: the first frame, not green or blue


def test_cmyk_jpeg_becomes_rgb_jpeg() -> None:
    data = encode(Image.new("CMYK", (400, 400), (0, 255, 255, 0)), "JPEG", quality=95)
    checked = media.check_image(data, "print.jpg", RULES)
    assert_usable(checked)
    assert checked.format == "JPEG"
    assert any("CMYK" in note for note in checked.notes)
    r, g, b = reopen(checked).getpixel((200, 200))
    assert r > 220 and g < 40 and b < 40


def test_16_bit_png_becomes_an_8_bit_png() -> None:
    width, height = 400, 300
    row = struct.pack(f"<{width}H", *(x * 65535 // (width - 1) for x in range(width)))
    im = Image.frombytes("I;16", (width, height), row * height)
    data = encode(im, "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")  # really 16-bit on disk
    checked = media.check_image(data, "scan.png", RULES)
    assert_usable(checked)
    assert checked.format == "PNG"
    assert "Reduced from 16-bit to 8-bit colour." in checked.notes
    out = reopen(checked)
    assert out.getpixel((0, 0)) == (0, 0, 0)
    assert out.getpixel((width - 1, 0)) == (255, 255, 255)
    assert 120 <= out.getpixel((width // 2, 0))[0] <= 135  # scaled, not clipped at 255


def test_transparent_png_is_flattened_onto_white() -> None:
    im = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(im).ellipse((100, 100, 300, 300), fill=(0, 0, 255, 255))
    checked = media.check_image(encode(im, "PNG"), "logo.png", RULES)
    assert_usable(checked)
    assert checked.format == "PNG"
    assert any("transparent" in note for note in checked.notes)
    out = reopen(checked)
    assert out.getpixel((5, 5)) == (255, 255, 255)
    assert out.getpixel((200, 200)) == (0, 0, 255)


def test_opaque_rgba_png_needs_no_note() -> None:
    checked = media.check_image(encode(photo().convert("RGBA"), "PNG"), "flat.png", RULES)
    assert_usable(checked)
    assert checked.notes == ()


# ------------------------------------------------------------------------------- orientation, privacy


def test_exif_orientation_6_is_turned_upright() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown rotated 90° clockwise
    data = encode(photo((600, 400)), "JPEG", quality=95, exif=exif.tobytes())
    checked = media.check_image(data, "phone.jpg", RULES)
    assert_usable(checked)
    assert (checked.width, checked.height) == (400, 600)
    assert "Turned upright using the photo's orientation tag." in checked.notes
    out = reopen(checked)
    assert out.getpixel((395, 5))[0] > 200 and out.getpixel((395, 5))[2] < 60  # stored top-left → top-right
    assert out.getpixel((5, 5))[2] > 150  # top-left is now background
    assert 0x0112 not in out.getexif()  # no tag left to turn it a second time


def test_gps_and_other_exif_are_stripped() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 0.0)}
    data = encode(photo(), "JPEG", exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the upload really has a location
    checked = media.check_image(data, "geo.jpg", RULES)
    assert_usable(checked)
    assert "Removed the photo's location (GPS) data." in checked.notes
    out = reopen(checked)
    assert len(out.getexif()) == 0
    assert checked.data is not None
    assert b"Exif" not in checked.data and b"PhoneMaker" not in checked.data


def test_big_photo_is_scaled_down_to_2048_on_the_long_side() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(photo((4000, 3000)), "JPEG", quality=90, exif=exif.tobytes())
    checked = media.check_image(data, "big.jpg", RULES)
    assert_usable(checked)
    assert (checked.width, checked.height) == (1536, 2048)
    assert "Scaled down from 3000×4000 to 1536×2048." in checked.notes


def test_png_downscale_note_names_both_sizes() -> None:
    checked = media.check_image(encode(photo((3000, 2000)), "PNG", compress_level=1), "wide.png", RULES)
    assert_usable(checked)
    assert (checked.format, checked.width, checked.height) == ("PNG", 2048, 1365)
    assert "Scaled down from 3000×2000 to 2048×1365." in checked.notes


def test_downscale_rounding_never_pushes_an_allowed_ratio_out() -> None:
    checked = media.check_image(encode(photo((2500, 1000))), "exact.jpg", RULES)  # exactly 2.5:1
    assert_usable(checked)
    assert checked.width == 2048


# ------------------------------------------------------------------------------------------- refusals


def test_too_small_names_the_size_and_the_minimum() -> None:
    problem = assert_refused(media.check_image(encode(photo((299, 400))), "tiny.jpg", RULES))
    assert problem == (
        "This image is 299×400 px; it needs at least 300 px on each side. Upload a larger image."
    )


def test_300_px_is_enough() -> None:
    assert_usable(media.check_image(encode(photo((300, 400))), "ok.jpg", RULES))


def test_51_mb_is_refused_by_size_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    small = encode(photo())
    data = small + bytes(51 * MiB - len(small))  # a valid JPEG with junk after its end marker

    def no_decoding(*args: object, **kwargs: object) -> Image.Image:
        raise AssertionError("Pillow must not see an oversized upload")

    monkeypatch.setattr(Image, "open", no_decoding)
    problem = assert_refused(media.check_image(data, "huge.jpg", RULES))
    assert problem == "This image is 51.0 MB; the limit is 50 MB. Export a smaller JPEG and upload it again."


def test_exactly_the_limit_is_not_refused_for_size() -> None:
    small = encode(photo())
    checked = media.check_image(small + bytes(RULES.max_bytes - len(small)), "limit.jpg", RULES)
    assert_usable(checked)


def test_truncated_jpeg_is_refused() -> None:
    data = encode(noisy((800, 600)), "JPEG", quality=90)
    problem = assert_refused(media.check_image(data[: len(data) // 2], "cut.jpg", RULES))
    assert "damaged or incomplete" in problem and "upload it again" in problem


def test_truncated_png_is_refused() -> None:
    data = encode(noisy((800, 600)), "PNG")
    problem = assert_refused(media.check_image(data[: len(data) // 2], "cut.png", RULES))
    assert "damaged or incomplete" in problem


def no_pixels_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, decoding any image's pixels fails the test: only its header may be read."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the pixels must not be decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def test_decompression_bomb_is_refused_quickly_from_the_header(monkeypatch: pytest.MonkeyPatch) -> None:
    data = png_bomb(20000, 20000)  # 400 megapixels in about 400 kB
    assert len(data) < 2 * MiB
    limit_before = Image.MAX_IMAGE_PIXELS
    no_pixels_decoded(monkeypatch)
    problem = assert_refused(media.check_image(data, "bomb.png", RULES))
    assert "400 megapixels" in problem and "too large in pixels" in problem
    assert "export it smaller" in problem
    assert limit_before == Image.MAX_IMAGE_PIXELS  # nothing global was changed


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_picture_over_our_pixel_limit_but_under_pillows_is_refused_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = png_bomb(10000, 10000)  # 100 MP: Pillow only warns; our 50 MP limit refuses it unread
    no_pixels_decoded(monkeypatch)
    problem = assert_refused(media.check_image(data, "big.png", RULES))
    assert "10000×10000 px (100 megapixels)" in problem and "too large in pixels" in problem


# ---------------------------------------------------------------------------------- aspect and fixing


def test_3_to_1_is_fixable_and_crop_and_pad_both_give_2_5_to_1() -> None:
    data = encode(photo((1200, 400)))
    checked = media.check_image(data, "banner.jpg", RULES)
    assert not checked.ok and checked.aspect_fixable
    assert checked.problem == (
        "This image is 3:1 (1200×400 px), wider than the allowed 1:2.5 to 2.5:1. Use Crop or Pad below to fix it."
    )
    assert checked.data is not None and (checked.width, checked.height) == (1200, 400)  # for the preview

    cropped = media.fix_aspect(data, "banner.jpg", RULES, "crop")
    assert_usable(cropped)
    assert (cropped.width, cropped.height) == (1000, 400)
    assert "Cropped to 2.5:1, keeping the middle." in cropped.notes

    padded = media.fix_aspect(data, "banner.jpg", RULES, "pad")
    assert_usable(padded)
    assert (padded.width, padded.height) == (1200, 480)
    assert "Added a soft border to make it 2.5:1." in padded.notes
    out = reopen(padded)
    assert out.getpixel((1199, 240))[2] > 150  # the picture itself is untouched in the middle band
    assert out.getpixel((600, 5)) != out.getpixel((600, 240))  # and the border is not the picture


def test_1_to_3_is_fixable_to_1_to_2_5() -> None:
    data = encode(photo((400, 1200)), "PNG")
    checked = media.check_image(data, "tower.png", RULES)
    assert not checked.ok and checked.aspect_fixable
    assert checked.problem is not None
    assert "1:3 (400×1200 px), taller than the allowed 1:2.5 to 2.5:1" in checked.problem
    assert "Use Crop or Pad below to fix it." in checked.problem

    cropped = media.fix_aspect(data, "tower.png", RULES, "crop")
    assert_usable(cropped)
    assert (cropped.format, cropped.width, cropped.height) == ("PNG", 400, 1000)
    padded = media.fix_aspect(data, "tower.png", RULES, "pad")
    assert_usable(padded)
    assert (padded.format, padded.width, padded.height) == ("PNG", 480, 1200)


def test_fixing_a_big_rotated_panorama_keeps_full_resolution_and_fits_2048() -> None:
    exif = Image.Exif()
    exif[0x0112] = 8
    data = encode(photo((1000, 5000)), "JPEG", exif=exif.tobytes())  # upright: 5000×1000, 5:1
    checked = media.check_image(data, "pano.jpg", RULES)
    assert checked.aspect_fixable and checked.problem is not None and "5:1 (5000×1000 px)" in checked.problem
    cropped = media.fix_aspect(data, "pano.jpg", RULES, "crop")
    assert_usable(cropped)
    # Cropped at full size (2500×1000) and scaled by the same factor: 819 px high, and 2047 px wide
    # because 2048×819 would be 2.5006:1, just over the limit.
    assert (cropped.width, cropped.height) == (2047, 819)
    padded = media.fix_aspect(data, "pano.jpg", RULES, "pad")
    assert_usable(padded)
    assert (padded.width, padded.height) == (2048, 820)


def test_fix_aspect_leaves_an_allowed_image_alone() -> None:
    data = encode(photo())
    assert media.fix_aspect(data, "p.jpg", RULES, "crop") == media.check_image(data, "p.jpg", RULES)


def test_too_small_and_too_wide_is_not_offered_a_fix() -> None:
    checked = media.check_image(encode(photo((1000, 200))), "strip.jpg", RULES)
    assert_refused(checked)
    assert "1000×200 px" in (checked.problem or "")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(width=st.integers(300, 3200), height=st.integers(300, 3200), orientation=st.sampled_from([1, 6]))
def test_any_size_either_passes_or_both_fixes_pass(width: int, height: int, orientation: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(Image.new("RGB", (width, height), (90, 90, 90)), "JPEG", quality=70, exif=exif.tobytes())
    checked = media.check_image(data, "any.jpg", RULES)
    if checked.ok:
        assert_usable(checked)
        return
    assert checked.aspect_fixable
    for mode in ("crop", "pad"):
        assert_usable(media.fix_aspect(data, "any.jpg", RULES, mode))


# ------------------------------------------------------------------------------------------- storing


def test_save_first_frame_is_content_addressed_relative_and_idempotent(tmp_path: Path) -> None:
    checked = media.check_image(encode(photo()), "Holiday.JPG", RULES)
    frame = media.save_first_frame(checked, tmp_path, "Holiday.JPG")
    assert isinstance(frame, FirstFrame)
    assert frame.path == f"images/{frame.sha256}.jpg"
    assert not Path(frame.path).is_absolute()
    stored = tmp_path / frame.path
    assert stored.read_bytes() == checked.data
    assert (frame.width, frame.height, frame.format) == (800, 600, "JPEG")
    assert frame.size_bytes == len(checked.data or b"")
    assert frame.original_name == "Holiday.JPG"
    assert frame.notes == list(checked.notes)

    mtime = stored.stat().st_mtime_ns
    again = media.save_first_frame(checked, tmp_path, "Holiday.JPG")
    assert again == frame
    assert stored.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == [stored.name]  # no temp files left

    png = media.save_first_frame(media.check_image(encode(photo(), "PNG"), "p.png", RULES), tmp_path, "p.png")
    assert png.path.endswith(".png") and png.path != frame.path


def test_save_first_frame_refuses_an_unusable_image(tmp_path: Path) -> None:
    checked = media.check_image(b"not an image", "x.png", RULES)
    with pytest.raises(ValueError):
        media.save_first_frame(checked, tmp_path, "x.png")
    assert not (tmp_path / "images").exists()


# -------------------------------------------------------------------------------------------- videos


def test_probe_video_reads_duration_frames_codec_and_faststart(tmp_path: Path) -> None:
    info = media.probe_video(write_mp4(tmp_path / "clip.mp4"))
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert info.frames == 48
    assert info.fps == pytest.approx(24.0)
    assert (info.codec, info.pix_fmt, info.width, info.height) == ("h264", "yuv420p", 64, 64)
    assert info.has_audio is False
    assert info.faststart is True
    assert info.color_primaries == 2  # untagged: "unspecified"


def test_probe_video_sees_moov_after_mdat(tmp_path: Path) -> None:
    assert media.probe_video(write_mp4(tmp_path / "slow.mp4", faststart=False)).faststart is False


def test_probe_video_works_on_a_part_file(tmp_path: Path) -> None:
    part = tmp_path / "job.mp4.part"
    write_mp4(tmp_path / "job.mp4").rename(part)
    assert media.probe_video(part).frames == 48


def test_probe_video_refuses_what_is_not_a_video(tmp_path: Path) -> None:
    page = tmp_path / "error.mp4"
    page.write_text("<html>502 Bad Gateway</html>")
    with pytest.raises(ValueError):
        media.probe_video(page)


def test_save_poster_writes_a_small_jpeg_of_the_right_moment(tmp_path: Path) -> None:
    video = write_mp4(tmp_path / "clip.mp4", size=(640, 360))
    poster = media.save_poster(video, tmp_path / "posters" / "clip.jpg", at_seconds=0.5, max_width=160)
    assert poster == tmp_path / "posters" / "clip.jpg"
    im = Image.open(poster)
    assert im.format == "JPEG"
    assert im.size == (160, 90)
    red = im.convert("RGB").getpixel((80, 45))[0]
    assert abs(red - 60) <= 12  # frame 12 (0.5 s at 24 fps) has red 60
    assert [p.name for p in poster.parent.iterdir()] == ["clip.jpg"]


def test_save_poster_defaults_and_a_moment_past_the_end(tmp_path: Path) -> None:
    video = write_mp4(tmp_path / "clip.mp4", frames=12)  # 0.5 s long
    poster = media.save_poster(video, tmp_path / "a.jpg")
    assert Image.open(poster).width <= 480
    late = media.save_poster(video, tmp_path / "late.jpg", at_seconds=10.0)
    assert Image.open(late).size == (64, 64)


def test_a_thumbnail_is_made_once_and_is_small(tmp_path: Path) -> None:
    source = tmp_path / "frame.jpg"
    Image.radial_gradient("L").resize((2048, 1152)).convert("RGB").save(source, "JPEG")
    thumb = media.thumbnail(source, max_width=480)
    with Image.open(thumb) as im:
        assert im.width == 480 and im.height == 270
    made = thumb.stat().st_mtime_ns
    assert media.thumbnail(source, max_width=480) == thumb
    assert thumb.stat().st_mtime_ns == made
