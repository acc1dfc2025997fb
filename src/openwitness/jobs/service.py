"""The jobs table: one row per job, written by whoever runs it. A job's handler must be safe
to run again (a worker killed half way means it runs again from the start): the statistics
import is (a force-month is replaced whole)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from openwitness.core.errors import NotFoundError
from openwitness.storage.db import Database
from openwitness.storage.scale_models import Job

STATES = ("queued", "running", "done", "failed")
JOB_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class JobStatus:
    id: str
    kind: str
    state: str
    attempts: int
    done: int
    total: int | None
    message: str | None
    result: dict[str, Any] | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "state": self.state, "attempts": self.attempts,
            "done": self.done, "total": self.total, "message": self.message,
            "result": self.result, "created_by": self.created_by,
            "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat(),
        }  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC)


#: the starter of the jobs the installation queues itself (previews): no username is empty,
#: so no account follows them on the job pages; their outcome shows where their item does
SYSTEM = ""


class Jobs:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, kind: str, args: dict[str, Any], created_by: str) -> str:
        job_id = uuid.uuid4().hex
        now = _now()
        with self.db.write() as conn:
            conn.execute(
                insert(Job).values(
                    id=job_id, kind=kind, args=args, state="queued", attempts=0, done=0,
                    total=None, message=None, result=None, created_by=created_by[:64],
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip
        return job_id

    def get(self, job_id: str) -> JobStatus:
        with self.db.read() as conn:
            row = conn.execute(select(Job).where(Job.id == job_id)).first()
        if row is None:
            raise NotFoundError(f"no job {job_id}")
        return _status(row)

    def get_for(self, job_id: str, username: str) -> JobStatus:
        """A job as the account that asked for it sees it; anyone else is told there is no
        such job (knowing its id grants nothing). Operators see every job on the command
        line (`witness jobs`)."""
        job = self.get(job_id) if JOB_ID.fullmatch(job_id) else None
        if job is None or job.created_by != username[:64]:
            raise NotFoundError(f"no job {job_id[:32]}")
        return job

    def args(self, job_id: str) -> tuple[str, dict[str, Any]]:
        with self.db.read() as conn:
            row = conn.execute(select(Job.kind, Job.args).where(Job.id == job_id)).first()
        if row is None:
            raise NotFoundError(f"no job {job_id}")
        return row.kind, dict(row.args)

    def recent(self, limit: int = 50) -> list[JobStatus]:
        with self.db.read() as conn:
            rows = conn.execute(select(Job).order_by(Job.created_at.desc()).limit(limit)).all()
        return [_status(r) for r in rows]

    def start(self, job_id: str) -> bool:
        """Mark an attempt begun; False if the job already ended (a redelivered message)."""
        with self.db.write() as conn:
            started = conn.execute(
                update(Job)
                .where(Job.id == job_id, Job.state.in_(("queued", "running")))
                .values(
                    state="running",
                    attempts=Job.attempts + 1,
                    done=0,
                    updated_at=_now(),
                    message="started",
                )
            )
        return started.rowcount == 1

    def progress(self, job_id: str, done: int, total: int | None, message: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(done=done, total=total, message=message[:500], updated_at=_now())
            )

    def finish(self, job_id: str, result: dict[str, Any], message: str) -> None:
        self._end(job_id, "done", message, result)

    def fail(self, job_id: str, message: str) -> None:
        self._end(job_id, "failed", message, None)

    def _end(self, job_id: str, state: str, message: str, result: dict[str, Any] | None) -> None:
        with self.db.write() as conn:
            conn.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(state=state, message=message[:500], result=result, updated_at=_now())
            )


def _status(row: Any) -> JobStatus:
    created, updated = row.created_at, row.updated_at
    if created.tzinfo is None:  # SQLite keeps naive datetimes; only UTC is written
        created, updated = created.replace(tzinfo=UTC), updated.replace(tzinfo=UTC)
    return JobStatus(
        row.id, row.kind, row.state, row.attempts, row.done, row.total, row.message,
        row.result, row.created_by, created, updated,
    )  # fmt: skip
