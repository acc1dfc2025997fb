"""Wires storage, the log, the vault, accounts and case records together; interfaces start here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from openwitness.accounts.service import Accounts
from openwitness.accounts.sessions import Sessions
from openwitness.cases.complaints import Cases
from openwitness.cases.forces import Forces, seed_uk_forces
from openwitness.cases.importers.service import Importers
from openwitness.cases.incidents import Incidents
from openwitness.cases.listing import Listings
from openwitness.cases.officers import Officers
from openwitness.cases.personal_data import load_sealer
from openwitness.cases.reports import Reports
from openwitness.core.config import Settings
from openwitness.evidence.blobstore import BlobStore
from openwitness.evidence.resumable import ResumableUploads
from openwitness.evidence.service import Vault
from openwitness.ledger.keys import create_key, default_origin, load_signer
from openwitness.ledger.note import Signer
from openwitness.ledger.store import TransparencyLog
from openwitness.storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    log: TransparencyLog
    vault: Vault
    forces: Forces
    accounts: Accounts
    officers: Officers
    incidents: Incidents
    cases: Cases
    listings: Listings
    reports: Reports
    importers: Importers
    sessions: Sessions
    uploads: ResumableUploads

    def close(self) -> None:
        self.log.close()
        self.db.dispose()


def _build(settings: Settings, signer: Signer) -> Services:
    db = Database(settings.database_url)
    db.migrate()
    with db.write() as conn:
        seed_uk_forces(conn)
    log = TransparencyLog(db, signer)
    log.initialise()
    blobs = BlobStore(settings.blob_dir, settings.staging_dir)
    vault = Vault(db, log, blobs, settings.max_upload_bytes)
    with db.read() as conn:
        no_sealed_data = conn.exec_driver_sql("SELECT count(*) FROM person").scalar_one() == 0
    sealer = load_sealer(settings, may_create=no_sealed_data)
    incidents = Incidents(db)
    cases = Cases(db, incidents, sealer)
    accounts = Accounts(db)
    return Services(
        settings, db, log, vault, Forces(db), accounts, Officers(db), incidents, cases,
        Listings(db), Reports(cases, vault, log, settings.intake_organisation), Importers(db),
        Sessions(
            db, accounts, timedelta(minutes=settings.session_idle_minutes),
            timedelta(hours=settings.session_absolute_hours),
        ),
        ResumableUploads(settings.uploads_dir, vault, settings.partial_uploads_max_bytes),
    )  # fmt: skip


def open_services(settings: Settings) -> Services:
    """Open an initialised installation; raises NotInitialisedError if there is no log key."""
    return _build(settings, load_signer(settings))


def initialise(settings: Settings, origin: str | None = None) -> tuple[Services, bool]:
    """Create the key pair, schema and empty log if missing; returns (services, created)."""
    settings.home.mkdir(parents=True, exist_ok=True)
    created = not settings.signer_key_path.exists()
    signer = create_key(settings, origin or default_origin()) if created else load_signer(settings)
    return _build(settings, signer), created
