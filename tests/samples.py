"""Sample files the tests make on the fly (no binaries in the repo)."""

from __future__ import annotations

from pathlib import Path

import av
from PIL import Image


def write_mp4(path: Path, frames: int = 48, size: tuple[int, int] = (64, 64), faststart: bool = True) -> Path:
    """H.264 yuv420p at 24 fps; frame i is a flat colour whose red channel is 5·i."""
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", format="mp4", options=options) as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_image(Image.new("RGB", size, (5 * i, 100, 100)))
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
