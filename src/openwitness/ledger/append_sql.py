"""The append transaction's statements as driver SQL (see :class:`AppendSql`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Connection

from openwitness.storage.models import Checkpoint as CheckpointRow


@dataclass(frozen=True)
class AppendSql:
    """The append transaction's statements as driver SQL for one database dialect.

    The sequencer runs them thousands of times a second, and SQLAlchemy's per-statement
    execution cost (~0.1 ms each) was most of a SQLite batch's CPU time, so they go straight
    to the driver's cursor: placeholders only, every value passed as a parameter. On
    PostgreSQL the four writes are sent as one psycopg pipeline (one round trip instead of
    one per statement); the head row's lock is taken first, outside it, because the batch
    needs the size it returns.
    """

    lock_head: str
    mark: str
    update_head: str
    insert_checkpoint: str
    timestamp: Callable[[datetime], object]
    uses_pipeline: bool

    @staticmethod
    def of(conn: Connection) -> AppendSql:
        dialect = conn.dialect
        cached = _APPEND_SQL.get(dialect.name)
        if cached is None:
            qmark = dialect.paramstyle == "qmark"

            def convert(sql: str) -> str:
                return sql if qmark else sql.replace("?", "%s")

            lock_head = "SELECT size FROM log_head WHERE id = 1"
            if dialect.name != "sqlite":  # SQLite's BEGIN IMMEDIATE has taken the lock
                lock_head += " FOR UPDATE"
            created_at = CheckpointRow.__table__.c.created_at.type.dialect_impl(dialect)
            bind = created_at.bind_processor(dialect)  # SQLite: the same text SQLAlchemy writes
            cached = AppendSql(
                lock_head=lock_head,
                mark=convert("?"),
                update_head=convert("UPDATE log_head SET size = ?, root = ? WHERE id = 1"),
                insert_checkpoint=convert(
                    "INSERT INTO log_checkpoint (size, note, created_at) VALUES (?, ?, ?)"
                ),
                timestamp=bind or (lambda value: value),
                uses_pipeline=dialect.driver == "psycopg",
            )
            _APPEND_SQL[dialect.name] = cached
        return cached

    def insert_rows(
        self, table: str, rows: Sequence[tuple[int, bytes] | tuple[int, int, bytes]]
    ) -> Iterator[tuple[str, tuple[object, ...]]]:
        """Multi-row INSERTs (a statement per 1,000 rows, not one per row; SQLite allows
        32,766 parameters in one) and their flattened parameters."""
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            row = "(" + ", ".join([self.mark] * len(chunk[0])) + ")"
            sql = f"INSERT INTO {table} VALUES " + ", ".join([row] * len(chunk))  # noqa: S608
            yield sql, tuple(value for values in chunk for value in values)

    def pipeline(self, conn: Connection) -> AbstractContextManager[object]:
        driver = conn.connection.driver_connection
        if self.uses_pipeline and driver is not None:
            return cast(AbstractContextManager[object], driver.pipeline())
        return nullcontext()


_APPEND_SQL: dict[str, AppendSql] = {}
_ROWS_PER_INSERT = 1000
