"""Perceptual hashes of photos found in chat exports (``imagehash``): the same picture,
re-compressed, resized or lightly cropped, hashes to within a few bits, so a photograph
shared in several chats, or one on a list of known photographs, is found again."""

from __future__ import annotations

import warnings
from pathlib import Path

#: decoding stops at this many pixels (a 12,000 x 12,000 image), before memory runs out
MAX_PIXELS = 144_000_000


def perceptual_hashes(path: Path) -> tuple[str, str] | None:
    """(pHash, dHash) as 16 hex digits each, or None for a file that is not a readable
    image (a bomb, a broken file)."""
    import imagehash
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            with Image.open(path) as image:
                image.draft("RGB", (512, 512))  # JPEG decodes at a fraction of its size
                picture = image.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        return None
    return str(imagehash.phash(picture)), str(imagehash.dhash(picture))
