"""Importing other jurisdictions' complaint records: the entry point for the CLI."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from openwitness.cases.importers import ccrb, cpdp, csvfiles
from openwitness.cases.importers.bulk import (
    AllegationIn,
    BulkWriter,
    ComplaintIn,
    ImportReport,
    OfficerIn,
    Progress,
    refusal,
)
from openwitness.core.errors import InvalidRequestError
from openwitness.storage.db import Database
from openwitness.storage.models import Force as ForceRow

_SOURCE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")


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

    def roster(
        self,
        path: Path,
        force_id: str,
        source: str,
        actor: str,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """An officer roster CSV (OpenWitness's layout or OpenOversight's)."""
        report = ImportReport(self._check(force_id, source), dry_run)
        officers = csvfiles.read_roster(path, report)
        return self._write_all_or_nothing(force_id, actor, report, progress, officers, [], [])

    def complaints(
        self,
        path: Path,
        force_id: str,
        source: str,
        actor: str,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """A complaint-history CSV, one row per allegation; officers are named by the
        ``officer_id`` of a roster imported under the same ``source``."""
        report = ImportReport(self._check(force_id, source), dry_run)
        complaints, allegations = csvfiles.read_complaints(path, report)
        return self._write_all_or_nothing(
            force_id, actor, report, progress, [], complaints, allegations
        )

    def _check(self, force_id: str, source: str) -> str:
        if not _SOURCE.fullmatch(source):
            raise InvalidRequestError(
                "source: 1-32 lower-case letters, digits or hyphens naming where the file "
                "came from (e.g. met-psd-2024); importing again under it adds only new rows"
            )
        with self.db.read() as conn:
            if conn.execute(select(ForceRow.id).where(ForceRow.id == force_id)).first() is None:
                raise InvalidRequestError(f"force: unknown force {force_id!r}")
        return source

    def _write_all_or_nothing(
        self,
        force_id: str,
        actor: str,
        report: ImportReport,
        progress: Progress | None,
        officers: list[OfficerIn],
        complaints: list[ComplaintIn],
        allegations: list[AllegationIn],
    ) -> ImportReport:
        if report.rejected and not report.dry_run:
            raise InvalidRequestError(refusal(report))
        writer = BulkWriter(self.db, report.source, force_id, actor)
        writer.strict = True
        return writer.write(officers, complaints, allegations, report, progress)
