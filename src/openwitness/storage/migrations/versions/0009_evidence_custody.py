"""Evidence custody: which organisations hold a vault item, and one-time upload claims.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_custody",
        sa.Column("sha256", sa.String(64), sa.ForeignKey("evidence.sha256"), primary_key=True),
        sa.Column(
            "organisation_id", sa.String(64), sa.ForeignKey("organisation.id"), primary_key=True
        ),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "evidence_claim",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("evidence.sha256"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Items linked before custody existed: the first organisation to link each one (in a
    # case or as an officer's photo) holds it. Later links by others are not trusted, since
    # any caseworker could then link an item by its public hash.
    op.execute(
        "WITH links AS ("
        " SELECT ie.sha256 AS sha256, i.organisation_id AS org, i.created_at AS at"
        " FROM incident_evidence ie JOIN incident i ON i.id = ie.incident_id"
        " WHERE i.organisation_id IS NOT NULL"
        " UNION ALL"
        " SELECT p.sha256, a.organisation_id, p.added_at FROM officer_photo p"
        " JOIN account a ON a.username = p.added_by WHERE a.organisation_id IS NOT NULL"
        "), earliest AS (SELECT sha256, min(at) AS at FROM links GROUP BY sha256) "
        "INSERT INTO evidence_custody (sha256, organisation_id, added_at) "
        "SELECT l.sha256, l.org, min(l.at) FROM links l"
        " JOIN earliest e ON e.sha256 = l.sha256 AND e.at = l.at"
        " GROUP BY l.sha256, l.org"
    )


def downgrade() -> None:
    op.drop_table("evidence_claim")
    op.drop_table("evidence_custody")
