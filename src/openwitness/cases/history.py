"""The append-only change history: nothing about a record changes without a trace."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from openwitness.storage.db import Database
from openwitness.storage.models import ChangeRecord


def record_change(
    conn: Connection,
    entity: str,
    entity_id: int | str,
    action: str,
    actor: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Write one history row in the caller's transaction, so it commits with the change."""
    conn.execute(
        insert(ChangeRecord).values(
            entity=entity,
            entity_id=str(entity_id),
            action=action,
            actor=actor,
            at=datetime.now(UTC),
            before=before,
            after=after,
        )
    )


def history(db: Database, entity: str, entity_id: int | str) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(
            select(ChangeRecord)
            .where(ChangeRecord.entity == entity, ChangeRecord.entity_id == str(entity_id))
            .order_by(ChangeRecord.id)
        )
        return [
            {
                "entity": row.entity,
                "entity_id": row.entity_id,
                "action": row.action,
                "actor": row.actor,
                "at": row.at.isoformat(),
                "before": row.before,
                "after": row.after,
            }
            for row in rows
        ]
