"""Incidents with their evidence and officers.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("force_id", sa.String(64), sa.ForeignKey("force.id"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(300), nullable=False),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("encounter_type", sa.String(32), nullable=False),
        sa.Column("narrative", sa.Text, nullable=False),
        sa.Column("organisation_id", sa.String(64), sa.ForeignKey("organisation.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "incident_evidence",
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incident.id"), primary_key=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("evidence.sha256"), primary_key=True),
    )
    op.create_table(
        "incident_officer",
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incident.id"), primary_key=True),
        sa.Column("officer_id", sa.Integer, sa.ForeignKey("officer.id"), primary_key=True),
        sa.Column("role", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("incident_officer")
    op.drop_table("incident_evidence")
    op.drop_table("incident")
