"""Wires storage, the log, the vault, accounts and case records together; interfaces start here."""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from openwitness.accounts.service import Accounts
from openwitness.accounts.sessions import Sessions
from openwitness.cases.forces import Forces, seed_uk_forces
from openwitness.cases.personal_data import Sealer, load_sealer
from openwitness.core.config import Settings
from openwitness.core.errors import OpenWitnessError
from openwitness.core.mail import SmtpMailer
from openwitness.evidence.blobstore import BlobStore
from openwitness.evidence.previews import Previews
from openwitness.evidence.resumable import ResumableUploads
from openwitness.evidence.service import Vault
from openwitness.jobs.service import Jobs
from openwitness.ledger.cosignature import Policy, PolicyError, parse_policy
from openwitness.ledger.keys import create_key, default_origin, load_signer
from openwitness.ledger.note import Signer
from openwitness.ledger.store import TransparencyLog
from openwitness.storage.db import Database
from openwitness.witnessing.collect import Cosigning
from openwitness.witnessing.keys import load_or_create, witness_name
from openwitness.witnessing.service import Witness

if TYPE_CHECKING:
    from openwitness.cases.complaints import Cases
    from openwitness.cases.importers.service import Importers
    from openwitness.cases.incidents import Incidents
    from openwitness.cases.listing import Listings
    from openwitness.cases.officers import Officers
    from openwitness.cases.reports import Reports
    from openwitness.live.service import LiveRecordings
    from openwitness.patterns.service import EarlyWarning
    from openwitness.screening.review import Review
    from openwitness.screening.service import Screening
    from openwitness.stats.service import PoliceStats

#: Private key files keep their own check: one found readable by others is refused, not
#: silently fixed, so that whoever runs the installation learns it may have been copied.
_KEYS_CHECKED_ON_LOAD = ("log.key", "personal-data.key", "witness.key")


@dataclass
class Services:
    """Every capability of one installation. What every command and request needs is built
    at once; the rest (cases, statistics, screening, ...) on first use, with its imports
    (DuckDB, scikit-learn, pydantic forms), so `witness evidence add` and the verify path do
    not pay for them at start-up."""

    settings: Settings
    db: Database
    log: TransparencyLog
    vault: Vault
    forces: Forces
    accounts: Accounts
    sessions: Sessions
    uploads: ResumableUploads
    jobs: Jobs
    previews: Previews
    sealer: Sealer
    #: None when no SMTP server is configured
    mailer: SmtpMailer | None
    #: None unless OPENWITNESS_WITNESS_LOGS names logs to witness
    witness: Witness | None = None
    #: None unless OPENWITNESS_WITNESS_POLICY names this log's witnesses
    cosigning: Cosigning | None = None

    @cached_property
    def incidents(self) -> Incidents:
        from openwitness.cases.incidents import Incidents

        return Incidents(self.db)

    @cached_property
    def cases(self) -> Cases:
        from openwitness.cases.complaints import Cases

        return Cases(self.db, self.incidents, self.sealer)

    @cached_property
    def officers(self) -> Officers:
        from openwitness.cases.officers import Officers

        return Officers(self.db)

    @cached_property
    def listings(self) -> Listings:
        from openwitness.cases.listing import Listings

        return Listings(self.db)

    @cached_property
    def reports(self) -> Reports:
        from openwitness.cases.reports import Reports

        return Reports(self.cases, self.vault, self.log, self.settings.intake_organisation)

    @cached_property
    def importers(self) -> Importers:
        from openwitness.cases.importers.service import Importers

        return Importers(self.db)

    @cached_property
    def police_stats(self) -> PoliceStats:
        from openwitness.stats.service import PoliceStats

        return PoliceStats(self.settings.stats_dir)

    @cached_property
    def live(self) -> LiveRecordings:
        from openwitness.live.service import LiveRecordings

        settings = self.settings
        return LiveRecordings(
            self.db, self.vault, settings.live_chunk_max_bytes, settings.live_idle_seconds
        )

    @cached_property
    def early_warning(self) -> EarlyWarning:
        from openwitness.patterns.service import EarlyWarning

        return EarlyWarning(self.db)

    @cached_property
    def screening(self) -> Screening:
        from openwitness.screening.service import Screening

        return Screening(self.db, self.vault, self.sealer, self.settings.home)

    @cached_property
    def screening_review(self) -> Review:
        from openwitness.screening.review import Review

        return Review(self.db, self.sealer)

    def close(self) -> None:
        self.log.close()
        self.db.dispose()


