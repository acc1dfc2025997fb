"""Complaints, people involved (sealed), allegations with outcomes, and full-text search.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _source_columns() -> list[sa.Column[str]]:
    return [sa.Column("source", sa.String(32)), sa.Column("source_id", sa.String(64))]


def upgrade() -> None:
    with op.batch_alter_table("officer") as batch:
        for column in _source_columns():
            batch.add_column(column)
        batch.add_column(sa.Column("attributes", sa.JSON))
    op.create_index("ix_officer_source", "officer", ["source", "source_id"], unique=True)
    with op.batch_alter_table("incident") as batch:
        batch.alter_column("occurred_at", existing_type=sa.DateTime(timezone=True), nullable=True)
    op.create_index("ix_incident_force_id", "incident", ["force_id"])
    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("force_id", sa.String(64), sa.ForeignKey("force.id"), nullable=False),
        sa.Column("organisation_id", sa.String(64), sa.ForeignKey("organisation.id")),
        sa.Column("reporter_kind", sa.String(16), nullable=False),
        sa.Column("pseudonym", sa.String(100)),
        sa.Column("follow_up_sha256", sa.String(64), unique=True),
        sa.Column("received_at", sa.DateTime(timezone=True)),
        sa.Column("dated_at", sa.DateTime(timezone=True)),
        sa.Column("reported_to", sa.JSON, nullable=False),
        *_source_columns(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_complaint_incident_id", "complaint", ["incident_id"])
    op.create_index("ix_complaint_organisation_id", "complaint", ["organisation_id"])
    # Listings walk these newest first; PostgreSQL needs the NULLS LAST order spelled out.
    order = "dated_at DESC, id DESC"
    if op.get_bind().dialect.name != "sqlite":
        order = "dated_at DESC NULLS LAST, id DESC"
    op.execute(f"CREATE INDEX ix_complaint_dated_at ON complaint ({order})")
    op.execute(f"CREATE INDEX ix_complaint_force_dated ON complaint (force_id, {order})")
    op.create_index("ix_complaint_source", "complaint", ["source", "source_id"], unique=True)
    op.create_table(
        "person",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaint.id"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("sealed", sa.LargeBinary),
        sa.Column("erased_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_person_complaint_id", "person", ["complaint_id"])
    op.create_table(
        "allegation",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaint.id"), nullable=False),
        sa.Column("officer_id", sa.Integer, sa.ForeignKey("officer.id")),
        sa.Column("category", sa.String(80)),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("handling", sa.String(24)),
        sa.Column("recommended_finding", sa.String(40)),
        sa.Column("final_finding", sa.String(40)),
        sa.Column("recommended_result", sa.String(40)),
        sa.Column("final_result", sa.String(40)),
        sa.Column("recommended_on", sa.Date),
        sa.Column("decided_on", sa.Date),
        sa.Column("closed_on", sa.Date),
        sa.Column("outcome_notified_on", sa.Date),
        sa.Column("review_requested_on", sa.Date),
        sa.Column("review_outcome", sa.String(200)),
        sa.Column("next_action", sa.String(300)),
        sa.Column("due_on", sa.Date),
        *_source_columns(),
        sa.Column("source_detail", sa.JSON),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_allegation_complaint_id", "allegation", ["complaint_id"])
    op.create_index("ix_allegation_officer_id", "allegation", ["officer_id"])
    op.create_index("ix_allegation_category", "allegation", ["category"])
    op.create_index("ix_allegation_due_on", "allegation", ["due_on"])
    op.create_index("ix_allegation_status", "allegation", ["status", "complaint_id"])
    op.create_index("ix_allegation_source", "allegation", ["source", "source_id"], unique=True)
    # Full-text search over each complaint's text (see openwitness.storage.search).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE complaint_search USING fts5(body, tokenize='porter')")
    else:
        op.execute(
            "CREATE TABLE complaint_search (complaint_id integer PRIMARY KEY, body text NOT NULL,"
            " tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED)"
        )
        op.execute("CREATE INDEX ix_complaint_search_tsv ON complaint_search USING gin (tsv)")


def downgrade() -> None:
    op.execute("DROP TABLE complaint_search")
    op.drop_table("allegation")
    op.drop_table("person")
    op.drop_table("complaint")
    op.drop_index("ix_incident_force_id", "incident")
    op.drop_index("ix_officer_source", "officer")
    with op.batch_alter_table("officer") as batch:
        batch.drop_column("attributes")
        batch.drop_column("source_id")
        batch.drop_column("source")
