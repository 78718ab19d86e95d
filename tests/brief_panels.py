"""Reading a brief back from its pixels (where its shot panels are, and what colour a spot is) and
from its PDF's text."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storyboard.brief import PANEL_BORDER

MIN_SIDE = 100  # a panel's edge is at least this long; stray pixels of the border colour are not


def page_of(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def panel_boxes(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """(left, top, right, bottom) of every rectangle outlined in the panel colour, in reading order.

    A top-left corner is a border pixel with none above it and none to its left, from which the
    border runs on for at least MIN_SIDE pixels both rightwards and downwards.
    """
    border = np.all(np.asarray(image) == PANEL_BORDER, axis=2)
    above = np.zeros_like(border)
    above[1:] = border[:-1]
    left = np.zeros_like(border)
    left[:, 1:] = border[:, :-1]
    boxes = []
    for y, x in zip(*np.nonzero(border & ~above & ~left), strict=True):
        right = x + int(np.argmin(border[y, x:])) if not border[y, x:].all() else border.shape[1]
        bottom = y + int(np.argmin(border[y:, x])) if not border[y:, x].all() else border.shape[0]
        if right - x >= MIN_SIDE and bottom - y >= MIN_SIDE:
            boxes.append((int(x), int(y), int(right) - 1, int(bottom) - 1))
    return sorted(boxes, key=lambda b: (b[1], b[0]))


def count_panels(png: bytes) -> int:
    return len(panel_boxes(page_of(png)))


def colour_at(image: Image.Image, x: int, y: int, radius: int = 3) -> tuple[int, int, int]:
    """The median colour of a small square around (x, y)."""
    patch = np.asarray(image.crop((x - radius, y - radius, x + radius + 1, y + radius + 1))).reshape(-1, 3)
    return tuple(int(v) for v in np.median(patch, axis=0))  # type: ignore[return-value]


def near(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def pdf_text(pdf: bytes, folder: Path) -> str:
    """The words of a PDF brief, as pdftotext reads them, on one line."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils; .ci/run does)")
    (folder / "brief.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(folder / "brief.pdf"), str(folder / "brief.txt")], check=True
    )
    return " ".join((folder / "brief.txt").read_text(encoding="utf-8").split())