def blob_store(settings: Settings) -> BlobStore:
    """The folder in home (the default), or the object store OPENWITNESS_BLOB_URL names."""
    if settings.blob_url:
        from openwitness.evidence.s3_blobs import S3BlobStore

        return S3BlobStore(settings.blob_url, settings.staging_dir)
    return BlobStore(settings.blob_dir, settings.staging_dir)


def _build(settings: Settings, signer: Signer) -> Services:
    db = Database(settings.database_url)
    db.migrate()
    with db.write() as conn:
        seed_uk_forces(conn)
    log = TransparencyLog(db, signer)
    log.initialise()
    blobs = blob_store(settings)
    vault = Vault(db, log, blobs, settings.max_upload_bytes)
    with db.read() as conn:
        no_sealed_data = not any(
            conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()  # noqa: S608
            for table in ("person", "screening_participant")
        )
    sealer = load_sealer(settings, may_create=no_sealed_data)
    accounts = Accounts(db)
    return Services(
        settings, db, log, vault, Forces(db), accounts,
        Sessions(
            db, accounts, timedelta(minutes=settings.session_idle_minutes),
            timedelta(hours=settings.session_absolute_hours),
        ),
        ResumableUploads(settings.uploads_dir, vault, settings.partial_uploads_max_bytes),
        Jobs(db),
        Previews(db, vault),
        sealer,
        SmtpMailer(settings.smtp_url, settings.mail_from) if settings.smtp_url else None,
        _witness(settings, db, signer.name),
        Cosigning(db, log, _policy(settings.witness_policy)) if settings.witness_policy else None,
    )  # fmt: skip


def _policy(path: Path, quorum: bool = True) -> Policy:
    try:
        return parse_policy(path.read_text(encoding="utf-8"), require_quorum=quorum)
    except (OSError, UnicodeDecodeError, PolicyError) as error:
        raise OpenWitnessError(f"witness configuration {path}: {error}") from None


def _witness(settings: Settings, db: Database, origin: str) -> Witness | None:
    """This server as a witness of the logs OPENWITNESS_WITNESS_LOGS lists, if any."""
    if settings.witness_logs is None:
        return None
    followed = _policy(settings.witness_logs, quorum=False).logs
    cosigner = load_or_create(settings.witness_key_path, witness_name(origin))
    return Witness(db, cosigner, followed)


def _tighten(path: Path, private_mode: int) -> None:
    """Remove group and other permission bits (files we do not own are left alone)."""
    with contextlib.suppress(FileNotFoundError, PermissionError):
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077 and not path.is_symlink():
            path.chmod(mode & private_mode)


def make_private(settings: Settings) -> None:
    """Everything the installation writes is its owner's alone: the database and its WAL,
    evidence, staging and partial uploads, keys. A umask covers every file made from now on,
    whichever module (or library) makes it; files an older version made readable by others
    are tightened once, the first time a version with this check opens the folder."""
    os.umask(0o077)
    home = settings.home
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(home.stat().st_mode) & 0o077:
        for folder, dirs, files in os.walk(home):
            for name in dirs:
                _tighten(Path(folder, name), 0o700)
            for name in files:
                if name not in _KEYS_CHECKED_ON_LOAD:
                    _tighten(Path(folder, name), 0o700)
        _tighten(home, 0o700)
    database = Database.sqlite_file(settings.database_url)
    if database is not None:  # it may live outside the home folder
        for suffix in ("", "-wal", "-shm", "-journal"):
            _tighten(database.with_name(database.name + suffix), 0o700)


def open_services(settings: Settings) -> Services:
    """Open an initialised installation; raises NotInitialisedError if there is no log key."""
    make_private(settings)
    return _build(settings, load_signer(settings))


def initialise(settings: Settings, origin: str | None = None) -> tuple[Services, bool]:
    """Create the key pair, schema and empty log if missing; returns (services, created)."""
    make_private(settings)
    created = not settings.signer_key_path.exists()
    signer = create_key(settings, origin or default_origin()) if created else load_signer(settings)
    return _build(settings, signer), created
