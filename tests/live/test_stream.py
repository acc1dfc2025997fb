"""The walk over a recording's container across chunks: a real recording cut anywhere goes
through; bytes that are not its continuation are refused, naming where."""

from __future__ import annotations

import io
import itertools
import random

import av
import numpy as np
import pytest

from openwitness.live.stream import NotTheRecording, StreamState, advance, container_of
from tests.live.conftest import recorded_chunks


def fragmented_mp4() -> bytes:
    """What Safari's MediaRecorder makes: fragmented MP4 (moov first, then moof/mdat pairs)."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4", options={"movflags": "frag_keyframe+empty_moov"}) as c:
        stream = c.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(30):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 8, np.uint8), "rgb24")
            for packet in stream.encode(frame):
                c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)
    return out.getvalue()


def ogg_opus() -> bytes:
    """What Firefox's MediaRecorder makes for sound only: Opus in Ogg."""
    out = io.BytesIO()
    with av.open(out, "w", format="ogg") as c:
        stream = c.add_stream("libopus", rate=48000)
        for i in range(50):
            samples = np.full((1, 960), 0.01 * (i % 3), np.float32)
            frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
            frame.sample_rate = 48000
            for packet in stream.encode(frame):
                c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)
    return out.getvalue()


RECORDINGS = {
    "video/webm": b"".join(recorded_chunks()),
    "video/mp4": fragmented_mp4(),
    "audio/ogg": ogg_opus(),
}


def walk(media_type: str, pieces: list[bytes]) -> StreamState:
    state = StreamState()
    for seq, piece in enumerate(pieces):
        state = StreamState.loads(advance(media_type, state, piece, seq).dumps())
    return state


def cut(data: bytes, points: list[int]) -> list[bytes]:
    edges = [0, *sorted(points), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges) if b > a]


@pytest.mark.parametrize("media_type", sorted(RECORDINGS))
def test_a_recording_cut_anywhere_is_its_own_continuation(media_type: str) -> None:
    data = RECORDINGS[media_type]
    assert walk(media_type, [data]) == StreamState()
    rng = random.Random(12)
    for _ in range(100):
        points = rng.sample(range(1, len(data)), rng.randint(1, 12))
        assert walk(media_type, cut(data, points)) == StreamState(), points
    for point in range(1, len(data), max(1, len(data) // 400)):  # every header cut in two
        assert walk(media_type, cut(data, [point])) == StreamState()
    # MediaRecorder's own cuts
    if media_type == "video/webm":
        assert walk(media_type, recorded_chunks()) == StreamState()


@pytest.mark.parametrize("media_type", sorted(RECORDINGS))
def test_noise_where_the_next_header_belongs_is_refused(media_type: str) -> None:
    data = RECORDINGS[media_type]
    # the first cut after a third of the recording that falls between two headers
    at = next(
        n for n in range(len(data) // 3, len(data)) if walk(media_type, [data[:n]]) == StreamState()
    )
    before = walk(media_type, [data[:at]])
    rng = random.Random(7)
    for _ in range(50):
        with pytest.raises(NotTheRecording, match=r"^chunk 1 is not the continuation"):
            advance(media_type, before, rng.randbytes(4000), 1)
    assert walk(media_type, [data[:at], data[at:]]) == StreamState()  # the real rest goes on


def test_an_unknown_container_is_not_walked() -> None:
    assert container_of("video/quicktime") is None
    assert advance("video/quicktime", StreamState(), b"anything", 1) == StreamState()
    assert container_of("video/x-matroska") == "matroska"
