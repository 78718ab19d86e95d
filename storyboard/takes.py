"""Takes of one storyboard: grouping, version numbers, renaming, starring and deleting.

Every generation is a take of a storyboard (by the storyboard's id). A version is a distinct
snapshot a take was made from, the name aside: v1 is the first content generated, v2 the next
different one, and so on, per storyboard. The formats one Generate made (16:9, 9:16, 1:1) are one
version: its takes are told apart by their format.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from storyboard.catalog import MAX_NAME_CHARS
from storyboard.formats import NAMES, order_key
from storyboard.layout import DataDir
from storyboard.media_store import media_for
from storyboard.models import AspectRatio, Job, JobState, name_problem
from storyboard.people import SOLO, Actor
from storyboard.permissions import Action, Refused, refusal
from storyboard.store import Store

# A take may be deleted only when nothing about it is still open: finished and saved, failed or
# cancelled. Running takes, and takes that may be paid but are not downloaded (outcome unknown),
# are kept.
DELETABLE = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)
MAX_TITLE_CHARS = MAX_NAME_CHARS  # the input's max_chars; the rule is the model's
GONE = "This take was deleted meanwhile (in another window); reload the page."


@dataclass
class TakeGroup:
    """All takes of one storyboard, newest first, with each take's version number."""

    storyboard_id: str
    name: str  # the newest take's storyboard name
    takes: list[Job] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)  # job id -> version number
    numbers: dict[str, int] = field(default_factory=dict)  # job id -> its place among its version's takes
    per_version: dict[int, int] = field(default_factory=dict)  # version -> how many takes it has
    # (version, format) -> how many takes; a version made in one format has one entry
    per_format: dict[tuple[int, AspectRatio], int] = field(default_factory=dict)

    @property
    def version_count(self) -> int:
        return len(self.per_version)

    def label(self, job_id: str) -> str:
        """'v2', or 'v2 · take 3' when the version has several takes (Generate ×N makes look-alikes),
        'v2 · Vertical' (or 'v2 · Vertical · take 2') when it was made in several formats."""
        version = self.versions[job_id]
        if self.per_version[version] == 1:
            return f"v{version}"
        formats = {aspect for (v, aspect) in self.per_format if v == version}
        if len(formats) == 1:
            return f"v{version} · take {self.numbers[job_id]}"
        aspect = self._aspects[job_id]
        if self.per_format[(version, aspect)] == 1:
            return f"v{version} · {NAMES[aspect]}"
        return f"v{version} · {NAMES[aspect]} · take {self.numbers[job_id]}"

    @property
    def _aspects(self) -> dict[str, AspectRatio]:
        return {job.id: job.storyboard.options.aspect_ratio for job in self.takes}


def group_by_storyboard(jobs: Iterable[Job]) -> list[TakeGroup]:
    """Takes grouped by storyboard; groups ordered by their newest take, takes newest first."""
    groups: dict[str, TakeGroup] = {}
    for job in sorted(jobs, key=lambda j: j.created_at, reverse=True):
        sb = job.storyboard
        group = groups.setdefault(sb.id, TakeGroup(storyboard_id=sb.id, name=sb.name))
        group.takes.append(job)
    for group in groups.values():
        numbers: dict[str, int] = {}
        for job in reversed(group.takes):  # oldest first
            key = order_key(job.storyboard)  # every format of one order is one version
            version = numbers.setdefault(key, len(numbers) + 1)
            group.versions[job.id] = version
            group.per_version[version] = group.per_version.get(version, 0) + 1
            shape = (version, job.storyboard.options.aspect_ratio)
            group.per_format[shape] = group.per_format.get(shape, 0) + 1
            group.numbers[job.id] = group.per_format[shape]
    return list(groups.values())


def title(job: Job) -> str:
    return job.title or job.storyboard.name


def not_yours(store: Store, job_id: str, actor: Actor) -> str | None:
    """Why `actor` may not change this take (rename, star, cancel, delete), or None: its author
    and admins may (permissions.py); reviewers may not change any."""
    if actor.solo:  # the single-person app: every take is theirs, no read needed
        return None
    job = store.get_job(job_id)
    return refusal(actor, Action.CHANGE_TAKE, owner=None if job is None else job.author)


def rename(store: Store, job_id: str, new_title: str, actor: Actor = SOLO) -> str | None:
    """Give a take its own name ("" goes back to the storyboard's). Returns a refusal, or None."""
    refused = not_yours(store, job_id, actor)
    if refused:
        return refused
    text = " ".join(new_title.split())
    problem = name_problem(text, "A take's name")
    if problem:
        return problem
    try:
        store.update_job(job_id, title=text)
    except KeyError:
        return GONE
    return None


def set_starred(store: Store, job_id: str, starred: bool, actor: Actor = SOLO) -> str | None:
    """Star or unstar a take; returns a refusal, or None."""
    refused = not_yours(store, job_id, actor)
    if refused:
        return refused
    with suppress(KeyError):  # deleted meanwhile (in another window): nothing to star
        store.update_job(job_id, starred=starred)
    return None


def delete(store: Store, data_dir: Path, job_id: str, actor: Actor = SOLO) -> str | None:
    """Delete a finished take and its files (video, poster and its thumbnails).

    Returns one sentence saying why it was not deleted, or None when it was. What it cost still
    counts towards spend, and its idempotency key is never handed out again."""
    job = store.get_job(job_id)
    if job is None:
        return None  # already gone (a second click)
    try:  # checked again by the store, in the transaction that deletes (and logs) it
        deleted = store.delete_job(job_id, DELETABLE, actor)
    except Refused as no:
        return no.sentence
    except KeyError:
        return None  # deleted meanwhile
    if deleted is None:
        if job.state == JobState.UNKNOWN:
            return "This take may have been paid for and its video is not saved: check the provider's dashboard first."
        return "This take is still being made: cancel it, or wait until it has finished, then delete it."
    kept = media_for(data_dir)
    layout = DataDir(data_dir)
    for name in {layout.relative(layout.video(job.id)), deleted.video_path, deleted.poster_path} - {None}:
        with suppress(OSError):  # already gone, or the bucket is unreachable: the row is what counts
            kept.delete(str(name))
    for path in _leftovers(deleted, data_dir):
        path.unlink(missing_ok=True)
    return None


def _leftovers(job: Job, data_dir: Path) -> list[Path]:
    """What a take left in the data dir besides its video and poster: a download cut short, the
    poster's thumbnails."""
    root = data_dir.resolve()
    found = list(DataDir(root).videos.glob(f"{job.id}.mp4.*part"))
    if job.poster_path:
        poster = root / job.poster_path
        found += list(poster.parent.glob(f"{poster.stem}.thumb*.jpg"))
    # only ever inside the data dir, whatever a row says
    return [p for p in {p.resolve() for p in found} if p.is_relative_to(root)]
