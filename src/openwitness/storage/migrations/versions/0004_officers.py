"""Officers, their identifiers over time, and the change history.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "officer",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("force_id", sa.String(64), sa.ForeignKey("force.id"), nullable=False),
        sa.Column("merged_into", sa.Integer, sa.ForeignKey("officer.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "officer_identifier",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("officer_id", sa.Integer, sa.ForeignKey("officer.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_to", sa.Date),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_officer_identifier_officer_id", "officer_identifier", ["officer_id"])
    op.create_index("ix_officer_identifier_kind_value", "officer_identifier", ["kind", "value"])
    op.create_table(
        "change_record",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
    )
    op.create_index("ix_change_record_entity", "change_record", ["entity", "entity_id"])


def downgrade() -> None:
    op.drop_table("change_record")
    op.drop_table("officer_identifier")
    op.drop_table("officer")
