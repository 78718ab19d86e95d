"""Starting storyboards a marketer recognises (product teaser, social hook, logo reveal...).

Each template is a JSON file in the repo's `templates/` folder: name, description, shots (prompt,
duration), model, options, and for image-to-video a sentence saying what to upload as the first
frame (a template cannot ship the user's logo). Every template is checked against the catalog with
the same `validate()` the editor uses; one that does not parse, or that no provider would take, is
left out of the app with a logged reason, and fails the tests (tests/test_templates.py).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from storyboard.catalog import MODELS, OFFERS, Offer, offer
from storyboard.models import FirstFrame, ModelId, Options, ProviderId, Shot, Storyboard
from storyboard.validate import Problem, validate

log = logging.getLogger(__name__)

# Read from the repo (the app runs from its checkout); not packaged with the `storyboard` module.
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


class TemplateError(ValueError):
    """A template file that cannot be used, with the file's name and why."""


class TemplateShot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str
    duration: int


class TemplateOptions(Options):
    model_config = ConfigDict(extra="forbid")  # a misspelt option fails loudly, not silently


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str  # the file's name without ".json"
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    shots: list[TemplateShot] = Field(min_length=1)
    model: ModelId
    options: TemplateOptions = Field(default_factory=TemplateOptions)
    first_frame: str | None = None  # image-to-video: what the user should upload as the first frame

    @model_validator(mode="after")
    def _first_frame_matches_model(self) -> Template:
        takes_image = MODELS[self.model].takes_image
        if takes_image and not self.first_frame:
            raise ValueError("an image-to-video template must say what to upload as `first_frame`")
        if not takes_image and self.first_frame:
            raise ValueError("`first_frame` is only for image-to-video models")
        return self

    @property
    def total_seconds(self) -> int:
        return sum(s.duration for s in self.shots)

    @property
    def storyboard_name(self) -> str:
        """The name without its length ("Product teaser · 15 s" -> "Product teaser"): the menu says
        how long the template is, but the storyboard's shots change length once it is opened."""
        return re.sub(r"\s*·\s*\d+\s*s\b", "", self.name).strip()

    def storyboard(self, provider: ProviderId) -> Storyboard:
        """A new storyboard (fresh ids) made from this template, to be generated on `provider`."""
        return Storyboard(
            name=self.storyboard_name,
            shots=[Shot(prompt=s.prompt, duration=s.duration) for s in self.shots],
            model=self.model,
            provider=provider,
            options=Options.model_validate(self.options.model_dump()),
        )


def _stand_in_frame(target: Offer) -> FirstFrame | None:
    """A first frame that meets the offer's rules: the user's own is uploaded after opening."""
    rules = target.image_rules
    if rules is None:
        return None
    return FirstFrame(
        path="template-first-frame",
        width=rules.min_side,
        height=rules.min_side,
        format=rules.formats[0],  # type: ignore[arg-type]
        size_bytes=1,
        sha256="0" * 64,
    )


def problems(template: Template, provider: ProviderId) -> list[Problem]:
    """What the editor would say about this template on `provider`, apart from the first frame
    the user has yet to upload."""
    target = offer(provider, template.model)
    sb = template.storyboard(provider).model_copy(update={"first_frame": _stand_in_frame(target)})
    return validate(sb, target)


def providers_for(template: Template) -> list[ProviderId]:
    """The providers that take this template as it is, in catalog order."""
    return [p for (p, m) in OFFERS if m == template.model and not problems(template, p)]


def pick_provider(template: Template, candidates: list[ProviderId]) -> ProviderId:
    """The first candidate that takes the template as it is; else the first candidate (the editor
    then says what to change)."""
    return next((p for p in candidates if not problems(template, p)), candidates[0])


def load(path: Path) -> Template:
    """One template file, parsed and checked; TemplateError says which file and why."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise TemplateError(f"{path.name}: expected a JSON object")
        template = Template.model_validate({**data, "id": path.stem})
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
        raise TemplateError(f"{path.name}: {exc}") from exc
    if not providers_for(template):
        reasons = "; ".join(p.message for p in problems(template, ProviderId.PREVIEW))
        raise TemplateError(f"{path.name}: no provider takes it ({reasons})")
    return template


def load_all(directory: Path = TEMPLATES_DIR) -> list[Template]:
    """Every usable template in the folder, by file name. A broken one is logged and left out."""
    templates = []
    for path in sorted(directory.glob("*.json")):
        try:
            templates.append(load(path))
        except TemplateError as exc:
            log.warning("template skipped: %s", exc)
    return templates
