"""Settings, read from the environment so the CLI, the server and tests agree on one home."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_UPLOAD_BYTES = 4 * 1024**3


def _default_home() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "openwitness"


@dataclass(frozen=True)
class Settings:
    """Where the embedded deployment keeps its files, and the limits it enforces."""

    home: Path
    database_url: str
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("OPENWITNESS_HOME") or _default_home()).expanduser()
        url = os.environ.get("OPENWITNESS_DATABASE_URL") or f"sqlite:///{home / 'openwitness.db'}"
        limit = os.environ.get("OPENWITNESS_MAX_UPLOAD_BYTES")
        return cls(
            home=home,
            database_url=url,
            max_upload_bytes=int(limit) if limit else DEFAULT_MAX_UPLOAD_BYTES,
        )

    @property
    def blob_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def staging_dir(self) -> Path:
        return self.home / "staging"

    @property
    def key_dir(self) -> Path:
        return self.home / "keys"

    @property
    def signer_key_path(self) -> Path:
        return self.key_dir / "log.key"

    @property
    def verifier_key_path(self) -> Path:
        return self.key_dir / "log.vkey"
