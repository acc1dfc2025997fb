"""Settings, read from the environment so the CLI, the server and tests agree on one home."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from openwitness.core.errors import OpenWitnessError

DEFAULT_MAX_UPLOAD_BYTES = 4 * 1024**3
GIB = 1024**3
#: How many of each kind of public request one client address may make, in the notation of the
#: ``limits`` library ("COUNT per N minutes"); set each with OPENWITNESS_RATE_<NAME>.
DEFAULT_RATES = {
    "sign_in": "30 per 10 minutes",  # sign-in attempts from one address
    "sign_in_account": "10 per 10 minutes",  # failed sign-ins to one username, from anywhere
    "reports": "20 per 10 minutes",
    "follow_up": "20 per 10 minutes",
    "uploads": "60 per 10 minutes",  # files lodged: a report with 20 files and retries
    "live": "10 per 10 minutes",  # live recordings started
    "contacts": "5 per hour",  # trusted contacts e-mailed a link to follow a recording
    "live_follow": "30 per 10 minutes",  # follow links tried that open no recording
}
#: who runs the site, as every page's footer names them when OPENWITNESS_SITE_OPERATOR is unset
DEFAULT_SITE_OPERATOR = "the people who run this OpenWitness site"


def _positive_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise OpenWitnessError(f"{name} must be a whole number above 0, not {value!r}")
    return int(value)


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
    #: the public budgets, DEFAULT_RATES overridden by OPENWITNESS_RATE_<NAME>
    rates: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_RATES))
    #: a signed-in browser's session ends after this long without a request ...
    session_idle_minutes: int = 30
    #: ... and this long after signing in, however busy
    session_absolute_hours: int = 12
    #: addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated, as
    #: uvicorn's --forwarded-allow-ips); empty: none, the connecting address is the client
    forwarded_allow_ips: str = ""
    #: bytes of anonymous uploads one client address may send a day (files: the uploads rate)
    upload_bytes_per_day: int = 20 * GIB
    #: disk that unfinished resumable uploads may take in all (their declared sizes)
    partial_uploads_max_bytes: int = 16 * GIB
    #: who runs this site and how to reach them, shown on every page (people lodging evidence
    #: need to know who holds it); an empty contact is shown as not configured
    site_operator: str = DEFAULT_SITE_OPERATOR
    site_contact: str = ""
    #: forces with fewer complaints are left out of the public complaint statistics
    stats_min_cases: int = 10
    #: a live recording's chunk may have this many bytes (a few seconds of phone video: ~1 MB)
    live_chunk_max_bytes: int = 16 * 1024 * 1024
    #: an unfinished live recording with no chunk for this long is shown as cut short
    live_idle_seconds: int = 120
    #: where mail is sent from: smtp://[user:password@]host[:port][?starttls=1] or smtps://;
    #: unset, no mail is sent (and a trusted contact cannot be named)
    smtp_url: str | None = None
    mail_from: str = "openwitness@localhost"
    #: the site's address as people reach it, for links in e-mails (default: as asked)
    public_url: str | None = None
    #: where evidence is kept: unset, the blobs/ folder in home; s3://bucket/prefix?endpoint=…
    #: for any S3-compatible object store (openwitness.evidence.s3_blobs)
    blob_url: str | None = None
    #: a tlog-policy file whose ``log`` lines are the logs this server witnesses (cosigns at
    #: POST /witness/add-checkpoint); unset, it witnesses none
    witness_logs: Path | None = None
    #: a tlog-policy file naming this log's witnesses with their URLs: they are asked to
    #: cosign its checkpoints; unset, checkpoints carry the log's signature alone
    witness_policy: Path | None = None
    #: how often `witness serve` asks its witnesses to cosign the latest checkpoint
    cosign_every_seconds: int = 10
    #: redis://host:port/db: rate limits and upload quotas shared by every server process
    #: (``witness serve --workers N``); unset, each process counts in its own memory
    redis_url: str | None = None
    #: where background jobs run: "thread" (in the process that asked) or "redis" (a dramatiq
    #: queue on OPENWITNESS_REDIS_URL, run by `witness jobs worker` processes)
    jobs_queue: str = "thread"

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("OPENWITNESS_HOME") or _default_home()).expanduser()
        url = os.environ.get("OPENWITNESS_DATABASE_URL") or f"sqlite:///{home / 'openwitness.db'}"
        limit = os.environ.get("OPENWITNESS_MAX_UPLOAD_BYTES")
        rates = {
            name: os.environ.get(f"OPENWITNESS_RATE_{name.upper()}") or default
            for name, default in DEFAULT_RATES.items()
        }
        idle = os.environ.get("OPENWITNESS_SESSION_IDLE_MINUTES")
        absolute = os.environ.get("OPENWITNESS_SESSION_ABSOLUTE_HOURS")
        daily = os.environ.get("OPENWITNESS_UPLOAD_BYTES_PER_DAY")
        partial = os.environ.get("OPENWITNESS_PARTIAL_UPLOADS_MAX_BYTES")
        min_cases = int(os.environ.get("OPENWITNESS_STATS_MIN_CASES") or 10)
        if min_cases < 5:
            raise OpenWitnessError(
                "OPENWITNESS_STATS_MIN_CASES must be 5 or more: a smaller group of complaints "
                "could single out a person"
            )
        return cls(
            home=home,
            database_url=url,
            max_upload_bytes=int(limit) if limit else DEFAULT_MAX_UPLOAD_BYTES,
            personal_data_key=os.environ.get("OPENWITNESS_PERSONAL_DATA_KEY") or None,
            intake_organisation=os.environ.get("OPENWITNESS_INTAKE_ORG") or None,
            rates=rates,
            session_idle_minutes=int(idle) if idle else 30,
            session_absolute_hours=int(absolute) if absolute else 12,
            forwarded_allow_ips=os.environ.get("OPENWITNESS_FORWARDED_ALLOW_IPS", "").strip(),
            upload_bytes_per_day=int(daily) if daily else 20 * GIB,
            partial_uploads_max_bytes=int(partial) if partial else 16 * GIB,
            site_operator=os.environ.get("OPENWITNESS_SITE_OPERATOR", "").strip()
            or DEFAULT_SITE_OPERATOR,
            site_contact=os.environ.get("OPENWITNESS_SITE_CONTACT", "").strip(),
            stats_min_cases=min_cases,
            live_chunk_max_bytes=_positive_int("OPENWITNESS_LIVE_CHUNK_MAX_BYTES", 16 * 1024**2),
            live_idle_seconds=_positive_int("OPENWITNESS_LIVE_IDLE_SECONDS", 120),
            smtp_url=os.environ.get("OPENWITNESS_SMTP_URL", "").strip() or None,
            mail_from=os.environ.get("OPENWITNESS_MAIL_FROM", "").strip()
            or "openwitness@localhost",
            public_url=os.environ.get("OPENWITNESS_PUBLIC_URL", "").strip().rstrip("/") or None,
            blob_url=os.environ.get("OPENWITNESS_BLOB_URL", "").strip() or None,
            witness_logs=_path_or_none("OPENWITNESS_WITNESS_LOGS"),
            witness_policy=_path_or_none("OPENWITNESS_WITNESS_POLICY"),
            cosign_every_seconds=_positive_int("OPENWITNESS_COSIGN_EVERY_SECONDS", 10),
            redis_url=os.environ.get("OPENWITNESS_REDIS_URL", "").strip() or None,
            jobs_queue=os.environ.get("OPENWITNESS_JOBS", "").strip() or "thread",
        )

    @property
    def witness_key_path(self) -> Path:
        """This server's witness key (a cosigner's, distinct from the log key)."""
        return self.key_dir / "witness.key"

    @property
    def blob_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def uploads_dir(self) -> Path:
        """Unfinished resumable uploads."""
        return self.home / "uploads"

    @property
    def stats_dir(self) -> Path:
        """Imported open police data (Parquet) and population tables: openwitness.stats."""
        return self.home / "stats"

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


def _path_or_none(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None
