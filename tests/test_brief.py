"""The one-page brief: read back from its pixels (panels, pictures) and its PDF structure."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from brief_panels import colour_at, count_panels, near, page_of, panel_boxes, pdf_text
from PIL import Image
from samples import write_mp4

from storyboard.brief import (
    PAGE_SIZE,
    brief_pdf,
    brief_png,
    facts,
    file_stem,
    heading,
    latest_take,
    panel_layout,
    sent_options,
    take_of,
)
from storyboard.catalog import EDITOR_LIMITS, OFFERS, PROVIDERS, offer
from storyboard.compile import compile_request
from storyboard.media_store import media_for
from storyboard.models import (
    FirstFrame,
    Job,
    JobState,
    ModelId,
    Options,
    ProviderId,
    Shot,
    Storyboard,
    format_usd,
    utcnow,
)
from storyboard.pricing import quote

PLACEHOLDER = (226, 228, 233)
LONGEST = "A glass bottle rolls over wet sand as the tide comes in, foam catching the low sun. " * 7


def board(durations: list[int], **fields: object) -> Storyboard:
    prompts = [LONGEST[: EDITOR_LIMITS.max_shot_prompt_chars]] * len(durations)
    return Storyboard(
        shots=[Shot(prompt=p, duration=d) for p, d in zip(prompts, durations, strict=True)], **fields
    )


def price(sb: Storyboard):  # noqa: ANN201
    return quote(sb, offer(sb.provider, sb.model))


def take(sb: Storyboard, video: str | None = None, state: JobState = JobState.DONE) -> Job:
    return Job(
        storyboard=sb, provider=sb.provider, model=sb.model, quote=price(sb), state=state, video_path=video
    )


def picture_corner(panel: tuple[int, int, int, int], count: int, aspect: float) -> tuple[int, int]:
    """A spot just inside the picture of the panel at `panel` (found on the page)."""
    layout = panel_layout(count, aspect)
    (match,) = [p for p in layout if p.box == panel]
    return match.picture[0] + 8, match.picture[1] + 8


# --- panels ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", range(1, 7))
def test_one_panel_per_shot_even_with_the_longest_prompts(count: int) -> None:
    sb = board([2] * count)
    png = brief_png(sb, price(sb))
    image = page_of(png)
    assert image.size == PAGE_SIZE
    assert count_panels(png) == count
    boxes = panel_boxes(image)
    assert boxes == [
        p.box for p in panel_layout(count, 16 / 9)
    ]  # where the layout put them, in reading order


def test_each_panel_shows_the_takes_video_at_that_shots_start(data_dir: Path, media_in: str) -> None:
    # frame i of the sample video is (5·i, 100, 100) at 24 fps: shot starts 0, 1 and 2 s are frames 0 and 24,
    # and 2 s is past the end of this 2 s clip, which shows its last frame (47).
    with media_for(data_dir).saving("videos/take.mp4") as part:  # in the data dir, or the bucket
        write_mp4(part, frames=48)
    sb = board([1, 1, 1])
    png = brief_png(sb, price(sb), job=take(sb, "videos/take.mp4"), data_dir=data_dir)
    image = page_of(png)
    boxes = panel_boxes(image)
    assert len(boxes) == 3
    reds = [colour_at(image, *picture_corner(box, 3, 1.0))[0] for box in boxes]
    for red, frame in zip(reds, (0, 24, 47), strict=True):
        assert abs(red - 5 * frame) <= 12, reds


def test_without_a_take_shot_one_shows_the_first_frame_and_the_others_a_placeholder(data_dir: Path) -> None:
    (data_dir / "images").mkdir(parents=True)
    Image.new("RGB", (640, 360), (200, 40, 40)).save(data_dir / "images" / "frame.jpg", quality=95)
    frame = FirstFrame(
        path="images/frame.jpg", width=640, height=360, format="JPEG", size_bytes=1, sha256="x"
    )
    sb = board([3, 3], model=ModelId.TURBO_PRO_I2V, first_frame=frame)
    image = page_of(brief_png(sb, price(sb), data_dir=data_dir))
    first, second = panel_boxes(image)
    assert near(colour_at(image, *picture_corner(first, 2, 16 / 9)), (200, 40, 40))
    assert near(colour_at(image, *picture_corner(second, 2, 16 / 9)), PLACEHOLDER, tolerance=2)


def test_a_take_whose_video_is_gone_still_makes_a_brief_with_placeholders(data_dir: Path, media_in: str) -> None:
    sb = board([3, 3])
    job = take(sb, "videos/gone.mp4")
    image = page_of(brief_png(sb, price(sb), job=job, data_dir=data_dir))
    assert all(
        near(colour_at(image, *picture_corner(box, 2, 16 / 9)), PLACEHOLDER, 2) for box in panel_boxes(image)
    )
    assert facts(sb, price(sb), job, data_dir).video.endswith("missing from Storyboard Studio's data folder")


# --- PDF -----------------------------------------------------------------------------------------------


def test_the_pdf_is_one_a4_landscape_page() -> None:
    sb = board([3, 3, 3, 3])
    pdf = brief_pdf(sb, price(sb))
    assert pdf.startswith(b"%PDF-1.") and pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1
    assert re.search(rb"/Count\s+1\b", pdf)
    (box,) = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    width_pt, height_pt = (float(v) for v in box)
    assert abs(width_pt - 842) < 2 and abs(height_pt - 595) < 2  # A4 landscape in points


# --- text in any script ---------------------------------------------------------------------------------

WORLD = [
    "東京の夜、ボトルが波に揺れる。" * 30,  # no spaces at all: broken across lines
    "مرحبا بالعالم \u200f زجاجة على الرمل",
    "Ünïcødé café — naïve ﬁligree ½ \u0301\u0327",
    "🎬🌊🍾 \u200d 👩‍👩‍👧 emoji",
    "control\x00chars\x1b[31m and a\ttab\r\nand lines\n\n\n",
    "Привет, мир · Ελληνικά · עברית · हिन्दी · 한국어",
]


def test_names_and_prompts_in_any_script_make_a_brief() -> None:
    sb = Storyboard(
        name="東京 · Ünïcødé 🎬 مرحبا \x00",
        shots=[Shot(prompt=p[: EDITOR_LIMITS.max_shot_prompt_chars], duration=2) for p in WORLD],
        options=Options(negative_prompt="ぼやけ, искажение 🚫"),
        model=ModelId.V3_PRO_T2V,
    )
    assert count_panels(brief_png(sb, price(sb))) == len(WORLD)
    assert brief_pdf(sb, price(sb)).startswith(b"%PDF-")
    assert file_stem(sb) == "東京-Ünïcødé-مرحبا"


def test_a_name_with_nothing_to_keep_downloads_as_storyboard() -> None:
    assert file_stem(Storyboard(name="  ///  ")) == "storyboard"


def test_a_renamed_takes_brief_carries_the_takes_name() -> None:
    sb = board([3], name="Product teaser")
    named = take(sb).model_copy(update={"title": "Hero take, blue sky"})
    assert (heading(sb, named), file_stem(sb, named)) == ("Hero take, blue sky", "Hero-take-blue-sky")
    assert (heading(sb, take(sb)), file_stem(sb, take(sb))) == ("Product teaser", "Product-teaser")
    assert b"/Title (Brief: Hero take, blue sky)" in brief_pdf(sb, price(sb), job=named)


# --- what it says --------------------------------------------------------------------------------------


HOSTED = sorted((k for k in OFFERS if k[0] != ProviderId.PREVIEW), key=str)


@pytest.mark.parametrize("key", HOSTED, ids=lambda k: f"{k[0]}-{k[1]}")
def test_the_options_listed_are_the_ones_the_request_carries(key: tuple[ProviderId, ModelId]) -> None:
    chosen = OFFERS[key]
    sb = board([3, 3], provider=chosen.provider, model=chosen.model)
    sb = sb.model_copy(update={"options": Options(negative_prompt="blur", sound=True, cfg_scale=0.7)})
    listed = " | ".join(sent_options(sb, chosen))
    body = compile_request(sb, chosen, "https://example.com/f.jpg" if chosen.takes_image else None).body
    assert ("Aspect ratio 16:9" in listed) == ("aspect_ratio" in body)
    assert ("Resolution 1080p" in listed) == bool({"resolution", "quality"} & set(body))
    assert ("Negative prompt: blur" in listed) == ("negative_prompt" in body)
    assert ("Prompt strength 0.7" in listed) == ("cfg_scale" in body)
    assert ("Sound on" in listed) == (chosen.sound_field in body)
    assert ("Shot type customize" in listed) == ("shot_type" in body)


def test_it_says_provider_model_cost_and_where_the_video_is(data_dir: Path) -> None:
    sb = board([3, 4], provider=ProviderId.WAVESPEED)
    q = price(sb)
    before = facts(sb, q)
    assert (before.provider, before.model) == ("WaveSpeedAI", "Kling V3 Turbo Pro · text to video")
    assert before.cost == format_usd(q.total) == "$1.40"  # 7 s + the 3 s multi-shot base, at $0.14/s
    assert any("Multi-shot surcharge" in line for line in before.cost_lines)
    assert before.video == "not generated yet"
    (data_dir / "videos").mkdir(parents=True)
    write_mp4(data_dir / "videos" / "t.mp4", frames=24)
    made = take(sb, "videos/t.mp4")
    after = facts(sb, q, made, data_dir)
    assert (
        after.video
        == f"The take of {made.created_at:%Y-%m-%d %H:%M} UTC: the MP4 is kept in Storyboard Studio"
    )
    assert str(data_dir) not in repr(after)  # nobody reading the brief has the server's folders
    assert facts(sb, q, take(sb, state=JobState.FAILED), data_dir).video == "none: this take failed"


def test_an_unverified_price_says_so() -> None:
    sb = board([3, 3], provider=ProviderId.FAL, model=ModelId.V3_PRO_T2V)
    about = facts(sb, price(sb))
    assert about.cost.endswith("(unverified)")
    assert any(line.startswith("Unverified price") for line in about.cost_lines)
    assert price(sb).total > Decimal(0)


def test_the_editors_brief_uses_the_newest_take_of_exactly_this_storyboard() -> None:
    sb = board([3, 3])
    older, newer = take(sb, "videos/a.mp4"), take(sb, "videos/b.mp4")
    edited = take(sb.model_copy(update={"shots": [Shot(prompt="other", duration=6)]}), "videos/c.mp4")
    failed = take(sb, state=JobState.FAILED)
    renamed = sb.model_copy(update={"name": "A new name"})
    assert take_of(renamed, [older, newer, edited, failed]) is newer
    assert take_of(sb, [edited, failed]) is None


# --- keys ------------------------------------------------------------------------------------------------

TEST_KEY = "ws-test-KEY-4b1d9e-never-export-me"


def test_no_key_in_the_brief(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAVESPEED_API_KEY", TEST_KEY)
    (data_dir / "videos").mkdir(parents=True)
    write_mp4(data_dir / "videos" / "t.mp4", frames=24)
    sb = board([3, 3], provider=ProviderId.WAVESPEED, name="Keys stay home")
    job = take(sb, "videos/t.mp4")
    outputs = [
        brief_png(sb, price(sb)),
        brief_pdf(sb, price(sb)),
        brief_png(sb, price(sb), job=job, data_dir=data_dir),
        brief_pdf(sb, price(sb), job=job, data_dir=data_dir),
    ]
    for data in outputs:
        for encoding in ("utf-8", "utf-16-be", "utf-16-le"):
            assert TEST_KEY.encode(encoding) not in data
    assert TEST_KEY not in repr(facts(sb, price(sb), job, data_dir))


# --- a brief the boss can approve (issue 11, section 4) ------------------------------------------------


def test_a_preview_draft_shows_the_price_on_every_provider_with_the_cheapest_marked() -> None:
    sb = board([3, 4])  # on Preview: its own price is $0.00, useless on an approval sheet
    about = facts(sb, price(sb))
    expected = {
        PROVIDERS[p].label: quote(sb, o).total
        for (p, m), o in OFFERS.items()
        if m == sb.model and p != "preview"
    }
    assert [row.provider for row in about.prices] == sorted(expected, key=lambda k: (expected[k], k))
    for row in about.prices:
        assert row.price == format_usd(expected[row.provider])
    cheapest = [row.provider for row in about.prices if row.cheapest]
    assert cheapest == [min(expected, key=lambda k: expected[k])]
    assert "(cheapest)" in about.prices[0].line


def test_a_provider_that_cant_take_the_storyboard_says_so_instead_of_a_price() -> None:
    sb = board([1, 3])  # 1 s is shorter than some providers' shortest shot
    refused = [row for row in facts(sb, price(sb)).prices if row.price.startswith("can't take this")]
    assert refused and not any(row.cheapest for row in refused)


def test_a_hosted_takes_brief_gives_the_providers_link_while_it_works(data_dir: Path) -> None:
    sb = board([3, 3], provider=ProviderId.EVOLINK)
    (data_dir / "videos").mkdir(parents=True)
    write_mp4(data_dir / "videos" / "t.mp4", frames=24)
    url = "https://files.example.com/v/abc.mp4"
    fresh = take(sb, "videos/t.mp4").model_copy(
        update={"title": "Hero", "remote_url": url, "link_expires_at": utcnow() + timedelta(hours=20)}
    )
    about = facts(sb, price(sb), fresh, data_dir)
    assert about.video.startswith("The take “Hero” (") and url in about.video and about.link == url
    pdf = brief_pdf(sb, price(sb), job=fresh, data_dir=data_dir)
    assert url.encode() in pdf  # a clickable link on the page
    expired = fresh.model_copy(update={"link_expires_at": utcnow() - timedelta(minutes=1)})
    gone = facts(sb, price(sb), expired, data_dir)
    assert url not in gone.video and gone.link is None
    assert gone.video.endswith("the MP4 is kept in Storyboard Studio")


def test_a_draft_edited_since_its_take_shows_the_takes_pictures_not_grey_boxes(data_dir: Path) -> None:
    (data_dir / "videos").mkdir(parents=True)
    write_mp4(data_dir / "videos" / "take.mp4", frames=48)  # frame i is (5·i, 100, 100) at 24 fps
    made = board([1, 1])
    earlier = take(made, "videos/take.mp4")
    edited = made.model_copy(update={"shots": [*made.shots, Shot(prompt="A third shot", duration=1)]})
    assert take_of(edited, [earlier]) is None  # the storyboard changed since: no take of exactly it
    png = brief_png(edited, price(edited), data_dir=data_dir, pictures_from=latest_take([earlier]))
    image = page_of(png)
    layout = {p.box: p.picture for p in panel_layout(3, 16 / 9)}  # the draft's 16:9, the square take inside
    centres = [((b[0] + b[2]) // 2, (b[1] + b[3]) // 2) for b in (layout[box] for box in panel_boxes(image))]
    reds = [colour_at(image, *centre)[0] for centre in centres]
    assert abs(reds[0] - 0) <= 12 and abs(reds[1] - 5 * 24) <= 12, reds  # the take at shots 1 and 2
    assert abs(reds[2] - 5 * 47) <= 16, reds  # a shot added since: the take's last picture
    assert facts(edited, price(edited), pictures_from=earlier).pictures.startswith(
        "Pictures from the Preview"
    )


def test_the_pdf_is_real_text_with_every_prompt_and_every_providers_price(tmp_path: Path) -> None:
    prompts = [
        "A glass bottle rolls over wet sand as the tide comes in.",
        "Crème brûlée, façade, Ünïcødé: the café at dawn.",
        "東京の夜、ボトルが波に揺れる。",
        "Slow push-in on the logo, gulls wheel through the spray.",
    ]
    sb = Storyboard(
        name="Spring campaign · été 2027",
        shots=[Shot(prompt=p, duration=3) for p in prompts],
        model=ModelId.V3_PRO_T2V,
    )
    text = pdf_text(brief_pdf(sb, price(sb)), tmp_path)
    assert "Spring campaign · été 2027" in text
    for prompt in prompts:
        assert prompt in text
    rows = facts(sb, price(sb)).prices
    assert len(rows) == 3
    for row in rows:
        assert row.line in text
    assert re.search(r"\(cheapest\)", text)


def test_the_pdf_draws_emoji_and_cjk_in_fonts_that_have_them(tmp_path: Path) -> None:
    sb = Storyboard(name="Launch 🎬 発売", shots=[Shot(prompt="Fireworks 🎆 over the bay 花火", duration=3)])
    pdf = brief_pdf(sb, price(sb))
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=False).stdout.decode()
    text = pdf_text(pdf, tmp_path)
    assert "発売" in text and "花火" in text and "Fireworks" in text
    if fonts:  # pdffonts ships with pdftotext: the page embeds a font for each kind of character
        assert "DejaVuSans" in fonts and "DroidSansFallback" in fonts
