"""Importing other jurisdictions' complaint records: the entry point for the CLI."""

from __future__ import annotations

from pathlib import Path

from openwitness.cases.importers import ccrb, cpdp
from openwitness.cases.importers.bulk import BulkWriter, ImportReport, Progress
from openwitness.storage.db import Database


class Importers:
    def __init__(self, db: Database) -> None:
        self.db = db

    def cpdp(
        self, folder: Path, actor: str, dry_run: bool = False, progress: Progress | None = None
    ) -> ImportReport:
        """Chicago's CPDP 2018 release (its folder of gzip CSVs)."""
        report = ImportReport(cpdp.SOURCE, dry_run)
        records = cpdp.read_release(folder, report)
        writer = BulkWriter(self.db, cpdp.SOURCE, cpdp.FORCE, actor)
        return writer.write(*records, report, progress)

    def ccrb(
        self, archive: Path, actor: str, dry_run: bool = False, progress: Progress | None = None
    ) -> ImportReport:
        """New York's CCRB member-of-service histories (the release's zip)."""
        report = ImportReport(ccrb.SOURCE, dry_run)
        records = ccrb.read_release(archive, report)
        writer = BulkWriter(self.db, ccrb.SOURCE, ccrb.FORCE, actor)
        return writer.write(*records, report, progress)
