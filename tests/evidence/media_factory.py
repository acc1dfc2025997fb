"""Real media files encoded in the tests with PyAV: no fixtures downloaded or committed."""

from __future__ import annotations

import io
from fractions import Fraction
from typing import Any

import av


def encode_audio(
    fmt: str,
    codec: str,
    rate: int = 48000,
    layout: str = "mono",
    codec_options: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
    seconds: float = 0.1,
) -> bytes:
    """``seconds`` of silence, encoded and muxed for real into an in-memory file."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt, options=container_options or {}) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        if codec_options:
            stream.codec_context.options = codec_options
        frame_size = stream.codec_context.frame_size or 1024
        sample_format = stream.codec_context.format.name
        pts = 0
        while pts < rate * seconds:
            frame = av.AudioFrame(format=sample_format, layout=layout, samples=frame_size)
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.sample_rate, frame.pts, frame.time_base = rate, pts, Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
            pts += frame_size
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def write_frames(out: Any, stream: Any, count: int = 5, width: int = 64, height: int = 48) -> None:
    """Encode ``count`` black frames into ``stream`` and mux them into ``out``."""
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    for index in range(count):
        frame = av.VideoFrame(width, height, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.pts = index
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
