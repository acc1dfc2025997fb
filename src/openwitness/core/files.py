"""Files that are either absent or complete: what every writer of receipts, reports and the
statistics store's manifests needs, so a crash never leaves half a file under its real name."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def replace_atomically(
    path: Path, write: Callable[[Path], object], mode: int | None = None
) -> None:
    """Let ``write`` fill a temporary file beside ``path``, sync it and rename it into place;
    ``mode`` widens the temporary file's private 0600 where others are meant to read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        if mode is not None:
            tmp.chmod(mode)
        with tmp.open("rb") as done:
            os.fsync(done.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to ``path``, absent or complete."""
    content = data.encode() if isinstance(data, str) else data
    replace_atomically(path, lambda tmp: tmp.write_bytes(content))
