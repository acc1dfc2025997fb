"""Settings, read from the environment so the CLI, the server and tests agree on one home."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_UPLOAD_BYTES = 4 * 1024**3
GIB = 1024**3


def _default_home() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "openwitness"


@dataclass(frozen=True)
class Settings:
    """Where the embedded deployment keeps its files, and the limits it enforces."""

    home: Path
    database_url: str
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    #: base64 AES-256 key sealing complainants' and witnesses' details; when unset, a key file
    #: in ``keys/`` is used (created on first use). Keep it apart from the database in real use.
    personal_data_key: str | None = None
    #: the organisation that receives reports made through the public form (None: admins triage)
    intake_organisation: str | None = None
    #: reports and follow-up look-ups one client address may make a minute
    public_rate_per_minute: int = 10
    #: anonymous uploads one client address may start an hour, and bytes it may send a day
    upload_files_per_hour: int = 100
    upload_bytes_per_day: int = 20 * GIB
    #: disk that unfinished resumable uploads may take in all (their declared sizes)
    partial_uploads_max_bytes: int = 16 * GIB

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("OPENWITNESS_HOME") or _default_home()).expanduser()
        url = os.environ.get("OPENWITNESS_DATABASE_URL") or f"sqlite:///{home / 'openwitness.db'}"
        limit = os.environ.get("OPENWITNESS_MAX_UPLOAD_BYTES")
        rate = os.environ.get("OPENWITNESS_PUBLIC_RATE_PER_MINUTE")
        defaults = cls(home, url)

        def number(name: str, default: int) -> int:
            value = os.environ.get(name)
            return int(value) if value else default

        return cls(
            home=home,
            database_url=url,
            max_upload_bytes=int(limit) if limit else DEFAULT_MAX_UPLOAD_BYTES,
            personal_data_key=os.environ.get("OPENWITNESS_PERSONAL_DATA_KEY") or None,
            intake_organisation=os.environ.get("OPENWITNESS_INTAKE_ORG") or None,
            public_rate_per_minute=int(rate) if rate else 10,
            upload_files_per_hour=number(
                "OPENWITNESS_UPLOAD_FILES_PER_HOUR", defaults.upload_files_per_hour
            ),
            upload_bytes_per_day=number(
                "OPENWITNESS_UPLOAD_BYTES_PER_DAY", defaults.upload_bytes_per_day
            ),
            partial_uploads_max_bytes=number(
                "OPENWITNESS_PARTIAL_UPLOADS_MAX_BYTES", defaults.partial_uploads_max_bytes
            ),
        )

    @property
    def blob_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def uploads_dir(self) -> Path:
        """Unfinished resumable uploads."""
        return self.home / "uploads"

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
    def personal_data_key_path(self) -> Path:
        return self.key_dir / "personal-data.key"

    @property
    def verifier_key_path(self) -> Path:
        return self.key_dir / "log.vkey"
