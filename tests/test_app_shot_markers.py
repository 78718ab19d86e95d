"""Shot markers in the player (AppTest): the take's video carries a caption track, and "Shot n"
buttons under it jump the video to that shot."""

from __future__ import annotations

from app_steps import build, generate_button, run_until
from streamlit.testing.v1 import AppTest

from components.runtime import runtime
from components.shot_markers import subtitles
from storyboard.models import ProviderId, Shot, Storyboard
from storyboard.pricing import priced_take


def _generate(at: AppTest) -> None:
    at.radio(key="w:resolution").set_value("720p").run()
    generate_button(at).click().run()
    run_until(at, lambda: len(at.get("video")) > 0)


def _video(at: AppTest):  # noqa: ANN202
    (video,) = at.get("video")
    return video.proto


def test_the_take_plays_with_a_shots_caption_track_and_jumps_to_shot_two(app: AppTest) -> None:
    build(app, [4, 3, 3])
    _generate(app)
    video = _video(app)
    assert [s.label for s in video.subtitles] == [
        "Off",
        "Shots",
    ]  # an animatic names its shots itself: the track is off by default
    assert video.start_time == 0 and not video.autoplay  # the page never starts playing by itself

    app.button(key="latest:shot:2").click().run()
    assert not app.exception, app.exception
    video = _video(app)
    assert video.start_time == 4  # shot 1's length
    assert video.autoplay
    assert app.button(key="latest:shot:2").proto.type == "primary"  # marked as the one chosen

    app.button(key="latest:shot:3").click().run()
    assert _video(app).start_time == 7
    app.run()  # the choice is kept across reruns
    assert _video(app).start_time == 7


def test_the_same_take_on_the_takes_page_has_the_same_shot_buttons(app: AppTest) -> None:
    build(app, [5, 5])
    _generate(app)
    app.switch_page("pages/takes.py").run()
    (job,) = runtime().store.list_jobs()
    app.button(key=f"play:{job.id}").click().run()
    assert [s.label for s in _video(app).subtitles] == [
        "Off",
        "Shots",
    ]  # an animatic names its shots itself: the track is off by default
    app.button(key=f"take:{job.id}:shot:2").click().run()
    assert _video(app).start_time == 5


def test_a_one_shot_take_has_its_caption_but_no_shot_list(app: AppTest) -> None:
    build(app, [5])
    _generate(app)
    assert [s.label for s in _video(app).subtitles] == [
        "Off",
        "Shots",
    ]  # an animatic names its shots itself: the track is off by default
    assert not [b for b in app.button if b.key and ":shot:" in b.key]


def test_a_hosted_take_shows_its_shot_captions_and_an_animatic_leaves_them_off() -> None:
    # one caption layer: the animatic draws each shot's title on its pictures; a hosted video does not
    sb = Storyboard(shots=[Shot(prompt="A wave", duration=3), Shot(prompt="The logo", duration=3)])
    hosted = priced_take(sb.model_copy(update={"provider": ProviderId.WAVESPEED}))
    assert list(subtitles(hosted)) == ["Shots"]
    preview = subtitles(priced_take(sb))
    assert list(preview) == ["Off", "Shots"] and preview["Off"] == ""  # first and empty: none shown
