"""Full-text search over complaints: SQLite FTS5 and PostgreSQL full-text search, one interface.

Each complaint has one search document (its incident's narrative and place, and its
allegations' categories as the source worded them). Queries are reduced to plain words, all of
which must match (stemmed); operators are not passed through, so a query can never be a syntax
error or reach beyond the search table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    SQLColumnExpression,
    any_,
    bindparam,
    column,
    exists,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

_WORD = re.compile(r"\w+", re.UNICODE)
_fts = table("complaint_search", column("rowid"), column("complaint_id"))
MAX_WORDS = 12
# PostgreSQL: up to this many matches are fetched and sorted; more, and the listing walks the
# newest-first index checking each case's document instead (see ``condition``).
SORT_MATCHES_UP_TO = 20_000


def words(query: str) -> list[str]:
    return _WORD.findall(query.lower())[:MAX_WORDS]


class SearchIndex:
    def __init__(self, is_sqlite: bool) -> None:
        self.is_sqlite = is_sqlite

    def put(
        self, conn: Connection, documents: Iterable[tuple[int, str]], new: bool = False
    ) -> None:
        """Index (complaint id, text) pairs in the caller's transaction, replacing old text.

        ``new``: none of these complaints has a document yet (an import's own complaints),
        so PostgreSQL can take them by COPY, a third of the time of batched upserts."""
        # "BRIBERY/OFFICIAL CORRUPTION": PostgreSQL's parser reads word/word as one file-path
        # token, so the slash becomes a space and each word is found on both databases.
        rows = [(cid, body.replace("/", " ")) for cid, body in documents]
        if not rows:
            return
        if new and not self.is_sqlite:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy("COPY complaint_search (complaint_id, body) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        if self.is_sqlite:
            statement = "INSERT OR REPLACE INTO complaint_search(rowid, body) VALUES (:id, :body)"
        else:
            statement = (
                "INSERT INTO complaint_search(complaint_id, body) VALUES (:id, :body) "
                "ON CONFLICT (complaint_id) DO UPDATE SET body = excluded.body"
            )
        conn.execute(text(statement), [{"id": cid, "body": body} for cid, body in rows])

    def document(self, conn: Connection, complaint_id: int) -> str | None:
        """The text a complaint is indexed by now (None if it has none)."""
        statement = (
            "SELECT body FROM complaint_search WHERE rowid = :id"
            if self.is_sqlite
            else "SELECT body FROM complaint_search WHERE complaint_id = :id"
        )
        body: str | None = conn.execute(text(statement), {"id": complaint_id}).scalar()
        return body

    def condition(
        self, conn: Connection, query: str, complaint_id: SQLColumnExpression[int]
    ) -> ColumnElement[bool]:
        """Complaints matching ``query``, phrased for a listing sorted newest first.

        PostgreSQL's planner walks the newest-first index and checks each case's document,
        which reads ~120,000 documents to find a page of a word matching 2% of them
        ("bribery": 140 ms). When the matches are few enough, their ids are fetched from the
        GIN index and sorted instead (15 ms); a word matching more of them is found quickly
        by the walk. SQLite's FTS5 subquery is already fast and is left to its planner.
        """
        if self.is_sqlite:
            return complaint_id.in_(self.matching(query))
        ids = conn.execute(self.matching(query).limit(SORT_MATCHES_UP_TO)).scalars().all()
        if len(ids) < SORT_MATCHES_UP_TO:
            return complaint_id == any_(bindparam("search_ids", list(ids), type_=ARRAY(Integer)))
        return exists(self.matching(query).where(_fts.c.complaint_id == complaint_id))

    def matching(self, query: str) -> Select[tuple[int]]:
        """A subquery of the ids of complaints whose document has every word of ``query``."""
        terms = words(query)
        if self.is_sqlite:
            # Each word quoted: FTS5 reads it as a string, never as an operator.
            expression = " ".join(f'"{term}"' for term in terms) or '""'
            return select(_fts.c.rowid).where(
                text("complaint_search MATCH :fts_query").bindparams(
                    bindparam("fts_query", expression)
                )
            )
        return select(_fts.c.complaint_id).where(
            text("tsv @@ plainto_tsquery('english', :fts_query)").bindparams(
                bindparam("fts_query", " ".join(terms))
            )
        )
