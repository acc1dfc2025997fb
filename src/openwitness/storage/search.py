"""Full-text search over complaints: SQLite FTS5 and PostgreSQL full-text search, one interface.

Each complaint has one search document (its incident's narrative and place, and its
allegations' categories as the source worded them). Queries are reduced to plain words, all of
which must match (stemmed); operators are not passed through, so a query can never be a syntax
error or reach beyond the search table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Connection, Select, bindparam, column, select, table, text

_WORD = re.compile(r"\w+", re.UNICODE)
_fts = table("complaint_search", column("rowid"), column("complaint_id"))
MAX_WORDS = 12


def words(query: str) -> list[str]:
    return _WORD.findall(query.lower())[:MAX_WORDS]


class SearchIndex:
    def __init__(self, is_sqlite: bool) -> None:
        self.is_sqlite = is_sqlite

    def put(self, conn: Connection, documents: Iterable[tuple[int, str]]) -> None:
        """Index (complaint id, text) pairs in the caller's transaction, replacing old text."""
        # "BRIBERY/OFFICIAL CORRUPTION": PostgreSQL's parser reads word/word as one file-path
        # token, so the slash becomes a space and each word is found on both databases.
        rows = [{"id": cid, "body": body.replace("/", " ")} for cid, body in documents]
        if not rows:
            return
        if self.is_sqlite:
            statement = "INSERT OR REPLACE INTO complaint_search(rowid, body) VALUES (:id, :body)"
        else:
            statement = (
                "INSERT INTO complaint_search(complaint_id, body) VALUES (:id, :body) "
                "ON CONFLICT (complaint_id) DO UPDATE SET body = excluded.body"
            )
        conn.execute(text(statement), rows)

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
