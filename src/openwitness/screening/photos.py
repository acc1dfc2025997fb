"""Perceptual hashes of photos found in chat exports (``imagehash``): the same picture,
re-compressed, resized or lightly cropped, hashes to within a few bits, so a photograph
shared in several chats, or one on a list of known photographs, is found again."""

from __future__ import annotations

from pathlib import Path

from openwitness.evidence.previews import load_picture


def perceptual_hashes(path: Path) -> tuple[str, str] | None:
    """(pHash, dHash) as 16 hex digits each, or None for a file that is not a readable
    image (a bomb, a broken file)."""
    import imagehash

    picture = load_picture(path)
    if picture is None:
        return None
    return str(imagehash.phash(picture)), str(imagehash.dhash(picture))
