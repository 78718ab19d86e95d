"""What the page shows of a stored file: its presigned link where media is in a bucket (the browser
fetches it from the bucket, so any replica can serve any take), or its path in the data dir, which
Streamlit serves as it always has."""

from __future__ import annotations

from components.runtime import runtime
from storyboard import media

MISSING = "The video file is missing from the data folder."


def video_source(name: str) -> str:
    """What the player plays. FileNotFoundError if the data dir has no such file; a bucket's link
    is not looked up first (a request per take per rerun): the player shows if it is gone."""
    kept = runtime().media
    link = kept.url(name)
    if link is not None:
        return link
    with kept.local(name) as path:  # the data dir's own file: it outlives the block
        return str(path)


def picture_source(name: str, max_width: int) -> str:
    """A picture to show small: its link (a bucket's posters are 480 px wide already; first frames
    at most 2048), or a thumbnail made once beside the data dir's file. OSError if it is missing."""
    kept = runtime().media
    link = kept.url(name)
    if link is not None:
        return link
    with kept.local(name) as path:
        return str(media.thumbnail(path, max_width=max_width))
