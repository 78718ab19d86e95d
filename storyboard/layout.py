"""The data dir's layout: every path the app keeps under it, built in this one place.

    studio.db            drafts, takes, what deleted takes cost, the spending caps (SQLite, WAL:
                         studio.db-wal and studio.db-shm sit beside it while the app runs), unless
                         STORYBOARD_DATABASE_URL names a PostgreSQL server (settings.database)
    videos/<job>.mp4     each take's video (<job>.mp4.<random>.part while it downloads)
    posters/<job>.jpg    each take's poster (and its .thumb*.jpg thumbnails)
    images/<sha256>.png  first frames, named by their content (.jpg for photos)
    preview/             the free Preview animatics' working files
    .runner.lock         held by the one app that runs takes from this data dir
    checked_prices.json  the providers' own prices, as Settings' "Check prices" last read them
    budget.json.migrated the caps file of earlier versions, once copied into studio.db

Rows store paths relative to the data dir (`relative`), so the folder can move. With media in a
bucket (storyboard/media_store.py) videos/, posters/ and images/ are keys under the bucket's prefix,
named the same, and so is checked_prices.json (every app replica quotes the same prices); the
rest stays in the data dir.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

IMAGES = "images"  # a first frame's stored path starts with this (it is saved in drafts)
CHECKED_PRICES = "checked_prices.json"


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "studio.db"

    @property
    def videos(self) -> Path:
        return self.root / "videos"

    def video(self, job_id: str) -> Path:
        return self.videos / f"{job_id}.mp4"

    @property
    def posters(self) -> Path:
        return self.root / "posters"

    def poster(self, job_id: str) -> Path:
        return self.posters / f"{job_id}.jpg"

    @property
    def images(self) -> Path:
        return self.root / IMAGES

    @staticmethod
    def image(digest: str, image_format: str) -> str:
        """A first frame's path relative to the data dir, named by its content."""
        return f"{IMAGES}/{digest}.{'png' if image_format == 'PNG' else 'jpg'}"

    @property
    def preview(self) -> Path:
        return self.root / "preview"

    @property
    def lock(self) -> Path:
        return self.root / ".runner.lock"

    @property
    def checked_prices(self) -> Path:
        return self.root / CHECKED_PRICES

    @property
    def legacy_caps(self) -> Path:
        """The caps file earlier versions kept; read once, when the database is first upgraded."""
        return self.root / "budget.json"

    def relative(self, path: Path) -> str:
        """How a row refers to a file inside the data dir."""
        return str(path.relative_to(self.root))

    def resolve(self, relative: str) -> Path:
        return self.root / relative
