"""The prompt helper: subject, action, camera, lighting and style compose into a shot's prompt.

"A glass bottle on wet sand, waves roll over it. Camera: slow push-in. Lighting: golden hour.
Style: 35 mm film." Sentences, not semicolons: EvoLink reads a ';' as the end of a shot.

The prompt stays plain text. A field's change rewrites the prompt only while the prompt still is
what the fields composed (or is empty); once the prompt is edited by hand, the fields leave it
alone until the user asks for "Compose into prompt". Only the prompt is ever sent (compile.py).
"""

from __future__ import annotations

from typing import Literal, get_args

from storyboard.catalog import PROVIDERS, Offer
from storyboard.compile import compile_request
from storyboard.models import PromptParts, Storyboard
from storyboard.validate import PLACEHOLDER_IMAGE_URL, shot_prompt_limit

Part = Literal["subject", "action", "camera", "lighting", "style"]
PARTS: tuple[Part, ...] = get_args(Part)
LABELED: tuple[tuple[Part, str], ...] = (("camera", "Camera"), ("lighting", "Lighting"), ("style", "Style"))


def _clean(text: str) -> str:
    return text.strip().rstrip(".,;: ").strip()


def compose(parts: PromptParts | None) -> str:
    """The prompt these fields make; empty fields are left out."""
    if parts is None:
        return ""
    opening = ", ".join(t for t in (_clean(parts.subject), _clean(parts.action)) if t)
    sentences = [opening] if opening else []
    sentences += [
        f"{label}: {_clean(getattr(parts, name))}" for name, label in LABELED if _clean(getattr(parts, name))
    ]
    return ". ".join(sentences) + "." if sentences else ""


def follows_parts(storyboard: Storyboard, index: int) -> bool:
    """Does the shot's prompt still follow its fields: empty, or exactly what they composed?"""
    shot = storyboard.shots[index]
    return not shot.prompt.strip() or shot.prompt == compose(shot.parts)


def _with_shot(storyboard: Storyboard, index: int, **update: object) -> Storyboard:
    shots = list(storyboard.shots)
    shots[index] = shots[index].model_copy(update=update)
    return storyboard.model_copy(update={"shots": shots})


def set_part(storyboard: Storyboard, index: int, part: Part, text: str) -> Storyboard:
    """Change one field; the prompt follows only if it was not edited by hand."""
    shot = storyboard.shots[index]
    parts = (shot.parts or PromptParts()).model_copy(update={part: text})
    if follows_parts(storyboard, index):
        return _with_shot(storyboard, index, parts=parts, prompt=compose(parts))
    return _with_shot(storyboard, index, parts=parts)


def compose_into_prompt(storyboard: Storyboard, index: int) -> Storyboard:
    """Replace the prompt with what the fields compose (the user asked for it)."""
    return _with_shot(storyboard, index, prompt=compose(storyboard.shots[index].parts))


def prompt_limit(storyboard: Storyboard, offer: Offer, index: int) -> tuple[int, str | None]:
    """How long shot `index`'s prompt may be on this offer, and why when it is not the per-shot cap.

    Where the provider sends all shots as one prompt (EvoLink Turbo's syntax, WaveSpeed V3.0's
    joined prompt), that prompt's limit leaves this shot whatever the other shots do not use.
    """
    cap = shot_prompt_limit(storyboard, offer)
    if not storyboard.is_multi_shot:
        return cap, None
    sent = compile_request(storyboard, offer, PLACEHOLDER_IMAGE_URL).body.get("prompt")
    if not isinstance(sent, str) or not sent:
        return cap, None
    others = len(sent) - len(storyboard.shots[index].prompt.strip())
    room = offer.limits.max_prompt_chars - others
    if room >= cap:
        return cap, None
    label = PROVIDERS[offer.provider].label
    why = f"{label} sends all shots as one prompt of at most {offer.limits.max_prompt_chars} characters"
    return max(0, room), why
